"""Loss, perplexity and bits per character: the one code path that training
validation and `lstmwriter eval` share."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .model import LSTMLanguageModel
from .tokenizer import Tokenizer

__all__ = ["Evaluation", "evaluate", "skipped_target"]

BURN_IN = 1024  # tokens of real left context read before a parallel stream scores


@dataclass(frozen=True)
class Evaluation:
    loss: float  # nats per scored token
    tokens: int  # tokens scored: every one after the first, less the skipped
    characters_per_token: float
    unknown_tokens: int = 0  # targets outside the vocabulary, skipped (not scored)

    @property
    def perplexity(self) -> float:
        return math.exp(min(self.loss, 700.0))

    @property
    def bits_per_char(self) -> float:
        return self.loss / math.log(2) / self.characters_per_token

    def to_dict(self) -> dict[str, float | int]:
        return {"loss": self.loss, "perplexity": self.perplexity,
                "bits_per_char": self.bits_per_char, "tokens": self.tokens,
                "unknown_tokens": self.unknown_tokens}


def skipped_target(tokenizer: Tokenizer) -> int | None:
    """The id whose targets go unscored: a character outside the vocabulary (an
    imported model may give it a logit of -1e4). Word level scores `<unk>`, a word
    of the vocabulary the model learned, as the Penn Treebank figures do."""
    return tokenizer.unk_id if tokenizer.level == "char" else None


@torch.no_grad()
def evaluate(
    model: LSTMLanguageModel,
    ids: np.ndarray,
    device: torch.device | str = "cpu",
    characters_per_token: float = 1.0,
    max_tokens: int | None = None,
    skip_id: int | None = None,
    streams: int = 16,
    seq_length: int = 256,
    burn_in: int = BURN_IN,
) -> Evaluation:
    """Mean cross-entropy of predicting each token of `ids` from all the ones
    before it; the first token is context only, targets equal to `skip_id` are
    counted, not scored.

    A long text is read as up to `streams` parallel streams (the targets split
    into nearly equal contiguous parts, as numpy.array_split does); each stream
    first reads the `burn_in` tokens before its part, so its first target has
    real left context, and a text shorter than 4 * `burn_in` per stream is read
    as one stream: exactly a full-sequence forward pass.
    """
    if max_tokens and len(ids) > max_tokens + 1:
        ids = ids[: max_tokens + 1]
    if len(ids) < 2:
        raise ValueError("need at least two tokens to evaluate")
    rows = _stream_rows(len(ids), streams, burn_in)
    was_training = model.training
    model.eval()
    try:
        total, scored, unknown = _score(model, ids, rows, device, seq_length, skip_id)
    finally:
        model.train(was_training)
    if scored == 0:
        raise ValueError("no token of the text is in the model's vocabulary")
    return Evaluation(total / scored, scored, characters_per_token, unknown)


def _stream_rows(length: int, streams: int, burn_in: int) -> list[tuple[int, int, int]]:
    """(read_from, score_from, stop) per stream: inputs ids[read_from : stop - 1]
    predict ids[read_from + 1 : stop], scored from position score_from on."""
    targets = length - 1
    count = max(1, min(streams, targets // (4 * max(burn_in, 1))))
    size, longer = divmod(targets, count)  # the first `longer` parts get one more
    edges = [1 + b * size + min(b, longer) for b in range(count + 1)]
    return [(max(0, first - 1 - burn_in), first, stop)
            for first, stop in itertools.pairwise(edges)]


def _score(model: LSTMLanguageModel, ids: np.ndarray,
           rows: list[tuple[int, int, int]], device: torch.device | str,
           seq_length: int, skip_id: int | None) -> tuple[float, int, int]:
    """Summed nats, scored targets and skipped targets over the streams `rows`."""
    longest = max(stop - 1 - start for start, _, stop in rows)
    total = torch.zeros((), dtype=torch.float64, device=device)
    scored = unknown = 0
    state = None
    for column in range(0, longest, seq_length):
        x, y, weight = _window(ids, rows, column, min(column + seq_length, longest))
        skipped = weight & (y == skip_id) if skip_id is not None else None
        if skipped is not None:
            weight &= ~skipped
            unknown += int(skipped.sum())
        scored += int(weight.sum())
        logits, state = model(x.to(device), state)  # (B, T, V)
        nats = F.cross_entropy(logits.transpose(1, 2).float(), y.to(device),
                               reduction="none")  # (B, T)
        total += nats.double().masked_fill(~weight.to(device), 0.0).sum()
    return total.item(), scored, unknown


def _window(ids: np.ndarray, rows: list[tuple[int, int, int]], begin: int, end: int
            ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Inputs, targets and the scored mask (B, T) of columns begin..end; rows that
    end early are padded with unscored zeros."""
    x = torch.zeros(len(rows), end - begin, dtype=torch.long)
    y = torch.zeros_like(x)
    weight = torch.zeros_like(x, dtype=torch.bool)
    for b, (start, score_from, stop) in enumerate(rows):
        low, high = start + begin, min(start + end, stop - 1)  # input positions
        if high <= low:
            continue
        x[b, : high - low] = torch.from_numpy(np.asarray(ids[low:high], np.int64))
        y[b, : high - low] = torch.from_numpy(np.asarray(ids[low + 1 : high + 1],
                                                         np.int64))
        weight[b, max(score_from - 1, low) - low : high - low] = True
    return x, y, weight
