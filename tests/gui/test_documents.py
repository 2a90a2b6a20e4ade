"""Documents are never lost: the recovery copy trails typing by at most ~5 s
after kill -9, and Save is atomic (a crash or a failed write leaves the old
file whole, says so, and keeps the text unsaved)."""

import errno
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox, QPushButton

from lstmwriter.gui.recovery import recovery_dir

from ..core.test_reliability_training import full_disk  # noqa: F401 (a fixture)

# Types a word every 100 ms into a real window and says so on stdout; it never
# stops by itself (the test kills it).
TYPING_SESSION = r"""
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

app = QApplication([])
from lstmwriter.gui import create_window

window = create_window()
window.show()
count = 0

def type_word():
    global count
    window.editor.insertPlainText(f"w{count} ")
    print(f"typed {count}", flush=True)
    count += 1

timer = QTimer()
timer.setInterval(100)
timer.timeout.connect(type_word)
timer.start()
app.exec()
"""

# Opens sys.argv[1], replaces its text, saves, and stalls right after the
# temporary file of that save is written and flushed (before the rename): the
# test kills it there.
SAVING_SESSION = r"""
import os, sys, time
from pathlib import Path
from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication

app = QApplication([])
from lstmwriter.gui import create_window

target = Path(sys.argv[1])
window = create_window()
loaded = []
window.documents.document_loaded.connect(loaded.append)
window.documents.open_file(str(target))
while not loaded:
    app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)

real_fsync = os.fsync

def fsync(fd):
    real_fsync(fd)
    name = os.readlink(f"/proc/self/fd/{fd}")
    if os.path.basename(name).startswith(f".{target.name}."):
        print("temporary file written", flush=True)
        time.sleep(600)

os.fsync = fsync
window.editor.setPlainText(sys.argv[2] * 20000)
window.documents.save_to(str(target))
while True:
    app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
"""


