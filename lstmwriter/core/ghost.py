"""The ghost text: the single best guess of what the writer types next.

Unlike the pane's alternatives (samples at the chosen temperature), the ghost
text is the most probable continuation, word by word, under a mixture of the
LSTM and a memory of the writer's words (`word_memory.WordMemory` of the training
corpus, `word_memory.DocumentMemory` of the document so far):

    P(word) = w_lstm * P_lstm(word) + (1 - w_lstm) * P_memory(word)

and, where the model has a word-level LSTM of its own (`word_lstm.WordLSTM`, the
bundled model's `words/`), P_memory gives it a share, and the character LSTM's
weight is `lstm_weight_with_words`.

Each step predicts one *unit*, the `\\W*\\w+` that Ctrl+Right accepts: either the
rest of a half-typed word, or the separator and the next word. LSTM candidates
come from a beam search over characters that ends at a word boundary; memory
candidates are scored by the LSTM too (teacher forcing), so every candidate has
both probabilities. Words are restricted to those the memories know (when the
model has a memory), so a half-typed word is completed only to a real word. The
ghost goes on while the probability of all its words stays above a threshold,
and is empty when even its first word is below it. A word the writer read and
typed past (they typed a character of it instead of taking it) is not offered
again for the same spot: the next best word is.

At the start of a paragraph (after a blank line) the words just before say
little; what comes next is often one of the words that began the document's
earlier paragraphs, in their order: the speakers' names of a play or a
script, taking turns. A third memory, of those first words only
(`DocumentMemory` over the sequence of paragraph-first words), gets a share of
the memory part there.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .lstm_step import single_thread_blas
from .sample_options import DEFAULT_GHOST_AMOUNT, GHOST_AMOUNTS
from .word_lstm import CONTEXT_CHARS, WordLSTM, context_words
from .word_memory import DocumentMemory, WordMemory, words_of

__all__ = ["GhostOptions", "GhostPredictor", "PassedWords", "first_unit",
           "keystrokes_saved"]

_UNIT = re.compile(r"\W*\w+")
_TRAILING_WORD = re.compile(r"\w+\Z")
_MAX_SEP = 4  # characters of punctuation and space before a word
# where a paragraph's first word starts: after a blank line, and any spaces,
# quotes or brackets
_PARAGRAPH_LEAD = r"\n[^\S\n]*\n\s*[^\w\s]*"
_PARAGRAPH_WORD = re.compile(_PARAGRAPH_LEAD + r"(\w+)")
_PARAGRAPH_END = re.compile(_PARAGRAPH_LEAD + r"\Z")


def keystrokes_saved(unit: str) -> float:
    """What accepting `unit` saves: its length less the one keystroke (a token
    0.1 for a one-character unit, so that a sure one still beats none)."""
    return max(len(unit) - 1, 0.1)


def first_unit(text: str) -> str:
    """What one Ctrl+Right accepts of `text`: punctuation and spaces, then a word."""
    match = _UNIT.match(text)
    return match.group(0) if match else ""


@dataclass(frozen=True)
class GhostOptions:
    """How the ghost text is chosen (the app's defaults)."""

    # show a word only while P(all words so far) >= this (GHOST_AMOUNTS)
    threshold: float = GHOST_AMOUNTS[DEFAULT_GHOST_AMOUNT]
    # Chosen on development text (benchmarks/ghost_rules.py, RESULTS.md): a large
    # share for the memories sharpens the probabilities, so at the same 50%+
    # precision more positions get a ghost.
    lstm_weight: float = 0.4  # of the LSTM in the mixture with the memories
    document_weight: float = 0.5  # of the document in the memory part (grown in)
    document_words: int = 300  # words of document after which it has half its weight
    word_lstm_weight: float = 0.6  # of the word LSTM (if any) in the memory part
    lstm_weight_with_words: float = 0.3  # lstm_weight, when there is a word LSTM
    max_words: int = 4
    by_savings: bool = True  # choose by P x keystrokes saved, not by P alone
    beam: int = 1  # LSTM hypotheses searched (0: only score the memory's words)
    candidates: int = 3  # memory candidates scored per step
    word_candidates: int = 1  # the word LSTM's candidates scored per step (3: the same)
    turn_weight: float = 0.8  # of the paragraph-first words at a paragraph's start
    max_chars: int = 24  # characters one unit may take
    skip_passed: bool = True  # a word typed past is not offered again there

    def __post_init__(self) -> None:
        if not (0.0 <= self.threshold <= 1.0 and 0.0 <= self.lstm_weight <= 1.0
                and 0.0 <= self.document_weight <= 1.0
                and 0.0 <= self.word_lstm_weight <= 1.0
                and 0.0 <= self.lstm_weight_with_words <= 1.0
                and 0.0 <= self.turn_weight <= 1.0):
            raise ValueError("ghost weights and threshold must be in [0, 1]")
        if min(self.max_words, self.candidates, self.max_chars) < 1 \
                or min(self.beam, self.word_candidates) < 0:
            raise ValueError("ghost sizes must be at least 1 (the beam and the word "
                             "LSTM's candidates at least 0)")


class PassedWords:
    """The words the writer typed past: offered as the ghost's first unit and
    read, they typed a character of it instead of taking it. Such a word is not
    offered again at the same spot; the spots are forgotten once the writer is
    past them, and all of them after an edit (the text stops growing at its end).
    A ghost not read (the app: on screen shorter than a pause) declines nothing,
    so typing along a word keeps it."""

    def __init__(self) -> None:
        self._offered: tuple[str, str] | None = None  # (text, unit) last offered
        self._passed: set[tuple[int, str]] = set()  # (where the word starts, word)

    def __bool__(self) -> bool:
        return bool(self._passed)

    def update(self, text: str, read: bool = True) -> None:
        """The text is now `text`; `read`: the last unit offered was read."""
        offered, self._offered = self._offered, None
        if offered is not None and text.startswith(offered[0]):
            old, unit = offered
            typed = text[len(old):]
            if read and typed and len(typed) < len(unit) and unit.startswith(typed):
                self._passed.add(_spot(old, unit))
        elif offered is not None:
            self._passed.clear()
        typing = _TRAILING_WORD.search(text, max(0, len(text) - 64))
        here = typing.start() if typing else len(text)  # the current word's start
        self._passed = {(at, w) for at, w in self._passed if at >= here}

    def offer(self, text: str, unit: str) -> None:
        """`unit` is offered after `text`."""
        self._offered = (text, unit)

    def skips(self, text: str, unit: str) -> bool:
        """Whether `unit` after `text` would offer a word typed past there."""
        return _spot(text, unit) in self._passed


def _spot(text: str, unit: str) -> tuple[int, str]:
    """(where it starts, the word) of the word a unit ends with when it follows
    `text`: the rest of a half-typed word, or a separator and a new word."""
    match = _TRAILING_WORD.search(text[max(0, len(text) - 64):] + unit)
    word = match.group(0) if match else ""
    return len(text) + len(unit) - len(word), word


@dataclass(frozen=True)
class _State:
    h: np.ndarray  # (L, 1, H)
    c: np.ndarray
    logits: np.ndarray  # (1, V)


class GhostPredictor:
    """Best-guess continuations for a Sampler's context (char-level models), or the
    LSTM's greedy words (word-level models)."""

    def __init__(self, sampler, memory: WordMemory | None,
                 options: GhostOptions | None = None,
                 words: WordLSTM | None = None) -> None:
        self.sampler = sampler
        self.memory = memory
        self.words = words  # the word LSTM, if the model has one
        self._context_len = 0  # words of history at the context (see _extension)
        self.options = options or GhostOptions()
        self.document = DocumentMemory()
        self._document_text = ""  # the text the document memory has read
        self.turns = DocumentMemory()  # the document's paragraph-first words
        self.passed = PassedWords()
        tokenizer = sampler.loaded.tokenizer
        self._char = tokenizer.level == "char"
        if self._char:
            pieces = [tokenizer.decode([i]) for i in range(tokenizer.vocab_size)]
            self._pieces = pieces
            word = np.array([len(p) == 1 and p.isalnum() or p == "_" for p in pieces])
            usable = np.array([len(p) == 1 for p in pieces])
            usable[tokenizer.unk_id] = False
            self._word_ids = np.flatnonzero(word & usable)
            self._nonword_ids = np.flatnonzero(~word & usable)
            self._is_word = word & usable
            self._id_of = {p: i for i, p in enumerate(pieces) if len(p) == 1}

    @classmethod
    def of_model(cls, sampler, options: GhostOptions | None = None) -> GhostPredictor:
        """The app's ghost for the sampler's model, with that model's memories
        (`store.memory_of`, `store.word_model_of`)."""
        from .store import memory_of, word_model_of

        loaded = sampler.loaded
        return cls(sampler, memory_of(loaded), options, word_model_of(loaded))

    # -- public ----------------------------------------------------------------
    def units(self, read_last: bool = True) -> Iterator[tuple[str, float]]:
        """The ghost text's units for the sampler's context, each with the
        probability of the ghost so far; stops below the threshold. `read_last`:
        the writer had time to read the last ghost offered, so typing a letter of
        it instead of taking it declines its word (`PassedWords`)."""
        if not self._char:
            yield from self._word_level_units()
            return
        opts = self.options
        with single_thread_blas():
            text, state, prefix, history = self._start()
            self.passed.update(text, read_last)
            total, after_word = 1.0, False
            for n in range(opts.max_words):
                found = self._best_unit(state, prefix, history, text, after_word,
                                        opts.threshold / total)
                if found is None:
                    return
                unit, prob, word = found
                total *= prob
                if total < opts.threshold:
                    return
                if n == 0:
                    self.passed.offer(text, unit)
                yield unit, total
                state = self._read(state, unit)
                text += unit
                history = history + [word]
                prefix, after_word = "", True  # the next unit starts a new word

    def first_candidates(self) -> list[tuple[str, float]]:
        """Every candidate for the first unit at the sampler's context with its
        probability, likeliest first: what the rule that picks one chooses from
        (char-level models; for studying that rule, see benchmarks)."""
        with single_thread_blas():
            text, state, prefix, history = self._start()
            units, probs, _ = self._candidates(state, prefix, history, text)
        return sorted(zip(units, probs.tolist()), key=lambda up: -up[1])

    def predict(self) -> tuple[str, float]:
        """The whole ghost text and the probability of its first unit."""
        out, first = "", 0.0
        for unit, prob in self.units():
            first = first or prob
            out += unit
        return out, first

    # -- char level ------------------------------------------------------------
    def _start(self) -> tuple[str, _State, str, list[str]]:
        """(text, LSTM state, half-typed word, words before it) at the sampler's
        context, the document memory brought up to date."""
        text = self.sampler.text
        state = _State(*self.sampler.next_distribution())
        match = _TRAILING_WORD.search(text, max(0, len(text) - 64))
        prefix = match.group(0) if match else ""
        history = words_of(text[max(0, len(text) - 200):len(text) - len(prefix)])
        self._update_document(text, prefix)
        if self.words is not None:  # its words end where the half-typed one starts
            end = len(text) - len(prefix)
            self.words.set_context(context_words(text[max(0, end - CONTEXT_CHARS):end]))
        self._context_len = len(history)
        return text, state, prefix, history

    def _update_document(self, text: str, prefix: str) -> None:
        """The document memory holds the words before the half-typed one: read
        only what was appended since the last call (it ends between words)."""
        closed, read = text[:len(text) - len(prefix)], self._document_text
        if closed.startswith(read):
            self.document.extend(words_of(closed[len(read):]))
            self.turns.extend(_paragraph_words(closed, len(read)))
        else:
            self.document.set_words(words_of(closed))
            self.turns.set_words(_paragraph_words(closed, 0))
        self._document_text = closed

    def _known(self, word: str) -> bool:
        return (self.memory is None and self.words is None) or word in self.document \
            or (self.memory is not None and word in self.memory) \
            or (self.words is not None and word in self.words)

    def _extension(self, history: list[str]) -> list[str] | None:
        """The words of `history` after the context (the ghost's own so far, or
        the half-typed word taken as finished); None if the word LSTM is not to
        be asked: there is none, or it does not know one of those words."""
        if self.words is None:
            return None
        words = history[self._context_len:]
        return words if all(w in self.words for w in words) else None

    def _memory_probs(self, words: list[str], history: list[str], prefix: str,
                      turn: bool = False) -> np.ndarray:
        """P_memory(word | history, prefix): the corpus's and the document's
        memories mixed (the document's share grows with its length), each only
        where it knows a word with the prefix; `turn`: the word starts a
        paragraph, and the paragraph-first words have a share."""
        parts: list[tuple[float, np.ndarray]] = []
        if self.memory is not None and self.memory.has_prefix(prefix):
            parts.append((1.0, self.memory.prob(words, history, prefix)))
        n = len(self.document)
        if n and self.document.has_prefix(prefix):
            share = self.options.document_weight * n / (n + self.options.document_words)
            parts = _with_share(parts, share,
                                self.document.prob(words, history, prefix))
        extension = self._extension(history)
        if extension is not None and self.words.has_prefix(prefix):
            parts = _with_share(parts, self.options.word_lstm_weight,
                                self.words.prob(words, extension, prefix))
        if turn and self.turns.has_prefix(prefix):
            parts = _with_share(parts, self.options.turn_weight,
                                self.turns.prob(words, self.turns.words, prefix))
        if not parts:
            return np.zeros(len(words))
        return sum(w * p for w, p in parts)

    def _memory_candidates(self, history: list[str], prefix: str,
                           turn: bool = False) -> list[str]:
        k = self.options.candidates
        words: list[str] = []
        if self.memory is not None:
            words += self.memory.candidates(history, prefix, k).words
        words += self.document.candidates(history, prefix, k)
        extension = self._extension(history)
        if extension is not None:
            words += self.words.candidates(extension, prefix,
                                           self.options.word_candidates)
        if turn and self.options.turn_weight > 0:
            turns = self.turns.words
            recent = [w for w in reversed(turns[-16:]) if w.startswith(prefix)]
            words += self.turns.candidates(turns, prefix, k) + recent[:k]
        return [w for w in dict.fromkeys(words) if w != prefix or not prefix]

    def _best_unit(self, state: _State, prefix: str, history: list[str], text: str,
                   after_word: bool = False, floor: float = 0.0
                   ) -> tuple[str, float, str] | None:
        """(unit, P(unit), its word) of the best unit whose probability is at least
        `floor`, or None. After a word the ghost has already finished
        (`after_word`), the unit must begin with a separator and its probability
        is given that the word ended."""
        units, probs, words = self._candidates(state, prefix, history, text,
                                               after_word, floor)
        if not units:
            return None
        if self.options.by_savings:
            value = probs * np.array([keystrokes_saved(u) for u in units])
        else:
            value = probs
        usable = probs >= max(floor, 1e-12)
        if self.options.skip_passed and self.passed:
            usable &= ~np.array([self.passed.skips(text, u) for u in units], bool)
        value = np.where(usable, value, -1.0)
        best = int(np.argmax(value))
        if value[best] < 0:
            return None
        return units[best], float(probs[best]), words[best]

    def _candidates(self, state: _State, prefix: str, history: list[str], text: str,
                    after_word: bool = False, floor: float = 0.0
                    ) -> tuple[list[str], np.ndarray, list[str]]:
        """Every candidate unit, its mixed probability and its word (see
        `_best_unit`); empty when there is none. Next words after a half-typed
        one are left out when P(that word is complete) is below `floor`: their
        probabilities cannot be higher (it is a factor of each)."""
        opts = self.options
        ends_word = bool(prefix) or after_word  # the next unit may need a separator
        found = self._beam(state, prefix, after_word) \
            if opts.beam or self.memory is None else []
        logp_end = _lse(_log_softmax(state.logits[0])[self._nonword_ids]) \
            if ends_word else 0.0
        sep = _best_separator(found, text, ends_word)
        cands: dict[str, tuple[str, str]] = {}  # unit -> (kind, word)
        scored: dict[str, float] = {}  # unit -> log P_lstm, from the beam
        for unit, kind, logp in found:
            word = prefix + unit if kind == "completion" else unit[len(_nonword(unit)):]
            if self._known(word):
                cands[unit] = (kind, word)
                scored[unit] = logp
        has_memory = (self.memory is not None or self.words is not None
                      or len(self.document) > 0)
        weight = (opts.lstm_weight_with_words if self.words is not None
                  else opts.lstm_weight) if has_memory else 1.0
        probs: dict[str, float] = {}
        p_end = 1.0  # P(the half-typed word is complete), mixed
        turn = _starts_paragraph(text[:len(text) - len(prefix)])
        if prefix:
            for word in self._memory_candidates(history, prefix, turn):
                if word.startswith(prefix):
                    cands.setdefault(word[len(prefix):], ("completion", word))
            comp = [u for u, (kind, _) in cands.items() if kind == "completion"]
            lstm = self._lstm_probs(state, comp, scored)
            mem = self._memory_probs([prefix] + [cands[u][1] for u in comp], history,
                                     prefix, turn)
            w = weight if mem.sum() > 0 else 1.0
            p_end = w * math.exp(logp_end) + (1 - w) * mem[0]
            probs.update(zip(comp, w * lstm + (1 - w) * mem[1:]))
        if p_end >= max(floor, 1e-12):
            next_history = history + [prefix] if prefix else history
            turn = _starts_paragraph(text + sep)
            for word in self._memory_candidates(next_history, "", turn):
                cands.setdefault(sep + word, ("next", word))
            nxt = [u for u, (kind, _) in cands.items() if kind == "next"]
            if nxt:
                lstm = self._lstm_probs(state, nxt, scored)
                mem = self._memory_probs([cands[u][1] for u in nxt], next_history, "",
                                         turn)
                w = weight if mem.sum() > 0 else 1.0
                p_lstm_end = math.exp(logp_end)
                p_sep = math.exp(self._separator_logp(state, sep) - logp_end)
                on_sep = np.array([u.startswith(sep) and not _nonword(u[len(sep):])
                                   for u in nxt])
                probs.update(zip(nxt, p_end * (w * lstm / p_lstm_end
                                               + (1 - w) * p_sep * mem * on_sep)))
        units = [u for u in cands if u in probs]
        return (units, np.array([probs[u] for u in units], dtype=float),
                [cands[u][1] for u in units])

    def _lstm_probs(self, state: _State, units: list[str], scored: dict[str, float]
                    ) -> np.ndarray:
        """P_lstm of each unit: the beam's score, or scored now (and kept)."""
        fresh = [u for u in units if u not in scored]
        scored.update(zip(fresh, self._score(state, fresh)))
        return np.exp([scored[u] for u in units]) if units else np.zeros(0)

    def _beam(self, state: _State, prefix: str, after_word: bool
              ) -> list[tuple[str, str, float]]:
        """Units found by a beam search over characters: (unit, kind, log P_lstm),
        kind being "completion" (the rest of the half-typed word) or "next"."""
        opts, net = self.options, self.sampler.net
        width = max(1, opts.beam)
        in_word = bool(prefix)
        # (text, log P, kind, inside a word); after a finished unit the root is
        # "inside a word" that may not continue, so only a separator can follow
        hyps = [("", 0.0, "completion" if in_word else "next", in_word or after_word)]
        h, c, logits = state.h, state.c, state.logits
        done: list[tuple[str, str, float]] = []
        for _ in range(opts.max_chars):
            logp = _log_softmax(logits)  # (B, V)
            expansions = []
            for b, (s, lp, kind, wording) in enumerate(hyps):
                if wording and s:
                    done.append((s, kind, lp + _lse(logp[b, self._nonword_ids])))
                if wording and (s or not in_word) and not (after_word and not s):
                    allowed = self._word_ids
                elif after_word and not s:
                    allowed = self._nonword_ids
                else:  # a separator (or, at the start, either)
                    allowed = self._allowed_in_sep(s)
                if not len(allowed):
                    continue
                row = logp[b, allowed]
                top = np.argpartition(-row, min(width, len(row)) - 1)[:width]
                for t in top:
                    expansions.append((lp + row[t], b, int(allowed[t])))
            best_done = max((d[2] for d in done), default=-np.inf)
            expansions = [e for e in expansions if e[0] > best_done]
            if not expansions:
                break
            expansions.sort(key=lambda e: -e[0])
            expansions = expansions[:width]
            new_hyps = []
            for lp, b, token in expansions:
                s, _, kind, wording = hyps[b]
                is_word = bool(self._is_word[token])
                if not s and (in_word or after_word) and not is_word:
                    kind = "next"
                new_hyps.append((s + self._pieces[token], lp, kind, is_word))
            parents = np.array([e[1] for e in expansions])
            tokens = np.array([e[2] for e in expansions])
            h, c = net.step(tokens, h[:, parents], c[:, parents])
            logits = net.logits(h[-1])
            hyps = new_hyps
        done.sort(key=lambda d: -d[2])
        return done[:width]

    def _allowed_in_sep(self, s: str) -> np.ndarray:
        if len(s) >= _MAX_SEP:
            return self._word_ids
        return np.concatenate([self._word_ids, self._nonword_ids])

    def _encode(self, text: str) -> list[int] | None:
        ids = [self._id_of.get(ch) for ch in text]
        return None if None in ids else ids

    def _score(self, state: _State, units: list[str]) -> np.ndarray:
        """log P_lstm(unit, then a non-word character) of each unit; units sharing
        their first character read it once, and a unit leaves the batch when it
        ends, so the work is about the units' total length."""
        net = self.sampler.net
        out = np.full(len(units), -np.inf)
        encoded = [(i, self._encode(u)) for i, u in enumerate(units)]
        encoded = [(i, e) for i, e in encoded if e]
        if not encoded:
            return out
        encoded.sort(key=lambda ie: -len(ie[1]))  # live rows stay a leading slice
        rows = np.array([i for i, _ in encoded])
        lengths = np.array([len(e) for _, e in encoded])
        ids = np.zeros((len(rows), lengths[0]), np.int64)
        for r, (_, e) in enumerate(encoded):
            ids[r, :len(e)] = e
        logp0 = _log_softmax(state.logits)[0]
        total = logp0[ids[:, 0]]
        h, c = state.h, state.c  # batch 1 until the first characters differ
        if len(set(ids[:, 0].tolist())) == 1:
            h, c = net.step(ids[:1, 0], h, c)
            shared = True
        else:
            h, c = net.step(ids[:, 0], np.repeat(h, len(rows), axis=1),
                            np.repeat(c, len(rows), axis=1))
            shared = False
        for t in range(1, lengths[0] + 1):
            logp = _log_softmax(net.logits(h[-1]))
            live = int((lengths >= t).sum())
            if shared:
                logp = np.repeat(logp, live, axis=0)
            ending = np.flatnonzero(lengths[:live] == t)
            for r in ending:
                out[rows[r]] = total[r] + _lse(logp[r, self._nonword_ids])
            live = int((lengths > t).sum())
            if not live:
                break
            total[:live] += logp[np.arange(live), ids[:live, t]]
            if shared:
                h, c = np.repeat(h, live, axis=1), np.repeat(c, live, axis=1)
                shared = False
            h, c = net.step(ids[:live, t], h[:, :live], c[:, :live])
        return out

    def _separator_logp(self, state: _State, sep: str) -> float:
        """log P_lstm(sep, then a word character)."""
        ids = self._encode(sep)
        if ids is None:
            return -np.inf
        net = self.sampler.net
        h, c, logits = state.h, state.c, state.logits
        total = 0.0
        for token in ids:
            total += float(_log_softmax(logits)[0, token])
            h, c = net.step(np.array([token]), h, c)
            logits = net.logits(h[-1])
        return total + _lse(_log_softmax(logits)[0, self._word_ids])

    def _read(self, state: _State, unit: str) -> _State:
        net = self.sampler.net
        h, c = state.h, state.c
        for token in self._encode(unit) or []:
            h, c = net.step(np.array([token]), h, c)
        return _State(h, c, net.logits(h[-1]))

    # -- word level ------------------------------------------------------------
    def _word_level_units(self) -> Iterator[tuple[str, float]]:
        """Greedy words of a word-level model while their probability holds."""
        total = 1.0
        for piece, prob in self.sampler.greedy_words(self.options.max_words):
            total *= prob
            if total < self.options.threshold:
                return
            yield piece, total


def _with_share(parts: list[tuple[float, np.ndarray]], share: float,
                probs: np.ndarray) -> list[tuple[float, np.ndarray]]:
    """Weighted parts of a mixture with `probs` added at `share` (the others
    scaled to the rest), or alone at 1 when there are no others."""
    if not parts:
        return [(1.0, probs)]
    return [(w * (1.0 - share), p) for w, p in parts] + [(share, probs)]


def _paragraph_words(text: str, since: int) -> list[str]:
    """The first words of the paragraphs of `text` that begin at `since` or later."""
    return [m.group(1) for m in _PARAGRAPH_WORD.finditer(text, max(0, since - 64))
            if m.start(1) >= since]


def _starts_paragraph(before: str) -> bool:
    """Whether a word after `before` would begin a paragraph (after a blank line)."""
    return _PARAGRAPH_END.search(before, max(0, len(before) - 64)) is not None


def _nonword(text: str) -> str:
    match = re.match(r"\W*", text)
    return match.group(0) if match else ""


def _best_separator(found: list[tuple[str, str, float]], text: str,
                    ends_word: bool) -> str:
    """The beam's likeliest separator before a next word, or a plain space."""
    for unit, kind, _ in found:
        if kind == "next":
            return _nonword(unit)
    if ends_word or (text and not text[-1].isspace()):
        return " "
    return ""


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z.astype(np.float64)
    m = z.max(axis=-1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))


def _lse(x: np.ndarray) -> float:
    m = float(np.max(x))
    return m + math.log(float(np.exp(x - m).sum()))
