"""A time limit sizes a run's dropout, learning rate and batches to the passes it
allows."""

from pathlib import Path

import pytest
import torch

from lstmwriter.core.budget import (
    FEW_PASSES,
    MANY_PASSES,
    MIN_BATCH_SIZE,
    MIN_SEQ_LENGTH,
    MIN_STEPS,
    SHORT_RUN_LR_SCALE,
    estimated_tokens_per_second,
    fit_to_budget,
)
from lstmwriter.core.config import PRESETS, TrainConfig
from lstmwriter.core.jobs import TrainRequest, preview_training

MEDIUM = {**PRESETS["char-medium"].model, "tie_weights": False}
MEDIUM_TRAIN = TrainConfig(**PRESETS["char-medium"].train)


def _seconds_for(passes: float, tokens: int, threads: int = 1) -> float:
    return passes * tokens / estimated_tokens_per_second(MEDIUM, "cpu", threads)


def _fit(passes: float, given=frozenset(), train=MEDIUM_TRAIN, model=MEDIUM):
    tokens = 1_000_000
    limited = TrainConfig.from_dict({**train.to_dict(),
                                     "max_time": _seconds_for(passes, tokens)})
    return fit_to_budget(model, limited, tokens, "cpu", 1, set(given))


def test_few_passes_drop_dropout_and_raise_the_rate():
    model, train, fit = _fit(FEW_PASSES / 2)
    assert model["dropout"] == 0.0
    assert train.learning_rate == pytest.approx(2e-3 * SHORT_RUN_LR_SCALE)
    assert fit.sized and fit.passes == pytest.approx(FEW_PASSES / 2)
    assert "dropout 0 (preset 0.25)" in fit.describe()


def test_many_passes_keep_the_preset():
    model, train, fit = _fit(MANY_PASSES * 2)
    assert model["dropout"] == 0.25 and train.learning_rate == 2e-3
    assert not fit.sized


def test_in_between_dropout_grows_with_the_passes():
    halfway = (FEW_PASSES + MANY_PASSES) / 2
    model, train, _ = _fit(halfway)
    assert model["dropout"] == pytest.approx(0.12, abs=0.011)
    assert train.learning_rate == 2e-3  # some dropout left: the preset's rate


def test_what_the_user_gave_is_kept():
    model, train, fit = _fit(1, given={"dropout"})
    assert model["dropout"] == 0.25 and train.learning_rate == 2e-3
    model, train, _ = _fit(1, given={"learning_rate"})
    assert model["dropout"] == 0.0 and train.learning_rate == 2e-3


def test_no_limit_or_no_dropout_or_sgd_is_left_alone():
    model, train, fit = fit_to_budget(MEDIUM, MEDIUM_TRAIN, 10**6, "cpu", 1, set())
    assert fit is None and model == MEDIUM and train == MEDIUM_TRAIN
    small = {**PRESETS["char-small"].model}
    small_train = TrainConfig(**PRESETS["char-small"].train)
    model, train, _ = _fit(1, model=small, train=small_train)
    assert train.learning_rate == 3e-3 and model["dropout"] == small["dropout"]
    sgd = TrainConfig(**{**PRESETS["char-medium"].train, "optimizer": "sgd"})
    assert _fit(1, train=sgd)[2] is None


def _steps(train: TrainConfig, fit, tokens: int = 1_000_000) -> float:
    return fit.passes * tokens / (train.seq_length * train.batch_size)


