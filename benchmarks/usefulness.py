"""Would a writer accept the ghost text? Keystrokes saved against a word trigram.

A simulated writer types a text from left to right. At each position the ghost
text is what the editor shows there (the app's own `Sampler` and
`GhostPredictor`, default settings, the preceding text as context). While the
ghost's next unit (`\\W*\\w+`: punctuation and spaces, then a word) is exactly
what comes next in the text, one keystroke (Ctrl+Right) accepts it; otherwise
the writer types one character. KSR = 1 - keystrokes / characters.

The baseline is a word trigram completer trained on the same text as the model
(most frequent word given the previous two, backing off to one and none,
filtered by the typed prefix), typed over the same span the same way.

    python benchmarks/usefulness.py --model MODEL --text FILE [--offset N]
        [--chars N] [--baseline-corpus DIR_OR_FILE] [--adapt] --json
    python benchmarks/usefulness.py --json          # the scenarios of issue 13
    python benchmarks/usefulness.py --amount more --json  # the pane's "Grey text"

The last line printed is one JSON object (with --json).
"""

from __future__ import annotations

import argparse
import bisect
import collections
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from latency import BackgroundTraining  # noqa: E402

from lstmwriter.core.adapt import DocumentAdapter  # noqa: E402
from lstmwriter.core.corpus import CorpusReport, find_files, read_texts  # noqa: E402
from lstmwriter.core.ghost import GhostOptions, GhostPredictor, first_unit  # noqa: E402
from lstmwriter.core.sample_options import GHOST_AMOUNTS  # noqa: E402
from lstmwriter.core.sampling import Sampler  # noqa: E402
from lstmwriter.core.store import ModelStore  # noqa: E402
from lstmwriter.core.unwrap import is_hard_wrapped, unwrap  # noqa: E402
from lstmwriter.core.word_memory import words_of  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
CONTEXT_CHARS = 20_000  # of the text before the offset given as the document
_TRAILING = re.compile(r"\w+\Z")


# -- the baseline -----------------------------------------------------------------
class TrigramCompleter:
    """Most frequent word given the previous two words, backing off to one and
    none, filtered by the typed prefix."""

    def __init__(self, texts: list[str]) -> None:
        uni: collections.Counter = collections.Counter()
        bi: collections.Counter = collections.Counter()
        tri: collections.Counter = collections.Counter()
        for text in texts:
            w = words_of(text)
            uni.update(w)
            bi.update(zip(w, w[1:]))
            tri.update(zip(w, w[1:], w[2:]))
        self.uni = uni
        self.followers: dict[tuple, list[tuple[int, str]]] = (
            collections.defaultdict(list))
        for (a, b), n in bi.items():
            self.followers[(a,)].append((n, b))
        for (a, b, c), n in tri.items():
            self.followers[(a, b)].append((n, c))
        self._sorted: set[tuple] = set()
        self.vocab = sorted(uni)

    def _best(self, history: list[str], prefix: str) -> str | None:
        keys = [tuple(history[-n:]) for n in (2, 1) if len(history) >= n]
        for key in keys:
            ranked = self.followers.get(key)
            if not ranked:
                continue
            if key not in self._sorted:
                ranked.sort(key=lambda nw: (-nw[0], nw[1]))
                self._sorted.add(key)
            for _, word in ranked:
                if word.startswith(prefix):
                    return word
        lo = bisect.bisect_left(self.vocab, prefix)
        hi = bisect.bisect_left(self.vocab, prefix + "\U0010ffff", lo)
        return max(self.vocab[lo:hi], key=self.uni.__getitem__) if hi > lo else None

    def ghost(self, context: str) -> str:
        match = _TRAILING.search(context, max(0, len(context) - 64))
        prefix = match.group(0) if match else ""
        history = words_of(context[max(0, len(context) - 200):
                                   len(context) - len(prefix)])
        if prefix:
            word = self._best(history, prefix)
            if word is None:
                return ""
            if word != prefix:
                return word[len(prefix):]
            history = history + [prefix]
        word = self._best(history, "")
        if word is None:
            return ""
        space = "" if context[-1:].isspace() or not context else " "
        return space + word


