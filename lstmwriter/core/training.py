"""The trainer: truncated BPTT over parallel streams, validation, checkpoints, resume."""

from __future__ import annotations

import copy
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .batching import StreamBatches
from .checkpoint import ModelFileError, load_tensors, read_json, save_tensors, write_json
from .config import ModelConfig, TrainConfig
from .device import describe_device, resolve_device
from .evaluation import Evaluation, evaluate
from .events import CheckpointSaved, Event, Failed, Finished, Progress, Sample
from .model import LSTMLanguageModel
from .sampling import generate_text
from .store import load_state, now_iso, save_model_dir
from .tokenizer import Tokenizer

__all__ = ["TrainingJob", "TrainingControl", "Trainer", "CHECKPOINT_FILE",
           "CHECKPOINT_META", "read_checkpoint_meta"]

CHECKPOINT_FILE = "checkpoint.pt"
CHECKPOINT_META = "checkpoint.json"
CHECKPOINT_FORMAT = "lstmwriter-checkpoint"
_PROGRESS_INTERVAL = 0.25  # seconds between progress events
_MAX_NONFINITE = 3  # consecutive non-finite losses before giving up


class TrainingControl:
    """Thread-safe pause / resume / cancel, set directly from any thread."""

    def __init__(self) -> None:
        self._cancelled = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def cancel(self) -> None:
        self._cancelled.set()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def wait_while_paused(self) -> None:
        while not self._running.wait(0.1):
            pass


@dataclass
class TrainingJob:
    """Everything one run needs; `corpus` is the report and reading options."""

    name: str
    model_dir: Path
    train_ids: np.ndarray
    valid_ids: np.ndarray
    tokenizer: Tokenizer
    model_config: ModelConfig
    train_config: TrainConfig
    corpus: dict[str, Any] = field(default_factory=dict)
    init_weights: dict[str, torch.Tensor] | None = None
    init_from: str | None = None
    resume: bool = False
    rank: int = 0
    world: int = 1


def read_checkpoint_meta(model_dir: Path) -> dict[str, Any]:
    """checkpoint.json of an unfinished (or finished) run, checked."""
    meta = read_json(Path(model_dir) / CHECKPOINT_META)
    if meta.get("format") != CHECKPOINT_FORMAT:
        raise ModelFileError(f"{model_dir}: {CHECKPOINT_META} is not an lstmwriter checkpoint")
    return meta


@dataclass
class _RunState:
    """What a checkpoint must restore besides weights and optimizer."""

    step: int = 0
    epoch: int = 0
    window: int = 0
    train_time: float = 0.0
    best_val_loss: float | None = None  # of scheduled validations (drives the LR)
    saved_val_loss: float | None = None  # of the model on disk
    bad_evals: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(step=self.step, epoch=self.epoch, window=self.window,
                    train_time=self.train_time, best_val_loss=self.best_val_loss,
                    saved_val_loss=self.saved_val_loss, bad_evals=self.bad_evals, history=self.history)


