"""evaluate() and `lstmwriter eval`: every token scored with all its left context,
characters outside the vocabulary skipped and counted."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lstmwriter.cli import main
from lstmwriter.core.config import ModelConfig
from lstmwriter.core.evaluation import evaluate
from lstmwriter.core.model import LSTMLanguageModel
from lstmwriter.core.store import save_model_dir
from lstmwriter.core.tokenizer import CharTokenizer

TEXT = ("It was a bright cold day in April, and the clocks were striking thirteen.\n"
        "Winston Smith, his chin nuzzled into his breast, slipped quickly through.\n")


@pytest.fixture
def tokenizer() -> CharTokenizer:
    return CharTokenizer.build(TEXT)


@pytest.fixture
def model(tokenizer) -> LSTMLanguageModel:
    with torch.random.fork_rng():
        torch.manual_seed(0)
        return LSTMLanguageModel(ModelConfig(vocab_size=tokenizer.vocab_size,
                                             rnn_size=16, num_layers=2,
                                             embedding_size=8, dropout=0.0))


def target_nats(model: LSTMLanguageModel, ids: np.ndarray) -> np.ndarray:
    """-log p of ids[1:], each from one full-sequence forward pass (float64 sums)."""
    tokens = torch.from_numpy(np.asarray(ids, np.int64))
    with torch.no_grad():
        logits, _ = model.eval()(tokens[None, :-1])
        nats = F.cross_entropy(logits[0], tokens[1:], reduction="none")
    return nats.double().numpy()


def test_one_call_equals_a_full_forward_pass(model, tokenizer):
    ids = tokenizer.encode(TEXT * 3)
    result = evaluate(model, ids, seq_length=16)  # state carried over 28 windows
    assert result.tokens == len(ids) - 1
    assert result.loss * result.tokens == pytest.approx(target_nats(model, ids).sum(),
                                                        rel=1e-5)


def test_parallel_streams_score_every_token_after_their_burn_in(model, tokenizer):
    """Stream k scores its part of the targets after reading the `burn_in` tokens
    before it, exactly as a fresh forward pass from there would."""
    ids = tokenizer.encode(TEXT * 2)
    result = evaluate(model, ids, streams=5, burn_in=6, seq_length=7)
    parts = np.array_split(np.arange(1, len(ids)), 5)
    expected = sum(target_nats(model, ids[max(0, p[0] - 7) : p[-1] + 1])[-len(p):].sum()
                   for p in parts)
    assert result.tokens == len(ids) - 1
    assert result.loss * result.tokens == pytest.approx(expected, rel=1e-5)
    # ... and with a real burn-in a short text is one stream: exact
    exact = evaluate(model, ids, streams=5)
    assert exact.loss * exact.tokens == pytest.approx(target_nats(model, ids).sum(),
                                                      rel=1e-5)


def test_unknown_targets_are_skipped_and_counted(model, tokenizer):
    text = "It was a bright cold day in Ápril, and the clocks were striking 13.\n"
    ids = tokenizer.encode(text)
    unknown = ids[1:] == tokenizer.unk_id
    assert unknown.sum() == 3  # Á, 1, 3
    result = evaluate(model, ids, skip_id=tokenizer.unk_id, seq_length=10)
    assert result.unknown_tokens == 3
    assert result.tokens == len(ids) - 1 - 3
    # the unknown symbol is still read as input: the known targets after it keep
    # the full pass's figures
    assert result.loss == pytest.approx(target_nats(model, ids)[~unknown].mean(),
                                        rel=1e-5)
    with pytest.raises(ValueError, match="vocabulary"):
        evaluate(model, tokenizer.encode("a€€€"), skip_id=tokenizer.unk_id)


def test_eval_scores_a_47_character_file_as_46_tokens(tmp_path, model, tokenizer,
                                                       capsys):
    save_model_dir(tmp_path / "m", model, tokenizer, {"name": "m"})
    text = tmp_path / "short.txt"
    text.write_text(TEXT[:47], encoding="utf-8")
    assert main(["eval", str(tmp_path / "m"), str(text), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["tokens"] == 46 and result["unknown_tokens"] == 0
    ids = tokenizer.encode(TEXT[:47])
    assert result["loss"] == pytest.approx(target_nats(model, ids).mean(), rel=1e-5)


def test_eval_says_how_many_characters_it_skipped(tmp_path, model, tokenizer, capsys):
    save_model_dir(tmp_path / "m", model, tokenizer, {"name": "m"})
    text = tmp_path / "accents.txt"
    words = "Ábright cold day in Ápril, and the clocks were striking 13."
    text.write_text(words, encoding="utf-8")
    assert main(["eval", str(tmp_path / "m"), str(text), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["unknown_tokens"] == 3  # the first Á is context, not a target
    assert result["tokens"] == len(words) - 1 - 3
    assert main(["eval", str(tmp_path / "m"), str(text)]) == 0
    out = capsys.readouterr().out
    assert "3 characters are outside the model's vocabulary: skipped" in out
