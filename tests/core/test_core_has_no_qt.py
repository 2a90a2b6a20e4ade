import subprocess
import sys


def test_core_imports_without_qt():
    code = (
        "import sys; sys.modules['PySide6'] = None\n"
        "import lstmwriter.core.training, lstmwriter.core.jobs, lstmwriter.core.sampling\n"
        "import lstmwriter.core.store, lstmwriter.cli\n"
        "assert not any(m.startswith('PySide6.') for m in sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
