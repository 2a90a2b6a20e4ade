"""`lstmwriter eval MODEL FILE...`: how well a model predicts a text."""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import bad_input, print_json

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="loss, perplexity and bits per character of a text",
                       description=__doc__)
    p.add_argument("model", help="store name (e.g. default) or a model folder's path")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE",
                   help="text files or folders")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda", "mps"])
    p.add_argument("--json", action="store_true",
                   help="one object: loss, perplexity, bits_per_char, tokens, "
                   "unknown_tokens")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np  # the core's modules load torch: imported when run (fast --help)

    from ..core.corpus import encode_file
    from ..core.evaluation import evaluate, skipped_target
    from ..core.store import ModelStore

    with bad_input():
        loaded = ModelStore().load(args.model, device=args.device)
        parts = [encode_file(path, loaded.tokenizer) for path in args.files]
    ids = np.concatenate([np.asarray(p.ids) for p in parts])
    characters = sum(p.report.characters for p in parts)
    with bad_input():
        result = evaluate(loaded.model, ids, args.device, characters / len(ids),
                          skip_id=skipped_target(loaded.tokenizer))
    if args.json:
        print_json({**result.to_dict(), "model": loaded.name, "level": loaded.level})
    else:
        unit = "word" if loaded.level == "word" else "char"
        print(f"{loaded.name} on {result.tokens:,} {unit} tokens: "
              f"loss {result.loss:.4f} nats/token, perplexity {result.perplexity:.2f}, "
              f"{result.bits_per_char:.4f} bits per character")
        if unit == "char":
            print(_skipped_line(result.unknown_tokens))
    return 0


def _skipped_line(unknown: int) -> str:
    """What the figure leaves out: characters the model has no symbol for."""
    if not unknown:
        return "no character outside the model's vocabulary (those are skipped)"
    plural = "character is" if unknown == 1 else "characters are"
    return (f"{unknown:,} {plural} outside the model's vocabulary: skipped, not scored "
            "(they are still read as context)")
