"""The suggestion pane with real widgets: what it lists and what its keys do."""

from dataclasses import replace

from PySide6.QtCore import Qt

from lstmwriter.core.sample_options import DEFAULT_GHOST_AMOUNT

from .conftest import settle

ALT = Qt.KeyboardModifier.AltModifier


def _stream(window, *batches: list[str]) -> None:
    for pieces in batches:
        window.editor.add_pieces(pieces)


def _rows(window) -> list[str]:
    items = window.pane.list
    return [items.item(i).text() for i in range(items.count())]


def test_blank_and_identical_alternatives_are_not_listed(qtbot, make_window):
    w = make_window()  # no model: the test streams the alternatives itself
    w.show()
    w.editor.setFocus()
    qtbot.keyClicks(w.editor, "x")
    qtbot.keyClick(w.editor, Qt.Key.Key_Return)
    settle(qtbot, w)
    _stream(w, ["\n", " " * 150, " The", "\n", "The", " The", "", "\t", "  "],
            ["", " " * 150, " sea", "\n", " end", " sea", "", "", " "])
    assert _rows(w) == [" The sea", "The end"]
    qtbot.keyClick(w.editor, Qt.Key.Key_9, ALT)  # there is no ninth: nothing
    qtbot.keyClick(w.editor, Qt.Key.Key_3, ALT)
    assert w.editor.toPlainText() == "x\n"
    qtbot.keyClick(w.editor, Qt.Key.Key_2, ALT)
    assert w.editor.toPlainText() == "x\nThe end"


def test_arrow_keys_in_the_list_change_the_grey_text(qtbot, make_window):
    w = make_window()
    w.show()
    w.editor.setFocus()
    qtbot.keyClicks(w.editor, "Go")
    settle(qtbot, w)
    _stream(w, [" one", " two", " three"])
    assert w.editor.ghost_text() == ""  # no best guess: no sample stands in for it
    w.pane.list.setFocus()  # the list's first row becomes current
    qtbot.waitUntil(lambda: w.editor.ghost_text() == " one", timeout=5000)
    qtbot.keyClick(w.pane.list, Qt.Key.Key_Down)
    assert w.pane.list.currentRow() == 1
    assert w.editor.ghost_text() == " two"
    qtbot.keyClick(w.pane.list, Qt.Key.Key_Down)
    qtbot.keyClick(w.pane.list, Qt.Key.Key_Return)
    assert w.editor.toPlainText() == "Go three"


def test_grey_text_setting_falls_back_to_balanced(qtbot, make_window):
    """A remembered "Grey text" value this version does not know (a newer one
    wrote it, or a hand edit) shows the default instead."""
    w = make_window()
    pane = w.pane
    assert pane.settings().ghost == DEFAULT_GHOST_AMOUNT
    pane.apply_settings(replace(pane.settings(), ghost="more"))
    assert pane.ghost_amount.currentData() == "more"
    pane.apply_settings(replace(pane.settings(), ghost="lots"))
    assert pane.settings().ghost == DEFAULT_GHOST_AMOUNT
