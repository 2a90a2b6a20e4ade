"""A memory of the writer's words: word n-gram counts that back up the LSTM.

`WordMemory` holds trigram, bigram and unigram counts of a text (the training
corpus, saved beside the model as `memory.npz`) and gives interpolated
absolute-discounting probabilities of the next word, optionally restricted to
the words that start with a half-typed prefix. `DocumentMemory` does the same
for the document being written, growing word by word as the writer types, with
a smaller discount: a phrase the writer used once is likely to come again.
Words are runs of `\\w` characters, the same units the ghost text is accepted
in, so "don't" is "don", "'", "t". Counts are case-sensitive (the writer's "The"
at a sentence start is not their "the").

The corpus memory is numpy arrays, its vocabulary sorted so that a prefix is an
id range; the file is an .npz of plain arrays (no pickled objects).
"""

from __future__ import annotations

import bisect
import collections
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["MEMORY_FILE", "Candidates", "DocumentMemory", "MixedMemory", "WordMemory",
           "load_memory", "text_of_ids", "words_of"]

MEMORY_FILE = "memory.npz"
_WORD = re.compile(r"\w+")
_DISCOUNT = 0.75
# A document repeats its own phrases more than a corpus does: a smaller discount
# trusts a phrase seen once or twice (tuned on development spans, RESULTS.md).
_DOCUMENT_DISCOUNT = 0.5
_FORMAT = 1
_HIGH = "\U0010ffff"
_PIECE = 1 << 16
_KEPT_RANGES = 4096  # prefix ranges whose commonest words are kept


def words_of(text: str) -> list[str]:
    """The words of `text`, in order (punctuation and spaces dropped)."""
    if len(text) <= _PIECE:
        return _WORD.findall(text)
    words: list[str] = []
    start = 0
    while start < len(text):  # in pieces: one long regex call would hold the GIL
        end = start + _PIECE
        while end < len(text) and (text[end].isalnum() or text[end] == "_"):
            end += 1
        words += _WORD.findall(text, start, end)
        start = end
    return words


def text_of_ids(ids: np.ndarray, tokens: Sequence[str]) -> str:
    """The text of a char-level corpus's token ids (unknown symbols as U+FFFD)."""
    points = np.array([ord(t) if len(t) == 1 else 0xFFFD for t in tokens], np.uint32)
    return points[np.asarray(ids)].tobytes().decode("utf-32-le")


@dataclass(frozen=True)
class Candidates:
    """Next-word candidates with their probabilities given the prefix."""

    words: list[str]
    probs: np.ndarray  # P(word | history, word starts with the prefix)


