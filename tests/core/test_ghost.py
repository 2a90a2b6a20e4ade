"""The best-guess ghost text, its word memory, document adaptation and the
usefulness protocol, on a tiny model trained in the test."""

from __future__ import annotations

import hashlib
import importlib.util
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from lstmwriter.core.adapt import DocumentAdapter
from lstmwriter.core.ghost import (
    GhostOptions,
    GhostPredictor,
    first_unit,
    keystrokes_saved,
)
from lstmwriter.core.sampling import Sampler
from lstmwriter.core.store import load_model_dir
from lstmwriter.core.training import Trainer
from lstmwriter.core.word_memory import (
    MEMORY_FILE,
    DocumentMemory,
    WordMemory,
    load_memory,
    words_of,
)

from .helpers import tiny_job

ROOT = Path(__file__).resolve().parents[2]
TEXT = ("The captain walked to the harbour. The sailors waited by the boats, and "
        "the captain spoke to the sailors about the storm. ") * 30
_UNIT = re.compile(r"\W*\w+\Z")


def _usefulness():
    spec = importlib.util.spec_from_file_location(
        "usefulness", ROOT / "benchmarks" / "usefulness.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("usefulness", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("ghost")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "sea.txt").write_text(TEXT, encoding="utf-8")
    model_dir = root / "sea"
    Trainer(tiny_job(corpus, model_dir, epochs=3, learning_rate=2e-2)).run()
    return model_dir


# -- the memory -----------------------------------------------------------------------
def test_memory_probabilities_sum_to_one_under_any_prefix():
    memory = WordMemory.build([TEXT, "A storm came. The sails tore."])
    for history in ([], ["the"], ["to", "the"], ["unseen", "words"]):
        for prefix in ("", "s", "sa", "The"):
            lo = [w for w in memory.vocab if w.startswith(prefix)]
            total = memory.prob(lo, history, prefix).sum()
            assert total == pytest.approx(1.0), (history, prefix)
    assert memory.prob(["nowhere"], ["the"]).tolist() == [0.0]


def test_memory_ranks_what_followed_the_history():
    memory = WordMemory.build([TEXT])
    assert memory.candidates(["to", "the"], "", 2).words[0] == "harbour" or \
        memory.candidates(["to", "the"], "", 2).words[0] == "sailors"
    assert memory.candidates(["the"], "sa", 3).words == ["sailors"]
    assert memory.candidates(["the"], "zz", 3).words == []


def test_memory_file_round_trip_and_damage(tmp_path):
    memory = WordMemory.build([TEXT])
    path = tmp_path / MEMORY_FILE
    memory.save(path)
    again = WordMemory.load(path)
    assert again.vocab == memory.vocab
    words = memory.vocab
    assert np.allclose(again.prob(words, ["the"]), memory.prob(words, ["the"]))
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError):
        WordMemory.load(path)
    assert load_memory(tmp_path) is None


def test_document_memory_follows_the_text():
    doc = DocumentMemory()
    doc.set_words(words_of("Mirabel met Quentin. Mirabel"))
    assert "Quentin" in doc and doc.candidates(["Mirabel"], "", 3) == ["met"]
    doc.set_words(words_of("Mirabel left"))  # an edit before the end: rebuilt
    assert "Quentin" not in doc and len(doc) == 2


def test_document_memory_expects_a_phrase_of_the_document_again():
    doc = DocumentMemory()
    doc.set_words(words_of("The lamp was lit. The door was open. The lamp was"))
    history = ["lamp", "was"]
    assert doc.candidates(history, "", 1) == ["lit"]
    assert doc.prob(["lit"], history)[0] > 0.6  # 0.39 with the corpus's discount
    assert np.isclose(doc.prob(sorted(set(doc.words)), history).sum(), 1.0)


def test_training_saves_the_memory_of_its_corpus(trained):
    memory = load_memory(trained)
    assert memory is not None and "captain" in memory and "harbour" in memory


# -- the ghost text -------------------------------------------------------------------
def _predictor(model_dir, **options):
    sampler = Sampler(load_model_dir(model_dir))
    return sampler, GhostPredictor(sampler, load_memory(model_dir),
                                   GhostOptions(**options))


