"""Will a training run fit in memory? Checked before anything large is allocated."""

from __future__ import annotations

import math
import os
from pathlib import Path

import torch

from .config import ModelConfig, TrainConfig
from .device import resolve_device

__all__ = ["parameter_count", "training_bytes", "available_bytes", "check_fits"]

_FLOAT = 4  # bytes per float32
_CGROUP = Path("/sys/fs/cgroup")


def parameter_count(config: ModelConfig) -> int:
    """Parameters of an LSTMLanguageModel with this shape (without building it)."""
    hidden, vocab, width = config.rnn_size, config.vocab_size, config.input_size
    lstm = sum(4 * hidden * ((width if layer == 0 else hidden) + hidden) + 8 * hidden
               for layer in range(config.num_layers))
    head = (0 if config.tie_weights else hidden * vocab) + vocab
    return vocab * width + lstm + head


def training_bytes(model: ModelConfig, train: TrainConfig, world: int = 1) -> int:
    """A low estimate of one process's memory for training: weights, gradients and
    optimizer state, plus the activations of one batch (its share under DDP)."""
    copies = 4 if train.optimizer == "adam" else 3  # weights, grads, moments/momentum
    tokens = math.ceil(train.batch_size / world) * train.seq_length
    # per token: gates, cell and output of every layer, the input, logits and their grad
    per_token = 6 * model.num_layers * model.rnn_size + model.input_size
    per_token += 2 * model.vocab_size
    return _FLOAT * (copies * parameter_count(model) + tokens * per_token)


def available_bytes(device: torch.device) -> int | None:
    """Free memory of `device` (None where unknown, e.g. Apple MPS)."""
    if device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    if device.type != "cpu":
        return None
    free = _meminfo_available()
    limit = _cgroup_room()
    known = [x for x in (free, limit) if x is not None]
    return min(known) if known else None


def _meminfo_available() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _cgroup_room() -> int | None:
    """Room left under a cgroup v2 memory limit (containers), if there is one."""
    try:
        limit = (_CGROUP / "memory.max").read_text().strip()
        used = (_CGROUP / "memory.current").read_text().strip()
        return max(0, int(limit) - int(used)) if limit != "max" else None
    except (OSError, ValueError):
        return None


def check_fits(model: ModelConfig, train: TrainConfig, world: int = 1) -> None:
    """Raise ValueError (one sentence) if training surely cannot fit in memory."""
    device = resolve_device(train.device)
    free = available_bytes(device)
    need = training_bytes(model, train, world)
    if free is not None and need > free:
        raise ValueError(
            f"a {model.rnn_size:,} x {model.num_layers} model with batch "
            f"{train.batch_size:,} x {train.seq_length:,} needs at least "
            f"{need / 1e9:,.1f} GB to train, but the {device.type} has "
            f"{free / 1e9:,.1f} GB free; choose a smaller --rnn-size, --num-layers, "
            "--batch-size or --seq-length")
