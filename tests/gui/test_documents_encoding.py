"""A file that is not UTF-8 opens in the encoding detected (or asked for) and is
saved back in it, byte for byte; a character it cannot hold never disappears
silently: the writer is asked, and UTF-8 is used only if they agree."""

import codecs
import json

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction, QTextCursor
from PySide6.QtWidgets import QApplication, QMessageBox

from lstmwriter.core.documents import TextFormat
from lstmwriter.gui import dialogs, document_controller
from lstmwriter.gui.recovery import recovery_dir

# A French text as Windows writes it: cp1252, CRLF, no-break spaces before
# ":" and "!", curly quotes, a euro sign and an ellipsis (cp1252-only bytes).
FRENCH = ("Café\u00a0: crème brûlée à 5\u00a0€\u00a0!\n"
          "« Déjà vu »… ‘oui’ — «\u00a0non\u00a0»\n")


def open_in(qtbot, window, path, encoding=""):
    with qtbot.waitSignal(window.documents.document_loaded, timeout=10_000):
        window.documents.open_file(str(path), encoding)


def save(qtbot, window, path=None):
    with qtbot.waitSignal(window.documents.document_saved, timeout=10_000):
        assert window.documents.save_to(str(path or window.documents.path))


def type_at_end(window, text):
    cursor = window.editor.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.End)
    cursor.insertText(text)


def open_french_letter(qtbot, make_window, tmp_path):
    """A window showing FRENCH read from a cp1252 CRLF file: (window, path, bytes)."""
    path = tmp_path / "lettre.txt"
    original = FRENCH.replace("\n", "\r\n").encode("cp1252")
    path.write_bytes(original)
    w = make_window()
    w.show()
    open_in(qtbot, w, path)
    return w, path, original


def test_cp1252_file_is_saved_back_byte_for_byte(qtbot, make_window, tmp_path):
    w, path, original = open_french_letter(qtbot, make_window, tmp_path)
    assert w.editor.document_text() == FRENCH  # no-break spaces kept
    assert w.encoding_label.text() == "cp1252 · CRLF"
    assert "cp1252" in w.statusBar().currentMessage()

    w.editor.document().setModified(True)  # unchanged text, saved again
    save(qtbot, w)
    assert path.read_bytes() == original

    type_at_end(w, "Ça coûte 3\u00a0€.\n")
    save(qtbot, w)
    assert path.read_bytes() == (FRENCH + "Ça coûte 3\u00a0€.\n").replace(
        "\n", "\r\n").encode("cp1252")
    assert w.encoding_label.text() == "cp1252 · CRLF"


@pytest.mark.parametrize("bom, codec, label", [
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 LE with BOM"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 BE with BOM")])
def test_utf16_with_a_bom_is_saved_back_byte_for_byte(qtbot, make_window, tmp_path,
                                                      bom, codec, label):
    path = tmp_path / "notes.txt"
    text = "Grüße aus Köln\nΚαλημέρα\n日本語も\n"
    original = bom + text.encode(codec)
    path.write_bytes(original)
    w = make_window()
    open_in(qtbot, w, path)
    assert w.editor.document_text() == text
    assert w.encoding_label.text() == label
    w.editor.document().setModified(True)
    save(qtbot, w)
    assert path.read_bytes() == original

    type_at_end(w, "emoji 😀\n")  # UTF-16 holds every character
    save(qtbot, w)
    assert path.read_bytes() == bom + (text + "emoji 😀\n").encode(codec)


def test_a_character_the_encoding_cannot_hold_asks_then_saves_utf8(
        qtbot, make_window, tmp_path):
    w, path, _original = open_french_letter(qtbot, make_window, tmp_path)
    type_at_end(w, "Merci 😀 谢谢\n")
    asked = []

    def click_save_as_utf8():  # the real question box, answered by the writer
        box = QApplication.activeModalWidget()
        asked.append(box.text() if isinstance(box, QMessageBox) else None)
        if isinstance(box, QMessageBox):
            next(b for b in box.buttons() if b.text() == "Save as UTF-8").click()

    QTimer.singleShot(0, click_save_as_utf8)
    save(qtbot, w)
    assert len(asked) == 1 and "cp1252" in asked[0]
    assert "“😀” (U+1F600)" in asked[0] and "“谢”" in asked[0]
    final = FRENCH + "Merci 😀 谢谢\n"
    assert path.read_bytes() == final.replace("\n", "\r\n").encode("utf-8")
    assert w.encoding_label.text() == "UTF-8 · CRLF"
    assert "as UTF-8" in w.statusBar().currentMessage()


