"""Model menu: export and import run off the GUI thread and report in the window."""

import importlib.util

import pytest
from PySide6.QtWidgets import QMessageBox

from .conftest import train_tiny_model


def errors(window) -> list[str]:
    return [box.text() for box in window.findChildren(QMessageBox, "errorDialog")]


def test_ml5_export_then_import_round_trip(qtbot, make_window, tiny_corpus, tmp_path):
    train_tiny_model(tiny_corpus, "pair", rnn_size=16, embedding_size=16, num_layers=2)
    w = make_window()
    w.show()
    qtbot.waitUntil(lambda: bool(w.suggestions.model_info)
                    and w.suggestions.model_info.name == "pair", timeout=15_000)
    out = tmp_path / "for-ml5"
    with qtbot.waitSignal(w.models.model_exported, timeout=30_000):
        w.models.export_model("ml5", str(out))
    assert (out / "manifest.json").is_file()
    w.models.import_model(str(out))
    qtbot.waitUntil(lambda: w.suggestions.model_info.name == "for-ml5", timeout=30_000)
    assert w.model_selector.findText("for-ml5") >= 0
    assert w.model_selector.currentText() == "for-ml5"


def test_export_the_ml5_format_cannot_hold_is_explained(
        qtbot, window_with_model, tmp_path):
    w = window_with_model  # 1 layer, embedding 8: not an ml5.js CharRNN shape
    w.models.export_model("ml5", str(tmp_path / "no"))
    qtbot.waitUntil(lambda: bool(errors(w)), timeout=30_000)
    assert "ml5" in errors(w)[0]
    assert not (tmp_path / "no" / "manifest.json").exists()


def test_import_of_a_folder_that_is_not_ml5_is_reported(qtbot, make_window, tmp_path):
    w = make_window()
    w.show()
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "notes.txt").write_text("hello", encoding="utf-8")
    w.models.import_model(str(tmp_path / "junk"))
    qtbot.waitUntil(lambda: bool(errors(w)), timeout=30_000)
    assert "junk" in errors(w)[0]
    assert w.model_selector.count() == 0


@pytest.mark.skipif(importlib.util.find_spec("onnx") is None,
                    reason="onnx not installed")
def test_onnx_export_writes_the_file(qtbot, window_with_model, tmp_path):
    w = window_with_model
    target = tmp_path / "tiny.onnx"
    with qtbot.waitSignal(w.models.model_exported, timeout=60_000):
        w.models.export_model("onnx", str(target))
    assert target.stat().st_size > 1000
