"""First launch: the bundled default model loads by itself and suggests text."""

import pytest
from PySide6.QtCore import Qt

from .conftest import wait_for_suggestions

pytestmark = pytest.mark.bundled_model


def test_first_launch_loads_the_default_model_and_suggests(qtbot, make_window):
    w = make_window()
    w.show()
    qtbot.waitUntil(lambda: bool(w.model_info) and w.model_info["name"] == "default",
                    timeout=60_000)
    assert w.model_selector.currentText() == "default"
    w.editor.setFocus()
    qtbot.keyClicks(w.editor, "It was the best of times, it was the ")
    items = wait_for_suggestions(qtbot, w)
    assert len(items) == 3 and all(items)
    qtbot.keyClick(w.editor, Qt.Key.Key_Tab)
    assert w.editor.toPlainText() == "It was the best of times, it was the " + items[0]
