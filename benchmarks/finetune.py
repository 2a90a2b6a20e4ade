"""Fine-tuning the default model vs training from scratch on a small corpus (CPU).

    python benchmarks/finetune.py [--corpus ../shared/data/zora_neale_hurston]
        [--minutes 5] [--base default] [--json] [--plot benchmarks/finetune.png]

Both runs go through `plan_training` exactly as `lstmwriter train` does (`auto` preset
from scratch; `--init BASE` for fine-tuning), validate on the last 10% of the corpus,
and report validation loss (nats/char) after each minute of training time (validating at
the app's own cadence too, since that drives the plateau learning-rate schedule).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from common import SHARED, isolate_user_dirs

from lstmwriter.core.device import tune_malloc
from lstmwriter.core.jobs import TrainRequest, plan_training
from lstmwriter.core.store import ModelStore
from lstmwriter.core.training import Trainer


def run(corpus: Path, init: str | None, minutes: float, threads: int,
        model_overrides: dict | None = None, preset: str = "auto", **extra) -> list:
    # Validation runs at the app's own cadence (it drives the plateau schedule), plus
    # once at every whole minute of training time for the marks reported here.
    overrides = dict(**extra, max_time=minutes * 60, eval_every_seconds=60,
                     epochs=1000, threads=threads, device="cpu", valid_fraction=0.1,
                     checkpoint_every=10**8, sample_length=0)
    request = TrainRequest(corpus=corpus,
                           name="scratch" if init is None else "finetuned",
                           init=init, train_overrides=overrides, preset=preset,
                           model_overrides=model_overrides or {})
    job = plan_training(request, ModelStore())
    trainer = Trainer(job)
    trainer.run()
    history = trainer.state.history
    marks = []
    for k in range(1, int(minutes) + 1):
        at = min(history, key=lambda h: abs(h["train_time"] - 60 * k))
        marks.append((round(at["train_time"] / 60, 2), at["val_loss"]))
    curve = [(h["train_time"] / 60, h["val_loss"]) for h in history]
    return marks, curve, job


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path,
                    default=SHARED / "data" / "zora_neale_hurston")
    ap.add_argument("--minutes", type=float, default=5)
    ap.add_argument("--base", default="default",
                    help="model to fine-tune (name or path)")
    ap.add_argument("--preset", default="auto",
                    help="preset of both runs (fine-tuning keeps the base's shape)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--plot", type=Path)
    ap.add_argument("--only", choices=["scratch", "fine-tuned"])
    ap.add_argument("--finetune-lr", type=float, help="default: half the preset's")
    ap.add_argument("--finetune-schedule", choices=["plateau", "time"])
    ap.add_argument("--finetune-dropout", type=float, help="default: the base model's")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a training setting for both runs, e.g. plateau_patience=3")
    a = ap.parse_args()
    base = str(Path(a.base).resolve()) if Path(a.base).exists() else a.base
    isolate_user_dirs()
    tune_malloc()
    curves = {}
    for label, init in (("scratch", None), ("fine-tuned", base)):
        if a.only and label != a.only:
            continue
        extra = {key: json.loads(value) for key, value in
                 (item.split("=", 1) for item in a.set)}
        if init and a.finetune_lr:
            extra["learning_rate"] = a.finetune_lr
        if init and a.finetune_schedule:
            extra["schedule"] = a.finetune_schedule
        model = {"dropout": a.finetune_dropout} if init and a.finetune_dropout else {}
        marks, curves[label], job = run(a.corpus, init, a.minutes, a.threads, model,
                                        a.preset, **extra)
        row = {"run": label,
               "model": f"{job.model_config.rnn_size}x{job.model_config.num_layers}",
               "learning_rate": job.train_config.learning_rate,
               "dropout": job.model_config.dropout,
               "schedule": job.train_config.schedule, "val_loss_by_minute": marks}
        print(json.dumps(row) if a.json else
              f"{label:10} {row['model']:6} "
              + "  ".join(f"{m:.1f} min {v:.3f}" for m, v in marks),
              flush=True)
    if a.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4))
        for label, marks in curves.items():
            ax.plot([m for m, _ in marks], [v for _, v in marks], label=label)
        ax.set_xlabel("training time (minutes, 2-core CPU)")
        ax.set_ylabel("validation loss (nats/char)")
        ax.set_title(f"{a.corpus.name}: last 10% held out")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(a.plot, dpi=100)


if __name__ == "__main__":
    main()
