"""`lstmwriter generate` applies the suggestion pane's rule: an alternative that is
only whitespace is never printed, and identical ones are printed once."""

from __future__ import annotations

import json

import pytest
import torch

from lstmwriter.cli import main
from lstmwriter.core.alternatives import is_blank, offered_alternatives
from lstmwriter.core.config import ModelConfig
from lstmwriter.core.model import LSTMLanguageModel
from lstmwriter.core.store import ModelStore, save_model_dir
from lstmwriter.core.tokenizer import CharTokenizer

from ..conftest import CORPUS_TEXT


@pytest.fixture
def spacey_model() -> str:
    """A char model that writes little but spaces and line breaks, and sometimes
    an "x" (random weights, head biased)."""
    torch.manual_seed(0)
    tokenizer = CharTokenizer.build(CORPUS_TEXT + "x")
    model = LSTMLanguageModel(ModelConfig(tokenizer.vocab_size, 16, 1, 8))
    with torch.no_grad():
        model.head.bias.fill_(-30.0)
        model.head.bias[tokenizer.id_of(" ")] = 4.0
        model.head.bias[tokenizer.id_of("\n")] = 3.0
        model.head.bias[tokenizer.id_of("x")] = 0.0
    save_model_dir(ModelStore().root / "spacey", model, tokenizer)
    return "spacey"


def test_the_rule():
    assert is_blank("") and is_blank(" \n\t ") and not is_blank(" a ")
    texts = ["\n", " " * 199, " a", "b", " a", "", "b "]
    assert offered_alternatives(texts) == [2, 3, 6]


def test_blank_and_repeated_alternatives_are_not_printed(spacey_model, capsys):
    args = ["generate", spacey_model, "--seed", "x\n", "--num", "9", "--length", "6",
            "--random-seed", "5", "--temperature", "1", "--json"]
    assert main(args) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    texts = [r["text"] for r in rows]
    assert rows and len(rows) < 9  # some were blank or the same
    assert all(not is_blank(t) for t in texts) and len(set(texts)) == len(texts)
    assert main(args[:-1]) == 0  # plain lines: the same ones
    lines = capsys.readouterr().out.splitlines()
    assert lines == [t.replace("\n", "\\n") for t in texts]


def test_a_blank_single_continuation_prints_only_the_seed(spacey_model, capsys):
    assert main(["generate", spacey_model, "--seed", "x", "--length", "40",
                 "--temperature", "0"]) == 0
    assert capsys.readouterr().out == "x\n"
