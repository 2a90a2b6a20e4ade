"""`lstmwriter generate MODEL`: stream a continuation of a seed text.

With one alternative the seed and the continuation stream to the terminal as
each token is produced. With several alternatives, or --json, each alternative
is one line (a JSON object with --json), printed as soon as it has stopped.
An alternative that is only whitespace is not printed, nor one identical to an
alternative already printed (the suggestion pane's rule).

With --best it prints the app's grey text instead: the single most likely
continuation, whole words at a time, as long as the model stays sure of it
(nothing when it is not sure of even one word; --amount says how sure, as the
pane's "Grey text" setting); the sampling options do not apply.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ..core.alternatives import is_blank, offered_alternatives
from ..core.sample_options import (
    DEFAULT_GHOST_AMOUNT,
    GHOST_AMOUNTS,
    MAX_NUM,
    STOP_RULES,
    SampleOptions,
)
from .common import UsageError, bad_input, print_json

if TYPE_CHECKING:
    from ..core.sampling import Sampler

__all__ = ["add_parser", "run", "MAX_SEED_CHARS"]

MAX_SEED_CHARS = 100_000


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="stream text from a model",
                       description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="store name (e.g. default) or a model folder's path")
    p.add_argument("--seed", metavar="TEXT",
                   help="text to continue (default: start a new text)")
    # Numbers are parsed in run() so that a bad value gets a one-line message.
    p.add_argument("--temperature", default="0.5", metavar="T",
                   help="randomness: 0 = always the likeliest token (default 0.5)")
    p.add_argument("--length", default="200", metavar="N",
                   help="tokens per alternative (default 200)")
    p.add_argument("--num", default="1", metavar="K",
                   help="alternatives, generated together "
                   f"(default 1, at most {MAX_NUM})")
    p.add_argument("--top-k", default="0", metavar="K",
                   help="sample among the K likeliest tokens only (default 0 = off)")
    p.add_argument("--top-p", default="1.0", metavar="P",
                   help="sample among the likeliest tokens holding P of the "
                   "probability (default 1.0 = off)")
    p.add_argument("--random-seed", metavar="S",
                   help="a non-negative integer: the same seed gives the same text")
    p.add_argument("--stop", default="length", choices=STOP_RULES,
                   help="stop at the length, the end of the line, or the end of the "
                   "sentence (default length)")
    p.add_argument("--stop-string", metavar="TEXT",
                   help="stop before this text (it is not printed)")
    p.add_argument("--best", action="store_true",
                   help="print the best guess (the app's grey text: the likeliest "
                   "words while the model is sure) instead of sampled alternatives")
    p.add_argument("--amount", choices=list(GHOST_AMOUNTS),
                   default=DEFAULT_GHOST_AMOUNT,
                   help="with --best: how much grey text, fewer (surer words), "
                   "balanced or more (more often wrong); default "
                   f"{DEFAULT_GHOST_AMOUNT}, as in the app")
    p.add_argument("--json", action="store_true",
                   help='one object per alternative: {"index", "text", ...}; with '
                   '--best {"text", "probability"}')
    p.set_defaults(run=run)


def _number(kind, name: str, text: str | None):
    if text is None:
        return None
    try:
        return kind(text)
    except ValueError:
        raise UsageError(f"--{name}: {text!r} is not "
                         f"{'an integer' if kind is int else 'a number'}") from None


def options_from_args(args: argparse.Namespace) -> SampleOptions:
    """SampleOptions from the command line; bad values raise UsageError."""
    values = dict(
        num=_number(int, "num", args.num),
        length=_number(int, "length", args.length),
        temperature=_number(float, "temperature", args.temperature),
        top_k=_number(int, "top-k", args.top_k),
        top_p=_number(float, "top-p", args.top_p),
        seed=_number(int, "random-seed", args.random_seed),
        stop=args.stop,
        stop_string=args.stop_string,
    )
    with bad_input():
        return SampleOptions(**values)


def run(args: argparse.Namespace) -> int:
    options = options_from_args(args)
    seed = args.seed
    if seed is not None and not seed:
        raise UsageError("the seed text is empty "
                         "(leave out --seed to start a new text)")
    if seed is not None and len(seed) > MAX_SEED_CHARS:
        raise UsageError(f"the seed text has {len(seed):,} characters; at most "
                         f"{MAX_SEED_CHARS:,} are allowed")
    from ..core.sampling import Sampler  # loads torch: once the arguments are good
    from ..core.store import ModelStore

    with bad_input():
        loaded = ModelStore().load(args.model)
    sampler = Sampler(loaded)
    sampler.set_context(seed or "")
    if args.best:
        return _print_best(sampler, args.amount, args.json)
    if options.num == 1 and not args.json:
        return _stream_one(sampler, options, seed or "")
    texts = [""] * options.num
    stopped = [False] * options.num
    shown: list[str] = []  # the alternatives printed so far
    for pieces, done in sampler.stream_status(options):
        texts = [t + p for t, p in zip(texts, pieces)]
        for i in range(options.num):
            if done[i] and not stopped[i]:
                stopped[i] = True
                _print_if_new(i, texts[i], shown, args.json, loaded.name, seed)
    for i in range(options.num):
        if not stopped[i]:
            _print_if_new(i, texts[i], shown, args.json, loaded.name, seed)
    return 0


def _best_guess(sampler: Sampler, amount: str) -> tuple[str, float | None]:
    """The app's ghost text for the sampler's context and the probability of all
    its words (None when there is no guess)."""
    from ..core.ghost import GhostOptions, GhostPredictor

    predictor = GhostPredictor.of_model(
        sampler, GhostOptions(threshold=GHOST_AMOUNTS[amount]))
    text, probability = "", None
    for unit, probability in predictor.units():
        text += unit
    return text, probability


def _print_best(sampler: Sampler, amount: str, as_json: bool) -> int:
    text, probability = _best_guess(sampler, amount)
    if as_json:
        print_json({"text": text, "probability": probability})
    elif text:
        sys.stdout.write(_one_line(text) + "\n")
        sys.stdout.flush()
    return 0


def _one_line(text: str) -> str:
    """Line breaks inside a text shown as \\n (and backslashes doubled)."""
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _print_if_new(index: int, text: str, shown: list[str], as_json: bool,
                  model: str, seed: str | None) -> None:
    """Print alternative `index` unless it is blank or the same as one printed
    (the pane's rule: `offered_alternatives`)."""
    if len(offered_alternatives([*shown, text])) > len(shown):
        shown.append(text)
        _print_alternative(index, text, as_json, model, seed)


def _stream_one(sampler: Sampler, options: SampleOptions, seed: str) -> int:
    out = sys.stdout
    out.write(seed)
    out.flush()
    # Leading whitespace waits for text: a blank continuation is never printed.
    text, written = "", 0
    for pieces in sampler.stream(options):
        text += pieces[0]
        if len(text) > written and (written or not is_blank(text)):
            out.write(text[written:])
            out.flush()
            written = len(text)
    out.write("\n")
    out.flush()
    return 0


def _print_alternative(index: int, text: str, as_json: bool, model: str,
                       seed: str | None) -> None:
    if as_json:
        print_json({"index": index, "text": text, "model": model, "seed": seed or ""})
    else:
        # One line per alternative: line breaks inside it are shown as \n.
        sys.stdout.write(_one_line(text) + "\n")
        sys.stdout.flush()
