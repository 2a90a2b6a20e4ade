"""Workers that keep the window responsive, each on its own QThread.

Rules (STYLE.md, "GUI and threads"): signals carry plain data; cancellation is a
flag set directly from the GUI thread; a worker catches everything, emits
`failed`, and `finished` always comes last.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from ..core.config import ModelConfig, TrainConfig
from ..core.corpus import CorpusError, prepare_corpus
from ..core.documents import TextFormat, describe_save_error, write_document
from ..core.errors import describe_error
from ..core.ghost import GhostOptions, GhostPredictor
from ..core.jobs import TrainRequest, plan_training
from ..core.runs import find_unfinished_runs
from ..core.sampling import SampleOptions, Sampler
from ..core.store import ModelStore
from ..core.training import Trainer, TrainingControl
from .recovery import write_copy, write_discarded_copy

if TYPE_CHECKING:
    from .adapt_worker import AdaptedWeights

__all__ = [
    "CorpusScanWorker",
    "FileWorker",
    "LoadedModelInfo",
    "ModelSource",
    "ModelTaskWorker",
    "SampleWorker",
    "SuggestRequest",
    "TaskWorker",
    "TrainPlan",
    "TrainWorker",
    "UnfinishedRunsWorker",
    "WorkerThreads",
    "persistent_thread",
]

log = logging.getLogger(__name__)

Task = Callable[[Callable[[int, int], None], threading.Event], Any]


class _Throttle:
    """Lets a progress report through at most every `interval` seconds (and
    always the last one), so the GUI thread is never flooded."""

    def __init__(self, interval: float = 0.1) -> None:
        self._interval = interval
        self._last = 0.0

    def ready(self, done: int, total: int) -> bool:
        now = time.monotonic()
        if done >= total or now - self._last >= self._interval:
            self._last = now
            return True
        return False


class WorkerThreads(QObject):
    """Starts one-shot workers on their own threads and keeps the references until
    each thread has finished (superqt `new_worker_qthread`)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._running: dict[QThread, QObject] = {}
        self._stopped = False  # stop_all was called: the window is closing

    def start(self, worker: QObject, name: str) -> QThread | None:
        """Move `worker` (with `run`, `finished`, `request_stop`) to a new thread;
        after `stop_all`, start nothing (None): a queued signal delivered as the
        window closes, such as the end of a run, must not leave a thread behind."""
        if self._stopped:
            log.info("not starting %s: the window is closing", name)
            return None
        thread = QThread()
        thread.setObjectName(name)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        # Direct: quit from the worker thread, so closeEvent's wait() never needs
        # the GUI event loop.
        worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        # No deleteLater: a PySide object destroyed on its worker thread needs the
        # GIL inside Qt's connection lock (disconnectNotify), which deadlocks
        # against a GUI-thread connect(). The worker is freed on the GUI thread
        # when _sweep drops the last reference, after its thread has ended.
        thread.finished.connect(self._on_thread_finished)
        self._running[thread] = worker
        thread.start()
        return thread

    def busy(self) -> bool:
        """True while any worker thread is still running."""
        self._sweep()
        return bool(self._running)

    def stop_all(self, timeout_ms: int = 10_000) -> bool:
        """Ask every worker to stop, then wait; True if all threads ended. No
        worker starts after this."""
        self._stopped = True
        for thread, worker in list(self._running.items()):
            worker.request_stop()
            thread.quit()
        ended = True
        for thread in list(self._running):
            ended = thread.wait(timeout_ms) and ended
        self._sweep()
        return ended

    @Slot()
    def _on_thread_finished(self) -> None:
        self._sweep()

    def _sweep(self) -> None:
        """Drop finished threads (found by state: sender() may be deleted by now).

        isFinished() turns true while the native thread still runs the end of
        QThread's clean-up; wait() until it is out before the QThread (owned by
        its Python wrapper) is freed, or that clean-up touches freed memory."""
        for thread in [t for t in self._running if t.isFinished()]:
            thread.wait()
            del self._running[thread]


def persistent_thread(worker: QObject, name: str, parent: QObject) -> QThread:
    """A long-lived thread, owned by `parent`, with `worker` moved to it (not yet
    started). The owner quits and waits for it when it closes; the worker is then
    freed with the owner, on the GUI thread (see WorkerThreads.start)."""
    thread = QThread(parent)
    thread.setObjectName(name)
    worker.moveToThread(thread)
    return thread


