"""The `lstmwriter` command: subcommands for the CLI, the bare form opens the window.

Nothing here or in the command modules loads torch before a command runs, so
`--help` and usage errors answer at once."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from . import __version__
from .commands import COMMANDS, UsageError
from .commands.common import OneLineParser, ParseError, print_json

__all__ = ["main", "build_parser"]

log = logging.getLogger("lstmwriter")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="lstmwriter",
        description="A writing assistant that learns your style. Without a command, "
        "opens the desktop app.",
    )
    parser.add_argument("--version", action="version",
                        version=f"lstmwriter {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 2 bad usage or input, 1 failure)."""
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = parser.parse_args(argv)
    except ParseError as exc:
        print(exc, file=sys.stderr)
        if argv[:1] == ["train"] and "--json" in argv:
            print_json({"event": "error", "step": 0, "message": exc.message})
        return 2
    if args.command is None:
        from .gui.app import run_app

        return run_app()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    try:
        return int(args.run(args) or 0)
    except UsageError as exc:
        print(f"lstmwriter {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # an unexpected failure: one line, details in the log
        log.debug("unexpected failure", exc_info=True)
        print(f"lstmwriter {args.command}: failed: {type(exc).__name__}: {exc}",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
