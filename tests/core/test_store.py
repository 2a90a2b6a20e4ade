import json

import pytest
import torch

from lstmwriter.core.checkpoint import ModelFileError
from lstmwriter.core.config import ModelConfig
from lstmwriter.core.model import LSTMLanguageModel
from lstmwriter.core.store import ModelStore, load_model_dir, save_model_dir
from lstmwriter.core.tokenizer import CharTokenizer


def _save(folder, name="m"):
    tok = CharTokenizer.build("abcdef ")
    model = LSTMLanguageModel(ModelConfig(vocab_size=tok.vocab_size, rnn_size=8,
                                          num_layers=1, embedding_size=4))
    save_model_dir(folder, model, tok, {"name": name})
    return model


class _Payload:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (open, (str(self.target), "w"))


def test_list_rename_delete():
    store = ModelStore()
    _save(store.root / "alpha")
    _save(store.root / "beta")
    names = [m.name for m in store.list() if not m.read_only]
    assert names == ["alpha", "beta"]
    store.rename("alpha", "gamma")
    assert store.load("gamma").meta["name"] == "gamma"
    store.delete("beta")
    assert [m.name for m in store.list() if not m.read_only] == ["gamma"]
    with pytest.raises(ValueError):
        store.rename("gamma", "../escape")
    with pytest.raises(ValueError):
        store.check_name("default")


def test_load_by_path_and_device_neutral(tmp_path):
    model = _save(tmp_path / "somewhere")
    loaded = ModelStore().load(str(tmp_path / "somewhere"))
    state = torch.load(tmp_path / "somewhere" / "model.pt", weights_only=True)
    assert all(t.device.type == "cpu" for t in state.values())
    x = torch.tensor([[1, 2, 3]])
    assert torch.equal(model.eval()(x)[0], loaded.model(x)[0])


def test_pickle_payload_is_refused_and_never_runs(tmp_path):
    folder = tmp_path / "evil"
    _save(folder)
    target = tmp_path / "pwned.txt"
    torch.save({"embedding.weight": _Payload(target)}, folder / "model.pt")
    meta = json.loads((folder / "config.json").read_text())
    meta.pop("weights_sha256")
    (folder / "config.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="refused"):
        load_model_dir(folder)
    assert not target.exists()


def test_damaged_and_foreign_files_get_clear_errors(tmp_path):
    folder = tmp_path / "m"
    _save(folder)
    data = (folder / "model.pt").read_bytes()
    (folder / "model.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="checksum"):
        load_model_dir(folder)

    _save(folder)
    meta = json.loads((folder / "config.json").read_text())
    meta["model"]["rnn_size"] = 12
    (folder / "config.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="shape"):
        load_model_dir(folder)

    meta["model"]["rnn_size"] = 8
    meta["tokenizer"]["tokens"] = meta["tokenizer"]["tokens"][:-1]
    (folder / "config.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="vocabulary"):
        load_model_dir(folder)

    meta["format_version"] = 99
    (folder / "config.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="version 99"):
        load_model_dir(folder)

    (folder / "config.json").write_text("{not json")
    with pytest.raises(ModelFileError, match="JSON"):
        load_model_dir(folder)
    with pytest.raises(ModelFileError, match="no model named"):
        ModelStore().load("nothing-here")
