"""The functions the window's Model menu runs on a worker thread: export a
model folder, import an ml5.js folder back into the store by name."""

from __future__ import annotations

import pytest
import torch

from lstmwriter.core.config import ModelConfig
from lstmwriter.core.model import LSTMLanguageModel
from lstmwriter.core.model_io import export_model, export_model_dir, import_ml5_model
from lstmwriter.core.store import ModelStore, save_model_dir
from lstmwriter.core.tokenizer import CharTokenizer


def _saved(store: ModelStore, name: str, layers: int = 2):
    tokenizer = CharTokenizer.build("The quick brown fox jumps over the lazy dog.")
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = LSTMLanguageModel(ModelConfig(vocab_size=tokenizer.vocab_size,
                                              rnn_size=16, num_layers=layers,
                                              embedding_size=16, dropout=0.0))
    save_model_dir(store.root / name, model, tokenizer, {"name": name})
    return store.root / name


def test_an_exported_ml5_folder_imports_back_under_a_free_name(tmp_path):
    store = ModelStore(tmp_path / "store")
    folder = _saved(store, "mine")
    out = tmp_path / "mine"
    assert export_model_dir(folder, "ml5", out) == str(out)
    assert (out / "manifest.json").is_file()
    name = import_ml5_model(out, store)
    assert name == "mine-2"  # "mine" is taken
    assert store.load(name).tokenizer.tokens == store.load("mine").tokenizer.tokens


def test_what_a_format_cannot_hold_or_an_unknown_format_is_refused(tmp_path):
    store = ModelStore(tmp_path / "store")
    folder = _saved(store, "one", layers=1)
    with pytest.raises(ValueError, match="2-layer"):
        export_model_dir(folder, "ml5", tmp_path / "out")
    with pytest.raises(ValueError, match="unknown export format 'tflite'"):
        export_model(store.load("one"), "tflite", tmp_path / "out")
