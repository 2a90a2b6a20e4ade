"""A one-line progress display for training on a terminal."""

from __future__ import annotations

import sys

from ..core.events import Event, Failed, Finished, Progress, Sample
from .common import format_perplexity

__all__ = ["ProgressLine"]


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    return (f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h
            else f"{rest // 60}:{rest % 60:02d}")


class ProgressLine:
    """Redraws one status line on stderr; samples and results get lines of their own."""

    def __init__(self, total_steps: int, stream=None, width: int = 24) -> None:
        self.total_steps = total_steps
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = self.stream.isatty()
        self.val = ""

    def handle(self, event: Event) -> None:
        if isinstance(event, Progress):
            self._progress(event)
        elif isinstance(event, Sample):
            self._line(f"  sample (T={event.temperature}): "
                       + event.text.replace("\n", " ")[:100])
        elif isinstance(event, Failed):
            self._line(f"error: {event.message}")
        elif isinstance(event, Finished):
            best = (f"{event.best_val_loss:.4f}" if event.best_val_loss is not None
                    else "-")
            self._line(f"{event.outcome}: model {event.name!r} saved in {event.path} "
                       f"(best validation loss {best})")

    def _progress(self, p: Progress) -> None:
        if p.val_loss is not None:
            ppl = format_perplexity(p.perplexity)
            self.val = (f" val {p.val_loss:.3f} (ppl {ppl}, "
                        f"{p.bits_per_char:.3f} bpc)")
        filled = int(self.width * p.fraction)
        bar = "#" * filled + "-" * (self.width - filled)
        text = (f"epoch {p.epoch:.2f} step {p.step} [{bar}] {p.fraction:4.0%} "
                f"loss {p.train_loss:.3f}{self.val} {p.tokens_per_s:,.0f} tok/s "
                f"ETA {_clock(p.eta_s)}")
        if self.tty:
            self.stream.write("\r\x1b[2K" + text)
            self.stream.flush()
        elif p.val_loss is not None:
            self._line(text)

    def _line(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r\x1b[2K")
        self.stream.write(text + "\n")
        self.stream.flush()
