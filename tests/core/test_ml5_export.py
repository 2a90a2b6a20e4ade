"""ml5 export of models whose embedding is narrower than the LSTM (every preset's
default): padded with zeros, exact, and importable again with the same logits."""

from __future__ import annotations

import pytest
import torch

from lstmwriter.core.config import ModelConfig
from lstmwriter.core.ml5 import export_ml5, import_ml5, ml5_problem, read_ml5
from lstmwriter.core.store import DEFAULT_MODEL_NAME, ModelStore, bundled_model_dir

TEXT = "It was the best of times, it was the worst of times.\nCall me Ishmael. " * 4


def _same_logits(original, back, text: str) -> None:
    ids = torch.from_numpy(original.tokenizer.encode(text))
    assert (ids != original.tokenizer.unk_id).all()
    with torch.no_grad():
        want, (h1, c1) = original.model.eval()(ids[None])
        got, (h2, c2) = back.model(ids[None])
    torch.testing.assert_close(got[..., 1:], want[..., 1:], rtol=0, atol=1e-4)
    torch.testing.assert_close((h2, c2), (h1, c1), rtol=1e-5, atol=1e-5)


def test_the_bundled_model_exports_and_imports_back_exactly(tmp_path):
    if bundled_model_dir() is None:
        pytest.skip("the bundled model is not installed")
    store = ModelStore(tmp_path / "store")
    default = store.load(DEFAULT_MODEL_NAME)
    config = default.model.config
    assert config.input_size < config.rnn_size  # 64 into 256 LSTM units
    export_ml5(default, tmp_path / "ml5")
    weights, _vocab = read_ml5(tmp_path / "ml5")
    assert weights.embedding.shape[1] == config.rnn_size
    padding = weights.embedding[:, config.input_size:]
    first_kernel_rows = weights.kernels[0][config.input_size:config.rnn_size]
    assert not padding.any() and not first_kernel_rows.any()
    assert weights.kernels[1].shape == (512, 1024)  # the second layer is as it was
    back = store.load(import_ml5(tmp_path / "ml5", store, "back").name)
    assert back.tokenizer.tokens == default.tokenizer.tokens
    _same_logits(default, back, TEXT)


@pytest.mark.parametrize("level, shape, problem", [
    ("char", dict(embedding_size=64), None),
    ("char", dict(embedding_size=0), None),  # 0: as wide as the LSTM
    ("char", dict(embedding_size=512), "wider than its 256"),
    ("char", dict(num_layers=1), "2-layer models only"),
    ("word", {}, "character models only"),
])
def test_ml5_problem_is_known_before_exporting(level, shape, problem):
    config = ModelConfig(vocab_size=50, rnn_size=256, **{"num_layers": 2, **shape})
    found = ml5_problem("m", level, config)
    assert (found is None) if problem is None else (problem in found)
    assert found is None or "\n" not in found and "--" not in found

