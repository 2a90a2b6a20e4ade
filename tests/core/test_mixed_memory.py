"""A fine-tuned model's word memory: its own corpus backed by the memory of the
model it started from (`MixedMemory`, `store.memory_of`)."""

from __future__ import annotations

import shutil

import pytest

from lstmwriter.core.store import load_model_dir, memory_of
from lstmwriter.core.training import Trainer
from lstmwriter.core.word_memory import MEMORY_FILE, MixedMemory, WordMemory

from .helpers import tiny_job

OWN = "The captain walked to the harbour. The sailors waited by the boats. " * 20
BASE = "The lighthouse keeper climbed the stairs. A storm rolled over the bay. " * 20


def test_mixture_sums_to_one_and_falls_back_to_the_part_that_knows_the_prefix():
    own, base = WordMemory.build([OWN]), WordMemory.build([BASE])
    mixed = MixedMemory([(0.7, own), (0.3, base)])
    vocab = sorted(set(own.vocab) | set(base.vocab))
    for history in ([], ["the"], ["by", "the"], ["unseen"]):
        for prefix in ("", "s", "T", "li"):
            words = [w for w in vocab if w.startswith(prefix)]
            total = mixed.prob(words, history, prefix).sum()
            assert total == pytest.approx(1.0), (history, prefix)
    # "li" is only in the base: its words get the whole probability
    assert mixed.prob(["lighthouse"], ["the"], "li").tolist() == pytest.approx([1.0])
    both = mixed.prob(["the"], ["by"])[0]
    assert both == pytest.approx(0.7 * own.prob(["the"], ["by"])[0]
                                 + 0.3 * base.prob(["the"], ["by"])[0])
    assert "lighthouse" in mixed and "harbour" in mixed and "nowhere" not in mixed
    assert mixed.has_prefix("li") and not mixed.has_prefix("zz")
    assert mixed.candidates(["the"], "st", 3).words == ["storm", "stairs"] or \
        mixed.candidates(["the"], "st", 3).words == ["stairs", "storm"]
    assert mixed.candidates(["the"], "zz", 3).words == []
    with pytest.raises(ValueError):
        MixedMemory([(0.0, own)])


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory):
    """A store folder with `base` and `mine` (fine-tuned from `base`), each with
    a memory of its own text."""
    root = tmp_path_factory.mktemp("store")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "own.txt").write_text(OWN, encoding="utf-8")
    mine = root / "models" / "mine"
    Trainer(tiny_job(corpus, mine, epochs=1)).run()
    shutil.copytree(mine, root / "models" / "base")
    WordMemory.build([BASE]).save(root / "models" / "base" / MEMORY_FILE)
    return root / "models"


def test_a_fine_tuned_model_draws_on_its_starting_models_memory(store_dir):
    loaded = load_model_dir(store_dir / "mine")
    loaded.meta["init_from"] = "base"
    memory = memory_of(loaded)
    assert isinstance(memory, MixedMemory)
    assert "harbour" in memory and "lighthouse" in memory
    assert [w for w, _ in memory.parts] == pytest.approx([0.7, 0.3])
    only_own = memory_of(loaded, base_weight=0.0)
    assert isinstance(only_own, WordMemory) and "lighthouse" not in only_own


@pytest.mark.parametrize("init_from", [None, "", "mine", "gone", "../base"])
def test_without_a_usable_starting_model_the_own_memory_is_used(store_dir,
                                                               init_from):
    loaded = load_model_dir(store_dir / "mine")
    loaded.meta["init_from"] = init_from
    memory = memory_of(loaded)
    assert isinstance(memory, WordMemory)
    assert "harbour" in memory and "lighthouse" not in memory


def test_the_starting_models_memory_alone_when_the_model_has_none(store_dir,
                                                                  tmp_path):
    shutil.copytree(store_dir / "mine", tmp_path / "mine")
    shutil.copytree(store_dir / "base", tmp_path / "base")
    (tmp_path / "mine" / MEMORY_FILE).unlink()
    loaded = load_model_dir(tmp_path / "mine")
    loaded.meta["init_from"] = "base"
    memory = memory_of(loaded)
    assert isinstance(memory, WordMemory) and "lighthouse" in memory


def test_a_memory_is_read_once_while_its_file_stays_the_same(store_dir, tmp_path):
    shutil.copytree(store_dir / "mine", tmp_path / "mine")
    loaded = load_model_dir(tmp_path / "mine")
    first = memory_of(loaded)
    assert memory_of(loaded) is first  # the run being trained is reloaded often
    WordMemory.build([BASE]).save(tmp_path / "mine" / MEMORY_FILE)
    again = memory_of(loaded)
    assert again is not first and "lighthouse" in again
