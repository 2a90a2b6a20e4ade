"""One planner: `preview_training` settles a run's preset, model shape and training
settings from the corpus size and the device alone (the training panel shows them),
and `plan_training` uses it once it has read the corpus."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from lstmwriter.core.config import PRESETS, ModelConfig, TrainConfig
from lstmwriter.core.corpus import prepare_corpus
from lstmwriter.core.jobs import (
    FINETUNE_LR_SCALE,
    TrainRequest,
    plan_training,
    preview_training,
)
from lstmwriter.core.model import LSTMLanguageModel
from lstmwriter.core.store import ModelStore, save_model_dir

NOT_READ = Path("no-such-folder")  # the preview never opens the corpus
GPU = torch.device("cuda")  # planned for, never touched
# (level, MB, chosen on a CPU, chosen on a GPU): char-rnn's sizes, capped on a CPU
AUTO = [("char", 0.01, "char-small", "char-small"),
        ("char", 1, "char-medium", "char-medium"),
        ("char", 5, "char-medium", "char-large"),
        ("char", 12, "char-medium", "char-xl"),
        ("char", 30, "char-medium", "char-xxl"),
        ("word", 1, "ptb-small", "ptb-small"),
        ("word", 12, "ptb-small", "ptb-medium")]


def forbid_cuda(monkeypatch) -> None:
    """Fail the test if anything asks CUDA anything (there is no GPU here)."""
    def touched(*_args, **_kwargs):
        raise AssertionError("CUDA was touched")

    for name in ("is_available", "device_count", "init", "_lazy_init",
                 "current_device", "get_device_name", "get_device_properties"):
        monkeypatch.setattr(torch.cuda, name, touched)


@pytest.mark.parametrize("preset, level", [*((name, None) for name in PRESETS),
                                           ("auto", "char"), ("auto", "word")])
def test_plan_training_uses_the_preview(tiny_corpus, preset, level):
    request = TrainRequest(tiny_corpus, name="run", preset=preset, level=level,
                           train_overrides={"device": "cpu", "max_time": 60.0})
    job = plan_training(request, ModelStore())
    plan = preview_training(request, job.corpus["bytes"], "cpu")
    assert job.model_config == plan.model_config(job.tokenizer.vocab_size)
    assert job.train_config == plan.train
    assert job.corpus["preset"] == plan.preset.name
    chosen = PRESETS[plan.preset.name]
    model, train = dict(chosen.model), dict(chosen.train)
    if plan.budget is not None:  # the time limit sized these (test_budget)
        model["dropout"] = plan.budget.dropout
        train.update(learning_rate=plan.budget.learning_rate,
                     seq_length=plan.budget.seq_length,
                     batch_size=plan.budget.batch_size)
    assert {k: getattr(job.model_config, k) for k in chosen.model} == model
    assert {k: getattr(job.train_config, k) for k in chosen.train} == train


@pytest.mark.parametrize("level, mb, on_cpu, on_gpu", AUTO)
def test_auto_chooses_by_corpus_size_and_device_without_touching_cuda(
        monkeypatch, level, mb, on_cpu, on_gpu):
    forbid_cuda(monkeypatch)
    request = TrainRequest(NOT_READ, level=level)
    size = int(mb * 1e6)
    assert preview_training(request, size, "cpu").preset.name == on_cpu
    for device in (GPU, "cuda:1", "mps"):
        assert preview_training(request, size, device).preset.name == on_gpu


def test_the_preview_is_every_setting_with_the_users_overrides_on_top():
    request = TrainRequest(NOT_READ, preset="char-large",
                           model_overrides={"rnn_size": 300, "dropout": None},
                           train_overrides={"batch_size": 7, "max_time": 600.0,
                                            "epochs": None})
    plan = preview_training(request, 0, "cpu")
    assert plan.preset is PRESETS["char-large"] and plan.level == "char"
    assert plan.model_config(40) == ModelConfig(
        vocab_size=40, rnn_size=300, num_layers=2, embedding_size=64, dropout=0.25)
    assert set(plan.model) == set(ModelConfig(2).to_dict()) - {"vocab_size"}
    assert plan.train == TrainConfig(seq_length=128, batch_size=7, learning_rate=2e-3,
                                     max_time=600.0, schedule="time")


def test_fine_tuning_keeps_the_base_shape_and_level():
    base = ModelConfig(vocab_size=50, rnn_size=12, num_layers=1, embedding_size=6,
                       dropout=0.1)
    request = TrainRequest(NOT_READ, init="base",
                           model_overrides={"rnn_size": 999, "dropout": 0.3})
    plan = preview_training(request, 0, "cpu", base, "char")
    assert plan.model_config(50) == replace(base, dropout=0.3)
    assert plan.preset.name == "char-small" and plan.level == "char"
    assert plan.train.learning_rate == pytest.approx(
        PRESETS["char-small"].train["learning_rate"] * FINETUNE_LR_SCALE)
    with pytest.raises(ValueError, match="ptb-small is for word-level models, not "
                                         "char-level"):
        preview_training(replace(request, preset="ptb-small"), 0, "cpu", base, "char")


def test_a_fine_tuning_run_uses_the_preview_of_its_base(tiny_corpus):
    store = ModelStore()
    tokenizer = prepare_corpus(tiny_corpus).tokenizer
    config = ModelConfig(vocab_size=tokenizer.vocab_size, rnn_size=12, num_layers=1,
                         embedding_size=6, dropout=0.1)
    save_model_dir(store.root / "base", LSTMLanguageModel(config), tokenizer)
    request = TrainRequest(tiny_corpus, name="tuned", init="base", preset="auto",
                           model_overrides={"rnn_size": 999},
                           train_overrides={"device": "cpu"})
    job = plan_training(request, store)
    plan = preview_training(request, job.corpus["bytes"], "cpu", config, "char")
    assert job.model_config == plan.model_config(config.vocab_size) == config
    assert job.train_config == plan.train


def test_an_unknown_preset_or_level_mismatch_is_a_message():
    with pytest.raises(ValueError, match="unknown preset 'huge'"):
        preview_training(TrainRequest(NOT_READ, preset="huge"), 0, "cpu")
    with pytest.raises(ValueError, match="char-small is for char-level models"):
        preview_training(TrainRequest(NOT_READ, preset="char-small", level="word"),
                         0, "cpu")
