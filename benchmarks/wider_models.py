"""How wide may the bundled models grow before the ghost text is too slow?

    python benchmarks/wider_models.py [--char 256 384 512] [--words 400 512 650]
                                      [--chars 4000] [--json]

A sharper model is what issue 13 still needs, and a GPU can train a wider one; the
ghost's latency on this CPU decides how wide. For each width, a copy of the bundled
model whose character LSTM (`--char`) or word LSTM (`--words`) is padded to that
many units with units whose weights are all zero. Such a unit's cell and output
stay 0 and nothing reads it, so the copy predicts exactly what the bundled model
predicts (the KSR printed is the same for every width: the check) at the cost of
the wider model. Each copy types the first `--chars` characters of scenario 1
(`usefulness.measure`, the app's ghost with adaptation) with the training thread
running, and the keystroke -> first ghost character p50 / p99 is printed.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import tempfile
from pathlib import Path

import torch
from usefulness import TrigramCompleter, default_split, measure, readable

from lstmwriter.core.model import LSTMLanguageModel
from lstmwriter.core.store import (
    WORD_MODEL_DIR,
    ModelStore,
    load_model_dir,
    save_model_dir,
)
from lstmwriter.core.word_memory import MEMORY_FILE

BUNDLED = Path(__file__).resolve().parent.parent / "models" / "default"
_KEPT_META = ("name", "corpus", "train", "metrics")


def padded(model: LSTMLanguageModel, hidden: int) -> LSTMLanguageModel:
    """`model` with `hidden` LSTM units a layer (and as wide an embedding, if the
    output layer is tied to it), the new units' weights all zero."""
    config = model.config
    old = config.rnn_size
    changes = {"rnn_size": hidden}
    if config.tie_weights:
        changes["embedding_size"] = hidden
    bigger = LSTMLanguageModel(dataclasses.replace(config, **changes))
    weights = model.state_dict()
    new = {}
    for key, shape_of in bigger.state_dict().items():
        value, src = torch.zeros_like(shape_of), weights[key]
        if key.startswith("lstm."):  # gates i, f, g, o: one block of rows each
            for gate in range(4):
                rows = src[gate * old:(gate + 1) * old]
                if rows.dim() == 1:
                    value[gate * hidden:gate * hidden + old] = rows
                else:
                    value[gate * hidden:gate * hidden + old, :rows.shape[1]] = rows
        else:  # embedding, output layer: the old columns
            value[tuple(slice(0, n) for n in src.shape)] = src
        new[key] = value
    bigger.load_state_dict(new)
    return bigger.eval()


def save_copy(loaded, model: LSTMLanguageModel, path: Path, half: bool = False) -> None:
    save_model_dir(path, model, loaded.tokenizer,
                   {k: v for k, v in loaded.meta.items() if k in _KEPT_META}, half)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--char", type=int, nargs="*", default=[256, 384, 512],
                        help="widths of the character LSTM (bundled: 256)")
    parser.add_argument("--words", type=int, nargs="*", default=[512, 650],
                        help="widths of the word LSTM (bundled: 400)")
    parser.add_argument("--chars", type=int, default=4_000,
                        help="characters of scenario 1 to type for each")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    char = load_model_dir(BUNDLED, "default", True, "cpu")
    words = load_model_dir(BUNDLED / WORD_MODEL_DIR, "words", True, "cpu")
    _, tail = default_split()
    text = readable(tail)
    baseline = TrigramCompleter([text[:200_000]])  # its figures are not the point
    cases = [("char", w) for w in args.char] + [("words", w) for w in args.words]
    rows = []
    with tempfile.TemporaryDirectory(prefix="wider-") as tmp:
        store = ModelStore(Path(tmp))
        for part, width in cases:
            name = f"{part}-{width}"
            folder = store.root / name
            wide_char = padded(char.model, width) if part == "char" else char.model
            save_copy(char, wide_char, folder)
            shutil.copy(BUNDLED / MEMORY_FILE, folder)
            wide_words = padded(words.model, width) if part == "words" else words.model
            save_copy(words, wide_words, folder / WORD_MODEL_DIR, half=True)
            got = measure(store, name, text, 20_000, args.chars, baseline,
                          adapt=True, training=True)
            rows.append({"part": part, "width": width, "ksr": got["ksr"],
                         "first_word_precision": got["first_word_precision"],
                         "p50_ms": got["p50_ms"], "p99_ms": got["p99_ms"]})
            print(json.dumps(rows[-1]) if args.json else
                  f"{part:5} {width:4}  KSR {got['ksr']:.4f}  "
                  f"p50 {got['p50_ms']:.2f} ms  p99 {got['p99_ms']:.2f} ms", flush=True)
    if args.json:
        print(json.dumps({"chars": args.chars, "rows": rows}))


if __name__ == "__main__":
    main()
