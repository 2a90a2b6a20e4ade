"""How to sample: plain settings, checked without loading torch (so a command line's
mistakes are answered at once)."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "CHARS_PER_WORD",
    "DEFAULT_GHOST_AMOUNT",
    "GHOST_AMOUNTS",
    "LINE_CAP_CHARS",
    "MAX_LENGTH",
    "MAX_NUM",
    "MAX_TEMPERATURE",
    "STOP_RULES",
    "SampleOptions",
    "suggestion_options",
]

STOP_RULES = ("length", "line", "sentence")
MAX_NUM = 64
MAX_LENGTH = 100_000
MAX_TEMPERATURE = 100.0
_GREEDY_BELOW = 0.01
CHARS_PER_WORD = 5.5  # to turn a length in characters into word tokens
LINE_CAP_CHARS = 300  # "to end of line/sentence" stops here at the latest

# How much grey text to show, as the probability threshold of each setting. Less
# sure words save more typing but are wrong more often (benchmarks/RESULTS.md,
# sessions 8 and 11): "balanced" keeps the first word right more often than not
# (0.2: at least 51% on every development span); "more"
# saves about a third more keystrokes and is right about one time in three (a word
# trigram completer: one in five); "fewer" is right about seven times in ten.
GHOST_AMOUNTS = {"fewer": 0.35, "balanced": 0.2, "more": 0.08}
DEFAULT_GHOST_AMOUNT = "balanced"


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
        if not (math.isfinite(self.temperature)
                and 0 <= self.temperature <= MAX_TEMPERATURE):
            problems.append(
                f"the temperature must be between 0 and {MAX_TEMPERATURE:g}")
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


def suggestion_options(length_chars: int, stop: str, num: int, temperature: float,
                       level: str | None) -> SampleOptions:
    """The suggestion pane's settings as options for a model of `level` ("char",
    "word"; None: no model yet). The pane counts the length in characters, which
    a word-level model samples as about one word per CHARS_PER_WORD; a stop at
    the end of a line or sentence comes after LINE_CAP_CHARS at the latest."""
    chars = length_chars if stop == "length" else LINE_CAP_CHARS
    length = max(1, round(chars / CHARS_PER_WORD)) if level == "word" else chars
    return SampleOptions(num=num, length=length, temperature=temperature, stop=stop)
