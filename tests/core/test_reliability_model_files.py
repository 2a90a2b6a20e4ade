"""Model and checkpoint files are data, not code; every bad file is a clear error
(docs/RELIABILITY.md, part 3). The pickle payload in model.pt, a truncated model.pt,
shape, vocabulary-size and format-version mismatches are in test_store.py."""

import json

import pytest
import torch

from lstmwriter.core.checkpoint import ModelFileError, load_tensors, sha256_of
from lstmwriter.core.config import ModelConfig
from lstmwriter.core.events import CheckpointSaved
from lstmwriter.core.model import LSTMLanguageModel
from lstmwriter.core.store import load_model_dir, save_model_dir
from lstmwriter.core.tokenizer import CharTokenizer
from lstmwriter.core.training import Trainer

from .helpers import tiny_job


def _save(folder):
    tok = CharTokenizer.build("abcdef ")
    model = LSTMLanguageModel(ModelConfig(vocab_size=tok.vocab_size, rnn_size=8,
                                          num_layers=1, embedding_size=4))
    save_model_dir(folder, model, tok, {"name": folder.name})
    return model


def _edit_config(folder, change):
    meta = json.loads((folder / "config.json").read_text())
    change(meta)
    (folder / "config.json").write_text(json.dumps(meta))


def _replace_weights(folder, payload):
    """A model.pt of the attacker's choosing, with config.json's checksum to match."""
    torch.save(payload, folder / "model.pt")
    digest = sha256_of((folder / "model.pt").read_bytes())
    _edit_config(folder, lambda meta: meta.update(weights_sha256=digest))


class _Payload:
    """Unpickling this would create a file."""

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (open, (str(self.target), "w"))


def test_missing_weights_file(tmp_path):
    _save(tmp_path / "m")
    (tmp_path / "m" / "model.pt").unlink()
    with pytest.raises(ModelFileError, match=r"model\.pt: file is missing"):
        load_model_dir(tmp_path / "m")


def test_vocabulary_that_disagrees_with_the_weights(tmp_path):
    """The vocabulary and the config agree (7 tokens) but the weights hold 8."""
    folder = tmp_path / "m"
    _save(folder)

    def drop_a_token(meta):
        meta["tokenizer"]["tokens"] = meta["tokenizer"]["tokens"][:-1]
        meta["model"]["vocab_size"] -= 1

    _edit_config(folder, drop_a_token)
    with pytest.raises(ModelFileError, match=r"embedding\.weight has shape \(8, 4\), "
                       r"the config says \(7, 4\)"):
        load_model_dir(folder)


def _state_with(**changes):
    def make(model):
        state = model.state_dict()
        state.update({k: f(state[k]) for k, f in changes.items()})
        return state
    return make


WEIGHTS = [  # (what model.pt holds, given the saved model; the error)
    (lambda model: [1, 2, 3], "expected a dictionary of tensors"),
    (lambda model: "numbers", "expected a dictionary of tensors"),
    (lambda model: {"embedding.weight": torch.zeros(8, 4)},
     "weights do not match the config"),
    (_state_with(**{"head.bias": lambda t: torch.full_like(t, float("inf"))}),
     "head.bias holds non-finite"),
    (_state_with(**{"head.bias": lambda t: torch.zeros(t.shape, dtype=torch.int64)}),
     "head.bias holds non-finite or non-float"),
]
CONFIGS = [  # (a change to config.json; the error)
    (lambda meta: meta.pop("format"), "not an lstmwriter model"),
    (lambda meta: meta.update(format_version="1"), "version '1' is not supported"),
    (lambda meta: meta.update(format_version=0), "version 0 is not supported"),
    (lambda meta: meta.pop("tokenizer"), "bad model description"),
    (lambda meta: meta["model"].update(rnn_size=-3), "bad model description"),
]


@pytest.mark.parametrize("weights,config,message",
                         [(w, None, m) for w, m in WEIGHTS] +
                         [(None, c, m) for c, m in CONFIGS])
def test_each_bad_model_file_is_a_clear_error(tmp_path, weights, config, message):
    folder = tmp_path / "m"
    model = _save(folder)
    if weights is not None:
        _replace_weights(folder, weights(model))
    if config is not None:
        _edit_config(folder, config)
    with pytest.raises(ModelFileError, match=message):
        load_model_dir(folder)


def test_not_a_weights_file_at_all(tmp_path):
    folder = tmp_path / "m"
    _save(folder)
    (folder / "model.pt").write_bytes(b"PK\x03\x04 but not a zip at all" * 10)
    _edit_config(folder, lambda meta: meta.pop("weights_sha256"))
    with pytest.raises(ModelFileError, match="not a readable weights file"):
        load_model_dir(folder)


def test_checkpoint_with_a_pickle_payload_is_refused_and_never_runs(tiny_corpus,
                                                                     tmp_path):
    folder = tmp_path / "m"

    class Crash(Exception):
        pass

    def crash(event):
        if isinstance(event, CheckpointSaved):
            raise Crash

    with pytest.raises(Crash):
        Trainer(tiny_job(tiny_corpus, folder, checkpoint_every=0.0)).run(crash)
    target = tmp_path / "pwned.txt"
    tensors = load_tensors(folder / "checkpoint.pt")
    tensors["rng_cpu"] = _Payload(target)
    torch.save(tensors, folder / "checkpoint.pt")
    meta = json.loads((folder / "checkpoint.json").read_text())
    meta["sha256"] = sha256_of((folder / "checkpoint.pt").read_bytes())
    (folder / "checkpoint.json").write_text(json.dumps(meta))

    with pytest.raises(ModelFileError, match="refused, the file holds objects or code"):
        Trainer(tiny_job(tiny_corpus, folder, resume=True))
    assert not target.exists()
