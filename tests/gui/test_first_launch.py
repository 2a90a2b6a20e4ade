"""First launch: the bundled default model loads by itself and suggests text."""

import pytest
from PySide6.QtCore import Qt

from .conftest import wait_for_suggestions

pytestmark = pytest.mark.bundled_model


def test_first_launch_loads_the_default_model_and_suggests(qtbot, make_window):
    w = make_window()
    w.show()
    qtbot.waitUntil(lambda: bool(w.suggestions.model_info)
                    and w.suggestions.model_info.name == "default", timeout=60_000)
    assert w.model_selector.currentText() == "default"
    assert w.suggestions.model_info.word_model  # its word LSTM came with it
    assert "word LSTM" in w.statusBar().currentMessage()
    w.editor.setFocus()
    qtbot.keyClicks(w.editor, "It was the best of times, it was the ")
    items = wait_for_suggestions(qtbot, w)
    assert len(items) == 3 and all(items)
    # The grey text starts on the best guess; Alt+] shows the first sample.
    qtbot.keyClick(w.editor, Qt.Key.Key_BracketRight, Qt.KeyboardModifier.AltModifier)
    qtbot.keyClick(w.editor, Qt.Key.Key_Tab)
    assert w.editor.toPlainText() == "It was the best of times, it was the " + items[0]


def test_start_from_default_shows_the_settings_fine_tuning_will_use(qtbot, make_window):
    w = make_window()
    panel = w.training
    assert panel.init.model().item(1).isEnabled()
    panel.init.setCurrentIndex(panel.init.findData("default"))
    shape = next(i for i in w.store.list() if i.name == "default").meta["model"]
    assert panel.fields["rnn_size"].value() == shape["rnn_size"]
    assert not panel.fields["rnn_size"].isEnabled()
    assert panel.fields["dropout"].value() == pytest.approx(shape["dropout"])
    request = panel.request()
    assert request.init == "default" and "dropout" not in request.model_overrides
    panel.init.setCurrentIndex(0)  # back to scratch: the preset's values again
    assert panel.fields["dropout"].value() != pytest.approx(shape["dropout"])
