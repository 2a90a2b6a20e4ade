"""Shared fixtures: every test gets its own platformdirs folders and a tiny corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"

CORPUS_TEXT = (
    "The quick brown fox jumps over the lazy dog. A writer writes every day,\n"
    "and the words come slowly at first, then faster, like rain on a roof.\n"
    "She wrote of the sea and the long grey light of the morning harbour.\n"
) * 12


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path_factory, monkeypatch):
    """Point platformdirs (XDG on Linux) at fresh folders for each test."""
    root = tmp_path_factory.mktemp("xdg")
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        path = root / var.lower()
        path.mkdir()
        monkeypatch.setenv(var, str(path))
    return root


@pytest.fixture
def tiny_corpus(tmp_path) -> Path:
    """A folder with two small text files."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_text(CORPUS_TEXT[: len(CORPUS_TEXT) // 2],
                                  encoding="utf-8")
    (folder / "b.md").write_text(CORPUS_TEXT[len(CORPUS_TEXT) // 2 :], encoding="utf-8")
    return folder


@pytest.fixture
def shared_data() -> Path:
    """The shared real corpora; tests that need them skip where they are absent."""
    data = SHARED / "data"
    if not data.is_dir():
        pytest.skip("../shared/data is not available")
    return data
