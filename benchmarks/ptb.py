"""Penn Treebank word-level results (Zaremba et al. 2014) with the `ptb-*` presets.

    python benchmarks/ptb.py --preset ptb-small [--device cpu|cuda] [--tie-weights]
        [--max-time SECONDS] [--log FILE] [--json]

Trains with the CLI on ptb.train.txt (validating on ptb.valid.txt), then measures test
perplexity on ptb.test.txt with `lstmwriter eval` — the same loss code path as the
training loop; word-level perplexity is per word including <eos>, as in the papers.
Published test perplexities: small 114.5, medium 82.7, large 78.4.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from common import SHARED, isolate_user_dirs

PTB = SHARED / "data" / "ptb"
PUBLISHED = {"ptb-small": 114.5, "ptb-medium": 82.7, "ptb-large": 78.4}


def cli(*args: str, log: str | None = None) -> list[dict]:
    """Run the CLI; its JSON events, each also appended to `log` as it comes."""
    events = []
    with subprocess.Popen([sys.executable, "-m", "lstmwriter", *args], text=True,
                          stdout=subprocess.PIPE) as proc:
        for line in proc.stdout:
            if line.startswith("{"):
                events.append(json.loads(line))
                if log:
                    with open(log, "a", encoding="utf-8") as f:
                        f.write(line)
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, args)
    return events


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="ptb-small", choices=sorted(PUBLISHED))
    ap.add_argument("--device", default="auto")
    ap.add_argument("--tie-weights", action="store_true")
    ap.add_argument("--max-time", type=float, default=0)
    ap.add_argument("--log", help="append the training events here as they come")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    isolate_user_dirs()
    name = a.preset + ("-tied" if a.tie_weights else "")
    args = ["train", str(PTB / "ptb.train.txt"), "--valid", str(PTB / "ptb.valid.txt"),
            "--preset", a.preset, "--name", name, "--device", a.device, "--json"]
    if a.tie_weights:
        args.append("--tie-weights")
    if a.max_time:
        args += ["--max-time", str(a.max_time)]
    started = time.monotonic()
    events = cli(*args, log=a.log)
    wall = time.monotonic() - started
    rates = [e["tokens_per_s"] for e in events if e["event"] == "progress"]
    test = cli("eval", name, str(PTB / "ptb.test.txt"), "--json", "--device",
               "cpu" if a.device == "auto" else a.device)[-1]
    row = {"preset": name, "test_perplexity": round(test["perplexity"], 2),
           "published": PUBLISHED[a.preset],
           "best_val_loss": events[-1]["best_val_loss"],
           "steps": events[-1]["step"], "wall_s": round(wall),
           "tokens_per_s": round(sorted(rates)[len(rates) // 2]) if rates else None}
    print(json.dumps(row) if a.json else
          "\n".join(f"{k:16} {v}" for k, v in row.items()))


if __name__ == "__main__":
    main()
