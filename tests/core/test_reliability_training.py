"""Training survives kill -9, damaged checkpoints, a full disk, NaN losses and CUDA
out of memory (docs/RELIABILITY.md, part 1 and 2)."""

import errno
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import torch

from lstmwriter.core.checkpoint import (
    ModelFileError,
    load_tensors,
    read_checkpoint_meta,
)
from lstmwriter.core.events import CheckpointSaved, Failed, Finished
from lstmwriter.core.jobs import TrainRequest, plan_training
from lstmwriter.core.store import ModelStore, load_model_dir
from lstmwriter.core.training import Trainer

from .helpers import tiny_job

REPO = Path(__file__).resolve().parents[2]
ONE_THREAD = {"threads": 1, "checkpoint_every": 0.0}  # a checkpoint after every step


@pytest.fixture(autouse=True)
def _restore_thread_count():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


class _Crash(Exception):
    """Stands for a crash of the process: the run stops without saving."""


def _crash_at(step):
    def handler(event):
        if isinstance(event, CheckpointSaved) and event.step == step:
            raise _Crash
    return handler


def _crashed_run(corpus, folder, step, **train):
    """A run stopped hard right after its checkpoint of `step` (the one of
    `step - 1` is the previous checkpoint)."""
    with pytest.raises(_Crash):
        job = tiny_job(corpus, folder, **{**ONE_THREAD, **train})
        Trainer(job).run(_crash_at(step))


def _assert_same_weights(a, b):
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def _final_weights(folder):
    return load_tensors(folder / "checkpoint.pt")["model"]


# -- kill -9 of the CLI ------------------------------------------------------

def _train_command(corpus, name, *extra):
    return [sys.executable, "-m", "lstmwriter", "train", str(corpus), "--name", name,
            "--preset", "char-tiny", "--rnn-size", "16", "--dropout", "0.1",
            "--epochs", "2", "--batch-size", "2", "--seq-length", "8",
            "--eval-every", "40", "--checkpoint-every", "0.05", "--threads", "1",
            "--json", *extra]


def _history(folder):
    meta = json.loads((folder / "config.json").read_text())
    return [(h["step"], h["train_loss"], h["val_loss"]) for h in meta["history"]]


