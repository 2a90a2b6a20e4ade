"""The one rule for choosing the next token from logits, and the trainer's
one-shot samples (`generate_text`), kept apart from the streaming Sampler so
that the trainer does not load it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from .sample_options import MAX_TEMPERATURE, SampleOptions

if TYPE_CHECKING:
    from .model import LSTMLanguageModel
    from .tokenizer import Tokenizer

__all__ = ["choose_tokens", "generate_text"]


def choose_tokens(logits: np.ndarray, options: SampleOptions, rng: np.random.Generator,
                  unk_id: int, allowed: np.ndarray | None = None) -> np.ndarray:
    """One token per row of logits (B, V), among `allowed` if given; never the
    unknown symbol (unless it is the whole vocabulary); greedy at or below
    SampleOptions' greedy temperature."""
    z = logits.astype(np.float64)
    if allowed is not None:
        masked = np.full_like(z, -np.inf)
        masked[:, allowed] = z[:, allowed]
        z = masked
    if z.shape[1] > 1:
        z[:, unk_id] = -np.inf
    if options.greedy:
        return z.argmax(axis=1)
    z /= options.temperature
    if 0 < options.top_k < z.shape[1]:
        kth = np.partition(z, -options.top_k, axis=1)[:, -options.top_k, None]
        z[z < kth] = -np.inf
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    if options.top_p < 1.0:
        order = np.argsort(-p, axis=1, kind="stable")
        ranked = np.take_along_axis(p, order, axis=1)
        drop = np.cumsum(ranked, axis=1) - ranked >= options.top_p  # keeps >= 1
        ranked[drop] = 0.0
        p = np.zeros_like(p)
        np.put_along_axis(p, order, ranked, axis=1)
    cdf = np.cumsum(p, axis=1)
    u = rng.random(len(p)) * cdf[:, -1]
    return (cdf <= u[:, None]).sum(axis=1)


@torch.no_grad()
def generate_text(
    model: LSTMLanguageModel,
    tokenizer: Tokenizer,
    prime: str,
    length: int,
    temperature: float,
    rng: np.random.Generator | None = None,
) -> str:
    """A continuation of `prime` of `length` tokens at `temperature` (training
    samples), chosen by `choose_tokens` with `rng` (fresh randomness if None)."""
    # The trainer's sample temperatures are not checked against SampleOptions'
    # range: below it is greedy anyway, above it about as flat.
    options = SampleOptions(num=1, temperature=min(max(temperature, 0.0),
                                                   MAX_TEMPERATURE))
    rng = rng if rng is not None else np.random.default_rng()
    device = model.head.weight.device
    was_training = model.training
    model.eval()
    try:
        ids = tokenizer.encode(prime) if prime else []
        x = torch.tensor([list(ids) or [0]], dtype=torch.long, device=device)
        logits, state = model(x)
        out: list[int] = []
        for _ in range(length):
            scores = logits[0, -1:].float().cpu().numpy()  # (1, V)
            token = int(choose_tokens(scores, options, rng, tokenizer.unk_id)[0])
            out.append(token)
            logits, state = model(torch.tensor([[token]], device=device), state)
    finally:
        model.train(was_training)
    return tokenizer.decode(out)
