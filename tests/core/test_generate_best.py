"""`lstmwriter generate --best`: the app's best guess, not a sample."""

from __future__ import annotations

import json

import pytest
import torch

from lstmwriter.cli import main
from lstmwriter.core.config import ModelConfig
from lstmwriter.core.ghost import GhostOptions, GhostPredictor
from lstmwriter.core.model import LSTMLanguageModel
from lstmwriter.core.sample_options import GHOST_AMOUNTS
from lstmwriter.core.sampling import Sampler
from lstmwriter.core.store import ModelStore, save_model_dir
from lstmwriter.core.tokenizer import CharTokenizer
from lstmwriter.core.word_memory import MEMORY_FILE, WordMemory, load_memory

from ..conftest import CORPUS_TEXT


@pytest.fixture
def tiny_model() -> str:
    """A random-weight char model with a memory of the corpus's words, so the
    memory makes it sure of some words."""
    torch.manual_seed(0)
    tokenizer = CharTokenizer.build(CORPUS_TEXT)
    model = LSTMLanguageModel(ModelConfig(tokenizer.vocab_size, 16, 1, 8))
    folder = ModelStore().root / "tiny"
    save_model_dir(folder, model, tokenizer)
    WordMemory.build([CORPUS_TEXT]).save(folder / MEMORY_FILE)
    return "tiny"


def _expected(seed: str, options: GhostOptions | None = None
              ) -> tuple[str, float | None]:
    loaded = ModelStore().load("tiny")
    sampler = Sampler(loaded)
    sampler.set_context(seed)
    predictor = GhostPredictor(sampler, load_memory(loaded.path), options)
    units = list(predictor.units())
    return "".join(u for u, _ in units), (units[-1][1] if units else None)


def test_best_prints_the_ghost_predictors_guess(tiny_model, capsys):
    seed = "The quick brown "
    text, probability = _expected(seed)
    threshold = GhostOptions().threshold
    assert text and probability >= threshold  # the memory knows what follows
    assert main(["generate", tiny_model, "--seed", seed, "--best"]) == 0
    assert capsys.readouterr().out == text + "\n"
    assert main(["generate", tiny_model, "--seed", seed, "--best", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row == {"text": text, "probability": pytest.approx(probability)}


def test_best_prints_nothing_when_unsure(tiny_model, capsys):
    seed = "Zebra "  # a word the memory has never seen: no guess clears the bar
    assert _expected(seed) == ("", None)
    assert main(["generate", tiny_model, "--seed", seed, "--best"]) == 0
    assert capsys.readouterr().out == ""
    assert main(["generate", tiny_model, "--seed", seed, "--best", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"text": "", "probability": None}


def test_amount_sets_how_sure_the_best_guess_must_be(tiny_model, capsys, monkeypatch):
    monkeypatch.setitem(GHOST_AMOUNTS, "more", 0.01)
    monkeypatch.setitem(GHOST_AMOUNTS, "fewer", 1.0)
    seed = "The quick brown "
    eager, _ = _expected(seed, GhostOptions(threshold=0.01))
    assert len(eager) > len(_expected(seed)[0])
    for amount, expected in [("more", eager), ("fewer", "")]:
        assert main(["generate", tiny_model, "--seed", seed, "--best", "--json",
                     "--amount", amount]) == 0
        assert json.loads(capsys.readouterr().out)["text"] == expected
    assert main(["generate", tiny_model, "--best", "--amount", "lots"]) == 2
    assert "invalid choice: 'lots'" in capsys.readouterr().err
