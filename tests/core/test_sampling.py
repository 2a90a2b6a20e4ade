"""The streaming sampler: exact single steps, incremental state, sampling rules."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lstmwriter.core import lstm_step
from lstmwriter.core.config import ModelConfig
from lstmwriter.core.events import Finished
from lstmwriter.core.lstm_step import NumpyLSTM, single_thread_blas
from lstmwriter.core.model import LSTMLanguageModel
from lstmwriter.core.sampling import (
    SampleOptions,
    Sampler,
    _Alternative,
    load_for_sampling,
    window_start,
)
from lstmwriter.core.store import LoadedModel, load_model_dir, save_model_dir
from lstmwriter.core.tokenizer import UNK_CHAR, CharTokenizer, WordTokenizer
from lstmwriter.core.training import Trainer, TrainingControl

from ..conftest import CORPUS_TEXT
from .helpers import tiny_job

LIMIT, EVERY = 24, 4  # tiny window so that tests slide it often


def _model(tokenizer, rnn_size=16, num_layers=2, seed=0) -> LSTMLanguageModel:
    torch.manual_seed(seed)
    config = ModelConfig(tokenizer.vocab_size, rnn_size, num_layers, embedding_size=8)
    model = LSTMLanguageModel(config).eval()
    with torch.no_grad():  # larger weights than the default init: sharper predictions
        for p in model.parameters():
            p.mul_(3.0)
    return model


def _loaded(tmp_path, tokenizer, **kw) -> LoadedModel:
    folder = tmp_path / f"model-{tokenizer.level}"
    save_model_dir(folder, _model(tokenizer, **kw), tokenizer)
    return load_model_dir(folder)


@pytest.fixture(scope="module")
def char_model(tmp_path_factory) -> LoadedModel:
    return _loaded(tmp_path_factory.mktemp("m"), CharTokenizer.build(CORPUS_TEXT))


@pytest.fixture(scope="module")
def word_model(tmp_path_factory) -> LoadedModel:
    return _loaded(tmp_path_factory.mktemp("m"), WordTokenizer.build(CORPUS_TEXT))


def _reference_state(loaded: LoadedModel, ids: np.ndarray, limit: int, step: int):
    """h, c of reading the window of `ids` in one plain nn.LSTM call."""
    start = window_start(len(ids), limit, step)
    if len(ids) == 0:
        zero = np.zeros((loaded.model.config.num_layers, loaded.model.config.rnn_size))
        return zero, zero
    with torch.no_grad():
        _, (h, c) = loaded.model(torch.as_tensor(ids[start:])[None])
    return h[:, 0].numpy(), c[:, 0].numpy()


def _assert_state_is_fresh(sampler: Sampler, loaded: LoadedModel) -> None:
    ids = loaded.tokenizer.encode(sampler._closed)
    assert np.array_equal(sampler.token_ids(), ids)
    h, c = sampler.state()
    ref_h, ref_c = _reference_state(loaded, ids, sampler.context_limit,
                                    sampler.window_step)
    np.testing.assert_allclose(h, ref_h, atol=1e-5)
    np.testing.assert_allclose(c, ref_c, atol=1e-5)


# -- the step implementations -------------------------------------------------
@pytest.mark.parametrize("layers, table", [(1, True), (2, True), (3, True), (2, False)])
def test_numpy_steps_and_span_reads_match_nn_lstm(layers, table, monkeypatch):
    if not table:  # a word model's vocabulary: no input table of layer 0
        monkeypatch.setattr(lstm_step, "_MAX_TABLE", 0)
    tokenizer = CharTokenizer.build(CORPUS_TEXT)
    model = _model(tokenizer, rnn_size=32, num_layers=layers, seed=layers)
    net = NumpyLSTM(model)
    rng = np.random.default_rng(layers)
    ids = rng.integers(0, tokenizer.vocab_size, size=(3, 40))
    ids[:, 25:] = ids[0, 25:]  # different starts, a common span
    with torch.no_grad():
        logits, (h_ref, c_ref) = model(torch.as_tensor(ids))
    h, c = net.zero_state(3)
    for t in range(25):
        h, c = net.step(ids[:, t], h, c)
    np.testing.assert_allclose(net.logits(h[-1]), logits[:, 24].numpy(), atol=1e-5)
    h, c = net.read(ids[0, 25:], h, c)  # the three states read the span together
    np.testing.assert_allclose(h, h_ref.numpy(), atol=1e-5)
    np.testing.assert_allclose(c, c_ref.numpy(), atol=1e-5)


def test_numpy_copy_does_not_follow_the_module():
    tokenizer = CharTokenizer.build(CORPUS_TEXT)
    model = _model(tokenizer)
    net = NumpyLSTM(model)
    h, _ = net.step(np.array([3]), *net.zero_state(1))
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    h2, _ = net.step(np.array([3]), *net.zero_state(1))
    np.testing.assert_array_equal(h, h2)


@pytest.mark.skipif(lstm_step._OPENBLAS is None, reason="numpy does not use OpenBLAS")
def test_single_thread_blas_restores_the_thread_count():
    _, getter = lstm_step._OPENBLAS
    before = getter()
    seen = []

    def worker():
        with single_thread_blas():
            seen.append(getter())
            barrier.wait(timeout=10)

    barrier = threading.Barrier(3)
    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    with single_thread_blas():
        barrier.wait(timeout=10)
    for t in threads:
        t.join(timeout=10)
    assert seen == [1, 1]
    assert getter() == before


# -- incremental state ----------------------------------------------------------
_PIECES = st.text(alphabet=st.sampled_from(list("abc .,\n'Th") + ["\u00e9", "\u2603"]),
                  min_size=1, max_size=12)
_EDITS = st.lists(st.one_of(
    st.tuples(st.just("append"), _PIECES),
    st.tuples(st.just("paste"), st.integers(30, 90)),
    st.tuples(st.just("delete"), st.integers(1, 12)),
    st.tuples(st.just("edit"), st.floats(0, 1), st.integers(0, 6), _PIECES),
    st.tuples(st.just("cut"), st.floats(0, 1)),
    st.tuples(st.just("suggest")),  # streaming catches the window states up
), min_size=1, max_size=20)


def _apply(text: str, edit, sampler: Sampler) -> str:
    kind = edit[0]
    if kind == "suggest":
        for _ in sampler.stream(SampleOptions(num=2, length=3, seed=0)):
            pass
        return text
    if kind == "append":
        return text + edit[1]
    if kind == "paste":
        return text + CORPUS_TEXT[: edit[1]]
    if kind == "delete":
        return text[: max(0, len(text) - edit[1])]
    at = int(edit[1] * len(text))
    if kind == "cut":
        return text[:at]
    return text[:at] + edit[3] + text[at + edit[2]:]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=_EDITS)
def test_incremental_state_equals_reading_from_scratch_char(char_model, edits):
    sampler = Sampler(char_model, context_limit=LIMIT, snapshot_every=EVERY)
    text = ""
    for edit in edits:
        text = _apply(text, edit, sampler)
        sampler.set_context(text)
        _assert_state_is_fresh(sampler, char_model)
    fresh = Sampler(char_model, context_limit=LIMIT, snapshot_every=EVERY)
    fresh.set_context(text)
    np.testing.assert_allclose(fresh.state()[0], sampler.state()[0], atol=1e-5)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=_EDITS)
def test_incremental_state_equals_reading_from_scratch_word(word_model, edits):
    sampler = Sampler(word_model, context_limit=12, snapshot_every=3)
    text = ""
    for edit in edits:
        text = _apply(text, edit, sampler)
        sampler.set_context(text)
        _assert_state_is_fresh(sampler, word_model)


def test_state_with_long_spans_and_default_window(char_model):
    """Span reads (nn.LSTM) and numpy steps together, windows of realistic size."""
    sampler = Sampler(char_model, context_limit=300, snapshot_every=64)
    text = CORPUS_TEXT * 2
    sampler.set_context(text)  # cold start: spans
    assert sampler.stats.span_tokens > 0 and sampler.stats.cold_starts == 1
    _assert_state_is_fresh(sampler, char_model)
    for ch in "and then":  # appends: numpy steps
        text += ch
        sampler.set_context(text)
    _assert_state_is_fresh(sampler, char_model)
    text = text[:-150] + "x" + text[-150:]  # an edit inside the window
    sampler.set_context(text)
    _assert_state_is_fresh(sampler, char_model)
    assert sampler.stats.resumes >= 1


def _work(sampler: Sampler) -> tuple[int, int, int, int]:
    stats = sampler.stats
    return stats.main_steps, stats.steps + stats.span_tokens, stats.cold_starts, \
        stats.resumes


@pytest.mark.parametrize("length", [100, 5000])
def test_a_keystroke_costs_one_step_whatever_the_length(char_model, length):
    sampler = Sampler(char_model, context_limit=64, snapshot_every=8)
    text = (CORPUS_TEXT * 30)[:length]
    sampler.set_context(text)
    start = _work(sampler)
    typed = "the quick brown fox jumps over the lazy dog and on"
    for ch in typed:
        before = _work(sampler)
        text += ch
        sampler.set_context(text)
        # one step of the main state; none when the window start moved and the
        # main state was taken from the (caught up) window states
        assert _work(sampler)[0] - before[0] <= 1
    main, window, cold, resumes = _work(sampler)
    assert main - start[0] >= len(typed) - 2
    # the window states trail by at most sampler._lag tokens and catch up in batches
    assert window - start[1] <= len(typed) + sampler._lag
    assert (cold, resumes) == start[2:]
    assert sampler._n - sampler._pos <= sampler._lag
    stream = sampler.stream(SampleOptions(num=3, length=5))
    next(stream)  # the first piece comes before any catching up
    assert _work(sampler)[1] == window
    next(stream)
    assert sampler._n - sampler._pos < 8 and _work(sampler)[0] == main
    for _ in range(5):  # backspace: saved states, no reading at all
        before = _work(sampler)
        text = text[:-1]
        sampler.set_context(text)
        assert _work(sampler)[:2] == before[:2]
    _assert_state_is_fresh(sampler, char_model)


def test_an_early_edit_resumes_from_a_snapshot(char_model):
    sampler = Sampler(char_model, context_limit=64, snapshot_every=8)
    text = (CORPUS_TEXT * 10)[:3000]
    sampler.set_context(text)
    start, end = sampler.window()
    assert end == 3000 and 3000 - 64 < start <= 3000 - 64 + sampler.window_step
    read = sum(_work(sampler)[:2])
    text = text[:2990] + "X" + text[2991:]  # inside the window
    sampler.set_context(text)
    assert sampler.stats.resumes == 1 and sampler.stats.cold_starts == 1
    assert sum(_work(sampler)[:2]) - read <= 8 + 10 + 10  # window + main states
    _assert_state_is_fresh(sampler, char_model)
    read = sum(_work(sampler)[:2])
    sampler.set_context(text[:1000])  # cursor moved far back: bounded cold start
    assert sampler.stats.cold_starts == 2
    assert sum(_work(sampler)[:2]) - read <= 64
    _assert_state_is_fresh(sampler, char_model)


def test_unknown_characters_never_raise(char_model):
    sampler = Sampler(char_model, context_limit=LIMIT, snapshot_every=EVERY)
    sampler.set_context("Zo\u00eb wrote \u65e5\u672c\u8a9e \u2603 \U0001f600 and")
    ids = sampler.token_ids()
    assert (ids == 0).sum() >= 5  # unknown symbol
    _assert_state_is_fresh(sampler, char_model)
    texts = sampler.suggest(SampleOptions(num=3, length=40, temperature=2.0, seed=1))
    assert all(len(t) == 40 and UNK_CHAR not in t for t in texts)


def test_replace_model_keeps_the_context(tmp_path, char_model):
    other = _loaded(tmp_path, char_model.tokenizer, seed=7)
    sampler = Sampler(char_model, context_limit=LIMIT, snapshot_every=EVERY)
    text = CORPUS_TEXT[:100]
    sampler.set_context(text)
    old = sampler.state()[0]
    sampler.replace_model(other)
    assert sampler.text == text
    assert not np.allclose(sampler.state()[0], old)
    _assert_state_is_fresh(sampler, other)


def test_sampler_has_its_own_weights(char_model):
    sampler = Sampler(char_model)
    ours = {p.data_ptr() for p in sampler.loaded.model.parameters()}
    theirs = {p.data_ptr() for p in char_model.model.parameters()}
    assert not ours & theirs


def test_sampler_beside_a_training_run(tiny_corpus, tmp_path):
    """The sampler keeps its own weights while a Trainer runs in another thread,
    and switches to a snapshot the run saved without stopping it."""
    job = tiny_job(tiny_corpus, tmp_path / "run", epochs=50, eval_every=5)
    trainer = Trainer(job)
    sampler = Sampler(
        LoadedModel("run", job.model_dir, trainer.model, job.tokenizer, {}))
    text = CORPUS_TEXT[:150]
    sampler.set_context(text)
    greedy = SampleOptions(num=2, length=20, temperature=0.0)
    before = sampler.suggest(greedy)
    control = TrainingControl()
    events = []
    thread = threading.Thread(target=trainer.run, args=(events.append, control))
    thread.start()
    snapshot = None
    try:
        deadline = time.monotonic() + 120
        while snapshot is None and thread.is_alive() and time.monotonic() < deadline:
            assert sampler.suggest(greedy) == before  # training never reaches it
            if (job.model_dir / "config.json").exists():
                snapshot = load_for_sampling(job.model_dir)
                sampler.replace_model(snapshot)
        assert snapshot is not None
        assert thread.is_alive()  # the run went on meanwhile
        assert sampler.text == text
        _assert_state_is_fresh(sampler, snapshot)
        sampler.suggest(greedy)
    finally:
        control.cancel()
        thread.join(60)
    assert isinstance(events[-1], Finished) and events[-1].outcome == "cancelled"


# -- sampling -------------------------------------------------------------------
def test_greedy_is_the_argmax_of_a_plain_forward_pass(char_model):
    tokenizer = char_model.tokenizer
    sampler = Sampler(char_model)
    context = "The quick brown"
    sampler.set_context(context)
    texts = sampler.suggest(SampleOptions(num=3, length=30, temperature=0.0))
    assert texts[0] == texts[1] == texts[2] and len(texts[0]) == 30
    ids = list(tokenizer.encode(context))
    with torch.no_grad():
        for ch in texts[0]:
            scores = char_model.model(torch.tensor([ids]))[0][0, -1]
            scores[tokenizer.unk_id] = -float("inf")
            assert tokenizer.tokens[int(scores.argmax())] == ch
            ids.append(tokenizer.id_of(ch))
    assert sampler.suggest(SampleOptions(num=1, length=30, temperature=0.005)) == \
        texts[:1]
    # top-k 1 and a tiny top-p are greedy too
    assert sampler.suggest(SampleOptions(num=2, length=30, temperature=1.0, top_k=1,
                                         seed=5)) == texts[:2]
    assert sampler.suggest(SampleOptions(num=2, length=30, temperature=1.0,
                                         top_p=1e-6, seed=5)) == texts[:2]


def test_seeded_sampling_is_reproducible_and_alternatives_differ(char_model):
    sampler = Sampler(char_model)
    sampler.set_context("She wrote of the sea")
    options = SampleOptions(num=3, length=40, temperature=1.0, seed=42)
    first = sampler.suggest(options)
    assert sampler.suggest(options) == first
    assert len(set(first)) == 3
    other = sampler.suggest(SampleOptions(num=3, length=40, temperature=1.0, seed=43))
    assert other != first


def test_stream_yields_k_pieces_per_token(char_model):
    sampler = Sampler(char_model)
    sampler.set_context("A writer ")
    steps = list(sampler.stream(SampleOptions(num=3, length=12, temperature=1.0,
                                              seed=3)))
    assert len(steps) == 12
    assert all(len(step) == 3 and all(len(p) == 1 for p in step) for step in steps)


def test_top_k_limits_the_choices(char_model):
    tokenizer = char_model.tokenizer
    sampler = Sampler(char_model)
    sampler.set_context("the lazy")
    _, _, logits = sampler._main_output()
    scores = logits[0].copy()
    scores[tokenizer.unk_id] = -np.inf
    top3 = {tokenizer.tokens[i] for i in np.argsort(-scores)[:3]}
    firsts = {t[0] for t in sampler.suggest(SampleOptions(num=64, length=1,
                                                          temperature=5.0, top_k=3,
                                                          seed=0))}
    assert firsts <= top3 and len(firsts) > 1


def test_stop_rules_cut_a_greedy_text_where_they_should(char_model):
    sampler = Sampler(char_model)
    sampler.set_context("The words come slowly")
    full = sampler.suggest(SampleOptions(num=1, length=60, temperature=0.0))[0]
    needle = full[20:23]
    cut = sampler.suggest(SampleOptions(num=2, length=60, temperature=0.0,
                                        stop_string=needle))
    assert cut == [full[: full.find(needle)]] * 2
    line = sampler.suggest(SampleOptions(num=1, length=60, temperature=0.0,
                                         stop="line"))[0]
    lead = len(full) - len(full.lstrip())  # leading line breaks do not stop it
    assert line == full[:lead] + full[lead:].split("\n")[0]


@pytest.mark.parametrize("pieces,stop,stop_string,emitted,result", [
    (["ab", "c.", "de"], "sentence", None, ["ab", "c.", ""], "abc."),
    (["ab", "\nc", "d"], "line", None, ["ab", "", ""], "ab"),
    (["\n", " a", "b\n", "c"], "line", None, ["\n", " a", "b", ""], "\n ab"),
    (["ab", "\nc", "d."], "sentence", None, ["ab", "", ""], "ab"),
    (["x", "ST", "OP", "z"], "length", "STOP", ["x", "", "", ""], "x"),
    (["x", "ST", "y", "z"], "length", "STOP", ["x", "", "STy", "z"], "xSTyz"),
    (["x", "S"], "length", "STOP", ["x", "S"], "xS"),  # flushed at the end
])
def test_alternative_stop_rules(pieces, stop, stop_string, emitted, result):
    alt = _Alternative(SampleOptions(stop=stop, stop_string=stop_string))
    out = [alt.push(p, i == len(pieces) - 1) for i, p in enumerate(pieces)]
    assert out == emitted and alt.result == result and alt.done


def test_cancel_stops_within_one_token(char_model):
    sampler = Sampler(char_model)
    sampler.set_context("Rain on a roof")
    cancel = threading.Event()
    steps = 0
    for _ in sampler.stream(SampleOptions(num=3, length=1000, temperature=1.0),
                            cancel):
        steps += 1
        if steps == 5:
            cancel.set()
    assert steps == 5
    # from another thread, while the stream runs
    cancel = threading.Event()
    seen = []
    timer = threading.Timer(0.05, cancel.set)
    timer.start()
    for _ in sampler.stream(SampleOptions(num=3, length=100_000, temperature=1.0),
                            cancel):
        seen.append(cancel.is_set())
    timer.join()
    assert seen.count(True) <= 1 and len(seen) < 100_000


def test_empty_context_starts_a_text(char_model):
    sampler = Sampler(char_model)
    sampler.set_context("")
    texts = sampler.suggest(SampleOptions(num=2, length=10, seed=1))
    assert all(len(t) == 10 for t in texts)


def test_bad_options_are_refused():
    for bad in [dict(num=0), dict(length=0), dict(temperature=-1),
                dict(temperature=float("nan")), dict(top_k=-1), dict(top_p=0),
                dict(top_p=1.5), dict(stop="page"), dict(stop_string=""),
                dict(seed=-3)]:
        with pytest.raises(ValueError):
            SampleOptions(**bad)


# -- word level -----------------------------------------------------------------
def test_word_model_completes_a_half_typed_word(word_model):
    sampler = Sampler(word_model)
    sampler.set_context("She wrote of the harb")
    texts = sampler.suggest(SampleOptions(num=4, length=3, temperature=1.0, seed=0))
    assert all(t.startswith("our") for t in texts)  # "harbour" is the only match
    sampler.set_context("The qu")  # one step or none: the open word is not read
    assert sampler.token_count == 1
    texts = sampler.suggest(SampleOptions(num=3, length=4, temperature=1.0, seed=1))
    assert all(t.startswith("ick") for t in texts)


def test_word_model_spacing(word_model):
    tokenizer = word_model.tokenizer
    sampler = Sampler(word_model)
    sampler.set_context("The quick brown fox ")
    texts = sampler.suggest(SampleOptions(num=5, length=30, temperature=1.5, seed=2))
    for text in texts:
        assert not text.startswith(" ")
        assert " ." not in text and " ," not in text and "  " not in text
        # what it says re-tokenises into vocabulary words only
        assert all(tokenizer.id_of(w) for w in tokenizer.split(text))
    sampler.set_context("The quick brown fox")  # "fox" is complete: a space first
    texts = sampler.suggest(SampleOptions(num=5, length=5, temperature=1.5, seed=2))
    assert all(t[0] in " .,\n" for t in texts)
    sampler.set_context("Hello zzzq")  # no word starts so: taken as a whole word
    texts = sampler.suggest(SampleOptions(num=5, length=5, temperature=1.5, seed=2))
    assert all(t[0] in " .,\n" for t in texts)
