"""Fuzz: thousands of random editor operations with suggestions streaming.

A simulated document (text, cursor, undo stack) takes random operations; after
each one the sampler gets the text before the cursor, as the editor does. Now and
then a short stream runs (sometimes cancelled or abandoned part-way). The
sampler must always equal a from-scratch read of that text: its token ids those
of encoding the text afresh (at word level, those a fresh Sampler reads), its
(h, c) those of one plain nn.LSTM call over the context window. The windows are
small, so a document that grows past them keeps the window sliding and the
snapshots, resumes and fallbacks (cold starts) busy.

Every random choice comes from one seed: set LSTMWRITER_FUZZ_SEED to try
another, LSTMWRITER_FUZZ_SCALE (e.g. 10) for a longer run. A failure names the
operation's index, the operation and the ones before it.
"""

from __future__ import annotations

import collections
import os
import random
import threading
from dataclasses import dataclass, field

import numpy as np
import pytest
import torch

from lstmwriter.core.sampling import SampleOptions, Sampler
from lstmwriter.core.store import LoadedModel
from lstmwriter.core.tokenizer import CharTokenizer, WordTokenizer

from ..conftest import CORPUS_TEXT
from .test_sampling import _loaded, _reference_state

SEED = int(os.environ.get("LSTMWRITER_FUZZ_SEED", "20240608"))
SCALE = float(os.environ.get("LSTMWRITER_FUZZ_SCALE", "1"))

_WORDS = ("the ", "sea ", "and ", "light ", "harbour", "don't ", "writer's ",
          "it\u2019s ", "caf\u00e9 ", "na\u00efve ", "<eos> ", "<unk>", "e.g. ",
          "(quick) ", '"rain" ', "\u65e5\u672c ", "\U0001f600 ", "\t", "\n", "\r\n",
          "--", "...")
_TYPED = ("abcdefghijklmnopqrstuvwxyz    eeettaaoo.,;:!?'\"-\n\t"
          "TAS\u00e9\u00e6\u2019\u2603")
_ODD = ["\u00e9", "\u00c9", "\u00df", "\u00e6", "\u0153", "\u2014", "\u201c", "\u201d",
        "\u2026", "\u00a0", "\u65e5", "\u8a9e", "\u2603", "\U0001f600", "e\u0301",
        "\r\n", "\r", "\t", "\x00", "\ufffd", "\u0130", "\ufb01", "<eos>", "<unk>"]


@dataclass
class _Document:
    """The editor's side: text, cursor and an undo stack of earlier (text, cursor)."""

    text: str = ""
    cursor: int = 0
    undo: list[tuple[str, int]] = field(default_factory=list)

    def edit(self, start: int, end: int, new: str) -> None:
        self.undo.append((self.text, self.cursor))
        del self.undo[:-200]  # an editor keeps a bounded history too
        self.text = self.text[:start] + new + self.text[end:]
        self.cursor = start + len(new)

    def line_bounds(self) -> tuple[int, int]:
        start = self.text.rfind("\n", 0, self.cursor) + 1
        end = self.text.find("\n", self.cursor)
        return start, len(self.text) if end < 0 else end


