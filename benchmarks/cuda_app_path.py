"""The app's training path on CUDA, and the CUDA-trained model on the CPU.

    python benchmarks/cuda_app_path.py [--seconds 30] [--device cuda] [--json]

Trains Tiny Shakespeare as the Train button does (`plan_training` then `Trainer.run`
on a worker thread, the GUI thread's part played by this script's main thread, which
only waits for the events), then, in a fresh process that sees no GPU
(CUDA_VISIBLE_DEVICES=""), loads the saved model and asks it for a suggestion and
the grey text with `lstmwriter generate`, and scores it with `lstmwriter eval`.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import subprocess
import sys
import threading
import time

from common import SHARED, isolate_user_dirs

from lstmwriter.core.events import Finished, Progress
from lstmwriter.core.jobs import TrainRequest, plan_training
from lstmwriter.core.store import ModelStore
from lstmwriter.core.training import Trainer, TrainingControl

CORPUS = SHARED / "data" / "tinyshakespeare" / "input.txt"
SEED = "ROMEO:\nWhat light through yonder window"


def train_on_worker(seconds: float, device: str) -> dict:
    """Train on a worker thread; the main thread only drains its events."""
    events: queue.Queue = queue.Queue()
    request = TrainRequest(corpus=CORPUS, name="cuda-app",
                           train_overrides={"device": device, "max_time": seconds})

    def work() -> None:
        try:
            Trainer(plan_training(request, ModelStore())).run(events.put,
                                                              TrainingControl())
        except Exception as exc:  # Failed was emitted; the main thread re-raises
            events.put(exc)

    worker = threading.Thread(target=work, name="train", daemon=True)
    started = time.monotonic()
    worker.start()
    progress, finished = [], None
    while finished is None:
        item = events.get(timeout=seconds + 300)
        if isinstance(item, Exception):
            raise item
        if isinstance(item, Progress):
            progress.append(item)
        elif isinstance(item, Finished):
            finished = item
    worker.join()
    validated = [p for p in progress if p.val_loss is not None]
    rates = sorted(p.tokens_per_s for p in progress)
    return {"outcome": finished.outcome, "steps": finished.step,
            "best_val_loss": finished.best_val_loss,
            "last_val_loss": validated[-1].val_loss if validated else None,
            "median_chars_per_s": round(rates[len(rates) // 2]) if rates else None,
            "wall_s": round(time.monotonic() - started, 1), "path": finished.path}


def on_cpu_only(*args: str) -> list[dict]:
    """Run the CLI in a process that sees no GPU; its JSON lines."""
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="")
    out = subprocess.run([sys.executable, "-m", "lstmwriter", *args], env=env,
                         check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    isolate_user_dirs()
    import torch

    row = {"device": torch.cuda.get_device_name() if a.device == "cuda" else a.device,
           "torch": torch.__version__, **train_on_worker(a.seconds, a.device)}
    config = json.loads((ModelStore().root / "cuda-app" / "config.json").read_text())
    row["trained_on"] = config.get("device")
    row["cpu_sample"] = on_cpu_only("generate", "cuda-app", "--seed", SEED,
                                    "--num", "3", "--length", "60",
                                    "--random-seed", "1", "--json")
    row["cpu_grey_text"] = on_cpu_only("generate", "cuda-app", "--seed", SEED, "--best",
                                       "--json")
    row["cpu_eval"] = on_cpu_only("eval", "cuda-app", str(CORPUS), "--device", "cpu",
                                  "--json")[-1]
    print(json.dumps(row) if a.json else json.dumps(row, indent=1))


if __name__ == "__main__":
    main()
