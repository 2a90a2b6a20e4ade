"""Small builders shared by the core tests."""

from __future__ import annotations

from pathlib import Path

from lstmwriter.core.config import ModelConfig, TrainConfig
from lstmwriter.core.corpus import prepare_corpus, split_ids
from lstmwriter.core.training import TrainingJob

TINY_MODEL = dict(rnn_size=16, num_layers=2, embedding_size=8, dropout=0.1)
TINY_TRAIN = dict(seq_length=16, batch_size=4, learning_rate=1e-2, epochs=2,
                  eval_every=10, sample_length=8, device="cpu", checkpoint_every=3600.0,
                  max_eval_tokens=2000)


def tiny_job(corpus_dir: Path, model_dir: Path, resume: bool = False,
             **train) -> TrainingJob:
    corpus = prepare_corpus(corpus_dir)
    train_ids, valid_ids = split_ids(corpus.ids, 0.1)
    return TrainingJob(
        name=model_dir.name, model_dir=model_dir, train_ids=train_ids,
        valid_ids=valid_ids, tokenizer=corpus.tokenizer,
        model_config=ModelConfig(vocab_size=corpus.tokenizer.vocab_size, **TINY_MODEL),
        train_config=TrainConfig(**{**TINY_TRAIN, **train}),
        corpus=corpus.report.to_dict(), resume=resume)
