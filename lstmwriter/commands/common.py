"""Helpers shared by the subcommands (imports no torch: `--help` answers at once)."""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

from ..core.config import LIMITS

__all__ = ["UsageError", "ParseError", "OneLineParser", "bad_input", "print_json",
           "limited", "format_perplexity"]


class UsageError(Exception):
    """Bad usage or bad input: printed as one line, exit code 2."""


class ParseError(Exception):
    """A command line argparse refused; `str()` is the one line to print."""

    def __init__(self, prog: str, message: str) -> None:
        super().__init__(f"{prog}: error: {message} (see {prog} --help)")
        self.message = message


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors raise ParseError (one line, exit code 2)
    instead of printing the whole usage first."""

    def error(self, message: str) -> NoReturn:
        raise ParseError(self.prog, message)


@contextlib.contextmanager
def bad_input() -> Iterator[None]:
    """Turn the core's input errors (ValueError, CorpusError and ModelFileError
    among them) into UsageError (exit code 2)."""
    try:
        yield
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def print_json(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def limited(setting: str) -> Callable[[str], float]:
    """An argparse `type` for a numeric setting, checked against its LIMITS entry."""
    limit = LIMITS[setting]
    kind = int if limit.integer else float

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            what = "an integer" if limit.integer else "a number"
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if not limit.allows(value):
            raise argparse.ArgumentTypeError(f"must be {limit.describe()}, not {text}")
        return value

    return parse


def format_perplexity(value: float) -> str:
    """Two decimals for a usual perplexity, scientific notation for a huge one."""
    if not math.isfinite(value):
        return "infinite" if value > 0 else str(value)
    return f"{value:.2f}" if value < 1e6 else f"{value:.3g}"
