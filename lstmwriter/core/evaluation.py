"""Loss, perplexity and bits per character: the one code path that training
validation and `lstmwriter eval` share."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .batching import StreamBatches
from .model import LSTMLanguageModel

__all__ = ["Evaluation", "evaluate"]


@dataclass(frozen=True)
class Evaluation:
    loss: float  # nats per token
    tokens: int
    characters_per_token: float

    @property
    def perplexity(self) -> float:
        return math.exp(min(self.loss, 700.0))

    @property
    def bits_per_char(self) -> float:
        return self.loss / math.log(2) / self.characters_per_token

    def to_dict(self) -> dict[str, float | int]:
        return {"loss": self.loss, "perplexity": self.perplexity,
                "bits_per_char": self.bits_per_char, "tokens": self.tokens}


@torch.no_grad()
def evaluate(
    model: LSTMLanguageModel,
    ids: np.ndarray,
    device: torch.device | str = "cpu",
    characters_per_token: float = 1.0,
    max_tokens: int | None = None,
    streams: int = 16,
    seq_length: int = 256,
) -> Evaluation:
    """Mean cross-entropy of predicting each token of `ids` from the ones before it.

    The text is read as a few parallel streams with the state carried across
    windows, so (almost) every token is predicted with its full left context.
    """
    if max_tokens and len(ids) > max_tokens + 1:
        ids = ids[: max_tokens + 1]
    if len(ids) < 2:
        raise ValueError("need at least two tokens to evaluate")
    batches = StreamBatches(ids, min(streams, len(ids) - 1), seq_length)
    was_training = model.training
    model.eval()
    total, count, state = 0.0, 0, None
    try:
        for index in range(len(batches)):
            x, y = batches.window(index, device)
            logits, state = model(x, state)
            total += F.cross_entropy(logits.flatten(0, 1).float(), y.flatten(),
                                     reduction="sum").item()
            count += y.numel()
    finally:
        model.train(was_training)
    return Evaluation(total / count, count, characters_per_token)