def _start(script: str, *args: str, log: Path) -> tuple[subprocess.Popen, list]:
    """The script in a fresh interpreter (offscreen, this test's XDG folders);
    its stdout lines are collected with their arrival time."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    with open(log, "wb") as err:
        proc = subprocess.Popen([sys.executable, "-c", script, *args], env=env,
                                stdout=subprocess.PIPE, stderr=err, text=True)
    lines: list[tuple[float, str]] = []

    def read() -> None:
        for line in proc.stdout:
            lines.append((time.monotonic(), line.strip()))

    proc.reader = threading.Thread(target=read, daemon=True)
    proc.reader.start()
    return proc, lines


def _kill(proc: subprocess.Popen) -> float:
    """SIGKILL; the time it was sent."""
    killed_at = time.monotonic()
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.reader.join(timeout=30)  # the pipe ends with the process
    proc.stdout.close()
    return killed_at


def test_kill_9_while_typing_loses_at_most_5_seconds(qtbot, make_window, tmp_path):
    """A session types steadily; it is killed just before 5.5 s have passed
    since a recovery copy appeared (the worst moment for an interval of 5 s or
    more). Everything typed until 5 s before the kill must be offered."""
    proc, lines = _start(TYPING_SESSION, log=tmp_path / "typing.log")
    try:
        folder = recovery_dir()
        qtbot.waitUntil(lambda: bool(list(folder.glob("session-*.json"))) or
                        proc.poll() is not None, timeout=60_000)
        assert proc.poll() is None, (tmp_path / "typing.log").read_text()[-2000:]
        copy_seen = time.monotonic()
        qtbot.waitUntil(lambda: time.monotonic() >= copy_seen + 5.5, timeout=10_000)
    finally:
        killed_at = _kill(proc)
    typed = [(t, int(line.split()[1])) for t, line in lines
             if line.startswith("typed ")]
    must_keep = max(i for t, i in typed if t <= killed_at - 5.0)
    assert typed[-1][1] - must_keep >= 10, "it did not go on typing until the kill"

    w = make_window()
    w.show()
    assert w.recovery_bar.isVisible()
    offered = w.documents.orphans[0].text
    expected = "".join(f"w{i} " for i in range(must_keep + 1))
    assert offered.startswith(expected), (must_keep, offered[-40:])
    w.recovery_bar.findChild(QPushButton, "restoreButton").click()
    assert w.editor.toPlainText() == offered


def test_kill_9_in_the_middle_of_a_save_leaves_the_old_file(qtbot, tmp_path):
    """Killed after the new text is written and flushed to the temporary file
    but before the rename: the document on disk is still the old one."""
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc to tell the save's file apart")
    target = tmp_path / "story.txt"
    old = b"The old text, saved and safe.\n"
    target.write_bytes(old)
    proc, lines = _start(SAVING_SESSION, str(target), "new text ",
                         log=tmp_path / "save.log")
    try:
        qtbot.waitUntil(lambda: bool(lines) or proc.poll() is not None, timeout=90_000)
        assert lines == [(lines[0][0], "temporary file written")], \
            (tmp_path / "save.log").read_text()[-2000:]
    finally:
        _kill(proc)
    assert target.read_bytes() == old
    (temporary,) = tmp_path.glob(".story.txt.*.tmp")  # the half-done save
    assert temporary.read_bytes() == b"new text " * 20000


@pytest.fixture
def failing_save(monkeypatch, request):
    """Makes the next save of a file fail: "disk full" writes its temporary
    file to /dev/full (ENOSPC from the kernel; the core tests' fixture);
    "rename" fails the final os.replace over it."""

    def arm(kind: str, target: Path) -> None:
        if kind == "disk full":
            request.getfixturevalue("full_disk")(target.name)
        else:
            real_replace = os.replace

            def replace(src, dst, *args, **kwargs):
                if Path(dst) == target:
                    raise OSError(errno.EIO, "Input/output error")
                return real_replace(src, dst, *args, **kwargs)

            monkeypatch.setattr(os, "replace", replace)

    return arm


@pytest.mark.parametrize("kind", ["disk full", "rename"])
def test_a_failed_save_keeps_the_old_file_and_the_text_unsaved(
        qtbot, make_window, tmp_path, failing_save, monkeypatch, kind):
    target = tmp_path / "story.txt"
    target.write_text("Saved before.\n", encoding="utf-8")
    w = make_window()
    w.show()
    with qtbot.waitSignal(w.documents.document_loaded, timeout=10_000):
        w.documents.open_file(str(target))
    w.editor.insertPlainText("More words, typed since.\n")
    assert w.editor.document().isModified()

    failing_save(kind, target)
    w.documents.save_to(str(target))
    qtbot.waitUntil(lambda: bool(w.findChildren(QMessageBox, "errorDialog")),
                    timeout=15_000)
    message = w.findChildren(QMessageBox, "errorDialog")[0].text()
    reason = "No space left on device" if kind == "disk full" else "Input/output error"
    assert str(target) in message and reason in message
    assert "Nothing on disk was changed" in message
    assert target.read_text(encoding="utf-8") == "Saved before.\n"
    assert not list(tmp_path.glob(".story.txt.*"))  # no temporary file left
    assert w.editor.document().isModified() and w.isWindowModified()

    monkeypatch.undo()  # the disk has room again: saving works
    with qtbot.waitSignal(w.documents.document_saved, timeout=10_000):
        w.documents.save_to(str(target))
    assert target.read_text(encoding="utf-8") == w.editor.toPlainText()
    assert not w.editor.document().isModified()


def test_save_keeps_a_symlink_and_the_file_permissions(qtbot, make_window, tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("private\n", encoding="utf-8")
    real.chmod(0o600)
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    w = make_window()
    with qtbot.waitSignal(w.documents.document_loaded, timeout=10_000):
        w.documents.open_file(str(link))
    w.editor.insertPlainText("more ")
    with qtbot.waitSignal(w.documents.document_saved, timeout=10_000):
        w.documents.save()
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8") == "private\nmore "
    assert real.stat().st_mode & 0o777 == 0o600
