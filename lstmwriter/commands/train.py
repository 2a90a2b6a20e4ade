"""`lstmwriter train CORPUS ...`: train (or resume) a model on a folder of texts."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.config import SCHEDULES, preset_names
from ..core.unwrap import UNWRAP_MODES
from .common import UsageError, bad_input, limited, print_json

if TYPE_CHECKING:  # the core's training modules load torch: imported when run
    from ..core.distributed import DistributedContext
    from ..core.events import Event
    from ..core.jobs import TrainRequest

__all__ = ["add_parser", "run", "request_from_args"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a model on a folder of texts",
                       description=__doc__)
    p.add_argument("corpus", type=Path, help="folder (read recursively) or text file")
    p.add_argument("--name", help="model name in the store (default: the folder name)")
    p.add_argument("--level", choices=["char", "word"],
                   help="tokens: characters or words")
    p.add_argument("--preset", default="auto", choices=preset_names())
    p.add_argument("--init", metavar="MODEL",
                   help="fine-tune this model (store name, e.g. default, or a path)")
    g = p.add_argument_group("model (override the preset)")
    g.add_argument("--rnn-size", type=limited("rnn_size"))
    g.add_argument("--num-layers", type=limited("num_layers"))
    g.add_argument("--embedding-size", type=limited("embedding_size"))
    g.add_argument("--dropout", type=limited("dropout"))
    g.add_argument("--tie-weights", action="store_true", default=None,
                   help="share embedding and softmax weights "
                   "(needs embedding = rnn size)")
    g = p.add_argument_group("training (override the preset)")
    g.add_argument("--seq-length", type=limited("seq_length"))
    g.add_argument("--batch-size", type=limited("batch_size"))
    g.add_argument("--lr", type=limited("learning_rate"), dest="learning_rate")
    g.add_argument("--optimizer", choices=["adam", "sgd"])
    g.add_argument("--schedule", choices=SCHEDULES,
                   help="learning rate: auto (the default unless the preset sets one) "
                        "is time with --max-time, else plateau; time = cosine over "
                        "--max-time; plateau = halve when validation stalls; epoch = "
                        "decay per epoch")
    g.add_argument("--plateau-patience", type=limited("plateau_patience"),
                   metavar="EVALS",
                   help="plateau: halve the learning rate after this many validations "
                        "without a new best (default 3) ...")
    g.add_argument("--plateau-patience-tokens", metavar="TOKENS",
                   type=limited("plateau_patience_tokens"),
                   help="... and this many training tokens (default 10000000; 0: "
                        "validations only)")
    g.add_argument("--grad-clip", type=limited("grad_clip"))
    g.add_argument("--epochs", type=limited("epochs"))
    g.add_argument("--max-time", type=limited("max_time"), metavar="SECONDS",
                   help="stop when the run has trained this long (0: no limit); with "
                        "--resume it counts the whole run's training time, so a limit "
                        "already used up ends the run at once")
    g.add_argument("--eval-every", type=limited("eval_every"), metavar="STEPS")
    g.add_argument("--checkpoint-every", type=limited("checkpoint_every"),
                   metavar="SECONDS")
    g.add_argument("--seed", type=limited("seed"))
    g.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"])
    g.add_argument("--autocast", choices=["none", "bf16", "fp16"], help="CUDA only")
    g.add_argument("--threads", type=limited("threads"),
                   help="CPU threads (default: all)")
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
    g.add_argument("--vocab-size", type=limited("vocab_size"), default=10_000,
                   help="word level: keep the N most frequent (default 10000)")
    g.add_argument("--pretokenized", action="store_true", default=None,
                   help="word level: text is already tokenised (split on spaces only)")
    g.add_argument("--unwrap", choices=UNWRAP_MODES, default="auto",
                   help="join hard-wrapped lines inside paragraphs: in the files "
                   "that look hard-wrapped (auto, the default), in all, or in none; "
                   "a resumed run keeps its first setting")
    p.add_argument("--resume", action="store_true",
                   help="continue the run of --name from its last checkpoint")
    p.add_argument("--json", action="store_true", help="one JSON object per event")
    p.add_argument("--dist-timeout", type=limited("dist_timeout"), default=300.0,
                   metavar="SECONDS",
                   help="under torchrun: how long a rank waits for the others before "
                   "the run stops with an error (default 300)")
    p.set_defaults(run=run)


_MODEL_KEYS = ("rnn_size", "num_layers", "embedding_size", "dropout", "tie_weights")
_TRAIN_KEYS = ("seq_length", "batch_size", "learning_rate", "optimizer", "schedule",
               "plateau_patience", "plateau_patience_tokens", "grad_clip", "epochs",
               "max_time", "eval_every", "checkpoint_every", "seed", "device",
               "autocast", "threads")


def request_from_args(args: argparse.Namespace) -> TrainRequest:
    """The TrainRequest the command line describes."""
    from ..core.jobs import TrainRequest

    return TrainRequest(
        corpus=args.corpus, name=args.name, level=args.level, preset=args.preset,
        model_overrides={k: getattr(args, k) for k in _MODEL_KEYS},
        train_overrides={k: getattr(args, k) for k in _TRAIN_KEYS},
        valid=args.valid, extensions=tuple(args.ext) if args.ext else (".txt", ".md"),
        lower=args.lower, ascii_only=args.ascii, vocab_size=args.vocab_size,
        pretokenized=args.pretokenized, init=args.init, resume=args.resume,
        charset=args.charset, unwrap=args.unwrap)


def run(args: argparse.Namespace) -> int:
    """Train as the arguments say; with --json a usage error is an `error` event too."""
    from ..core.device import tune_malloc
    from ..core.distributed import setup_from_env

    tune_malloc()
    ctx = setup_from_env(args.dist_timeout)
    try:
        return _train(args, ctx)
    except UsageError as exc:
        if args.json and ctx.is_main:
            print_json({"event": "error", "step": 0, "message": str(exc)})
        raise
    finally:
        if ctx.world > 1:
            import torch.distributed as dist

            dist.destroy_process_group()


def _distributed_overrides(request: TrainRequest,
                           ctx: DistributedContext) -> TrainRequest:
    """Under torchrun: one GPU per process, or a fair share of the CPU cores."""
    import dataclasses

    import torch

    from ..core.device import cpu_count

    train = dict(request.train_overrides)
    if torch.cuda.is_available() and train.get("device") in (None, "auto", "cuda"):
        train["device"] = f"cuda:{ctx.local_rank}"
    if not train.get("threads"):
        train["threads"] = max(1, cpu_count() // ctx.local_world)
    return dataclasses.replace(request, train_overrides=train)


def _train(args: argparse.Namespace, ctx: DistributedContext) -> int:
    from ..core.capacity import check_fits
    from ..core.jobs import describe_schedule, plan_training
    from ..core.store import ModelStore
    from ..core.training import Trainer, TrainingControl
    from .progress import ProgressLine

    store = ModelStore()
    request = request_from_args(args)
    if ctx.world > 1:
        request = _distributed_overrides(request, ctx)
    with bad_input():
        job = plan_training(request, store)
    job.rank, job.world = ctx.rank, ctx.world
    with bad_input():
        check_fits(job.model_config, job.train_config, ctx.world)
    if ctx.world > 1:
        import torch.distributed as dist

        # every rank has read the corpus before rank 0 creates the folder
        dist.barrier()
    with bad_input():
        trainer = Trainer(job)
    control = TrainingControl()
    previous = signal.signal(signal.SIGINT, lambda *_: control.cancel())
    report = job.corpus
    if not args.json and ctx.is_main:
        print(f"corpus: {report.get('files_used')} files, "
              f"{report.get('characters', 0):,}"
              f" characters, {len(job.train_ids):,} training and {len(job.valid_ids):,}"
              f" validation tokens; {job.tokenizer.vocab_size} in vocabulary",
              file=sys.stderr)
        for skipped in report.get("skipped", []):
            print(f"skipped {skipped['path']}: {skipped['reason']}", file=sys.stderr)
        cfg = job.model_config
        print(f"model {job.name}: {cfg.rnn_size} x {cfg.num_layers} "
              f"({job.corpus.get('preset')}), {trainer.model.num_parameters():,} "
              f"parameters, on {trainer.device}", file=sys.stderr)
        print(describe_schedule(trainer.config), file=sys.stderr)
        if job.budget is not None and job.budget.sized:
            print(job.budget.describe(), file=sys.stderr)
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

