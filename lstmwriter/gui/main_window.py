"""The main window: wiring between the widgets and the workers.

Every slot here returns in a few milliseconds; reading, writing, loading,
training and sampling all happen on worker threads (see workers.py).
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

import torch
from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from ..core.config import ModelConfig
from ..core.device import describe_device, resolve_device
from ..core.events import Failed, Finished, Progress, Sample
from ..core.jobs import TrainRequest
from ..core.ml5 import ml5_problem
from ..core.sampling import SampleOptions
from ..core.store import DEFAULT_MODEL_NAME, ModelStore, load_model_dir
from . import dialogs, documents
from .adapt_worker import AdaptedWeights, AdaptWorker
from .dialogs import ManageModelsDialog, ShortcutsDialog, about_text
from .document_controller import DocumentOpener, swap_document
from .documents import (
    ENCODINGS,
    UTF8,
    TextFormat,
    describe_save_error,
    unencodable,
    write_document,
)
from .editor import FindBar, WriterEditor
from .messages import for_window
from .recovery import RecoveredText, RecoverySession
from .settings import AppSettings
from .suggestion_pane import SuggestionPane
from .suggestions import count_words
from .training_panel import TrainingPanel, format_duration
from .workers import (
    CorpusScanWorker,
    FileWorker,
    ModelTaskWorker,
    SampleWorker,
    SuggestRequest,
    TrainWorker,
    UnfinishedRunsWorker,
    WorkerThreads,
)

__all__ = ["MainWindow"]

log = logging.getLogger(__name__)

# The recovery copy is written every AUTOSAVE_MS while the text differs from the
# last copy: a repeating timer, not a pause in typing, so steady typing is
# copied too and a crash loses at most this much (plus a write) of work.
AUTOSAVE_MS = 3000
SNAPSHOT_EVERY_S = 5.0  # at most this often, reload the training model's snapshot
ADAPT_EVERY_MS = 2000  # at most this often, the adapter is sent the text
CHARS_PER_WORD = 5.5  # to turn a length in characters into word tokens
LINE_CAP_CHARS = 300  # "to end of line/sentence" stops here at the latest
COUNT_WORDS_MAX_CHARS = 2_000_000  # above: characters only (~1 s per 2 M to count)
TEXT_FILTER = "Text (*.txt *.md *.markdown *.text);;All files (*)"


def device_text(device: torch.device) -> str:
    """"CPU (1 thread)", "CUDA: NVIDIA H200", ..."""
    if device.type == "cpu":
        threads = torch.get_num_threads()
        return f"CPU ({threads} thread{'s' if threads != 1 else ''})"
    return describe_device(device)


def _finished_label(outcome: str, saved: str | None) -> str:
    """The status bar's word on a run that has ended."""
    verb = {"done": "finished", "cancelled": "stopped"}.get(outcome, outcome)
    return f"Training: {verb}, “{saved}” saved" if saved else f"Training: {verb}"


