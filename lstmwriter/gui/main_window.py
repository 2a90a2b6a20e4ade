"""The main window: builds the widgets and menus and wires them to the
controllers that do the work, each with its own workers and state:

- `documents` (DocumentController): New, Open, Save, encodings, recovery;
- `suggestions` (SuggestionController): the model in use, requests, ghost text,
  adapting to the document, following a run being trained;
- `models` (ModelController): the Model menu's load, manage, import, export;
- `training_controller` (TrainingController): corpus scans, runs, resuming.

Every slot here returns in a few milliseconds; reading, writing, loading,
training and sampling all happen on worker threads (see workers.py).
"""

from __future__ import annotations

import logging
from dataclasses import replace

import torch
from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from ..core.corpus import count_words
from ..core.store import ModelStore
from . import dialogs
from .dialogs import ShortcutsDialog, about_text
from .document_controller import DocumentController
from .editor import FindBar, WriterEditor
from .model_controller import ModelController
from .recovery import RecoveryBar
from .settings import AppSettings
from .suggestion_controller import SuggestionController
from .suggestion_pane import SuggestionPane, SuggestionSettings
from .training_controller import TrainingController, device_text
from .training_panel import TrainingPanel
from .workers import WorkerThreads

__all__ = ["MainWindow"]

log = logging.getLogger(__name__)

COUNT_WORDS_MAX_CHARS = 2_000_000  # above: characters only (~1 s per 2 M to count)


