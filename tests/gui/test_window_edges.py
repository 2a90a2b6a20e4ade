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
    w._on_export_triggered()
    assert asked == []
    assert len(errors(w)) == 1 and "2-layer" in errors(w)[0]
