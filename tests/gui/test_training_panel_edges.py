"""Training panel rough edges, with real widgets: the chart's legend and axis, the
paused display, a resumed run's history, stable height, messages for the window."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from lstmwriter.core.config import ModelConfig, TrainConfig
from lstmwriter.core.events import Finished, Progress
from lstmwriter.core.runs import UnfinishedRun
from lstmwriter.gui.loss_chart import LossChart, nice_ticks
from lstmwriter.gui.messages import for_window
from lstmwriter.gui.training_panel import TrainingPanel
from lstmwriter.gui.workers import TrainPlan

from .conftest import train_tiny_model


def _progress(step: int, fraction: float, val: float | None = None) -> Progress:
    return Progress(step=step, epoch=0.1, train_loss=2.5, tokens_per_s=1234.0,
                    learning_rate=2e-3, elapsed_s=10.0, eta_s=90.0, fraction=fraction,
                    val_loss=val)


def test_legend_shows_the_best_validation_loss_too(qtbot):
    chart = LossChart()
    qtbot.addWidget(chart)
    chart.add_point(100, 2.3, 1.897)
    assert chart.legend_texts()[1] == "validation loss 1.897"
    chart.add_point(200, 2.2, 2.004)  # after Stop the latest is not the kept one
    assert chart.legend_texts()[1] == "validation loss 2.004 (best 1.897)"
    chart.best = 1.883  # the run's last validation, reported with Finished only
    assert chart.legend_texts()[1] == "validation loss 2.004 (best 1.883)"


def test_step_axis_ticks_are_distinct_whole_numbers():
    for low, high in [(1, 5), (2, 4), (1, 3), (0, 7), (10, 13)]:
        ticks = nice_ticks(low, high, 5, integer=True)
        labels = [f"{t:,.0f}" for t in ticks]
        assert len(set(labels)) == len(labels) >= 2, (low, high, labels)
        assert all(t == int(t) for t in ticks)
    assert nice_ticks(0, 1, 4) == [0, 0.25, 0.5, 0.75, 1.0]  # losses keep fractions


def test_paused_shows_no_speed_or_eta(qtbot):
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.set_state("training")
    panel.show_progress(_progress(10, 0.42))
    assert "tokens/s" in panel.progress.format()
    panel.set_state("paused")
    assert panel.progress.format() == "Paused · 42%"
    panel.show_progress(_progress(11, 0.43))  # a late event from before the pause
    assert "tokens/s" not in panel.progress.format()
    assert "ETA" not in panel.progress.format()


def test_a_resumed_run_keeps_its_earlier_history(qtbot):
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.start_run()
    history = [{"step": 50, "train_time": 3.0, "train_loss": 2.9, "val_loss": 2.7},
               {"step": 100, "train_time": 6.0, "train_loss": 2.4, "val_loss": 2.3}]
    panel.show_plan(TrainPlan("m", "/m", "char-tiny", "char",
                              ModelConfig(vocab_size=20, rnn_size=16, num_layers=1),
                              TrainConfig(), {}, history=history))
    assert panel.chart.valid == [(50.0, 2.7), (100.0, 2.3)]
    assert panel.chart.train == [(50.0, 2.9), (100.0, 2.4)]


def test_the_panel_keeps_its_height_from_state_to_state(qtbot):
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.resize(1000, 320)
    panel.show()
    heights = [panel.minimumSizeHint().height()]
    panel.set_unfinished_runs([UnfinishedRun("old", 10, "2024-01-01", "/texts")])
    heights.append(panel.minimumSizeHint().height())
    panel.set_state("training")
    panel.add_notice("step 5: the loss became NaN or infinite; rolled back")
    panel.show_progress(_progress(10, 0.5, 2.0))
    heights.append(panel.minimumSizeHint().height())
    panel.set_state("idle")
    panel.show_finished(Finished(step=10, outcome="cancelled", name="m", path="/m",
                                 best_val_loss=1.9))
    heights.append(panel.minimumSizeHint().height())
    assert len(set(heights)) == 1, heights


def test_messages_speak_of_fields_not_flags():
    taken = for_window("a model named 'x' already exists; use --resume to continue "
                       "its training, or another --name")
    assert "--" not in taken and "Model name" in taken
    empty = for_window("/t: no text files found (looked for .txt, .md or the "
                       "extensions given with --ext)")
    assert "--" not in empty and empty.endswith("(looked for .txt, .md)")
    assert "--" not in for_window("choose a smaller --rnn-size or --batch-size")


def test_training_a_taken_name_is_explained_without_flags(qtbot, make_window,
                                                          tiny_corpus):
    train_tiny_model(tiny_corpus, "taken")
    w = make_window()
    w.show()
    w.training.set_corpus(str(tiny_corpus))
    w.training.name_edit.setText("taken")
    qtbot.mouseClick(w.training.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.training.state == "idle"
                    and bool(w.findChildren(QMessageBox, "errorDialog")),
                    timeout=30_000)
    (box,) = w.findChildren(QMessageBox, "errorDialog")
    assert "--" not in box.text() and "Model name" in box.text()
    assert "--" not in w.training.status.text()
    assert w.training_label.text() == "Training: failed"


def test_status_bar_says_a_stopped_run_was_saved(qtbot, make_window, tiny_corpus):
    w = make_window()
    w.show()
    w.training.set_corpus(str(tiny_corpus))
    w.training.preset.setCurrentIndex(w.training.preset.findData("char-tiny"))
    w.training.set_field("rnn_size", 16)
    w.training.set_field("embedding_size", 8)
    w.training.set_field("epochs", 10_000)
    w.training.name_edit.setText("stopped")
    qtbot.mouseClick(w.training.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(w.training.chart.train) >= 2, timeout=60_000)
    qtbot.mouseClick(w.training.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.training.state == "idle", timeout=60_000)
    assert w.training_label.text() == "Training: stopped, “stopped” saved"
    best = f"{w.training.chart.best:.3f}"
    assert best in w.training.status.text()
    assert w.training.chart.legend_texts()[1].endswith(f" {best}") or \
        f"(best {best})" in w.training.chart.legend_texts()[1]
