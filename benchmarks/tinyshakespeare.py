"""Time to quality on Tiny Shakespeare (CPU): validation loss (nats/char, last 10% of
the file) after 1..N minutes of training time, for one or more presets.

    python benchmarks/tinyshakespeare.py [--minutes 5] [--repeats 1] [--preset tuned]
        [--schedule auto] [--json] [--plot benchmarks/tinyshakespeare.png]

`app` is what Train plans for the corpus, limit and threads (the default path:
`auto`, sized to the passes the limit allows); `tuned` is the CPU recipe of
RESULTS.md (char-medium without dropout, a cosine from 3e-3); any preset name works,
with the app's schedule for a run limited to --minutes (`auto`: a cosine over them)
unless --schedule says otherwise (`plateau`: the schedule of a run without a limit,
stopped at --minutes). Validation runs
at the app's cadence plus once a minute; training time excludes it, as in the
reference trainer.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from common import SHARED, isolate_user_dirs

from lstmwriter.core.config import PRESETS, SCHEDULES, ModelConfig, TrainConfig
from lstmwriter.core.corpus import find_files, prepare_corpus, split_ids
from lstmwriter.core.device import tune_malloc
from lstmwriter.core.jobs import TrainRequest, preview_training
from lstmwriter.core.training import Trainer, TrainingJob

CORPUS = SHARED / "data" / "tinyshakespeare" / "input.txt"
RECIPES = {
    "tuned": (dict(rnn_size=256, num_layers=2, embedding_size=64, dropout=0.0),
              dict(seq_length=64, batch_size=32, learning_rate=3e-3, schedule="time")),
}


def settings(name: str, minutes: float = 5, threads: int = 2,
             corpus_path: Path = CORPUS) -> tuple[dict, dict]:
    """(model, train) settings of a recipe, a preset or `app`: what Train plans
    (`plan_training`'s preview) for this corpus, time limit and thread count."""
    if name == "app":
        request = TrainRequest(corpus=corpus_path, train_overrides={
            "max_time": minutes * 60, "threads": threads})
        plan = preview_training(request, _size(corpus_path), "cpu")
        return plan.model, plan.train.to_dict()
    if name in RECIPES:
        return RECIPES[name]
    preset = PRESETS[name]
    return preset.model, preset.train


def _size(path: Path) -> int:
    """The corpus's bytes as the training panel's scan counts them."""
    return sum(f.stat().st_size for f in find_files(path)[0])


def run_once(name: str, minutes: float, threads: int, schedule: str | None = None,
             corpus_path: Path = CORPUS) -> list[tuple[float, float]]:
    """[(training seconds, validation loss)] at each validation."""
    model, train = settings(name, minutes, threads, corpus_path)
    if schedule:
        train = {**train, "schedule": schedule}
    corpus = prepare_corpus(corpus_path)
    train_ids, valid_ids = split_ids(corpus.ids, 0.1)
    # Validation at the app's own cadence (it drives the plateau schedule), plus once at
    # every whole minute of training time for the marks reported here.
    config = TrainConfig(**{**train, "max_time": minutes * 60,
                            "eval_every_seconds": 60, "epochs": 1000,
                            "sample_length": 0, "threads": threads, "device": "cpu",
                            "checkpoint_every": 10**8, "max_eval_tokens": 10**7})
    job = TrainingJob(name="ts", model_dir=Path(tempfile.mkdtemp()) / "ts",
                      train_ids=train_ids, valid_ids=valid_ids,
                      tokenizer=corpus.tokenizer,
                      model_config=ModelConfig(vocab_size=corpus.tokenizer.vocab_size,
                                               **model),
                      train_config=config, corpus=corpus.report.to_dict())
    trainer = Trainer(job)
    trainer.run()
    return [(h["train_time"], h["val_loss"]) for h in trainer.state.history]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=5)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--preset", nargs="+", default=["tuned"])
    ap.add_argument("--schedule", choices=SCHEDULES,
                    help="default: the recipe's or preset's own, else auto")
    ap.add_argument("--corpus", type=Path, default=CORPUS,
                    help="another text or folder (its last 10%% is held out)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--plot", type=Path)
    a = ap.parse_args()
    isolate_user_dirs()
    tune_malloc()
    curves = {}
    for name in a.preset:
        runs = [run_once(name, a.minutes, a.threads, a.schedule, a.corpus)
                for _ in range(a.repeats)]
        minutes = range(1, int(a.minutes) + 1)
        losses = [statistics.median(min(r, key=lambda m: abs(m[0] - 60 * k))[1]
                                    for r in runs) for k in minutes]
        curves[name] = runs
        row = {"preset": name, "corpus": a.corpus.name, "minutes": list(minutes),
               "val_loss": losses, "repeats": a.repeats, "threads": a.threads}
        print(json.dumps(row) if a.json else
              f"{name:12} "
              + "  ".join(f"{k} min {v:.3f}" for k, v in zip(minutes, losses)),
              flush=True)
    if a.plot:
        plot(curves, a.plot)


def plot(curves: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, runs in curves.items():
        for i, run in enumerate(runs):
            ax.plot([t / 60 for t, _ in run], [v for _, v in run], linewidth=1.5,
                    label=name if i == 0 else None)
    ax.set_xlabel("training time (minutes, 2-core CPU)")
    ax.set_ylabel("validation loss (nats/char)")
    ax.set_ylim(top=2.6)  # the first minute of the small presets starts far above
    ax.set_title("Tiny Shakespeare, last 10% held out")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    main()
