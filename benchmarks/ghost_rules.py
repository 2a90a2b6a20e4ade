"""Which rule should pick the ghost text from its candidates? The precision/KSR
frontier of several rules, on the same candidates.

`usefulness.py` measures the app's rule. This script computes, once, every
candidate for the first unit (`GhostPredictor.first_candidates`, the app's
LSTM + memory mixture) at every position of a span of held-out prose, and the
word trigram's ghost there; then it types the span (usefulness's simulated
writer) under each rule, looking the candidates up, so many rules cost seconds:

- `threshold t`: the app's rule (the candidate with the largest P x keystrokes
  saved, among those with P >= t);
- `lagrange l`: the candidate maximising P x saved + l (P - 0.5), shown when
  that is positive (the per-position optimum of savings under a 50% precision
  constraint, were positions independent);
- `by type s/m`: threshold s at the start of a word, m inside or right after one;
- `... + skip passed`: the same rule, not offering again at the same spot a word
  the writer typed past (the app's `GhostOptions.skip_passed`, `PassedWords`).

    python benchmarks/ghost_rules.py [--offset 60000] [--chars 4000] --json
    python benchmarks/ghost_rules.py --set turn_weight=0,0.8 --set lstm_weight=0.4,0.5

Without adaptation (the candidates depend only on the text before each
position). The default span is development text of scenario 1's held-out prose,
away from the 10,000 characters the scenario measures.
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

from usefulness import (
    CONTEXT_CHARS,
    TrigramCompleter,
    default_split,
    readable,
    type_text,
    your_folder,
)

from lstmwriter.core.ghost import (
    GhostOptions,
    GhostPredictor,
    PassedWords,
    keystrokes_saved,
)
from lstmwriter.core.sampling import Sampler
from lstmwriter.core.store import ModelStore

# development spans of scenario 2: characters after the folder's 90% cut
FOLDER_OFFSETS = {"zora_neale_hurston": 10_000, "tinyshakespeare": 20_000}


def collect(store: ModelStore, model: str, text: str, start: int, end: int,
            context_from: int, options: GhostOptions
            ) -> list[tuple[bool, list[tuple[str, float]]]]:
    """(inside or right after a word, candidates) at each position of the span."""
    loaded = store.load(model)
    sampler = Sampler(loaded)
    ghost = GhostPredictor.of_model(sampler, options)
    table = []
    for pos in range(start, end):
        sampler.set_context(text[context_from:pos])
        in_word = pos > 0 and (text[pos - 1].isalnum() or text[pos - 1] == "_")
        table.append((in_word, ghost.first_candidates()))
    return table


def by_value(threshold_start: float, threshold_in_word: float, lagrange: float = 0.0):
    """A rule: the best candidate by P x saved (+ lagrange x (P - 0.5)) among those
    above the position's threshold; none when lagrange > 0 and the best is <= 0."""
    def pick(in_word: bool, candidates: list[tuple[str, float]]) -> str:
        floor = threshold_in_word if in_word else threshold_start
        best, best_value = "", 0.0 if lagrange else -1.0
        for unit, p in candidates:
            if p < floor or p <= 0:
                continue
            value = p * keystrokes_saved(unit) + lagrange * (p - 0.5)
            if value > best_value:
                best, best_value = unit, value
        return best
    return pick


def skipping_passed(pick):
    """A rule that does not offer again a word the writer typed past (as the app's
    ghost does); a new one for each typing of the span."""
    def make():
        passed = PassedWords()

        def pick_at(context: str, in_word: bool, candidates) -> str:
            passed.update(context)
            unit = pick(in_word, [(u, p) for u, p in candidates
                                  if not passed.skips(context, u)])
            if unit:
                passed.offer(context, unit)
            return unit
        return pick_at
    return make


def stateless(pick):
    return lambda: lambda context, in_word, candidates: pick(in_word, candidates)


