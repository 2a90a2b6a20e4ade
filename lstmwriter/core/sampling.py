"""Sampling text from a model.

`Sampler` keeps the LSTM state of the text before the cursor and streams K
alternative continuations, one token at a time, chosen by
`generation.choose_tokens` (as are the trainer's samples).

The context window, precisely. Let n be the number of tokens of the text before
the cursor (characters, or complete words for a word model), T the context limit
and G the window step (a multiple of the snapshot interval S). The state is that
of reading tokens [a(n), n) from a zero state, where

    a(n) = 0                          if n <= T
    a(n) = ceil((n - T) / G) * G      otherwise,

so the window holds between T - G + 1 and T tokens and its start moves only in
steps of G. This is a function of the text alone, so incremental feeding equals
reading from scratch.

Two sets of states do the work. The *main* state (batch 1) is that of the
current window; a keystroke steps it once. The *window states* are one per grid
point inside the window (at most ceil(T / G) + 1, 2 with the defaults), read
together in a batch; they may trail the text by up to `_LAG` tokens and catch up
in one span read (done by `stream` once its first piece is out, so it is not on
the keystroke's path), so moving the window start never re-reads it: the main state
is then taken from the window state of the new start. Snapshots of the window
states every S tokens, and of both sets for the last positions, let an edit
resume from the latest state at or before the first changed token; reading the
window afresh (at most T tokens) is the fallback.
"""

from __future__ import annotations

import bisect
import collections
import copy
import dataclasses
import math
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .checkpoint import ModelFileError
from .generation import choose_tokens
from .lstm_step import NumpyLSTM, single_thread_blas
from .sample_options import STOP_RULES, SampleOptions
from .store import LoadedModel, ModelStore
from .tokenizer import EOS_WORD, UNK_WORD, Tokenizer

__all__ = [
    "SampleOptions",
    "Sampler",
    "SamplerStats",
    "STOP_RULES",
    "load_for_sampling",
    "window_start",
]

_SPAN_MIN = 12  # shorter stretches are cheaper as single numpy steps
_LAG = 48  # tokens the window states may trail the main state by
_CATCH_UP = 8  # a stream brings them up to date once they trail by this many
_RECENT = 64  # per-position states kept for backspacing
_SENTENCE_END = re.compile(r"[.!?]")
_OPEN_WORD = re.compile(r"\w+(?:['\u2019]\w+)*['\u2019]?\Z")
_OPEN_PRETOKENIZED = re.compile(r"\S+\Z")
_DETOK_KEEP = 48  # word tokens of context kept for spacing decisions
_LONGEST_WORD = 256  # a half-typed word is looked for in this many last characters


@dataclass
class SamplerStats:
    """Work done so far (tests and benchmarks read it to check the costs)."""

    main_steps: int = 0  # single steps of the main state (one per typed token)
    steps: int = 0  # single steps of the window states (batched)
    span_tokens: int = 0  # tokens read by span reads of the window states
    cold_starts: int = 0  # reads of the window from a zero state
    resumes: int = 0  # restores of a saved state after an edit


class _Saved(NamedTuple):
    pos: int
    anchors: tuple[int, ...]
    h: np.ndarray  # (L, k, H)
    c: np.ndarray