@pytest.mark.slow
def test_kill_9_then_resume_ends_exactly_like_an_uninterrupted_run(tiny_corpus):
    root = ModelStore().root
    whole = subprocess.run(_train_command(tiny_corpus, "whole"), cwd=REPO,
                           capture_output=True, text=True, timeout=300, check=False)
    assert whole.returncode == 0, whole.stderr

    # Killed at an arbitrary moment: after its second checkpoint was announced,
    # while it goes on training and checkpointing.
    with tempfile.TemporaryFile("w+") as errors:
        killed = subprocess.Popen(_train_command(tiny_corpus, "k"), cwd=REPO,
                                  stdout=subprocess.PIPE, stderr=errors, text=True)
        checkpoints = 0
        for line in killed.stdout:
            if json.loads(line)["event"] == "checkpoint":
                checkpoints += 1
                if checkpoints == 2:
                    killed.send_signal(signal.SIGKILL)
                    break
        killed.stdout.close()
        assert killed.wait(60) == -signal.SIGKILL
    assert not read_checkpoint_meta(root / "k")["finished"]

    resumed = subprocess.run(_train_command(tiny_corpus, "k", "--resume"), cwd=REPO,
                             capture_output=True, text=True, timeout=300, check=False)
    assert resumed.returncode == 0, resumed.stderr
    done = [json.loads(line) for line in resumed.stdout.splitlines()][-1]
    assert done["event"] == "done" and done["outcome"] == "done"
    assert done == {**json.loads(whole.stdout.splitlines()[-1]), "name": "k",
                    "path": str(root / "k")}
    _assert_same_weights(_final_weights(root / "whole"), _final_weights(root / "k"))
    _assert_same_weights(load_model_dir(root / "whole").model.state_dict(),
                         load_model_dir(root / "k").model.state_dict())
    assert _history(root / "k") == _history(root / "whole")

    # A damaged latest checkpoint: the CLI says so and resumes from the one before.
    path = root / "k" / "checkpoint.pt"
    path.write_bytes(path.read_bytes()[:1000])
    again = subprocess.run(_train_command(tiny_corpus, "k", "--resume"), cwd=REPO,
                           capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 0, again.stderr
    assert "WARNING: the latest checkpoint could not be used" in again.stderr
    assert "checksum" in again.stderr
    _assert_same_weights(_final_weights(root / "whole"), _final_weights(root / "k"))


# -- damaged checkpoints -------------------------------------------------------

def _truncate(folder):
    path = folder / "checkpoint.pt"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip_a_byte(folder):
    path = folder / "checkpoint.pt"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _garble_json(folder):
    (folder / "checkpoint.json").write_text("{not json")


def _delete_weights(folder):
    (folder / "checkpoint.pt").unlink()


@pytest.mark.parametrize("damage", [_truncate, _flip_a_byte, _garble_json,
                                    _delete_weights])
def test_damaged_latest_checkpoint_falls_back_to_the_previous_one(
        tiny_corpus, tmp_path, caplog, damage):
    whole = Trainer(tiny_job(tiny_corpus, tmp_path / "whole", epochs=2, threads=1))
    whole.run()
    folder = tmp_path / "split"
    _crashed_run(tiny_corpus, folder, 20, epochs=2)
    assert (folder / "checkpoint.prev.pt").is_file()
    damage(folder)

    resumed = Trainer(tiny_job(tiny_corpus, folder, resume=True, epochs=2, threads=1))
    assert resumed.state.step == 19  # the previous checkpoint
    assert len(resumed.notices) == 1
    assert "the latest checkpoint could not be used" in resumed.notices[0]
    assert "at step 19" in resumed.notices[0]
    assert resumed.notices[0] in caplog.text  # logged as a warning: the CLI prints it
    assert resumed.run() == "done"
    _assert_same_weights(whole.model.state_dict(), resumed.model.state_dict())


def test_checkpoint_at_the_end_of_an_epoch_resumes_into_the_next(tiny_corpus,
                                                                  tmp_path):
    """A periodic checkpoint can fall on the last window of an epoch (before the
    epoch counter moves on): resuming must not read that epoch again."""
    whole = Trainer(tiny_job(tiny_corpus, tmp_path / "whole", epochs=2, threads=1))
    whole.run()
    folder = tmp_path / "split"
    _crashed_run(tiny_corpus, folder, len(whole.batches), epochs=2)
    resumed = Trainer(tiny_job(tiny_corpus, folder, resume=True, epochs=2, threads=1))
    assert resumed.run() == "done"
    assert resumed.state.step == whole.state.step
    _assert_same_weights(whole.model.state_dict(), resumed.model.state_dict())


def test_damaged_only_checkpoint_is_a_clear_error(tiny_corpus, tmp_path):
    folder = tmp_path / "m"
    _crashed_run(tiny_corpus, folder, 1)
    assert not (folder / "checkpoint.prev.pt").exists()
    _truncate(folder)
    with pytest.raises(ModelFileError, match="no usable checkpoint to resume") as err:
        Trainer(tiny_job(tiny_corpus, folder, resume=True, threads=1))
    assert "checksum" in str(err.value)


# -- disk full -------------------------------------------------------------------

@pytest.fixture
def full_disk(monkeypatch):
    """Makes saving files whose names start with a given prefix hit a full disk:
    their temporary file is written to /dev/full (ENOSPC from the kernel)."""
    if not os.path.exists("/dev/full"):
        pytest.skip("needs /dev/full")
    real = tempfile.mkstemp

    def arm(name):
        def mkstemp(*args, **kwargs):
            fd, tmp = real(*args, **kwargs)
            if kwargs.get("prefix", "").startswith(f".{name}."):
                os.close(fd)
                fd = os.open("/dev/full", os.O_WRONLY)
            return fd, tmp
        monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    return arm


@pytest.mark.parametrize("target", ["model.pt", "config.json", "checkpoint.pt",
                                    "checkpoint.json"])
def test_disk_full_is_a_clear_error_and_the_saved_model_stays_intact(
        tiny_corpus, tmp_path, full_disk, target):
    folder = tmp_path / "m"
    _crashed_run(tiny_corpus, folder, 12)  # a model saved at step 10, checkpoint 12
    before = load_model_dir(folder).model.state_dict()
    saving_model = target in ("model.pt", "config.json")

    full_disk(target)
    events = []
    trainer = Trainer(tiny_job(tiny_corpus, folder, resume=True, threads=1,
                               eval_every=1 if saving_model else 100,
                               checkpoint_every=3600.0 if saving_model else 0.0))
    with pytest.raises(OSError) as err:
        trainer.run(events.append)
    assert err.value.errno == errno.ENOSPC
    failed = [e for e in events if isinstance(e, Failed)]
    assert len(failed) == 1 and events[-1].outcome == "failed"
    message = failed[0].message
    assert message.startswith("the disk is full: could not save ")
    assert str(folder / target) in message and "intact" in message

    kept = load_model_dir(folder)
    _assert_same_weights(before, kept.model.state_dict())
    assert not list(folder.glob(".*.tmp")) and not (folder / "model.prev.pt").exists()
    resumed = Trainer(tiny_job(tiny_corpus, folder, resume=True, threads=1))
    assert resumed.state.step == 12


# -- NaN / inf ---------------------------------------------------------------------

NO_SCHEDULE = {"schedule": "epoch", "lr_decay_after": 99}  # only faults change the rate


def test_a_diverged_update_is_rolled_back_and_training_goes_on(tiny_corpus, tmp_path):
    """Step 20's update makes the weights NaN (its loss was finite); step 20 is
    also a validation and a checkpoint. Nothing NaN is saved, the next step's
    NaN loss rolls back to the last good weights and halves the learning rate."""
    folder = tmp_path / "m"
    trainer = Trainer(tiny_job(tiny_corpus, folder, epochs=2, **ONE_THREAD,
                               **NO_SCHEDULE))
    rate = trainer.learning_rate
    poisoned = []

    def diverge(optimizer, args, kwargs):
        if trainer.state.step == 19 and not poisoned:  # the update of step 20
            poisoned.append(True)
            with torch.no_grad():
                trainer.model.head.weight.fill_(math.nan)

    trainer.optimizer.register_step_post_hook(diverge)
    events = []
    assert trainer.run(events.append) == "done"

    assert poisoned
    assert all(torch.isfinite(p).all() for p in trainer.model.parameters())
    assert trainer.learning_rate == rate / 2
    assert any("became NaN or infinite; rolled back" in n for n in trainer.notices)
    windows = len(trainer.batches) * 2
    assert trainer.state.step == windows - 1  # the offending window was skipped
    assert 20 not in [e.step for e in events if isinstance(e, CheckpointSaved)]
    assert 20 not in [h["step"] for h in trainer.state.history]
    assert all(math.isfinite(h["val_loss"]) for h in trainer.state.history)
    saved = load_model_dir(folder)
    assert all(torch.isfinite(t).all() for t in saved.model.state_dict().values())
    assert Trainer(tiny_job(tiny_corpus, folder, resume=True, threads=1)).state.step \
        == trainer.state.step


def test_a_roll_back_keeps_the_time_schedule_lowered(tiny_corpus, tmp_path):
    """With the time-limit cosine, the rate lowered by a roll-back stays lowered:
    the schedule's peak is halved too, not restored at the next step."""
    folder = tmp_path / "m"
    trainer = Trainer(tiny_job(tiny_corpus, folder, epochs=2, **ONE_THREAD,
                               schedule="time", max_time=3600))
    peak = trainer.config.learning_rate
    poisoned, rates = [], {}

    def diverge(optimizer, args, kwargs):
        rates[trainer.state.step] = trainer.learning_rate
        if trainer.state.step == 9 and not poisoned:
            poisoned.append(True)
            with torch.no_grad():
                trainer.model.head.weight.fill_(math.nan)

    trainer.optimizer.register_step_post_hook(diverge)
    assert trainer.run() == "done"
    assert poisoned and trainer.state.lr_scale == 0.5
    assert rates[5] > 0.6 * peak  # the cosine had hardly begun
    assert all(rate <= 0.5 * peak * (1 + 1e-9) for step, rate in rates.items()
               if step > 10)
    resumed = Trainer(tiny_job(tiny_corpus, folder, resume=True, threads=1))
    assert resumed.state.lr_scale == 0.5


def test_repeated_nonfinite_losses_stop_with_a_clear_message(tiny_corpus, tmp_path):
    folder = tmp_path / "m"
    trainer = Trainer(tiny_job(tiny_corpus, folder, epochs=2, **ONE_THREAD,
                               **NO_SCHEDULE))
    rate = trainer.learning_rate

    def always_nan(head, args):
        if trainer.state.step >= 5:
            with torch.no_grad():
                head.weight.fill_(math.nan)

    trainer.model.head.register_forward_pre_hook(always_nan)
    events = []
    with pytest.raises(FloatingPointError):
        trainer.run(events.append)
    failed = [e for e in events if isinstance(e, Failed)]
    assert len(failed) == 1
    assert failed[0].message == (
        "training stopped: the loss became NaN or infinite 4 times in a row, even "
        f"after lowering the learning rate to {rate / 8:.3g}; the last checkpoint and "
        "the best model so far are kept. Try a smaller learning rate (--lr)")
    assert isinstance(events[-1], Finished) and events[-1].outcome == "failed"
    assert len(trainer.notices) == 3
    resumed = Trainer(tiny_job(tiny_corpus, folder, resume=True, threads=1))
    assert resumed.state.step == 5
    assert all(torch.isfinite(p).all() for p in resumed.model.parameters())


# -- CUDA out of memory ---------------------------------------------------------------

def _out_of_memory_once(monkeypatch, trainer, at_step):
    """The step after `at_step` raises CUDA out of memory once (the only way to
    test this on a machine without a GPU)."""
    real = trainer._train_step
    raised = []

    def step(window):
        if trainer.state.step == at_step and not raised:
            raised.append(window)
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate "
                                              "2.00 GiB")
        return real(window)

    monkeypatch.setattr(trainer, "_train_step", step)
    return raised


