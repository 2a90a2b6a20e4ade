"""Window rough edges: export checks before the folder dialog, the training
panel's "Use" button after a rename, the Manage dialog's reasons."""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

from .conftest import train_tiny_model


def errors(window) -> list[str]:
    return [box.text() for box in window.findChildren(QMessageBox, "errorDialog")]


def test_ml5_export_says_why_not_before_the_folder_dialog(qtbot, window_with_model,
                                                          monkeypatch):
    w = window_with_model  # one layer: the ml5.js CharRNN runs two
    asked = []
    monkeypatch.setattr(QInputDialog, "getItem",
                        lambda *a, **k: ("ml5.js folder", True))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        lambda *a, **k: asked.append(a) or "")
    w.models.ask_export()
    assert asked == []
    assert len(errors(w)) == 1 and "2-layer" in errors(w)[0]


def _in_manage_dialog(qtbot, window, action) -> None:
    """Open Model ▸ Manage, run `action(dialog)` while it is open, then close it."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    done = []

    def act():
        dialog = QApplication.activeModalWidget()
        try:
            action(dialog)
        finally:
            done.append(True)
            dialog.reject()

    QTimer.singleShot(0, act)
    window.models.manage()
    assert done


def _select(dialog, name: str) -> None:
    rows = [dialog.list.item(i).text().split("\n")[0]
            for i in range(dialog.list.count())]
    dialog.list.setCurrentRow(rows.index(name))


def test_use_button_follows_a_rename_in_manage(qtbot, make_window, tiny_corpus,
                                               monkeypatch):
    from lstmwriter.core.events import Finished

    train_tiny_model(tiny_corpus, "other")
    path = train_tiny_model(tiny_corpus, "zora1")
    w = make_window()
    w.show()
    qtbot.waitUntil(lambda: bool(w.suggestions.model_info), timeout=15_000)
    w.suggestions.load_model("other")
    qtbot.waitUntil(lambda: w.suggestions.model_info.name == "other", timeout=15_000)
    w.training.show_finished(Finished(step=5, outcome="done", name="zora1",
                                      path=str(path), best_val_loss=2.5))
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("zora2", True))

    def rename(dialog):
        _select(dialog, "zora1")
        dialog.rename_button.click()

    _in_manage_dialog(qtbot, w, rename)
    assert w.training.load_trained.text() == "Use “zora2” for suggestions"
    w.training.load_trained.click()
    qtbot.waitUntil(lambda: w.suggestions.model_info.name == "zora2", timeout=15_000)
    assert errors(w) == []

    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Yes)
    w.suggestions.load_model("other")
    qtbot.waitUntil(lambda: w.suggestions.model_info.name == "other", timeout=15_000)
    _in_manage_dialog(qtbot, w,
                      lambda d: (_select(d, "zora2"), d.delete_button.click()))
    assert not w.training.load_trained.isVisibleTo(w.training)


def test_manage_says_why_the_loaded_model_cannot_be_renamed(qtbot, window_with_model):
    w = window_with_model
    seen = {}

    def look(dialog):
        _select(dialog, "tiny")
        seen["enabled"] = dialog.rename_button.isEnabled()
        seen["reason"] = dialog.reason.text() if dialog.reason.isVisible() else ""

    _in_manage_dialog(qtbot, w, look)
    assert seen["enabled"] is False
    assert "in use" in seen["reason"] and "tiny" in seen["reason"]
