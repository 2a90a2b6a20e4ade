"""Carry a word model off the GPU machine and into the bundled model (issue #13).

The device returns files of at most 16 MiB, so `--split` writes a trained model
folder as its config and float16 weights in two files (the embedding, which the
tied output layer shares, and the rest); `--join` makes a model folder of them
again, stored in float16 (`save_model_dir(..., half=True)`):

    python3 benchmarks/word_model.py --split MODEL_DIR --out PARTS_DIR
    python3 benchmarks/word_model.py --join PARTS_DIR --out models/default/words
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from lstmwriter.core.checkpoint import load_tensors
from lstmwriter.core.store import (
    CONFIG_FILE,
    build_model,
    load_model_dir,
    load_state,
    save_model_dir,
)

PARTS = ("embedding.pt", "rest.pt")


def split(model_dir: Path, out: Path) -> None:
    loaded = load_model_dir(model_dir)
    state = {k: v.detach().half().clone() for k, v in loaded.model.state_dict().items()
             if k != "head.weight"}
    out.mkdir(parents=True, exist_ok=True)
    torch.save({"embedding.weight": state.pop("embedding.weight")}, out / PARTS[0])
    torch.save(state, out / PARTS[1])
    meta = {k: v for k, v in loaded.meta.items() if k != "weights_sha256"}
    (out / CONFIG_FILE).write_text(json.dumps(meta))


def join(parts: Path, out: Path) -> None:
    meta = json.loads((parts / CONFIG_FILE).read_text())
    model, tokenizer = build_model(meta, parts)
    state = {}
    for name in PARTS:
        state.update(load_tensors(parts / name))
    state["head.weight"] = state["embedding.weight"]
    load_state(model, {k: v.float() for k, v in state.items()}, parts)
    keep = {k: v for k, v in meta.items()
            if k not in ("format", "format_version", "tokenizer", "model", "parameters",
                         "weights_sha256", "updated")}
    save_model_dir(out, model.eval(), tokenizer, keep, half=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--split", type=Path, help="a trained model folder")
    mode.add_argument("--join", type=Path, help="a folder written by --split")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.split:
        split(args.split, args.out)
    else:
        join(args.join, args.out)


if __name__ == "__main__":
    main()
