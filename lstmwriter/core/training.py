"""The trainer: truncated BPTT over parallel streams, validation, checkpoints,
resume."""

from __future__ import annotations

import copy
import dataclasses
import logging
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
from .budget import BudgetFit
from .checkpoint import (
    ModelFileError,
    find_checkpoint,
    read_json,
    remove_unfinished_writes,
    write_checkpoint,
)
from .config import ModelConfig, TrainConfig, resolve_schedule
from .device import describe_device, resolve_device
from .distributed import agree, agreed_max, gather_streams
from .errors import describe_error
from .evaluation import Evaluation, evaluate, skipped_target
from .events import CheckpointSaved, Event, Failed, Finished, Progress, Sample
from .generation import generate_text
from .model import LSTMLanguageModel
from .store import load_state, now_iso, save_model_dir
from .tokenizer import Tokenizer
from .word_memory import MEMORY_FILE, WordMemory, text_of_ids

__all__ = ["TrainingJob", "TrainingControl", "Trainer"]

_PROGRESS_INTERVAL = 0.25  # seconds between progress events
_MAX_NONFINITE = 3  # consecutive non-finite losses before giving up

log = logging.getLogger(__name__)


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
    budget: BudgetFit | None = None  # how the time limit sized the run


@dataclass
class _RunState:
    """What a checkpoint must restore besides weights and optimizer."""

    step: int = 0
    epoch: int = 0
    window: int = 0
    train_time: float = 0.0
    best_val_loss: float | None = None  # of scheduled validations (drives the LR)
    saved_val_loss: float | None = None  # of the model on disk
    bad_evals: int = 0  # validations without a new best since the last best or decay
    tokens: int = 0  # training tokens seen (all ranks)
    plateau_mark: int = 0  # `tokens` at the last new best or learning-rate decay
    history: list[dict[str, Any]] = field(default_factory=list)
    train_loss: float | None = None  # smoothed, as in Progress and the history
    lr_scale: float = 1.0  # halved at each NaN roll-back; scales the time schedule

    def to_dict(self) -> dict[str, Any]:
        return dict(step=self.step, epoch=self.epoch, window=self.window,
                    train_time=self.train_time, best_val_loss=self.best_val_loss,
                    saved_val_loss=self.saved_val_loss, bad_evals=self.bad_evals,
                    tokens=self.tokens, plateau_mark=self.plateau_mark,
                    history=self.history, train_loss=self.train_loss,
                    lr_scale=self.lr_scale)


