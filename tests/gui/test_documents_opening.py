"""Opening a file never mixes two documents up: while a read is pending (a FIFO
stands in for a stalled network drive) the current text stays, read-only, and
can be saved and copied for recovery; the new text, its path and its modified
flag arrive together. Large files ask first and show progress. A failed save
names the writer's file and the real cause; old recovery copies are pruned."""

import errno
import json
import os
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFrame, QLabel, QMessageBox, QProgressBar, QPushButton

from lstmwriter.core import checkpoint, documents
from lstmwriter.gui import workers
from lstmwriter.gui.recovery import KEEP_OLD, recovery_dir

A_TEXT = "The text of A.\n"


class SlowFile:
    """A named pipe whose read does not return until `release`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        os.mkfifo(path)
        self._writer: threading.Thread | None = None

    def release(self, data: bytes) -> None:
        def write() -> None:
            with open(self.path, "wb") as pipe:  # waits for the reader's open
                pipe.write(data)

        self._writer = threading.Thread(target=write, daemon=True)
        self._writer.start()

    def close(self) -> None:
        """Unblock a reader still waiting (or let the writer finish)."""
        if self._writer is None:
            try:
                os.close(os.open(self.path, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:  # no reader left: nothing to unblock
                pass
        else:
            self._writer.join(timeout=10)


@pytest.fixture
def slow_file(tmp_path):
    slow = SlowFile(tmp_path / "slow.txt")
    yield slow
    slow.close()


def open_and_wait(qtbot, window, path, encoding=""):
    with qtbot.waitSignal(window.documents.document_loaded, timeout=15_000):
        window.documents.open_file(str(path), encoding)


def opening_bar(window) -> QFrame:
    bar = window.findChild(QFrame, "openingBar")
    assert bar is not None, "no Opening… bar"
    return bar


def window_with_a(qtbot, make_window, tmp_path):
    a = tmp_path / "A.txt"
    a.write_text(A_TEXT, encoding="utf-8")
    w = make_window()
    w.show()
    open_and_wait(qtbot, w, a)
    qtbot.waitUntil(lambda: not w.editor.isReadOnly(), timeout=5000)
    return w, a


def test_a_pending_open_keeps_the_document_saveable_and_never_changes_its_file(
        qtbot, make_window, tmp_path, slow_file):
    """The tracker's case: open A, edit, open a file whose read hangs, type,
    Ctrl+S, then the read returns."""
    w, a = window_with_a(qtbot, make_window, tmp_path)
    qtbot.keyClicks(w.editor, "more")
    edited = A_TEXT + "more"
    assert w.editor.document_text() == edited

    w.documents.open_file(str(slow_file.path))  # the unsaved-changes prompt: discard
    qtbot.keyClicks(w.editor, " EDIT")  # nothing reaches the document
    w.editor.undo()  # what the Edit menu's Ctrl+Z calls
    assert w.editor.document_text() == edited and w.editor.isReadOnly()
    assert opening_bar(w).isVisible()
    assert "slow.txt" in opening_bar(w).findChild(QLabel, "openingLabel").text()

    w.documents.autosave_now()  # recovery copies are still written
    qtbot.waitUntil(lambda: w.documents.recovery_written, timeout=5000)
    copy = json.loads(w.documents.recovery.file.read_text(encoding="utf-8"))
    assert copy["text"] == edited and copy["document_path"] == str(a)
    with qtbot.waitSignal(w.documents.document_saved, timeout=5000):
        w.findChild(QAction, "saveAction").trigger()  # goes to A, with A's text
    assert a.read_text(encoding="utf-8") == edited
    assert w.documents.path == str(a) and w.windowTitle().startswith("A.txt")
    assert not w.editor.document().isModified()

    with qtbot.waitSignal(w.documents.document_loaded, timeout=15_000):
        slow_file.release(b"content of B")
    assert w.editor.document_text() == "content of B"
    assert w.documents.path == str(slow_file.path)
    assert w.windowTitle().startswith("slow.txt")
    assert not w.editor.document().isModified() and not opening_bar(w).isVisible()
    assert a.read_text(encoding="utf-8") == edited
    qtbot.waitUntil(lambda: not w.editor.isReadOnly(), timeout=5000)
    qtbot.keyClicks(w.editor, "!")
    assert w.editor.document_text() == "content of B!"


def test_cancel_keeps_the_current_document_and_ends_the_read(
        qtbot, make_window, tmp_path, slow_file):
    w, a = window_with_a(qtbot, make_window, tmp_path)
    w.documents.open_file(str(slow_file.path))
    assert opening_bar(w).isVisible() and w.threads.busy()
    qtbot.mouseClick(opening_bar(w).findChild(QPushButton, "cancelOpenButton"),
                     Qt.MouseButton.LeftButton)
    assert not opening_bar(w).isVisible() and not w.editor.isReadOnly()
    assert w.documents.path == str(a) and w.editor.document_text() == A_TEXT
    qtbot.waitUntil(lambda: not w.threads.busy(), timeout=5000)  # the read gave up


def test_a_save_still_in_flight_when_an_open_completes_leaves_the_new_file_alone(
        qtbot, make_window, tmp_path, monkeypatch):
    """The save's "done" arrives after B is in: it must not retitle B as A
    (a later Ctrl+S would then write B's text into A)."""
    w, a = window_with_a(qtbot, make_window, tmp_path)
    b = tmp_path / "B.txt"
    b.write_text("content of B", encoding="utf-8")
    gate = threading.Event()
    real_write = workers.write_document

    def slow_write(path, text, fmt):
        gate.wait(60)
        real_write(path, text, fmt)

    monkeypatch.setattr(workers, "write_document", slow_write)
    qtbot.keyClicks(w.editor, "typed")
    assert w.documents.save_to(str(a))
    try:
        open_and_wait(qtbot, w, b)  # the read does not wait for the save
    finally:
        gate.set()
    qtbot.waitUntil(lambda: not w.documents.saving, timeout=10_000)
    assert a.read_text(encoding="utf-8") == A_TEXT + "typed"
    assert w.documents.path == str(b) and w.windowTitle().startswith("B.txt")
    assert w.editor.document_text() == "content of B"
    assert not w.editor.document().isModified()


def test_a_large_file_asks_first_then_opens_with_progress(
        qtbot, make_window, tmp_path, monkeypatch):
    from lstmwriter.gui import opening

    monkeypatch.setattr(documents, "LARGE_FILE_BYTES", 200_000)
    monkeypatch.setattr(documents, "CHUNK_BYTES", 1 << 16)
    monkeypatch.setattr(opening, "BUILD_CHUNK_CHARS", 1 << 16)
    line = "All work and no play makes a long file, line after line.\n"
    big = tmp_path / "big.txt"
    big.write_text(line * 60_000, encoding="utf-8")  # 3.42 MB
    w, a = window_with_a(qtbot, make_window, tmp_path)

    w.documents.open_file(str(big))
    bar = opening_bar(w)
    anyway = bar.findChild(QPushButton, "openAnywayButton")
    qtbot.waitUntil(anyway.isVisible, timeout=10_000)
    assert "3.4 MB" in bar.findChild(QLabel, "openingLabel").text()
    assert w.documents.path == str(a)
    assert w.editor.document_text() == A_TEXT  # not read yet

    progress = bar.findChild(QProgressBar, "openingProgress")
    values: list[int] = []
    progress.valueChanged.connect(values.append)
    loaded: list[str] = []
    w.documents.document_loaded.connect(loaded.append)
    qtbot.mouseClick(anyway, Qt.MouseButton.LeftButton)
    label = bar.findChild(QLabel, "openingLabel")
    qtbot.waitUntil(lambda: "Laying out" in label.text(), timeout=15_000)
    qtbot.keyClicks(w.editor, "zzz")  # while the text is laid out: dropped
    qtbot.waitUntil(lambda: loaded == [str(big)], timeout=30_000)
    assert w.editor.document_text() == line * 60_000
    assert w.documents.path == str(big) and not w.editor.document().isModified()
    assert w.editor.textCursor().atStart()  # suggestions do not read it all at once
    assert any(0 < v < 1000 for v in values), values  # it showed progress
    assert a.read_text(encoding="utf-8") == A_TEXT


def test_a_failed_save_in_a_read_only_folder_names_the_file_and_the_cause(
        qtbot, make_window, tmp_path, monkeypatch):
    """What a folder the writer may not write in gives (EPERM on the temporary
    file): the message names their file and the permission, not the temporary
    file or free space."""
    target = tmp_path / "mydoc.txt"
    w = make_window()
    w.editor.insertPlainText("words")

    def mkstemp(prefix="", suffix="", dir=None):
        raise PermissionError(errno.EPERM, "Operation not permitted",
                              os.path.join(dir, f"{prefix}rh_l9jwv{suffix}"))

    monkeypatch.setattr(checkpoint.tempfile, "mkstemp", mkstemp)
    w.documents.save_to(str(target))
    qtbot.waitUntil(lambda: bool(w.findChildren(QMessageBox, "errorDialog")),
                    timeout=10_000)
    message = w.findChildren(QMessageBox, "errorDialog")[0].text()
    assert message.startswith(f"{target}: Operation not permitted")
    assert ".tmp" not in message and "free some space" not in message
    assert f"you may not write in {tmp_path}" in message
    assert w.editor.document().isModified() and not target.exists()


def test_discarded_copies_are_pruned_to_the_last_ten(qtbot, make_window):
    w = make_window()
    for i in range(KEEP_OLD + 3):
        w.editor.insertPlainText(f"draft {i}")
        w.documents.new_document()  # the prompt says discard: a copy goes to old/
    last = f"draft {KEEP_OLD + 2}"

    def kept() -> list[Path]:
        return sorted((recovery_dir() / "old").glob("discarded-*.json"))

    def settled() -> bool:  # one listing: between two, the last copy may land
        files = kept()
        return len(files) == KEEP_OLD and last in files[-1].read_text(encoding="utf-8")

    # The file worker writes each copy, then prunes (off the GUI thread).
    qtbot.waitUntil(settled, timeout=10_000)
    kept = kept()
    assert len(kept) == KEEP_OLD
    assert f"draft {KEEP_OLD + 2}" in kept[-1].read_text(encoding="utf-8")
    assert not any("draft 0" in p.read_text(encoding="utf-8") for p in kept)


def test_discarded_text_is_written_off_the_gui_thread_even_at_close(
        qtbot, make_window, monkeypatch):
    calls = []
    real = workers.write_discarded_copy

    def recording(folder, record):
        calls.append(threading.get_ident())
        real(folder, record)

    monkeypatch.setattr(workers, "write_discarded_copy", recording)
    w = make_window()
    w.editor.insertPlainText("first draft")
    w.documents.new_document()  # the prompt says discard
    qtbot.waitUntil(lambda: len(calls) == 1, timeout=10_000)
    w.editor.insertPlainText("last words")
    assert w.close()  # discarded too: written before the file thread ends
    assert len(calls) == 2 and threading.get_ident() not in calls
    texts = [p.read_text(encoding="utf-8")
             for p in (recovery_dir() / "old").glob("discarded-*.json")]
    assert sum("first draft" in t for t in texts) == 1
    assert sum("last words" in t for t in texts) == 1


def test_a_suggestion_cannot_be_accepted_into_a_document_being_replaced(
        qtbot, window_with_model, slow_file):
    from .conftest import wait_for_suggestions

    w = window_with_model
    qtbot.keyClicks(w.editor, "The quick brown ")
    wait_for_suggestions(qtbot, w)
    before = w.editor.document_text()
    w.documents.open_file(str(slow_file.path))
    qtbot.keyClick(w.editor, Qt.Key.Key_Tab)
    w.pane.chosen.emit(0)  # a click in the pane
    assert w.editor.document_text() == before


def test_words_are_not_counted_in_a_huge_text(qtbot, make_window, monkeypatch):
    """Counting words in 100 MB held the window for many seconds after opening."""
    from lstmwriter.gui import main_window

    monkeypatch.setattr(main_window, "COUNT_WORDS_MAX_CHARS", 50)
    w = make_window()
    w.editor.insertPlainText("word " * 20)
    w._update_counts()
    assert w.count_label.text() == "100 characters"
    w.editor.setPlainText("a few words")
    w._update_counts()
    assert w.count_label.text() == "3 words · 11 characters"


def test_closing_while_a_text_is_laid_out_never_swaps_it_in(
        qtbot, make_window, tmp_path, monkeypatch):
    from lstmwriter.gui import opening

    monkeypatch.setattr(opening, "BUILD_CHUNK_CHARS", 1 << 14)
    w, a = window_with_a(qtbot, make_window, tmp_path)
    big = tmp_path / "big.txt"
    big.write_text("line of text\n" * 40_000, encoding="utf-8")  # 32 slices
    w.documents.open_file(str(big))
    label = opening_bar(w).findChild(QLabel, "openingLabel")
    qtbot.waitUntil(lambda: "Laying out" in label.text(), timeout=15_000)
    with qtbot.assertNotEmitted(w.documents.document_loaded, wait=3000):
        w.close()
    assert w.documents.path == str(a) and w.editor.document_text() == A_TEXT
