"""Adapting the model to the document being written (dynamic evaluation).

Krause et al. 2017: after the model has predicted a stretch of text, take one
small gradient step on it, so names and phrases of this document become more
likely further on; a decay pulls the weights back towards the trained ones, so
the model never drifts far. The adapted weights live only here, on a copy: the
stored model is never changed. Each `observe` takes the text written so far and
learns from the new complete chunks; it runs off the keystroke path (a worker
thread in the app) and the Sampler picks the weights up with `update_weights`.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
import torch.nn.functional as F

from .store import LoadedModel

__all__ = ["DocumentAdapter"]

# Chosen on development text (benchmarks/RESULTS.md, session 8): against 0.1 and
# 0.02, -0.08 to -0.1 bits/char for models fine-tuned on a writer's folder and
# -0.01 to -0.02 for the bundled model on new prose; the price is a slower return
# after a long stretch of something else (a pasted table) in the same document.
LEARNING_RATE = 0.2  # SGD on the mean loss per character of a chunk
DECAY = 0.002  # of the distance back to the trained weights, per step
CHUNK = 128  # characters per step


class DocumentAdapter:
    """A copy of a char-level model that learns from one document as it grows."""

    def __init__(self, loaded: LoadedModel, learning_rate: float | None = None,
                 chunk: int = CHUNK, decay: float = DECAY) -> None:
        if loaded.tokenizer.level != "char":
            raise ValueError("adapting to a document needs a character-level model")
        self.tokenizer = loaded.tokenizer
        self.learning_rate = LEARNING_RATE if learning_rate is None else learning_rate
        self.chunk = chunk
        self.decay = decay
        self.model = copy.deepcopy(loaded.model).to("cpu").float().eval()
        self._trained = [p.detach().clone() for p in self.model.parameters()]
        self._seen = ""  # the text learnt from, up to the last complete chunk
        self._state = None
        self.steps = 0

    def weights(self) -> dict[str, np.ndarray]:
        """A copy of the adapted weights, for `Sampler.update_weights`."""
        return {k: v.detach().numpy().copy()
                for k, v in self.model.state_dict().items()}

    def reset(self) -> None:
        """Back to the trained weights (a new document)."""
        with torch.no_grad():
            for p, p0 in zip(self.model.parameters(), self._trained):
                p.copy_(p0)
        self._seen, self._state, self.steps = "", None, 0

    def observe(self, text: str) -> bool:
        """Learn from the complete chunks of `text` not learnt yet; True when the
        weights changed. After an edit before the end, reading goes on from the
        last whole chunk before the edit (what was learnt is kept)."""
        if not text.startswith(self._seen):
            self._rewind(_common_prefix(text, self._seen))
        changed = False
        while len(text) - len(self._seen) >= self.chunk + 1:
            start = len(self._seen)
            piece = text[start:start + self.chunk + 1]
            self._step(piece)
            self._seen = text[:start + self.chunk]
            changed = True
        return changed

    def score_text(self, text: str) -> np.ndarray:
        """Loss in nats of each character of `text` given the ones before (the first
        from the start state), learning from each chunk right after scoring it."""
        ids = self.tokenizer.encode(text)
        losses = np.zeros(len(ids))
        state = None
        first = self.tokenizer.id_of("\n") or 0
        ids = np.concatenate([[first], ids])
        for start in range(0, len(ids) - 1, self.chunk):
            piece = ids[start:start + self.chunk + 1]
            loss, state = self._learn(piece, state)
            losses[start:start + len(piece) - 1] = loss
        return losses

    def _rewind(self, common: int) -> None:
        """Forget having read past `common` characters, back to a chunk boundary;
        the state there is the one after reading the chunk before from a fresh
        state (an LSTM's memory of text further back is faint)."""
        keep = common // self.chunk * self.chunk
        self._seen, self._state = self._seen[:keep], None
        if keep:
            ids = self.tokenizer.encode(self._seen[keep - self.chunk:])
            with torch.no_grad():
                _, state = self.model(torch.as_tensor(ids, dtype=torch.long)[None])
            self._state = tuple(s.detach() for s in state)

    def _step(self, piece: str) -> None:
        ids = self.tokenizer.encode(piece)
        _, self._state = self._learn(ids, self._state)

    def _learn(self, ids: np.ndarray, state):
        """Per-character losses of ids[1:] given ids[:-1], then one SGD step."""
        x = torch.as_tensor(np.asarray(ids[:-1]), dtype=torch.long)[None]
        y = torch.as_tensor(np.asarray(ids[1:]), dtype=torch.long)[None]
        learn = self.learning_rate > 0
        with torch.set_grad_enabled(learn):
            logits, new_state = self.model(x, state)
            losses = F.cross_entropy(logits[0], y[0], reduction="none")
        if learn:
            self.model.zero_grad(set_to_none=True)
            losses.mean().backward()
            with torch.no_grad():
                for p, p0 in zip(self.model.parameters(), self._trained):
                    if p.grad is not None:
                        p.add_(p.grad, alpha=-self.learning_rate)
                    p.add_(p0 - p, alpha=self.decay)
            self.steps += 1
        new_state = tuple(s.detach() for s in new_state)
        return losses.detach().numpy(), new_state


def _common_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix of `a` and `b` (binary search over
    slices compared in C: fast for long documents)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo
