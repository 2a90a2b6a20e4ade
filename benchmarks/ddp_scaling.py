"""Data-parallel scaling: training tokens/s with 1 process vs N processes (torchrun).

    python benchmarks/ddp_scaling.py [--nproc 1 2] [--seconds 30] [--device cpu|cuda]

On one CPU machine the N processes share the same cores, so this measures the DDP
overhead (Gloo all-reduce, per-step agreement), not a speed-up; on a multi-GPU machine
each process gets its own GPU.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

from common import SHARED, isolate_user_dirs

CORPUS = SHARED / "data" / "tinyshakespeare" / "input.txt"


def measure(nproc: int, seconds: float, device: str, preset: str, batch: int) -> float:
    launcher = ([sys.executable, "-m", "lstmwriter"] if nproc == 1 else
                [sys.executable, "-m", "torch.distributed.run", "--standalone",
                 "--nproc_per_node", str(nproc), "-m", "lstmwriter"])
    out = subprocess.run(
        [*launcher, "train", str(CORPUS), "--name", f"ddp{nproc}", "--preset", preset,
         "--batch-size", str(batch), "--max-time", str(seconds),
         "--eval-every", "100000", "--device", device, "--json"],
        capture_output=True, text=True, check=True).stdout
    rates = [json.loads(x)["tokens_per_s"] for x in out.splitlines()
             if x.startswith('{"event": "progress"')]
    return statistics.median(rates[len(rates) // 4:])  # after warm-up


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nproc", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--preset", default="char-small")
    ap.add_argument("--batch-size", type=int, default=32)
    a = ap.parse_args()
    isolate_user_dirs()
    base = None
    for n in a.nproc:
        rate = measure(n, a.seconds, a.device, a.preset, a.batch_size)
        base = base or rate
        print(json.dumps({"nproc": n, "device": a.device, "preset": a.preset,
                          "global_batch": a.batch_size, "tokens_per_s": round(rate),
                          "relative": round(rate / base, 3)}), flush=True)


if __name__ == "__main__":
    main()