def window_start(n: int, context_limit: int, window_step: int) -> int:
    """First token of the context window when the text has `n` tokens."""
    if n <= context_limit:
        return 0
    return -(-(n - context_limit) // window_step) * window_step


class _Vocabulary:
    """Per-model lookups: sorted words for completing a half-typed word."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer
        self.level = tokenizer.level
        self.tokens = tokenizer.tokens
        self.unk_id = tokenizer.unk_id
        if self.level == "char":
            # An empty context reads as the end of a paragraph (".\n"), so a new
            # text starts like one; a lone "\n" from a zero state can lock prose
            # models into runs of indentation spaces at low temperatures.
            self.start_ids = [i for i in map(tokenizer.id_of, ".\n") if i] or [0]
            self._open = None
            self.char_pieces = [tokenizer.decode([i]) for i in range(len(self.tokens))]
        else:
            self.start_ids = [tokenizer.eos_id]
            pretokenized = not tokenizer.split_punctuation
            self._open = _OPEN_PRETOKENIZED if pretokenized else _OPEN_WORD
            pairs = sorted((t, i) for i, t in enumerate(self.tokens)
                           if t not in (UNK_WORD, EOS_WORD))
            self._words = [t for t, _ in pairs]
            self._word_ids = np.array([i for _, i in pairs], dtype=np.int64)

    def split_open(self, text: str) -> tuple[str, str]:
        """(closed text, half-typed last word): only closed text feeds the state."""
        if self._open is None:
            return text, ""
        offset = max(0, len(text) - _LONGEST_WORD)
        match = self._open.search(text, offset)
        if not match:
            return text, ""
        return text[:match.start()], text[match.start():]

    def stable_boundary(self, text: str, end: int) -> int:
        """A position <= end after which tokenising restarts cleanly."""
        if self.level == "char":
            return end
        return max(text.rfind(ws, 0, end) for ws in (" ", "\n", "\t", "\r")) + 1

    def completions(self, prefix: str) -> np.ndarray:
        """Ids of the words that start with `prefix` (normalised)."""
        lo = bisect.bisect_left(self._words, prefix)
        hi = bisect.bisect_left(self._words, prefix + "\U0010ffff", lo)
        return self._word_ids[lo:hi]


def _common_prefix(a: str, b: str) -> int:
    if b.startswith(a):
        return len(a)
    if a.startswith(b):
        return len(b)
    m = min(len(a), len(b))
    x = np.frombuffer(a[:m].encode("utf-32-le"), dtype=np.uint32)
    y = np.frombuffer(b[:m].encode("utf-32-le"), dtype=np.uint32)
    diff = np.flatnonzero(x != y)
    return int(diff[0]) if diff.size else m


def _drop_after(saved: collections.deque[_Saved],
                pos: int) -> collections.deque[_Saved]:
    """The saved states at or before `pos` (the others read changed tokens)."""
    if all(s.pos <= pos for s in saved):
        return saved
    return collections.deque((s for s in saved if s.pos <= pos), maxlen=saved.maxlen)


def _common_ids(a: np.ndarray, b: np.ndarray) -> int:
    m = min(len(a), len(b))
    diff = np.flatnonzero(a[:m] != b[:m])
    return int(diff[0]) if diff.size else m


class Sampler:
    """Keeps the LSTM state of the text before the cursor and streams continuations.

    One Sampler is used by one thread at a time. It works on its own copy of the
    weights, so a training run may go on with the module the model came from.
    """

    def __init__(self, loaded: LoadedModel, context_limit: int = 2000,
                 snapshot_every: int = 256, window_step: int = 0,
                 max_snapshots: int = 1024) -> None:
        if snapshot_every < 1 or context_limit < snapshot_every:
            raise ValueError("need 1 <= snapshot_every <= context_limit")
        if not window_step:  # the grid point nearest half the limit, from above
            window_step = snapshot_every * math.ceil(context_limit / 2 / snapshot_every)
        if window_step % snapshot_every \
                or not snapshot_every <= window_step <= context_limit:
            raise ValueError("window_step must be a multiple of snapshot_every, "
                             "at most context_limit")
        self.context_limit = context_limit
        self.snapshot_every = snapshot_every
        self.window_step = window_step
        self.max_snapshots = max(1, max_snapshots)
        self.stats = SamplerStats()
        self._text = ""
        self._install(loaded)

    # -- model -----------------------------------------------------------------
    def _install(self, loaded: LoadedModel) -> None:
        model = copy.deepcopy(loaded.model).to("cpu").float().eval()
        for p in model.parameters():
            p.requires_grad_(False)
        self.loaded = dataclasses.replace(loaded, model=model)
        self._net = NumpyLSTM(model)
        self._vocab = _Vocabulary(loaded.tokenizer)
        self._closed = ""
        self._tail = ""
        self._ids = np.zeros(1024, dtype=np.int64)
        self._n = 0
        self._pos = 0
        self._anchors: tuple[int, ...] = ()
        self._h, self._c = self._net.zero_state(0)
        self._snapshots: dict[int, _Saved] = {}
        self._recent: collections.deque[_Saved] = collections.deque(maxlen=_RECENT)
        h, c = self._net.zero_state(1)
        self._main = _Saved(0, (0,), h, c)  # anchors: the window start
        self._main_recent: collections.deque[_Saved] = collections.deque(maxlen=_RECENT)
        self._main_logits: np.ndarray | None = None
        self._synced = 0  # tokens of the text at the end of the last _sync
        # Trailing by less than the shortest window keeps the current window
        # start among the window states even one keystroke before a catch-up.
        self._lag = max(0, min(_LAG, self.context_limit - self.window_step))
        with single_thread_blas():
            h, c = self._net.zero_state(1)
            for token in self._vocab.start_ids:
                h, c = self._net.step(np.array([token]), h, c)
            self._start = (h, c, self._net.logits(h[-1]))

    def update_weights(self, weights: dict[str, np.ndarray]) -> None:
        """Step with these weights of the same model from now on, keeping the
        states read so far: dynamic evaluation's weights change as the document
        grows, while what was read stays read."""
        expected = {k: tuple(v.shape)
                    for k, v in self.loaded.model.state_dict().items()}
        if {k: tuple(np.shape(v)) for k, v in weights.items()} != expected:
            raise ValueError("the new weights do not fit the model")
        net = NumpyLSTM(self.loaded.model, weights)
        with single_thread_blas():
            self._net = net
            self._main_logits = None
            h, c = self._start[:2]
            self._start = (h, c, net.logits(h[-1]))

    def replace_model(self, loaded: LoadedModel) -> None:
        """Switch to another model (e.g. a newer snapshot), keeping the context."""
        text = self._text
        self._install(loaded)
        self._text = ""
        self.set_context(text)

    # -- context ---------------------------------------------------------------
    @property
    def text(self) -> str:
        """The text before the cursor, as last given to `set_context`."""
        return self._text

    @property
    def token_count(self) -> int:
        """Complete tokens of the context (a half-typed word is not counted)."""
        return self._n

    def window(self) -> tuple[int, int]:
        """[start, end) of the tokens the state has read."""
        return window_start(self._n, self.context_limit, self.window_step), self._n

    def token_ids(self) -> np.ndarray:
        """Ids of the context's complete tokens (a copy)."""
        return self._ids[:self._n].copy()

    def state(self) -> tuple[np.ndarray, np.ndarray]:
        """(h, c) after reading the window, each (num_layers, hidden); zeros if
        empty."""
        return self._main.h[:, 0].copy(), self._main.c[:, 0].copy()

    def set_context(self, text: str) -> None:
        """The text before the cursor; reads only what changed since the last call."""
        with single_thread_blas():
            closed, tail = self._vocab.split_open(text)
            common = self._update_ids(closed)
            self._text, self._tail = text, tail
            self._sync(common)

    def _update_ids(self, closed: str) -> int:
        """Re-tokenise only past the last stable boundary; returns the number of
        leading tokens that did not change."""
        old = self._closed
        j = _common_prefix(old, closed)
        if j == len(old) == len(closed):
            return self._n
        b = self._vocab.stable_boundary(closed, j)
        encode = self._vocab.tokenizer.encode
        t = self._n - len(encode(old[b:])) if b < len(old) else self._n
        fresh = encode(closed[b:])
        common = t + _common_ids(self._ids[t:self._n], fresh)
        n = t + len(fresh)
        if n > len(self._ids):
            grown = np.zeros(max(n, 2 * len(self._ids)), dtype=np.int64)
            grown[:self._n] = self._ids[:self._n]
            self._ids = grown
        self._ids[t:n] = fresh
        self._n = n
        self._closed = closed
        return common

    def _sync(self, common: int) -> None:
        """Bring the states to the new text, whose first `common` tokens are
        unchanged."""
        n = self._n
        a = window_start(n, self.context_limit, self.window_step)
        # 1. window states: valid (read only unchanged tokens) and holding a(n)
        if common < self._synced:  # states saved past `common` read changed tokens
            self._forget_after(common)  # (some may lie past the read position)
        if self._pos > common or self._pos > n:  # an edit before the read position
            self._restore(common, n)
        elif a not in self._anchors and a != self._pos:
            self._restore(common, n)  # e.g. a long insertion: read the window afresh
        if n - self._pos > self._lag:
            self._feed(n)
        # 2. the main state: kept, restored or taken from the window states
        if common < self._synced:
            self._main_recent = _drop_after(self._main_recent, common)
        main = self._main
        if not (main.pos <= common and main.anchors[0] == a and 0 <= n - main.pos
                <= self._lag):
            usable = [s for s in self._main_recent if s.pos <= common and
                      s.anchors[0] == a and 0 <= n - s.pos <= self._lag]
            if usable:
                main = max(usable, key=lambda s: s.pos)
            else:  # e.g. the window start moved: catch up, then take its state
                self._feed(n)
                main = self._main_from_window(a)
        self._step_main(main, n)

    def _main_from_window(self, a: int) -> _Saved:
        if a in self._anchors:
            i = self._anchors.index(a)
            return _Saved(self._pos, (a,), self._h[:, i:i + 1], self._c[:, i:i + 1])
        h, c = self._net.zero_state(1)  # the window starts right here
        return _Saved(self._pos, (a,), h, c)

    def _step_main(self, main: _Saved, n: int) -> None:
        anchors, h, c = main.anchors, main.h, main.c
        for p in range(main.pos, n):
            h, c = self._net.step(self._ids[p], h, c)
            self.stats.main_steps += 1
            self._main_recent.append(_Saved(p + 1, anchors, h, c))
        if main is not self._main or main.pos != n:
            self._main = _Saved(n, anchors, h, c)
            self._main_logits = None
        self._synced = n

    def _forget_after(self, pos: int) -> None:
        for p in [p for p in self._snapshots if p > pos]:
            del self._snapshots[p]
        self._recent = _drop_after(self._recent, pos)

    def _restore(self, limit: int, n: int) -> None:
        """Load the latest usable saved state at or before `limit`, or start the
        window afresh when none helps."""
        a = window_start(n, self.context_limit, self.window_step)
        best: _Saved | None = None
        candidates = [s for s in self._recent if s.pos <= limit]
        candidates += [s for p, s in self._snapshots.items() if p <= limit]
        for saved in candidates:
            if saved.pos > a and a in saved.anchors and (best is None or
                                                        saved.pos > best.pos):
                best = saved
        if best is None:
            self.stats.cold_starts += 1
            self._pos, self._anchors = a, ()
            self._h, self._c = self._net.zero_state(0)
        else:
            self.stats.resumes += 1
            self._pos, self._anchors, self._h, self._c = best
        self._recent = _drop_after(self._recent, self._pos)

    def _feed(self, n: int) -> None:
        """Read tokens [pos, n) into every state, saving snapshots on the way."""
        step, every = self.window_step, self.snapshot_every
        self._drop_before(window_start(n, self.context_limit, step))
        while self._pos < n:
            pos = self._pos
            if pos % every == 0 and self._anchors:
                self._save_snapshot()
            if pos % step == 0 and (not self._anchors or self._anchors[-1] < pos):
                h0, c0 = self._net.zero_state(1)
                self._anchors += (pos,)
                self._h = np.concatenate([self._h, h0], axis=1)
                self._c = np.concatenate([self._c, c0], axis=1)
            end = min(n, (pos // every + 1) * every)
            if end - pos >= _SPAN_MIN:
                self._h, self._c = self._net.read(self._ids[pos:end], self._h, self._c)
                self.stats.span_tokens += end - pos
            else:
                for p in range(pos, end):
                    self._h, self._c = self._net.step(self._ids[p], self._h, self._c)
                    self.stats.steps += 1
            self._pos = end
            self._recent.append(_Saved(end, self._anchors, self._h, self._c))

    def _drop_before(self, a: int) -> None:
        keep = sum(1 for anchor in self._anchors if anchor < a)
        if keep:
            self._anchors = self._anchors[keep:]
            self._h, self._c = self._h[:, keep:], self._c[:, keep:]

    def _save_snapshot(self) -> None:
        if self._pos not in self._snapshots \
                and len(self._snapshots) >= self.max_snapshots:
            farthest = max(self._snapshots, key=lambda p: abs(p - self._pos))
            del self._snapshots[farthest]
        self._snapshots[self._pos] = _Saved(self._pos, self._anchors, self._h, self._c)

    def _main_output(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(h, c, logits) of the state after the context, batch 1."""
        if self._n == 0:
            return self._start
        if self._main_logits is None:
            self._main_logits = self._net.logits(self._main.h[-1])
        return self._main.h, self._main.c, self._main_logits

    # -- sampling --------------------------------------------------------------
    def stream(self, options: SampleOptions, cancel: threading.Event | None = None
               ) -> Iterator[list[str]]:
        """Per step, the K new text pieces ("" once an alternative has stopped).

        Ends when every alternative has stopped or `cancel` is set (checked
        before and after each token)."""
        for pieces, _ in self.stream_status(options, cancel):
            yield pieces

    def stream_status(self, options: SampleOptions,
                      cancel: threading.Event | None = None
                      ) -> Iterator[tuple[list[str], list[bool]]]:
        """Like `stream`, with each alternative's "has stopped" flag."""
        vocab, net = self._vocab, self._net
        k = options.num
        rng = np.random.default_rng(options.seed)
        with single_thread_blas():
            h, c, logits, allowed, context = self._prepare(vocab, net)
        pieces = _pieces_for(vocab, context, k, self._text, allowed is not None,
                             self._tail)
        alternatives = [_Alternative(options) for _ in range(k)]
        h, c = np.repeat(h, k, axis=1), np.repeat(c, k, axis=1)
        logits = np.repeat(logits, k, axis=0)
        tokens = None
        for i in range(options.length):
            if cancel is not None and cancel.is_set():
                return
            with single_thread_blas():
                if tokens is not None:
                    h, c = net.step(tokens, h, c)
                    logits = net.logits(h[-1])
                tokens = choose_tokens(logits, options, rng, vocab.unk_id,
                                       allowed if i == 0 else None)
            last = i == options.length - 1
            out = [alt.push(piece, last)
                   for alt, piece in zip(alternatives, pieces.push(tokens))]
            if cancel is not None and cancel.is_set():
                return
            yield out, [alt.done for alt in alternatives]
            if all(alt.done for alt in alternatives):
                return
            if i == 0:  # the first piece is out: now the context's deferred work
                self._catch_up()

    @property
    def net(self) -> NumpyLSTM:
        """The network the states are stepped with."""
        return self._net

    def next_distribution(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(h, c, logits) after the context: (L, 1, H), (L, 1, H), (1, V)."""
        with single_thread_blas():
            return self._main_output()

    def greedy_words(self, count: int) -> Iterator[tuple[str, float]]:
        """Up to `count` most likely tokens in a row, each as (text, probability);
        completes a half-typed word first."""
        vocab, net = self._vocab, self._net
        with single_thread_blas():
            h, c, logits, allowed, context = self._prepare(vocab, net)
            pieces = _pieces_for(vocab, context, 1, self._text, allowed is not None,
                                 self._tail)
            for i in range(count):
                z = logits[0].astype(np.float64)
                if allowed is not None and i == 0:
                    z = np.where(np.isin(np.arange(len(z)), allowed), z, -np.inf)
                if len(z) > 1:
                    z[vocab.unk_id] = -np.inf
                token = int(z.argmax())
                p = float(1.0 / np.exp(z - z[token]).sum())
                yield pieces.push(np.array([token]))[0], p
                h, c = net.step(np.array([token]), h, c)
                logits = net.logits(h[-1])

    def _catch_up(self) -> None:
        """Bring the window states up to the text (they trail after keystrokes)."""
        if self._n - self._pos >= _CATCH_UP:
            with single_thread_blas():
                self._feed(self._n)

    def suggest(self, options: SampleOptions, cancel: threading.Event | None = None
                ) -> list[str]:
        """The K full continuations (as far as they got if cancelled)."""
        texts = [""] * options.num
        for step in self.stream(options, cancel):
            texts = [t + p for t, p in zip(texts, step)]
        return texts

    def _prepare(self, vocab: _Vocabulary, net: NumpyLSTM):
        """Start state, logits, allowed first tokens (completing a half-typed word)
        and the context token ids for spacing."""
        h, c, logits = self._main_output()
        start, end = self.window()
        context = self._ids[max(start, end - _DETOK_KEEP):end].tolist()
        allowed = None
        if self._tail:
            prefix = vocab.tokenizer.normalize(self._tail)
            allowed = vocab.completions(prefix)
            if not allowed.size:  # no word continues it: take it as complete
                allowed = None
                for token in vocab.tokenizer.encode(self._tail):
                    h, c = net.step(np.array([token]), h, c)
                    context.append(int(token))
                logits = net.logits(h[-1])
        return h, c, logits, allowed, context


class _CharPieces:
    """Each character's text (decode drops what the tokenizer adds, e.g. a "\r")."""

    def __init__(self, pieces: list[str]) -> None:
        self._pieces = pieces

    def push(self, ids: np.ndarray) -> list[str]:
        return [self._pieces[i] for i in ids]


class _WordPieces:
    """Detokenised text per alternative: each token's piece is what decoding the
    longer sequence adds (WordTokenizer.decode only ever appends)."""

    def __init__(self, tokenizer: Tokenizer, context: list[int], k: int,
                 strip_space: bool, completing: str) -> None:
        self._tokenizer = tokenizer
        self._quote = tokenizer.id_of('"') if '"' in tokenizer.tokens else -1
        self._seqs = [list(context) for _ in range(k)]
        self._texts = [tokenizer.decode(context)] * k
        self._strip = [strip_space] * k
        self._completing = completing  # normalised half-typed word, or ""

    def push(self, ids: np.ndarray) -> list[str]:
        out = []
        for i, token in enumerate(ids.tolist()):
            seq = self._seqs[i]
            seq.append(token)
            if len(seq) > 2 * _DETOK_KEEP:  # keep the quote parity, drop the rest
                dropped = seq[:-_DETOK_KEEP]
                seq[:] = ([self._quote] if dropped.count(self._quote) % 2 else []) + \
                    seq[-_DETOK_KEEP:]
                self._texts[i] = self._tokenizer.decode(seq[:-1])
            text = self._tokenizer.decode(seq)
            piece = text[len(self._texts[i]):]
            self._texts[i] = text
            if self._completing:
                piece = self._tokenizer.tokens[token][len(self._completing):]
            elif self._strip[i] and piece:
                piece = piece.lstrip(" ")
            if piece:
                self._strip[i] = False
            out.append(piece)
        self._completing = ""
        return out


def _pieces_for(vocab: _Vocabulary, context: list[int], k: int, text: str,
                completing: bool, tail: str):
    if vocab.level == "char":
        return _CharPieces(vocab.char_pieces)
    strip = bool(text) and text[-1] in " \t"
    prefix = vocab.tokenizer.normalize(tail) if completing else ""
    return _WordPieces(vocab.tokenizer, context, k, strip, prefix)


class _Alternative:
    """Applies the stop rules to one alternative's growing text. Stop strings and
    line ends are left out; a sentence end is kept. Line and sentence ends count
    only after some non-blank text, so a suggestion at the end of a line goes on
    to the next one. Text that may be the start of the stop string is held back
    until it is known not to be."""

    def __init__(self, options: SampleOptions) -> None:
        self.stop = options.stop
        self.stop_string = options.stop_string
        self.text = ""
        self.emitted = 0
        self.done = False
        self.reason = "length"

    def push(self, piece: str, last: bool) -> str:
        if self.done:
            return ""
        self.text += piece
        start = self.emitted
        cut, reason = len(self.text) + 1, None
        body = len(self.text) - len(self.text.lstrip())
        if self.stop in ("line", "sentence") and body < len(self.text):
            at = self.text.find("\n", max(start, body))
            if at >= 0:
                cut, reason = at, self.stop
        if self.stop == "sentence":
            match = _SENTENCE_END.search(self.text, start)
            if match and match.end() < cut:
                cut, reason = match.end(), "sentence"
        if self.stop_string:
            at = self.text.find(self.stop_string, start)
            if 0 <= at < cut:
                cut, reason = at, "string"
        if reason is not None:
            self.done, self.reason = True, reason
            self.emitted = cut
            return self.text[start:cut]
        end = len(self.text)
        if self.stop_string and not last:
            end -= _held_back(self.text, self.stop_string, start)
        if last:
            self.done = True
        self.emitted = end
        return self.text[start:end]

    @property
    def result(self) -> str:
        return self.text[:self.emitted]


def _held_back(text: str, stop: str, start: int) -> int:
    """Length of the longest suffix of text[start:] that begins `stop`."""
    for size in range(min(len(stop) - 1, len(text) - start), 0, -1):
        if stop.startswith(text[-size:]):
            return size
    return 0


def load_for_sampling(name_or_path: str | Path, store: ModelStore | None = None,
                      attempts: int = 5, delay: float = 0.2) -> LoadedModel:
    """Load a model for a Sampler, retrying while a training run is replacing its
    files (a checksum mismatch between config.json and model.pt)."""
    store = store or ModelStore()
    for attempt in range(attempts):
        try:
            return store.load(name_or_path)
        except ModelFileError:
            if attempt == attempts - 1:
                raise
            time.sleep(delay)
    raise AssertionError("unreachable")