class MainWindow(QMainWindow):
    """Editor, suggestion pane, training dock, model selector and status bar."""

    sample_requested = Signal(object)  # SuggestRequest, to the sample worker
    model_load_requested = Signal(str, str)  # spec (name or path), source
    adapt_model_requested = Signal(str, str, int)  # model path, level, load id
    adapt_reset_requested = Signal()  # back to the trained weights
    adapt_requested = Signal()  # the adapter has a new text (AdaptWorker.submit)
    adapted_weights_ready = Signal(object)  # AdaptedWeights, to the sample worker
    write_requested = Signal(int, str, str, object)  # request id, path, text, TextFormat
    recovery_write_requested = Signal(int, str, object)  # request id, path, record
    recovery_remove_requested = Signal(int, str)  # request id, path
    document_loaded = Signal(str)  # path of a text just opened
    document_saved = Signal(str)  # path of a text just saved
    model_exported = Signal(str)  # where a model was exported to

    def __init__(self, store: ModelStore | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.store = store or ModelStore()
        self.settings = AppSettings()
        self.recovery = RecoverySession()
        self.threads = WorkerThreads(self)
        self.path: str | None = None
        self.text_format: TextFormat = UTF8  # how the document's file is encoded
        self.model_info: dict[str, Any] | None = None  # the model suggestions come from
        self._model_spec: str | None = None  # the model the writer chose
        self._loading_spec: str | None = None
        self._request_id = 0
        self._request: SuggestRequest | None = None
        self.last_request_done: tuple[int, str] | None = None  # (id, outcome)
        self._io_id = 0
        # id -> path, text, fmt, the document's generation when the save began
        self._saving: dict[int, tuple[str, str, TextFormat, int]] = {}
        self._generation = 0  # +1 whenever the editor starts holding another text
        self._recovery_dirty = False
        self._recovery_written = False
        self._orphans: list[RecoveredText] = []
        self._scan_worker: CorpusScanWorker | None = None
        self._runs_task = 0  # the latest look for unfinished runs
        self._unfinished: dict[str, dict[str, Any]] = {}
        self._task_id = 0
        self._scan_quiet = False
        self._train_worker: TrainWorker | None = None
        self._train_plan: dict[str, Any] | None = None
        self._train_saved: str | None = None  # the model the run saved, once it has
        self._training_device = ""
        self._use_snapshot = False
        self._snapshot_loaded_at = 0.0
        self._closing = False

        self._build_ui()
        self._build_menus()
        self._start_persistent_workers()
        self._restore_settings()
        if self.training.corpus and Path(self.training.corpus).expanduser().exists():
            self.scan_corpus(self.training.corpus, quiet=True)  # remembered folder
        self._refresh_models()
        self._load_initial_model()
        self._find_unfinished_runs()
        self._offer_recovery()
        self._autosave_timer = QTimer(self)
        self._autosave_timer.setInterval(AUTOSAVE_MS)
        self._autosave_timer.timeout.connect(self.autosave_now)
        self._autosave_timer.start()
        self._update_title()

    # -- construction ------------------------------------------------------------
    def _build_ui(self) -> None:
        self.editor = WriterEditor(self)
        self.editor.setPlaceholderText("Start writing. Suggestions appear as grey text; "
                                       "Tab accepts, Esc dismisses.")
        self.find_bar = FindBar(self.editor, self)
        self.opener = DocumentOpener(self.editor, self.threads, self)
        self.opener.built.connect(self._on_opener_built)
        self.opener.failed.connect(self._on_opener_failed)
        self.recovery_bar = QFrame(self)
        self.recovery_bar.setObjectName("recoveryBar")
        self.recovery_bar.setFrameShape(QFrame.Shape.StyledPanel)
        self.recovery_label = QLabel(self.recovery_bar)
        self.recovery_label.setWordWrap(True)
        restore = QPushButton("Restore", self.recovery_bar)
        restore.setObjectName("restoreButton")
        discard = QPushButton("Discard", self.recovery_bar)
        discard.setObjectName("discardRecoveryButton")
        bar = QHBoxLayout(self.recovery_bar)
        bar.addWidget(self.recovery_label, 1)
        bar.addWidget(restore)
        bar.addWidget(discard)
        self.recovery_bar.hide()
        restore.clicked.connect(self._on_restore_clicked)
        discard.clicked.connect(self._on_discard_recovery_clicked)

        writing = QWidget(self)
        column = QVBoxLayout(writing)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.recovery_bar)
        column.addWidget(self.opener.bar)
        column.addWidget(self.editor, 1)
        column.addWidget(self.find_bar)
        self.pane = SuggestionPane(self)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(writing)
        self.splitter.addWidget(self.pane)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([820, 300])
        self.setCentralWidget(self.splitter)

        self.training = TrainingPanel(self)
        self.training_dock = QDockWidget("Training", self)
        self.training_dock.setObjectName("trainingDock")
        self.training_dock.setWidget(self.training)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.training_dock)

        self.model_selector = QComboBox(self)
        self.model_selector.setObjectName("modelSelector")
        self.model_selector.setMinimumContentsLength(18)
        self.model_selector.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
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
        self.encoding_label = QLabel(self.text_format.label, self)
        self.encoding_label.setObjectName("encodingLabel")
        self.encoding_label.setToolTip("How the text is stored in its file; Save "
                                       "writes it back the same way")
        for label in (self.count_label, self.encoding_label, self.model_label,
                      self.device_label, self.training_label):
            status.addPermanentWidget(label)
        self.device_label.setText(f"Suggestions on {device_text(torch.device('cpu'))}")
        self._count_timer = QTimer(self)
        self._count_timer.setSingleShot(True)
        self._count_timer.setInterval(150)
        self._count_timer.timeout.connect(self._update_counts)
        self._update_counts()

        self.editor.context_changed.connect(self._on_editor_context_changed)
        self.editor.suggestions_changed.connect(self._on_editor_suggestions_changed)
        self.editor.dismissed.connect(self._on_editor_dismissed)
        self.editor.textChanged.connect(self._on_editor_text_changed)
        self.editor.modificationChanged.connect(self._on_modification_changed)
        self.pane.chosen.connect(self._on_pane_chosen)
        self.pane.highlighted.connect(self._on_pane_highlighted)
        self.pane.options_changed.connect(self._on_pane_options_changed)
        self.pane.train_requested.connect(self._on_pane_train_requested)
        self.model_selector.activated.connect(self._on_model_selector_activated)
        self.training.corpus_selected.connect(self._on_training_corpus_selected)
        self.training.level_changed.connect(self._on_training_level_changed)
        self.training.train_clicked.connect(self._on_training_train_clicked)
        self.training.pause_clicked.connect(self._on_training_pause_clicked)
        self.training.stop_clicked.connect(self._on_training_stop_clicked)
        self.training.load_trained_clicked.connect(self._on_training_load_trained_clicked)
        self.training.snapshot_toggled.connect(self._on_training_snapshot_toggled)
        self.training.resume_run_clicked.connect(self._on_training_resume_run_clicked)

    def _action(self, menu: QMenu, text: str, slot, shortcut=None, name: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if name:
            action.setObjectName(name)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self._action(file, "&New", self.new_document, QKeySequence.StandardKey.New,
                     "newAction")
        self._action(file, "&Open…", self._on_open_triggered, QKeySequence.StandardKey.Open,
                     "openAction")
        self.recent_menu = file.addMenu("Open &Recent")
        self.recent_menu.setObjectName("recentMenu")
        self._action(file, "Reopen with &Encoding…", self._on_reopen_encoding_triggered,
                     None, "reopenEncodingAction")
        file.addSeparator()
        self._action(file, "&Save", self.save, QKeySequence.StandardKey.Save, "saveAction")
        self._action(file, "Save &As…", self.save_as, QKeySequence.StandardKey.SaveAs,
                     "saveAsAction")
        file.addSeparator()
        self._action(file, "&Quit", self.close, QKeySequence.StandardKey.Quit, "quitAction")

        edit = bar.addMenu("&Edit")
        undo = self._action(edit, "&Undo", self.editor.undo, QKeySequence.StandardKey.Undo)
        redo = self._action(edit, "&Redo", self.editor.redo, QKeySequence.StandardKey.Redo)
        undo.setEnabled(False)
        redo.setEnabled(False)
        self.editor.undoAvailable.connect(undo.setEnabled)
        self.editor.redoAvailable.connect(redo.setEnabled)
        edit.addSeparator()
        self._action(edit, "Cu&t", self.editor.cut, QKeySequence.StandardKey.Cut)
        self._action(edit, "&Copy", self.editor.copy, QKeySequence.StandardKey.Copy)
        self._action(edit, "&Paste", self.editor.paste, QKeySequence.StandardKey.Paste)
        self._action(edit, "Select &All", self.editor.selectAll,
                     QKeySequence.StandardKey.SelectAll)
        edit.addSeparator()
        self._action(edit, "&Find…", self.find_bar.open_bar, QKeySequence.StandardKey.Find,
                     "findAction")
        self._action(edit, "Find &Next", self.find_bar.find_next,
                     QKeySequence.StandardKey.FindNext)
        self._action(edit, "Find Pre&vious", self.find_bar.find_previous,
                     QKeySequence.StandardKey.FindPrevious)

        model = bar.addMenu("&Model")
        self._action(model, "&Load…", self._on_load_model_triggered, None, "loadModelAction")
        self._action(model, "&Manage…", self._on_manage_models_triggered, None,
                     "manageModelsAction")
        model.addSeparator()
        self._action(model, "&Import ml5.js model…", self._on_import_triggered, None,
                     "importModelAction")
        self._action(model, "&Export…", self._on_export_triggered, None, "exportModelAction")
        model.addSeparator()
        self.adapt_action = self._action(model, "&Adapt to the document",
                                         self._on_adapt_toggled, None, "adaptToDocument")
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
                     QKeySequence.StandardKey.HelpContents, "shortcutsAction")
        self._action(help_menu, "&About lstmwriter", self._on_about_triggered, None,
                     "aboutAction")
        self._rebuild_recent_menu()

    def _thread_for(self, worker: QObject, name: str) -> QThread:
        """A long-lived thread (owned by the window) with `worker` moved to it."""
        thread = QThread(self)
        thread.setObjectName(name)
        worker.moveToThread(thread)
        return thread

    def _start_persistent_workers(self) -> None:
        # The persistent workers are freed with the window, on the GUI thread,
        # after their threads have ended (see WorkerThreads.start on deleteLater).
        self.sample_worker = SampleWorker(self.store.root)
        self.sample_thread = self._thread_for(self.sample_worker, "suggestions")
        self.sample_requested.connect(self.sample_worker.suggest)
        self.model_load_requested.connect(self.sample_worker.load_model)
        self.sample_worker.chunk_ready.connect(self._on_sampler_chunk_ready)
        self.sample_worker.request_done.connect(self._on_sampler_request_done)
        self.sample_worker.model_loaded.connect(self._on_sampler_model_loaded)
        self.sample_worker.model_failed.connect(self._on_sampler_model_failed)
        self.sample_worker.ghost_ready.connect(self._on_sampler_ghost_ready)
        self.adapted_weights_ready.connect(self.sample_worker.update_weights)
        self.sample_thread.start()
        self._start_adaptation()

        self.file_worker = FileWorker()
        self.file_thread = self._thread_for(self.file_worker, "files")
        self.write_requested.connect(self.file_worker.write_text)
        self.recovery_write_requested.connect(self.file_worker.write_recovery)
        self.recovery_remove_requested.connect(self.file_worker.remove)
        self.file_worker.written.connect(self._on_file_written)
        self.file_worker.failed.connect(self._on_file_failed)
        self.file_thread.start()

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
        self.pane.set_values(s.get("suggest/temperature", 0.5), s.get("suggest/length", 60),
                             s.get("suggest/stop", "length"), s.get("suggest/count", 3))
        panel = self.training
        panel.set_corpus(s.get("training/corpus", ""))
        panel.level.setCurrentIndex(max(0, panel.level.findData(s.get("training/level",
                                                                       "char"))))
        panel.preset.setCurrentIndex(max(0, panel.preset.findData(s.get("training/preset",
                                                                         "auto"))))
        panel.time_limit.setValue(s.get("training/time_limit", 30))

    def _save_settings(self) -> None:
        s = self.settings
        s.set("window/geometry", self.saveGeometry())
        s.set("window/state", self.saveState())
        s.set("window/splitter", self.splitter.saveState())
        s.set("suggest/temperature", self.pane.temperature_value)
        s.set("suggest/length", self.pane.length.value())
        s.set("suggest/stop", self.pane.stop_mode)
        s.set("suggest/count", self.pane.count.value())
        s.set("training/corpus", self.training.corpus)
        s.set("training/level", self.training.level_value)
        s.set("training/preset", str(self.training.preset.currentData()))
        s.set("training/time_limit", self.training.time_limit.value())
        s.sync()

    # -- messages ----------------------------------------------------------------
    def show_error(self, title: str, message: str) -> QMessageBox:
        """A message in the window (never a traceback); does not block."""
        log.warning("%s: %s", title, message)
        box = QMessageBox(QMessageBox.Icon.Warning, title, message,
                          QMessageBox.StandardButton.Ok, self)
        box.setObjectName("errorDialog")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    def _status(self, text: str, ms: int = 5000) -> None:
        self.statusBar().showMessage(text, ms)

    # -- models ------------------------------------------------------------------
    def _refresh_models(self, select: str | None = None) -> None:
        """Fill the selector from the store (item text = model name)."""
        infos = self.store.list()
        current = select or (self._model_spec if self._model_spec else None)
        self.model_selector.blockSignals(True)
        try:
            self.model_selector.clear()
            for info in infos:
                self.model_selector.addItem(info.name, info.name)
                self.model_selector.setItemData(self.model_selector.count() - 1,
                                                dialogs.describe_model(info),
                                                Qt.ItemDataRole.ToolTipRole)
            if current and self.model_selector.findData(current) < 0:
                self.model_selector.addItem(Path(current).name, current)  # loaded by path
            index = self.model_selector.findData(current) if current else -1
            self.model_selector.setCurrentIndex(index)
        finally:
            self.model_selector.blockSignals(False)
        default = next((i for i in infos if i.name == DEFAULT_MODEL_NAME), None)
        self.training.set_default_model(default.meta.get("model") if default else None)

    def _load_initial_model(self) -> None:
        last = self.settings.get("model/last", "")
        names = [self.model_selector.itemData(i) for i in range(self.model_selector.count())]
        if last and (last in names or (Path(last) / "config.json").is_file()):
            self.load_model(last, "startup")
        elif DEFAULT_MODEL_NAME in names:
            self.load_model(DEFAULT_MODEL_NAME, "startup")
        elif names:
            self.load_model(names[0], "startup")
        else:
            self._show_no_model()

    def _show_no_model(self) -> None:
        self.model_label.setText("No model")
        self.pane.set_status("There is no model yet. Train one on your own writing in "
                             "the training panel; suggestions start as soon as it is "
                             "saved.", no_model=True)

    def load_model(self, spec: str, source: str = "user") -> None:
        """Load a store model (name) or a model folder (path) for suggestions."""
        info = self.model_info
        if source == "user" and info and info["spec"] == spec and \
                info["source"] != "snapshot" and self._loading_spec is None:
            return  # already the one in use
        self._cancel_request()
        self.editor.clear_suggestions()
        self._loading_spec = spec
        if source != "snapshot":
            self.model_label.setText(f"Loading {Path(spec).name}…")
        self.model_load_requested.emit(spec, source)

    @Slot(dict)
    def _on_sampler_model_loaded(self, info: dict) -> None:
        self.model_info = info
        if info["spec"] == self._loading_spec:
            self._loading_spec = None
        if info["source"] == "snapshot":
            self.model_label.setText(f"Model: {info['name']} (training snapshot)")
        else:
            self._model_spec = info["spec"]
            self.settings.set("model/last", info["spec"])
            self.model_label.setText(f"Model: {info['name']}")
            self._refresh_models(info["spec"])
            self._status(f"Loaded model {info['name']} ({info['level']} level, "
                         f"{info['parameters'] / 1e6:.2f} M parameters)")
        self.pane.set_status("")
        self.adapt_model_requested.emit(info["path"], info["level"], info["load_id"])
        self._request_suggestions()

    @Slot(str, str, str)
    def _on_sampler_model_failed(self, spec: str, source: str, message: str) -> None:
        if spec == self._loading_spec:
            self._loading_spec = None
        if source == "snapshot":
            log.info("snapshot not loaded yet: %s", message)
            return
        self._refresh_models(self._model_spec)
        if self.model_info is None:
            self.model_label.setText("No model")
        else:
            self.model_label.setText(f"Model: {self.model_info['name']}")
        if source == "startup":
            self._status(f"Could not load the last model: {message}", 10_000)
            if spec != DEFAULT_MODEL_NAME and self.model_selector.findData(
                    DEFAULT_MODEL_NAME) >= 0:
                self.load_model(DEFAULT_MODEL_NAME, "startup")
                return
            if self.model_info is None:
                self._show_no_model()
            return
        self.show_error("Cannot load the model", message)

    @Slot(int)
    def _on_model_selector_activated(self, index: int) -> None:
        spec = self.model_selector.itemData(index)
        if spec and spec != self._model_spec:
            self.load_model(str(spec), "user")

    @Slot()
    def _on_load_model_triggered(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Load a model folder",
                                                  str(self.store.root))
        if folder:
            self.load_model(folder, "user")

    @Slot()
    def _on_manage_models_triggered(self) -> None:
        busy = {self.model_info["name"]} if self.model_info else set()
        if self._train_plan:
            busy.add(self._train_plan["name"])
        dialog = ManageModelsDialog(self.store, busy, self)
        dialog.models_changed.connect(self._on_models_changed)
        dialog.renamed.connect(self.training.model_renamed)
        dialog.deleted.connect(self.training.model_deleted)
        dialog.exec()
        dialog.deleteLater()

    @Slot()
    def _on_models_changed(self) -> None:
        self._refresh_models()
        self._find_unfinished_runs()

    @Slot()
    def _on_import_triggered(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import an ml5.js model folder")
        if folder:
            self.import_model(folder)

    def import_model(self, folder: str) -> None:
        """Import an ml5.js charRNN folder into the store (off the GUI thread),
        then load it."""
        store = self.store

        def task(_progress, _cancel) -> str:
            from ..core.ml5 import import_ml5

            return Path(import_ml5(Path(folder), store)).name

        self._start_model_task(task, "import", self._on_import_succeeded)

    @Slot(int, object)
    def _on_import_succeeded(self, _task_id: int, name: str) -> None:
        self._refresh_models(self._model_spec)
        self._status(f"Imported the model as “{name}”", 10_000)
        self.load_model(name, "user")

    @Slot()
    def _on_export_triggered(self) -> None:
        if self.model_info is None or self.model_info["source"] == "snapshot":
            self.show_error("Nothing to export", "Load a model first.")
            return
        formats = {"ml5.js folder": "ml5", "ONNX file": "onnx"}
        choice, ok = QInputDialog.getItem(self, "Export model",
                                          f"Export “{self.model_info['name']}” as:",
                                          list(formats), 0, False)
        if not ok:
            return
        if formats[choice] == "ml5":
            problem = ml5_problem(self.model_info["name"], self.model_info["level"],
                                  ModelConfig.from_dict(self.model_info["model"]))
            if problem:  # said before the folder is chosen, not after
                self.show_error("Cannot export as an ml5.js folder", problem)
                return
            out = QFileDialog.getExistingDirectory(self, "Export into an empty folder")
        else:
            out, _ = QFileDialog.getSaveFileName(
                self, "Export ONNX file", f"{self.model_info['name']}.onnx",
                "ONNX (*.onnx)")
        if out:
            self.export_model(formats[choice], out)

    def export_model(self, kind: str, out: str) -> None:
        """Export the loaded model as "ml5" (a folder) or "onnx" (a file), off the
        GUI thread; the worker reads the model from its folder itself."""
        if self.model_info is None:
            self.show_error("Nothing to export", "Load a model first.")
            return
        model_path = Path(self.model_info["path"])

        def task(_progress, _cancel) -> str:
            loaded = load_model_dir(model_path)
            if kind == "onnx":
                from ..core.onnx_export import export_onnx

                export_onnx(loaded, Path(out))
            else:
                from ..core.ml5 import export_ml5

                export_ml5(loaded, Path(out))
            return out

        self._start_model_task(task, "export", self._on_export_succeeded)

    @Slot(int, object)
    def _on_export_succeeded(self, _task_id: int, out: str) -> None:
        self._status(f"Exported to {out}", 10_000)
        self.model_exported.emit(out)

    def _start_model_task(self, task, what: str, on_success) -> None:
        self._task_id += 1
        worker = ModelTaskWorker(task, what, self._task_id)
        worker.succeeded.connect(on_success)
        worker.failed.connect(self._on_model_task_failed)
        self._status(f"{what.capitalize()}ing the model…", 0)
        self.threads.start(worker, what)

    @Slot(int, str)
    def _on_model_task_failed(self, _task_id: int, message: str) -> None:
        self._status("")
        self.show_error("Model import/export failed", message)

    # -- suggestions -------------------------------------------------------------
    def sample_options(self) -> SampleOptions:
        """The pane's settings, in tokens of the loaded model's level."""
        chars = self.pane.length.value()
        stop = self.pane.stop_mode
        if stop != "length":
            chars = LINE_CAP_CHARS
        word_level = bool(self.model_info and self.model_info["level"] == "word")
        length = max(1, round(chars / CHARS_PER_WORD)) if word_level else chars
        return SampleOptions(num=self.pane.count.value(), length=length,
                             temperature=self.pane.temperature_value, stop=stop)

    def _cancel_request(self) -> None:
        if self._request is not None:
            self._request.cancel.set()
            self._request = None

    def _request_suggestions(self) -> None:
        """Cancel the stale request and ask for the current context at once."""
        self._cancel_request()
        self.editor.clear_suggestions()
        if self.model_info is None or self._closing:
            return
        text = self.editor.text_before_cursor()
        if not text:
            return
        self._request_id += 1
        self._request = SuggestRequest(self._request_id, text, self.sample_options(),
                                       threading.Event())
        self.sample_requested.emit(self._request)

    @Slot()
    def _on_editor_context_changed(self) -> None:
        self._request_suggestions()
        if self.adapt_action.isChecked() and not self._adapt_timer.isActive():
            self._adapt_timer.start()

    @Slot(int, str)
    def _on_sampler_ghost_ready(self, request_id: int, piece: str) -> None:
        if self._is_stale(request_id):
            return
        self.editor.add_best(piece)

    @Slot(int, object)
    def _on_sampler_chunk_ready(self, request_id: int, pieces: list) -> None:
        if self._is_stale(request_id):
            return
        self.editor.add_pieces(pieces)

    def _is_stale(self, request_id: int) -> bool:
        """True for a result of a request the text has moved on from."""
        return self._request is None or request_id != self._request.request_id \
            or self.editor.context_pending()

    # -- adapting to the document ---------------------------------------------------
    def _start_adaptation(self) -> None:
        self.adapt_worker = AdaptWorker()
        self.adapt_thread = self._thread_for(self.adapt_worker, "adaptation")
        self.adapt_model_requested.connect(self.adapt_worker.set_model)
        self.adapt_reset_requested.connect(self.adapt_worker.reset)
        self.adapt_requested.connect(self.adapt_worker.observe_pending)
        self.adapt_worker.adapted.connect(self._on_adapter_adapted)
        self.adapt_thread.start()
        self._adapt_timer = QTimer(self)
        self._adapt_timer.setSingleShot(True)
        self._adapt_timer.setInterval(ADAPT_EVERY_MS)
        self._adapt_timer.timeout.connect(self._on_adapt_timer_timeout)

    @Slot()
    def _on_adapt_timer_timeout(self) -> None:
        text = self.editor.text_before_cursor()
        if text and self.adapt_action.isChecked() and not self._closing:
            self.adapt_worker.submit(text)
            self.adapt_requested.emit()

    @Slot(object)
    def _on_adapter_adapted(self, adapted: AdaptedWeights) -> None:
        self.adapted_weights_ready.emit(adapted)  # the sample worker checks the model

    @Slot(bool)
    def _on_adapt_toggled(self, on: bool) -> None:
        self.settings.set_adapt_to_document(on)
        if on:
            self._adapt_timer.start()
        else:
            self._reset_adaptation()

    def _reset_adaptation(self) -> None:
        """Trained weights again: a new text, or adaptation turned off."""
        self._adapt_timer.stop()
        self.adapt_worker.interrupt()
        self.adapt_reset_requested.emit()

    @Slot(int, str)
    def _on_sampler_request_done(self, request_id: int, outcome: str) -> None:
        self.last_request_done = (request_id, outcome)
        if outcome == "failed" and self._request and request_id == self._request.request_id:
            self._status("The model could not make suggestions (see the log)")

    @Slot()
    def _on_editor_suggestions_changed(self) -> None:
        suggestions = self.editor.suggestions
        self.pane.show_alternatives(suggestions.visible(), suggestions.index)

    @Slot()
    def _on_editor_dismissed(self) -> None:
        self._cancel_request()

    @Slot(int)
    def _on_pane_chosen(self, index: int) -> None:
        self.editor.accept(index)
        self.editor.setFocus()

    @Slot(int)
    def _on_pane_highlighted(self, index: int) -> None:
        self.editor.select(index)

    @Slot()
    def _on_pane_options_changed(self) -> None:
        self._request_suggestions()

    @Slot()
    def _on_pane_train_requested(self) -> None:
        self.training_dock.show()
        self.training_dock.raise_()
        self.training.corpus_path.setFocus()

    # -- the document ------------------------------------------------------------
    def document_name(self) -> str:
        return Path(self.path).name if self.path else "Untitled"

    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.document_name()}[*] — lstmwriter")
        self.setWindowModified(self.editor.document().isModified())

    @Slot(bool)
    def _on_modification_changed(self, _modified: bool) -> None:
        self._update_title()

    @Slot()
    def _on_editor_text_changed(self) -> None:
        self._recovery_dirty = True
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
        self.count_label.setText(f"{count_words(text):,} words · {len(text):,} characters")
        self.count_label.setToolTip("")

    def _confirm_discard(self) -> bool:
        """Before losing the text: True if it is saved, or may be dropped."""
        if not self.editor.document().isModified():
            return True
        answer = dialogs.ask_unsaved(self, self.document_name())
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
            self.recovery.keep_discarded(text, self.path, self.text_format.to_dict())

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
            write_document(path, text, fmt)
        except (OSError, ValueError) as exc:
            self.show_error("Cannot save", describe_save_error(path, exc))
            return False
        self._after_save(path, fmt)
        return True

    def _after_save(self, path: str, fmt: TextFormat) -> None:
        changed = fmt != self.text_format
        self._set_clean_document(path, fmt)
        self._status(f"Saved {path}" + (f" as {fmt.label}" if changed else ""))
        self.document_saved.emit(path)

    def _set_format(self, fmt: TextFormat) -> None:
        self.text_format = fmt
        self.encoding_label.setText(fmt.label)

    def _set_clean_document(self, path: str, fmt: TextFormat) -> None:
        """The editor now holds exactly the file at `path`, stored as `fmt`."""
        self.path = path
        self._set_format(fmt)
        self.editor.document().setModified(False)
        self.settings.set("files/last_dir", str(Path(path).parent))
        self.settings.add_recent(path)
        self._rebuild_recent_menu()
        self._update_title()
        self._remove_recovery_copy()

    def _ask_save_path(self) -> str | None:
        start = self.path or str(Path(self.settings.get("files/last_dir", str(Path.home())))
                                 / "Untitled.txt")
        path, _ = QFileDialog.getSaveFileName(self, "Save text", start, TEXT_FILTER)
        return path or None

    @Slot()
    def new_document(self) -> None:
        if not self._confirm_discard():
            return
        self.opener.cancel()
        self._generation += 1
        self.editor.setPlainText("")
        self._reset_adaptation()
        self.path = None
        self._set_format(UTF8)
        self.editor.document().setModified(False)
        self._remove_recovery_copy()
        self._update_title()

    @Slot()
    def _on_open_triggered(self) -> None:
        start = self.settings.get("files/last_dir", str(Path.home()))
        path, _ = QFileDialog.getOpenFileName(self, "Open text", start, TEXT_FILTER)
        if path:
            self.open_file(path)

    def open_file(self, path: str, encoding: str = "") -> None:
        """Read `path` (off the GUI thread) into the editor, in `encoding` (a
        Python codec name; "" detects it). Until it is in, the current text
        stays, read-only, and can still be saved (document_controller)."""
        if not self._confirm_discard():
            return
        self._status(f"Opening {path}…", 0)
        self.opener.start(str(path), encoding)

    @Slot()
    def _on_reopen_encoding_triggered(self) -> None:
        if not self.path:
            self.show_error("Nothing to reopen", "This text is not in a file yet: "
                            "Reopen with Encoding reads the current file again.")
            return
        items = list(ENCODINGS)
        if self.text_format.encoding not in items:
            items.insert(0, self.text_format.encoding)
        choice, ok = QInputDialog.getItem(
            self, "Reopen with encoding", f"Read “{self.document_name()}” again as:",
            items, items.index(self.text_format.encoding), False)
        if ok and choice:
            self.open_file(self.path, choice)

    @Slot(str, object, object, bool)
    def _on_opener_built(self, path: str, doc: object, fmt: TextFormat,
                         mixed: bool) -> None:
        """The text, its path and its modified flag change here, together."""
        self._generation += 1
        self._reset_adaptation()
        swap_document(self.editor, doc)
        if doc.characterCount() <= documents.LARGE_FILE_BYTES:
            # A huge text keeps the cursor at its start: suggestions read all the
            # text before the cursor, which would hold the window for seconds.
            self.editor.moveCursor(QTextCursor.MoveOperation.End)
        self._set_clean_document(path, fmt)
        notes = []
        if fmt.encoding != "utf-8":
            notes.append(f"read as {fmt.encoding}; Save writes it back in {fmt.encoding}")
        if mixed:
            notes.append(f"mixed line endings: Save writes {fmt.newline_name}")
        note = f" ({'; '.join(notes)})" if notes else ""
        self._status(f"Opened {path}{note}", 10_000)
        self.document_loaded.emit(path)

    @Slot()
    def save(self) -> None:
        """Save to the current file (off the GUI thread), or ask where."""
        path = self.path or self._ask_save_path()
        if path:
            self.save_to(path)

    @Slot()
    def save_as(self) -> None:
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

    def _format_for_saving(self, text: str) -> TextFormat | None:
        """The document's format; UTF-8 if its encoding cannot represent the
        text and the writer agrees; None: do not save (never a lossy write)."""
        fmt = self.text_format
        if fmt.is_unicode:
            return fmt
        bad = unencodable(text, fmt.encoding)
        if not bad:
            return fmt
        if dialogs.ask_save_as_utf8(self, self.document_name(), fmt.label, bad):
            return TextFormat("utf-8", False, fmt.newline)
        self._status(f"Not saved: {fmt.encoding} cannot hold "
                     f"{' '.join(bad[:8])}; remove them, or save as UTF-8.", 15_000)
        return None

    @Slot(int, str, str)
    def _on_file_written(self, request_id: int, path: str, kind: str) -> None:
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
            self._set_format(fmt)
            self._update_title()
            self._status(f"Saved {path} (newer changes are not saved yet)")

    @Slot(str, str, str)
    def _on_opener_failed(self, path: str, encoding: str, message: str) -> None:
        self._status("")
        if not encoding:  # not just the wrong encoding asked
            self.settings.remove_recent(path)
            self._rebuild_recent_menu()
        self.show_error("Cannot open the file", message)

    @Slot(int, str, str, str)
    def _on_file_failed(self, request_id: int, path: str, kind: str, message: str) -> None:
        self._saving.pop(request_id, None)
        if kind == "save":
            self.show_error("Cannot save", message)
        else:
            self._status(f"Could not write the recovery copy: {message}", 10_000)

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
            self.open_file(str(action.data()))

    # -- recovery ----------------------------------------------------------------
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

    def _offer_recovery(self) -> None:
        self._orphans = self.recovery.orphans()
        self._show_next_orphan()

    def _show_next_orphan(self) -> None:
        if not self._orphans:
            self.recovery_bar.hide()
            return
        orphan = self._orphans[0]
        words = count_words(orphan.text)
        self.recovery_label.setText(
            f"<b>Unsaved text was recovered</b> from a session that ended unexpectedly: "
            f"{orphan.label}, {words:,} words.")
        self.recovery_bar.show()

    @Slot()
    def _on_restore_clicked(self) -> None:
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
        self._set_format(TextFormat.from_dict(orphan.file_format))
        self.editor.document().setModified(True)
        self._update_title()
        self.recovery.retire(orphan)
        self._recovery_dirty = True
        self.autosave_now()
        self._status(f"Restored {orphan.label}; save it to keep it.", 10_000)
        self._show_next_orphan()

    @Slot()
    def _on_discard_recovery_clicked(self) -> None:
        if self._orphans:
            self.recovery.retire(self._orphans.pop(0))
        self._show_next_orphan()

    # -- training ----------------------------------------------------------------
    @Slot(str)
    def _on_training_corpus_selected(self, folder: str) -> None:
        self.settings.set("training/corpus", folder)
        self.scan_corpus(folder)

    @Slot(str)
    def _on_training_level_changed(self, _level: str) -> None:
        if self.training.corpus:
            self.scan_corpus(self.training.corpus)

    def scan_corpus(self, folder: str, quiet: bool = False) -> None:
        """Read the folder off the GUI thread and show its summary; `quiet`: a
        problem shows in the summary only, not as a message."""
        if self._scan_worker is not None:
            self._scan_worker.request_stop()
        self._task_id += 1
        worker = CorpusScanWorker(Path(folder).expanduser(), self.training.level_value,
                                  self._task_id)
        worker.progressed.connect(self._on_scan_progressed)
        worker.succeeded.connect(self._on_scan_succeeded)
        worker.failed.connect(self._on_scan_failed)
        self._scan_worker = worker
        self._scan_quiet = quiet
        self.training.set_corpus_busy(0, 0)
        self.threads.start(worker, "corpus scan")

    def _is_current_scan(self, task_id: int) -> bool:
        return self._scan_worker is not None and self._scan_worker.task_id == task_id

    @Slot(int, int, int)
    def _on_scan_progressed(self, task_id: int, done: int, total: int) -> None:
        if self._is_current_scan(task_id):
            self.training.set_corpus_busy(done, total)

    @Slot(int, object)
    def _on_scan_succeeded(self, task_id: int, report: dict) -> None:
        if self._is_current_scan(task_id):
            self._scan_worker = None
            self.training.set_corpus_report(report)

    @Slot(int, str)
    def _on_scan_failed(self, task_id: int, message: str) -> None:
        message = for_window(message)
        if self._is_current_scan(task_id):
            self._scan_worker = None
            self.training.set_corpus_error(message)
            if not self._scan_quiet:
                self.show_error("Cannot use this folder", message)

    @Slot()
    def _on_training_train_clicked(self) -> None:
        if self._train_worker is not None:
            return
        if not self.training.corpus:
            self.show_error("No texts chosen", "Choose a folder of your texts first.")
            return
        try:
            request = self.training.request()
        except ValueError as exc:
            self.show_error("Cannot train", for_window(str(exc)))
            return
        self.settings.set("training/corpus", self.training.corpus)
        self._start_training(request)

    @Slot(str)
    def _on_training_resume_run_clicked(self, name: str) -> None:
        run = self._unfinished.get(name)
        if self._train_worker is not None or run is None:
            return
        # The run's own settings, time limit included; only the device may change.
        device = str(self.training.device.currentData())
        self._start_training(TrainRequest(Path(run["corpus"]), name=name, resume=True,
                                          train_overrides={"device": device}))

    def _start_training(self, request: TrainRequest) -> None:
        worker = TrainWorker(request, self.store.root)
        worker.reading.connect(self._on_train_reading)
        worker.planned.connect(self._on_train_planned)
        worker.progressed.connect(self._on_train_progressed)
        worker.noticed.connect(self._on_train_noticed)
        worker.failed.connect(self._on_train_failed)
        worker.finished.connect(self._on_train_finished)
        self._train_worker = worker
        self._train_plan = None
        self._train_saved = None
        self.training.start_run()
        self.training.set_state("reading")
        self.training_label.setText("Training: reading texts")
        self.threads.start(worker, "training")

    def _find_unfinished_runs(self) -> None:
        """Look (off the GUI thread) for runs that can be resumed."""
        self._runs_task += 1
        worker = UnfinishedRunsWorker(self.store.root, self._runs_task)
        worker.succeeded.connect(self._on_unfinished_runs_found)
        self.threads.start(worker, "unfinished runs")

    @Slot(int, object)
    def _on_unfinished_runs_found(self, task_id: int, runs: list) -> None:
        if task_id != self._runs_task:
            return
        running = self._train_plan["name"] if self._train_plan else None
        runs = [r for r in runs if r["name"] != running and r["corpus"]]
        self._unfinished = {r["name"]: r for r in runs}
        self.training.set_unfinished_runs(runs)

    @Slot(str)
    def _on_train_noticed(self, message: str) -> None:
        message = for_window(message)
        self.training.add_notice(message)
        self._status(f"Training: {message}", 15_000)

    @Slot(int, int)
    def _on_train_reading(self, done: int, total: int) -> None:
        self.training.set_corpus_busy(done, total)

    @Slot(dict)
    def _on_train_planned(self, plan: dict) -> None:
        self._train_plan = plan
        self.training.show_plan(plan)
        self.training.set_corpus_report(plan["corpus"])
        if self.training.state == "reading":
            self.training.set_state("training")
        try:
            device = device_text(resolve_device(plan["train"].get("device", "auto")))
        except ValueError:
            device = plan["train"].get("device", "auto")
        self._training_device = device
        self.training_label.setText(f"Training {plan['name']} on {device}")

    @Slot(object)
    def _on_train_progressed(self, event: object) -> None:
        if isinstance(event, Progress):
            self.training.show_progress(event)
            state = "paused" if self.training.state == "paused" else \
                f"{event.fraction:.0%}, ETA {format_duration(event.eta_s)}"
            self.training_label.setText(f"Training: {state} · {self._training_device}")
            if event.val_loss is not None:
                self._maybe_load_snapshot()
        elif isinstance(event, Sample):
            self.training.show_sample(event)
        elif isinstance(event, Finished):
            self._on_train_run_finished(event)
        elif isinstance(event, Failed):
            log.warning("training failed at step %s: %s", event.step, event.message)

    def _on_train_run_finished(self, event: Finished) -> None:
        self._train_saved = event.name
        self.training.show_finished(event)
        self._refresh_models(self._model_spec)
        self._status(f"Saved the model “{event.name}”", 15_000)
        if self._use_snapshot or self.model_info is None:
            self.load_model(event.name, "user")

    @Slot(str)
    def _on_train_failed(self, message: str) -> None:
        message = for_window(message)
        self.training.show_failure(message)
        self.show_error("Training failed", message)

    @Slot(str)
    def _on_train_finished(self, outcome: str) -> None:
        self._train_worker = None
        self._find_unfinished_runs()  # a stopped run can be resumed later
        self.training.set_state("idle")
        self.training_label.setText(_finished_label(outcome, self._train_saved))
        if self._train_plan and self._use_snapshot and self.model_info and \
                self.model_info["source"] == "snapshot" and outcome == "failed":
            self._restore_user_model()
        self._train_plan = None

    @Slot()
    def _on_training_pause_clicked(self) -> None:
        worker = self._train_worker
        if worker is None:
            return
        if self.training.state == "paused":
            worker.resume()
            self.training.set_state("training")
            self.training_label.setText("Training: resumed")
        elif self.training.state == "training":
            worker.pause()
            self.training.set_state("paused")
            self.training_label.setText("Training: paused")

    @Slot()
    def _on_training_stop_clicked(self) -> None:
        if self._train_worker is not None:
            self._train_worker.request_stop()
            self.training.set_state("stopping")
            self.training_label.setText("Training: stopping")

    @Slot(str)
    def _on_training_load_trained_clicked(self, name: str) -> None:
        self._refresh_models(self._model_spec)
        self.load_model(name, "user")

    @Slot(bool)
    def _on_training_snapshot_toggled(self, on: bool) -> None:
        self._use_snapshot = on
        if on:
            self._snapshot_loaded_at = 0.0
            self._maybe_load_snapshot()
        elif self.model_info and self.model_info["source"] == "snapshot":
            self._restore_user_model()

    def _restore_user_model(self) -> None:
        if self._model_spec:
            self.load_model(self._model_spec, "user")

    def _maybe_load_snapshot(self) -> None:
        """With "suggest from the model being trained": reload its best save."""
        if not self._use_snapshot or not self._train_plan:
            return
        now = time.monotonic()
        folder = Path(self._train_plan["model_dir"])
        if now - self._snapshot_loaded_at < SNAPSHOT_EVERY_S or \
                not (folder / "config.json").is_file():
            return
        self._snapshot_loaded_at = now
        self.load_model(str(folder), "snapshot")

    # -- help --------------------------------------------------------------------
    @Slot()
    def _on_shortcuts_triggered(self) -> None:
        dialog = ShortcutsDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    @Slot()
    def _on_about_triggered(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, "About lstmwriter", about_text(),
                          QMessageBox.StandardButton.Ok, self)
        box.setObjectName("aboutDialog")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    # -- closing -----------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._confirm_discard():
            event.ignore()
            return
        if self._train_worker is not None and not dialogs.ask_stop_training(self):
            event.ignore()
            return
        self._closing = True
        self._autosave_timer.stop()
        self._save_settings()
        self.shutdown()
        event.accept()

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Cancel, quit and wait for every worker (training saves its model)."""
        self._cancel_request()
        self.opener.cancel()  # a text still being laid out is not swapped in
        self.adapt_worker.request_stop()
        self.threads.stop_all(timeout_ms)
        for thread in (self.sample_thread, self.file_thread, self.adapt_thread):
            thread.quit()
            thread.wait(timeout_ms)
        self.recovery.close()
