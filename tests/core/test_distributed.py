"""torchrun + DDP on CPU (Gloo): 2 processes match 1, resume across process counts,
and a dead rank ends the run instead of hanging."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lstmwriter.core.store import load_model_dir

COMMON = ["--preset", "char-tiny", "--rnn-size", "32", "--num-layers", "2",
          "--dropout", "0", "--batch-size", "8", "--seq-length", "16",
          "--eval-every", "1000", "--json", "--device", "cpu"]


def _train(corpus, name, nproc, *extra, timeout=240):
    launcher = ([sys.executable, "-m", "lstmwriter"] if nproc == 1 else
                [sys.executable, "-m", "torch.distributed.run", "--standalone",
                 "--nproc_per_node", str(nproc), "-m", "lstmwriter"])
    result = subprocess.run([*launcher, "train", str(corpus), "--name", name, *COMMON,
                             *extra], capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr[-2000:]
    events = [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]
    return events


@pytest.fixture
def corpus(tiny_corpus):
    text = (tiny_corpus / "a.txt").read_text() * 4
    (tiny_corpus / "a.txt").write_text(text)
    return tiny_corpus


def test_two_processes_match_one(corpus):
    one = _train(corpus, "one", 1, "--epochs", "2")
    two = _train(corpus, "two", 2, "--epochs", "2")
    assert one[-1]["step"] == two[-1]["step"]
    assert two[-1]["best_val_loss"] == pytest.approx(one[-1]["best_val_loss"], abs=2e-3)
    assert all(e["event"] != "progress" or e["tokens_per_s"] > 0 for e in two)
    # rank 0 alone wrote the events: one "done"
    assert sum(e["event"] == "done" for e in two) == 1


def test_resume_with_a_different_number_of_processes(corpus):
    first = _train(corpus, "r", 2, "--epochs", "1")
    resumed = _train(corpus, "r", 1, "--resume", "--epochs", "2")
    assert resumed[-1]["outcome"] == "done"
    assert resumed[-1]["step"] == 2 * first[-1]["step"]
    data = os.environ["XDG_DATA_HOME"]
    assert load_model_dir(
        Path(data) / "lstmwriter" / "models" / "r").meta["name"] == "r"


def _children(pid):
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(entry))
    return kids


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")
def test_a_dead_rank_stops_the_run_instead_of_hanging(corpus):
    proc = subprocess.Popen(
        [sys.executable, "-m", "torch.distributed.run", "--standalone",
         "--nproc_per_node", "2", "-m", "lstmwriter", "train", str(corpus),
         "--name", "dead", *COMMON, "--epochs", "1000", "--dist-timeout", "30"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        if not first.startswith("{"):  # training should be under way
            proc.wait(30)
            pytest.fail(f"no progress event: {proc.stderr.read()[-1500:]}")
        workers = _children(proc.pid)
        assert len(workers) == 2
        os.kill(max(workers), signal.SIGKILL)
        started = time.monotonic()
        code = proc.wait(timeout=120)
        assert code != 0
        assert time.monotonic() - started < 120
        assert "failed" in proc.stderr.read().lower()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
