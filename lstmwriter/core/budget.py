"""What a time limit buys: the passes over the corpus it allows, and the
regularisation sized to them.

A run limited to a few minutes sees its corpus only a few times. Dropout, which
pays off over many passes, then only slows it down, and so does a cautious
learning rate: on Tiny Shakespeare, char-medium for 5 minutes (2 threads) reached
1.590 nats/char with the preset's dropout 0.25 and rate 2e-3, 1.499 without
dropout and 1.471 without dropout at 3e-3 (`benchmarks/RESULTS.md`). So a limited
char-level run gets no dropout below FEW_PASSES, the preset's from MANY_PASSES
(in between, a linear share), and, where the preset's dropout was
taken away, its learning rate raised by SHORT_RUN_LR_SCALE. Presets without
dropout and settings the user gave are kept as they are.

The passes come from an estimate of training speed (6 floating-point operations per
weight and token, at a rate measured for this project's 2-core CPU machine), not from a
measurement, so the plan can be shown before anything runs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import torch

from .config import TrainConfig

__all__ = ["BudgetFit", "FEW_PASSES", "MANY_PASSES", "SHORT_RUN_LR_SCALE",
           "estimated_tokens_per_second", "fit_to_budget"]

FEW_PASSES = 10  # below this many passes over the corpus: no dropout
MANY_PASSES = 30  # from this many: the preset's dropout
SHORT_RUN_LR_SCALE = 1.5  # of the preset's learning rate while dropout is off
# Training arithmetic per second: one CPU thread (train_throughput.py gave 9.6-34 k
# chars/s for 512x2-256x2 on 2 threads: about 6e10-9e10 per thread), an accelerator
# (a cautious figure: a GPU runs these small LSTMs far below its peak).
CPU_FLOPS_PER_THREAD = 6e10
ACCELERATOR_FLOPS = 3e12
_CHAR_VOCAB = 100  # a typical char-level vocabulary, for the output layer's share


@dataclass(frozen=True)
class BudgetFit:
    """How a limited run was sized: the passes its limit allows (estimated), and
    its dropout and learning rate before and after."""

    passes: float
    dropout: float
    learning_rate: float
    preset_dropout: float
    preset_learning_rate: float

    @property
    def sized(self) -> bool:
        """Whether the limit changed anything."""
        return (self.dropout, self.learning_rate) != (self.preset_dropout,
                                                      self.preset_learning_rate)

    def describe(self) -> str:
        """One line for the CLI and the training panel."""
        text = f"~{self.passes:.2g} passes over the corpus in the time limit"
        if not self.sized:
            return text
        return (f"{text}: dropout {self.dropout:g} (preset {self.preset_dropout:g}), "
                f"learning rate {self.learning_rate:g} "
                f"(preset {self.preset_learning_rate:g})")


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
    """`model` and `train` with dropout and learning rate sized to the passes over
    `corpus_tokens` that `train.max_time` (and `train.epochs`) allow; unchanged
    (and no fit) without a limit, with a non-Adam optimizer, or for settings named
    in `given`."""
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
    return model, train, BudgetFit(passes, model["dropout"], train.learning_rate,
                                   dropout, lr)
