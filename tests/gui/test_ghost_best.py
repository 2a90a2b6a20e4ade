"""The ghost text is the best guess (GhostPredictor), the pane lists samples, and
the model adapts to the document without touching its files."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from lstmwriter.core.ghost import GhostOptions, GhostPredictor
from lstmwriter.core.sample_options import GHOST_AMOUNTS
from lstmwriter.core.sampling import Sampler
from lstmwriter.core.store import ModelStore
from lstmwriter.core.word_memory import load_memory, words_of
from lstmwriter.gui.suggestion_controller import SuggestionController
from lstmwriter.gui.suggestions import SuggestionSet, next_word

from ..conftest import CORPUS_TEXT
from .conftest import wait_for_suggestions

ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier


def type_text(qtbot, window, text: str) -> None:
    window.editor.setFocus()
    qtbot.keyClicks(window.editor, text)


def best_guess(context: str, options: GhostOptions | None = None) -> str:
    """What a GhostPredictor of the stored model guesses after `context`."""
    loaded = ModelStore().load("tiny")
    sampler = Sampler(loaded)
    sampler.set_context(context)
    return GhostPredictor(sampler, load_memory(loaded.path), options).predict()[0]


def test_ghost_is_the_best_guess_and_ends_on_a_known_word(qtbot, window_with_model):
    w = window_with_model
    context = "The quick brown "
    type_text(qtbot, w, context)
    wait_for_suggestions(qtbot, w)
    expected = best_guess(context)
    assert expected, "the tiny model should be sure of this one"
    assert w.editor.ghost_text() == expected
    assert w.editor.suggestions.index == SuggestionSet.BEST
    memory = load_memory(ModelStore().root / "tiny")
    last = words_of(context + expected)[-1]
    assert last in memory  # a whole word, never a piece of one


@pytest.fixture
def low_threshold(monkeypatch):
    """A ghost of several words, so there is something left after one (the
    pane's default amount of grey text made very eager)."""
    monkeypatch.setitem(GHOST_AMOUNTS, "balanced", 0.01)
    return GhostOptions(threshold=0.01)


@pytest.mark.parametrize("read_after_s, kept", [(60.0, True), (0.0, False)])
def test_typing_a_letter_of_a_read_ghost_declines_its_word(
        qtbot, monkeypatch, low_threshold, window_with_model, read_after_s, kept):
    """Typing along a best guess keeps it; once it has been on screen long enough
    to be read, typing a letter of it instead of taking it asks for another."""
    monkeypatch.setattr(SuggestionController, "GHOST_READ_S", read_after_s)
    w = window_with_model
    type_text(qtbot, w, "The quick brown ")
    wait_for_suggestions(qtbot, w)
    word = next_word(w.editor.ghost_text())
    assert word == "fox"
    type_text(qtbot, w, word[0])
    wait_for_suggestions(qtbot, w)
    assert w.editor.ghost_text().startswith(word[1:]) == kept


def test_keys_take_the_best_guess(qtbot, low_threshold, window_with_model):
    w = window_with_model
    context = "The quick brown "
    type_text(qtbot, w, context)
    items = wait_for_suggestions(qtbot, w)
    ghost = w.editor.ghost_text()
    assert ghost == best_guess(context, low_threshold)
    assert ghost.startswith("fox") and len(ghost) > len("fox")
    qtbot.keyClick(w.editor, Qt.Key.Key_BracketRight, ALT)
    assert w.editor.ghost_text() == items[0]  # the first alternative
    assert w.pane.list.currentRow() == 0
    qtbot.keyClick(w.editor, Qt.Key.Key_BracketLeft, ALT)
    assert w.editor.ghost_text() == ghost  # back to the best guess
    qtbot.keyClick(w.editor, Qt.Key.Key_Right, CTRL)
    word = next_word(ghost)
    assert w.editor.toPlainText() == context + word
    assert w.editor.ghost_text() == ghost[len(word):]
    type_text(qtbot, w, " and the words come ")
    wait_for_suggestions(qtbot, w)
    ghost = w.editor.ghost_text()
    assert ghost
    qtbot.keyClick(w.editor, Qt.Key.Key_Tab)
    assert w.editor.toPlainText() == context + word + " and the words come " + ghost


def test_the_pane_does_not_wait_for_the_whole_best_guess(qtbot, low_threshold,
                                                        window_with_model):
    """The worker sends the best guess's first word, then the alternatives' first
    batch, then the rest of the best guess: each shows as soon as it can."""
    w = window_with_model
    events: list[tuple[str, int]] = []
    worker = w.suggestions.sample_worker
    worker.ghost_ready.connect(lambda rid, piece: events.append(("best", rid)))
    worker.chunk_ready.connect(lambda rid, pieces: events.append(("pane", rid)))
    context = "The quick brown "
    type_text(qtbot, w, context)
    wait_for_suggestions(qtbot, w)
    ghost = w.editor.ghost_text()
    assert ghost == best_guess(context, low_threshold)  # all of it, in order
    last = max(rid for _, rid in events)
    kinds = [kind for kind, rid in events if rid == last]
    assert kinds.count("best") >= 2, "a best guess of several words"
    assert kinds[:3] == ["best", "pane", "best"]


def test_no_ghost_when_unsure_but_alternatives_listed(qtbot, monkeypatch, make_window,
                                                      tiny_model):
    monkeypatch.setitem(GHOST_AMOUNTS, "balanced", 1.0)
    w = make_window()
    w.show()
    qtbot.waitUntil(lambda: w.suggestions.model_info is not None, timeout=15_000)
    type_text(qtbot, w, "The quick brown ")
    items = wait_for_suggestions(qtbot, w)
    assert len(items) == w.pane.count.value()
    assert w.editor.ghost_text() == ""
    assert w.pane.list.currentRow() == -1  # no alternative stands in for it
    qtbot.keyClick(w.editor, Qt.Key.Key_BracketRight, ALT)  # unless the writer asks
    assert w.editor.ghost_text() == items[0]
    qtbot.keyClick(w.editor, Qt.Key.Key_2, ALT)
    assert w.editor.toPlainText() == "The quick brown " + items[1]


def test_the_amount_of_grey_text_is_the_panes(qtbot, monkeypatch, window_with_model):
    """The pane's "Grey text" setting is the best guess's threshold: changing it
    asks again at once, without a keystroke."""
    monkeypatch.setitem(GHOST_AMOUNTS, "fewer", 1.0)  # sure of nothing
    monkeypatch.setitem(GHOST_AMOUNTS, "more", 0.01)
    w = window_with_model
    context = "The quick brown "
    type_text(qtbot, w, context)
    wait_for_suggestions(qtbot, w)
    balanced = w.editor.ghost_text()
    assert balanced == best_guess(context)
    selector = w.pane.ghost_amount
    assert selector.objectName() == "ghostAmountSelector"
    assert {selector.itemData(i) for i in range(selector.count())} == set(GHOST_AMOUNTS)
    eager = best_guess(context, GhostOptions(threshold=0.01))
    assert len(eager) > len(balanced)
    for amount, expected in [("more", eager), ("fewer", ""), ("balanced", balanced)]:
        selector.setCurrentIndex(selector.findData(amount))
        wait_for_suggestions(qtbot, w)
        assert w.editor.ghost_text() == expected, amount


def _model_files(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _logits(net, ids: np.ndarray) -> np.ndarray:
    """The next-token logits after reading `ids` from a zero state; only reads the
    network, which the sample thread swaps but never changes."""
    h, c = net.zero_state(1)
    for token in ids:
        h, c = net.step(np.array([token]), h, c)
    return net.logits(h[-1])


def test_adapting_changes_the_sampler_not_the_files(qtbot, window_with_model):
    w = window_with_model
    folder = ModelStore().root / "tiny"
    before = _model_files(folder)
    loaded = ModelStore().load("tiny")
    probe = loaded.tokenizer.encode("The quick brown fox jumps over the lazy ")
    trained = _logits(Sampler(loaded).net, probe)
    worker = w.suggestions.sample_worker

    def adapted() -> bool:
        return not np.allclose(_logits(worker.sampler.net, probe), trained, atol=1e-4)

    assert w.adapt_action.objectName() == "adaptToDocument"
    assert w.adapt_action.isChecked()  # on by default
    assert not adapted()
    w.editor.setFocus()
    # a paste: three of the adapter's chunks
    w.editor.insertPlainText(CORPUS_TEXT[:400])
    qtbot.waitUntil(adapted, timeout=30_000)
    assert _model_files(folder) == before  # byte-identical

    w.adapt_action.trigger()  # off: back to the trained weights
    assert not w.adapt_action.isChecked()
    assert w.settings.adapt_to_document() is False
    qtbot.waitUntil(lambda: not adapted(), timeout=15_000)
    np.testing.assert_allclose(_logits(worker.sampler.net, probe), trained, atol=1e-5)
    assert _model_files(folder) == before
