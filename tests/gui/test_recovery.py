"""A crash never loses the text: the recovery copy comes back at the next launch."""

import subprocess
import sys

from lstmwriter.gui.recovery import recovery_dir

CRASHING_SESSION = r"""
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication

app = QApplication([])
from lstmwriter.gui import create_window

window = create_window()
window.show()
window.editor.insertPlainText(sys.argv[1])
written = []
worker = window.documents.file_worker
worker.written.connect(lambda rid, path, kind: written.append(kind))
window.documents.autosave_now()
while "recovery" not in written:
    app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
os._exit(3)  # a crash: no closeEvent, no clean-up
"""

TEXT = "Chapter one.\nIt was a dark and stormy night; the rain fell in torrents."


def crash_with(text: str) -> None:
    result = subprocess.run([sys.executable, "-c", CRASHING_SESSION, text],
                            capture_output=True, timeout=120, check=False)
    assert result.returncode == 3, result.stderr.decode()[-2000:]


def test_text_of_a_crashed_session_is_offered_and_restored(qtbot, make_window):
    crash_with(TEXT)
    w = make_window()
    w.show()
    assert w.recovery_bar.isVisible()
    assert f"{len(TEXT.split())} words" in w.recovery_bar.label.text()
    w.editor.insertPlainText("typed before restoring")
    restore = w.recovery_bar.findChild(type(w.training.train_button), "restoreButton")
    restore.click()
    assert w.editor.toPlainText() == TEXT
    assert w.editor.document().isModified()
    assert not w.recovery_bar.isVisible()
    w.editor.undo()  # restoring is one undoable edit: nothing typed is lost
    assert w.editor.toPlainText() == "typed before restoring"
    assert list((recovery_dir() / "old").glob("session-*.json"))


def test_declined_copy_is_not_offered_again(qtbot, make_window):
    crash_with(TEXT)
    first = make_window()
    discard = first.recovery_bar.findChild(type(first.training.train_button),
                                           "discardRecoveryButton")
    discard.click()
    assert first.recovery_bar.isHidden()
    first.close()
    second = make_window()
    assert second.recovery_bar.isHidden()


def test_running_and_cleanly_closed_sessions_are_not_orphans(qtbot, make_window):
    first = make_window()
    first.editor.insertPlainText("still open in another window")
    first.documents.autosave_now()
    qtbot.waitUntil(lambda: first.documents.recovery_written, timeout=10_000)
    second = make_window()  # the first one is alive: its copy is not an orphan
    assert second.recovery_bar.isHidden()
    first.editor.document().setModified(False)
    first.close()
    assert not first.documents.recovery.file.exists()  # a clean exit leaves no copy
    third = make_window()
    assert third.recovery_bar.isHidden()
