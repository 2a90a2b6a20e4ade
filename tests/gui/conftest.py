"""GUI test fixtures: offscreen Qt, a real tiny model, windows that always shut
down their threads."""

from __future__ import annotations

import gc
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything loads Qt

from pathlib import Path

import pytest

from lstmwriter.core.jobs import TrainRequest, plan_training
from lstmwriter.core.store import ModelStore
from lstmwriter.core.training import Trainer

TINY_MODEL = {"rnn_size": 16, "embedding_size": 8, "num_layers": 1}
TINY_TRAIN = {"epochs": 2, "sample_length": 0, "device": "cpu", "max_eval_tokens": 2000,
              "seed": 7}


def train_tiny_model(corpus: Path, name: str = "tiny", **model) -> Path:
    """A real (tiny, seeded) model in the isolated store; returns its folder."""
    store = ModelStore()
    job = plan_training(TrainRequest(corpus, name=name, preset="char-tiny",
                                     model_overrides={**TINY_MODEL, **model},
                                     train_overrides=TINY_TRAIN), store)
    assert Trainer(job).run() == "done"
    return store.root / name


@pytest.fixture(autouse=True)
def hide_bundled_model(request, monkeypatch):
    """Most GUI tests drive tiny models in an empty store; the bundled default model
    (which the window loads at start-up) is visible only to tests marked
    `bundled_model`."""
    if request.node.get_closest_marker("bundled_model") is None:
        import lstmwriter.core.store

        monkeypatch.setattr(lstmwriter.core.store, "bundled_model_dir", lambda: None)


@pytest.fixture
def tiny_model(tiny_corpus) -> str:
    train_tiny_model(tiny_corpus)
    return "tiny"


@pytest.fixture(autouse=True)
def collect_garbage():
    """Free each test's Qt wrappers once its windows are closed and their threads
    have ended, not later, in the middle of another test whose workers are busy."""
    yield
    gc.collect()


@pytest.fixture
def make_window(qtbot, monkeypatch):
    """Windows whose close never asks questions; each is closed at the end and
    must leave no thread running."""
    from lstmwriter.gui import create_window, dialogs

    monkeypatch.setattr(dialogs, "ask_unsaved", lambda parent, name: "discard")
    monkeypatch.setattr(dialogs, "ask_stop_training", lambda parent: True)
    windows = []

    def make():
        window = create_window()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()
        assert window._closing, "the window refused to close"
        qtbot.waitUntil(lambda w=window: not w.isVisible(), timeout=60_000)
        assert not window.threads.busy()
        assert window.suggestions.sample_thread.isFinished()
        assert window.documents.file_thread.isFinished()


@pytest.fixture
def window_with_model(make_window, tiny_model, qtbot):
    """A window with the tiny model loaded (it is the only one in the store)."""
    window = make_window()
    window.show()
    qtbot.waitUntil(lambda: window.suggestions.model_info is not None, timeout=15_000)
    assert window.suggestions.model_info.name == tiny_model
    return window


def settle(qtbot, window) -> None:
    """Let the edit's context_changed (a zero-delay timer) go out."""
    qtbot.waitUntil(lambda: not window.editor.context_pending(), timeout=5000)


def wait_for_suggestions(qtbot, window, count: int | None = None, done: bool = True):
    """Until the pane shows `count` (default: the pane's setting) non-empty
    alternatives and, with `done`, the request has finished streaming."""
    count = count or window.pane.count.value()
    settle(qtbot, window)
    assert window.suggestions.request is not None, "no suggestion request was made"

    def ready() -> bool:
        request = window.suggestions.request  # the latest (a model load asks again)
        shown = window.pane.list.count() == count and all(
            window.pane.list.item(i).text() for i in range(count))
        finished = request is not None and \
            (window.suggestions.last_request_done or (0, ""))[0] == request.request_id
        return shown and (finished or not done)

    qtbot.waitUntil(ready, timeout=15_000)
    return [window.pane.list.item(i).text() for i in range(count)]
