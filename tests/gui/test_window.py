"""Documents, remembered settings, first launch, help."""


from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from lstmwriter import __version__

from .conftest import wait_for_suggestions


def test_first_launch_without_models_points_to_training(qtbot, make_window):
    w = make_window()
    w.show()
    assert w.model_selector.count() == 0
    assert w.pane.train_button.isVisible()
    assert "train" in w.pane.status.text().lower()
    w.training_dock.hide()
    qtbot.mouseClick(w.pane.train_button, Qt.MouseButton.LeftButton)
    assert w.training_dock.isVisible()
    # Fine-tuning needs the bundled default model, which this store lacks.
    assert not w.training.init.model().item(1).isEnabled()


def test_save_writes_the_text_without_ghost_text(qtbot, window_with_model, tmp_path):
    w = window_with_model
    w.editor.setFocus()
    qtbot.keyClicks(w.editor, "Ghosts stay out ")
    wait_for_suggestions(qtbot, w)
    w.editor.cycle(1)  # a sample as grey text (the tiny model has no best guess here)
    assert w.editor.ghost_text()
    target = tmp_path / "story.txt"
    with qtbot.waitSignal(w.documents.document_saved, timeout=10_000):
        w.documents.save_to(str(target))
    assert target.read_text(encoding="utf-8") == "Ghosts stay out "
    assert not w.editor.document().isModified()
    assert w.windowTitle().startswith("story.txt")
    assert w.settings.recent_files()[0] == str(target)


def test_open_reads_utf8_and_legacy_text(qtbot, make_window, tmp_path):
    w = make_window()
    utf8 = tmp_path / "notes.md"
    utf8.write_text("Ünïcödé — fine\n", encoding="utf-8")
    with qtbot.waitSignal(w.documents.document_loaded, timeout=10_000):
        w.documents.open_file(str(utf8))
    assert w.editor.toPlainText() == "Ünïcödé — fine\n"
    assert w.documents.path == str(utf8)
    legacy = tmp_path / "old.txt"
    legacy.write_bytes("caf\xe9 cr\xe8me".encode("cp1252"))
    with qtbot.waitSignal(w.documents.document_loaded, timeout=10_000):
        w.documents.open_file(str(legacy))
    assert w.editor.toPlainText() == "café crème"
    assert "cp1252" in w.statusBar().currentMessage()


def test_open_of_a_binary_file_shows_an_error(qtbot, make_window, tmp_path):
    w = make_window()
    w.show()
    blob = tmp_path / "image.txt"
    blob.write_bytes(bytes(range(256)) * 4)
    w.documents.open_file(str(blob))
    qtbot.waitUntil(lambda: bool(w.findChildren(QMessageBox, "errorDialog")),
                    timeout=10_000)
    assert "not a text file" in w.findChildren(QMessageBox, "errorDialog")[0].text()
    assert w.editor.toPlainText() == ""


def test_word_and_character_count(qtbot, make_window):
    w = make_window()
    w.editor.setPlainText("one two  three\nfour")
    qtbot.waitUntil(lambda: "4 words" in w.count_label.text(), timeout=5000)
    assert "19 characters" in w.count_label.text()  # the line break counts


def test_settings_are_remembered(qtbot, make_window, window_with_model, tmp_path):
    w = window_with_model
    w.pane.temperature.setValue(85)
    w.pane.count.setValue(5)
    w.pane.ghost_amount.setCurrentIndex(w.pane.ghost_amount.findData("more"))
    w.training.set_corpus(str(tmp_path))
    w.training.time_limit.setValue(12)
    w.resize(760, 650)  # inside the offscreen screen (800 x 600)
    w.close()
    again = make_window()
    qtbot.waitUntil(lambda: again.suggestions.model_info is not None, timeout=15_000)
    assert again.suggestions.model_info.name == "tiny"
    assert again.pane.temperature.value() == 85
    assert again.pane.count.value() == 5
    assert again.pane.settings().ghost == "more"
    assert again.training.corpus_path.text() == str(tmp_path)
    assert again.training.time_limit.value() == 12
    assert again.size().width() == 760


def test_about_shows_the_version(qtbot, make_window):
    w = make_window()
    w.show()
    w.findChild(type(w.menuBar().actions()[0]), "aboutAction").trigger()
    box = w.findChild(QMessageBox, "aboutDialog")
    assert __version__ in box.text()
    box.close()


def test_find_bar_finds_and_wraps(qtbot, make_window):
    w = make_window()
    w.show()
    w.editor.setPlainText("alpha beta alpha")
    w.find_bar.open_bar()
    w.find_bar.field.setText("alpha")
    assert w.find_bar.find_next()
    first = w.editor.textCursor().selectionStart()
    assert w.find_bar.find_next()
    second = w.editor.textCursor().selectionStart()
    assert {first, second} == {0, 11}
