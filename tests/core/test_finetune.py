"""Fine-tuning (`--init MODEL`): the base model's shape, vocabulary, dropout and weights
carry over, characters it lacks map to the unknown symbol, and the learning rate
halves."""

import json

import pytest
import torch

from lstmwriter.cli import main
from lstmwriter.core.config import PRESETS
from lstmwriter.core.jobs import FINETUNE_LR_SCALE, TrainRequest, plan_training
from lstmwriter.core.store import ModelStore


@pytest.fixture
def base_model(tiny_corpus, capsys) -> str:
    assert main(["train", str(tiny_corpus), "--name", "base", "--charset", "western",
                 "--preset", "char-tiny", "--rnn-size", "12", "--embedding-size", "6",
                 "--dropout", "0.1", "--epochs", "1", "--device", "cpu", "--json"]) == 0
    capsys.readouterr()
    return "base"


@pytest.fixture
def other_corpus(tmp_path):
    folder = tmp_path / "plays"
    folder.mkdir()
    (folder / "act1.txt").write_text(
        "JOHN: Ah ain't gointer do it, naw suh. Не надо.\n" * 40, encoding="utf-8")
    return folder


def test_plan_keeps_the_base_shape_vocabulary_dropout_and_weights(
        base_model, other_corpus):
    store = ModelStore()
    base = store.load(base_model)
    job = plan_training(TrainRequest(corpus=other_corpus, name="tuned",
                                     preset="char-medium", init=base_model), store)
    # 12 units, dropout 0.1, not the preset's
    assert job.model_config == base.model.config
    assert job.tokenizer.to_dict() == base.tokenizer.to_dict()
    assert job.init_from == "base"
    assert job.train_config.learning_rate == pytest.approx(
        PRESETS["char-medium"].train["learning_rate"] * FINETUNE_LR_SCALE)
    for key, value in base.model.state_dict().items():
        assert torch.equal(job.init_weights[key], value)
    # Cyrillic is outside the western charset: it reads as the unknown symbol (id 0)
    assert (job.train_ids == 0).sum() + (job.valid_ids == 0).sum() == \
        40 * 6  # Н е н а д о


def test_explicit_dropout_overrides_the_base_models(base_model, other_corpus):
    job = plan_training(TrainRequest(corpus=other_corpus, name="tuned", init=base_model,
                                     model_overrides={"dropout": 0.3}), ModelStore())
    assert job.model_config.dropout == 0.3


def test_cli_init_trains_and_records_the_base(base_model, other_corpus, capsys):
    assert main(["train", str(other_corpus), "--name", "tuned", "--init", base_model,
                 "--epochs", "1", "--device", "cpu", "--json"]) == 0
    done = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert done["event"] == "done"
    meta = json.loads((ModelStore().path_of("tuned") / "config.json").read_text())
    assert meta["init_from"] == "base"
    assert meta["model"]["rnn_size"] == 12


def test_init_with_an_unknown_model_is_a_clear_error(other_corpus):
    with pytest.raises(Exception, match="no model named"):
        plan_training(TrainRequest(corpus=other_corpus, init="nope"), ModelStore())