@pytest.mark.parametrize("context", [
    "The captain walked to the harb", "The sailors waited by the ", "the captain sp",
    "The captain", "and the s", "storm. The", "x"])
def test_ghost_ends_at_word_ends_and_completes_only_known_words(trained, context):
    sampler, ghost = _predictor(trained, threshold=0.0)
    sampler.set_context(context)
    memory = load_memory(trained)
    typed = re.search(r"\w*\Z", context).group(0)
    text = ""
    for unit, prob in ghost.units():
        assert _UNIT.match(unit) and first_unit(unit) == unit  # one whole unit
        assert 0.0 < prob <= 1.0
        word = re.search(r"\w+\Z", unit).group(0)
        if not text and typed and unit[0].isalnum():
            word = typed + word  # the rest of the half-typed word
        assert word in memory
        text += unit
    assert text  # threshold 0: always a guess here


def test_words_after_the_first_are_separated(trained):
    for beam in (0, 1, 4):
        sampler, ghost = _predictor(trained, threshold=0.0, beam=beam, max_words=5)
        sampler.set_context("The captain walked to the ")
        units = [u for u, _ in ghost.units()]
        assert len(units) == 5
        assert all(not u[0].isalnum() for u in units[1:]), units


def test_batched_scores_equal_one_unit_at_a_time(trained):
    sampler, ghost = _predictor(trained)
    sampler.set_context("The captain walked to the harb")
    state = type("S", (), {})()
    state.h, state.c, state.logits = sampler.next_distribution()
    net, units = sampler.net, ["our", "o", " the sea", ",", "ours and"]
    scores = ghost._score(state, units)
    ids = sampler.loaded.tokenizer
    for unit, score in zip(units, scores):
        h, c, logits, expected = state.h, state.c, state.logits, 0.0
        for ch in unit:
            z = logits[0].astype(np.float64)
            token = ids.id_of(ch)
            expected += z[token] - np.log(np.exp(z).sum())
            h, c = net.step(np.array([token]), h, c)
            logits = net.logits(h[-1])
        z = logits[0].astype(np.float64)
        p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        expected += np.log(p[ghost._nonword_ids].sum())
        assert score == pytest.approx(expected, abs=1e-4), unit


def test_ghost_learns_the_obvious_continuation(trained):
    sampler, ghost = _predictor(trained)
    sampler.set_context("The sailors waited by the bo")
    assert ghost.predict()[0].startswith("ats")


@pytest.mark.parametrize("threshold", [0.05, 0.2, 0.5])
def test_the_first_unit_is_the_best_candidate_above_the_threshold(trained, threshold):
    # units() leaves out what cannot reach the threshold; the choice is the same
    sampler, ghost = _predictor(trained, threshold=threshold, skip_passed=False)
    for context in ("The captain walked to the harb", "the captain", "the sailors",
                    "The sailors waited by the ", "storm. The", "and the s"):
        sampler.set_context(context)
        above = [(p * keystrokes_saved(u), u) for u, p in ghost.first_candidates()
                 if p >= threshold]
        assert _first(sampler, ghost, context) == (max(above)[1] if above else "")


def test_an_unreachable_threshold_shows_nothing(trained):
    sampler, ghost = _predictor(trained, threshold=1.0)
    sampler.set_context("The captain walked to the ")
    assert ghost.predict() == ("", 0.0)


def test_the_documents_own_words_complete_a_half_typed_word(trained):
    sampler, ghost = _predictor(trained, threshold=0.0)
    sampler.set_context("Zebulon and Zebulon spoke. Then Zebu")
    assert ghost.predict()[0].startswith("lon")


def _play(*names: str) -> str:
    lines = ["The storm came.", "The sailors waited by the boats.", "And the captain?",
             "They walked to the harbour.", "The boats."]
    return "".join(f"{names[i % len(names)]}:\n{line}\n\n"
                   for i, line in enumerate(lines * 2))


