"""Adapting the suggestion model to the document, on its own thread.

`AdaptWorker` owns a `core.adapt.DocumentAdapter` for the loaded model (none for
a word-level model). The window hands it the text before the cursor now and
then (`submit`, latest wins); the worker learns from it a chunk at a time, so a
stop, a new document or another model interrupts it within one chunk, and emits
the adapted weights for the SampleWorker. The stored model is never changed.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from ..core.adapt import DocumentAdapter
from ..core.store import load_model_dir

__all__ = ["AdaptWorker", "AdaptedWeights"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AdaptedWeights:
    """Weights for the Sampler of one loaded model (plain numpy arrays)."""

    model_path: str
    load_id: int  # which load of that model (SampleWorker counts them)
    weights: dict[str, np.ndarray]


class AdaptWorker(QObject):
    """A DocumentAdapter on a long-lived thread.

    `submit`, `interrupt` and `request_stop` are called directly from the GUI
    thread (a lock and flags); `set_model`, `reset` and `observe_pending` arrive
    as queued signals. Learning checks the flags between chunks, so a queued
    `reset` or `set_model` never waits for a long read."""

    adapted = Signal(object)  # AdaptedWeights(model_path, load_id, weights)

    def __init__(self, emit_every_s: float = 1.0) -> None:
        super().__init__()
        self._emit_every = emit_every_s
        self._lock = threading.Lock()
        self._pending: str | None = None
        self._interrupted = threading.Event()
        self._stop = threading.Event()
        self._adapter: DocumentAdapter | None = None
        self._model: tuple[str, int] = ("", 0)  # model path, load id
        self._learnt = ""  # the text learnt from, as the adapter counts it

    # -- called from the GUI thread ------------------------------------------
    def submit(self, text: str) -> None:
        """The latest text before the cursor; replaces one not read yet."""
        with self._lock:
            self._pending = text

    def interrupt(self) -> None:
        """Stop learning at the next chunk and drop the text not read yet (before
        a queued `reset` or `set_model`)."""
        with self._lock:
            self._pending = None
        self._interrupted.set()

    def request_stop(self) -> None:
        """The window is closing: learn nothing more."""
        self._stop.set()
        self.interrupt()

    # -- slots (the worker's thread) ------------------------------------------
    @Slot(str, str, int)
    def set_model(self, path: str, level: str, load_id: int) -> None:
        """Adapt a copy of the model in folder `path` from now on (none for a
        word-level model, or if it cannot be read)."""
        self._interrupted.clear()
        self._adapter, self._learnt = None, ""
        self._model = (path, load_id)
        if level != "char" or self._stop.is_set():
            return
        try:
            self._adapter = DocumentAdapter(load_model_dir(Path(path)))
        except Exception as exc:  # adaptation is a bonus: suggestions go on
            log.warning("no adaptation for %s: %s", path, exc)

    @Slot()
    def reset(self) -> None:
        """Back to the trained weights (a new document, or adaptation off); the
        Sampler gets them too if it had adapted ones."""
        self._interrupted.clear()
        self._learnt = ""
        adapter = self._adapter
        if adapter is not None and adapter.steps:
            adapter.reset()
            self._emit()

    @Slot()
    def observe_pending(self) -> None:
        """Learn from the latest submitted text, a chunk at a time."""
        try:
            self._observe()
        except Exception:  # never a traceback: suggestions go on, unadapted
            log.exception("adapting to the document failed")
            self.reset()  # the trained weights for the Sampler
            self._adapter = None

    def _observe(self) -> None:
        changed, last_emit = False, time.monotonic()
        text = self._take()
        while text is not None and self._may_learn():
            newer = self._take()
            text = text if newer is None else newer
            if not self._learn_chunk(text):
                break
            changed = True
            if time.monotonic() - last_emit >= self._emit_every:
                self._emit()
                changed, last_emit = False, time.monotonic()
        if changed:
            self._emit()

    # -- helpers ---------------------------------------------------------------
    def _take(self) -> str | None:
        with self._lock:
            text, self._pending = self._pending, None
        return text

    def _may_learn(self) -> bool:
        return self._adapter is not None and not (
            self._stop.is_set() or self._interrupted.is_set())

    def _learn_chunk(self, text: str) -> bool:
        """One chunk of `text` past what was learnt (the adapter reads afresh
        when the text no longer starts with it); False if none is complete."""
        chunk = self._adapter.chunk
        if not text.startswith(self._learnt):
            self._learnt = ""
        end = len(self._learnt) + chunk + 1
        if len(text) < end:
            return False
        self._adapter.observe(text[:end])
        self._learnt = text[:end - 1]
        return True

    def _emit(self) -> None:
        path, load_id = self._model
        self.adapted.emit(AdaptedWeights(path, load_id, self._adapter.weights()))