# -- the simulated writer -----------------------------------------------------------
@dataclass
class Typed:
    keystrokes: int = 0
    chars: int = 0
    positions: int = 0
    shown: int = 0
    right: int = 0
    latencies: list[float] | None = None

    @property
    def ksr(self) -> float:
        return 1.0 - self.keystrokes / self.chars if self.chars else 0.0

    def summary(self) -> dict:
        out = {"ksr": round(self.ksr, 4), "keystrokes": self.keystrokes,
               "chars": self.chars,
               "first_word_precision": round(self.right / self.shown, 4)
               if self.shown else 0.0,
               "coverage": round(self.shown / self.positions, 4)
               if self.positions else 0.0}
        if self.latencies:
            ms = sorted(x * 1000 for x in self.latencies)
            out["p50_ms"] = round(ms[len(ms) // 2], 2)
            out["p99_ms"] = round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 2)
        return out


def type_text(text: str, start: int, end: int, ghost_at, context_from: int = 0,
              split: int | None = None, timed: bool = False,
              on_position=None) -> tuple[Typed, Typed | None]:
    """Type text[start:end]; `ghost_at(context)` gives the ghost text. With `split`,
    also the figures of the positions from `split` on."""
    whole = Typed(latencies=[] if timed else None)
    late = Typed() if split is not None else None
    pos = start
    while pos < end:
        context = text[context_from:pos]
        if on_position is not None:
            on_position(context)
        began = time.perf_counter()
        ghost = ghost_at(context)
        if timed:
            whole.latencies.append(time.perf_counter() - began)
        unit = first_unit(ghost)
        ok = bool(unit) and pos + len(unit) <= end and text.startswith(unit, pos)
        step = len(unit) if ok else 1
        for record in (whole, late if split is not None and pos >= split else None):
            if record is None:
                continue
            record.positions += 1
            record.shown += bool(unit)
            record.right += ok
            record.keystrokes += 1
            record.chars += step
        pos += step
    return whole, late


class ModelGhost:
    """The app's ghost text for a model: Sampler + GhostPredictor (+ adaptation)."""

    def __init__(self, name: str, store: ModelStore, adapt: bool = False,
                 threshold: float | None = None) -> None:
        self.loaded = store.load(name)
        self.sampler = Sampler(self.loaded)
        options = GhostOptions() if threshold is None else GhostOptions(
            threshold=threshold)
        self.predictor = GhostPredictor.of_model(self.sampler, options)
        self.adapter = DocumentAdapter(self.loaded) if adapt else None
        self._rest: Iterator[tuple[str, float]] = iter(())  # the last ghost's units

    def __call__(self, context: str) -> str:
        self.sampler.set_context(context)
        self._rest = self.predictor.units()
        for unit, _ in self._rest:
            return unit  # the first unit is what a keystroke can take
        return ""

    def observe(self, context: str) -> None:
        """Between keystrokes: the rest of the last ghost text, as the app's worker
        goes on to it once the first word is shown (its words' distributions are
        then ready for the next keystrokes); adaptation to the text so far."""
        for _ in self._rest:
            pass
        if self.adapter is not None and self.adapter.observe(context):
            self.sampler.update_weights(self.adapter.weights())


def bits_per_char(store: ModelStore, name: str, text: str, start: int, end: int,
                  split: int | None = None, adapt: bool = False) -> tuple[float, float]:
    """LSTM bits per character over text[start:end] (and over [split:end]), reading
    the document from its start in chunks, with dynamic evaluation if `adapt`."""
    loaded = store.load(name)
    adapter = DocumentAdapter(loaded, learning_rates=None if adapt else (0.0,))
    losses = adapter.score_text(text[:end])  # nats per character position
    whole = float(np.mean(losses[start:end])) / np.log(2)
    late = float(np.mean(losses[split:end])) / np.log(2) if split else whole
    return whole, late


# -- corpora ---------------------------------------------------------------------------
def read_corpus(path: Path) -> list[str]:
    files, _ = find_files(Path(path))
    return read_texts(files, CorpusReport(str(path)))


def default_split() -> tuple[list[str], str]:
    """(training texts, held-out tail) of the bundled model (default_corpus.py): the
    18 novels of ../shared/data/prose minus their last 5%, plus prose_more."""
    from default_corpus import training_texts
    return training_texts(DATA)


def readable(text: str) -> str:
    """The text as a writer would type it: hard-wrapped prose joined into lines."""
    return unwrap(text) if is_hard_wrapped(text) else text


# -- one measurement -------------------------------------------------------------------
@contextlib.contextmanager
def background_training():
    """latency.py's training run (char-small on Tiny Shakespeare) on a thread of
    this process, as the app trains, saving into a temporary store."""
    saved = os.environ.get("XDG_DATA_HOME")
    with tempfile.TemporaryDirectory(prefix="usefulness-train-") as tmp:
        os.environ["XDG_DATA_HOME"] = tmp
        try:
            with BackgroundTraining():
                yield
        finally:
            if saved is None:
                os.environ.pop("XDG_DATA_HOME", None)
            else:
                os.environ["XDG_DATA_HOME"] = saved


def measure(store: ModelStore, model: str, text: str, offset: int, chars: int,
            baseline: TrigramCompleter, split: int | None = None,
            adapt: bool = False, training: bool = False,
            threshold: float | None = None) -> dict:
    """The figures of one model on text[offset:offset + chars]; with `training`, a
    training run goes on in the background, as while the app trains."""
    start, end = offset, min(len(text), offset + chars)
    context_from = max(0, start - CONTEXT_CHARS)
    lstm = ModelGhost(model, store, adapt=adapt, threshold=threshold)
    on_position = lstm.observe
    with background_training() if training else contextlib.nullcontext():
        mine, mine_late = type_text(text, start, end, lstm, context_from, split,
                                    timed=True, on_position=on_position)
    base, base_late = type_text(text, start, end, baseline.ghost, context_from, split)
    bpc, bpc_late = bits_per_char(store, model, text[context_from:],
                                  start - context_from, end - context_from,
                                  split - context_from if split else None, adapt)
    out = {**mine.summary(), "baseline_ksr": round(base.ksr, 4),
           "ratio": round(mine.ksr / base.ksr, 3) if base.ksr else None,
           "baseline_first_word_precision": base.summary()["first_word_precision"],
           "bits_per_char": round(bpc, 4), "model": model, "offset": offset,
           "adapt": adapt, "training_running": training,
           "threshold": lstm.predictor.options.threshold}
    if split is not None:
        out["second_half"] = {"ksr": round(mine_late.ksr, 4),
                              "baseline_ksr": round(base_late.ksr, 4),
                              "bits_per_char": round(bpc_late, 4)}
    return out


# -- scenarios ------------------------------------------------------------------------
def fine_tune(store_root: Path, corpus_file: Path, name: str, seconds: int) -> None:
    """Train as the app's Train does with "start from the default model"."""
    env = {**os.environ, "XDG_DATA_HOME": str(store_root.parent.parent)}
    subprocess.run([sys.executable, "-m", "lstmwriter", "train", str(corpus_file),
                    "--name", name, "--init", "default", "--max-time", str(seconds),
                    "--json"], check=True, env=env, stdout=subprocess.DEVNULL)


def your_folder(work: Path, corpus: str, seconds: int
                ) -> tuple[ModelStore, str, str, int]:
    """(store, model name, text, cut) of a corpus whose first 90% a model was
    fine-tuned on from the default model (trained now unless `work` has it)."""
    text = "\n\n".join(read_corpus(DATA / corpus))
    cut = int(len(text) * 0.9)
    head_file = work / f"{corpus}-90.txt"
    head_file.parent.mkdir(parents=True, exist_ok=True)
    head_file.write_text(text[:cut], encoding="utf-8")
    user_store = ModelStore(work / "lstmwriter" / "models")
    name = f"{corpus}-ft"
    if not (user_store.root / name / "config.json").exists():
        fine_tune(user_store.root, head_file, name, seconds)
    return user_store, name, text, cut


def scenarios(args) -> list[dict]:
    store = ModelStore()
    results = []
    if {"first-launch", "document"} & set(args.scenario):
        train_texts, tail = default_split()
        base = TrigramCompleter(train_texts)
        del train_texts
        tail = readable(tail)
    if "first-launch" in args.scenario:
        r = measure(store, "default", tail, 20_000, args.chars, base,
                    adapt=args.adapt, training=not args.no_training,
                    threshold=args.threshold)
        results.append({"scenario": "first launch (default, held-out prose)", **r})
        print(json.dumps(results[-1]), flush=True)
    if "document" in args.scenario:
        start = tail.find("CHAPTER I")
        start = start if start >= 0 else len(tail) // 2
        doc = tail[start:]
        n = max(20_000, args.chars)
        for adapt in (False, True):
            r = measure(store, "default", doc, 0, n, base, split=n // 2, adapt=adapt,
                        threshold=args.threshold)
            results.append({"scenario": "long document (default, Dorian Gray)", **r})
            print(json.dumps(results[-1]), flush=True)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="usefulness-"))
    for corpus in ("zora_neale_hurston", "tinyshakespeare"):
        if corpus not in args.scenario:
            continue
        user_store, name, text, cut = your_folder(work, corpus, args.train_seconds)
        r = measure(user_store, name, text, cut, args.chars,
                    TrigramCompleter([text[:cut]]), adapt=args.adapt,
                    threshold=args.threshold)
        results.append({"scenario": f"your folder ({corpus}, fine-tuned "
                        f"{args.train_seconds} s from default)", **r})
        print(json.dumps(results[-1]), flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="model name or folder (default: the scenarios)")
    parser.add_argument("--text", type=Path, help="the text to type")
    parser.add_argument("--offset", type=int, default=0,
                        help="where typing starts; the text before is the context")
    parser.add_argument("--chars", type=int, default=10_000,
                        help="characters to type (default 10,000)")
    parser.add_argument("--baseline-corpus", type=Path,
                        help="the trigram's training text "
                        "(default: the model's corpus)")
    parser.add_argument("--no-adapt", dest="adapt", action="store_false",
                        help="do not adapt the model to the document as it is typed "
                        "(the app does, by default)")
    how_much = parser.add_mutually_exclusive_group()
    how_much.add_argument("--threshold", type=float,
                          help="the ghost's probability threshold (default: the app's)")
    how_much.add_argument("--amount", choices=list(GHOST_AMOUNTS),
                          help="the threshold of one of the app's \"Grey text\" "
                          "settings (default: balanced)")
    parser.add_argument("--split", type=int,
                        help="also report the figures from this offset on")
    parser.add_argument("--scenario", nargs="+",
                        default=["first-launch", "zora_neale_hurston",
                                 "tinyshakespeare", "document"],
                        help="scenarios to run without --model")
    parser.add_argument("--train-seconds", type=int, default=600,
                        help="fine-tuning time of the your-folder scenarios")
    parser.add_argument("--workdir", help="keep fine-tuned models here (reused)")
    parser.add_argument("--training", action="store_true",
                        help="train in the background while typing (latency as while "
                        "the app trains)")
    parser.add_argument("--no-training", action="store_true",
                        help="scenario 1 without the background training run")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    if args.amount is not None:
        args.threshold = GHOST_AMOUNTS[args.amount]
    if args.model is None:
        results = scenarios(args)
        print(json.dumps({"scenarios": results}))
        return
    if args.text is None:
        parser.error("--model needs --text")
    store = ModelStore()
    loaded = store.load(args.model)
    corpus = args.baseline_corpus or loaded.meta.get("corpus", {}).get("path")
    if not corpus:
        parser.error("the model does not record its corpus: give --baseline-corpus")
    text = args.text.read_text(encoding="utf-8")
    result = measure(store, args.model, text, args.offset, args.chars,
                     TrigramCompleter(read_corpus(Path(corpus))), args.split,
                     args.adapt, args.training, args.threshold)
    print(json.dumps(result) if args.json else result)


if __name__ == "__main__":
    main()