@pytest.fixture(scope="module")
def play_model(tmp_path_factory):
    """A tiny model of a play whose speakers are not the test's, and take turns
    in no set order."""
    root = tmp_path_factory.mktemp("play")
    (root / "corpus").mkdir()
    cast = ["ALONSO", "MIRANDA", "PROSPERO", "CALIBAN", "STEPHANO", "TRINCULO"]
    play = "".join(_play(*(cast[(i + j) % 6] for j in range(i % 3 + 2)))
                   for i in range(24))
    (root / "corpus" / "play.txt").write_text(play, encoding="utf-8")
    Trainer(tiny_job(root / "corpus", root / "play", epochs=3,
                     learning_rate=2e-2)).run()
    return root / "play"


def test_at_a_paragraph_start_the_speaker_whose_turn_it_is(play_model):
    sampler, ghost = _predictor(play_model, threshold=0.0)
    scene = _play("GONZALO", "FERDINAND")  # ends after FERDINAND's line
    assert _first(sampler, ghost, scene) == "GONZALO"
    assert _first(sampler, ghost, scene + "GONZALO:\nYes.\n\n") == "FERDINAND"
    renamed = scene.replace("GONZALO", "ARIEL")  # an edit: read again
    assert _first(sampler, ghost, renamed) == "ARIEL"
    plain_sampler, plain = _predictor(play_model, threshold=0.0, turn_weight=0.0)
    assert _first(plain_sampler, plain, scene) != "GONZALO"  # "boats" says nothing


def _first(sampler, ghost, context, read=True):
    sampler.set_context(context)
    return next(ghost.units(read), ("", 0.0))[0]


@pytest.mark.parametrize("typed", [1, 2])
def test_a_word_typed_past_is_not_offered_again_there(trained, typed):
    context = "The sailors waited by the"
    sampler, ghost = _predictor(trained, threshold=0.0)
    unit = _first(sampler, ghost, context)
    assert len(unit) > typed  # e.g. " boats"
    along = context + unit[:typed]  # typed instead of taken (debounced: 2 at once)
    assert along + _first(sampler, ghost, along) != context + unit
    # a predictor that does not skip offers it again; so does this one after an
    # edit before the spot (the writer went back)
    other_sampler, keep = _predictor(trained, threshold=0.0, skip_passed=False)
    _first(other_sampler, keep, context)
    assert along + _first(other_sampler, keep, along) == context + unit
    assert _first(sampler, ghost, context) == unit
    # a ghost the writer had no time to read declines nothing (typing along)
    assert along + _first(sampler, ghost, along, read=False) == context + unit


def test_taking_a_word_does_not_count_as_typing_past_it(trained):
    context = "The sailors waited by the"
    sampler, ghost = _predictor(trained, threshold=0.0)
    unit = _first(sampler, ghost, context)
    _first(sampler, ghost, context + unit)  # taken (Ctrl+Right), or typed in full
    assert not ghost.passed
    assert _first(sampler, ghost, context) == unit


# -- adaptation -----------------------------------------------------------------------
def test_adaptation_changes_only_its_copy(trained):
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
              for p in trained.iterdir() if p.is_file()}
    loaded = load_model_dir(trained)
    trained_weights = {k: v.clone() for k, v in loaded.model.state_dict().items()}
    adapter = DocumentAdapter(loaded, chunk=32)
    assert adapter.observe("Zebulon rowed the boats. " * 8)
    assert adapter.steps >= 5
    adapted = adapter.weights()
    assert any(not np.allclose(adapted[k], v.numpy())
               for k, v in trained_weights.items())
    assert all(np.array_equal(v.numpy(), loaded.model.state_dict()[k].numpy())
               for k, v in trained_weights.items())
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
             for p in trained.iterdir() if p.is_file()}
    assert after == before
    adapter.reset()
    assert all(np.allclose(adapter.weights()[k], v.numpy())
               for k, v in trained_weights.items())


def test_adaptation_lowers_the_loss_of_a_repeated_text(trained):
    loaded = load_model_dir(trained)
    text = "Zebulon rowed the boats to Quimper. " * 12
    static = DocumentAdapter(loaded, learning_rates=[0.0], chunk=32).score_text(text)
    dynamic = DocumentAdapter(loaded, chunk=32).score_text(text)
    half = len(text) // 2
    assert np.allclose(static[:32], dynamic[:32], atol=1e-5)  # scored before any step
    assert dynamic[half:].mean() < static[half:].mean()


