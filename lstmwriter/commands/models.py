"""`lstmwriter models list|show|rename|delete|import|export`: the model store."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from . import models_io
from .common import UsageError, bad_input, print_json

if TYPE_CHECKING:
    from ..core.store import ModelStore

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list, show, rename, delete, import or export "
                       "models",
                       description=__doc__)
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = actions.add_parser("list", help="all models (the bundled default first)")
    a.add_argument("--json", action="store_true")
    a = actions.add_parser("show", help="a model's settings and metrics")
    a.add_argument("model")
    a = actions.add_parser("rename", help="rename a user model")
    a.add_argument("model")
    a.add_argument("new_name")
    a = actions.add_parser("delete", help="delete a user model")
    a.add_argument("model")
    for extra in EXTRA_ACTIONS:
        extra.add_parser(actions)
    p.set_defaults(run=run)


# Other modules (import/export) register (add_parser, run) pairs here.
EXTRA_ACTIONS: list = []
EXTRA_ACTIONS.append(models_io)  # import / export (ml5.js, ONNX)


def run(args: argparse.Namespace) -> int:
    from ..core.store import ModelStore

    store = ModelStore()
    with bad_input():
        if args.action == "list":
            return _list(store, args.json)
        if args.action == "show":
            name, path, read_only = store.resolve(args.model)
            meta = store.load(args.model).meta
            print(json.dumps({"name": name, "path": str(path), "read_only": read_only,
                              **{k: v for k, v in meta.items() if k != "tokenizer"}},
                             indent=2, ensure_ascii=False))
            return 0
        if args.action in ("rename", "delete") and args.model == "default":
            raise UsageError("the bundled default model is read-only")
        if args.action == "rename":
            print(store.rename(args.model, args.new_name))
            return 0
        if args.action == "delete":
            store.delete(args.model)
            print(f"deleted {args.model}")
            return 0
    return args.extra_run(args)


def _list(store: ModelStore, as_json: bool) -> int:
    for info in store.list():
        metrics = info.meta.get("metrics", {})
        row = {"name": info.name, "path": str(info.path), "read_only": info.read_only,
               "level": info.meta.get("level"),
               "rnn_size": info.meta.get("model", {}).get("rnn_size"),
               "num_layers": info.meta.get("model", {}).get("num_layers"),
               "val_loss": metrics.get("val_loss"), "updated": info.meta.get("updated")}
        if as_json:
            print_json(row)
        else:
            loss = f"{row['val_loss']:.4f}" if row["val_loss"] is not None else "-"
            flag = " (read-only)" if info.read_only else ""
            print(f"{info.name}{flag}\t{row['level']}\t{row['rnn_size']}x"
                  f"{row['num_layers']}\tval loss {loss}\t{info.path}")
    for path, reason in store.damaged():
        if as_json:
            print_json({"name": path.name, "path": str(path), "read_only": False,
                        "damaged": reason})
        else:
            print(f"{path.name} (damaged)\t{reason}")
    return 0
