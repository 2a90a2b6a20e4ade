"""CLI subcommands: each module has `add_parser(subparsers)` setting `run(args) -> int`."""

from __future__ import annotations

from .common import UsageError
from . import evaluate, generate, models, train

__all__ = ["COMMANDS", "UsageError"]

COMMANDS = [train, evaluate, generate, models]
