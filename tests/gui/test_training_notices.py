"""The trainer's notices (a damaged checkpoint passed over, a NaN rolled back)
reach the window, and a run that did not finish can be resumed from the panel."""

import threading
from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from lstmwriter.core.events import CheckpointSaved
from lstmwriter.core.jobs import TrainRequest, plan_training
from lstmwriter.core.runs import find_unfinished_runs
from lstmwriter.core.store import ModelStore
from lstmwriter.core.training import Trainer, TrainingControl

from .conftest import TINY_MODEL, TINY_TRAIN


def interrupted_run(corpus, name: str = "killed") -> None:
    """A run cut short after a few checkpoints (as a kill -9 or Stop leaves
    it: checkpoint.json says finished false), with a checkpoint before the
    latest to fall back to."""
    job = plan_training(TrainRequest(corpus, name=name, preset="char-tiny",
                                     model_overrides=TINY_MODEL,
                                     train_overrides={**TINY_TRAIN,
                                                      "checkpoint_every": 0.0}),
                        ModelStore())
    control = TrainingControl()
    saves = []

    def on_event(event):
        if isinstance(event, CheckpointSaved):
            saves.append(event)
            if len(saves) == 2:
                control.cancel()

    assert Trainer(job).run(on_event, control) == "cancelled"


def wait_until_idle(qtbot, w) -> None:
    qtbot.waitUntil(lambda: not w.training_controller.running
                    and w.training.state == "idle", timeout=120_000)


def test_an_unfinished_run_is_offered_and_resumes_with_its_notice(
        qtbot, make_window, tiny_corpus):
    interrupted_run(tiny_corpus)
    latest = ModelStore().root / "killed" / "checkpoint.json"
    latest.write_text(latest.read_text(encoding="utf-8")[:200], encoding="utf-8")  # cut
    step = find_unfinished_runs(ModelStore().root)[0].step  # from the one before

    w = make_window()
    w.show()
    panel = w.training
    qtbot.waitUntil(lambda: panel.unfinished.isVisible(), timeout=15_000)
    assert panel.unfinished_selector.currentData() == "killed"
    assert f"step {step}" in panel.unfinished_selector.currentText()
    panel.resume_run_button.click()

    qtbot.waitUntil(lambda: panel.notices.isVisible(), timeout=60_000)
    notice = panel.notices.text()
    assert "the latest checkpoint could not be used" in notice
    assert "resuming from the one before" in notice
    wait_until_idle(qtbot, w)
    assert not w.findChildren(QMessageBox, "errorDialog")
    assert "Training finished" in panel.status.text()
    assert panel.notices.isVisible()  # still there after the run
    qtbot.waitUntil(lambda: not panel.unfinished.isVisible(), timeout=15_000)
    assert find_unfinished_runs(ModelStore().root) == []
    assert "killed" in [w.model_selector.itemText(i)
                        for i in range(w.model_selector.count())]


def test_nan_roll_backs_are_shown_while_training(qtbot, make_window, tiny_corpus,
                                                 tiny_model, monkeypatch):
    """A learning rate of 1e38 without clipping: every early update overflows;
    the trainer rolls back and lowers the rate, and says so each time. (Such a
    rate is refused as a setting; the test lifts the limit to force the overflow.)"""
    from lstmwriter.core import config

    monkeypatch.setitem(config.LIMITS, "learning_rate", config.Limit(0.0, 1e39,
                                                                     open=True))
    w = make_window()
    w.show()
    # With a model in use, the run's (huge-weighted) model is not loaded by itself.
    qtbot.waitUntil(lambda: w.suggestions.model_info is not None, timeout=15_000)
    w.training_controller.start_training(TrainRequest(
        tiny_corpus, name="unstable", preset="char-tiny", model_overrides=TINY_MODEL,
        train_overrides={**TINY_TRAIN, "optimizer": "sgd", "learning_rate": 1e38,
                         "grad_clip": 0.0, "schedule": "plateau"}))
    wait_until_idle(qtbot, w)
    notice = w.training.notices.text()
    assert notice.count("the loss became NaN or infinite; rolled back") >= 2
    assert "learning rate lowered to" in notice
    assert w.training.notices.isVisible()
    status = w.training.status.text()  # it recovers, or stops with a clear reason
    assert "Training finished" in status or "4 times in a row" in status


def test_a_stopped_run_can_be_resumed_later(qtbot, make_window, tiny_corpus):
    w = make_window()
    w.show()
    panel = w.training
    assert not panel.unfinished.isVisible()
    w.training_controller.start_training(TrainRequest(
        tiny_corpus, name="stopped", preset="char-tiny", model_overrides=TINY_MODEL,
        train_overrides={**TINY_TRAIN, "epochs": 400}))
    qtbot.waitUntil(lambda: len(panel.chart.train) >= 2, timeout=60_000)
    panel.stop_button.click()
    wait_until_idle(qtbot, w)
    qtbot.waitUntil(lambda: panel.unfinished.isVisible(), timeout=15_000)
    assert panel.unfinished_selector.currentData() == "stopped"
    stopped_at = find_unfinished_runs(ModelStore().root)[0].step
    panel.resume_run_button.click()
    qtbot.waitUntil(lambda: bool(panel.chart.train)
                    and panel.chart.train[-1][0] > stopped_at, timeout=60_000)
    # It goes on, not afresh, and the chart keeps the earlier validations.
    assert panel.chart.valid and panel.chart.valid[0][0] <= stopped_at
    assert not panel.unfinished.isEnabled()
    panel.stop_button.click()
    wait_until_idle(qtbot, w)
    assert not panel.notices.isVisible()  # nothing went wrong, nothing to say


def test_folder_scan_runs_off_the_gui_thread_and_a_new_folder_cancels_it(
        qtbot, make_window, tmp_path, monkeypatch):
    """The panel's corpus summary: prepare_corpus runs on a worker thread (the
    call returns at once), and picking another folder cancels the first scan."""
    from lstmwriter.gui import workers

    big, small = tmp_path / "big", tmp_path / "small"
    for folder, count in ((big, 300), (small, 3)):
        folder.mkdir()
        for i in range(count):
            (folder / f"{i}.txt").write_text(f"Text number {i}, a few words.\n" * 3,
                                             encoding="utf-8")
    calls = []
    real = workers.prepare_corpus

    def recording(folder, level, **kwargs):  # the real reading, noted
        calls.append((threading.get_ident(), Path(folder).name, kwargs["cancel"]))
        return real(folder, level, **kwargs)

    monkeypatch.setattr(workers, "prepare_corpus", recording)
    w = make_window()
    w.show()
    summary = w.training.corpus_summary
    w.training_controller.scan_corpus(str(big))
    assert summary.text().startswith("Reading")  # returned before the scan ended
    w.training_controller.scan_corpus(str(small))
    qtbot.waitUntil(lambda: "<b>3</b> files" in summary.text(), timeout=30_000)
    qtbot.waitUntil(lambda: not w.threads.busy(), timeout=30_000)
    assert sorted(name for _, name, _ in calls) == ["big", "small"]
    assert all(ident != threading.get_ident() for ident, _, _ in calls)
    cancels = {name: cancel for _, name, cancel in calls}
    assert cancels["big"].is_set() and not cancels["small"].is_set()
    assert "<b>3</b> files" in summary.text()  # the first folder's result never shows
