"""Events a training run emits: frozen, plain data, safe to send across threads."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

__all__ = ["Event", "Progress", "Sample", "CheckpointSaved", "Finished", "Failed"]


@dataclass(frozen=True)
class Event:
    event: ClassVar[str] = "event"
    step: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: `event` first, floats rounded for reading."""
        data: dict[str, Any] = {"event": self.event}
        for key, value in dataclasses.asdict(self).items():
            data[key] = round(value, 5) if isinstance(value, float) else value
        return data


@dataclass(frozen=True)
class Progress(Event):
    """After training steps; `val_loss` etc. are set right after a validation."""

    event: ClassVar[str] = "progress"
    epoch: float
    train_loss: float
    tokens_per_s: float
    learning_rate: float
    elapsed_s: float
    eta_s: float | None
    fraction: float  # of the whole run, 0..1
    val_loss: float | None = None
    perplexity: float | None = None
    bits_per_char: float | None = None


@dataclass(frozen=True)
class Sample(Event):
    event: ClassVar[str] = "sample"
    temperature: float
    text: str


@dataclass(frozen=True)
class CheckpointSaved(Event):
    event: ClassVar[str] = "checkpoint"
    path: str


@dataclass(frozen=True)
class Finished(Event):
    """Always the last event: outcome is "done" or "cancelled"."""

    event: ClassVar[str] = "done"
    outcome: str
    name: str
    path: str
    best_val_loss: float | None
    message: str | None = None  # why it ended, when that may surprise (limit used up)


@dataclass(frozen=True)
class Failed(Event):
    event: ClassVar[str] = "error"
    message: str
