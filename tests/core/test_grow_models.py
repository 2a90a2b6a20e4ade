"""benchmarks/grow_models.py: a widened model predicts as before, and its new
units can learn (all-zero ones cannot)."""

import importlib
from pathlib import Path

import pytest
import torch

from lstmwriter.core.config import ModelConfig
from lstmwriter.core.model import LSTMLanguageModel

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture
def grow(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    return importlib.import_module("grow_models")


def _gradients(model: LSTMLanguageModel) -> dict[str, torch.Tensor]:
    tokens = torch.randint(20, (3, 30), generator=torch.Generator().manual_seed(2))
    logits, _ = model.train()(tokens[:, :-1])
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 20),
                                             tokens[:, 1:].reshape(-1))
    model.zero_grad()
    loss.backward()
    return {name: p.grad for name, p in model.named_parameters(remove_duplicate=False)}


@pytest.mark.parametrize("tied", [False, True])
def test_grown_model_predicts_as_before_and_its_new_units_learn(grow, tied):
    torch.manual_seed(0)
    config = ModelConfig(vocab_size=20, rnn_size=8, embedding_size=8 if tied else 6,
                         tie_weights=tied)
    small = LSTMLanguageModel(config)
    wide = grow.grown(small, 12)
    assert wide.config.rnn_size == 12
    assert grow.same_predictions(small, wide, 20)

    def read_by_others(model):  # gradients of the weights that read the new units
        grads = _gradients(model)
        return [grads["lstm.weight_hh_l0"][:, 8:], grads["lstm.weight_ih_l1"][:, 8:],
                grads["head.weight"][:, 8:]]

    assert all(g.abs().sum() > 0 for g in read_by_others(wide))
    zeros = grow.padded(small, 12)
    assert all(g.abs().sum() == 0 for g in read_by_others(zeros))
