"""Small dialogs: managing stored models, the shortcut list, About, questions."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .. import __version__
from ..core.store import ModelInfo, ModelStore

__all__ = [
    "SHORTCUTS",
    "ManageModelsDialog",
    "ShortcutsDialog",
    "about_text",
    "ask_save_as_utf8",
    "ask_stop_training",
    "ask_unsaved",
    "describe_model",
]

SHORTCUTS: list[tuple[str, str]] = [
    ("Tab", "accept the suggestion shown as grey text"),
    ("Esc", "dismiss the suggestion"),
    ("Alt+]  /  Alt+[", "next / previous alternative"),
    ("Ctrl+Right", "accept the next word of the suggestion"),
    ("Alt+1 … Alt+9", "accept alternative 1 … 9"),
    ("Click or Enter in the list", "insert that alternative"),
    ("Ctrl+N / Ctrl+O", "new text / open a text"),
    ("Ctrl+S / Ctrl+Shift+S", "save / save as"),
    ("Ctrl+Z / Ctrl+Shift+Z", "undo / redo (an accepted suggestion is one step)"),
    ("Ctrl+F, F3, Shift+F3", "find, next, previous"),
    ("Ctrl+Shift+T", "show or hide the training panel"),
    ("Ctrl+Q", "quit"),
]


def ask_unsaved(parent: QWidget, name: str) -> str:
    """"save", "discard" or "cancel" for a text with unsaved changes."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved changes",
                      f"“{name}” has changes that are not saved.",
                      QMessageBox.StandardButton.Save
                      | QMessageBox.StandardButton.Discard
                      | QMessageBox.StandardButton.Cancel, parent)
    box.setObjectName("unsavedDialog")
    box.setInformativeText("Save them before going on?")
    box.setDefaultButton(QMessageBox.StandardButton.Save)
    answer = box.exec()
    return {QMessageBox.StandardButton.Save: "save",
            QMessageBox.StandardButton.Discard: "discard"}.get(
                QMessageBox.StandardButton(answer), "cancel")


def ask_save_as_utf8(parent: QWidget, name: str, encoding: str,
                     chars: list[str]) -> bool:
    """True: save as UTF-8 a text whose `encoding` cannot hold `chars`
    (False: do not save; the text stays as it is, unsaved)."""
    shown = " ".join(f"“{c}” (U+{ord(c):04X})" for c in chars[:8])
    box = QMessageBox(QMessageBox.Icon.Warning, "Save in another encoding?",
                      f"“{name}” is stored as {encoding}, which cannot hold these "
                      f"characters: {shown}.", QMessageBox.StandardButton.Cancel,
                      parent)
    box.setObjectName("encodingDialog")
    box.setInformativeText("Save it as UTF-8 instead (every character is kept)? "
                           "Programs that expect the old encoding may show the "
                           "accented letters wrongly. Cancel leaves the file as it is.")
    utf8 = box.addButton("Save as UTF-8", QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(utf8)
    box.exec()
    return box.clickedButton() is utf8


def ask_stop_training(parent: QWidget) -> bool:
    """True: stop the running training (keeping its model) and quit."""
    answer = QMessageBox.question(
        parent, "Training is running",
        "A model is being trained. Stop it, keep the model trained so far, and quit?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
    return answer == QMessageBox.StandardButton.Yes


def describe_model(info: ModelInfo) -> str:
    """One line: level, size, validation loss, when."""
    meta = info.meta
    parts = [f"{meta.get('level', '?')} level"]
    model = meta.get("model", {})
    if model:
        parts.append(f"{model.get('rnn_size', '?')}×"
                     f"{model.get('num_layers', '?')} LSTM")
    if meta.get("parameters"):
        parts.append(f"{meta['parameters'] / 1e6:.2f} M parameters")
    metrics = meta.get("metrics") or {}
    if metrics.get("val_loss") is not None:
        parts.append(f"validation loss {metrics['val_loss']:.3f}")
    if meta.get("updated"):
        parts.append(str(meta["updated"])[:10])
    if info.read_only:
        parts.append("bundled, read-only")
    return " · ".join(parts)


def about_text() -> str:
    return (f"<h3>lstmwriter {__version__}</h3>"
            "<p>A writing assistant that learns your style: train an LSTM language "
            "model on your own texts and let it suggest how to go on.</p>"
            "<p>MIT licence.</p>")


class ShortcutsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("Keyboard shortcuts")
        table = QTableWidget(len(SHORTCUTS), 2, self)
        table.setHorizontalHeaderLabels(["Keys", "Action"])
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, (keys, action) in enumerate(SHORTCUTS):
            table.setItem(row, 0, QTableWidgetItem(keys))
            table.setItem(row, 1, QTableWidgetItem(action))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Suggestion keys act only while a suggestion is "
                                "showing; otherwise they edit text as usual.", self))
        layout.addWidget(table)
        layout.addWidget(buttons)
        self.resize(620, 420)