class WordMemory:
    """Trigram counts of a fixed text, for P(next word | previous two words)."""

    def __init__(self, vocab: list[str], unigram: np.ndarray, bi_ptr: np.ndarray,
                 bi_w: np.ndarray, bi_c: np.ndarray, tri_keys: np.ndarray,
                 tri_ptr: np.ndarray, tri_w: np.ndarray, tri_c: np.ndarray) -> None:
        self.vocab = vocab  # sorted
        self._index = {w: i for i, w in enumerate(vocab)}
        self._uni = unigram.astype(np.float64)
        self._uni_p = (self._uni + 1.0) / (self._uni.sum() + len(vocab))  # all > 0
        self._uni_cum = np.concatenate([[0.0], np.cumsum(self._uni_p)])
        self._bi = (bi_ptr, bi_w, bi_c.astype(np.float64))
        self._tri_keys = tri_keys
        self._tri = (tri_ptr, tri_w, tri_c.astype(np.float64))
        self._top: dict[tuple[int, int, int], np.ndarray] = {}  # see _commonest

    # -- building and files ----------------------------------------------------
    @classmethod
    def build(cls, texts: Iterable[str], min_trigram: int = 1,
              max_trigrams: int = 4_000_000) -> WordMemory:
        """Count the words of `texts`; trigrams seen fewer than `min_trigram` times
        are dropped, and rarer ones still while there are over `max_trigrams`."""
        streams = [words_of(t) for t in texts]
        vocab = sorted({w for s in streams for w in s})
        index = {w: i for i, w in enumerate(vocab)}
        ids = [np.fromiter((index[w] for w in s), np.int64, len(s)) for s in streams]
        size = max(1, len(vocab))
        unigram = np.zeros(len(vocab), np.int64)
        bi_keys, tri_keys = [], []
        for seq in ids:
            np.add.at(unigram, seq, 1)
            bi_keys.append(seq[:-1] * size + seq[1:])
            tri_keys.append((seq[:-2] * size + seq[1:-1]) * size + seq[2:])
        bi = _count(bi_keys)
        tri = _count(tri_keys)
        keep = tri[1] >= min_trigram
        while keep.sum() > max_trigrams:
            min_trigram += 1
            keep = tri[1] >= min_trigram
        tri = (tri[0][keep], tri[1][keep])
        bi_ptr = _row_pointers(bi[0] // size, len(vocab))
        hist, tri_w = np.divmod(tri[0], size)
        tri_hist, first = np.unique(hist, return_index=True)
        tri_ptr = np.append(first, len(hist)).astype(np.int64)
        return cls(vocab, unigram, bi_ptr, bi[0] % size, bi[1], tri_hist, tri_ptr,
                   tri_w, tri[1])

    def save(self, path: Path) -> None:
        """Write to `path` (.npz of plain arrays), atomically."""
        bi_ptr, bi_w, bi_c = self._bi
        tri_ptr, tri_w, tri_c = self._tri
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp.npz")
        vocab = np.frombuffer("\n".join(self.vocab).encode("utf-8"), np.uint8)
        np.savez_compressed(
            tmp, format=np.array([_FORMAT]), vocab=vocab,
            unigram=self._uni.astype(np.int64), bi_ptr=bi_ptr,
            bi_w=bi_w.astype(np.int32), bi_c=bi_c.astype(np.int32),
            tri_keys=self._tri_keys, tri_ptr=tri_ptr, tri_w=tri_w.astype(np.int32),
            tri_c=tri_c.astype(np.int32))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> WordMemory:
        """Read a file written by `save`; ValueError if it is not one."""
        names = ("unigram", "bi_ptr", "bi_w", "bi_c", "tri_keys", "tri_ptr", "tri_w",
                 "tri_c")
        try:
            with open(path, "rb") as handle, \
                    np.load(handle, allow_pickle=False) as data:
                if int(data["format"][0]) != _FORMAT:
                    raise ValueError(f"{path}: unknown word-memory format")
                text = data["vocab"].tobytes().decode("utf-8")
                arrays = {k: data[k] for k in names}
        except (OSError, KeyError, IndexError, zipfile.BadZipFile,
                UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: not a word memory ({exc})") from None
        vocab = text.split("\n") if text else []
        if len(arrays["unigram"]) != len(vocab) or vocab != sorted(vocab) or \
                len(arrays["bi_ptr"]) != len(vocab) + 1:
            raise ValueError(f"{path}: damaged word memory")
        return cls(vocab, **arrays)

    # -- queries ---------------------------------------------------------------
    def __contains__(self, word: str) -> bool:
        return word in self._index

    def __len__(self) -> int:
        return len(self.vocab)

    def has_prefix(self, prefix: str) -> bool:
        """Whether some word starts with `prefix`."""
        lo, hi = self._range(prefix)
        return hi > lo

    def _range(self, prefix: str) -> tuple[int, int]:
        lo = bisect.bisect_left(self.vocab, prefix)
        return lo, bisect.bisect_left(self.vocab, prefix + _HIGH, lo)

    @staticmethod
    def _slice(table, row: int) -> tuple[np.ndarray, np.ndarray]:
        ptr, words, counts = table
        return words[ptr[row]:ptr[row + 1]], counts[ptr[row]:ptr[row + 1]]

    def _levels(self, history: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """(words, counts) of the trigram and bigram rows for `history`."""
        ids = [self._index.get(w, -1) for w in history[-2:]]
        levels = []
        if len(ids) == 2 and min(ids) >= 0:
            key = ids[0] * len(self.vocab) + ids[1]
            at = int(np.searchsorted(self._tri_keys, key))
            if at < len(self._tri_keys) and self._tri_keys[at] == key:
                levels.append(self._slice(self._tri, at))
        if ids and ids[-1] >= 0:
            levels.append(self._slice(self._bi, ids[-1]))
        return [level for level in levels if len(level[0])]

    def candidates(self, history: Sequence[str], prefix: str = "",
                   limit: int = 8) -> Candidates:
        """The `limit` likeliest next words that start with `prefix`, with
        P(word | history, prefix); empty if no known word starts with it."""
        lo, hi = self._range(prefix)
        if hi <= lo:
            return Candidates([], np.zeros(0))
        if hi - lo <= 4 * limit:
            pool = [np.arange(lo, hi)]
        else:
            pool = [self._commonest(lo, hi, limit)]
        for words, counts in self._levels(history):
            inside = (words >= lo) & (words < hi)
            words, counts = words[inside], counts[inside]
            if len(words) > limit:
                words = words[np.argpartition(-counts, limit)[:limit]]
            pool.append(words)
        ids = np.unique(np.concatenate(pool).astype(np.int64))
        probs, total = self._probs(history, ids, lo, hi)
        order = np.argsort(-probs, kind="stable")[:limit]
        return Candidates([self.vocab[i] for i in ids[order]], probs[order] / total)

    def _commonest(self, lo: int, hi: int, limit: int) -> np.ndarray:
        """Ids of the `limit` commonest words in [lo, hi), kept: a prefix's range
        and its counts never change, and the wide ranges (no prefix, one letter)
        come at almost every keystroke."""
        key = (lo, hi, limit)
        top = self._top.get(key)
        if top is None:
            if len(self._top) >= _KEPT_RANGES:
                self._top.clear()
            top = lo + np.argpartition(-self._uni[lo:hi], limit)[:limit]
            self._top[key] = top
        return top

    def prob(self, words: Sequence[str], history: Sequence[str],
             prefix: str = "") -> np.ndarray:
        """P(word | history, prefix) of each word (0 for unknown words)."""
        lo, hi = self._range(prefix)
        ids = np.array([self._index.get(w, -1) for w in words], np.int64)
        known = (ids >= lo) & (ids < hi)
        out = np.zeros(len(words))
        if hi > lo and known.any():
            probs, total = self._probs(history, ids[known], lo, hi)
            out[known] = probs / total
        return out

    def _probs(self, history: Sequence[str], ids: np.ndarray, lo: int, hi: int
               ) -> tuple[np.ndarray, float]:
        """Interpolated probabilities of `ids` and their total over [lo, hi)."""
        p = self._uni_p[ids]
        mass = self._uni_cum[hi] - self._uni_cum[lo]
        for words, counts in reversed(self._levels(history)):  # bigram, then trigram
            total = counts.sum()
            gamma = _DISCOUNT * len(counts) / total
            found = np.minimum(np.searchsorted(words, ids), len(words) - 1)
            direct = np.where(words[found] == ids,
                              np.maximum(counts[found] - _DISCOUNT, 0.0), 0.0)
            p = direct / total + gamma * p
            inside = (words >= lo) & (words < hi)
            mass = np.maximum(counts[inside] - _DISCOUNT, 0.0).sum() / total + \
                gamma * mass
        return p, float(mass)


class MixedMemory:
    """Word memories as one, P = sum of w_i P_i over those that know a word with
    the prefix (weights renormalised over them): a fine-tuned model's own corpus
    backed by the memory of the model it started from."""

    def __init__(self, parts: Sequence[tuple[float, WordMemory]]) -> None:
        self.parts = [(float(w), m) for w, m in parts if w > 0]
        if not self.parts:
            raise ValueError("a mixed memory needs a part with a positive weight")

    def __contains__(self, word: str) -> bool:
        return any(word in m for _, m in self.parts)

    def has_prefix(self, prefix: str) -> bool:
        """Whether some part knows a word that starts with `prefix`."""
        return any(m.has_prefix(prefix) for _, m in self.parts)

    def prob(self, words: Sequence[str], history: Sequence[str],
             prefix: str = "") -> np.ndarray:
        """Mixed P(word | history, prefix) of each word (0 for unknown words)."""
        out = np.zeros(len(words))
        knowing = [(w, m) for w, m in self.parts if m.has_prefix(prefix)]
        total = sum(w for w, _ in knowing)
        for w, m in knowing:
            out += w / total * m.prob(words, history, prefix)
        return out

    def candidates(self, history: Sequence[str], prefix: str = "",
                   limit: int = 8) -> Candidates:
        """The `limit` likeliest next words under the mixture (see `WordMemory`)."""
        pool = [w for _, m in self.parts for w in m.candidates(history, prefix,
                                                                limit).words]
        pool = list(dict.fromkeys(pool))
        if not pool:
            return Candidates([], np.zeros(0))
        probs = self.prob(pool, history, prefix)
        order = np.argsort(-probs, kind="stable")[:limit]
        return Candidates([pool[i] for i in order], probs[order])


class DocumentMemory:
    """Trigram counts of the document being written, grown as it grows."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        """Forget every word."""
        self.words: list[str] = []
        self._sorted: list[str] = []  # the distinct words, sorted (prefix ranges)
        self._uni: collections.Counter[str] = collections.Counter()
        self._bi: dict[str, collections.Counter[str]] = collections.defaultdict(
            collections.Counter)
        self._tri: dict[tuple[str, str], collections.Counter[str]] = \
            collections.defaultdict(collections.Counter)

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self._uni

    def set_words(self, words: list[str]) -> None:
        """Hold exactly `words` (only appends when they extend what is held)."""
        n = len(self.words)
        if len(words) < n or words[:n] != self.words:
            self.clear()
            n = 0
        self.extend(words[n:])

    def extend(self, words: Iterable[str]) -> None:
        """More words at the end of the document."""
        w = self.words
        for word in words:
            if word not in self._uni:
                bisect.insort(self._sorted, word)
            self._uni[word] += 1
            if w:
                self._bi[w[-1]][word] += 1
            if len(w) >= 2:
                self._tri[(w[-2], w[-1])][word] += 1
            w.append(word)

    def add(self, word: str) -> None:
        """One more word at the end of the document."""
        self.extend([word])

    def _with_prefix(self, prefix: str) -> list[str]:
        lo = bisect.bisect_left(self._sorted, prefix)
        return self._sorted[lo:bisect.bisect_left(self._sorted, prefix + _HIGH, lo)]

    def has_prefix(self, prefix: str) -> bool:
        """Whether some word of the document starts with `prefix`."""
        lo = bisect.bisect_left(self._sorted, prefix)
        return lo < len(self._sorted) and self._sorted[lo].startswith(prefix)

    def candidates(self, history: Sequence[str], prefix: str, limit: int) -> list[str]:
        """Words of the document that start with `prefix`, those that followed the
        last word of `history` first."""
        after = self._bi.get(history[-1], {}) if history else {}
        seen = [w for w, _ in sorted(after.items(), key=lambda kv: -kv[1])
                if w.startswith(prefix)][:limit]
        if prefix and len(seen) < limit:
            words = self._with_prefix(prefix)
            seen += sorted(words, key=lambda w: -self._uni[w])[:limit]
        return list(dict.fromkeys(seen))[:limit]

    def prob(self, words: Sequence[str], history: Sequence[str],
             prefix: str = "") -> np.ndarray:
        """Interpolated P(word | history, prefix) in the document (0 if none)."""
        total_uni = len(self.words) if not prefix else \
            sum(self._uni[w] for w in self._with_prefix(prefix))
        if not total_uni:
            return np.zeros(len(words))
        scores = np.array([self._uni.get(w, 0) / total_uni
                           if w.startswith(prefix) else 0.0 for w in words])
        norm = 1.0  # of the scores over every word with the prefix
        levels = [self._bi.get(history[-1]) if history else None,
                  self._tri.get(tuple(history[-2:])) if len(history) >= 2 else None]
        for counts in levels:
            if not counts:
                continue
            total = sum(counts.values())
            gamma = _DOCUMENT_DISCOUNT * len(counts) / total
            direct = np.array([max(counts.get(w, 0) - _DOCUMENT_DISCOUNT, 0.0) / total
                               if w.startswith(prefix) else 0.0 for w in words])
            seen = sum(max(c - _DOCUMENT_DISCOUNT, 0.0) for w, c in counts.items()
                       if w.startswith(prefix)) / total
            scores = direct + gamma * scores
            norm = seen + gamma * norm
        return scores / norm


def _count(chunks: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    chunks = [c for c in chunks if len(c)]
    if not chunks:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.unique(np.concatenate(chunks), return_counts=True)


def _row_pointers(rows: np.ndarray, size: int) -> np.ndarray:
    """CSR row pointers for sorted row indices."""
    return np.searchsorted(rows, np.arange(size + 1)).astype(np.int64)


def load_memory(model_dir: Path | None) -> WordMemory | None:
    """The memory saved beside a model; None when it has none or it is damaged."""
    if model_dir is None:
        return None
    path = Path(model_dir) / MEMORY_FILE
    if not path.is_file():
        return None
    try:
        return WordMemory.load(path)
    except ValueError:
        return None