THRESHOLDS = (0, 0.1, 0.15, 0.2, 0.22, 0.25, 0.3)
RULES = {
    **{f"threshold {t:g}": by_value(t, t) for t in THRESHOLDS},
    **{f"lagrange {lam:g}": by_value(0, 0, lam) for lam in (0.5, 1, 1.5, 2, 3)},
    **{f"by type {s:g}/{m:g}": by_value(s, m)
       for s in (0.3, 0.6, 1.1) for m in (0.15, 0.2)},
}
RULES = {**{name: stateless(pick) for name, pick in RULES.items()},
         **{f"threshold {t:g} + skip passed": skipping_passed(by_value(t, t))
            for t in THRESHOLDS},
         **{f"by type {s:g}/{m:g} + skip passed": skipping_passed(by_value(s, m))
            for s in (0.08, 0.1, 0.12, 0.15, 0.17) for m in (0.2, 0.22, 0.25)}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--corpus", choices=["prose", *FOLDER_OFFSETS], default="prose",
                        help="prose: the bundled model's held-out prose; else a "
                             "scenario-2 folder's model (usefulness.py --workdir)")
    parser.add_argument("--workdir", type=Path, help="usefulness.py's --workdir")
    parser.add_argument("--offset", type=int,
                        help="default: 60,000 of the prose, or FOLDER_OFFSETS after "
                             "a folder's 90%% cut")
    parser.add_argument("--chars", type=int, default=4_000)
    parser.add_argument("--lstm-weight", type=float, nargs="+", default=[None],
                        help="the character LSTM's weight(s) in the mixture, with or "
                             "without a word LSTM (default: the app's; each: all "
                             "rules)")
    parser.add_argument("--word-weight", type=float, nargs="+",
                        default=[GhostOptions().word_lstm_weight],
                        help="the word LSTM's weight(s) in the memory part")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=V,V",
                        help="a GhostOptions field's value(s), e.g. turn_weight=0,0.8 "
                             "(each: all rules)")
    parser.add_argument("--word-candidates", type=int,
                        default=GhostOptions().word_candidates,
                        help="the word LSTM's candidates scored per step")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.corpus == "prose":
        train_texts, tail = default_split()
        trigram = TrigramCompleter(train_texts)
        del train_texts
        store, model, text = ModelStore(), args.model, readable(tail)
        start = 60_000 if args.offset is None else args.offset
    else:  # the text after the 10,000 characters that scenario 2 measures
        store, model, text, cut = your_folder(args.workdir, args.corpus, 600)
        trigram = TrigramCompleter([text[:cut]])
        start = cut + FOLDER_OFFSETS[args.corpus] if args.offset is None \
            else args.offset
    end = min(len(text), start + args.chars)
    context_from = max(0, start - CONTEXT_CHARS)

    def typed(ghost_at) -> dict:
        return type_text(text, start, end, ghost_at, context_from)[0].summary()

    base = typed(trigram.ghost)
    rows = [{"rule": "trigram", **base, "ratio": 1.0}]
    fields = [(name, [type(getattr(GhostOptions(), name))(float(v))
                      for v in values.split(",")])
              for name, values in (item.split("=", 1) for item in args.set)]
    for weight, words, *values in itertools.product(
            args.lstm_weight, args.word_weight, *(v for _, v in fields)):
        chars = {} if weight is None else dict(lstm_weight=weight,
                                                lstm_weight_with_words=weight)
        chosen = dict(zip((name for name, _ in fields), values))
        table = collect(store, model, text, start, end, context_from,
                        GhostOptions(word_lstm_weight=words,
                                     word_candidates=args.word_candidates,
                                     **chars, **chosen))
        for name, make in RULES.items():
            def ghost_at(context: str, pick=make(), table=table) -> str:
                return pick(context, *table[context_from + len(context) - start])
            got = typed(ghost_at)
            rows.append({"rule": name, "lstm_weight": weight, "word_weight": words,
                         **chosen,
                         **got, "ratio": round(got["ksr"] / base["ksr"], 3)})
    for row in rows:
        print(json.dumps(row) if args.json else
              f"{row['rule']:31} {row.get('lstm_weight', '')!s:4} "
              f"{row.get('word_weight', '')!s:4} KSR "
              f"{row['ksr']:.3f} ({row['ratio']:.3f}x) precision "
              f"{row['first_word_precision']:.3f} coverage {row['coverage']:.3f}")
    if args.json:
        print(json.dumps({"offset": start, "chars": end - start, "rules": rows}))


if __name__ == "__main__":
    main()
