"""Adapting the model to the document being written (dynamic evaluation).

Krause et al. 2017/2018: after the model has predicted a stretch of text, take a
small gradient step on it, so names and phrases of this document become more
likely further on. Each parameter's step is scaled by the running root mean
square of its gradients (their RMS-normalised update), and a decay pulls the
weights back towards the trained ones, so the model never drifts far.

How large a step helps depends on the model: one trained long on much text
wants small ones, one fine-tuned for minutes on a writer's folder larger ones.
So a few copies learn side by side, one per step size (`LEARNING_RATES`), and
the one whose recent predictions of the document were best is the one used,
for the next chunk as for the suggestions (each chunk is predicted before any
copy learns from it).

The adapted weights live only here: the stored model is never changed. Each
`observe` takes the text written so far and learns from the new complete
chunks; it runs off the keystroke path (a worker thread in the app) and the
Sampler picks the weights up with `update_weights`.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .store import LoadedModel

__all__ = ["DocumentAdapter"]

# Chosen on development text (benchmarks/RESULTS.md, session 12): 3e-4 suits the
# bundled model on new prose, 1e-3 the models fine-tuned on a folder (-0.05
# bits/char against the single plain-SGD step of session 8; 1e-3 on the bundled
# model is worse than not adapting).
LEARNING_RATES = (3e-4, 1e-3)  # of the RMS-normalised step, one copy each
SMOOTHING = 0.99  # of each parameter's running mean square gradient
DECAY = 0.002  # of the distance back to the trained weights, per step
CHUNK = 128  # characters per step
RECENT = 0.1  # weight of the latest chunk in a copy's running loss


class _Copy:
    """One copy of the model learning at one step size."""

    def __init__(self, model: torch.nn.Module, rate: float) -> None:
        self.model = copy.deepcopy(model)
        self.rate = rate
        self.mean_square = [torch.zeros_like(p) for p in self.model.parameters()]
        self.state = None
        self.loss = 0.0  # running mean loss per character of the recent chunks

    def learn(self, ids: np.ndarray, trained: list[torch.Tensor], steps: int,
              decay: float) -> np.ndarray:
        """Per-character losses of ids[1:] given ids[:-1] from this copy's state,
        then one step on them (the `steps`-th; it corrects the mean square's
        start from zero)."""
        x = torch.as_tensor(np.asarray(ids[:-1]), dtype=torch.long)[None]
        y = torch.as_tensor(np.asarray(ids[1:]), dtype=torch.long)[None]
        learn = self.rate > 0
        with torch.set_grad_enabled(learn):
            logits, state = self.model(x, self.state)
            losses = F.cross_entropy(logits[0], y[0], reduction="none")
        if learn:
            self.model.zero_grad(set_to_none=True)
            losses.mean().backward()
            unbias = 1.0 - SMOOTHING ** steps
            with torch.no_grad():
                for p, p0, ms in zip(self.model.parameters(), trained,
                                     self.mean_square):
                    if p.grad is not None:
                        ms.mul_(SMOOTHING).addcmul_(p.grad, p.grad,
                                                    value=1.0 - SMOOTHING)
                        p.addcdiv_(p.grad, (ms / unbias).sqrt_().add_(1e-8),
                                   value=-self.rate)
                    p.add_(p0 - p, alpha=decay)
        self.state = tuple(s.detach() for s in state)
        out = losses.detach().numpy()
        self.loss += RECENT * (float(out.mean()) - self.loss)
        return out

    def reset(self, trained: list[torch.Tensor]) -> None:
        with torch.no_grad():
            for p, p0, ms in zip(self.model.parameters(), trained, self.mean_square):
                p.copy_(p0)
                ms.zero_()
        self.state, self.loss = None, 0.0


class DocumentAdapter:
    """Copies of a char-level model that learn from one document as it grows."""

    def __init__(self, loaded: LoadedModel,
                 learning_rates: Sequence[float] | None = None,
                 chunk: int = CHUNK, decay: float = DECAY) -> None:
        if loaded.tokenizer.level != "char":
            raise ValueError("adapting to a document needs a character-level model")
        rates = LEARNING_RATES if learning_rates is None else tuple(learning_rates)
        if not rates or min(rates) < 0:
            raise ValueError("adapting needs one or more step sizes, none negative")
        self.tokenizer = loaded.tokenizer
        self.chunk = chunk
        self.decay = decay
        model = copy.deepcopy(loaded.model).to("cpu").float().eval()
        self._trained = [p.detach().clone() for p in model.parameters()]
        self._copies = [_Copy(model, rate) for rate in rates]
        self._best = self._copies[0]
        self._seen = ""  # the text learnt from, up to the last complete chunk
        self.steps = 0

    @property
    def learning_rate(self) -> float:
        """The step size of the copy in use (whose recent predictions were best)."""
        return self._best.rate

    def weights(self) -> dict[str, np.ndarray]:
        """A copy of the adapted weights in use, for `Sampler.update_weights`."""
        return {k: v.detach().numpy().copy()
                for k, v in self._best.model.state_dict().items()}

    def reset(self) -> None:
        """Back to the trained weights (a new document)."""
        for c in self._copies:
            c.reset(self._trained)
        self._best = self._copies[0]
        self._seen, self.steps = "", 0

    def observe(self, text: str) -> bool:
        """Learn from the complete chunks of `text` not learnt yet; True when the
        weights changed. After an edit before the end, reading goes on from the
        last whole chunk before the edit (what was learnt is kept)."""
        if not text.startswith(self._seen):
            self._rewind(_common_prefix(text, self._seen))
        changed = False
        while len(text) - len(self._seen) >= self.chunk + 1:
            start = len(self._seen)
            self._learn(self.tokenizer.encode(text[start:start + self.chunk + 1]))
            self._seen = text[:start + self.chunk]
            changed = True
        return changed

    def score_text(self, text: str) -> np.ndarray:
        """Loss in nats of each character of `text` given the ones before (the first
        from the start state), each chunk predicted by the copy in use, then
        learnt from."""
        ids = self.tokenizer.encode(text)
        losses = np.zeros(len(ids))
        first = self.tokenizer.id_of("\n") or 0
        ids = np.concatenate([[first], ids])
        for start in range(0, len(ids) - 1, self.chunk):
            piece = ids[start:start + self.chunk + 1]
            losses[start:start + len(piece) - 1] = self._learn(piece)
        return losses

    def _learn(self, ids: np.ndarray) -> np.ndarray:
        """Every copy predicts, then learns from, one chunk; returns the losses of
        the copy that was in use, and puts the best one now in use."""
        self.steps += 1
        used = self._copies.index(self._best)
        losses = [c.learn(ids, self._trained, self.steps, self.decay)
                  for c in self._copies]
        self._best = min(self._copies, key=lambda c: c.loss)
        return losses[used]

    def _rewind(self, common: int) -> None:
        """Forget having read past `common` characters, back to a chunk boundary;
        each copy's state there is the one after reading the chunk before from a
        fresh state (an LSTM's memory of text further back is faint)."""
        keep = common // self.chunk * self.chunk
        self._seen = self._seen[:keep]
        ids = self.tokenizer.encode(self._seen[keep - self.chunk:]) if keep else None
        for c in self._copies:
            c.state = None
            if ids is not None:
                with torch.no_grad():
                    _, state = c.model(torch.as_tensor(ids, dtype=torch.long)[None])
                c.state = tuple(s.detach() for s in state)


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
