import pytest
import torch

from lstmwriter.core.config import PRESETS, ModelConfig
from lstmwriter.core.model import LSTMLanguageModel


def test_init_range_draws_every_weight_uniformly_within_it():
    torch.manual_seed(0)
    model = LSTMLanguageModel(ModelConfig(vocab_size=500, rnn_size=32, num_layers=2,
                                          embedding_size=32, init_range=0.1))
    for name, weight in model.named_parameters():
        assert weight.abs().max() <= 0.1, name
        # spread over the range, not left at zero
        assert weight.abs().max() > 0.09, name


def test_default_init_keeps_pytorch_embedding():
    torch.manual_seed(0)
    model = LSTMLanguageModel(ModelConfig(vocab_size=500, rnn_size=32,
                                          embedding_size=32))
    assert model.embedding.weight.abs().max() > 1  # N(0, 1), as nn.Embedding draws it


def test_negative_init_range_is_refused():
    with pytest.raises(ValueError, match="init_range"):
        ModelConfig(vocab_size=10, init_range=-0.1)


@pytest.mark.parametrize("name, size, init, steps, dropout, epochs, clip", [
    ("ptb-small", 200, 0.1, 20, 0.0, 13, 5),
    ("ptb-medium", 650, 0.05, 35, 0.5, 39, 5),
    ("ptb-large", 1500, 0.04, 35, 0.65, 55, 10),
])
def test_ptb_presets_follow_zaremba(name, size, init, steps, dropout, epochs, clip):
    """Their lr 1 and clip norm are for the loss summed over the time steps; ours is
    the per-token mean, so the preset scales them by the number of steps."""
    preset = PRESETS[name]
    assert preset.level == "word"
    assert (preset.model["rnn_size"], preset.model["init_range"],
            preset.model["dropout"]) == (size, init, dropout)
    train = preset.train
    assert (train["seq_length"], train["epochs"], train["batch_size"],
            train["optimizer"]) == (steps, epochs, 20, "sgd")
    assert train["learning_rate"] == pytest.approx(1.0 * steps)
    assert train["grad_clip"] == pytest.approx(clip / steps)
