"""Suggestions for the text before the cursor, and the model they come from.

The SampleWorker (loading models, sampling) and the AdaptWorker (learning the
document's names and phrases) each run on a long-lived thread owned here. The
latest request wins: each carries an id, a stale one is cancelled through its
flag and its late results are dropped. A model is loaded for a reason
(`ModelSource`): the writer's choice shows its failure, the start-up choice
falls back to the default model, a training snapshot is simply tried again
after the next validation.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QComboBox, QWidget

from ..core.sample_options import GHOST_AMOUNTS, SampleOptions, suggestion_options
from ..core.store import DEFAULT_MODEL_NAME, ModelStore
from . import dialogs
from .adapt_worker import AdaptedWeights, AdaptWorker
from .settings import AppSettings
from .suggestion_pane import SuggestionPane
from .workers import (
    LoadedModelInfo,
    ModelSource,
    SampleWorker,
    SuggestRequest,
    TrainPlan,
    persistent_thread,
)

if TYPE_CHECKING:
    from .editor import WriterEditor

__all__ = ["ADAPT_EVERY_MS", "SNAPSHOT_EVERY_S", "SuggestionController"]

log = logging.getLogger(__name__)

SNAPSHOT_EVERY_S = 5.0  # at most this often, reload the training model's snapshot
ADAPT_EVERY_MS = 2000  # at most this often, the adapter is sent the text


class SuggestionController(QObject):
    """Asks the sample worker for suggestions as the writer types and shows them
    in the editor (grey text) and the pane; loads the model the writer picks
    (model selector, Model menu, training panel) or the run being trained."""

    sample_requested = Signal(object)  # SuggestRequest, to the sample worker
    model_load_requested = Signal(str, object)  # spec (name or path), ModelSource
    adapt_model_requested = Signal(str, str, int)  # model path, level, load id
    adapt_reset_requested = Signal()  # back to the trained weights
    adapt_requested = Signal()  # the adapter has a new text (AdaptWorker.submit)
    adapted_weights_ready = Signal(object)  # AdaptedWeights, to the sample worker
    model_described = Signal(str)  # the status bar's word on the model in use
    # The default model's config.json "model" entry (None: it is not installed)
    # and its "level".
    default_model_listed = Signal(object, str)
    status_changed = Signal(str, int)  # status bar message, ms (0: until replaced)
    failed = Signal(str, str)  # title, message for the user

    # A best guess on screen this long has been read: typing a letter of it then
    # declines its word (ghost.PassedWords); typing along sooner keeps it.
    GHOST_READ_S = 0.6

    def __init__(self, store: ModelStore, settings: AppSettings, editor: WriterEditor,
                 pane: SuggestionPane, selector: QComboBox, window: QWidget) -> None:
        super().__init__(window)
        self.store = store
        self.settings = settings
        self.editor = editor
        self.pane = pane
        self.selector = selector
        self.model_info: LoadedModelInfo | None = None  # suggestions come from it
        self._model_spec: str | None = None  # the model the writer chose
        self._loading_spec: str | None = None
        self._request_id = 0
        self._request: SuggestRequest | None = None
        self._ghost_shown_at: float | None = None  # the best guess's first piece
        self.last_request_done: tuple[int, str] | None = None  # (id, outcome)
        self._adapting = settings.adapt_to_document()
        self._follow_training = False  # suggest from the run being trained
        self._run_dir: str | None = None  # that run's model folder
        self._snapshot_loaded_at = 0.0
        self._closing = False
        editor.context_changed.connect(self._on_editor_context_changed)
        editor.dismissed.connect(self._on_editor_dismissed)
        pane.options_changed.connect(self._on_pane_options_changed)
        selector.activated.connect(self._on_selector_activated)

        self.sample_worker = SampleWorker(store.root)
        self.sample_thread = persistent_thread(self.sample_worker, "suggestions",
                                               window)
        self.sample_requested.connect(self.sample_worker.suggest)
        self.model_load_requested.connect(self.sample_worker.load_model)
        self.sample_worker.chunk_ready.connect(self._on_sampler_chunk_ready)
        self.sample_worker.request_done.connect(self._on_sampler_request_done)
        self.sample_worker.model_loaded.connect(self._on_sampler_model_loaded)
        self.sample_worker.model_failed.connect(self._on_sampler_model_failed)
        self.sample_worker.ghost_ready.connect(self._on_sampler_ghost_ready)
        self.adapted_weights_ready.connect(self.sample_worker.update_weights)
        self.sample_thread.start()

        self.adapt_worker = AdaptWorker()
        self.adapt_thread = persistent_thread(self.adapt_worker, "adaptation", window)
        self.adapt_model_requested.connect(self.adapt_worker.set_model)
        self.adapt_reset_requested.connect(self.adapt_worker.reset)
        self.adapt_requested.connect(self.adapt_worker.observe_pending)
        self.adapt_worker.adapted.connect(self._on_adapter_adapted)
        self.adapt_thread.start()
        self._adapt_timer = QTimer(self)
        self._adapt_timer.setSingleShot(True)
        self._adapt_timer.setInterval(ADAPT_EVERY_MS)
        self._adapt_timer.timeout.connect(self._on_adapt_timer_timeout)

    def start(self) -> None:
        """List the models and load the last one used (else the default)."""
        self.refresh_models()
        last = self.settings.get("model/last", "")
        names = [self.selector.itemData(i) for i in range(self.selector.count())]
        if last and (last in names or (Path(last) / "config.json").is_file()):
            self.load_model(last, ModelSource.STARTUP)
        elif DEFAULT_MODEL_NAME in names:
            self.load_model(DEFAULT_MODEL_NAME, ModelSource.STARTUP)
        elif names:
            self.load_model(names[0], ModelSource.STARTUP)
        else:
            self._show_no_model()

    def stop(self) -> None:
        """Closing: cancel the request in flight, stop adapting."""
        self._closing = True
        self._cancel_request()
        self.adapt_worker.request_stop()

    def wait(self, timeout_ms: int) -> None:
        """End the sampling and adaptation threads."""
        for thread in (self.sample_thread, self.adapt_thread):
            thread.quit()
            thread.wait(timeout_ms)

    def _status(self, text: str, ms: int = 5000) -> None:
        self.status_changed.emit(text, ms)

    # -- models ------------------------------------------------------------------
    def refresh_models(self, select: str | None = None) -> None:
        """Fill the selector from the store (item text = model name)."""
        infos = self.store.list()
        current = select or (self._model_spec if self._model_spec else None)
        selector = self.selector
        selector.blockSignals(True)
        try:
            selector.clear()
            for info in infos:
                selector.addItem(info.name, info.name)
                selector.setItemData(selector.count() - 1, dialogs.describe_model(info),
                                     Qt.ItemDataRole.ToolTipRole)
            if current and selector.findData(current) < 0:
                selector.addItem(Path(current).name, current)  # loaded by path
            selector.setCurrentIndex(selector.findData(current) if current else -1)
        finally:
            selector.blockSignals(False)
        default = next((i for i in infos if i.name == DEFAULT_MODEL_NAME), None)
        meta = default.meta if default else {}
        self.default_model_listed.emit(meta.get("model"), meta.get("level", "char"))

    def _show_no_model(self) -> None:
        self.model_described.emit("No model")
        self.pane.set_status("There is no model yet. Train one on your own writing in "
                             "the training panel; suggestions start as soon as it is "
                             "saved.", no_model=True)

    def load_model(self, spec: str, source: ModelSource = ModelSource.USER) -> None:
        """Load a store model (name) or a model folder (path) for suggestions."""
        info = self.model_info
        if source is ModelSource.USER and info and info.spec == spec and \
                info.source is not ModelSource.SNAPSHOT and self._loading_spec is None:
            return  # already the one in use
        self._cancel_request()
        self.editor.clear_suggestions()
        self._loading_spec = spec
        if source is not ModelSource.SNAPSHOT:
            self.model_described.emit(f"Loading {Path(spec).name}…")
        self.model_load_requested.emit(spec, source)

    @Slot(str)
    def use_model(self, name: str) -> None:
        """A model just trained or imported: list it and use it."""
        self.refresh_models(self._model_spec)
        self.load_model(name, ModelSource.USER)

    @Slot(object)
    def _on_sampler_model_loaded(self, info: LoadedModelInfo) -> None:
        self.model_info = info
        if info.spec == self._loading_spec:
            self._loading_spec = None
        if info.source is ModelSource.SNAPSHOT:
            self.model_described.emit(f"Model: {info.name} (training snapshot)")
        else:
            self._model_spec = info.spec
            self.settings.set("model/last", info.spec)
            self.model_described.emit(f"Model: {info.name}")
            self.refresh_models(info.spec)
            words = ", word LSTM" if info.word_model else ""
            self._status(f"Loaded model {info.name} ({info.level} level, "
                         f"{info.parameters / 1e6:.2f} M parameters{words})")
        self.pane.set_status("")
        self.adapt_model_requested.emit(info.path, info.level, info.load_id)
        self._request_suggestions()

    @Slot(str, object, str)
    def _on_sampler_model_failed(self, spec: str, source: ModelSource,
                                 message: str) -> None:
        if spec == self._loading_spec:
            self._loading_spec = None
        if source is ModelSource.SNAPSHOT:
            log.info("snapshot not loaded yet: %s", message)
            return
        self.refresh_models(self._model_spec)
        self.model_described.emit(f"Model: {self.model_info.name}" if self.model_info
                                  else "No model")
        if source is ModelSource.STARTUP:
            self._status(f"Could not load the last model: {message}", 10_000)
            if spec != DEFAULT_MODEL_NAME and \
                    self.selector.findData(DEFAULT_MODEL_NAME) >= 0:
                self.load_model(DEFAULT_MODEL_NAME, ModelSource.STARTUP)
                return
            if self.model_info is None:
                self._show_no_model()
            return
        self.failed.emit("Cannot load the model", message)

    @Slot(int)
    def _on_selector_activated(self, index: int) -> None:
        spec = self.selector.itemData(index)
        if spec and spec != self._model_spec:
            self.load_model(str(spec), ModelSource.USER)

    # -- the model being trained ---------------------------------------------------
    @Slot(bool)
    def follow_training(self, on: bool) -> None:
        """Suggest from the run being trained (its latest save), or, off, from
        the writer's own choice again."""
        self._follow_training = on
        if on:
            self._snapshot_loaded_at = 0.0
            self.reload_snapshot()
        elif self.model_info and self.model_info.source is ModelSource.SNAPSHOT:
            self._restore_user_model()

    @Slot(object)
    def watch_run(self, plan: TrainPlan) -> None:
        """A run has started: its model folder is where its snapshots appear."""
        self._run_dir = plan.model_dir

    @Slot()
    def reload_snapshot(self) -> None:
        """While following the run: reload its best save (at most every
        SNAPSHOT_EVERY_S, once it has one)."""
        if not self._follow_training or not self._run_dir:
            return
        now = time.monotonic()
        folder = Path(self._run_dir)
        if now - self._snapshot_loaded_at < SNAPSHOT_EVERY_S or \
                not (folder / "config.json").is_file():
            return
        self._snapshot_loaded_at = now
        self.load_model(str(folder), ModelSource.SNAPSHOT)

    @Slot(str)
    def offer_trained_model(self, name: str) -> None:
        """The run saved `name`: list it; use it when following the run, or when
        there was no model yet."""
        self.refresh_models(self._model_spec)
        if self._follow_training or self.model_info is None:
            self.load_model(name, ModelSource.USER)

    @Slot(str)
    def end_run(self, outcome: str) -> None:
        """The run ended ("done" | "cancelled" | "failed"): after a failure its
        snapshot gives way to the writer's model again."""
        info = self.model_info
        if self._run_dir and self._follow_training and info and \
                info.source is ModelSource.SNAPSHOT and outcome == "failed":
            self._restore_user_model()
        self._run_dir = None

    def _restore_user_model(self) -> None:
        if self._model_spec:
            self.load_model(self._model_spec, ModelSource.USER)

    # -- requests ----------------------------------------------------------------
    def sample_options(self) -> SampleOptions:
        """The pane's settings, in tokens of the loaded model's level."""
        pane = self.pane.settings()
        return suggestion_options(pane.length, pane.stop, pane.count, pane.temperature,
                                  self.model_info.level if self.model_info else None)

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
        shown, self._ghost_shown_at = self._ghost_shown_at, None
        text = self.editor.text_before_cursor()
        if not text:
            return
        read = shown is not None and time.monotonic() - shown >= self.GHOST_READ_S
        self._request_id += 1
        self._request = SuggestRequest(self._request_id, text, self.sample_options(),
                                       threading.Event(), read,
                                       GHOST_AMOUNTS[self.pane.settings().ghost])
        self.sample_requested.emit(self._request)

    @Slot()
    def _on_editor_context_changed(self) -> None:
        self._request_suggestions()
        if self._adapting and not self._adapt_timer.isActive():
            self._adapt_timer.start()

    @property
    def request(self) -> SuggestRequest | None:
        """The suggestion request in flight or last made for the text (None once
        cancelled or before the first)."""
        return self._request

    @Slot()
    def _on_editor_dismissed(self) -> None:
        self._cancel_request()

    @Slot()
    def _on_pane_options_changed(self) -> None:
        self._request_suggestions()

    @Slot(int, str)
    def _on_sampler_ghost_ready(self, request_id: int, piece: str) -> None:
        if not self._is_stale(request_id):
            self.editor.add_best(piece)
            if self._ghost_shown_at is None:
                self._ghost_shown_at = time.monotonic()

    @Slot(int, object)
    def _on_sampler_chunk_ready(self, request_id: int, pieces: list) -> None:
        if not self._is_stale(request_id):
            self.editor.add_pieces(pieces)

    def _is_stale(self, request_id: int) -> bool:
        """True for a result of a request the text has moved on from."""
        return self._request is None or request_id != self._request.request_id \
            or self.editor.context_pending()

    @Slot(int, str)
    def _on_sampler_request_done(self, request_id: int, outcome: str) -> None:
        self.last_request_done = (request_id, outcome)
        if outcome == "failed" and self._request and \
                request_id == self._request.request_id:
            self._status("The model could not make suggestions (see the log)")

    # -- adapting to the document ---------------------------------------------------
    @Slot(bool)
    def set_adapting(self, on: bool) -> None:
        """Model ▸ Adapt to the document: on, or off (the trained weights)."""
        self._adapting = on
        self.settings.set_adapt_to_document(on)
        if on:
            self._adapt_timer.start()
        else:
            self.reset_adaptation()

    @Slot()
    def reset_adaptation(self) -> None:
        """Trained weights again: a new text, or adaptation turned off."""
        self._adapt_timer.stop()
        self.adapt_worker.interrupt()
        self.adapt_reset_requested.emit()

    @Slot()
    def _on_adapt_timer_timeout(self) -> None:
        text = self.editor.text_before_cursor()
        if text and self._adapting and not self._closing:
            self.adapt_worker.submit(text)
            self.adapt_requested.emit()

    @Slot(object)
    def _on_adapter_adapted(self, adapted: AdaptedWeights) -> None:
        self.adapted_weights_ready.emit(adapted)  # the sample worker checks the model