class Trainer:
    """Runs a `TrainingJob`, emitting events; see `run`."""

    def __init__(self, job: TrainingJob) -> None:
        self.job = job
        self.config = resolve_schedule(job.train_config)
        self.device = resolve_device(self.config.device)
        if self.config.threads:
            torch.set_num_threads(self.config.threads)
        torch.manual_seed(self.config.seed)
        self.model = LSTMLanguageModel(job.model_config).to(self.device)
        if job.init_weights is not None:
            load_state(self.model, job.init_weights,
                       Path(job.init_from or "base model"))
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
        self.notices: list[str] = []  # warnings for the user; see _notice
        self._finish_message: str | None = None  # for Finished; see _check_time_left
        self._latest_complete = False  # checkpoint.pt/.json are a pair we trust
        self._ddp_model: nn.Module | None = None
        if job.world > 1:
            self._wrap_distributed()
        if job.resume:
            self._load_checkpoint()

    # -- set-up -------------------------------------------------------------
    def _wrap_distributed(self) -> None:
        """DDP: gradients averaged over ranks; dropout masks differ per rank."""
        from torch.nn.parallel import DistributedDataParallel

        if self.config.batch_size % self.job.world:
            raise ValueError(f"--batch-size {self.config.batch_size} must be a "
                             f"multiple of the number of processes ({self.job.world})")
        ids = [self.device.index] if self.device.type == "cuda" else None
        self._ddp_model = DistributedDataParallel(self.model, device_ids=ids)
        torch.manual_seed(self.config.seed + 7919 * self.job.rank)

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
            self._emit(Failed(self.state.step, describe_error(exc, trainer=True)))
            raise
        finally:
            best = self.state.saved_val_loss
            self._emit(Finished(self.state.step, outcome, self.job.name,
                                str(self.job.model_dir), best, self._finish_message))
        return outcome

    def _loop(self, control: TrainingControl) -> str:
        self.job.model_dir.mkdir(parents=True, exist_ok=True)
        if self.is_main:
            self._write_memory()
        st, cfg = self.state, self.config
        last_checkpoint = last_progress = time.monotonic()
        next_timed_eval = (math.floor(st.train_time / cfg.eval_every_seconds) + 1) * \
            cfg.eval_every_seconds if cfg.eval_every_seconds else math.inf
        smoothed: float | None = st.train_loss
        step_time: float | None = None
        self._last_good = self._snapshot()
        self._check_time_left()
        while st.epoch < cfg.epochs:
            while st.window < len(self.batches):
                control.wait_while_paused()
                cancelled, time_up = agree([
                    control.cancelled,
                    bool(cfg.max_time and st.train_time >= cfg.max_time)])
                if cancelled:
                    return self._stop("cancelled")
                if time_up:
                    return self._stop("done")
                started = time.perf_counter()
                try:
                    loss = self._train_step(st.window)
                except torch.cuda.OutOfMemoryError as exc:
                    self._halve_batch(exc)
                    continue
                if loss is None:
                    continue  # rolled back after a non-finite loss
                took = time.perf_counter() - started
                st.train_time += took
                self.step_times.append(took)
                step_time = took if step_time is None else 0.9 * step_time + 0.1 * took
                smoothed = loss if smoothed is None else 0.95 * smoothed + 0.05 * loss
                st.train_loss = smoothed
                st.step += 1
                st.window += 1
                st.tokens += self.batches.batch_size * self.batches.seq_length
                if cfg.schedule == "time" and cfg.max_time:
                    self._cosine_by_time()
                evaluation = None
                timed_eval, checkpoint_due = agree([
                    st.train_time >= next_timed_eval,
                    time.monotonic() - last_checkpoint >= cfg.checkpoint_every])
                if st.step % self.eval_every == 0 or timed_eval:
                    evaluation = self._validate(smoothed)
                    while next_timed_eval <= st.train_time:
                        next_timed_eval += cfg.eval_every_seconds
                now = time.monotonic()
                if evaluation or now - last_progress >= _PROGRESS_INTERVAL:
                    self._emit_progress(smoothed, step_time, evaluation)
                    last_progress = now
                if checkpoint_due:
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
        if agree([not math.isfinite(value)])[0]:  # every rank rolls back together
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
                f"training stopped: the loss became NaN or infinite {self._nonfinite} "
                "times in a row, even after lowering the learning rate to "
                f"{self.learning_rate:.3g}; the last checkpoint and the best model "
                "so far are kept. Try a smaller learning rate (--lr)")
        lr = self.learning_rate * 0.5
        self._restore(self._last_good)
        self._set_learning_rate(lr)
        self.state.lr_scale *= 0.5  # so that the time schedule keeps it lowered
        self.state.window += 1  # skip the offending window
        self._notice(f"step {self.state.step}: the loss became NaN or infinite; rolled "
                     "back to the last good weights, learning rate lowered to "
                     f"{lr:.3g}")

    def _restore(self, snapshot: dict[str, Any]) -> None:
        self.model.load_state_dict(snapshot["model"])
        self.optimizer.load_state_dict(snapshot["optimizer"])
        self.hidden = None

    def _weights_finite(self) -> bool:
        return all(bool(torch.isfinite(p).all()) for p in self.model.parameters())

    def _halve_batch(self, exc: BaseException) -> None:
        """CUDA out of memory in a step: go on with half the batch from the same
        point of the epoch (the step is redone; its streams start afresh)."""
        old = self.config.batch_size
        if old < 2 or self.job.world > 1:
            raise exc
        new = old // 2
        self.optimizer.zero_grad(set_to_none=True)
        self.hidden = None
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
        done = self.state.window / len(self.batches)
        self.config = dataclasses.replace(self.config, batch_size=new)
        self.batches = StreamBatches(self.job.train_ids, new, self.config.seq_length)
        self.state.window = int(done * len(self.batches))
        self._notice(f"the GPU ran out of memory with batch size {old}; going on with "
                     f"batch size {new}")

    def _notice(self, message: str) -> None:
        """Something the user should know that does not stop the run: kept in
        `notices` (for the GUI) and logged as a warning (the CLI prints it)."""
        self.notices.append(message)
        log.warning("%s", message)

    def _plateau_reached(self) -> bool:
        """No new best for `plateau_patience` validations and
        `plateau_patience_tokens` training tokens since the last best or decay.

        Counting tokens keeps a small corpus, validated every few seconds, from
        halving the learning rate to its floor within minutes."""
        st, cfg = self.state, self.config
        return (st.bad_evals >= cfg.plateau_patience
                and st.tokens - st.plateau_mark >= cfg.plateau_patience_tokens)

    def _check_time_left(self) -> None:
        """A resumed run whose time limit is already used up ends at once: say why."""
        st, limit = self.state, self.config.max_time
        if not limit or st.train_time < limit:
            return
        self._finish_message = (
            f"the time limit ({_duration(limit)}) counts the whole run's training time "
            f"and this run has already trained {_duration(st.train_time)}, so it ends "
            "at once; set a longer limit to train more")
        self._notice(self._finish_message)

    def _cosine_by_time(self) -> None:
        """Cosine from the set rate to the floor over the run's budget: the time
        limit, or the epochs when they run out first (a small corpus); the same
        fraction on every rank."""
        st = self.state
        steps = (st.epoch * len(self.batches) + st.window) / self.total_steps
        frac = max(steps, st.train_time / self.config.max_time)
        frac = min(1.0, agreed_max([frac])[0])
        low = self.config.min_learning_rate
        high = max(low, self.config.learning_rate * st.lr_scale)
        lr = low + (high - low) * 0.5 * (1 + math.cos(math.pi * frac))
        self._set_learning_rate(lr)

    # -- validation, samples, saving ---------------------------------------
    def _evaluate(self) -> Evaluation:
        return evaluate(self.model, self.job.valid_ids, self.device,
                        self._chars_per_token, self.config.max_eval_tokens,
                        skip_id=skipped_target(self.job.tokenizer))

    def _validate(self, train_loss: float | None) -> Evaluation:
        st, cfg = self.state, self.config
        result = self._evaluate()
        if not math.isfinite(result.loss):  # diverged weights: the next step rolls back
            return result
        st.history.append({"step": st.step, "train_time": round(st.train_time, 2),
                           "train_loss": train_loss, "val_loss": result.loss})
        self._keep_if_best(result)
        if st.best_val_loss is None or result.loss < st.best_val_loss:
            st.best_val_loss = result.loss
            st.bad_evals, st.plateau_mark = 0, st.tokens
        else:
            st.bad_evals += 1
            if cfg.schedule == "plateau" and self._plateau_reached():
                self._set_learning_rate(max(cfg.min_learning_rate,
                                            self.learning_rate * cfg.lr_decay))
                st.bad_evals, st.plateau_mark = 0, st.tokens
        self._last_good = self._snapshot()
        self._emit_samples()
        return result

    def _emit_samples(self) -> None:
        if not self.is_main or not self.config.sample_length:
            return
        prime = self.job.tokenizer.decode(np.asarray(self.job.valid_ids[:16]))
        for temperature in self.config.sample_temperatures:
            rng = np.random.default_rng(self.config.seed + self.state.step)
            text = generate_text(self.model, self.job.tokenizer, prime,
                                 self.config.sample_length, temperature, rng)
            self._emit(Sample(self.state.step, temperature, text))

    def _emit_progress(self, train_loss: float | None, step_time: float | None,
                       evaluation: Evaluation | None) -> None:
        st, cfg = self.state, self.config
        tokens = self.batches.batch_size * self.batches.seq_length  # all ranks
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
        if not math.isfinite(result.loss):
            return
        if self.state.saved_val_loss is None or result.loss < self.state.saved_val_loss:
            self.state.saved_val_loss = result.loss
            self._save_model(result)

    def _write_memory(self) -> None:
        """The memory of the corpus's words the ghost text draws on, beside the
        model (char level; once per model: a resumed run keeps it)."""
        path = self.job.model_dir / MEMORY_FILE
        if self.job.tokenizer.level != "char" or path.exists():
            return
        tokens = self.job.tokenizer.tokens
        texts = [text_of_ids(ids, tokens) for ids in (self.job.train_ids,
                                                     self.job.valid_ids)]
        WordMemory.build(texts).save(path)

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
        hidden = None
        if self.hidden is not None:  # all streams, gathered from every rank
            hidden = [gather_streams(h.detach(), self.job.world) for h in self.hidden]
        if not self.is_main or not self._weights_finite():  # diverged: not saved
            return
        tensors: dict[str, Any] = {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "rng_cpu": torch.get_rng_state(),
        }
        if self.device.type == "cuda":
            tensors["rng_cuda"] = torch.cuda.get_rng_state(self.device)
        if hidden is not None:
            tensors["hidden_h"], tensors["hidden_c"] = hidden
        meta = {
            "finished": finished, "saved": now_iso(),
            "run": self.state.to_dict(), "model": self.job.model_config.to_dict(),
            "train": self.config.to_dict(), "tokenizer": self.job.tokenizer.to_dict(),
            "corpus": self.job.corpus, "init_from": self.job.init_from,
        }
        # Until the new pair is complete, the latest names hold no pair we trust.
        complete, self._latest_complete = self._latest_complete, False
        path = write_checkpoint(self.job.model_dir, self.job.name, tensors, meta,
                                latest_complete=complete)
        self._latest_complete = True
        self._emit(CheckpointSaved(self.state.step, str(path)))

    def _load_checkpoint(self) -> None:
        found = find_checkpoint(self.job.model_dir)
        meta, tensors = found.meta, found.tensors
        if found.problems:
            self._notice(f"the latest checkpoint could not be used "
                         f"({found.problems[0]}); resuming from the one before, at "
                         f"step {meta['run']['step']}")
        self._latest_complete = found.is_latest
        remove_unfinished_writes(self.job.model_dir)
        load_state(self.model, tensors["model"], found.path)
        self.optimizer.load_state_dict(tensors["optimizer"])
        # A resumed run may change the learning rate only through its schedule.
        torch.set_rng_state(tensors["rng_cpu"])
        if "rng_cuda" in tensors and self.device.type == "cuda":
            torch.cuda.set_rng_state(tensors["rng_cuda"], self.device)
        if "hidden_h" in tensors \
                and tensors["hidden_h"].shape[1] == self.config.batch_size:
            rows = slice(self.job.rank, None, self.job.world)  # this rank's streams
            self.hidden = (tensors["hidden_h"][:, rows].contiguous().to(self.device),
                           tensors["hidden_c"][:, rows].contiguous().to(self.device))
        if self.job.world > 1:  # per-rank dropout streams, as in a fresh run
            torch.manual_seed(self.config.seed + 7919 * self.job.rank
                              + meta["run"]["step"])
        run = meta["run"]
        self.state = _RunState(**run)
        # (window == len: a checkpoint after an epoch's last window; the loop
        # moves on to the next epoch)
        if self.state.window > len(self.batches):  # data layout changed
            self.state.window, self.hidden = 0, None

    def _stop(self, outcome: str) -> str:
        """Save everything: the checkpoint (to resume) and, if it is the best so
        far or nothing was saved yet, the model."""
        st = self.state
        if self._last_good is not None and not self._weights_finite():
            self._restore(self._last_good)  # never save diverged weights
        if not st.history or st.history[-1]["step"] != st.step:
            result = self._evaluate()
            st.history.append({"step": st.step, "train_time": round(st.train_time, 2),
                               "train_loss": None, "val_loss": result.loss})
            self._keep_if_best(result)
        self._save_checkpoint(finished=outcome == "done")
        return outcome


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.3g} s"