def test_few_steps_shorten_the_window_then_the_batch():
    _, train, fit = _fit(MANY_PASSES * 2)
    assert (train.seq_length, train.batch_size) == (64, 32)  # enough steps already
    assert _steps(train, fit) >= MIN_STEPS and not fit.sized
    _, train, fit = _fit(FEW_PASSES)  # about half the steps: the window halves
    assert (train.seq_length, train.batch_size) == (MIN_SEQ_LENGTH, 32)
    assert _steps(train, fit) >= MIN_STEPS
    assert "window 32 characters (preset 64)" in fit.describe()
    _, train, fit = _fit(3)  # then the batch
    assert (train.seq_length, train.batch_size) == (MIN_SEQ_LENGTH, MIN_BATCH_SIZE)
    assert "batch 16 (preset 32)" in fit.describe()
    _, train, _ = _fit(0.1)  # never below the floors
    assert (train.seq_length, train.batch_size) == (MIN_SEQ_LENGTH, MIN_BATCH_SIZE)


def test_a_given_window_or_batch_is_kept():
    _, train, _ = _fit(3, given={"seq_length"})
    assert (train.seq_length, train.batch_size) == (64, MIN_BATCH_SIZE)
    _, train, _ = _fit(3, given={"seq_length", "batch_size"})
    assert (train.seq_length, train.batch_size) == (64, 32)


def test_the_estimate_follows_size_threads_and_device():
    small = estimated_tokens_per_second({**MEDIUM, "rnn_size": 128}, "cpu", 1)
    medium = estimated_tokens_per_second(MEDIUM, "cpu", 1)
    assert small > 2 * medium
    assert estimated_tokens_per_second(MEDIUM, "cpu", 2) == pytest.approx(2 * medium)
    assert estimated_tokens_per_second(MEDIUM, "cuda", 1) > 10 * medium


def test_train_with_five_minutes_on_tiny_shakespeare_plans_the_short_recipe(
        monkeypatch):
    """The default path the 5-minute target is measured on (benchmarks)."""
    monkeypatch.setattr(torch, "get_num_threads", lambda: 1)  # the app's, on 2 cores
    request = TrainRequest(corpus=Path("input.txt"), train_overrides={"max_time": 300})
    plan = preview_training(request, 1_115_394, "cpu")
    assert plan.preset.name == "char-medium"
    assert plan.model["dropout"] == 0.0 and plan.train.learning_rate == 3e-3
    assert (plan.train.seq_length, plan.train.batch_size) == (32, 16)
    assert plan.train.schedule == "time" and plan.budget.sized
    unlimited = preview_training(TrainRequest(corpus=Path("input.txt")), 1_115_394,
                                 "cpu")
    assert unlimited.model["dropout"] == 0.25 and unlimited.budget is None


def test_fine_tuning_keeps_the_base_models_dropout():
    from lstmwriter.core.config import ModelConfig

    base = ModelConfig(vocab_size=80, dropout=0.1)
    request = TrainRequest(corpus=Path("x"), train_overrides={"max_time": 300})
    plan = preview_training(request, 1_000_000, "cpu", base, "char")
    assert plan.model["dropout"] == 0.1 and plan.budget is None


def test_the_cli_says_how_the_limit_sized_the_run(tiny_corpus, capsys):
    """A limit that allows a couple of passes trains without the preset's dropout,
    and the CLI says so."""
    from lstmwriter.cli import main
    from lstmwriter.core.store import ModelStore

    assert main(["train", str(tiny_corpus), "--name", "short", "--preset",
                 "char-medium", "--rnn-size", "32", "--embedding-size", "8",
                 "--threads", "1", "--max-time", "0.01"]) == 0
    err = capsys.readouterr().err
    assert "passes over the corpus in the time limit: dropout 0 (preset 0.25), " \
           "learning rate 0.003 (preset 0.002)" in err
    assert ModelStore().load("short").model.config.dropout == 0.0


def test_the_epochs_cap_the_passes():
    tokens = 1_000_000
    limited = TrainConfig.from_dict({**MEDIUM_TRAIN.to_dict(), "epochs": 4,
                                     "max_time": _seconds_for(100, tokens)})
    model, _, fit = fit_to_budget(MEDIUM, limited, tokens, "cpu", 1, set())
    assert fit.passes == 4 and model["dropout"] == 0.0
