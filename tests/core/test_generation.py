"""The one token-choosing rule (`choose_tokens`) and the trainer's samples."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstmwriter.core.config import ModelConfig
from lstmwriter.core.generation import choose_tokens, generate_text
from lstmwriter.core.model import LSTMLanguageModel
from lstmwriter.core.sample_options import SampleOptions
from lstmwriter.core.tokenizer import CharTokenizer

from ..conftest import CORPUS_TEXT


@pytest.fixture(scope="module")
def tiny():
    tokenizer = CharTokenizer.build(CORPUS_TEXT)
    torch.manual_seed(0)
    model = LSTMLanguageModel(ModelConfig(tokenizer.vocab_size, rnn_size=16,
                                          num_layers=1, embedding_size=8))
    with torch.no_grad():  # sharper predictions than the default init
        for p in model.parameters():
            p.mul_(3.0)
    return model, tokenizer


def _argmax_text(model, tokenizer, prime: str, length: int) -> str:
    ids = list(tokenizer.encode(prime))
    with torch.no_grad():
        for _ in range(length):
            scores = model(torch.tensor([ids]))[0][0, -1]
            scores[tokenizer.unk_id] = -float("inf")
            ids.append(int(scores.argmax()))
    return tokenizer.decode(ids[-length:])


def test_samples_have_the_length_and_repeat_with_the_seed(tiny):
    model, tokenizer = tiny
    texts = [generate_text(model, tokenizer, "The", 20, 1.0, np.random.default_rng(s))
             for s in (7, 7, 8)]
    assert all(len(t) == 20 for t in texts)
    assert texts[0] == texts[1] != texts[2]
    assert model.training  # left as it was


def test_the_greedy_cut_off_is_the_samplers(tiny):
    model, tokenizer = tiny
    greedy = _argmax_text(model, tokenizer, "The quick", 30)
    assert SampleOptions(temperature=0.005).greedy  # above the old 1e-3 cut-off
    for temperature in (0.0, 0.005, 0.01, -1.0):  # below the range: greedy
        rng = np.random.default_rng(1)
        assert generate_text(model, tokenizer, "The quick", 30, temperature,
                             rng) == greedy


def test_a_temperature_above_the_samplers_range_still_samples(tiny):
    model, tokenizer = tiny
    text = generate_text(model, tokenizer, "", 10, 500.0, np.random.default_rng(0))
    assert len(text) == 10


def test_choose_never_picks_the_unknown_symbol_and_keeps_to_allowed():
    rng = np.random.default_rng(0)
    logits = np.array([[9.0, 1.0, 0.5, 0.0]] * 4)  # the unknown symbol (0) is likeliest
    for temperature in (0.0, 1.0, 50.0):
        options = SampleOptions(temperature=temperature)
        assert 0 not in choose_tokens(logits, options, rng, unk_id=0)
        allowed = np.array([2, 3])
        assert set(choose_tokens(logits, options, rng, 0, allowed)) <= {2, 3}
    greedy = choose_tokens(logits, SampleOptions(temperature=0.0), rng, unk_id=0)
    assert greedy.tolist() == [1, 1, 1, 1]
    one = np.array([[1.0]])  # a vocabulary of the unknown symbol alone
    assert choose_tokens(one, SampleOptions(), rng, unk_id=0).tolist() == [0]
