"""`lstmwriter train CORPUS ...`: train (or resume) a model on a folder of texts."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from ..core.config import preset_names
from ..core.device import cpu_count, tune_malloc
from ..core.distributed import DistributedContext, setup_from_env
from ..core.events import Event
from ..core.jobs import TrainRequest, plan_training
from ..core.store import ModelStore
from ..core.training import Trainer, TrainingControl
from .common import (
    bad_input,
    non_negative_float,
    positive_float,
    positive_int,
    print_json,
)
from .progress import ProgressLine

__all__ = ["add_parser", "run", "request_from_args"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a model on a folder of texts",
                       description=__doc__)
    p.add_argument("corpus", type=Path, help="folder (read recursively) or text file")
    p.add_argument("--name", help="model name in the store (default: the folder name)")
    p.add_argument("--level", choices=["char", "word"], help="tokens: characters or words")
    p.add_argument("--preset", default="auto", choices=preset_names())
    p.add_argument("--init", metavar="MODEL",
                   help="fine-tune this model (store name, e.g. default, or a path)")
    g = p.add_argument_group("model (override the preset)")
    g.add_argument("--rnn-size", type=positive_int)
    g.add_argument("--num-layers", type=positive_int)
    g.add_argument("--embedding-size", type=positive_int)
    g.add_argument("--dropout", type=non_negative_float)
    g.add_argument("--tie-weights", action="store_true", default=None,
                   help="share embedding and softmax weights (needs embedding = rnn size)")
    g = p.add_argument_group("training (override the preset)")
    g.add_argument("--seq-length", type=positive_int)
    g.add_argument("--batch-size", type=positive_int)
    g.add_argument("--lr", type=positive_float, dest="learning_rate")
    g.add_argument("--optimizer", choices=["adam", "sgd"])
    g.add_argument("--schedule", choices=["plateau", "epoch", "time"])
    g.add_argument("--plateau-patience", type=positive_int, metavar="EVALS",
                   help="plateau: halve the learning rate after this many validations "
                        "in a row without a new best (default 3)")
    g.add_argument("--grad-clip", type=non_negative_float)
    g.add_argument("--epochs", type=positive_int)
    g.add_argument("--max-time", type=non_negative_float, metavar="SECONDS",
                   help="stop after this much training time")
    g.add_argument("--eval-every", type=positive_int, metavar="STEPS")
    g.add_argument("--checkpoint-every", type=positive_float, metavar="SECONDS")
    g.add_argument("--seed", type=int)
    g.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"])
    g.add_argument("--autocast", choices=["none", "bf16", "fp16"], help="CUDA only")
    g.add_argument("--threads", type=positive_int, help="CPU threads (default: all)")
    g = p.add_argument_group("corpus")
    g.add_argument("--valid", type=Path, metavar="FILE",
                   help="validate on this file instead of the corpus's last 5%%")
    g.add_argument("--ext", action="append", metavar="EXT",
                   help="file extension to read (repeatable; default .txt and .md)")
    g.add_argument("--lower", action="store_true", help="lower-case the text")
    g.add_argument("--ascii", action="store_true", help="transliterate to ASCII")
    g.add_argument("--charset", choices=["corpus", "western"], default="corpus",
                   help="char level: the corpus's characters, or all printable "
                   "Western European ones (good for later fine-tuning)")
    g.add_argument("--vocab-size", type=positive_int, default=10_000,
                   help="word level: keep the N most frequent (default 10000)")
    g.add_argument("--pretokenized", action="store_true", default=None,
                   help="word level: text is already tokenised (split on spaces only)")
    p.add_argument("--resume", action="store_true",
                   help="continue the run of --name from its last checkpoint")
    p.add_argument("--json", action="store_true", help="one JSON object per event")
    p.add_argument("--dist-timeout", type=positive_float, default=300.0, metavar="SECONDS",
                   help="under torchrun: how long a rank waits for the others before "
                   "the run stops with an error (default 300)")
    p.set_defaults(run=run)


_MODEL_KEYS = ("rnn_size", "num_layers", "embedding_size", "dropout", "tie_weights")
_TRAIN_KEYS = ("seq_length", "batch_size", "learning_rate", "optimizer", "schedule",
               "plateau_patience", "grad_clip", "epochs", "max_time", "eval_every",
               "checkpoint_every", "seed", "device", "autocast", "threads")


def request_from_args(args: argparse.Namespace) -> TrainRequest:
    return TrainRequest(
        corpus=args.corpus, name=args.name, level=args.level, preset=args.preset,
        model_overrides={k: getattr(args, k) for k in _MODEL_KEYS},
        train_overrides={k: getattr(args, k) for k in _TRAIN_KEYS},
        valid=args.valid, extensions=tuple(args.ext) if args.ext else (".txt", ".md"),
        lower=args.lower, ascii_only=args.ascii, vocab_size=args.vocab_size,
        pretokenized=args.pretokenized, init=args.init, resume=args.resume,
        charset=args.charset)


def run(args: argparse.Namespace) -> int:
    tune_malloc()
    ctx = setup_from_env(args.dist_timeout)
    try:
        return _train(args, ctx)
    finally:
        if ctx.world > 1:
            import torch.distributed as dist

            dist.destroy_process_group()


def _distributed_overrides(request: TrainRequest, ctx: DistributedContext) -> TrainRequest:
    """Under torchrun: one GPU per process, or a fair share of the CPU cores."""
    import dataclasses

    import torch

    train = dict(request.train_overrides)
    if torch.cuda.is_available() and train.get("device") in (None, "auto", "cuda"):
        train["device"] = f"cuda:{ctx.local_rank}"
    if not train.get("threads"):
        train["threads"] = max(1, cpu_count() // ctx.local_world)
    return dataclasses.replace(request, train_overrides=train)


def _train(args: argparse.Namespace, ctx: DistributedContext) -> int:
    store = ModelStore()
    request = request_from_args(args)
    if ctx.world > 1:
        request = _distributed_overrides(request, ctx)
    with bad_input():
        job = plan_training(request, store)
    job.rank, job.world = ctx.rank, ctx.world
    if ctx.world > 1:
        import torch.distributed as dist

        dist.barrier()  # every rank has read the corpus before rank 0 creates the folder
    with bad_input():
        trainer = Trainer(job)
    control = TrainingControl()
    previous = signal.signal(signal.SIGINT, lambda *_: control.cancel())
    report = job.corpus
    if not args.json and ctx.is_main:
        print(f"corpus: {report.get('files_used')} files, {report.get('characters', 0):,}"
              f" characters, {len(job.train_ids):,} training and {len(job.valid_ids):,}"
              f" validation tokens; {job.tokenizer.vocab_size} in vocabulary",
              file=sys.stderr)
        for skipped in report.get("skipped", []):
            print(f"skipped {skipped['path']}: {skipped['reason']}", file=sys.stderr)
        cfg = job.model_config
        print(f"model {job.name}: {cfg.rnn_size} x {cfg.num_layers} "
              f"({job.corpus.get('preset')}), {trainer.model.num_parameters():,} "
              f"parameters, on {trainer.device}", file=sys.stderr)
    handler = _json_handler if args.json else ProgressLine(trainer.total_steps).handle
    try:
        outcome = trainer.run(handler, control)
    except Exception:
        return 1
    finally:
        signal.signal(signal.SIGINT, previous)
    return 130 if outcome == "cancelled" else 0


def _json_handler(event: Event) -> None:
    print_json(event.to_dict())

