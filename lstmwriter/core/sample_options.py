"""How to sample: plain settings, checked without loading torch (so a command line's
mistakes are answered at once)."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["SampleOptions", "STOP_RULES", "MAX_NUM", "MAX_LENGTH"]

STOP_RULES = ("length", "line", "sentence")
MAX_NUM = 64
MAX_LENGTH = 100_000
_GREEDY_BELOW = 0.01


@dataclass(frozen=True)
class SampleOptions:
    """How to sample; invalid values raise ValueError with a message for the user."""

    num: int = 3  # alternatives, sampled as one batch
    length: int = 80  # max tokens per alternative
    temperature: float = 0.5  # <= 0.01 means greedy
    top_k: int = 0  # 0 = off
    top_p: float = 1.0  # 1.0 = off
    stop: str = "length"  # "length" | "line" | "sentence"
    stop_string: str | None = None
    seed: int | None = None  # None = fresh randomness

    def __post_init__(self) -> None:
        problems = []
        if not isinstance(self.num, int) or not 1 <= self.num <= MAX_NUM:
            problems.append(f"the number of alternatives must be 1 to {MAX_NUM}")
        if not isinstance(self.length, int) or not 1 <= self.length <= MAX_LENGTH:
            problems.append(f"the length must be 1 to {MAX_LENGTH:,} tokens")
        if not (math.isfinite(self.temperature) and 0 <= self.temperature <= 100):
            problems.append("the temperature must be between 0 and 100")
        if not isinstance(self.top_k, int) or self.top_k < 0:
            problems.append("top-k must be 0 (off) or a positive integer")
        if not (math.isfinite(self.top_p) and 0 < self.top_p <= 1):
            problems.append("top-p must be in (0, 1]")
        if self.stop not in STOP_RULES:
            problems.append(f"stop must be one of {', '.join(STOP_RULES)}")
        if self.stop_string is not None and not self.stop_string:
            problems.append("the stop string is empty")
        if self.seed is not None and (not isinstance(self.seed, int) or self.seed < 0):
            problems.append("the random seed must be a non-negative integer")
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def greedy(self) -> bool:
        return self.temperature <= _GREEDY_BELOW