class Trainer:
    """Runs a `TrainingJob`, emitting events; see `run`."""

    def __init__(self, job: TrainingJob) -> None:
        self.job = job
        self.config = job.train_config
        self.device = resolve_device(self.config.device)
        if self.config.threads:
            torch.set_num_threads(self.config.threads)
        torch.manual_seed(self.config.seed)
        self.model = LSTMLanguageModel(job.model_config).to(self.device)
        if job.init_weights is not None:
            load_state(self.model, job.init_weights, Path(job.init_from or "base model"))
        self.optimizer = self._make_optimizer()
        self.batches = StreamBatches(job.train_ids, self.config.batch_size,
                                     self.config.seq_length, job.rank, job.world)
        self.state = _RunState()
        self.step_times: list[float] = []  # seconds per training step, this process
        self.hidden: tuple[torch.Tensor, torch.Tensor] | None = None
        self.scaler = torch.amp.GradScaler("cuda", enabled=self._autocast_dtype()
                                           == torch.float16)
        self._chars_per_token = (job.corpus.get("characters", 0) /
                                 max(1, job.corpus.get("tokens", 0))) or 1.0
        self._last_good: dict[str, Any] | None = None
        self._ddp_model: nn.Module | None = None
        if job.resume:
            self._load_checkpoint()

    # -- set-up -------------------------------------------------------------
    def _make_optimizer(self) -> torch.optim.Optimizer:
        params = self.model.parameters()
        if self.config.optimizer == "sgd":
            return torch.optim.SGD(params, lr=self.config.learning_rate)
        return torch.optim.Adam(params, lr=self.config.learning_rate)

    def _autocast_dtype(self) -> torch.dtype | None:
        if self.device.type != "cuda" or self.config.autocast == "none":
            return None
        return torch.bfloat16 if self.config.autocast == "bf16" else torch.float16

    @property
    def is_main(self) -> bool:
        return self.job.rank == 0

    @property
    def total_steps(self) -> int:
        return self.config.epochs * len(self.batches)

    @property
    def eval_every(self) -> int:
        return self.config.eval_every or max(1, len(self.batches) // 2)

    @property
    def learning_rate(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def _set_learning_rate(self, lr: float) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    # -- the loop -----------------------------------------------------------
    def run(self, on_event: Callable[[Event], None] = lambda e: None,
            control: TrainingControl | None = None) -> str:
        """Train until the epochs or the time limit are used up, or `control`
        cancels; returns "done" or "cancelled". Never raises for a training
        failure without emitting `Failed` first; `Finished` is always last."""
        control = control or TrainingControl()
        self._emit = on_event if self.is_main else (lambda e: None)
        outcome = "failed"
        try:
            outcome = self._loop(control)
        except Exception as exc:
            self._emit(Failed(self.state.step, _describe_failure(exc)))
            raise
        finally:
            best = self.state.saved_val_loss
            self._emit(Finished(self.state.step, outcome, self.job.name,
                                str(self.job.model_dir), best))
        return outcome

    def _loop(self, control: TrainingControl) -> str:
        self.job.model_dir.mkdir(parents=True, exist_ok=True)
        st, cfg = self.state, self.config
        last_checkpoint = last_progress = time.monotonic()
        next_timed_eval = (math.floor(st.train_time / cfg.eval_every_seconds) + 1) * \
            cfg.eval_every_seconds if cfg.eval_every_seconds else math.inf
        smoothed: float | None = None
        step_time: float | None = None
        self._last_good = self._snapshot()
        while st.epoch < cfg.epochs:
            while st.window < len(self.batches):
                control.wait_while_paused()
                if control.cancelled:
                    return self._stop("cancelled")
                if cfg.max_time and st.train_time >= cfg.max_time:
                    return self._stop("done")
                started = time.perf_counter()
                loss = self._train_step(st.window)
                if loss is None:
                    continue  # rolled back after a non-finite loss
                took = time.perf_counter() - started
                st.train_time += took
                self.step_times.append(took)
                step_time = took if step_time is None else 0.9 * step_time + 0.1 * took
                smoothed = loss if smoothed is None else 0.95 * smoothed + 0.05 * loss
                st.step += 1
                st.window += 1
                if cfg.schedule == "time" and cfg.max_time:
                    self._cosine_by_time()
                evaluation = None
                if st.step % self.eval_every == 0 or st.train_time >= next_timed_eval:
                    evaluation = self._validate(smoothed)
                    while next_timed_eval <= st.train_time:
                        next_timed_eval += cfg.eval_every_seconds
                now = time.monotonic()
                if evaluation or now - last_progress >= _PROGRESS_INTERVAL:
                    self._emit_progress(smoothed, step_time, evaluation)
                    last_progress = now
                if now - last_checkpoint >= cfg.checkpoint_every:
                    self._save_checkpoint()
                    last_checkpoint = time.monotonic()
            st.epoch += 1
            st.window = 0
            self.hidden = None
            if cfg.schedule == "epoch" and st.epoch >= cfg.lr_decay_after:
                self._set_learning_rate(max(cfg.min_learning_rate,
                                            self.learning_rate * cfg.lr_decay))
        return self._stop("done")

    def _train_step(self, window: int) -> float | None:
        x, y = self.batches.window(window, self.device)
        if self.hidden is not None:
            self.hidden = tuple(h.detach() for h in self.hidden)
        model = self._ddp_model or self.model
        dtype = self._autocast_dtype()
        with torch.autocast(self.device.type, dtype=dtype, enabled=dtype is not None):
            logits, hidden = model(x, self.hidden)
            loss = F.cross_entropy(logits.flatten(0, 1).float(), y.flatten())
        value = loss.item()
        if not math.isfinite(value):
            self._roll_back()
            return None
        self.hidden = hidden
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        if self.config.grad_clip:
            self.scaler.unscale_(self.optimizer)
            nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self._nonfinite = 0
        return value

    _nonfinite = 0

    def _snapshot(self) -> dict[str, Any]:
        return {"model": copy.deepcopy(self.model.state_dict()),
                "optimizer": copy.deepcopy(self.optimizer.state_dict())}

    def _roll_back(self) -> None:
        """A NaN/inf loss: restore the last good weights, halve the learning rate."""
        self._nonfinite += 1
        if self._nonfinite > _MAX_NONFINITE or self._last_good is None:
            raise FloatingPointError(
                f"the loss became NaN/infinite {self._nonfinite} times in a row even "
                "after lowering the learning rate; try a smaller --lr")
        lr = self.learning_rate * 0.5
        self.model.load_state_dict(self._last_good["model"])
        self.optimizer.load_state_dict(self._last_good["optimizer"])
        self._set_learning_rate(lr)
        self.hidden = None
        self.state.window += 1  # skip the offending window

    def _cosine_by_time(self) -> None:
        frac = min(1.0, self.state.train_time / self.config.max_time)
        low = self.config.min_learning_rate
        lr = low + (self.config.learning_rate - low) * 0.5 * (1 + math.cos(math.pi * frac))
        self._set_learning_rate(lr)

    # -- validation, samples, saving ---------------------------------------
    def _evaluate(self) -> Evaluation:
        return evaluate(self.model, self.job.valid_ids, self.device,
                        self._chars_per_token, self.config.max_eval_tokens)

    def _validate(self, train_loss: float | None) -> Evaluation:
        st, cfg = self.state, self.config
        result = self._evaluate()
        st.history.append({"step": st.step, "train_time": round(st.train_time, 2),
                           "train_loss": train_loss, "val_loss": result.loss})
        self._keep_if_best(result)
        if st.best_val_loss is None or result.loss < st.best_val_loss:
            st.best_val_loss = result.loss
            st.bad_evals = 0
        else:
            st.bad_evals += 1
            if cfg.schedule == "plateau":
                self._set_learning_rate(max(cfg.min_learning_rate,
                                            self.learning_rate * cfg.lr_decay))
        self._last_good = self._snapshot()
        self._emit_samples()
        return result

    def _emit_samples(self) -> None:
        if not self.is_main or not self.config.sample_length:
            return
        prime = self.job.tokenizer.decode(np.asarray(self.job.valid_ids[:16]))
        for temperature in self.config.sample_temperatures:
            gen = torch.Generator().manual_seed(self.config.seed + self.state.step)
            text = generate_text(self.model, self.job.tokenizer, prime,
                                 self.config.sample_length, temperature, gen)
            self._emit(Sample(self.state.step, temperature, text))

    def _emit_progress(self, train_loss: float | None, step_time: float | None,
                       evaluation: Evaluation | None) -> None:
        st, cfg = self.state, self.config
        tokens = self.batches.batch_size * self.batches.seq_length * self.job.world
        per_s = tokens / step_time if step_time else 0.0
        remaining = self.total_steps - (st.epoch * len(self.batches) + st.window)
        eta = remaining * step_time if step_time else None
        fraction = 1 - remaining / self.total_steps
        if cfg.max_time:
            left = max(0.0, cfg.max_time - st.train_time)
            eta = left if eta is None else min(eta, left)
            fraction = max(fraction, st.train_time / cfg.max_time)
        self._emit(Progress(
            step=st.step, epoch=st.epoch + st.window / len(self.batches),
            train_loss=train_loss if train_loss is not None else float("nan"),
            tokens_per_s=per_s, learning_rate=self.learning_rate,
            elapsed_s=st.train_time, eta_s=eta, fraction=min(1.0, fraction),
            val_loss=evaluation.loss if evaluation else None,
            perplexity=evaluation.perplexity if evaluation else None,
            bits_per_char=evaluation.bits_per_char if evaluation else None,
        ))

    def _model_meta(self, result: Evaluation) -> dict[str, Any]:
        st, job = self.state, self.job
        return {
            "name": job.name,
            "train": self.config.to_dict(),
            "corpus": job.corpus,
            "init_from": job.init_from,
            "device": describe_device(self.device),
            "metrics": {"val_loss": result.loss, "perplexity": result.perplexity,
                        "bits_per_char": result.bits_per_char, "step": st.step,
                        "epoch": st.epoch + st.window / len(self.batches),
                        "train_time_s": round(st.train_time, 2),
                        "val_tokens": result.tokens},
            "history": st.history,
        }

    def _keep_if_best(self, result: Evaluation) -> None:
        """Save the model if it beats the one on disk (the best by validation)."""
        if self.state.saved_val_loss is None or result.loss < self.state.saved_val_loss:
            self.state.saved_val_loss = result.loss
            self._save_model(result)

    def _save_model(self, result: Evaluation) -> None:
        if not self.is_main:
            return
        meta = self._model_meta(result)
        created = self.job.model_dir / "config.json"
        if created.exists():
            try:
                meta["created"] = read_json(created).get("created", now_iso())
            except ModelFileError:
                pass
        save_model_dir(self.job.model_dir, self.model, self.job.tokenizer, meta)

    def _save_checkpoint(self, finished: bool = False) -> None:
        if not self.is_main:
            return
        tensors: dict[str, Any] = {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "rng_cpu": torch.get_rng_state(),
        }
        if self.device.type == "cuda":
            tensors["rng_cuda"] = torch.cuda.get_rng_state(self.device)
        if self.hidden is not None:
            tensors["hidden_h"], tensors["hidden_c"] = (h.detach() for h in self.hidden)
        path = self.job.model_dir / CHECKPOINT_FILE
        digest = save_tensors(path, tensors)
        write_json(self.job.model_dir / CHECKPOINT_META, {
            "format": CHECKPOINT_FORMAT, "format_version": 1, "name": self.job.name,
            "sha256": digest, "finished": finished, "saved": now_iso(),
            "run": self.state.to_dict(), "model": self.job.model_config.to_dict(),
            "train": self.config.to_dict(), "tokenizer": self.job.tokenizer.to_dict(),
            "corpus": self.job.corpus, "init_from": self.job.init_from,
        })
        self._emit(CheckpointSaved(self.state.step, str(path)))

    def _load_checkpoint(self) -> None:
        folder = self.job.model_dir
        meta = read_checkpoint_meta(folder)
        tensors = load_tensors(folder / CHECKPOINT_FILE, meta.get("sha256"))
        load_state(self.model, tensors["model"], folder / CHECKPOINT_FILE)
        self.optimizer.load_state_dict(tensors["optimizer"])
        # A resumed run may change the learning rate only through its schedule.
        torch.set_rng_state(tensors["rng_cpu"])
        if "rng_cuda" in tensors and self.device.type == "cuda":
            torch.cuda.set_rng_state(tensors["rng_cuda"], self.device)
        if "hidden_h" in tensors:
            self.hidden = (tensors["hidden_h"].to(self.device),
                           tensors["hidden_c"].to(self.device))
        run = meta["run"]
        self.state = _RunState(**run)
        if self.state.window >= len(self.batches):  # data layout changed
            self.state.window, self.hidden = 0, None

    def _stop(self, outcome: str) -> str:
        """Save everything: the checkpoint (to resume) and, if it is the best so
        far or nothing was saved yet, the model."""
        st = self.state
        if not st.history or st.history[-1]["step"] != st.step:
            result = self._evaluate()
            st.history.append({"step": st.step, "train_time": round(st.train_time, 2),
                               "train_loss": None, "val_loss": result.loss})
            self._keep_if_best(result)
        self._save_checkpoint(finished=outcome == "done")
        return outcome


def _describe_failure(exc: BaseException) -> str:
    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return "the GPU ran out of memory: try a smaller batch size or model"
    if isinstance(exc, MemoryError):
        return "out of memory: try a smaller batch size or model"
    return str(exc) or type(exc).__name__
