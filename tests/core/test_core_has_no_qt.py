import pkgutil
import subprocess
import sys

import lstmwriter.core


def test_every_core_module_imports_without_qt():
    modules = sorted(f"lstmwriter.core.{m.name}"
                     for m in pkgutil.iter_modules(lstmwriter.core.__path__))
    assert {"lstmwriter.core.training", "lstmwriter.core.errors"} <= set(modules)
    code = (
        "import importlib, sys; sys.modules['PySide6'] = None\n"
        f"for name in {modules + ['lstmwriter.cli']!r}:\n"
        "    importlib.import_module(name)\n"
        "assert not any(m.startswith('PySide6.') for m in sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
