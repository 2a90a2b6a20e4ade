"""The word LSTM beside the character model: its probabilities, its reading of
the text, where the store finds it, and the ghost text that mixes it in."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest
import torch

from lstmwriter.core.config import ModelConfig, TrainConfig
from lstmwriter.core.corpus import prepare_corpus, split_ids
from lstmwriter.core.ghost import GhostOptions, GhostPredictor
from lstmwriter.core.sampling import Sampler
from lstmwriter.core.store import (
    WORD_MODEL_DIR,
    load_model_dir,
    save_model_dir,
    word_model_of,
)
from lstmwriter.core.training import Trainer, TrainingJob
from lstmwriter.core.word_lstm import WordLSTM, context_words
from lstmwriter.core.word_memory import load_memory, words_of

from .helpers import TINY_TRAIN, tiny_job

TEXT = ("The captain walked to the harbour. The sailors waited by the boats, and "
        "the captain spoke to the sailors about the storm.\n") * 30


def _word_lines(text: str) -> str:
    return "\n".join(" ".join(words_of(line)) for line in text.split("\n"))


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """(a character model, the same with a word LSTM in its folder)."""
    root = tmp_path_factory.mktemp("words")
    chars, words = root / "chars", root / "words"
    chars.mkdir()
    words.mkdir()
    (chars / "sea.txt").write_text(TEXT, encoding="utf-8")
    (words / "sea.txt").write_text(_word_lines(TEXT), encoding="utf-8")
    char_model = root / "sea"
    Trainer(tiny_job(chars, char_model, epochs=3, learning_rate=2e-2)).run()
    corpus = prepare_corpus(words, level="word", split_punctuation=False)
    train_ids, valid_ids = split_ids(corpus.ids, 0.1)
    word_model = root / "sea-words"
    Trainer(TrainingJob(
        name="sea-words", model_dir=word_model, train_ids=train_ids,
        valid_ids=valid_ids, tokenizer=corpus.tokenizer,
        model_config=ModelConfig(vocab_size=corpus.tokenizer.vocab_size, rnn_size=24,
                                 num_layers=2, embedding_size=24, dropout=0.0,
                                 tie_weights=True),
        train_config=TrainConfig(**{**TINY_TRAIN, "epochs": 30, "seq_length": 8,
                                    "learning_rate": 3e-2}),
        corpus=corpus.report.to_dict())).run()
    both = root / "sea-both"
    shutil.copytree(char_model, both)
    shutil.copytree(word_model, both / WORD_MODEL_DIR)
    return char_model, both


def test_probabilities_sum_to_one_under_a_prefix_and_follow_the_text(models):
    words = word_model_of(load_model_dir(models[1]))
    assert isinstance(words, WordLSTM)
    words.set_context(context_words("The captain walked to the"))
    vocab = [w for w in words._tokens if w in words]
    for prefix in ("", "s", "ha", "The"):
        known = [w for w in vocab if w.startswith(prefix)]
        assert words.prob(known, [], prefix).sum() == pytest.approx(1.0)
    assert words.candidates([], "", 1) == ["harbour"]
    assert words.candidates([], "s", 2)[0] in ("sailors", "storm")
    assert words.prob(["nowhere"], [], "").tolist() == [0.0]
    assert words.candidates([], "zz", 3) == []
    # after a word the ghost itself would add
    assert words.candidates(["harbour", "The"], "", 1) == ["sailors"]


def test_reading_in_steps_equals_reading_at_once(models):
    loaded = load_model_dir(models[1] / WORD_MODEL_DIR)
    text = _word_lines(TEXT[:400])
    steps, once = WordLSTM(loaded), WordLSTM(loaded)
    for end in range(1, len(text) + 1, 7):  # as the writer types
        steps.set_context(context_words(text[:end]))
    steps.set_context(context_words(text))
    once.set_context(context_words(text))
    assert len(context_words(text)) == 64  # the window slid forward as they typed
    vocab = [w for w in steps._tokens if w in steps]
    # the one that read everything knows more than the last 64 words: close, not equal
    assert np.abs(steps.prob(vocab, [], "") - once.prob(vocab, [], "")).max() < 0.1
    edited = WordLSTM(loaded)  # an edit: the window is read afresh
    edited.set_context(context_words(text + " storm"))
    edited.set_context(context_words(text))
    np.testing.assert_allclose(edited.prob(vocab, [], ""), once.prob(vocab, [], ""),
                               atol=1e-6)


def test_context_words_mark_paragraph_ends():
    assert context_words("One two.\n\nThree four") == ["One", "two", "<eos>", "Three",
                                                      "four"]
    assert len(context_words("word " * 500)) == 64


def test_tied_weights_are_saved_once_and_in_half_precision(models, tmp_path):
    loaded = load_model_dir(models[1] / WORD_MODEL_DIR)
    save_model_dir(tmp_path / "half", loaded.model, loaded.tokenizer, half=True)
    state = torch.load(tmp_path / "half" / "model.pt", weights_only=True)
    assert "head.weight" not in state
    assert {v.dtype for v in state.values()} == {torch.float16}
    again = load_model_dir(tmp_path / "half")
    assert again.model.head.weight is again.model.embedding.weight
    assert again.model.head.weight.dtype == torch.float32
    torch.testing.assert_close(again.model.embedding.weight,
                               loaded.model.embedding.weight, atol=1e-3, rtol=1e-3)


def test_the_store_finds_the_models_own_word_model_only(models, tmp_path):
    char_model, both = models
    assert word_model_of(load_model_dir(char_model)) is None
    one, two = word_model_of(load_model_dir(both)), word_model_of(load_model_dir(both))
    assert isinstance(one, WordLSTM) and one is not two  # one per document
    child = tmp_path / "child"  # fine-tuned from a model with a word LSTM
    shutil.copytree(char_model, child)
    shutil.copytree(both, tmp_path / "sea-both")
    loaded = load_model_dir(child)
    loaded.meta["init_from"] = "sea-both"
    assert word_model_of(loaded) is None
    (child / WORD_MODEL_DIR).mkdir()  # damaged: no config.json
    assert word_model_of(load_model_dir(child)) is None


@pytest.mark.parametrize("context", ["The captain walked to the harb",
                                     "The sailors waited by the ", "the captain sp",
                                     "storm.\nThe", "x"])
def test_the_ghost_with_a_word_model_completes_only_known_words(models, context):
    loaded = load_model_dir(models[1])
    sampler = Sampler(loaded)
    ghost = GhostPredictor.of_model(sampler, GhostOptions(threshold=0.0))
    assert ghost.words is not None
    sampler.set_context(context)
    memory = load_memory(models[1])
    typed = re.search(r"\w*\Z", context).group(0)
    text = ""
    for unit, prob in ghost.units():
        assert re.fullmatch(r"\W*\w+", unit) and 0.0 < prob <= 1.0
        word = re.search(r"\w+\Z", unit).group(0)
        if not text and typed and unit[0].isalnum():
            word = typed + word
        assert word in memory
        text += unit
    assert text


def test_the_word_model_sharpens_the_obvious_next_word(models):
    guesses = []
    for folder in models:
        sampler = Sampler(load_model_dir(folder))
        ghost = GhostPredictor.of_model(sampler, GhostOptions(threshold=0.0))
        sampler.set_context("The sailors waited by the ")
        guesses.append(ghost.first_candidates()[0])
    assert guesses[0][0] == guesses[1][0] == "boats"
    assert guesses[1][1] > guesses[0][1]


def test_the_next_words_are_ready_when_the_writer_finishes_a_word(models, monkeypatch):
    words = word_model_of(load_model_dir(models[1]))
    words.set_context(context_words("The captain walked to the "))
    vocab = [w for w in words._tokens if w in words]
    ahead = words.prob(vocab, ["harbour"], "")  # the ghost took "harbour" as done
    calls = []
    logits = words.net.logits
    monkeypatch.setattr(words.net, "logits", lambda h: calls.append(1) or logits(h))
    words.set_context(context_words("The captain walked to the harbour"))
    np.testing.assert_array_equal(words.prob(vocab, [], ""), ahead)
    assert not calls  # no new distribution over the vocabulary was computed