def test_declining_utf8_writes_nothing_and_keeps_the_text_unsaved(
        qtbot, make_window, tmp_path, monkeypatch):
    path = tmp_path / "old.txt"
    path.write_bytes("caf\xe9\n".encode("latin-1"))
    w = make_window()
    open_in(qtbot, w, path)
    asked = []
    monkeypatch.setattr(dialogs, "ask_save_as_utf8",
                        lambda parent, name, enc, chars: asked.append(chars) or False)
    type_at_end(w, "Ω")
    assert not w.documents.save_to(str(path))
    assert asked == [["Ω"]]
    assert path.read_bytes() == "caf\xe9\n".encode("latin-1")
    assert w.editor.document().isModified()
    assert "Not saved" in w.statusBar().currentMessage()
    # Saving before closing takes the same path: declined, the window stays.
    monkeypatch.setattr(dialogs, "ask_unsaved", lambda parent, name: "save")
    assert not w.close()
    assert path.read_bytes() == "caf\xe9\n".encode("latin-1")
    monkeypatch.setattr(dialogs, "ask_unsaved", lambda parent, name: "discard")


def test_saving_before_closing_keeps_the_encoding(qtbot, make_window, tmp_path,
                                                 monkeypatch):
    path = tmp_path / "old.txt"
    path.write_bytes("na\xefve\r\n".encode("cp1252"))
    w = make_window()
    open_in(qtbot, w, path)
    type_at_end(w, "déjà\n")
    monkeypatch.setattr(dialogs, "ask_unsaved", lambda parent, name: "save")
    assert w.close()
    assert path.read_bytes() == "na\xefve\r\ndéjà\r\n".encode("cp1252")


def test_reopen_with_another_encoding(qtbot, make_window, tmp_path, monkeypatch):
    path = tmp_path / "privet.txt"
    original = "Привет, мир!\n".encode("cp1251")
    path.write_bytes(original)
    w = make_window()
    w.show()
    open_in(qtbot, w, path)
    assert w.encoding_label.text() == "cp1252"  # detected wrongly: it is a guess
    assert "Привет" not in w.editor.toPlainText()
    monkeypatch.setattr(document_controller.QInputDialog, "getItem",
                        lambda *args: ("cp1251", True))
    action = w.findChild(QAction, "reopenEncodingAction")
    with qtbot.waitSignal(w.documents.document_loaded, timeout=10_000):
        action.trigger()
    assert w.editor.toPlainText() == "Привет, мир!\n"
    assert w.encoding_label.text() == "cp1251"
    w.editor.document().setModified(True)
    save(qtbot, w)
    assert path.read_bytes() == original

    w.documents.open_file(str(path), "utf-16")  # odd length: not UTF-16 at all
    qtbot.waitUntil(lambda: bool(w.findChildren(QMessageBox, "errorDialog")),
                    timeout=10_000)
    assert "not valid utf-16" in w.findChildren(QMessageBox, "errorDialog")[0].text()
    assert w.editor.toPlainText() == "Привет, мир!\n"  # the text open stays
    assert str(path) in w.settings.recent_files()  # the file is fine, the choice not


def test_a_restored_copy_saves_in_its_file_encoding(qtbot, make_window, tmp_path):
    path = tmp_path / "lettre.txt"
    path.write_bytes("Ch\xe8re amie,\r\n".encode("cp1252"))
    first = make_window()
    open_in(qtbot, first, path)
    type_at_end(first, "à bientôt\n")
    first.documents.autosave_now()
    qtbot.waitUntil(lambda: first.documents.recovery_written, timeout=10_000)
    record = json.loads(first.documents.recovery.file.read_text(encoding="utf-8"))
    assert TextFormat.from_dict(record["file_format"]) == \
        TextFormat("cp1252", False, "\r\n")
    # The same copy as a crashed session would leave it (no live lock).
    (recovery_dir() / "session-1-1.json").write_text(json.dumps(record),
                                                     encoding="utf-8")

    second = make_window()
    second.recovery_bar.findChild(type(second.training.train_button),
                                  "restoreButton").click()
    assert second.documents.path == str(path)
    assert second.encoding_label.text() == "cp1252 · CRLF"
    save(qtbot, second)
    assert path.read_bytes() == "Ch\xe8re amie,\r\nà bientôt\r\n".encode("cp1252")


def test_mixed_line_endings_are_saved_with_the_most_common_and_said_so(
        qtbot, make_window, tmp_path):
    path = tmp_path / "mixed.txt"
    path.write_bytes(b"one\r\ntwo\nthree\r\n")  # read: tests/core/test_documents.py
    w = make_window()
    open_in(qtbot, w, path)
    assert "mixed line endings: Save writes CRLF" in w.statusBar().currentMessage()
    save(qtbot, w)
    assert path.read_bytes() == b"one\r\ntwo\r\nthree\r\n"