class TaskWorker(QObject):
    """Runs `task(on_progress, cancel)` once; its result must be plain data.

    Signals carry `task_id`, so the owner can drop results of tasks it has
    replaced (`sender()` is gone once the worker is deleted)."""

    progressed = Signal(int, int, int)  # task id, done, total (at most ~10 per second)
    succeeded = Signal(int, object)  # task id, the task's result
    failed = Signal(int, str)  # task id, message for the user
    finished = Signal(str)  # "done" | "cancelled" | "failed", always last

    def __init__(self, task: Task, what: str = "task", task_id: int = 0) -> None:
        super().__init__()
        self.task_id = task_id
        self._task = task
        self._what = what
        self._cancel = threading.Event()
        self._throttle = _Throttle()

    def request_stop(self) -> None:
        """Thread-safe: the task sees the flag at its next check."""
        self._cancel.set()

    def _on_progress(self, done: int, total: int) -> None:
        if self._throttle.ready(done, total):
            self.progressed.emit(self.task_id, done, total)

    @Slot()
    def run(self) -> None:
        outcome = "failed"
        try:
            result = self._task(self._on_progress, self._cancel)
            if self._cancel.is_set():
                outcome = "cancelled"
            else:
                self.succeeded.emit(self.task_id, result)
                outcome = "done"
        except Exception as exc:
            if self._cancel.is_set():
                outcome = "cancelled"
            else:
                log.exception("%s failed", self._what)
                self.failed.emit(self.task_id, describe_error(exc))
        finally:
            self.finished.emit(outcome)


class CorpusScanWorker(TaskWorker):
    """Reads a corpus folder (prepare_corpus, which also fills the cache that
    training then reuses); the result is the report as a dict."""

    def __init__(self, folder: Path, level: str, task_id: int = 0) -> None:
        def scan(on_progress, cancel) -> dict[str, Any]:
            corpus = prepare_corpus(Path(folder), level, on_progress=on_progress,
                                    cancel=cancel)
            report = corpus.report.to_dict()
            report["level"] = level
            return report

        super().__init__(scan, f"reading {folder}", task_id)


class UnfinishedRunsWorker(TaskWorker):
    """Looks for unfinished training runs in the store (reads each checkpoint's
    JSON, so off the GUI thread); the result is `find_unfinished_runs`'s list."""

    def __init__(self, root: Path, task_id: int = 0) -> None:
        super().__init__(lambda _progress, _cancel: find_unfinished_runs(root),
                         "looking for unfinished runs", task_id)


class ModelTaskWorker(TaskWorker):
    """Import or export a model off the GUI thread (model files can be large):
    runs `function(*args)`, a plain function of core.model_io; its result must
    be plain data."""

    def __init__(self, what: str, function: Callable[..., Any], *args: Any,
                 task_id: int = 0) -> None:
        super().__init__(lambda _progress, _cancel: function(*args), what, task_id)


@dataclass(frozen=True)
class TrainPlan:
    """What a run trains, as planned once its texts are read (TrainWorker.planned)."""

    name: str
    model_dir: str
    preset: str | None
    level: str
    model: ModelConfig
    train: TrainConfig
    corpus: dict[str, Any]  # the corpus report, as CorpusReport.to_dict() and preset
    init_from: str | None = None  # the model it fine-tunes
    # A resumed run's validations so far, for the loss chart.
    history: list[dict[str, Any]] = field(default_factory=list)


class TrainWorker(QObject):
    """plan_training (reads the corpus) then Trainer.run, on its own thread."""

    reading = Signal(int, int)  # files read, files in all
    planned = Signal(object)  # TrainPlan
    # Progress | Sample | CheckpointSaved | Finished | Failed
    progressed = Signal(object)
    noticed = Signal(str)  # a warning that does not stop the run (Trainer.notices)
    failed = Signal(str)  # message for the user
    finished = Signal(str)  # "done" | "cancelled" | "failed", always last

    def __init__(self, request: TrainRequest, store_root: Path | None = None) -> None:
        super().__init__()
        self._request = request
        self._store_root = store_root
        self._cancel = threading.Event()
        self._control = TrainingControl()
        self._throttle = _Throttle()
        self._trainer: Trainer | None = None
        self._notices_sent = 0

    # Called directly from the GUI thread: plain thread-safe flags.
    def request_stop(self) -> None:
        self._cancel.set()
        self._control.cancel()

    def pause(self) -> None:
        self._control.pause()

    def resume(self) -> None:
        self._control.resume()

    def _on_reading(self, done: int, total: int) -> None:
        if self._throttle.ready(done, total):
            self.reading.emit(done, total)

    @Slot()
    def run(self) -> None:
        outcome = "failed"
        try:
            store = ModelStore(self._store_root)
            job = plan_training(self._request, store, self._on_reading, self._cancel)
            if self._cancel.is_set():
                outcome = "cancelled"
                return
            self._trainer = Trainer(job)  # a resume may already have a notice
            self.planned.emit(TrainPlan(
                job.name, str(job.model_dir), job.corpus.get("preset"),
                job.tokenizer.level, job.model_config, job.train_config,
                dict(job.corpus), job.init_from,
                [dict(h) for h in self._trainer.state.history]))
            self._send_notices()
            outcome = self._trainer.run(self._on_event, self._control)
        except Exception as exc:
            if self._cancel.is_set() and isinstance(exc, CorpusError):
                outcome = "cancelled"  # stopped while the corpus was being read
            else:
                log.exception("training failed")
                self.failed.emit(describe_error(exc))
        finally:
            self._send_notices()
            self.finished.emit(outcome)

    def _on_event(self, event: object) -> None:
        self._send_notices()  # before the event that follows them
        self.progressed.emit(event)

    def _send_notices(self) -> None:
        """Emit the trainer's new notices (appended on this thread)."""
        notices = self._trainer.notices if self._trainer is not None else []
        while self._notices_sent < len(notices):
            self.noticed.emit(notices[self._notices_sent])
            self._notices_sent += 1


