"""The training panel shows the settings a run will use: its fields and preset note
come from core's `preview_training`, the planner `plan_training` uses too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import lstmwriter.core.store
import lstmwriter.gui.training_panel
from lstmwriter.core.config import PRESETS
from lstmwriter.core.corpus import prepare_corpus
from lstmwriter.core.jobs import TrainingPreview, plan_training, preview_training
from lstmwriter.core.store import ModelStore
from lstmwriter.gui.training_panel import ADVANCED_FIELDS, TrainingPanel

from ..core.test_preview import AUTO, forbid_cuda
from .conftest import train_tiny_model

LINE = "The quick brown fox jumps over the lazy dog, and the dog sleeps on.\n"


def make_panel(qtbot, monkeypatch, devices: list[str]) -> TrainingPanel:
    """A panel on a machine with `devices` (best first); CUDA is never asked."""
    forbid_cuda(monkeypatch)
    monkeypatch.setattr(lstmwriter.gui.training_panel, "available_devices",
                        lambda: devices)
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    return panel


def choose(panel: TrainingPanel, preset: str, level: str | None, device: str) -> None:
    if level is not None:
        panel.level.setCurrentIndex(panel.level.findData(level))
    panel.preset.setCurrentIndex(panel.preset.findData(preset))
    panel.device.setCurrentIndex(panel.device.findData(device))


def read_folder(panel: TrainingPanel, folder: Path) -> None:
    """What the window does when a folder is picked and its scan comes back."""
    panel.set_corpus(str(folder))
    panel.set_corpus_report(prepare_corpus(folder, panel.level_value).report.to_dict())


def texts(tmp_path: Path, size: int) -> Path:
    folder = tmp_path / f"texts-{size}"
    folder.mkdir()
    (folder / "a.txt").write_text(LINE * (size // len(LINE) + 1), encoding="utf-8")
    return folder


def shown(panel: TrainingPanel) -> dict[str, float]:
    return {key: box.value() for key, box in panel.fields.items()}


def used(model: object, train: object) -> dict[str, float]:
    """The run's values behind the panel's fields."""
    return {key: getattr(model if group == "model" else train, key)
            for key, _label, group, *_ in ADVANCED_FIELDS}


def previewed(plan: TrainingPreview) -> dict[str, float]:
    return used(plan.model_config(2), plan.train)


@pytest.mark.parametrize("preset, level, size", [
    *((name, None, 3_000) for name in PRESETS),
    ("auto", "char", 3_000), ("auto", "char", 60_000), ("auto", "word", 3_000)])
def test_the_fields_show_what_plan_training_uses_on_a_cpu(
        qtbot, monkeypatch, tmp_path, preset, level, size):
    panel = make_panel(qtbot, monkeypatch, ["cpu"])
    choose(panel, preset, level, "cpu")
    read_folder(panel, texts(tmp_path, size))
    job = plan_training(panel.request(), ModelStore())
    assert shown(panel) == pytest.approx(used(job.model_config, job.train_config))
    if preset == "auto":
        assert f"auto → {job.corpus['preset']} (for this corpus)" in \
            panel.preset_note.text()


@pytest.mark.parametrize("preset, level, mb, on_cpu, on_gpu", [
    *((name, None, 1, name, name) for name in PRESETS),
    *(("auto", *row) for row in AUTO)])
@pytest.mark.parametrize("device", ["cpu", "auto", "cuda:0"])
def test_the_fields_show_what_a_run_uses_with_a_gpu(
        qtbot, monkeypatch, preset, level, mb, on_cpu, on_gpu, device):
    """plan_training needs a GPU here, so the fields are compared with the preview
    called as plan_training calls it once resolve_device has found the GPU."""
    panel = make_panel(qtbot, monkeypatch, ["cuda:0", "cpu"])
    choose(panel, preset, level, device)
    size = int(mb * 1e6)
    panel.set_corpus_report({"bytes": size, "files_used": 1})
    planned = torch.device("cpu" if device == "cpu" else "cuda")
    plan = preview_training(panel.request(), size, planned)
    assert shown(panel) == pytest.approx(previewed(plan))
    expected = on_cpu if device == "cpu" else on_gpu
    assert plan.preset.name == expected
    if preset == "auto":
        assert f"auto → {expected} (for this corpus)" in panel.preset_note.text()


def test_edited_fields_are_what_the_run_uses(qtbot, monkeypatch, tmp_path):
    panel = make_panel(qtbot, monkeypatch, ["cpu"])
    choose(panel, "char-medium", None, "cpu")
    panel.set_field("batch_size", 7)
    panel.set_field("dropout", 0.4)
    read_folder(panel, texts(tmp_path, 3_000))
    job = plan_training(panel.request(), ModelStore())
    assert job.train_config.batch_size == 7 and job.model_config.dropout == 0.4
    assert shown(panel) == pytest.approx(used(job.model_config, job.train_config))


def test_fine_tuning_shows_the_base_models_shape_and_level(
        qtbot, monkeypatch, tmp_path, tiny_corpus):
    base = train_tiny_model(tiny_corpus)  # char level, 16 units: the "default" here
    monkeypatch.setattr(lstmwriter.core.store, "bundled_model_dir", lambda: base)
    meta = json.loads((base / "config.json").read_text(encoding="utf-8"))
    panel = make_panel(qtbot, monkeypatch, ["cpu"])
    choose(panel, "auto", "word", "cpu")  # Tokens says words; the base reads chars
    panel.set_field("rnn_size", 300)  # fine-tuning keeps the base's shape
    panel.set_field("dropout", 0.3)  # but takes a new dropout
    panel.set_default_model(meta["model"], meta["level"])
    panel.init.setCurrentIndex(panel.init.findData("default"))
    read_folder(panel, texts(tmp_path, 3_000))
    job = plan_training(panel.request(), ModelStore())
    assert job.init_from == "default" and job.model_config.rnn_size == 16
    assert shown(panel) == pytest.approx(used(job.model_config, job.train_config))
    assert "auto → char-small" in panel.preset_note.text()
    assert not panel.fields["rnn_size"].font().bold()  # no longer an override

    panel.preset.setCurrentIndex(panel.preset.findData("ptb-small"))
    assert "ptb-small is for word-level models, not char-level" in \
        panel.preset_note.text()
    with pytest.raises(ValueError, match="ptb-small is for word-level models"):
        plan_training(panel.request(), ModelStore())


def test_the_time_limit_sizes_dropout_and_rate_in_the_fields(qtbot, monkeypatch,
                                                             tmp_path):
    """A short limit on a big folder: few passes, so no dropout and a higher rate,
    said under the preset; a long limit brings the preset's dropout back."""
    monkeypatch.setattr(torch, "get_num_threads", lambda: 1)
    panel = make_panel(qtbot, monkeypatch, ["cpu"])
    choose(panel, "char-medium", "char", "cpu")
    read_folder(panel, texts(tmp_path, 1_000_000))
    panel.time_limit.setValue(5)
    assert panel.fields["dropout"].value() == 0.0
    assert panel.fields["learning_rate"].value() == pytest.approx(3e-3)
    assert "passes over the corpus" in panel.preset_note.text()
    assert "dropout 0 (preset 0.25)" in panel.preset_note.text()
    panel.time_limit.setValue(600)
    assert panel.fields["dropout"].value() == pytest.approx(0.25)
    assert panel.fields["learning_rate"].value() == pytest.approx(2e-3)
    panel.time_limit.setValue(0)  # no limit: the preset as it is, no estimate
    assert panel.fields["dropout"].value() == pytest.approx(0.25)
    assert "passes" not in panel.preset_note.text()
