"""The whole flow through the window: choose texts, train, stop, load, write."""

from PySide6.QtCore import Qt

from lstmwriter.gui.workers import ModelSource

from .conftest import wait_for_suggestions


def test_train_stop_load_suggest_accept_undo(qtbot, make_window, tiny_corpus):
    w = make_window()
    w.show()
    panel = w.training
    assert w.suggestions.model_info is None
    assert "no model" in w.pane.status.text().lower()

    # Typing a path + Enter selects the folder just like the browse dialog.
    panel.corpus_path.setFocus()
    qtbot.keyClicks(panel.corpus_path, str(tiny_corpus))
    qtbot.keyClick(panel.corpus_path, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "characters" in panel.corpus_summary.text(), timeout=15_000)
    assert "<b>2</b> files" in panel.corpus_summary.text()

    panel.preset.setCurrentIndex(panel.preset.findData("char-tiny"))
    panel.set_field("rnn_size", 16)
    panel.set_field("embedding_size", 8)
    panel.set_field("epochs", 10_000)  # runs until stopped
    panel.time_limit.setValue(5)
    panel.name_edit.setText("mine")
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    assert not panel.train_button.isEnabled()

    qtbot.waitUntil(lambda: len(panel.chart.train) >= 3, timeout=60_000)
    assert "tokens/s" in panel.progress.format() and "ETA" in panel.progress.format()
    assert w.training_label.text().startswith("Training:")
    qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.state == "idle", timeout=60_000)
    assert panel.train_button.isEnabled()
    assert "stopped" in panel.status.text()

    names = [w.model_selector.itemText(i) for i in range(w.model_selector.count())]
    assert "mine" in names
    assert panel.load_trained.isVisible()
    # No model was loaded before, so the new one loads by itself; the button
    # would do the same.
    qtbot.mouseClick(panel.load_trained, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(w.suggestions.model_info)
                    and w.suggestions.model_info.name == "mine",
                    timeout=15_000)
    assert w.model_selector.currentText() == "mine"

    w.editor.setFocus()
    qtbot.keyClicks(w.editor, "The quick brown ")
    items = wait_for_suggestions(qtbot, w)
    assert len(items) == 3
    # The grey text starts on the best guess; Alt+] shows the first sample.
    qtbot.keyClick(w.editor, Qt.Key.Key_BracketRight, Qt.KeyboardModifier.AltModifier)
    qtbot.keyClick(w.editor, Qt.Key.Key_Tab)
    assert w.editor.toPlainText() == "The quick brown " + items[0]
    qtbot.keyClick(w.editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert w.editor.toPlainText() == "The quick brown "


def start_endless_run(qtbot, panel, corpus, name: str = "", snapshot: bool = False
                      ) -> None:
    """Click Train for a tiny char model on `corpus` that runs until stopped."""
    panel.set_corpus(str(corpus))
    panel.preset.setCurrentIndex(panel.preset.findData("char-tiny"))
    panel.set_field("rnn_size", 16)
    panel.set_field("epochs", 10_000)
    panel.name_edit.setText(name)
    panel.snapshot.setChecked(snapshot)
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)


def test_pause_and_resume(qtbot, make_window, tiny_corpus):
    w = make_window()
    w.show()
    panel = w.training
    start_endless_run(qtbot, panel, tiny_corpus)
    qtbot.waitUntil(lambda: len(panel.chart.train) >= 1, timeout=60_000)
    qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)
    assert panel.state == "paused" and panel.pause_button.text() == "Resume"
    assert "paused" in w.training_label.text()
    qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)
    assert panel.state == "training"
    seen = len(panel.chart.train)
    qtbot.waitUntil(lambda: len(panel.chart.train) > seen, timeout=60_000)
    qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.state == "idle", timeout=60_000)


def test_suggestions_can_follow_the_training_snapshot(
        qtbot, window_with_model, tiny_corpus):
    w = window_with_model
    panel = w.training
    start_endless_run(qtbot, panel, tiny_corpus, "fresh", snapshot=True)
    qtbot.waitUntil(lambda: w.suggestions.model_info.source is ModelSource.SNAPSHOT,
                    timeout=60_000)
    assert w.suggestions.model_info.name == "fresh"
    assert "snapshot" in w.model_label.text()
    panel.snapshot.setChecked(False)  # back to the writer's own choice
    qtbot.waitUntil(lambda: w.suggestions.model_info.source is ModelSource.USER,
                    timeout=15_000)
    assert w.suggestions.model_info.name == "tiny"
    qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.state == "idle", timeout=60_000)


def test_closing_while_training_waits_for_the_save_without_blocking(
        qtbot, make_window, tiny_corpus, monkeypatch):
    """The close stops the run and waits for it to save its model, with the event
    loop running: the window stays up, greyed out under a busy pointer, and says
    why; a second close is not asked again; the window closes once the model is
    saved, and leaves no thread running."""
    from lstmwriter.core.store import ModelStore
    from lstmwriter.gui import dialogs

    w = make_window()
    w.show()
    panel = w.training
    start_endless_run(qtbot, panel, tiny_corpus, "closing")
    qtbot.waitUntil(lambda: len(panel.chart.train) >= 1, timeout=60_000)
    asked = []
    monkeypatch.setattr(dialogs, "ask_stop_training",
                        lambda parent: asked.append("stop") or True)
    assert not w.close()  # not yet: it returned at once, the run still saving
    assert w.isVisible() and not w.isEnabled()
    assert w.statusBar().currentMessage() == w.SAVING_AT_CLOSE
    assert w.cursor().shape() == Qt.CursorShape.WaitCursor
    assert not w.close() and asked == ["stop"]  # asked once
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=60_000)
    assert (ModelStore().root / "closing" / "config.json").is_file()
    qtbot.wait(200)  # anything the run's end queued
    assert not w.threads.busy()  # the scan for unfinished runs it began was waited for


def test_closing_stops_waiting_for_a_run_that_does_not_end(qtbot, make_window,
                                                           tiny_corpus):
    """A run that ignores the close's stop is waited for only a grace time; then
    the shutdown stops it (with its own bounded wait) and the window closes."""
    from lstmwriter.core.store import ModelStore

    w = make_window()
    w.show()
    panel = w.training
    start_endless_run(qtbot, panel, tiny_corpus, "stubborn")
    qtbot.waitUntil(lambda: len(panel.chart.train) >= 1, timeout=60_000)
    w.TRAINING_CLOSE_GRACE_MS = 300
    w.training_controller.stop = lambda: None  # the run does not hear the close
    assert not w.close()
    qtbot.wait(100)
    assert w.isVisible() and w.training_controller.running  # still waiting
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=60_000)
    assert (ModelStore().root / "stubborn" / "config.json").is_file()
    assert not w.threads.busy()
