"""The Model menu: load a model folder, manage the store (rename, delete),
import an ml5.js folder, export the model in use. Import and export run the
plain functions of core.model_io on a worker thread (model files can be
large)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QFileDialog, QInputDialog, QWidget

from ..core.ml5 import ml5_problem
from ..core.model_io import export_model_dir, import_ml5_model
from ..core.store import ModelStore
from .dialogs import ManageModelsDialog
from .suggestion_controller import SuggestionController
from .training_controller import TrainingController
from .workers import ModelSource, ModelTaskWorker, WorkerThreads

__all__ = ["ModelController"]

_EXPORT_FORMATS = {"ml5.js folder": "ml5", "ONNX file": "onnx"}  # label: kind


class ModelController(QObject):
    """Acts on models for the Model menu; suggestions use what it loads or
    imports (SuggestionController), a run in progress keeps its name."""

    model_exported = Signal(str)  # where a model was exported to
    model_renamed = Signal(str, str)  # old name, new name (Manage)
    model_deleted = Signal(str)  # name (Manage)
    status_changed = Signal(str, int)  # status bar message, ms (0: until replaced)
    failed = Signal(str, str)  # title, message for the user

    def __init__(self, store: ModelStore, threads: WorkerThreads,
                 suggestions: SuggestionController, training: TrainingController,
                 window: QWidget) -> None:
        super().__init__(window)
        self.store = store
        self.threads = threads
        self.suggestions = suggestions
        self.training = training
        self._window = window  # the dialogs' parent
        self._task_id = 0

    @Slot()
    def ask_load(self) -> None:
        """Model ▸ Load: choose a model folder and use it."""
        folder = QFileDialog.getExistingDirectory(self._window, "Load a model folder",
                                                  str(self.store.root))
        if folder:
            self.suggestions.load_model(folder, ModelSource.USER)

    @Slot()
    def manage(self) -> None:
        """Model ▸ Manage: the store's models; those in use cannot change."""
        info = self.suggestions.model_info
        busy = {info.name} if info else set()
        if self.training.plan:
            busy.add(self.training.plan.name)
        dialog = ManageModelsDialog(self.store, busy, self._window)
        dialog.models_changed.connect(self._on_dialog_models_changed)
        dialog.renamed.connect(self.model_renamed)
        dialog.deleted.connect(self.model_deleted)
        dialog.exec()
        dialog.deleteLater()

    @Slot()
    def _on_dialog_models_changed(self) -> None:
        self.suggestions.refresh_models()
        self.training.find_unfinished_runs()

    # -- import ------------------------------------------------------------------
    @Slot()
    def ask_import(self) -> None:
        """Model ▸ Import ml5.js model: choose its folder and import it."""
        folder = QFileDialog.getExistingDirectory(self._window,
                                                  "Import an ml5.js model folder")
        if folder:
            self.import_model(folder)

    def import_model(self, folder: str) -> None:
        """Import an ml5.js charRNN folder into the store (off the GUI thread),
        then load it."""
        self._start_task("import", self._on_import_succeeded, import_ml5_model,
                         Path(folder), self.store)

    @Slot(int, object)
    def _on_import_succeeded(self, _task_id: int, name: str) -> None:
        self.status_changed.emit(f"Imported the model as “{name}”", 10_000)
        self.suggestions.use_model(name)

    # -- export ------------------------------------------------------------------
    @Slot()
    def ask_export(self) -> None:
        """Model ▸ Export: choose the format (said at once if the model does not
        fit it), then where."""
        info = self.suggestions.model_info
        if info is None or info.source is ModelSource.SNAPSHOT:
            self.failed.emit("Nothing to export", "Load a model first.")
            return
        choice, ok = QInputDialog.getItem(self._window, "Export model",
                                          f"Export “{info.name}” as:",
                                          list(_EXPORT_FORMATS), 0, False)
        if not ok:
            return
        if _EXPORT_FORMATS[choice] == "ml5":
            problem = ml5_problem(info.name, info.level, info.config)
            if problem:  # said before the folder is chosen, not after
                self.failed.emit("Cannot export as an ml5.js folder", problem)
                return
            out = QFileDialog.getExistingDirectory(self._window,
                                                   "Export into an empty folder")
        else:
            out, _ = QFileDialog.getSaveFileName(
                self._window, "Export ONNX file", f"{info.name}.onnx", "ONNX (*.onnx)")
        if out:
            self.export_model(_EXPORT_FORMATS[choice], out)

    def export_model(self, kind: str, out: str) -> None:
        """Export the loaded model as "ml5" (a folder) or "onnx" (a file), off the
        GUI thread; the worker reads the model from its folder itself."""
        info = self.suggestions.model_info
        if info is None:
            self.failed.emit("Nothing to export", "Load a model first.")
            return
        self._start_task("export", self._on_export_succeeded, export_model_dir,
                         Path(info.path), kind, out)

    @Slot(int, object)
    def _on_export_succeeded(self, _task_id: int, out: str) -> None:
        self.status_changed.emit(f"Exported to {out}", 10_000)
        self.model_exported.emit(out)

    def _start_task(self, what: str, on_success: Callable[[int, object], None],
                    function: Callable[..., Any], *args: Any) -> None:
        self._task_id += 1
        worker = ModelTaskWorker(what, function, *args, task_id=self._task_id)
        worker.succeeded.connect(on_success)
        worker.failed.connect(self._on_task_failed)
        self.status_changed.emit(f"{what.capitalize()}ing the model…", 0)
        self.threads.start(worker, what)

    @Slot(int, str)
    def _on_task_failed(self, _task_id: int, message: str) -> None:
        self.status_changed.emit("", 5000)
        self.failed.emit("Model import/export failed", message)
