"""Helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from typing import Any

from ..core.checkpoint import ModelFileError
from ..core.corpus import CorpusError

__all__ = ["UsageError", "bad_input", "print_json", "positive_int", "positive_float",
           "non_negative_float"]


class UsageError(Exception):
    """Bad usage or bad input: printed as one line, exit code 2."""


@contextlib.contextmanager
def bad_input() -> Iterator[None]:
    """Turn the core's input errors into UsageError (exit code 2)."""
    try:
        yield
    except (CorpusError, ModelFileError, ValueError) as exc:
        raise UsageError(str(exc)) from None


def print_json(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _number(kind, test, what):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not test(value):
            raise argparse.ArgumentTypeError(f"{text} must be {what}")
        return value
    return parse


positive_int = _number(int, lambda v: v > 0, "a positive integer")
positive_float = _number(float, lambda v: v > 0, "positive")
non_negative_float = _number(float, lambda v: v >= 0, "zero or more")
