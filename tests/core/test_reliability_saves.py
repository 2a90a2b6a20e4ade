"""kill -9 at every point of a save: the model and the checkpoint stay loadable
(docs/RELIABILITY.md, part 1). Each case forks a child that SIGKILLs itself at one
call inside the save; the parent then loads what is on disk."""

import os
import pathlib
import shutil
import signal
import sys

import pytest
import torch

from lstmwriter.core import checkpoint, store, training
from lstmwriter.core.config import ModelConfig
from lstmwriter.core.events import CheckpointSaved
from lstmwriter.core.model import LSTMLanguageModel
from lstmwriter.core.store import load_model_dir, save_model_dir
from lstmwriter.core.tokenizer import CharTokenizer
from lstmwriter.core.training import Trainer

from .helpers import tiny_job

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="uses os.fork")


@pytest.fixture(autouse=True)
def _restore_thread_count():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def _killed_at(owner, name, call, action):
    """Run `action` in a forked child that is SIGKILLed at its `call`-th call of
    `owner.name` (before that call does anything)."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            torch.set_num_threads(1)
            real, calls = getattr(owner, name), [0]

            def hook(*args, **kwargs):
                calls[0] += 1
                if calls[0] == call:
                    os.kill(os.getpid(), signal.SIGKILL)
                return real(*args, **kwargs)

            setattr(owner, name, hook)
            action()
        finally:
            os._exit(3)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, \
        f"the child was not killed at call {call} of {name} (status {status})"


# -- the checkpoint --------------------------------------------------------------
# Saving a checkpoint (checkpoint.write_checkpoint): _move(checkpoint.pt ->
# .prev.pt), _move(checkpoint.json -> .prev.json), save_tensors (temp file,
# os.replace), write_json (temp, os.replace), then the trainer's CheckpointSaved.
# os.replace calls: 1, 2 the moves, 3 checkpoint.pt, 4 .json.

CHECKPOINT_KILLS = [
    # (where, call, the step resumed from, a notice expected)
    ((checkpoint, "_move"), 1, 6, False),
    ((checkpoint, "_move"), 2, 6, False),  # checkpoint.json names checkpoint.prev.pt
    ((checkpoint, "save_tensors"), 1, 6, True),
    ((os, "replace"), 3, 6, True),  # the new checkpoint.pt written, not yet renamed
    ((checkpoint, "write_json"), 1, 6, True),
    ((os, "replace"), 4, 6, True),  # the new checkpoint.json written, not yet renamed
    ((training, "CheckpointSaved"), 1, 7, False),  # the save of step 7 is complete
]


class _Crash(Exception):
    """Stands for a crash: the run stops without saving anything more."""


@pytest.mark.parametrize("where,call,step,notice", CHECKPOINT_KILLS,
                         ids=[f"{w[1]}-{c}" for w, c, _, _ in CHECKPOINT_KILLS])
def test_kill_during_a_checkpoint_save_resumes_from_the_last_complete_one(
        tiny_corpus, tmp_path, where, call, step, notice):
    base = tmp_path / "base"
    settings = {"threads": 1, "checkpoint_every": 0.0}

    def crash(event):
        if isinstance(event, CheckpointSaved) and event.step == 6:
            raise _Crash

    with pytest.raises(_Crash):
        Trainer(tiny_job(tiny_corpus, base, **settings)).run(crash)
    folder = tmp_path / "killed"
    shutil.copytree(base, folder)

    def resume_and_save():
        Trainer(tiny_job(tiny_corpus, folder, resume=True, **settings)).run()

    _killed_at(*where, call, resume_and_save)
    resumed = Trainer(tiny_job(tiny_corpus, folder, resume=True, **settings))
    assert resumed.state.step == step
    assert bool(resumed.notices) == notice
    assert not list(folder.glob(".*.tmp"))  # a killed save's temporary file is removed
    assert resumed.run() == "done"


# -- the model -------------------------------------------------------------------
# Saving a model: os.replace(model.pt -> model.prev.pt), save_tensors (temp,
# os.replace), write_json (temp, os.replace), Path.unlink(model.prev.pt).

def _model(seed):
    torch.manual_seed(seed)
    tok = CharTokenizer.build("abcdef ")
    return LSTMLanguageModel(ModelConfig(vocab_size=tok.vocab_size, rnn_size=8,
                                         num_layers=1, embedding_size=4)), tok


MODEL_KILLS = [
    # (where, call, which model loads afterwards, loaded from model.prev.pt)
    ((os, "replace"), 1, "old", False),  # before anything moved
    ((store, "save_tensors"), 1, "old", True),  # model.pt moved aside
    ((os, "replace"), 2, "old", True),  # the new model.pt written, not yet renamed
    ((store, "write_json"), 1, "old", True),  # new model.pt, old config.json
    ((os, "replace"), 3, "old", True),  # the new config.json written, not renamed
    ((pathlib.Path, "unlink"), 1, "new", False),  # complete, model.prev.pt still there
]


@pytest.mark.parametrize("where,call,expected,fallback", MODEL_KILLS,
                         ids=[f"{w[1]}-{c}" for w, c, _, _ in MODEL_KILLS])
def test_kill_during_a_model_save_leaves_a_loadable_model(tmp_path, caplog, where,
                                                          call, expected, fallback):
    folder = tmp_path / "m"
    old, tok = _model(1)
    new, _ = _model(2)
    save_model_dir(folder, old, tok, {"name": "m"})

    _killed_at(*where, call, lambda: save_model_dir(folder, new, tok, {"name": "m"}))
    loaded = load_model_dir(folder).model.state_dict()
    wanted = (old if expected == "old" else new).state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in wanted.items())
    assert ("using model.prev.pt, the weights of the last complete save"
            in caplog.text) == fallback

    # the next save goes through whatever the kill left
    newest, _ = _model(3)
    save_model_dir(folder, newest, tok, {"name": "m"})
    assert not (folder / "model.prev.pt").exists()
    loaded = load_model_dir(folder).model.state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in newest.state_dict().items())


def test_atomic_write_leaves_the_old_file_when_killed(tmp_path):
    path = tmp_path / "f.json"
    checkpoint.write_json(path, {"v": 1})
    _killed_at(os, "replace", 1, lambda: checkpoint.write_json(path, {"v": 2}))
    assert checkpoint.read_json(path) == {"v": 1}
