"""`lstmwriter models import DIR [--name N]` and `lstmwriter models export NAME
--format ml5|onnx OUT`: bring ml5.js charRNN models in, send models out."""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import bad_input

__all__ = ["add_parser", "run_import", "run_export"]


def add_parser(actions: argparse._SubParsersAction) -> None:
    """Add the `import` and `export` actions to `lstmwriter models`."""
    a = actions.add_parser(
        "import", help="import an ml5.js charRNN model folder (manifest.json, "
        "vocab.json, weight files)"
    )
    a.add_argument("folder", type=Path, help="the ml5 model folder")
    a.add_argument("--name", help="name in the store (default: the folder's name)")
    a.set_defaults(extra_run=run_import)
    a = actions.add_parser(
        "export", help="export a model for ml5.js (a folder) or ONNX runtimes (a file)"
    )
    a.add_argument("model", help="a model name or a model folder")
    a.add_argument("--format", choices=("ml5", "onnx"), required=True)
    a.add_argument("out", type=Path,
                   help="ml5: a new or empty folder; onnx: a .onnx file (or a folder)")
    a.set_defaults(extra_run=run_export)


def run_import(args: argparse.Namespace) -> int:
    from ..core.checkpoint import read_json
    from ..core.ml5 import import_ml5
    from ..core.store import ModelStore

    store = ModelStore()
    with bad_input():
        path = import_ml5(args.folder, store, args.name)
    meta = read_json(path / "config.json")
    for note in meta.get("ml5", {}).get("repairs", []):
        print(f"note: vocab.json: {note}")
    if meta.get("tokenizer", {}).get("crlf"):
        print("note: the model was trained on \\r\\n line ends; typed newlines are fed "
              "to it as \\r\\n")
    print(f"imported {path.name}: {path}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from ..core.model_io import export_model
    from ..core.store import ModelStore

    store = ModelStore()
    with bad_input():
        loaded = store.load(args.model)
        out = args.out.expanduser()
        if args.format == "onnx" and out.is_dir():
            out = out / f"{loaded.name}.onnx"
        export_model(loaded, args.format, out)
    print(f"exported {loaded.name} ({args.format}): {out}")
    return 0