class ManageModelsDialog(QDialog):
    """The store's models: rename, delete, open the folder."""

    models_changed = Signal()  # a model was renamed or deleted
    renamed = Signal(str, str)  # old name, new name
    deleted = Signal(str)  # name

    def __init__(self, store: ModelStore, busy: set[str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("manageModelsDialog")
        self.setWindowTitle("Models")
        self._store = store
        self._busy = busy  # names in use (loaded, or being trained)
        self.list = QListWidget(self)
        self.list.setObjectName("manageModelsList")
        self.list.setWordWrap(True)  # a long description wraps instead of being cut
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.reason = QLabel(self)
        self.reason.setObjectName("manageModelsReason")
        self.reason.setWordWrap(True)
        self.rename_button = QPushButton("Rename…", self)
        self.delete_button = QPushButton("Delete…", self)
        self.open_button = QPushButton("Open folder", self)
        buttons = QHBoxLayout()
        for button in (self.rename_button, self.delete_button, self.open_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Your models are in {store.root}", self))
        layout.addWidget(self.list, 1)
        layout.addWidget(self.reason)
        layout.addLayout(buttons)
        layout.addWidget(close)
        self.rename_button.clicked.connect(self._on_rename_clicked)
        self.delete_button.clicked.connect(self._on_delete_clicked)
        self.open_button.clicked.connect(self._on_open_clicked)
        self.list.currentRowChanged.connect(self._on_row_changed)
        self.resize(720, 420)
        self.refresh()

    def refresh(self) -> None:
        self.list.clear()
        for info in self._store.list():
            item = QListWidgetItem(f"{info.name}\n{describe_model(info)}")
            item.setToolTip(describe_model(info))
            item.setData(Qt.ItemDataRole.UserRole, info)
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        self._on_row_changed(self.list.currentRow())

    def _current(self) -> ModelInfo | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    @Slot(int)
    def _on_row_changed(self, _row: int) -> None:
        info = self._current()
        reason = self._locked_reason(info)
        editable = info is not None and not reason
        self.rename_button.setEnabled(editable)
        self.delete_button.setEnabled(editable)
        self.open_button.setEnabled(info is not None)
        self.reason.setText(reason)
        self.reason.setVisible(bool(reason))
        for button in (self.rename_button, self.delete_button):
            button.setToolTip(reason)

    def _locked_reason(self, info: ModelInfo | None) -> str:
        """Why `info` cannot be renamed or deleted now ("" when it can)."""
        if info is None:
            return ""
        if info.read_only:
            return (f"“{info.name}” is the bundled model: it cannot be renamed or "
                    "deleted.")
        if info.name in self._busy:
            return (f"“{info.name}” is in use (suggestions or training): choose "
                    "another model in the Model list, or wait for training to end, "
                    "to rename or delete it.")
        return ""

    @Slot()
    def _on_rename_clicked(self) -> None:
        info = self._current()
        if info is None:
            return
        name, ok = QInputDialog.getText(self, "Rename model", "New name:",
                                        text=info.name)
        if not ok or not name.strip() or name.strip() == info.name:
            return
        if self._change_store("Cannot rename", self._store.rename, info.name,
                              name.strip()):
            self.renamed.emit(info.name, name.strip())

    @Slot()
    def _on_delete_clicked(self) -> None:
        info = self._current()
        if info is None:
            return
        answer = QMessageBox.question(self, "Delete model",
                                      f"Delete the model “{info.name}” for good?")
        if answer != QMessageBox.StandardButton.Yes:
            return
        if self._change_store("Cannot delete", self._store.delete, info.name):
            self.deleted.emit(info.name)

    def _change_store(self, failure_title: str, change, *args) -> bool:
        """Apply a store change; on failure say why, on success refresh the list."""
        try:
            change(*args)
        except (ValueError, OSError) as exc:
            QMessageBox.warning(self, failure_title, str(exc))
            return False
        self.refresh()
        self.models_changed.emit()
        return True

    @Slot()
    def _on_open_clicked(self) -> None:
        info = self._current()
        if info is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(info.path)))
