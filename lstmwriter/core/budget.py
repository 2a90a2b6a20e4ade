"""What a time limit buys: the passes over the corpus it allows, and the
regularisation and update count sized to them.

A run limited to a few minutes sees its corpus only a few times. Dropout, which
pays off over many passes, then only slows it down, and so does a cautious
learning rate: on Tiny Shakespeare, char-medium for 5 minutes (2 threads) reached
1.590 nats/char with the preset's dropout 0.25 and rate 2e-3, 1.499 without
dropout and 1.471 without dropout at 3e-3 (`benchmarks/RESULTS.md`). So a limited
char-level run gets no dropout below FEW_PASSES, the preset's from MANY_PASSES
(in between, a linear share), and, where the preset's dropout was
taken away, its learning rate raised by SHORT_RUN_LR_SCALE.

A few minutes also allow few optimizer steps: char-medium makes about 1,700 in 5
minutes on one thread with batches of 32 windows of 64 characters. Smaller batches
give more updates from the same characters at nearly the same speed (the state still
carries over from window to window): on Tiny Shakespeare, one thread, 5 minutes,
1.555 nats/char with 32 × 64 characters a step, 1.500 with 32 × 32, 1.475 with
16 × 32 and 1.518 with 16 × 16. So the window halves down to MIN_SEQ_LENGTH, then the
batch down to MIN_BATCH_SIZE, until the limit allows MIN_STEPS. Settings the user
gave are kept as they are.

The passes come from an estimate of training speed (6 floating-point operations per
weight and token, at a rate measured for this project's 2-core CPU machine), not from a
measurement, so the plan can be shown before anything runs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import torch

from .config import TrainConfig

__all__ = ["BudgetFit", "FEW_PASSES", "MANY_PASSES", "MIN_BATCH_SIZE", "MIN_SEQ_LENGTH",
           "MIN_STEPS", "SHORT_RUN_LR_SCALE", "estimated_tokens_per_second",
           "fit_to_budget"]

FEW_PASSES = 10  # below this many passes over the corpus: no dropout
MANY_PASSES = 30  # from this many: the preset's dropout
SHORT_RUN_LR_SCALE = 1.5  # of the preset's learning rate while dropout is off
MIN_STEPS = 6_000  # optimizer steps a limited run should get, by smaller batches
MIN_SEQ_LENGTH = 32  # the shortest window (characters) they may take
MIN_BATCH_SIZE = 16  # and the fewest windows a batch
# Training arithmetic per second: one CPU thread (train_throughput.py gave 9.6-34 k
# chars/s for 512x2-256x2 on 2 threads: about 6e10-9e10 per thread), an accelerator
# (a cautious figure: a GPU runs these small LSTMs far below its peak).
CPU_FLOPS_PER_THREAD = 6e10
ACCELERATOR_FLOPS = 3e12
_CHAR_VOCAB = 100  # a typical char-level vocabulary, for the output layer's share


@dataclass(frozen=True)
class BudgetFit:
    """How a limited run was sized: the passes its limit allows (estimated), and
    its dropout, learning rate, window and batch before and after."""

    passes: float
    dropout: float
    learning_rate: float
    preset_dropout: float
    preset_learning_rate: float
    seq_length: int
    preset_seq_length: int
    batch_size: int
    preset_batch_size: int

    def _changes(self) -> list[str]:
        """What the limit changed, as the CLI and the panel word it."""
        rows = (("dropout", self.dropout, self.preset_dropout, ""),
                ("learning rate", self.learning_rate, self.preset_learning_rate, ""),
                ("window", self.seq_length, self.preset_seq_length, " characters"),
                ("batch", self.batch_size, self.preset_batch_size, ""))
        return [f"{name} {now:g}{unit} (preset {was:g})"
                for name, now, was, unit in rows if now != was]

    @property
    def sized(self) -> bool:
        """Whether the limit changed anything."""
        return bool(self._changes())

    def describe(self) -> str:
        """One line for the CLI and the training panel."""
        text = f"~{self.passes:.2g} passes over the corpus in the time limit"
        changes = self._changes()
        return f"{text}: {', '.join(changes)}" if changes else text


def estimated_tokens_per_second(model: dict[str, Any], device: torch.device | str,
                                threads: int) -> float:
    """Training tokens per second of a model with shape `model` (ModelConfig's
    fields) on `device` with `threads` CPU threads: a rough estimate."""
    hidden, layers = int(model["rnn_size"]), int(model["num_layers"])
    width = int(model.get("embedding_size") or hidden)
    weights = sum(4 * hidden * ((width if layer == 0 else hidden) + hidden)
                  for layer in range(layers)) + hidden * _CHAR_VOCAB
    per_token = 6.0 * weights  # forward 2, backward 4 per weight
    if torch.device(device).type == "cpu":
        return CPU_FLOPS_PER_THREAD * max(1, threads) / per_token
    return ACCELERATOR_FLOPS / per_token


def fit_to_budget(model: dict[str, Any], train: TrainConfig, corpus_tokens: int,
                  device: torch.device | str, threads: int, given: set[str]
                  ) -> tuple[dict[str, Any], TrainConfig, BudgetFit | None]:
    """`model` and `train` with dropout, learning rate and batches sized to the passes
    over `corpus_tokens` that `train.max_time` (and `train.epochs`) allow; unchanged
    (and no fit) without a limit or with a non-Adam optimizer; settings named in
    `given` are kept."""
    if not train.max_time or train.optimizer != "adam" or corpus_tokens <= 0:
        return model, train, None
    rate = estimated_tokens_per_second(model, device, threads)
    passes = rate * train.max_time / corpus_tokens
    if train.epochs:  # the epochs may end the run first
        passes = min(passes, float(train.epochs))
    dropout, lr = model["dropout"], train.learning_rate
    if dropout and "dropout" not in given:
        share = min(1.0, max(0.0, (passes - FEW_PASSES) / (MANY_PASSES - FEW_PASSES)))
        model = {**model, "dropout": round(dropout * share, 2)}
        if not model["dropout"] and "learning_rate" not in given:
            train = replace(train, learning_rate=lr * SHORT_RUN_LR_SCALE)
    window, batch = train.seq_length, train.batch_size
    train = _batches_for_steps(train, passes * corpus_tokens, given)
    return model, train, BudgetFit(passes, model["dropout"], train.learning_rate,
                                   dropout, lr, train.seq_length, window,
                                   train.batch_size, batch)


def _batches_for_steps(train: TrainConfig, tokens: float, given: set[str]
                       ) -> TrainConfig:
    """`train` with its window halved (down to MIN_SEQ_LENGTH), then its batch (down
    to MIN_BATCH_SIZE), until `tokens` make MIN_STEPS optimizer steps."""
    for field, floor in (("seq_length", MIN_SEQ_LENGTH),
                         ("batch_size", MIN_BATCH_SIZE)):
        while (field not in given and getattr(train, field) > floor
               and tokens / (train.seq_length * train.batch_size) < MIN_STEPS):
            train = replace(train, **{field: max(floor, getattr(train, field) // 2)})
    return train
