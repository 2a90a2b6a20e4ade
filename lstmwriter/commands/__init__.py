"""CLI subcommands: each module has `add_parser(subparsers)` setting
`run(args) -> int`."""

from __future__ import annotations

from . import evaluate, generate, models, train
from .common import UsageError

__all__ = ["COMMANDS", "UsageError"]

COMMANDS = [train, evaluate, generate, models]
