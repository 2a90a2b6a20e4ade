"""The document in the editor and its file: New, Open, Save in the encoding it
was read in, and the recovery copy of unsaved text.

Opening goes through `opening.DocumentOpener`, so two files are never mixed up.
Saves, recovery copies and discarded text are written by the FileWorker on the
controller's own long-lived thread; only Save before closing (or before the
text is replaced) writes on the GUI thread, as the window waits for it anyway.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtGui import QTextCursor, QTextDocument
from PySide6.QtWidgets import QFileDialog, QInputDialog, QWidget

from ..core import documents
from ..core.corpus import count_words
from ..core.documents import TextFormat
from . import dialogs
from .opening import DocumentOpener, swap_document
from .recovery import RecoveredText, RecoveryBar, RecoverySession
from .settings import AppSettings
from .workers import FileWorker, WorkerThreads, persistent_thread

if TYPE_CHECKING:
    from .editor import WriterEditor

__all__ = ["AUTOSAVE_MS", "DocumentController"]

# The recovery copy is written every AUTOSAVE_MS while the text differs from the
# last copy: a repeating timer, not a pause in typing, so steady typing is
# copied too and a crash loses at most this much (plus a write) of work.
AUTOSAVE_MS = 3000
TEXT_FILTER = "Text (*.txt *.md *.markdown *.text);;All files (*)"


class DocumentController(QObject):
    """The text in the editor and its file: New, Open (DocumentOpener), Save
    (the file worker, off the GUI thread) in the encoding it was read in, and
    the recovery copy of unsaved text: written every AUTOSAVE_MS while it
    changes, offered after a crash (RecoveryBar), kept when discarded."""

    document_loaded = Signal(str)  # path of a text just opened
    document_saved = Signal(str)  # path of a text just saved
    document_replaced = Signal()  # New or Open: the editor holds another text
    changed = Signal()  # the path or the format changed (the title follows)
    recent_changed = Signal()  # the recent files (AppSettings) changed
    status_changed = Signal(str, int)  # status bar message, ms (0: until replaced)
    failed = Signal(str, str)  # title, message for the user
    write_requested = Signal(int, str, str, object)  # request id, path, text, format
    recovery_write_requested = Signal(int, str, object)  # request id, path, record
    recovery_remove_requested = Signal(int, str)  # request id, path
    discarded_keep_requested = Signal(int, str, object)  # request id, folder, record
    files_finish_requested = Signal()  # after the writes asked for: end the thread

    def __init__(self, editor: WriterEditor, recovery_bar: RecoveryBar,
                 settings: AppSettings, threads: WorkerThreads,
                 window: QWidget) -> None:
        super().__init__(window)
        self.editor = editor
        self.settings = settings
        self.recovery_bar = recovery_bar
        self._window = window  # the dialogs' parent
        self.recovery = RecoverySession()
        self.path: str | None = None
        self.text_format: TextFormat = documents.UTF8  # how the file is encoded
        self._io_id = 0
        # id -> path, text, fmt, the document's generation when the save began
        self._saving: dict[int, tuple[str, str, TextFormat, int]] = {}
        self._generation = 0  # +1 whenever the editor starts holding another text
        self._recovery_dirty = False
        self._recovery_written = False
        self._orphans: list[RecoveredText] = []
        self._closing = False
        self.opener = DocumentOpener(editor, threads, window)
        self.opener.built.connect(self._on_opener_built)
        self.opener.failed.connect(self._on_opener_failed)
        recovery_bar.restore_clicked.connect(self._on_recovery_bar_restore_clicked)
        recovery_bar.discard_clicked.connect(self._on_recovery_bar_discard_clicked)
        editor.textChanged.connect(self._on_editor_text_changed)

        self.file_worker = FileWorker()
        self.file_thread = persistent_thread(self.file_worker, "files", window)
        self.write_requested.connect(self.file_worker.write_text)
        self.recovery_write_requested.connect(self.file_worker.write_recovery)
        self.recovery_remove_requested.connect(self.file_worker.remove)
        self.discarded_keep_requested.connect(self.file_worker.keep_discarded)
        self.files_finish_requested.connect(self.file_worker.finish)
        self.file_worker.written.connect(self._on_file_worker_written)
        self.file_worker.failed.connect(self._on_file_worker_failed)
        self.file_thread.start()
        self._autosave_timer = QTimer(self)
        self._autosave_timer.setInterval(AUTOSAVE_MS)
        self._autosave_timer.timeout.connect(self.autosave_now)

    @property
    def recovery_written(self) -> bool:
        """Whether this session has written its recovery copy at least once."""
        return self._recovery_written

    @property
    def saving(self) -> bool:
        """Whether a save is still being written."""
        return bool(self._saving)

    @property
    def orphans(self) -> tuple[RecoveredText, ...]:
        """The texts crashed sessions left, as offered at start."""
        return tuple(self._orphans)

    def start(self) -> None:
        """Offer what crashed sessions left, then keep the recovery copy."""
        self._orphans = self.recovery.orphans()
        self._show_next_orphan()
        self._autosave_timer.start()

    def stop(self) -> None:
        """Closing: no more recovery copies, and a text still being laid out is
        not swapped in."""
        self._closing = True
        self._autosave_timer.stop()
        self.opener.cancel()

    def wait(self, timeout_ms: int) -> None:
        """End the file thread once the writes asked for are done, then remove
        this session's recovery copy (a clean exit)."""
        self.files_finish_requested.emit()
        self.file_thread.wait(timeout_ms)
        self.recovery.close()

    def document_name(self) -> str:
        """The file's name, or "Untitled"."""
        return Path(self.path).name if self.path else "Untitled"

    def _status(self, text: str, ms: int = 5000) -> None:
        self.status_changed.emit(text, ms)

    # -- new, open ---------------------------------------------------------------
    @Slot()
    def new_document(self) -> None:
        """An empty, untitled text (after asking about unsaved changes)."""
        if not self.confirm_discard():
            return
        self.opener.cancel()
        self._generation += 1
        self.editor.setPlainText("")
        self.document_replaced.emit()
        self.path = None
        self.text_format = documents.UTF8
        self.editor.document().setModified(False)
        self._remove_recovery_copy()
        self.changed.emit()

    @Slot()
    def ask_open(self) -> None:
        """File ▸ Open: choose a text file and open it."""
        start = self.settings.get("files/last_dir", str(Path.home()))
        path, _ = QFileDialog.getOpenFileName(self._window, "Open text", start,
                                              TEXT_FILTER)
        if path:
            self.open_file(path)

    def open_file(self, path: str, encoding: str = "") -> None:
        """Read `path` (off the GUI thread) into the editor, in `encoding` (a
        Python codec name; "" detects it). Until it is in, the current text
        stays, read-only, and can still be saved (DocumentOpener)."""
        if not self.confirm_discard():
            return
        self._status(f"Opening {path}…", 0)
        self.opener.start(str(path), encoding)

    @Slot()
    def ask_reopen_with_encoding(self) -> None:
        """File ▸ Reopen with Encoding: read the file again in another codec."""
        if not self.path:
            self.failed.emit("Nothing to reopen", "This text is not in a file yet: "
                             "Reopen with Encoding reads the current file again.")
            return
        items = list(documents.ENCODINGS)
        if self.text_format.encoding not in items:
            items.insert(0, self.text_format.encoding)
        choice, ok = QInputDialog.getItem(
            self._window, "Reopen with encoding",
            f"Read “{self.document_name()}” again as:", items,
            items.index(self.text_format.encoding), False)
        if ok and choice:
            self.open_file(self.path, choice)

    @Slot(str, object, object, bool)
    def _on_opener_built(self, path: str, doc: QTextDocument, fmt: TextFormat,
                         mixed: bool) -> None:
        """The text, its path and its modified flag change here, together."""
        self._generation += 1
        self.document_replaced.emit()
        swap_document(self.editor, doc)
        if doc.characterCount() <= documents.LARGE_FILE_BYTES:
            # A huge text keeps the cursor at its start: suggestions read all the
            # text before the cursor, which would hold the window for seconds.
            self.editor.moveCursor(QTextCursor.MoveOperation.End)
        self._set_clean_document(path, fmt)
        notes = []
        if fmt.encoding != "utf-8":
            notes.append(f"read as {fmt.encoding}; Save writes it back in "
                         f"{fmt.encoding}")
        if mixed:
            notes.append(f"mixed line endings: Save writes {fmt.newline_name}")
        note = f" ({'; '.join(notes)})" if notes else ""
        self._status(f"Opened {path}{note}", 10_000)
        self.document_loaded.emit(path)

    @Slot(str, str, str)
    def _on_opener_failed(self, path: str, encoding: str, message: str) -> None:
        self._status("")
        if not encoding:  # not just the wrong encoding asked
            self.settings.remove_recent(path)
            self.recent_changed.emit()
        self.failed.emit("Cannot open the file", message)

    # -- save --------------------------------------------------------------------
    @Slot()
    def save(self) -> None:
        """Save to the current file (off the GUI thread), or ask where."""
        path = self.path or self._ask_save_path()
        if path:
            self.save_to(path)

    @Slot()
    def save_as(self) -> None:
        """Ask where, then save there."""
        path = self._ask_save_path()
        if path:
            self.save_to(path)

    def save_to(self, path: str) -> bool:
        """Save (off the GUI thread) in the document's encoding; False if not
        started (the text holds characters that encoding cannot represent and
        the writer declined UTF-8)."""
        text = self.editor.document_text()
        fmt = self._format_for_saving(text)
        if fmt is None:
            return False
        self._io_id += 1
        self._saving[self._io_id] = (path, text, fmt, self._generation)
        self.write_requested.emit(self._io_id, path, text, fmt)
        return True

    def confirm_discard(self) -> bool:
        """Before losing the text: True if it is saved, or may be dropped."""
        if not self.editor.document().isModified():
            return True
        answer = dialogs.ask_unsaved(self._window, self.document_name())
        if answer == "save":
            return self._save_blocking()
        if answer == "discard":
            self._keep_discarded_copy()
            return True
        return False

    def _keep_discarded_copy(self) -> None:
        """Even discarded text goes to recovery/old for a while: never lost."""
        text = self.editor.document_text()
        if text.strip():
            record = self.recovery.record(text, self.path, self.text_format.to_dict())
            self._io_id += 1
            self.discarded_keep_requested.emit(self._io_id, str(self.recovery.folder),
                                               record)

    def _save_blocking(self) -> bool:
        """Save now (used before closing or replacing the text)."""
        path = self.path or self._ask_save_path()
        if not path:
            return False
        text = self.editor.document_text()
        fmt = self._format_for_saving(text)
        if fmt is None:
            return False
        try:
            documents.write_document(path, text, fmt)
        except (OSError, ValueError) as exc:
            self.failed.emit("Cannot save", documents.describe_save_error(path, exc))
            return False
        self._after_save(path, fmt)
        return True

    def _after_save(self, path: str, fmt: TextFormat) -> None:
        changed = fmt != self.text_format
        self._set_clean_document(path, fmt)
        self._status(f"Saved {path}" + (f" as {fmt.label}" if changed else ""))
        self.document_saved.emit(path)

    def _set_clean_document(self, path: str, fmt: TextFormat) -> None:
        """The editor now holds exactly the file at `path`, stored as `fmt`."""
        self.path = path
        self.text_format = fmt
        self.editor.document().setModified(False)
        self.settings.set("files/last_dir", str(Path(path).parent))
        self.settings.add_recent(path)
        self.recent_changed.emit()
        self.changed.emit()
        self._remove_recovery_copy()

    def _ask_save_path(self) -> str | None:
        start = self.path or str(Path(self.settings.get("files/last_dir",
                                                        str(Path.home())))
                                 / "Untitled.txt")
        path, _ = QFileDialog.getSaveFileName(self._window, "Save text", start,
                                              TEXT_FILTER)
        return path or None

    def _format_for_saving(self, text: str) -> TextFormat | None:
        """The document's format; UTF-8 if its encoding cannot represent the
        text and the writer agrees; None: do not save (never a lossy write)."""
        fmt = self.text_format
        if fmt.is_unicode:
            return fmt
        bad = documents.unencodable(text, fmt.encoding)
        if not bad:
            return fmt
        if dialogs.ask_save_as_utf8(self._window, self.document_name(), fmt.label,
                                    bad):
            return TextFormat("utf-8", False, fmt.newline)
        self._status(f"Not saved: {fmt.encoding} cannot hold "
                     f"{' '.join(bad[:8])}; remove them, or save as UTF-8.", 15_000)
        return None

    @Slot(int, str, str)
    def _on_file_worker_written(self, request_id: int, path: str, kind: str) -> None:
        if kind == "recovery":
            self._recovery_written = True
            return
        if kind != "save" or request_id not in self._saving:
            return
        _path, text, fmt, generation = self._saving.pop(request_id)
        if generation != self._generation:  # another text is in the editor now
            self._status(f"Saved {path}")
            self.document_saved.emit(path)
        elif self.editor.document_text() == text:
            self._after_save(path, fmt)
        else:  # typed on while it was written: saved, but not all of it
            self.path = path
            self.text_format = fmt
            self.changed.emit()
            self._status(f"Saved {path} (newer changes are not saved yet)")

    @Slot(int, str, str, str)
    def _on_file_worker_failed(self, request_id: int, path: str, kind: str,
                               message: str) -> None:
        self._saving.pop(request_id, None)
        if kind == "save":
            self.failed.emit("Cannot save", message)
        elif kind == "recovery":
            self._status(f"Could not write the recovery copy: {message}", 10_000)

    # -- recovery ----------------------------------------------------------------
    @Slot()
    def _on_editor_text_changed(self) -> None:
        self._recovery_dirty = True

    @Slot()
    def autosave_now(self) -> None:
        """Write the recovery copy if the text changed since the last one."""
        if not self._recovery_dirty or self._closing:
            return
        self._recovery_dirty = False
        if not self.editor.document().isModified():
            self._remove_recovery_copy()
            return
        record = self.recovery.record(self.editor.document_text(), self.path,
                                      self.text_format.to_dict())
        self._io_id += 1
        self.recovery_write_requested.emit(self._io_id, str(self.recovery.file), record)

    def _remove_recovery_copy(self) -> None:
        self._recovery_dirty = False
        if self._recovery_written:
            self._recovery_written = False
            self._io_id += 1
            self.recovery_remove_requested.emit(self._io_id, str(self.recovery.file))

    def _show_next_orphan(self) -> None:
        if self._orphans:
            orphan = self._orphans[0]
            self.recovery_bar.offer(orphan, count_words(orphan.text))
        else:
            self.recovery_bar.hide()

    @Slot()
    def _on_recovery_bar_restore_clicked(self) -> None:
        if not self._orphans:
            return
        orphan = self._orphans.pop(0)
        self.opener.cancel()
        self._generation += 1
        cursor = self.editor.textCursor()  # one undoable edit: nothing typed is lost
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertText(orphan.text)
        self.editor.setTextCursor(cursor)
        self.path = orphan.document_path
        self.text_format = TextFormat.from_dict(orphan.file_format)
        self.editor.document().setModified(True)
        self.changed.emit()
        self.recovery.retire(orphan)
        self._recovery_dirty = True
        self.autosave_now()
        self._status(f"Restored {orphan.label}; save it to keep it.", 10_000)
        self._show_next_orphan()

    @Slot()
    def _on_recovery_bar_discard_clicked(self) -> None:
        if self._orphans:
            self.recovery.retire(self._orphans.pop(0))
        self._show_next_orphan()
