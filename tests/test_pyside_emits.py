"""PySide6 6.12.0 on Python 3.11 over-releases `True` per signal emit and aborts the
process (bool_dealloc); pyproject excludes it. This guards the installed version."""

import subprocess
import sys

CODE = """
import os
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QCoreApplication, QObject, Signal

class Emitter(QObject):
    changed = Signal(bool)

app = QCoreApplication([])
received = []
e = Emitter()
e.changed.connect(received.append)
for i in range(5000):
    e.changed.emit(True)
assert len(received) == 5000
"""


def test_five_thousand_signal_emits_exit_cleanly():
    result = subprocess.run([sys.executable, "-c", CODE], capture_output=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr.decode()[-500:]
