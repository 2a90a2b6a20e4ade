"""Inline suggestion keys, with a real tiny model streaming suggestions."""

from PySide6.QtCore import Qt

from .conftest import settle, wait_for_suggestions

ALT = Qt.KeyboardModifier.AltModifier


def type_text(qtbot, window, text: str) -> None:
    window.editor.setFocus()
    qtbot.keyClicks(window.editor, text)


def test_typing_streams_one_item_per_alternative(qtbot, window_with_model):
    w = window_with_model
    w.pane.count.setValue(4)
    type_text(qtbot, w, "The quick brown ")
    items = wait_for_suggestions(qtbot, w)
    assert len(items) == 4
    qtbot.keyClick(w.editor, Qt.Key.Key_BracketRight, ALT)  # from the best guess
    assert w.editor.ghost_text() == items[0]
    assert items[0] not in w.editor.toPlainText()  # ghost text is not in the document


def test_tab_accepts_as_one_undo_step(qtbot, window_with_model):
    w = window_with_model
    type_text(qtbot, w, "She wrote of ")
    wait_for_suggestions(qtbot, w)
    shown = w.editor.ghost_text()
    qtbot.keyClick(w.editor, Qt.Key.Key_Tab)
    assert w.editor.toPlainText() == "She wrote of " + shown
    qtbot.keyClicks(w.editor, "!")  # typing after it is a step of its own
    w.editor.undo()
    assert w.editor.toPlainText() == "She wrote of " + shown
    w.editor.undo()
    assert w.editor.toPlainText() == "She wrote of "


def test_tab_without_a_suggestion_inserts_a_tab(qtbot, make_window, tiny_corpus):
    w = make_window()  # no model in the store: no suggestions
    w.show()
    type_text(qtbot, w, "a")
    qtbot.keyClick(w.editor, Qt.Key.Key_Tab)
    assert w.editor.toPlainText() == "a\t"
    assert w.pane.list.count() == 0


def test_alt_number_accepts_that_alternative(qtbot, window_with_model):
    w = window_with_model
    type_text(qtbot, w, "and the words ")
    items = wait_for_suggestions(qtbot, w)
    qtbot.keyClick(w.editor, Qt.Key.Key_9, ALT)  # there is no 9th: nothing happens
    assert w.editor.toPlainText() == "and the words "
    qtbot.keyClick(w.editor, Qt.Key.Key_2, ALT)
    assert w.editor.toPlainText() == "and the words " + items[1]


def test_escape_dismisses_and_cycle_keys_move(qtbot, window_with_model):
    w = window_with_model
    type_text(qtbot, w, "like rain ")
    items = wait_for_suggestions(qtbot, w)
    qtbot.keyClick(w.editor, Qt.Key.Key_BracketRight, ALT)  # best guess -> first
    qtbot.keyClick(w.editor, Qt.Key.Key_BracketRight, ALT)
    assert w.editor.ghost_text() == items[1]
    assert w.pane.list.currentRow() == 1
    qtbot.keyClick(w.editor, Qt.Key.Key_BracketLeft, ALT)
    assert w.editor.ghost_text() == items[0]
    qtbot.keyClick(w.editor, Qt.Key.Key_Escape)
    assert w.editor.ghost_text() == ""
    assert w.pane.list.count() == 0
    qtbot.keyClick(w.editor, Qt.Key.Key_Tab)  # nothing showing: an ordinary tab
    assert w.editor.toPlainText() == "like rain \t"


def test_ctrl_right_accepts_one_word_and_keeps_the_rest(qtbot, window_with_model):
    w = window_with_model
    w.pane.length.setValue(40)
    type_text(qtbot, w, "The lazy dog")
    wait_for_suggestions(qtbot, w)
    qtbot.keyClick(w.editor, Qt.Key.Key_BracketRight, ALT)  # a sample: several words
    shown = w.editor.ghost_text()
    qtbot.keyClick(w.editor, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    text = w.editor.toPlainText()
    taken = text[len("The lazy dog"):]
    assert taken and shown.startswith(taken)
    assert w.editor.ghost_text() == shown[len(taken):]


def test_click_in_the_list_inserts_that_item(qtbot, window_with_model):
    w = window_with_model
    type_text(qtbot, w, "the long grey ")
    items = wait_for_suggestions(qtbot, w)
    rect = w.pane.list.visualItemRect(w.pane.list.item(2))
    qtbot.mouseClick(w.pane.list.viewport(), Qt.MouseButton.LeftButton,
                     pos=rect.center())
    assert w.editor.toPlainText() == "the long grey " + items[2]


def test_new_keystroke_cancels_the_stale_generation(qtbot, window_with_model):
    w = window_with_model
    w.pane.length.setValue(400)  # long enough to be still streaming
    chunks: dict[int, list[list[str]]] = {}
    w.suggestions.sample_worker.chunk_ready.connect(
        lambda rid, pieces: chunks.setdefault(rid, []).append(list(pieces)))
    type_text(qtbot, w, "A writer writes")
    settle(qtbot, w)
    first = w.suggestions.request
    qtbot.keyClicks(w.editor, " e")
    settle(qtbot, w)
    latest = w.suggestions.request
    assert first.cancel.is_set() and not latest.cancel.is_set()
    wait_for_suggestions(qtbot, w)
    # Only the latest request's chunks are on show; stale ones were dropped.
    expected = [""] * len(w.editor.suggestions.visible())
    for pieces in chunks[latest.request_id]:
        for i, piece in enumerate(pieces):
            expected[i] += piece
    assert w.editor.suggestions.visible() == expected
    assert len(expected[0]) == 400
    stale = [rid for rid in chunks if rid < latest.request_id]
    # A stale request either never ran or stopped early, well before 400 characters.
    for rid in stale:
        assert sum(len(p[0]) for p in chunks[rid]) < 400


def test_word_level_model_suggests_words(qtbot, make_window, tiny_corpus):
    from lstmwriter.core.jobs import TrainRequest, plan_training
    from lstmwriter.core.store import ModelStore
    from lstmwriter.core.training import Trainer

    job = plan_training(TrainRequest(
        tiny_corpus, name="words", level="word", preset="ptb-small",
        model_overrides={"rnn_size": 16, "embedding_size": 16, "num_layers": 1},
        train_overrides={"epochs": 2, "sample_length": 0, "device": "cpu"}),
        ModelStore())
    Trainer(job).run()
    w = make_window()
    w.show()
    qtbot.waitUntil(lambda: bool(w.suggestions.model_info)
                    and w.suggestions.model_info.level == "word", timeout=15_000)
    assert w.suggestions.sample_options().length == round(w.pane.length.value() / 5.5)
    type_text(qtbot, w, "The quick brown fox ")
    items = wait_for_suggestions(qtbot, w)
    assert all(any(ch.isalpha() for ch in item) for item in items)
    qtbot.keyClick(w.editor, Qt.Key.Key_BracketRight, ALT)
    qtbot.keyClick(w.editor, Qt.Key.Key_Tab)
    assert w.editor.toPlainText() == "The quick brown fox " + items[0]