def test_cuda_out_of_memory_halves_the_batch_and_goes_on(tiny_corpus, monkeypatch):
    store = ModelStore()
    folder = store.root / "oom"
    trainer = Trainer(tiny_job(tiny_corpus, folder, epochs=1, batch_size=4,
                               **ONE_THREAD))
    windows_before = len(trainer.batches)
    raised = _out_of_memory_once(monkeypatch, trainer, 7)
    with pytest.raises(_Crash):
        trainer.run(_crash_at(15))

    assert raised == [7]
    assert trainer.config.batch_size == trainer.batches.batch_size == 2
    assert trainer.notices == [("the GPU ran out of memory with batch size 4; going on "
                                "with batch size 2")]
    assert read_checkpoint_meta(folder)["train"]["batch_size"] == 2
    resumed = Trainer(plan_training(TrainRequest(tiny_corpus, name="oom", resume=True),
                                    store))
    assert resumed.config.batch_size == 2 and resumed.state.step == 15
    assert resumed.hidden is not None and resumed.hidden[0].shape[1] == 2
    assert resumed.run() == "done"
    # the epoch went on from the same fraction, in the smaller batch's windows
    windows = len(resumed.batches)
    assert resumed.state.step == 7 + windows - int(7 / windows_before * windows)


def test_cuda_out_of_memory_with_a_batch_of_one_stops_with_a_clear_message(
        tiny_corpus, tmp_path, monkeypatch):
    trainer = Trainer(tiny_job(tiny_corpus, tmp_path / "m", batch_size=1, threads=1))
    _out_of_memory_once(monkeypatch, trainer, 3)
    events = []
    with pytest.raises(torch.cuda.OutOfMemoryError):
        trainer.run(events.append)
    assert [e.message for e in events if isinstance(e, Failed)] == [
        ("the GPU ran out of memory even with a batch of 1: try a smaller model or "
         "train on the CPU (--device cpu)")]
