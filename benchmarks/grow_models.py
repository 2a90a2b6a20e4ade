"""Wider bundled models for a GPU to train on (issue 13 needs a sharper model).

    python benchmarks/grow_models.py [--char 384] [--words 512] --out DIR

Writes DIR/char-384 and DIR/words-512: the bundled character LSTM and word LSTM
widened as `wider_models.padded` widens them, then with the new units' incoming
weights drawn as `nn.LSTM` draws its own (uniform in ±1/sqrt(width)). Their
outgoing weights stay zero, so nothing reads the new units yet: each model still
predicts exactly what the bundled one does (checked before it is written). But
the new units now have outputs, so the weights that read them get gradients;
all-zero units would get none and never learn. Training starts from there:

    lstmwriter train CORPUS --init DIR/char-384 --device cuda ...

(`benchmarks/gpu_grow.sh` does it on the GPU machine; `models/README.md`.)
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import torch
from wider_models import BUNDLED, padded, save_copy

from lstmwriter.core.model import LSTMLanguageModel
from lstmwriter.core.store import WORD_MODEL_DIR, load_model_dir


def grown(model: LSTMLanguageModel, hidden: int, seed: int = 0) -> LSTMLanguageModel:
    """`model` widened to `hidden` units a layer; the new units read their inputs
    through random weights, and no old unit or output reads them."""
    old = model.config.rnn_size
    bigger = padded(model, hidden)
    generator = torch.Generator().manual_seed(seed)
    bound = 1.0 / math.sqrt(hidden)
    with torch.no_grad():
        for weight in bigger.lstm.parameters():
            for gate in range(4):  # rows of gates i, f, g, o for the new units
                rows = weight[gate * hidden + old:(gate + 1) * hidden]
                rows.copy_(torch.rand(rows.shape, generator=generator)
                           * 2 * bound - bound)
    return bigger


def same_predictions(a: LSTMLanguageModel, b: LSTMLanguageModel, vocab: int) -> bool:
    """Whether `a` and `b` give the same logits on a random sequence."""
    tokens = torch.randint(vocab, (2, 200), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        return torch.allclose(a.eval()(tokens)[0], b.eval()(tokens)[0], atol=1e-4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--char", type=int, default=384,
                        help="units a layer of the character LSTM (bundled: 256)")
    parser.add_argument("--words", type=int, default=512,
                        help="units a layer of the word LSTM (bundled: 400)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    for part, folder, width in (("char", BUNDLED, args.char),
                                ("words", BUNDLED / WORD_MODEL_DIR, args.words)):
        loaded = load_model_dir(folder, part, True, "cpu")
        if width < loaded.model.config.rnn_size:
            parser.error(f"--{part} {width} is narrower than the bundled "
                         f"{loaded.model.config.rnn_size}")
        wide = grown(loaded.model, width)
        if not same_predictions(loaded.model, wide, loaded.tokenizer.vocab_size):
            raise SystemExit(f"the widened {part} model predicts differently")
        save_copy(loaded, wide, args.out / f"{part}-{width}")
        print(f"{args.out / f'{part}-{width}'}: {wide.num_parameters():,} parameters")


if __name__ == "__main__":
    main()