def _paste_chunk(rng: random.Random) -> str:
    """Up to a few hundred characters: corpus text, odd characters, or both mixed."""
    size = rng.choice((rng.randint(1, 40), rng.randint(40, 400)))
    start = rng.randrange(len(CORPUS_TEXT))
    corpus = (CORPUS_TEXT * 2)[start:start + size]
    kind = rng.random()
    if kind < 0.4:
        return corpus
    if kind < 0.6:
        return "".join(rng.choice(_ODD + list(_TYPED)) for _ in range(size // 4 + 1))
    pieces = list(corpus)
    for _ in range(rng.randint(1, 8)):
        pieces.insert(rng.randint(0, len(pieces)), rng.choice(_ODD))
    return "".join(pieces)


def _next_op(rng: random.Random, doc: _Document, max_length: int) -> tuple:
    """A concrete operation (so a failure message can show exactly what happened)."""
    n, at = len(doc.text), doc.cursor
    if n > max_length:  # select a stretch and delete it
        start = rng.randint(0, max_length // 2)
        return ("replace", start,
                start + n - rng.randint(max_length // 4, max_length), "")
    r = rng.random()
    if r < 0.34:
        return ("type", rng.choice(_TYPED))
    if r < 0.44:
        return ("type", rng.choice(_WORDS))
    if r < 0.56:
        return ("backspace", min(at, rng.choice((1, 1, 1, 2, 5))))
    if r < 0.60:
        return ("delete", min(n - at, rng.choice((1, 1, 3))))
    if r < 0.65:  # a selection, deleted or typed over
        start = rng.randint(0, n)
        end = min(n, start + rng.choice((1, 5, 30, 150)))
        return ("replace", start, end, rng.choice(("", "", "x", "and ")))
    if r < 0.71:
        return ("paste", _paste_chunk(rng))
    if r < 0.79:
        return ("undo",)
    if r < 0.84:
        return ("left", rng.randint(1, 12))
    if r < 0.87:
        return ("right", rng.randint(1, 12))
    if r < 0.90:
        return (rng.choice(("home", "end")),)
    if r < 0.94:
        return ("doc_end",)
    return ("jump", rng.randint(0, n))


def _apply(doc: _Document, op: tuple) -> None:
    kind, at = op[0], doc.cursor
    if kind in ("type", "paste"):
        doc.edit(at, at, op[1])
    elif kind == "backspace" and op[1]:
        doc.edit(at - op[1], at, "")
    elif kind == "delete" and op[1]:
        doc.edit(at, at + op[1], "")
    elif kind == "replace":
        doc.edit(op[1], op[2], op[3])
    elif kind == "undo" and doc.undo:
        doc.text, doc.cursor = doc.undo.pop()
    elif kind == "left":
        doc.cursor = max(0, at - op[1])
    elif kind == "right":
        doc.cursor = min(len(doc.text), at + op[1])
    elif kind in ("home", "end"):
        doc.cursor = doc.line_bounds()[kind == "end"]
    elif kind == "doc_end":
        doc.cursor = len(doc.text)
    elif kind == "jump":
        doc.cursor = op[1]


def _stream(sampler: Sampler, rng: random.Random, tally: collections.Counter) -> None:
    """A short stream: run out, cancelled part-way or before it starts, or abandoned
    (the caller stops reading it, as the GUI does when a newer keystroke comes)."""
    options = SampleOptions(
        num=rng.randint(2, 3), length=rng.randint(1, 6),
        temperature=rng.choice((0.0, 0.5, 1.0, 2.0)), top_k=rng.choice((0, 0, 5)),
        top_p=rng.choice((1.0, 1.0, 0.9)),
        stop=rng.choice(("length", "line", "sentence")),
        stop_string=rng.choice((None, None, "e", ".")), seed=rng.randrange(2**32))
    mode = rng.choice(("full", "full", "cancel", "precancelled", "abandon"))
    tally[f"stream:{mode}"] += 1
    cancel = threading.Event()
    if mode == "precancelled":
        cancel.set()
    stop_after = rng.randint(1, options.length)
    before = sampler.state()
    steps = 0
    for pieces in sampler.stream(options, cancel):
        assert not cancel.is_set(), "a piece came after the stream was cancelled"
        assert len(pieces) == options.num and all(isinstance(p, str) for p in pieces)
        steps += 1
        if steps == 1 and options.greedy:
            _check_greedy_first_piece(sampler, pieces)
        if steps == stop_after and mode == "cancel":
            cancel.set()
        if steps == stop_after and mode == "abandon":
            break
    assert steps <= options.length
    if mode == "precancelled":
        assert steps == 0
    tally["stream steps"] += steps
    after = sampler.state()  # streaming works on copies of the state
    np.testing.assert_array_equal(after[0], before[0])
    np.testing.assert_array_equal(after[1], before[1])


def _check_greedy_first_piece(sampler: Sampler, pieces: list[str]) -> None:
    """At level char, greedy's first piece is the argmax after the reference state."""
    loaded = sampler.loaded
    if loaded.tokenizer.level != "char" or sampler.token_count == 0:
        return
    h, _ = _reference_state(loaded, sampler.token_ids(), sampler.context_limit,
                            sampler.window_step)
    with torch.no_grad():
        scores = loaded.model.head(torch.as_tensor(h[-1]))
    scores[loaded.tokenizer.unk_id] = -float("inf")
    expected = loaded.tokenizer.decode([int(scores.argmax())])
    # a stop rule may cut the piece (a line end) or hold it back (a stop string)
    assert all(p in ("", expected) for p in pieces) and pieces[0] == pieces[-1]


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """The reference reads are tiny: with two threads fighting numpy's for two busy
    cores, each nn.LSTM call took ~50 ms instead of ~1 ms."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _check(sampler: Sampler, loaded: LoadedModel, context: str) -> None:
    """The tokens and the state are those of reading the context from scratch."""
    assert sampler.text == context
    if loaded.tokenizer.level == "char":  # every character is a complete token
        ids = loaded.tokenizer.encode(context)
    else:  # a fresh Sampler decides which last word is still being typed
        fresh = Sampler(loaded, context_limit=sampler.context_limit,
                        snapshot_every=sampler.snapshot_every,
                        window_step=sampler.window_step)
        fresh.set_context(context)
        ids = fresh.token_ids()
    np.testing.assert_array_equal(sampler.token_ids(), ids)
    reference = _reference_state(loaded, ids, sampler.context_limit,
                                 sampler.window_step)
    for got, want in zip(sampler.state(), reference):
        # cell values reach ~30: numpy steps and nn.LSTM differ there by a few ulps
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def _fuzz(loaded: LoadedModel, operations: int, seed: int, context_limit: int,
          snapshot_every: int, window_step: int = 0, max_length: int = 10**9
          ) -> collections.Counter:
    rng = random.Random(seed)
    sampler = Sampler(loaded, context_limit=context_limit,
                      snapshot_every=snapshot_every, window_step=window_step)
    doc = _Document()
    tally: collections.Counter = collections.Counter()
    history: collections.deque = collections.deque(maxlen=8)
    start = sampler.window()[0]
    for i in range(operations):
        op = _next_op(rng, doc, max_length)
        history.append((i, op))
        try:
            _apply(doc, op)
            context = doc.text[:doc.cursor]
            sampler.set_context(context)
            if rng.random() < 1 / 20:
                _stream(sampler, rng, tally)
            if i < 500 or i % 25 == 0 or op[0] in ("undo", "paste", "replace"):
                _check(sampler, loaded, context)
                tally["checks"] += 1
        except Exception as exc:
            raise AssertionError(
                f"seed {seed}, operation #{i} {op!r} failed: {exc!r}\n"
                f"cursor {doc.cursor} of {len(doc.text)} characters; "
                f"the last operations:"
                f"\n" + "\n".join(f"  #{j} {o!r}"[:300] for j, o in history)) from exc
        tally[op[0]] += 1
        tally["window moves"] += sampler.window()[0] != start
        start = sampler.window()[0]
        tally["past the limit"] += sampler.token_count > context_limit
    _check(sampler, loaded, doc.text[:doc.cursor])
    stats = sampler.stats
    tally.update(cold_starts=stats.cold_starts, resumes=stats.resumes,
                 main_steps=stats.main_steps, span_tokens=stats.span_tokens,
                 window_steps=stats.steps, final_length=len(doc.text))
    print(f"\n{loaded.tokenizer.level} fuzz, seed {seed}: "
          f"{dict(sorted(tally.items()))}")
    return tally


def _assert_exercised(tally: collections.Counter, operations: int) -> None:
    """The run did what a fuzz run is for (else it would pass without testing much)."""
    for kind in ("type", "backspace", "delete", "replace", "paste", "undo", "left",
                 "right", "home", "end", "doc_end", "jump"):
        assert tally[kind] >= operations // 200, kind
    for mode in ("full", "cancel", "precancelled", "abandon"):
        assert tally[f"stream:{mode}"] >= 1, mode
    assert tally["window moves"] >= operations // 50
    assert tally["past the limit"] >= operations // 4
    assert tally["cold_starts"] >= 2 and tally["resumes"] >= operations // 100
    assert tally["span_tokens"] + tally["window_steps"] > 0


_PLAIN = CharTokenizer.build(CORPUS_TEXT)
# one character may become several tokens ("\u00e6" -> "ae", "\n" -> "\r\n")
_NORMALISING = CharTokenizer(sorted(set(CORPUS_TEXT.lower()) | {"\r"}), lower=True,
                             ascii_only=True, crlf=True)


@pytest.mark.parametrize("tokenizer, operations, window, max_length", [
    # a document that grows to tens of thousands of characters, the cursor anywhere
    pytest.param(_PLAIN, 10_000, (200, 32, 0), 10**9, id="long-document"),
    # a short document and a tiny window: the cursor often goes back before the
    # window's first grid point (this found the stale-snapshot bug, see below)
    pytest.param(_PLAIN, 2_000, (24, 4, 4), 150, id="tiny-window"),
    pytest.param(_NORMALISING, 1_500, (40, 8, 16), 400, id="normalising"),
])
def test_random_edits_with_streaming_keep_the_state_exact_char(
        tmp_path, tokenizer, operations, window, max_length):
    operations = int(operations * SCALE)
    loaded = _loaded(tmp_path, tokenizer, rnn_size=32, num_layers=2, seed=SEED % 1000)
    tally = _fuzz(loaded, operations, SEED, *window, max_length=max_length)
    _assert_exercised(tally, operations)


@pytest.mark.parametrize("lower, operations, window, max_length", [
    # a word is ~5 characters: a window of 64 words keeps sliding
    pytest.param(False, 1_000, (64, 16, 0), 10**9, id="words"),
    pytest.param(True, 1_000, (13, 1, 1), 200, id="lowercase-tiny-window"),
])
def test_random_edits_with_streaming_keep_the_state_exact_word(
        tmp_path, lower, operations, window, max_length):
    operations = int(operations * SCALE)
    tokenizer = WordTokenizer.build(CORPUS_TEXT, lower=lower)
    loaded = _loaded(tmp_path, tokenizer, rnn_size=16, num_layers=2, seed=SEED % 1000)
    tally = _fuzz(loaded, operations, SEED + lower, *window, max_length=max_length)
    _assert_exercised(tally, operations)


def test_states_saved_past_the_read_position_are_forgotten_after_an_edit(tmp_path):
    """Found by the fuzz (fixed in Sampler._sync). The window states may stay
    behind the text (here at 0, after a cold start for a short context) while
    snapshots past them, still valid, survive. An edit that kept the tokens up to
    the read position but changed those under the snapshots left them in place,
    and a later restore resumed from one: a state that had read the old text."""
    loaded = _loaded(tmp_path, _PLAIN, rnn_size=16, num_layers=1, seed=0)
    sampler = Sampler(loaded, context_limit=24, snapshot_every=4, window_step=4)
    first = CORPUS_TEXT[:30]
    second = first[:6] + CORPUS_TEXT[100:154]
    for context in (first[:5],  # the main state steps from 0 (window start 0)
                    first,  # window start 8: snapshots at 12, 16, ... read `first`
                    first[:16],  # back to start 0: cold start, the states stay at 0
                    second,  # tokens from 6 on change; window start 36
                    second[:30]):  # window start 8 again: snapshot 16 must be gone
        sampler.set_context(context)
        _check(sampler, loaded, context)
