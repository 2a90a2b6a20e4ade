"""Bad input shows a message in the window, never a traceback or a dead window."""

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from lstmwriter.core.store import ModelStore
from lstmwriter.gui.workers import ModelSource

from .conftest import train_tiny_model


def error_texts(window) -> list[str]:
    return [box.text() for box in window.findChildren(QMessageBox, "errorDialog")]


def test_missing_folder_is_reported(qtbot, make_window, tmp_path):
    w = make_window()
    w.show()
    missing = tmp_path / "no-such-folder"
    w.training.corpus_path.setText(str(missing))
    w.training.corpus_path.editingFinished.emit()
    qtbot.waitUntil(lambda: bool(error_texts(w)), timeout=15_000)
    assert "no such file or folder" in error_texts(w)[0]
    assert "no such file or folder" in w.training.corpus_summary.text()


def test_folder_without_usable_text_is_reported(qtbot, make_window, tmp_path):
    folder = tmp_path / "pictures"
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blob.txt").write_bytes(b"\x00\x01\x02" * 100)
    w = make_window()
    w.show()
    w.training.corpus_path.setText(str(folder))
    w.training.corpus_path.editingFinished.emit()
    qtbot.waitUntil(lambda: bool(error_texts(w)), timeout=15_000)
    message = error_texts(w)[0]
    assert "every file was skipped" in message
    assert "empty file" in message and "binary" in message


def test_train_with_a_bad_folder_fails_in_the_window(qtbot, make_window, tmp_path):
    w = make_window()
    w.show()
    w.training.set_corpus(str(tmp_path / "missing"))
    qtbot.mouseClick(w.training.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.training.state == "idle" and bool(error_texts(w)),
                    timeout=15_000)
    assert "no such file or folder" in error_texts(w)[0]
    assert w.training.train_button.isEnabled()


def test_damaged_model_file_is_reported(qtbot, make_window, tiny_corpus):
    folder = train_tiny_model(tiny_corpus, "broken")
    (folder / "model.pt").write_bytes(b"this is not a weights file")
    w = make_window()
    w.show()
    # Startup tries the only model quietly (status bar), then the writer picks it.
    qtbot.waitUntil(lambda: "Could not load" in w.statusBar().currentMessage(),
                    timeout=15_000)
    assert w.suggestions.model_info is None
    index = w.model_selector.findText("broken")
    w.model_selector.setCurrentIndex(index)
    w.model_selector.activated.emit(index)
    qtbot.waitUntil(lambda: bool(error_texts(w)), timeout=15_000)
    assert "model.pt" in error_texts(w)[0] and "damaged" in error_texts(w)[0]
    assert w.isVisible()


def test_model_folder_with_foreign_config_is_reported(qtbot, make_window, tmp_path):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "config.json").write_text(json.dumps({"hello": 1}), encoding="utf-8")
    w = make_window()
    w.show()
    w.suggestions.load_model(str(foreign), ModelSource.USER)
    qtbot.waitUntil(lambda: bool(error_texts(w)), timeout=15_000)
    assert "not an lstmwriter model" in error_texts(w)[0]
    assert ModelStore().list() == []
