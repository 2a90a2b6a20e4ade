"""Keystroke latency and streaming speed of the sampler, idle and while a training
run goes on in another thread of the same process.

    python benchmarks/latency.py [--json] [--model NAME_OR_PATH] [--quick]

Cases: the default model (the bundled one; until it exists, a random-weight model
of its planned size: 256 x 2 LSTM, embedding 64, the Western character set) or
--model, and a random-weight 512 x 2 char model; documents of 100 and 20,000
characters; idle, and with a Trainer (char-small on Tiny Shakespeare) running on
a background thread. Latency does not depend on the weights' values.

- keystroke -> first suggested character: one character typed (every tenth
  keystroke a backspace), `set_context` then the first step of a 3-alternative
  `stream`; between keystrokes the suggestion streams on for a few tokens, as in
  the editor, then is dropped.
- streaming: 3 alternatives of 200 characters generated together; characters per
  second for each (median of several runs), by the wall clock and per second of
  the sampling thread's CPU time (what it does with a whole core to itself: on
  a shared machine the wall-clock figure mostly measures the other load).
- flat: p50 at 20,000 characters / p50 at 100 characters.
- single step: the sampler's keystroke against one bare nn.LSTM / nn.LSTMCell
  step (batch 1) and the numpy step it uses.

The last line (stdout) with --json is one JSON object: p50_ms, p99_ms and
chars_per_s for the default model, 20,000 characters, training running, plus
every case. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import torch
from common import SHARED, isolate_user_dirs, median

from lstmwriter.core.config import ModelConfig
from lstmwriter.core.events import Progress
from lstmwriter.core.jobs import TrainRequest, plan_training
from lstmwriter.core.lstm_step import NumpyLSTM, single_thread_blas
from lstmwriter.core.model import LSTMLanguageModel
from lstmwriter.core.sampling import SampleOptions, Sampler, load_for_sampling
from lstmwriter.core.store import (
    LoadedModel,
    ModelStore,
    bundled_model_dir,
    load_model_dir,
    save_model_dir,
)
from lstmwriter.core.tokenizer import CharTokenizer, western_charset
from lstmwriter.core.training import Trainer, TrainingControl

CORPUS = SHARED / "data" / "tinyshakespeare" / "input.txt"
PROSE = SHARED / "data" / "prose"
DOC_LENGTHS = (100, 20_000)
SUGGEST = SampleOptions(num=3, length=80, temperature=0.5)
STREAM = SampleOptions(num=3, length=200, temperature=0.5, seed=1)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def document_text() -> str:
    """Real prose (or Shakespeare) to type into: 20,000 characters and more."""
    files = sorted(PROSE.rglob("*.txt")) if PROSE.is_dir() else []
    text = "".join(f.read_text(encoding="utf-8", errors="replace") for f in files[:20])
    if len(text) < 40_000:
        text = CORPUS.read_text(encoding="utf-8")
    return text[:60_000]


def random_model(hidden: int, root: Path) -> LoadedModel:
    torch.manual_seed(0)
    tokenizer = CharTokenizer(western_charset())
    model = LSTMLanguageModel(ModelConfig(tokenizer.vocab_size, hidden, 2, 64))
    folder = root / f"random-{hidden}x2"
    save_model_dir(folder, model, tokenizer, {"name": folder.name})
    return load_model_dir(folder)


def describe(loaded: LoadedModel) -> str:
    config = loaded.model.config
    return (f"{loaded.name} ({config.rnn_size}x{config.num_layers}, "
            f"V={config.vocab_size})")


class BackgroundTraining:
    """A Trainer on Tiny Shakespeare on its own thread, until stopped."""

    def __init__(self) -> None:
        request = TrainRequest(
            corpus=CORPUS, name="latency-bench", preset="char-small",
            train_overrides={"max_time": 3600.0, "device": "cpu",
                             "checkpoint_every": 1e8, "sample_length": 0})
        self._job = plan_training(request, ModelStore())
        self._control = TrainingControl()
        self._started = threading.Event()
        self.steps = 0
        self._thread = threading.Thread(target=self._run, name="training", daemon=True)

    def _on_event(self, event) -> None:
        if isinstance(event, Progress):
            self.steps = event.step
            self._started.set()

    def _run(self) -> None:
        try:
            Trainer(self._job).run(self._on_event, self._control)
        finally:
            self._started.set()

    def __enter__(self) -> BackgroundTraining:
        self._thread.start()
        self._started.wait(120)
        return self

    def __exit__(self, *exc) -> None:
        self._control.cancel()
        self._thread.join(120)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure_keystrokes(loaded: LoadedModel, doc: str, typed: str, reps: int
                       ) -> tuple[list[float], float]:
    """Latencies (ms) of keystroke -> first character, and the cold start (ms)."""
    sampler = Sampler(loaded)
    started = time.perf_counter()
    sampler.set_context(doc)
    cold = (time.perf_counter() - started) * 1e3
    text = doc
    latencies = []
    for i in range(reps + 5):
        text = text[:-1] if i % 10 == 9 else text + typed[i % len(typed)]
        started = time.perf_counter()
        sampler.set_context(text)
        stream = sampler.stream(SUGGEST)
        first = next(stream)
        took = (time.perf_counter() - started) * 1e3
        assert len(first) == SUGGEST.num
        for _ in range(5):  # the suggestion goes on until the next keystroke
            next(stream, None)
        stream.close()
        if i >= 5:  # warm-up
            latencies.append(took)
    return latencies, cold


def measure_streaming(loaded: LoadedModel, doc: str, runs: int) -> tuple[float, float]:
    """Characters per second for each of 3 alternatives generated together: by
    the wall clock, and per CPU second of this thread."""
    sampler = Sampler(loaded)
    sampler.set_context(doc)
    rates, cpu_rates = [], []
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.thread_time()
        texts = sampler.suggest(STREAM)
        took, cpu = time.perf_counter() - started, time.thread_time() - cpu
        chars = min(len(t) for t in texts)
        rates.append(chars / took)
        cpu_rates.append(chars / max(cpu, 1e-9))
    return median(rates), median(cpu_rates)


def time_calls(fn, reps: int) -> float:
    for _ in range(10):
        fn()
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e3


def single_step_costs(loaded: LoadedModel, doc: str, reps: int) -> dict[str, float]:
    """Median ms of one step, batch 1: bare torch modules against ours."""
    model = loaded.model
    config = model.config
    lstm = model.lstm
    x = torch.randn(1, 1, config.input_size)
    state = model.init_state(1)
    cells = [torch.nn.LSTMCell(config.input_size if i == 0 else config.rnn_size,
                               config.rnn_size).eval()
             for i in range(config.num_layers)]
    h = [torch.zeros(1, config.rnn_size) for _ in cells]

    def cell_step() -> None:
        inp = x[:, 0]
        for i, cell in enumerate(cells):
            inp, _ = cell(inp, (h[i], h[i]))

    net = NumpyLSTM(model)
    h1, c1 = net.zero_state(1)
    h3, c3 = net.zero_state(3)
    token, tokens3 = np.array([5]), np.array([5, 6, 7])

    def numpy_step(h, c, t) -> None:
        with single_thread_blas():
            net.step(t, h, c)

    sampler = Sampler(loaded)
    sampler.set_context(doc)
    text = [doc]

    def keystroke() -> None:
        text[0] = text[0] + "e" if len(text[0]) == len(doc) else text[0][:-1]
        sampler.set_context(text[0])

    def keystroke_first_char() -> None:
        keystroke()
        stream = sampler.stream(SUGGEST)
        next(stream)
        stream.close()

    with torch.no_grad():
        costs = {
            "nn.LSTM step": time_calls(lambda: lstm(x, state), reps),
            "nn.LSTMCell step": time_calls(cell_step, reps),
        }
    costs.update({
        "numpy step (ours)": time_calls(lambda: numpy_step(h1, c1, token), reps),
        "numpy step, batch 3": time_calls(lambda: numpy_step(h3, c3, tokens3), reps),
        "keystroke: set_context": time_calls(keystroke, reps),
        "keystroke -> first char": time_calls(keystroke_first_char, reps),
    })
    return costs


def run_cases(models: list[LoadedModel], doc_text: str, typed: str, training: bool,
              reps: int, runs: int) -> list[dict]:
    rows = []
    for loaded in models:
        for length in DOC_LENGTHS:
            doc = doc_text[:length]
            latencies, cold = measure_keystrokes(loaded, doc, typed, reps)
            rate, cpu_rate = measure_streaming(loaded, doc, runs)
            row = {
                "model": describe(loaded), "rnn_size": loaded.model.config.rnn_size,
                "doc_chars": length, "training": training,
                "p50_ms": round(percentile(latencies, 0.5), 3),
                "p99_ms": round(percentile(latencies, 0.99), 3),
                "max_ms": round(max(latencies), 3),
                "chars_per_s": round(rate, 1), "chars_per_cpu_s": round(cpu_rate, 1),
                "cold_start_ms": round(cold, 1),
                "keystrokes": len(latencies),
            }
            rows.append(row)
            log(f"  {row['model']:<36} {length:>6} chars  training={training!s:<5} "
                f"p50 {row['p50_ms']:.2f} ms  p99 {row['p99_ms']:.2f} ms  "
                f"{row['chars_per_s']:,.0f} chars/s ({row['chars_per_cpu_s']:,.0f} per "
                "CPU s)")
    return rows


def flat_ratios(rows: list[dict]) -> list[dict]:
    out = []
    for row in rows:
        if row["doc_chars"] != DOC_LENGTHS[-1]:
            continue
        short = next(r for r in rows if r["model"] == row["model"] and
                     r["training"] == row["training"] and
                     r["doc_chars"] == DOC_LENGTHS[0])
        out.append({"model": row["model"], "training": row["training"],
                    "ratio": round(row["p50_ms"] / short["p50_ms"], 3)})
    return out


def print_table(rows, flats, steps, info) -> None:
    print(f"Sampler latency ({info['cpus']} CPUs, torch {info['torch']}, load average "
          f"{info['load_average']} at start; targets: p50 <= 10 ms, p99 <= 30 ms, "
          ">= 1,000 chars/s per alternative, flat ratio <= 1.5)\n")
    print("| model | document | training | keystroke→1st char p50 | p99 | max "
          "| chars/s per alt (3 together) | same, per CPU second | cold start |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['model']} | {r['doc_chars']:,} "
              f"| {'yes' if r['training'] else 'no'} "
              f"| {r['p50_ms']:.2f} ms | {r['p99_ms']:.2f} ms | {r['max_ms']:.1f} ms "
              f"| {r['chars_per_s']:,.0f} | {r['chars_per_cpu_s']:,.0f} "
              f"| {r['cold_start_ms']:.0f} ms |")
    print("\n| model | training | p50 at 20,000 / p50 at 100 |")
    print("|---|---|---:|")
    for f in flats:
        print(f"| {f['model']} | {'yes' if f['training'] else 'no'} "
              f"| {f['ratio']:.2f} |")
    print("\nSingle step, batch 1, idle (median ms):\n")
    names = list(next(iter(steps.values())))
    print("| model | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for model, costs in steps.items():
        print(f"| {model} | " + " | ".join(f"{costs[n]:.3f}" for n in names) + " |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    parser.add_argument("--model", help="measure this model (store name or path) "
                        "instead of the default one")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    reps, runs, step_reps = (60, 3, 100) if args.quick else (300, 7, 400)

    isolate_user_dirs()
    root = Path(tempfile.mkdtemp(prefix="lstmwriter-latency-"))
    if args.model:
        main_model = load_for_sampling(args.model)
    elif bundled_model_dir() is not None:
        main_model = ModelStore().load("default")
    else:
        log("no bundled default model yet: a random-weight 256x2 model stands in")
        main_model = random_model(256, root)
    models = [main_model, random_model(512, root)]
    text = document_text()
    doc_text, typed = text[:DOC_LENGTHS[-1]], text[DOC_LENGTHS[-1]:]
    info = {"cpus": os.cpu_count(), "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(),
            "load_average": round(os.getloadavg()[0], 2),
            "python": platform.python_version()}

    log("single steps (idle) ...")
    steps = {describe(m): single_step_costs(m, doc_text, step_reps) for m in models}
    log("idle ...")
    rows = run_cases(models, doc_text, typed, False, reps, runs)
    log("training running ...")
    with BackgroundTraining() as training:
        rows += run_cases(models, doc_text, typed, True, reps, runs)
        info["training_steps"] = training.steps
    flats = flat_ratios(rows)
    print_table(rows, flats, steps, info)
    key = next(r for r in rows if r["model"] == describe(main_model) and r["training"]
               and r["doc_chars"] == DOC_LENGTHS[-1])
    if args.json:
        print(json.dumps({"p50_ms": key["p50_ms"], "p99_ms": key["p99_ms"],
                          "chars_per_s": key["chars_per_s"], "model": key["model"],
                          "cases": rows, "flat": flats, "single_step_ms": steps,
                          "machine": info}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
