"""Opening a document so that two files can never be mixed up.

While a file is read (off the GUI thread, in chunks, with progress) and its
text is laid out (on the GUI thread, in slices, so the window stays live), the
editor keeps the current document, read-only, under the "Opening…" bar with
Cancel: Save and the recovery copy still work on it, and nothing typed can end
up in the wrong file. The new text is built in a separate QTextDocument and
swapped in at once (`swap_document`), in the same slot that sets the path and
the modified flag. A file above `documents.LARGE_FILE_BYTES` asks first.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtGui import QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextDocumentLayout,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QWidget,
)

from ..core import documents
from .workers import TaskWorker, WorkerThreads

__all__ = ["DocumentOpener", "OpenWorker", "OpeningBar", "swap_document"]

BUILD_CHUNK_CHARS = 1 << 18  # characters laid out per event-loop turn (~15 ms)
# Editing resumes this long after the new text is in: keys pressed while the
# swap held the GUI thread reach the (read-only) editor first and are dropped.
RESUME_EDITING_MS = 50


def _megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB" if size < 10e6 else f"{size / 1e6:,.0f} MB"


class OpenWorker(TaskWorker):
    """Reads and decodes one file (`documents.read_file`, `read_document`).

    The result is {"path", "text", "format", "mixed"}; or {"path", "size"}
    without reading, for a file above LARGE_FILE_BYTES not yet agreed to;
    None when cancelled."""

    def __init__(self, path: str, encoding: str, allow_large: bool,
                 task_id: int = 0) -> None:
        def task(on_progress: Callable[[int, int], None],
                 cancel: threading.Event) -> dict[str, Any] | None:
            if not allow_large:
                size = os.stat(path).st_size
                if size > documents.LARGE_FILE_BYTES:
                    return {"path": path, "size": size}
            return _read(path, encoding, on_progress, cancel)

        super().__init__(task, f"opening {path}", task_id)


def _read(path: str, encoding: str, on_progress: Callable[[int, int], None],
          cancel: threading.Event) -> dict[str, Any] | None:
    data = documents.read_file(path, on_progress, cancel)
    if data is None:
        return None
    try:
        text, fmt, mixed = documents.read_document(data, encoding or None)
    except LookupError:
        raise ValueError(f"unknown encoding {encoding!r}") from None
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    return {"path": path, "text": text, "format": fmt, "mixed": mixed}


class OpeningBar(QFrame):
    """Above the editor while a file opens (objectName `openingBar`): what is
    happening, a progress bar, Cancel, and "Open anyway" for a large file."""

    cancel_clicked = Signal()
    open_anyway_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("openingBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel(self)
        self.label.setObjectName("openingLabel")
        self.label.setWordWrap(True)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("openingProgress")
        self.progress.setMaximumWidth(220)
        self.open_anyway = QPushButton("Open anyway", self)
        self.open_anyway.setObjectName("openAnywayButton")
        cancel = QPushButton("Cancel", self)
        cancel.setObjectName("cancelOpenButton")
        row = QHBoxLayout(self)
        row.addWidget(self.label, 1)
        row.addWidget(self.progress)
        row.addWidget(self.open_anyway)
        row.addWidget(cancel)
        cancel.clicked.connect(self.cancel_clicked)
        self.open_anyway.clicked.connect(self.open_anyway_clicked)
        self.hide()

    def show_busy(self, text: str, done: int = 0, total: int = 0) -> None:
        """`text` with a bar: a share of `total`, or busy when total is 0."""
        self.label.setText(text)
        self.open_anyway.hide()
        self.progress.show()
        self.progress.setRange(0, 1000 if total else 0)
        if total:
            self.progress.setValue(min(1000, done * 1000 // total))
        self.show()

    def ask_large(self, name: str, size: int) -> None:
        """Ask before opening a file above LARGE_FILE_BYTES."""
        need = _megabytes(size * documents.MEMORY_MULTIPLE)
        self.label.setText(
            f"<b>{name}</b> is {_megabytes(size)}. Files over "
            f"{_megabytes(documents.LARGE_FILE_BYTES)} open slowly and need about "
            f"{documents.MEMORY_MULTIPLE}× their size in memory (here {need}). "
            f"The current text stays until it is open.")
        self.progress.hide()
        self.open_anyway.show()
        self.show()


class _DocumentBuilder(QObject):
    """Lays `text` out in a new QTextDocument, a slice per event-loop turn."""

    progressed = Signal(int, int)  # characters laid out, in all
    built = Signal(object)  # the QTextDocument (parented to the editor)

    def __init__(self, text: str, editor: QPlainTextEdit) -> None:
        super().__init__(editor)
        self._text = text
        self._done = 0
        self.document = _empty_document_like(editor)
        self._cursor = QTextCursor(self.document)
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._step)
        self._timer.start()

    @Slot()
    def _step(self) -> None:
        end = self._done + BUILD_CHUNK_CHARS
        self._cursor.insertText(self._text[self._done:end])
        self._done = min(end, len(self._text))
        if self._done < len(self._text):
            self.progressed.emit(self._done, len(self._text))
            return
        self._timer.stop()
        self._text = ""
        self.document.setUndoRedoEnabled(True)  # a fresh history, as setPlainText
        self.document.setModified(False)
        self.built.emit(self.document)

    def cancel(self) -> None:
        """Stop and free the half-built document."""
        self._timer.stop()
        self._text = ""
        self.document.deleteLater()
        self.deleteLater()


def _empty_document_like(editor: QPlainTextEdit) -> QTextDocument:
    """A document set up as the editor's own (font, wrapping, margin)."""
    current = editor.document()
    doc = QTextDocument(editor)  # freed with the editor if never swapped in
    doc.setDocumentLayout(QPlainTextDocumentLayout(doc))
    doc.setDefaultFont(current.defaultFont())
    doc.setDefaultTextOption(current.defaultTextOption())
    doc.setDocumentMargin(current.documentMargin())
    doc.setUndoRedoEnabled(False)  # no undo step for the loading itself
    return doc


