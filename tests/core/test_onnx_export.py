"""The one-step ONNX graph against PyTorch, run with onnxruntime."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from lstmwriter.core.config import ModelConfig
from lstmwriter.core.model import LSTMLanguageModel
from lstmwriter.core.onnx_export import INPUTS, OUTPUTS, export_onnx
from lstmwriter.core.store import ModelStore, save_model_dir
from lstmwriter.core.tokenizer import CharTokenizer, WordTokenizer, tokenizer_from_dict

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def _stored(tmp_path, tokenizer, **shape):
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = LSTMLanguageModel(ModelConfig(vocab_size=tokenizer.vocab_size, **shape))
    store = ModelStore(tmp_path / "store")
    save_model_dir(store.root / "m", model, tokenizer)
    return store.load("m")


@pytest.mark.parametrize("tokenizer, shape", [
    (CharTokenizer.build("hello, world\n"),
     dict(rnn_size=16, num_layers=2, embedding_size=8, dropout=0.2)),
    (CharTokenizer.build("abc"), dict(rnn_size=12, num_layers=3, embedding_size=0)),
    (WordTokenizer(["the", "cat", "sat"]),
     dict(rnn_size=8, num_layers=1, embedding_size=8, tie_weights=True)),
])
def test_steps_match_pytorch(tmp_path, tokenizer, shape):
    loaded = _stored(tmp_path, tokenizer, **shape)
    export_onnx(loaded, tmp_path / "m.onnx")
    session = ort.InferenceSession(str(tmp_path / "m.onnx"),
                                   providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == list(INPUTS)
    assert [o.name for o in session.get_outputs()] == list(OUTPUTS)
    config = loaded.model.config
    batch, steps = 3, 25
    tokens = np.random.default_rng(0).integers(0, config.vocab_size, (batch, steps))
    h = np.zeros((config.num_layers, batch, config.rnn_size), np.float32)
    c = h.copy()
    state = None
    for t in range(steps):
        logits, h, c = session.run(None, {"token": tokens[:, t], "h": h, "c": c})
        with torch.no_grad():
            want, state = loaded.model(torch.from_numpy(tokens[:, t:t + 1]), state)
        np.testing.assert_allclose(logits, want[:, 0].numpy(), rtol=0, atol=1e-5)
        np.testing.assert_allclose(h, state[0].numpy(), rtol=0, atol=1e-5)
        np.testing.assert_allclose(c, state[1].numpy(), rtol=0, atol=1e-5)


def test_metadata_and_checker(tmp_path):
    tokenizer = CharTokenizer.build("caf\u00e9 au lait\n", lower=True)
    loaded = _stored(tmp_path, tokenizer, rnn_size=8, num_layers=1, embedding_size=4)
    export_onnx(loaded, tmp_path / "sub" / "m.onnx")
    model = onnx.load(str(tmp_path / "sub" / "m.onnx"))
    onnx.checker.check_model(model, full_check=True)
    props = {p.key: p.value for p in model.metadata_props}
    assert tokenizer_from_dict(json.loads(props["lstmwriter.tokenizer"])).tokens \
        == tokenizer.tokens
    assert json.loads(props["lstmwriter.model"]) == loaded.model.config.to_dict()
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["m.onnx"]  # no temp file
