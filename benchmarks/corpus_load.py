"""Corpus loading at scale: a generated ~100 MB corpus of many files.

    python benchmarks/corpus_load.py [--mb 100] [--files 1000] [--json]

Reports first-load throughput (MB/s; target >= 30), cached reload time (target <= 2 s)
and the peak RSS of a process that loads the corpus and trains a 256x2 char model on
it for a few steps (target <= 1.5 GB).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, SHARED, isolate_user_dirs

PEAK = r"""
import resource, sys, json
sys.path.insert(0, {repo!r})
from pathlib import Path
from lstmwriter.core.jobs import TrainRequest, plan_training
from lstmwriter.core.store import ModelStore
from lstmwriter.core.training import Trainer
from lstmwriter.core.device import tune_malloc
tune_malloc()
job = plan_training(TrainRequest(Path({corpus!r}), name="big", preset="char-medium",
    model_overrides=dict(rnn_size=256, num_layers=2),
    train_overrides=dict(max_time=15, eval_every=10**9, device="cpu",
                         checkpoint_every=10**8)), ModelStore())
trainer = Trainer(job)
trainer.run()
print(json.dumps({{
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "steps": trainer.state.step}}))
"""


def generate(folder: Path, megabytes: float, files: int) -> int:
    """Write `files` files cut from the shared prose, ~megabytes in total."""
    books = [p.read_text(encoding="utf-8")
             for p in sorted((SHARED / "data" / "prose").glob("*.txt"))]
    rng = random.Random(0)
    per_file = int(megabytes * 1e6 / files)
    total = 0
    for i in range(files):
        book = rng.choice(books)
        start = rng.randrange(0, max(1, len(book) - per_file))
        text = book[start:start + per_file]
        sub = folder / f"part{i // 100:02d}"
        sub.mkdir(exist_ok=True)
        (sub / f"doc{i:05d}.txt").write_text(text, encoding="utf-8")
        total += len(text.encode("utf-8"))
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=100)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    isolate_user_dirs()
    from lstmwriter.core.corpus import prepare_corpus

    folder = Path(tempfile.mkdtemp(prefix="bigcorpus-"))
    try:
        size = generate(folder, a.mb, a.files)
        started = time.perf_counter()
        first = prepare_corpus(folder)
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        again = prepare_corpus(folder)
        reload_s = time.perf_counter() - started
        assert len(again.ids) == len(first.ids)
        out = subprocess.run([sys.executable, "-c", PEAK.format(repo=str(REPO),
                              corpus=str(folder))], capture_output=True, text=True,
                             check=True).stdout
        peak = json.loads(out.splitlines()[-1])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    row = {"corpus_mb": round(size / 1e6, 1), "files": a.files,
           "first_load_s": round(first_s, 2),
           "first_load_mb_per_s": round(size / 1e6 / first_s, 1),
           "cached_reload_s": round(reload_s, 3),
           "train_peak_rss_mb": round(peak["peak_rss_mb"]),
           "train_steps": peak["steps"]}
    print(json.dumps(row) if a.json else
          "\n".join(f"{k:22} {v}" for k, v in row.items()))


if __name__ == "__main__":
    main()