class MainWindow(QMainWindow):
    """Editor, suggestion pane, training dock, model selector and status bar."""

    # the status bar while a close waits for the training to save its model
    SAVING_AT_CLOSE = "Stopping the training and saving its model…"
    TRAINING_CLOSE_GRACE_MS = 60_000  # then the close stops waiting for the run

    def __init__(self, store: ModelStore | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.store = store or ModelStore()
        self.settings = AppSettings()
        self.threads = WorkerThreads(self)  # the one-shot workers' threads
        self._closing = False
        self._waited_for_training = False  # the close stopped waiting for the run

        self._build_widgets()
        self.documents = DocumentController(self.editor, self.recovery_bar,
                                            self.settings, self.threads, self)
        self.suggestions = SuggestionController(self.store, self.settings,
                                                self.editor, self.pane,
                                                self.model_selector, self)
        self.training_controller = TrainingController(self.store, self.settings,
                                                      self.threads, self.training,
                                                      self)
        self.models = ModelController(self.store, self.threads, self.suggestions,
                                      self.training_controller, self)
        self._lay_out()
        self._build_menus()
        self._wire()
        self._restore_settings()
        self.training_controller.start()  # reads the remembered folder again
        self.suggestions.start()  # loads the last model
        self.training_controller.find_unfinished_runs()
        self.documents.start()  # offers what a crashed session left
        self._update_title()

    # -- construction ------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.editor = WriterEditor(self)
        self.editor.setPlaceholderText("Start writing. Suggestions appear as grey "
                                       "text; Tab accepts, Esc dismisses.")
        self.find_bar = FindBar(self.editor, self)
        self.recovery_bar = RecoveryBar(self)
        self.pane = SuggestionPane(self)
        self.training = TrainingPanel(self)
        self.model_selector = QComboBox(self)
        self.model_selector.setObjectName("modelSelector")
        self.model_selector.setMinimumContentsLength(18)
        self.model_selector.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)

    def _lay_out(self) -> None:
        writing = QWidget(self)
        column = QVBoxLayout(writing)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.recovery_bar)
        column.addWidget(self.documents.opener.bar)
        column.addWidget(self.editor, 1)
        column.addWidget(self.find_bar)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(writing)
        self.splitter.addWidget(self.pane)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([820, 300])
        self.setCentralWidget(self.splitter)

        self.training_dock = QDockWidget("Training", self)
        self.training_dock.setObjectName("trainingDock")
        self.training_dock.setWidget(self.training)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.training_dock)

        toolbar = QToolBar("Model", self)
        toolbar.setObjectName("modelToolbar")
        toolbar.setMovable(False)
        toolbar.addWidget(QLabel(" Model: ", self))
        toolbar.addWidget(self.model_selector)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)

        status = self.statusBar()
        status.setObjectName("statusBar")
        self.device_label = QLabel(self)
        self.device_label.setObjectName("deviceLabel")
        self.model_label = QLabel("No model", self)
        self.model_label.setObjectName("modelLabel")
        self.training_label = QLabel("Training: idle", self)
        self.training_label.setObjectName("trainingLabel")
        self.count_label = QLabel(self)
        self.count_label.setObjectName("countLabel")
        self.encoding_label = QLabel(self.documents.text_format.label, self)
        self.encoding_label.setObjectName("encodingLabel")
        self.encoding_label.setToolTip("How the text is stored in its file; Save "
                                       "writes it back the same way")
        for label in (self.count_label, self.encoding_label, self.model_label,
                      self.device_label, self.training_label):
            status.addPermanentWidget(label)
        cpu = device_text(torch.device("cpu"))
        self.device_label.setText(f"Suggestions on {cpu}")
        self._count_timer = QTimer(self)
        self._count_timer.setSingleShot(True)
        self._count_timer.setInterval(150)
        self._count_timer.timeout.connect(self._update_counts)
        self._update_counts()

    def _action(self, menu: QMenu, text: str, slot, shortcut=None,
                name: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if name:
            action.setObjectName(name)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        keys = QKeySequence.StandardKey
        docs, editor, find = self.documents, self.editor, self.find_bar
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self._action(file, "&New", docs.new_document, keys.New, "newAction")
        self._action(file, "&Open…", docs.ask_open, keys.Open, "openAction")
        self.recent_menu = file.addMenu("Open &Recent")
        self.recent_menu.setObjectName("recentMenu")
        self._action(file, "Reopen with &Encoding…", docs.ask_reopen_with_encoding,
                     None, "reopenEncodingAction")
        file.addSeparator()
        self._action(file, "&Save", docs.save, keys.Save, "saveAction")
        self._action(file, "Save &As…", docs.save_as, keys.SaveAs, "saveAsAction")
        file.addSeparator()
        self._action(file, "&Quit", self.close, keys.Quit, "quitAction")

        edit = bar.addMenu("&Edit")
        undo = self._action(edit, "&Undo", editor.undo, keys.Undo)
        redo = self._action(edit, "&Redo", editor.redo, keys.Redo)
        undo.setEnabled(False)
        redo.setEnabled(False)
        editor.undoAvailable.connect(undo.setEnabled)
        editor.redoAvailable.connect(redo.setEnabled)
        edit.addSeparator()
        self._action(edit, "Cu&t", editor.cut, keys.Cut)
        self._action(edit, "&Copy", editor.copy, keys.Copy)
        self._action(edit, "&Paste", editor.paste, keys.Paste)
        self._action(edit, "Select &All", editor.selectAll, keys.SelectAll)
        edit.addSeparator()
        self._action(edit, "&Find…", find.open_bar, keys.Find, "findAction")
        self._action(edit, "Find &Next", find.find_next, keys.FindNext)
        self._action(edit, "Find Pre&vious", find.find_previous, keys.FindPrevious)

        model = bar.addMenu("&Model")
        self._action(model, "&Load…", self.models.ask_load, None, "loadModelAction")
        self._action(model, "&Manage…", self.models.manage, None,
                     "manageModelsAction")
        model.addSeparator()
        self._action(model, "&Import ml5.js model…", self.models.ask_import, None,
                     "importModelAction")
        self._action(model, "&Export…", self.models.ask_export, None,
                     "exportModelAction")
        model.addSeparator()
        self.adapt_action = self._action(model, "&Adapt to the document",
                                         self.suggestions.set_adapting, None,
                                         "adaptToDocument")
        self.adapt_action.setCheckable(True)
        self.adapt_action.setChecked(self.settings.adapt_to_document())
        self.adapt_action.setToolTip("Let suggestions learn the names and phrases of "
                                     "the text you are writing (the model file is "
                                     "never changed)")

        view = bar.addMenu("&View")
        toggle = self.training_dock.toggleViewAction()
        toggle.setText("&Training panel")
        toggle.setShortcut(QKeySequence("Ctrl+Shift+T"))
        view.addAction(toggle)
        pane = QAction("&Suggestion pane", self, checkable=True, checked=True)
        pane.toggled.connect(self.pane.setVisible)
        view.addAction(pane)

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&Keyboard shortcuts", self._on_shortcuts_triggered,
                     keys.HelpContents, "shortcutsAction")
        self._action(help_menu, "&About lstmwriter", self._on_about_triggered, None,
                     "aboutAction")
        self._rebuild_recent_menu()

    def _wire(self) -> None:
        """Controllers to the window and to each other; the views to each other."""
        docs, suggestions = self.documents, self.suggestions
        training, panel = self.training_controller, self.training
        for controller in (docs, suggestions, self.models, training):
            controller.status_changed.connect(self.show_status)
            controller.failed.connect(self.show_error)
        docs.changed.connect(self._update_title)
        docs.recent_changed.connect(self._rebuild_recent_menu)
        docs.document_replaced.connect(suggestions.reset_adaptation)
        suggestions.model_described.connect(self.model_label.setText)
        suggestions.default_model_listed.connect(panel.set_default_model)
        training.run_described.connect(self.training_label.setText)
        training.planned.connect(suggestions.watch_run)
        training.validated.connect(suggestions.reload_snapshot)
        training.model_saved.connect(suggestions.offer_trained_model)
        training.run_ended.connect(suggestions.end_run)
        panel.load_trained_clicked.connect(suggestions.use_model)
        panel.snapshot_toggled.connect(suggestions.follow_training)
        self.models.model_renamed.connect(panel.model_renamed)
        self.models.model_deleted.connect(panel.model_deleted)

        self.editor.suggestions_changed.connect(self._on_editor_suggestions_changed)
        self.editor.textChanged.connect(self._on_editor_text_changed)
        self.editor.modificationChanged.connect(self._on_editor_modification_changed)
        self.pane.chosen.connect(self._on_pane_chosen)
        self.pane.highlighted.connect(self._on_pane_highlighted)
        self.pane.train_requested.connect(self._on_pane_train_requested)

    # -- settings ----------------------------------------------------------------
    def _restore_settings(self) -> None:
        s = self.settings
        geometry = s.get_bytes("window/geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1280, 860)
        state = s.get_bytes("window/state")
        if state is not None:
            self.restoreState(state)
        splitter = s.get_bytes("window/splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)
        self.pane.apply_settings(SuggestionSettings(
            s.get("suggest/temperature", 0.5), s.get("suggest/length", 60),
            s.get("suggest/stop", "length"), s.get("suggest/count", 3),
            s.get("suggest/ghost", SuggestionSettings.ghost)))
        self.training.apply_settings(replace(  # the device is not remembered
            self.training.settings(), corpus=s.get("training/corpus", ""),
            level=s.get("training/level", "char"),
            preset=s.get("training/preset", "auto"),
            time_limit=s.get("training/time_limit", 30)))

    def _save_settings(self) -> None:
        s = self.settings
        s.set("window/geometry", self.saveGeometry())
        s.set("window/state", self.saveState())
        s.set("window/splitter", self.splitter.saveState())
        pane = self.pane.settings()
        s.set("suggest/temperature", pane.temperature)
        s.set("suggest/length", pane.length)
        s.set("suggest/stop", pane.stop)
        s.set("suggest/count", pane.count)
        s.set("suggest/ghost", pane.ghost)
        training = self.training.settings()
        s.set("training/corpus", training.corpus)
        s.set("training/level", training.level)
        s.set("training/preset", training.preset)
        s.set("training/time_limit", training.time_limit)
        s.sync()

    # -- messages ----------------------------------------------------------------
    @Slot(str, str)
    def show_error(self, title: str, message: str) -> QMessageBox:
        """A message in the window (never a traceback); does not block."""
        log.warning("%s: %s", title, message)
        box = QMessageBox(QMessageBox.Icon.Warning, title, message,
                          QMessageBox.StandardButton.Ok, self)
        box.setObjectName("errorDialog")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    @Slot(str, int)
    def show_status(self, text: str, ms: int = 5000) -> None:
        """A status bar message for `ms` milliseconds (0: until the next)."""
        self.statusBar().showMessage(text, ms)

    # -- the document's view ---------------------------------------------------------
    @Slot()
    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.documents.document_name()}[*] — lstmwriter")
        self.setWindowModified(self.editor.document().isModified())
        self.encoding_label.setText(self.documents.text_format.label)

    @Slot(bool)
    def _on_editor_modification_changed(self, _modified: bool) -> None:
        self._update_title()

    @Slot()
    def _on_editor_text_changed(self) -> None:
        self._count_timer.start()

    @Slot()
    def _update_counts(self) -> None:
        size = self.editor.document().characterCount() - 1  # no copy of the text
        if size > COUNT_WORDS_MAX_CHARS:  # counting would hold the window seconds
            self.count_label.setText(f"{size:,} characters")
            self.count_label.setToolTip(f"Words are counted up to "
                                        f"{COUNT_WORDS_MAX_CHARS:,} characters")
            return
        text = self.editor.toPlainText()
        self.count_label.setText(f"{count_words(text):,} words · "
                                 f"{len(text):,} characters")
        self.count_label.setToolTip("")

    @Slot()
    def _rebuild_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.settings.recent_files()
        for path in files:
            action = self.recent_menu.addAction(path)
            action.setData(path)
            action.triggered.connect(self._on_recent_triggered)
        self.recent_menu.setEnabled(bool(files))

    @Slot()
    def _on_recent_triggered(self) -> None:
        action = self.sender()
        if isinstance(action, QAction):
            self.documents.open_file(str(action.data()))

    # -- suggestions' view -------------------------------------------------------------
    @Slot()
    def _on_editor_suggestions_changed(self) -> None:
        suggestions = self.editor.suggestions
        self.pane.show_alternatives(suggestions.visible(), suggestions.index)

    @Slot(int)
    def _on_pane_chosen(self, index: int) -> None:
        self.editor.accept(index)
        self.editor.setFocus()

    @Slot(int)
    def _on_pane_highlighted(self, index: int) -> None:
        self.editor.select(index)

    @Slot()
    def _on_pane_train_requested(self) -> None:
        self.training_dock.show()
        self.training_dock.raise_()
        self.training.focus_corpus()

    # -- help --------------------------------------------------------------------
    @Slot()
    def _on_shortcuts_triggered(self) -> None:
        dialog = ShortcutsDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    @Slot()
    def _on_about_triggered(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, "About lstmwriter",
                          about_text(), QMessageBox.StandardButton.Ok, self)
        box.setObjectName("aboutDialog")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    # -- closing -----------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closing:
            if not self._close_confirmed():
                event.ignore()
                return
            self._closing = True
            self._save_settings()
            if self.training_controller.running:
                self._close_after_training()
        if self.training_controller.running and not self._waited_for_training:
            event.ignore()  # closes when the run has saved its model
            return
        self.shutdown()
        event.accept()

    def _close_confirmed(self) -> bool:
        """The unsaved-changes prompt, then the question if a run is going."""
        return self.documents.confirm_discard() and (
            not self.training_controller.running or dialogs.ask_stop_training(self))

    def _close_after_training(self) -> None:
        """Stop the run and close when it has saved its model (that may take
        seconds). The event loop goes on meanwhile: the window is greyed out, under
        a busy pointer, and the status bar says what it waits for."""
        self.show_status(self.SAVING_AT_CLOSE, 0)
        self.setEnabled(False)
        self.setCursor(Qt.CursorShape.WaitCursor)
        self.training_controller.run_ended.connect(
            self.close, Qt.ConnectionType.QueuedConnection)
        self.training_controller.stop()
        grace = QTimer(self)  # dies with the window, should it close first
        grace.setSingleShot(True)
        grace.timeout.connect(self._stop_waiting)
        grace.start(self.TRAINING_CLOSE_GRACE_MS)

    @Slot()
    def _stop_waiting(self) -> None:
        """A run that has not ended in the grace time: close anyway, with the
        shutdown's own (blocking, bounded) wait for its thread."""
        if self.training_controller.running:  # else run_ended has closed it
            self._waited_for_training = True
            self.close()

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Cancel, quit and wait for every worker (training saves its model)."""
        self.suggestions.stop()
        self.documents.stop()  # a text still being laid out is not swapped in
        self.threads.stop_all(timeout_ms)
        self.suggestions.wait(timeout_ms)
        self.documents.wait(timeout_ms)  # its writes done, then its copy removed
