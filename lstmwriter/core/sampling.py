"""Sampling text from a model."""

from __future__ import annotations

import torch

from .model import LSTMLanguageModel
from .tokenizer import Tokenizer

__all__ = ["generate_text"]


@torch.no_grad()
def generate_text(
    model: LSTMLanguageModel,
    tokenizer: Tokenizer,
    prime: str,
    length: int,
    temperature: float,
    generator: torch.Generator | None = None,
) -> str:
    """A continuation of `prime` of `length` tokens at `temperature` (training samples)."""
    device = model.head.weight.device
    was_training = model.training
    model.eval()
    try:
        ids = tokenizer.encode(prime) if prime else []
        x = torch.tensor([list(ids) or [0]], dtype=torch.long, device=device)
        logits, state = model(x)
        out: list[int] = []
        for _ in range(length):
            scores = logits[0, -1].float()
            scores[tokenizer.unk_id] = -float("inf")
            if temperature <= 1e-3:
                token = int(scores.argmax())
            else:
                probs = torch.softmax(scores / temperature, dim=-1).cpu()
                token = int(torch.multinomial(probs, 1, generator=generator))
            out.append(token)
            logits, state = model(torch.tensor([[token]], device=device), state)
    finally:
        model.train(was_training)
    return tokenizer.decode(out)