def test_the_step_size_in_use_is_the_one_that_predicted_best(trained):
    """Copies learn side by side; the one whose recent predictions of the
    document were best is used, so a step size that only hurts is left alone."""
    loaded = load_model_dir(trained)
    new_names = "Zebulon rowed the boats to Quimper. " * 12
    helpful = DocumentAdapter(loaded, learning_rates=[0.0, 3e-3], chunk=32)
    helpful.observe(new_names)
    assert helpful.learning_rate == 3e-3
    known = TEXT[:600]  # what the model was trained on: big steps only hurt
    wild = DocumentAdapter(loaded, learning_rates=[0.0, 1.0], chunk=32)
    picked = wild.score_text(known)
    assert wild.learning_rate == 0.0
    trained_weights = loaded.model.state_dict()
    assert all(np.array_equal(v, trained_weights[k].numpy())
               for k, v in wild.weights().items())
    alone = DocumentAdapter(loaded, learning_rates=[1.0], chunk=32).score_text(known)
    assert picked[300:].mean() < alone[300:].mean()


def test_the_sampler_takes_adapted_weights_and_keeps_its_state(trained):
    loaded = load_model_dir(trained)
    sampler = Sampler(loaded)
    sampler.set_context("The captain walked")
    h_before = sampler.state()[0]
    adapter = DocumentAdapter(loaded, learning_rates=[0.01], chunk=16)
    adapter.observe("Zebulon rowed the boats. " * 4)
    sampler.update_weights(adapter.weights())
    assert np.array_equal(sampler.state()[0], h_before)
    logits = sampler.next_distribution()[2]
    assert not np.allclose(logits, Sampler(loaded).next_distribution()[2])
    with pytest.raises(ValueError):
        sampler.update_weights({"embedding.weight": np.zeros((2, 2), np.float32)})


# -- the usefulness protocol ----------------------------------------------------------
def test_protocol_counts_keystrokes_as_specified():
    u = _usefulness()
    text = "the cat sat on the mat."
    perfect = lambda context: text[len(context):]  # noqa: E731
    typed, _ = u.type_text(text, 0, len(text), perfect)
    # units: "the", " cat", " sat", " on", " the", " mat", then "." typed
    assert typed.keystrokes == 7 and typed.ksr == pytest.approx(1 - 7 / 23)
    assert typed.right == 6 and typed.shown == 6 and typed.positions == 7
    never, _ = u.type_text(text, 0, len(text), lambda context: "")
    assert never.ksr == 0.0 and never.shown == 0
    wrong, _ = u.type_text(text, 0, len(text), lambda context: " dog")
    assert wrong.ksr == 0.0 and wrong.right == 0 and wrong.shown == len(text)


def test_trigram_baseline_on_a_known_text():
    u = _usefulness()
    base = u.TrigramCompleter(["a b c a b c a b d"])
    assert base.ghost("x a b") == " c"  # most frequent after "a b"
    assert base.ghost("a b ") == "c"
    assert base.ghost("a b d") == " a" or base.ghost("a b d") == ""
    assert base.ghost("q") == ""  # no word starts with q
    text = "a b c a b c"
    typed, _ = u.type_text(text, 0, len(text), base.ghost)
    assert 0 < typed.ksr < 1


def test_an_edit_relearns_only_the_chunks_after_it(trained):
    loaded = load_model_dir(trained)
    text = "Zebulon rowed the boats to Quimper. " * 12  # 432 characters
    adapter = DocumentAdapter(loaded, chunk=32)
    assert adapter.observe(text)
    read = adapter.steps  # (432 - 1) // 32 = 13 chunks
    assert read == 13
    edited = text[:400] + "Zebulon" + text[407:]  # an edit in the 13th chunk
    assert adapter.observe(edited)
    assert adapter.steps == read + 1  # that chunk again, not all thirteen
    assert not adapter.observe(edited)  # nothing new
    early = "Q" + edited[1:]  # an edit in the first chunk: all of it again
    adapter.observe(early)
    assert adapter.steps == read + 1 + 13
