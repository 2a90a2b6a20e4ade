"""The writing area: a plain-text editor that shows the current suggestion as grey
ghost text after the cursor, and the find bar.

The ghost text is painted over the viewport, never put in the document, so undo,
save and the recovery copy never see it.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import (
    QColor,
    QFontMetricsF,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QTextCursor,
    QTextDocument,
    QTextLayout,
    QTextOption,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QToolButton,
    QWidget,
)

from .suggestions import SuggestionSet

__all__ = ["FindBar", "WriterEditor"]

_MAX_GHOST_LINES = 8
# Inserted and removed again inside the acceptance's edit block: it ends the
# block with a removal, so the next typed character starts a new undo step
# instead of merging into the accepted text.
_UNDO_BARRIER = "\u2060"


class WriterEditor(QPlainTextEdit):
    """QPlainTextEdit with inline suggestions (objectName `editor`).

    Suggestion keys act only while a suggestion is showing: Tab accepts, Esc
    dismisses, Alt+] / Alt+[ cycle, Ctrl+Right takes the next word, Alt+1..9
    accept the n-th alternative. Otherwise the keys edit text as usual.
    """

    context_changed = Signal()  # the text before the cursor or the selection changed
    suggestions_changed = Signal()  # alternatives, their index or visibility changed
    suggestion_accepted = Signal(str, bool)  # inserted text, whole (False: one word)
    dismissed = Signal()  # Esc: the writer does not want the current suggestions

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("editor")
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.setTabChangesFocus(False)
        font = self.font()
        font.setPointSizeF(max(12.0, font.pointSizeF() + 2))  # a page to write on
        self.setFont(font)
        self.document().setDocumentMargin(16)
        self.document().setModified(False)  # the margin counts as a change
        self.suggestions = SuggestionSet()
        self._partial = False  # inside a partial acceptance: keep the suggestions
        self._context_timer = QTimer(self)
        self._context_timer.setSingleShot(True)
        self._context_timer.setInterval(0)  # coalesce text + cursor signals, no delay
        self._context_timer.timeout.connect(self.context_changed)
        self.textChanged.connect(self._on_edited)
        self.cursorPositionChanged.connect(self._on_edited)
        self.selectionChanged.connect(self._on_edited)

    def document_text(self) -> str:
        """The text exactly as it is, for saving and recovery copies.

        toPlainText() turns no-break spaces into plain spaces and line
        separators (U+2028) into newlines: saving that would change the file.
        The raw text differs only in its block separators (U+2029)."""
        return self.document().toRawText().replace("\u2029", "\n")

    # -- the suggestions -----------------------------------------------------
    def text_before_cursor(self) -> str:
        """The context for suggestions: all the text before the cursor (the
        Sampler reads only what changed), or "" while text is selected."""
        cursor = self.textCursor()
        if cursor.hasSelection() or cursor.atStart():  # no copy of a huge text
            return ""
        return self.document().toPlainText()[:cursor.position()]

    def context_pending(self) -> bool:
        """True between an edit and the (same-tick) context_changed signal."""
        return self._context_timer.isActive()

    def add_pieces(self, pieces: list[str]) -> None:
        """Append a streamed batch (one piece per alternative)."""
        self.suggestions.extend(pieces)
        self._changed()

    def add_best(self, piece: str) -> None:
        """Append the next piece (a word) of the best guess."""
        self.suggestions.extend_best(piece)
        self._changed()

    def clear_suggestions(self) -> None:
        had = bool(self.suggestions) or self.suggestions.dismissed
        self.suggestions.clear()
        if had:
            self._changed()

    def ghost_text(self) -> str:
        """What is painted after the cursor ("" when nothing is showing)."""
        if not self._ghost_allowed():
            return ""
        return self.suggestions.current()

    def _ghost_allowed(self) -> bool:
        cursor = self.textCursor()
        if cursor.hasSelection():
            return False
        rest = cursor.block().text()[cursor.positionInBlock():]
        return not rest.strip()  # only at the end of a line: it would cover text

    def accept(self, index: int | None = None) -> bool:
        """Insert alternative `index` (default: the one shown) as one undo step."""
        if self.isReadOnly():  # a file is being opened in its place
            return False
        text = self.suggestions.take(index)
        if not text:
            return False
        self._insert(text)
        self.suggestion_accepted.emit(text, True)
        return True

    def accept_word(self) -> bool:
        """Insert the next word of the shown alternative; the rest stays."""
        if self.isReadOnly():
            return False
        word = self.suggestions.take_word()
        if not word:
            return False
        self._partial = True
        try:
            self._insert(word)
        finally:
            self._partial = False
        self._changed()
        self.suggestion_accepted.emit(word, False)
        return True

    def cycle(self, step: int) -> None:
        self.suggestions.cycle(step)
        self._changed()

    def select(self, index: int) -> None:
        """Show alternative `index` as the ghost text (the pane's selection)."""
        if self.suggestions.index != index:
            self.suggestions.select(index)
            self._changed()

    def dismiss(self) -> None:
        self.suggestions.dismissed = True
        self._changed()
        self.dismissed.emit()

    @Slot()
    def undo(self) -> None:
        """Undo, unless read-only (QPlainTextEdit.undo ignores that, and the Edit
        menu's Ctrl+Z calls it directly)."""
        if not self.isReadOnly():
            super().undo()

    @Slot()
    def redo(self) -> None:
        """Redo, unless read-only."""
        if not self.isReadOnly():
            super().redo()

    def _insert(self, text: str) -> None:
        cursor = self.textCursor()
        cursor.beginEditBlock()
        cursor.insertText(text + _UNDO_BARRIER)
        cursor.deletePreviousChar()
        cursor.endEditBlock()
        self.setTextCursor(cursor)
        self.ensureCursorVisible()

    def _changed(self) -> None:
        self.viewport().update()
        self.suggestions_changed.emit()

    @Slot()
    def _on_edited(self) -> None:
        if self._partial:
            return
        if self.suggestions or self.suggestions.dismissed:
            self.suggestions.clear()
            self._changed()
        self._context_timer.start()

    # -- keys ------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self._suggestion_key(event):
            event.accept()
            return
        super().keyPressEvent(event)

    def _suggestion_key(self, event: QKeyEvent) -> bool:
        if not self.suggestions:
            return False
        key = event.key()
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        none = Qt.KeyboardModifier.NoModifier
        alt = Qt.KeyboardModifier.AltModifier
        if mods == alt and Qt.Key.Key_1 <= key <= Qt.Key.Key_9:
            index = key - Qt.Key.Key_1
            if index < len(self.suggestions.visible()):
                self.accept(index)
            return True  # no such alternative: swallowed, not typed
        if key in (Qt.Key.Key_BracketRight, Qt.Key.Key_BracketLeft) and mods == alt \
                and self._ghost_allowed():  # also when unsure: shows an alternative
            self.cycle(1 if key == Qt.Key.Key_BracketRight else -1)
            return True
        if not self.ghost_text():
            return False
        if key == Qt.Key.Key_Tab and mods == none:
            return self.accept()
        if key == Qt.Key.Key_Escape and mods == none:
            self.dismiss()
            return True
        if key == Qt.Key.Key_Right and mods == Qt.KeyboardModifier.ControlModifier:
            return self.accept_word()
        return False

    # -- painting --------------------------------------------------------------
    def ghost_color(self) -> QColor:
        color = self.palette().color(QPalette.ColorRole.PlaceholderText)
        if not color.isValid() \
                or color == self.palette().color(QPalette.ColorRole.Text):
            color = QColor(128, 128, 128)
        return color

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        text = self.ghost_text()
        if not text:
            return
        painter = QPainter(self.viewport())
        try:
            self._paint_ghost(painter, text)
        finally:
            painter.end()

    def _paint_ghost(self, painter: QPainter, text: str) -> None:
        caret = self.cursorRect()
        margin = self.document().documentMargin()
        left = margin + self.contentOffset().x()
        right = self.viewport().width() - margin
        last_block = not self.textCursor().block().next().isValid()
        if not last_block:  # text below: one line only, or it would cover it
            text = text.split("\n", 1)[0]
            metrics = QFontMetricsF(self.font())
            text = metrics.elidedText(text, Qt.TextElideMode.ElideRight,
                                      max(10.0, right - caret.left()))
        layout = QTextLayout(text.replace("\n", "\u2028"), self.font())
        option = QTextOption()
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        layout.setTextOption(option)
        layout.beginLayout()
        y = float(caret.top())
        lines = 0
        while lines < (_MAX_GHOST_LINES if last_block else 1):
            line = layout.createLine()
            if not line.isValid():
                break
            x = float(caret.left()) if lines == 0 else left
            line.setLineWidth(max(1.0, right - x))
            line.setPosition(QPointF(x, y))
            y += line.height()
            lines += 1
        layout.endLayout()
        painter.setPen(self.ghost_color())
        painter.setClipRect(QRectF(self.viewport().rect()))
        for i in range(lines):
            layout.lineAt(i).draw(painter, QPointF(0, 0))


class FindBar(QWidget):
    """Ctrl+F: a search field under the editor; Enter finds the next match."""

    closed = Signal()  # the bar hid itself (Esc or its close button)

    def __init__(self, editor: QPlainTextEdit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("findBar")
        self._editor = editor
        self.field = QLineEdit(self)
        self.field.setObjectName("findField")
        self.field.setPlaceholderText("Find")
        self.field.setClearButtonEnabled(True)
        self.status = QLabel(self)
        previous = QToolButton(self, text="↑", toolTip="Previous match (Shift+F3)")
        following = QToolButton(self, text="↓", toolTip="Next match (F3)")
        close = QToolButton(self, text="✕", toolTip="Close (Esc)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(QLabel("Find:", self))
        layout.addWidget(self.field, 1)
        layout.addWidget(previous)
        layout.addWidget(following)
        layout.addWidget(self.status)
        layout.addWidget(close)
        self.field.returnPressed.connect(self.find_next)
        self.field.textEdited.connect(self._on_field_edited)
        previous.clicked.connect(self.find_previous)
        following.clicked.connect(self.find_next)
        close.clicked.connect(self.close_bar)
        self.hide()

    def open_bar(self) -> None:
        selected = self._editor.textCursor().selectedText()
        if selected and "\u2029" not in selected:
            self.field.setText(selected)
        self.show()
        self.field.setFocus()
        self.field.selectAll()

    def close_bar(self) -> None:
        self.hide()
        self._editor.setFocus()
        self.closed.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.close_bar()
            return
        super().keyPressEvent(event)

    @Slot()
    def find_next(self) -> bool:
        return self._find(QTextDocument.FindFlag(0))

    @Slot()
    def find_previous(self) -> bool:
        return self._find(QTextDocument.FindFlag.FindBackward)

    @Slot(str)
    def _on_field_edited(self, _text: str) -> None:
        cursor = self._editor.textCursor()
        cursor.setPosition(cursor.selectionStart())
        self._editor.setTextCursor(cursor)
        self._find(QTextDocument.FindFlag(0))

    def _find(self, flags: QTextDocument.FindFlag) -> bool:
        needle = self.field.text()
        if not needle:
            self.status.clear()
            return False
        if self._editor.find(needle, flags):
            self.status.clear()
            return True
        cursor = self._editor.textCursor()  # wrap around
        backward = bool(flags & QTextDocument.FindFlag.FindBackward)
        cursor.movePosition(QTextCursor.MoveOperation.End if backward
                            else QTextCursor.MoveOperation.Start)
        self._editor.setTextCursor(cursor)
        found = self._editor.find(needle, flags)
        self.status.setText("" if found else "not found")
        return found
