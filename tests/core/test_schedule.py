"""The learning-rate schedule by default: a cosine over the time limit when a run has
one, plateau decay with patience in tokens when it has none; explicit choices win;
a resumed run keeps its schedule and says so when its time limit is already used."""

import json

import pytest
import torch

from lstmwriter.cli import build_parser, main
from lstmwriter.commands.train import request_from_args
from lstmwriter.core.config import TrainConfig, resolve_schedule
from lstmwriter.core.evaluation import Evaluation
from lstmwriter.core.jobs import TrainRequest, plan_training
from lstmwriter.core.store import ModelStore
from lstmwriter.core.training import Trainer, TrainingControl

from .helpers import tiny_job
from .test_finetune import base_model, other_corpus  # noqa: F401 (fixtures)

TINY = ["--preset", "char-tiny", "--rnn-size", "12", "--embedding-size", "6",
        "--device", "cpu"]


@pytest.mark.parametrize("values, expected", [
    (dict(max_time=300.0), "time"),
    (dict(), "plateau"),
    (dict(max_time=300.0, schedule="plateau"), "plateau"),
    (dict(schedule="time"), "time"),
    (dict(max_time=300.0, schedule="epoch"), "epoch"),
])
def test_auto_uses_the_time_limit_and_explicit_choices_win(values, expected):
    assert TrainConfig().schedule == "auto"
    assert resolve_schedule(TrainConfig(**values)).schedule == expected


def _cli_plan(*args: str):
    args = build_parser().parse_args(["train", *args])
    return plan_training(request_from_args(args), ModelStore()).train_config


def test_cli_plan_follows_the_time_limit(tiny_corpus):
    corpus = str(tiny_corpus)
    assert _cli_plan(corpus, "--max-time", "300").schedule == "time"
    assert _cli_plan(corpus).schedule == "plateau"
    assert _cli_plan(corpus, "--max-time", "300", "--schedule", "plateau"
                     ).schedule == "plateau"
    assert _cli_plan(corpus, "--schedule", "auto").schedule == "plateau"
    patient = _cli_plan(corpus, "--plateau-patience-tokens", "0")
    assert patient.plateau_patience_tokens == 0
    # a preset that sets its own schedule keeps it (Zaremba's per-epoch decay)
    assert _cli_plan(corpus, "--preset", "ptb-small", "--max-time", "300"
                     ).schedule == "epoch"


def test_fine_tuning_gets_the_time_aware_schedule(
        base_model, other_corpus):  # noqa: F811 (pytest fixtures)
    store = ModelStore()
    timed = plan_training(TrainRequest(other_corpus, name="a", init=base_model,
                                       train_overrides={"max_time": 600.0}), store)
    assert timed.train_config.schedule == "time"
    untimed = plan_training(TrainRequest(other_corpus, name="b", init=base_model),
                            store)
    assert untimed.train_config.schedule == "plateau"


def test_time_schedule_anneals_by_the_epochs_when_they_end_first(tiny_corpus, tmp_path):
    trainer = Trainer(tiny_job(tiny_corpus, tmp_path / "m", epochs=1, max_time=10**6,
                               sample_length=0, eval_every=1000))
    assert trainer.config.schedule == "time"
    assert trainer.run() == "done"  # by the epoch, long before the time limit
    assert trainer.learning_rate == pytest.approx(trainer.config.min_learning_rate,
                                                  rel=0.05)


def test_plateau_waits_for_patience_in_tokens_as_well(tiny_corpus, tmp_path,
                                                      monkeypatch):
    trainer = Trainer(tiny_job(tiny_corpus, tmp_path / "m", learning_rate=0.01,
                               sample_length=0, plateau_patience=1,
                               plateau_patience_tokens=1000))
    assert trainer.config.schedule == "plateau"
    marks = [(0, 2.0), (500, 2.1), (1200, 2.1), (1500, 2.1), (1600, 1.5), (2000, 1.6)]
    rates = []
    for tokens, loss in marks:
        trainer.state.tokens = tokens
        result = Evaluation(loss, 100, 1.0)
        monkeypatch.setattr(trainer, "_evaluate", lambda result=result: result)
        trainer._validate(None)
        rates.append(trainer.learning_rate)
    # one bad validation is not enough until 1000 tokens passed since the last best
    # (or the last decay)
    assert rates == [0.01, 0.01, 0.005, 0.005, 0.005, 0.005]


def test_resume_with_token_patience_decays_matches_an_uninterrupted_run(tiny_corpus,
                                                                          tmp_path):
    settings = dict(epochs=4, learning_rate=0.05, plateau_patience=1,
                    plateau_patience_tokens=300, sample_length=0)
    whole = Trainer(tiny_job(tiny_corpus, tmp_path / "whole", **settings))
    whole.run()
    assert whole.learning_rate < 0.05  # the plateau rule did act

    control = TrainingControl()
    first = Trainer(tiny_job(tiny_corpus, tmp_path / "split", **settings))
    first.run(lambda e: control.cancel() if first.state.step >= 60 else None, control)
    assert first.state.step < whole.state.step
    second = Trainer(tiny_job(tiny_corpus, tmp_path / "split", resume=True, **settings))
    assert second.run() == "done"
    assert second.learning_rate == whole.learning_rate
    for key, value in whole.model.state_dict().items():
        assert torch.equal(value, second.model.state_dict()[key]), key


def test_resume_keeps_the_schedule_and_a_used_up_limit_says_so(tiny_corpus, capsys,
                                                                caplog):
    corpus = str(tiny_corpus)
    assert main(["train", corpus, "--name", "r", *TINY, "--epochs", "1",
                 "--max-time", "600", "--json"]) == 0
    capsys.readouterr()
    store = ModelStore()
    resumed = plan_training(TrainRequest(tiny_corpus, name="r", resume=True,
                                         train_overrides={"max_time": 0.0}), store)
    assert resumed.train_config.schedule == "time"  # not re-chosen on resume

    assert main(["train", corpus, "--name", "r", "--resume", "--max-time", "0.000001",
                 "--json"]) == 0
    done = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert done["event"] == "done" and done["outcome"] == "done"
    assert "whole run's training time" in done["message"]
    assert "whole run's training time" in caplog.text  # the notice (GUI, terminal)


def test_old_checkpoints_keep_patience_in_validations(tiny_corpus, tmp_path):
    trainer = Trainer(tiny_job(tiny_corpus, tmp_path / "old", epochs=1,
                               schedule="plateau"))
    trainer.run()
    meta_path = tmp_path / "old" / "checkpoint.json"
    meta = json.loads(meta_path.read_text())
    del meta["train"]["plateau_patience_tokens"]  # as written before it existed
    meta_path.write_text(json.dumps(meta))
    store = ModelStore()
    store.root.mkdir(parents=True, exist_ok=True)
    (tmp_path / "old").rename(store.root / "old")
    job = plan_training(TrainRequest(tiny_corpus, name="old", resume=True), store)
    assert job.train_config.schedule == "plateau"
    assert job.train_config.plateau_patience_tokens == 0
