"""The training panel's time limit chooses the learning-rate schedule through
plan_training, as the CLI's --max-time does (tests/core/test_schedule.py)."""

import pytest

from lstmwriter.core.jobs import describe_schedule, plan_training
from lstmwriter.core.store import ModelStore
from lstmwriter.gui.training_panel import TrainingPanel


@pytest.mark.parametrize("minutes, expected", [(30, "time"), (0, "plateau")])
def test_the_time_limit_shapes_the_planned_schedule(qtbot, tiny_corpus, minutes,
                                                    expected):
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.set_corpus(str(tiny_corpus))
    panel.time_limit.setValue(minutes)  # 0 shows as "no limit"
    config = plan_training(panel.request(), ModelStore()).train_config
    assert config.schedule == expected
    assert config.max_time == minutes * 60
    assert ("cosine" in describe_schedule(config)) == (expected == "time")
