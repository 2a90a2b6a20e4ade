"""Training on the writer's texts, driven from the training panel: the corpus
scan behind its summary, a run with Pause / Stop, and resuming a run that did
not finish. Each scan and run has its own worker thread (workers.py); only the
latest scan's results are shown."""

from __future__ import annotations

import logging
from pathlib import Path

import torch
from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QWidget

from ..core.device import describe_device, resolve_device
from ..core.events import Failed, Finished, Progress, Sample
from ..core.jobs import TrainRequest
from ..core.runs import UnfinishedRun
from ..core.store import ModelStore
from .messages import for_window
from .settings import AppSettings
from .training_panel import TrainingPanel, format_duration
from .workers import (
    CorpusScanWorker,
    TrainPlan,
    TrainWorker,
    UnfinishedRunsWorker,
    WorkerThreads,
)

__all__ = ["TrainingController", "device_text"]

log = logging.getLogger(__name__)


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


class TrainingController(QObject):
    """Runs what the training panel asks for and shows how it goes there."""

    planned = Signal(object)  # TrainPlan: the run's texts are read, it starts
    validated = Signal()  # the run validated (its folder may hold a newer save)
    model_saved = Signal(str)  # name of the model the run saved, as it ended
    run_ended = Signal(str)  # "done" | "cancelled" | "failed"
    run_described = Signal(str)  # the status bar's word on training
    status_changed = Signal(str, int)  # status bar message, ms (0: until replaced)
    failed = Signal(str, str)  # title, message for the user

    def __init__(self, store: ModelStore, settings: AppSettings,
                 threads: WorkerThreads, panel: TrainingPanel, window: QWidget) -> None:
        super().__init__(window)
        self.store = store
        self.settings = settings
        self.threads = threads
        self.panel = panel
        self._task_id = 0
        self._scan_worker: CorpusScanWorker | None = None
        self._scan_quiet = False
        self._runs_task = 0  # the latest look for unfinished runs
        self._unfinished: dict[str, UnfinishedRun] = {}
        self._train_worker: TrainWorker | None = None
        self.plan: TrainPlan | None = None  # the run's, once its texts are read
        self._train_saved: str | None = None  # the model the run saved, once it has
        self._training_device = ""
        panel.corpus_selected.connect(self._on_panel_corpus_selected)
        panel.level_changed.connect(self._on_panel_level_changed)
        panel.train_clicked.connect(self._on_panel_train_clicked)
        panel.pause_clicked.connect(self._on_panel_pause_clicked)
        panel.stop_clicked.connect(self._on_panel_stop_clicked)
        panel.resume_run_clicked.connect(self._on_panel_resume_run_clicked)

    @property
    def running(self) -> bool:
        """True from Train until the run's thread is done."""
        return self._train_worker is not None

    def start(self) -> None:
        """Read the remembered folder again, for its summary (quietly)."""
        corpus = self.panel.corpus
        if corpus and Path(corpus).expanduser().exists():
            self.scan_corpus(corpus, quiet=True)

    # -- the corpus --------------------------------------------------------------
    @Slot(str)
    def _on_panel_corpus_selected(self, folder: str) -> None:
        self.settings.set("training/corpus", folder)
        self.scan_corpus(folder)

    @Slot(str)
    def _on_panel_level_changed(self, _level: str) -> None:
        if self.panel.corpus:
            self.scan_corpus(self.panel.corpus)

    def scan_corpus(self, folder: str, quiet: bool = False) -> None:
        """Read the folder off the GUI thread and show its summary; `quiet`: a
        problem shows in the summary only, not as a message."""
        if self._scan_worker is not None:
            self._scan_worker.request_stop()
        self._task_id += 1
        worker = CorpusScanWorker(Path(folder).expanduser(), self.panel.level_value,
                                  self._task_id)
        worker.progressed.connect(self._on_scan_progressed)
        worker.succeeded.connect(self._on_scan_succeeded)
        worker.failed.connect(self._on_scan_failed)
        self._scan_worker = worker
        self._scan_quiet = quiet
        self.panel.set_corpus_busy(0, 0)
        self.threads.start(worker, "corpus scan")

    def _is_current_scan(self, task_id: int) -> bool:
        return self._scan_worker is not None and self._scan_worker.task_id == task_id

    @Slot(int, int, int)
    def _on_scan_progressed(self, task_id: int, done: int, total: int) -> None:
        if self._is_current_scan(task_id):
            self.panel.set_corpus_busy(done, total)

    @Slot(int, object)
    def _on_scan_succeeded(self, task_id: int, report: dict) -> None:
        if self._is_current_scan(task_id):
            self._scan_worker = None
            self.panel.set_corpus_report(report)

    @Slot(int, str)
    def _on_scan_failed(self, task_id: int, message: str) -> None:
        message = for_window(message)
        if self._is_current_scan(task_id):
            self._scan_worker = None
            self.panel.set_corpus_error(message)
            if not self._scan_quiet:
                self.failed.emit("Cannot use this folder", message)

    # -- a run -------------------------------------------------------------------
    @Slot()
    def _on_panel_train_clicked(self) -> None:
        if self._train_worker is not None:
            return
        if not self.panel.corpus:
            self.failed.emit("No texts chosen", "Choose a folder of your texts first.")
            return
        try:
            request = self.panel.request()
        except ValueError as exc:
            self.failed.emit("Cannot train", for_window(str(exc)))
            return
        self.settings.set("training/corpus", self.panel.corpus)
        self.start_training(request)

    @Slot(str)
    def _on_panel_resume_run_clicked(self, name: str) -> None:
        run = self._unfinished.get(name)
        if self._train_worker is not None or run is None:
            return
        # The run's own settings, time limit included; only the device may change.
        device = self.panel.settings().device
        self.start_training(TrainRequest(Path(run.corpus), name=name, resume=True,
                                         train_overrides={"device": device}))

    def start_training(self, request: TrainRequest) -> None:
        """Start a run (reading the texts first) on its own thread."""
        worker = TrainWorker(request, self.store.root)
        worker.reading.connect(self._on_train_reading)
        worker.planned.connect(self._on_train_planned)
        worker.progressed.connect(self._on_train_progressed)
        worker.noticed.connect(self._on_train_noticed)
        worker.failed.connect(self._on_train_failed)
        worker.finished.connect(self._on_train_finished)
        self._train_worker = worker
        self.plan = None
        self._train_saved = None
        self.panel.start_run()
        self.panel.set_state("reading")
        self.run_described.emit("Training: reading texts")
        self.threads.start(worker, "training")

    @Slot(str)
    def _on_train_noticed(self, message: str) -> None:
        message = for_window(message)
        self.panel.add_notice(message)
        self.status_changed.emit(f"Training: {message}", 15_000)

    @Slot(int, int)
    def _on_train_reading(self, done: int, total: int) -> None:
        self.panel.set_corpus_busy(done, total)

    @Slot(object)
    def _on_train_planned(self, plan: TrainPlan) -> None:
        self.plan = plan
        self.panel.show_plan(plan)
        self.panel.set_corpus_report(plan.corpus)
        if self.panel.state == "reading":
            self.panel.set_state("training")
        try:
            device = device_text(resolve_device(plan.train.device))
        except ValueError:
            device = plan.train.device
        self._training_device = device
        self.run_described.emit(f"Training {plan.name} on {device}")
        self.planned.emit(plan)

    @Slot(object)
    def _on_train_progressed(self, event: object) -> None:
        if isinstance(event, Progress):
            self.panel.show_progress(event)
            state = "paused" if self.panel.state == "paused" else \
                f"{event.fraction:.0%}, ETA {format_duration(event.eta_s)}"
            self.run_described.emit(f"Training: {state} · {self._training_device}")
            if event.val_loss is not None:
                self.validated.emit()
        elif isinstance(event, Sample):
            self.panel.show_sample(event)
        elif isinstance(event, Finished):
            self._train_saved = event.name
            self.panel.show_finished(event)
            self.status_changed.emit(f"Saved the model “{event.name}”", 15_000)
            self.model_saved.emit(event.name)
        elif isinstance(event, Failed):
            log.warning("training failed at step %s: %s", event.step, event.message)

    @Slot(str)
    def _on_train_failed(self, message: str) -> None:
        message = for_window(message)
        self.panel.show_failure(message)
        self.failed.emit("Training failed", message)

    @Slot(str)
    def _on_train_finished(self, outcome: str) -> None:
        self._train_worker = None
        self.find_unfinished_runs()  # a stopped run can be resumed later
        self.panel.set_state("idle")
        self.run_described.emit(_finished_label(outcome, self._train_saved))
        self.run_ended.emit(outcome)
        self.plan = None

    @Slot()
    def _on_panel_pause_clicked(self) -> None:
        worker = self._train_worker
        if worker is None:
            return
        if self.panel.state == "paused":
            worker.resume()
            self.panel.set_state("training")
            self.run_described.emit("Training: resumed")
        elif self.panel.state == "training":
            worker.pause()
            self.panel.set_state("paused")
            self.run_described.emit("Training: paused")

    @Slot()
    def _on_panel_stop_clicked(self) -> None:
        self.stop()

    def stop(self) -> None:
        """Ask the run to stop; it saves its model, then `run_ended`."""
        if self._train_worker is not None:
            self._train_worker.request_stop()
            self.panel.set_state("stopping")
            self.run_described.emit("Training: stopping")

    # -- unfinished runs -----------------------------------------------------------
    @Slot()
    def find_unfinished_runs(self) -> None:
        """Look (off the GUI thread) for runs that can be resumed."""
        self._runs_task += 1
        worker = UnfinishedRunsWorker(self.store.root, self._runs_task)
        worker.succeeded.connect(self._on_unfinished_runs_found)
        self.threads.start(worker, "unfinished runs")

    @Slot(int, object)
    def _on_unfinished_runs_found(self, task_id: int,
                                  runs: list[UnfinishedRun]) -> None:
        if task_id != self._runs_task:
            return
        running = self.plan.name if self.plan else None
        runs = [r for r in runs if r.name != running and r.corpus]
        self._unfinished = {r.name: r for r in runs}
        self.panel.set_unfinished_runs(runs)