class ModelSource(Enum):
    """Why a model is loaded for suggestions; it decides what a failure does."""

    USER = "user"  # the writer chose it: a failure is shown
    STARTUP = "startup"  # the last one used, else the default: falls back quietly
    SNAPSHOT = "snapshot"  # the run being trained, saved: tried again later


@dataclass(frozen=True)
class LoadedModelInfo:
    """The model suggestions come from, as the sample worker loaded it."""

    name: str
    path: str
    level: str  # "char" | "word"
    parameters: int
    read_only: bool
    spec: str  # what was asked for: a store name or a model folder
    source: ModelSource
    config: ModelConfig
    load_id: int  # +1 per model loaded: adapted weights name the load
    word_model: bool = False  # the grey text mixes in the model's word LSTM


@dataclass(frozen=True)
class SuggestRequest:
    """One round of suggestions: the text before the cursor and the options;
    `cancel` is set by the GUI thread as soon as the request is stale;
    `ghost_read`: the last best guess was on screen long enough to be read;
    `ghost_threshold`: how sure of its words the best guess must be (the pane's
    "Grey text" setting)."""

    request_id: int
    text: str
    options: SampleOptions
    cancel: threading.Event
    ghost_read: bool = False
    ghost_threshold: float = GhostOptions().threshold


class SampleWorker(QObject):
    """Owns the model used for suggestions, its Sampler and the GhostPredictor of
    the best guess, on a long-lived thread.

    Models are loaded here too (the Sampler must own its module; signals carry
    no modules). Requests arrive through queued signals; stale ones are skipped
    at once because the GUI sets their `cancel` flag.
    """

    ghost_ready = Signal(int, str)  # request id, next piece of the best guess
    chunk_ready = Signal(int, object)  # request id, list[str]: new text per alternative
    request_done = Signal(int, str)  # request id, "done" | "cancelled" | "failed"
    model_loaded = Signal(object)  # LoadedModelInfo
    model_failed = Signal(str, object, str)  # the spec asked for, ModelSource, message

    def __init__(self, store_root: Path | None = None,
                 updates_per_s: float = 50.0) -> None:
        super().__init__()
        self._store_root = store_root
        self._interval = 1.0 / updates_per_s
        self._sampler: Sampler | None = None
        self._ghost: GhostPredictor | None = None
        self._load_id = 0  # +1 per model loaded: adapted weights name the load

    @property
    def sampler(self) -> Sampler | None:
        """The Sampler (tests read it while the worker is idle)."""
        return self._sampler

    @Slot(str, object)
    def load_model(self, spec: str, source: ModelSource) -> None:
        """Load a store model (name) or a model folder (path); `source` says why
        and comes back in the signals."""
        try:
            loaded = ModelStore(self._store_root).load(spec)
            if self._sampler is None:
                self._sampler = Sampler(loaded)
            else:
                self._sampler.replace_model(loaded)
            self._ghost = GhostPredictor.of_model(self._sampler)
        except Exception as exc:
            if source is not ModelSource.SNAPSHOT:  # one not saved yet is normal
                log.exception("loading model %s failed", spec)
            self.model_failed.emit(spec, source, describe_error(exc))
            return
        self._load_id += 1
        self.model_loaded.emit(LoadedModelInfo(
            loaded.name, str(loaded.path), loaded.level,
            loaded.model.num_parameters(), loaded.read_only, spec, source,
            loaded.model.config, self._load_id, self._ghost.words is not None))

    @Slot(object)
    def update_weights(self, adapted: AdaptedWeights) -> None:
        """Step with weights adapted to the document, if they belong to the model
        loaded now (cheap: the Sampler keeps its states)."""
        sampler = self._sampler
        if sampler is None or adapted.load_id != self._load_id or \
                Path(adapted.model_path) != Path(sampler.loaded.path):
            return  # made for a model that has been replaced since
        try:
            sampler.update_weights(adapted.weights)
        except ValueError as exc:
            log.warning("adapted weights not used: %s", exc)

    @Slot(object)
    def suggest(self, request: SuggestRequest) -> None:
        """Emit the best guess's first unit, then the alternatives for `request` in
        batches (~updates_per_s), the rest of the best guess once their first batch
        is out (so neither waits for all of the other)."""
        if request.cancel.is_set():
            return  # a newer keystroke came in while this one waited
        if self._sampler is None:
            self.request_done.emit(request.request_id, "failed")
            return
        outcome = "done"
        best = None
        try:
            self._sampler.set_context(request.text)
            best = self._best_units(request)
            self._emit_best(request, best, first_only=True)
            self._stream_alternatives(request, lambda: self._emit_best(request, best))
            self._emit_best(request, best)
            if request.cancel.is_set():
                outcome = "cancelled"
        except Exception:
            log.exception("suggestion failed")
            outcome = "failed"
        finally:
            if best is not None:
                best.close()
        self.request_done.emit(request.request_id, outcome)

    def _best_units(self, request: SuggestRequest) -> Iterator[tuple[str, float]]:
        if request.ghost_threshold != self._ghost.options.threshold:
            self._ghost.options = replace(self._ghost.options,
                                          threshold=request.ghost_threshold)
        return self._ghost.units(request.ghost_read)

    def _emit_best(self, request: SuggestRequest,
                   units: Iterator[tuple[str, float]], first_only: bool = False
                   ) -> None:
        """Emit the best guess's next unit (`first_only`) or all that are left."""
        if request.cancel.is_set():
            return
        for piece, _probability in units:
            if request.cancel.is_set():
                return
            self.ghost_ready.emit(request.request_id, piece)
            if first_only:
                return

    def _stream_alternatives(self, request: SuggestRequest,
                             after_first: Callable[[], None]) -> None:
        pending: list[str] = []
        last_emit = 0.0  # the first step goes out at once
        first = True
        for pieces in self._sampler.stream(request.options, request.cancel):
            if request.cancel.is_set():
                return
            if len(pending) < len(pieces):
                pending.extend([""] * (len(pieces) - len(pending)))
            for i, piece in enumerate(pieces):
                pending[i] += piece
            now = time.perf_counter()
            if now - last_emit >= self._interval:
                self.chunk_ready.emit(request.request_id, pending)
                pending, last_emit = [], now
                if first:
                    first = False
                    after_first()
        if any(pending) and not request.cancel.is_set():
            self.chunk_ready.emit(request.request_id, pending)