def swap_document(editor: QPlainTextEdit, doc: QTextDocument) -> None:
    """Show `doc` in `editor` and free the document it replaces. (Qt frees the
    editor's default document itself; ours are children of the editor.)"""
    old = editor.document()
    ours = old.parent() is editor  # asked before: setDocument deletes Qt's own
    editor.setDocument(doc)
    if ours:
        old.deleteLater()


class DocumentOpener(QObject):
    """Opens files for the window: one at a time, cancellable, never touching
    the current document until the new one is complete (`built`)."""

    built = Signal(str, object, object, bool)  # path, QTextDocument, TextFormat, mixed
    failed = Signal(str, str, str)  # path, encoding asked ("" = detected), message

    def __init__(self, editor: QPlainTextEdit, threads: WorkerThreads,
                 parent: QWidget) -> None:
        super().__init__(parent)
        self.editor = editor
        self.bar = OpeningBar(parent)
        self._threads = threads
        self._task_id = 0
        self._worker: OpenWorker | None = None
        self._builder: _DocumentBuilder | None = None
        self._path = ""
        self._encoding = ""
        self._result: dict[str, Any] = {}
        self._resume = QTimer(self)
        self._resume.setSingleShot(True)
        self._resume.setInterval(RESUME_EDITING_MS)
        self._resume.timeout.connect(self._on_resume_timeout)
        self.bar.cancel_clicked.connect(self.cancel)
        self.bar.open_anyway_clicked.connect(self._on_bar_open_anyway_clicked)

    @property
    def pending(self) -> str | None:
        """The path being opened (or asked about), None when idle."""
        return self._path or None

    def start(self, path: str, encoding: str = "", allow_large: bool = False) -> None:
        """Open `path` in `encoding` ("" detects it); replaces a pending open."""
        self.cancel()
        self._task_id += 1
        worker = OpenWorker(path, encoding, allow_large, self._task_id)
        worker.progressed.connect(self._on_worker_progressed)
        worker.succeeded.connect(self._on_worker_succeeded)
        worker.failed.connect(self._on_worker_failed)
        self._worker = worker
        self._path, self._encoding = path, encoding
        self._resume.stop()
        self.editor.setReadOnly(True)
        self.bar.show_busy(f"Opening <b>{Path(path).name}</b>… the current text "
                           "stays until it is read.")
        self._threads.start(worker, "open")

    @Slot()
    def cancel(self) -> None:
        """Drop a pending open; the current document is left as it was."""
        if self._worker is not None:
            self._worker.request_stop()
        if self._builder is not None:
            self._builder.cancel()
        self._end()
        self.editor.setReadOnly(False)

    def _end(self) -> None:
        self._worker = None
        self._builder = None
        self._path = ""
        self._result = {}
        self.bar.hide()

    def _is_current(self, task_id: int) -> bool:
        return self._worker is not None and self._worker.task_id == task_id

    @Slot(int, int, int)
    def _on_worker_progressed(self, task_id: int, done: int, total: int) -> None:
        if self._is_current(task_id):
            self.bar.show_busy(f"Reading <b>{Path(self._path).name}</b>… "
                               f"{_megabytes(done)}", done, total)

    @Slot(int, object)
    def _on_worker_succeeded(self, task_id: int, result: dict | None) -> None:
        if not self._is_current(task_id) or result is None:
            return
        if "size" in result:
            self.bar.ask_large(Path(self._path).name, result["size"])
            return
        self._result = result
        self._builder = _DocumentBuilder(result.pop("text"), self.editor)
        self._builder.progressed.connect(self._on_builder_progressed)
        self._builder.built.connect(self._on_builder_built)

    @Slot(int, str)
    def _on_worker_failed(self, task_id: int, message: str) -> None:
        if self._is_current(task_id):
            path, encoding = self._path, self._encoding
            self.cancel()
            self.failed.emit(path, encoding, message)

    @Slot()
    def _on_bar_open_anyway_clicked(self) -> None:
        if self._path:
            self.start(self._path, self._encoding, allow_large=True)

    @Slot(int, int)
    def _on_builder_progressed(self, done: int, total: int) -> None:
        self.bar.show_busy(f"Laying out <b>{Path(self._path).name}</b>…", done, total)

    @Slot(object)
    def _on_builder_built(self, doc: QTextDocument) -> None:
        result, path = self._result, self._path
        self._builder.deleteLater()
        self._end()
        self.built.emit(path, doc, result["format"], result["mixed"])
        self._resume.start()  # after the swap, which may hold the thread a while

    @Slot()
    def _on_resume_timeout(self) -> None:
        if self._path == "":
            self.editor.setReadOnly(False)
