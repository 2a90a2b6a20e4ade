"""Training throughput (characters/s) of lstmwriter's trainer against the plain-PyTorch
reference (../shared/bench/ref_char_lstm.py), same config and threads, side by side.

    python benchmarks/train_throughput.py [--seconds 20] [--repeats 3] \
        [--sizes 128 256 512] [--device cpu|cuda] [--batch 32]

Each repeat runs the reference and lstmwriter one after the other (alternating
order), so machine noise hits both; the table shows medians and the ratio
ours / reference.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from common import REPO, SHARED, isolate_user_dirs, median, run_reference

CORPUS = SHARED / "data" / "tinyshakespeare" / "input.txt"

OURS = r"""
import json, statistics, sys
sys.path.insert(0, {repo!r})
from lstmwriter.core.config import ModelConfig, TrainConfig
from lstmwriter.core.corpus import prepare_corpus, split_ids
from lstmwriter.core.device import tune_malloc
from lstmwriter.core.training import Trainer, TrainingJob
from pathlib import Path
import tempfile
tune_malloc()
corpus = prepare_corpus(Path({corpus!r}))
train, valid = split_ids(corpus.ids, 0.1)
job = TrainingJob(name="bench", model_dir=Path(tempfile.mkdtemp()) / "bench",
    train_ids=train, valid_ids=valid, tokenizer=corpus.tokenizer,
    model_config=ModelConfig(vocab_size=corpus.tokenizer.vocab_size, rnn_size={size},
                             num_layers=2, embedding_size=64, dropout=0.0),
    train_config=TrainConfig(seq_length=128, batch_size={batch}, learning_rate=2e-3,
        max_time={seconds}, eval_every=10**9, sample_length=0, threads={threads},
        device={device!r}, checkpoint_every=10**8, max_eval_tokens=1000),
    corpus=corpus.report.to_dict())
trainer = Trainer(job)
trainer.run()
warm = trainer.step_times[5:] or trainer.step_times
print(json.dumps({{"chars_per_s": {batch} * 128 / statistics.median(warm),
                   "steps": len(warm)}}))
"""


def ours(size: int, seconds: float, threads: int, device: str, batch: int) -> float:
    code = OURS.format(repo=str(REPO), corpus=str(CORPUS), size=size, seconds=seconds,
                       threads=threads, device=device, batch=batch)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out.splitlines()[-1])["chars_per_s"]


def reference(size: int, seconds: float, threads: int, device: str,
              batch: int) -> float:
    lines = run_reference("--corpus", str(CORPUS), "--hidden", str(size),
                          "--layers", "2", "--batch", str(batch), "--seq", "128",
                          "--seconds", str(seconds), "--device", device,
                          "--threads", str(threads), "--mallopt")
    return lines[-1]["chars_per_s"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--sizes", type=int, nargs="+", default=[128, 256, 512])
    ap.add_argument("--device", default="cpu", help="cpu or cuda (cuDNN on both sides)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    isolate_user_dirs()
    rows = []
    for size in a.sizes:
        ref_runs, our_runs = [], []
        for r in range(a.repeats):
            pair = [("ref", reference), ("ours", ours)]
            for label, fn in (pair if r % 2 == 0 else pair[::-1]):
                (ref_runs if label == "ref" else our_runs).append(
                    fn(size, a.seconds, a.threads, a.device, a.batch))
        row = {"config": f"{size}x2 b{a.batch} s128", "device": a.device,
               "reference_chars_per_s": median(ref_runs),
               "lstmwriter_chars_per_s": median(our_runs),
               "ratio": median(our_runs) / median(ref_runs),
               "reference_runs": [round(x) for x in ref_runs],
               "lstmwriter_runs": [round(x) for x in our_runs]}
        rows.append(row)
        print(json.dumps(row) if a.json else
              f"{row['config']:16} reference {row['reference_chars_per_s']:9,.0f}  "
              f"lstmwriter {row['lstmwriter_chars_per_s']:9,.0f}  "
              f"ratio {row['ratio']:.3f}  "
              f"(runs {row['reference_runs']} vs {row['lstmwriter_runs']})", flush=True)


if __name__ == "__main__":
    main()