class FileWorker(QObject):
    """Writes documents and recovery copies off the GUI thread (opening has its
    own one-shot thread, opening.OpenWorker, so a read that hangs
    never holds up a save or a recovery copy)."""

    # request id, path, kind: "save" | "recovery" | "removed" | "discarded"
    written = Signal(int, str, str)
    failed = Signal(int, str, str, str)  # request id, path, kind, message

    @Slot(int, str, str, object)
    def write_text(self, request_id: int, path: str, text: str,
                   fmt: TextFormat) -> None:
        """Save a document in `fmt`, atomically (a crash leaves old or new)."""
        try:
            write_document(path, text, fmt)
        except Exception as exc:
            log.warning("saving %s failed: %s", path, exc)
            self.failed.emit(request_id, path, "save", describe_save_error(path, exc))
            return
        self.written.emit(request_id, path, "save")

    @Slot(int, str, object)
    def write_recovery(self, request_id: int, path: str, record: dict) -> None:
        """Write a recovery copy (text plus where it belongs) as JSON."""
        try:
            write_copy(Path(path), record)
        except Exception as exc:
            log.warning("recovery copy %s failed: %s", path, exc)
            self.failed.emit(request_id, path, "recovery", describe_error(exc))
            return
        self.written.emit(request_id, path, "recovery")

    @Slot(int, str)
    def remove(self, request_id: int, path: str) -> None:
        """Delete a recovery copy that is no longer needed (queued after writes)."""
        try:
            Path(path).unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not remove %s: %s", path, exc)
        self.written.emit(request_id, path, "removed")

    @Slot(int, str, object)
    def keep_discarded(self, request_id: int, folder: str, record: dict) -> None:
        """Keep text the writer discarded at a prompt (a recovery record) in the
        recovery folder's old/ for a while."""
        try:
            write_discarded_copy(Path(folder), record)
        except Exception as exc:
            log.warning("could not keep the discarded text: %s", exc)
            self.failed.emit(request_id, folder, "discarded", describe_error(exc))
            return
        self.written.emit(request_id, folder, "discarded")

    @Slot()
    def finish(self) -> None:
        """Queued after every write asked for so far: ends the thread once they
        are done (QThread.quit would drop the writes still queued)."""
        self.thread().quit()
