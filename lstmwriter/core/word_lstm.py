"""A word-level LSTM beside the character model: P(next word | the words so far).

The character LSTM spells; a word LSTM trained on the same text's words (one
paragraph a line, its `\\w+` words joined by spaces, `<eos>` between paragraphs)
carries the sense of the sentence further back than a trigram memory can. The
ghost text mixes it in with the word memories (`ghost.GhostPredictor`). It is
stepped in numpy on the calling thread, like the character model: reading a word
is cheap, the distribution over its vocabulary costs one (H x V) product, so it
is computed once per word the writer finishes and kept while they type the next.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from .lstm_step import NumpyLSTM
from .tokenizer import EOS_WORD, UNK_WORD
from .word_memory import words_of

__all__ = ["CONTEXT_CHARS", "WordLSTM", "context_words"]

_HIGH = "\U0010ffff"
CONTEXT_WORDS = 64  # words read from a fresh state when the text was edited
CONTEXT_CHARS = 1_000  # text looked at for them
_EXTENSIONS = 16  # distributions kept for words after the context (a ghost's own)
PREDICTS = 16_000  # words given probabilities (the commonest)


def context_words(text: str) -> list[str]:
    """The last words of `text` as the word model reads them: `<eos>` for each
    line break between words."""
    lines = text[-CONTEXT_CHARS:].split("\n")
    out: list[str] = []
    for n, line in enumerate(lines):
        if n and out and out[-1] != EOS_WORD:
            out.append(EOS_WORD)
        out += words_of(line)
    return out[-CONTEXT_WORDS:]


class WordLSTM:
    """Next-word probabilities from a word-level model (a `store.LoadedModel`),
    for the text set by `set_context` followed by a few more words."""

    def __init__(self, loaded, predicts: int = PREDICTS) -> None:
        """`predicts`: how many words of the vocabulary it gives probabilities for,
        the commonest (a word tokenizer ranks its words by frequency); it reads
        all of them."""
        tokenizer = loaded.tokenizer
        if tokenizer.level != "word":
            raise ValueError("a word model must be word-level")
        self.net = NumpyLSTM(loaded.model)
        self._tokens = list(tokenizer.tokens)[:predicts]
        self.net.keep_outputs(len(self._tokens))
        self._ids = {w: i for i, w in enumerate(tokenizer.tokens)}  # for reading
        usable = [(w, i) for i, w in enumerate(self._tokens)
                  if w not in (UNK_WORD, EOS_WORD)]
        self._index = dict(usable)  # the words it predicts
        self._special = [i for i, w in enumerate(self._tokens)
                         if w in (UNK_WORD, EOS_WORD)]
        usable.sort()
        self._sorted = [w for w, _ in usable]
        self._sorted_ids = np.array([i for _, i in usable], np.int64)
        self._read: list[int] = []  # ids the state has read
        self._state = self.net.zero_state(1)
        self._extensions: OrderedDict[tuple[str, ...], np.ndarray] = OrderedDict()

    def __contains__(self, word: str) -> bool:
        return word in self._index

    # -- the context -------------------------------------------------------------
    def set_context(self, words: Sequence[str]) -> None:
        """The words before the writer's (`context_words`): read only what was
        added since the last call, or, after an edit, the last words afresh."""
        ids = [self._ids.get(w, 0) for w in words]
        if ids == self._read:
            return
        keep = len(self._read)
        if keep and len(ids) >= keep and ids[:keep] == self._read:
            new = ids[keep:]
        else:  # the window slid forward, or the text was edited
            new = _after_overlap(self._read, ids) if keep else None
        if new is None:
            self._state = self.net.zero_state(1)
            self._extensions.clear()  # another reading: none of them holds
            new = ids
        if new:
            self._state = self.net.read(np.array(new, np.int64), *self._state)
        self._read = ids

    def _probs(self, extension: Sequence[str]) -> np.ndarray:
        """P(next token) after the context and `extension`. Kept by the words
        read, so the distribution after a word the ghost took as finished is
        there when the writer finishes it."""
        ids = [self._ids.get(w, 0) for w in extension]
        key = tuple((self._read + ids)[-CONTEXT_WORDS:])
        probs = self._extensions.get(key)
        if probs is not None:
            self._extensions.move_to_end(key)
            return probs
        h, c = self._state
        if ids:
            h, c = self.net.read(np.array(ids, np.int64), h, c)
        logits = self.net.logits(h[-1])[0]
        logits[self._special] = -np.inf  # P(next word), not P(next token)
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        self._extensions[key] = probs
        if len(self._extensions) > _EXTENSIONS:
            self._extensions.popitem(last=False)
        return probs

    # -- queries -----------------------------------------------------------------
    def _range(self, prefix: str) -> np.ndarray:
        lo = bisect.bisect_left(self._sorted, prefix)
        hi = bisect.bisect_left(self._sorted, prefix + _HIGH, lo)
        return self._sorted_ids[lo:hi]

    def has_prefix(self, prefix: str) -> bool:
        return len(self._range(prefix)) > 0

    def prob(self, words: Sequence[str], extension: Sequence[str], prefix: str
             ) -> np.ndarray:
        """P(word | context + extension, the word starts with `prefix`); 0 for a
        word it does not know."""
        ids = self._range(prefix)
        out = np.zeros(len(words))
        if not len(ids):
            return out
        probs = self._probs(extension)
        total = float(probs[ids].sum()) if prefix else 1.0
        for n, word in enumerate(words):
            i = self._index.get(word)
            if i is not None and word.startswith(prefix):
                out[n] = probs[i] / total
        return out

    def candidates(self, extension: Sequence[str], prefix: str, k: int) -> list[str]:
        """The `k` likeliest words that start with `prefix`."""
        ids = self._range(prefix)
        if not len(ids):
            return []
        p = self._probs(extension)
        if prefix:  # else every word it knows: no need to gather them
            p = p[ids]
        top = np.argpartition(-p, min(k, len(p)) - 1)[:k]
        top = top[np.argsort(-p[top])]
        return [self._tokens[int(ids[t] if prefix else t)] for t in top]


def _after_overlap(old: list[int], new: list[int]) -> list[int] | None:
    """The ids of `new` after the longest tail of `old` that `new` starts with a
    part of: a window that slid forward by a few words (None if none fits)."""
    for shift in range(1, len(old)):
        tail = old[shift:]
        if new[:len(tail)] == tail:
            return new[len(tail):]
    return None
