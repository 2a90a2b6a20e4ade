"""The training checkpoint's files: written as a pair, the newest complete pair
found, damaged ones passed over."""

from __future__ import annotations

import json

import pytest
import torch

from lstmwriter.core.checkpoint import (
    CHECKPOINT_FILE,
    CHECKPOINT_META,
    CHECKPOINT_PREV_FILE,
    CHECKPOINT_PREV_META,
    ModelFileError,
    file_sha256,
    find_checkpoint,
    read_checkpoint_meta,
    remove_unfinished_writes,
    write_checkpoint,
)


def _save(folder, step: int, latest_complete: bool = True):
    tensors = {"model": {"w": torch.full((2, 3), float(step))}}
    meta = {"finished": False, "saved": "2024-05-01T10:00:00", "run": {"step": step}}
    return write_checkpoint(folder, "m", tensors, meta, latest_complete)


def test_a_checkpoint_is_a_tensor_file_and_its_json(tmp_path):
    path = _save(tmp_path, 1, latest_complete=False)
    assert path == tmp_path / CHECKPOINT_FILE
    assert sorted(p.name for p in tmp_path.iterdir()) == [CHECKPOINT_META,
                                                          CHECKPOINT_FILE]
    text = (tmp_path / CHECKPOINT_META).read_text(encoding="utf-8")
    meta = json.loads(text)
    assert list(meta) == ["format", "format_version", "name", "sha256", "finished",
                          "saved", "run"]
    assert meta["format"] == "lstmwriter-checkpoint" and meta["format_version"] == 1
    assert meta["sha256"] == file_sha256(path)
    assert text == json.dumps(meta, indent=2, ensure_ascii=False) + "\n"
    found = find_checkpoint(tmp_path)
    assert found.is_latest and found.problems == () and found.meta == meta
    assert torch.equal(found.tensors["model"]["w"], torch.full((2, 3), 1.0))


def test_a_trusted_latest_pair_becomes_the_previous_one(tmp_path):
    _save(tmp_path, 1, latest_complete=False)
    _save(tmp_path, 2, latest_complete=False)  # not trusted: overwritten
    assert not (tmp_path / CHECKPOINT_PREV_META).exists()
    _save(tmp_path, 3)
    assert read_checkpoint_meta(tmp_path)["run"]["step"] == 3
    prev = json.loads((tmp_path / CHECKPOINT_PREV_META).read_text())
    assert prev["run"]["step"] == 2
    assert prev["sha256"] == file_sha256(tmp_path / CHECKPOINT_PREV_FILE)


def test_a_damaged_latest_pair_falls_back_to_the_previous_one(tmp_path):
    _save(tmp_path, 1, latest_complete=False)
    _save(tmp_path, 2)
    with open(tmp_path / CHECKPOINT_FILE, "r+b") as handle:
        handle.truncate(100)
    found = find_checkpoint(tmp_path)
    assert found.meta["run"]["step"] == 1 and found.path.name == CHECKPOINT_PREV_FILE
    assert not found.is_latest and "no weights file with its checksum" in \
        found.problems[0]


def test_a_pair_split_across_the_names_is_found(tmp_path):
    """Killed between the two moves: the latest JSON names the .prev tensors."""
    _save(tmp_path, 1, latest_complete=False)
    (tmp_path / CHECKPOINT_FILE).replace(tmp_path / CHECKPOINT_PREV_FILE)
    found = find_checkpoint(tmp_path)
    assert found.path.name == CHECKPOINT_PREV_FILE and found.problems == ()
    assert not found.is_latest


def test_the_previous_json_stands_in_for_a_damaged_latest_one(tmp_path):
    _save(tmp_path, 1, latest_complete=False)
    _save(tmp_path, 2)
    (tmp_path / CHECKPOINT_META).write_text("{", encoding="utf-8")
    assert read_checkpoint_meta(tmp_path)["run"]["step"] == 1


def test_no_usable_checkpoint_names_every_problem(tmp_path):
    with pytest.raises(ModelFileError, match="no usable checkpoint") as err:
        find_checkpoint(tmp_path)
    assert CHECKPOINT_META in str(err.value) and CHECKPOINT_PREV_META in str(err.value)
    (tmp_path / CHECKPOINT_META).write_text('{"format": "something else"}')
    with pytest.raises(ModelFileError, match="not an lstmwriter checkpoint"):
        read_checkpoint_meta(tmp_path)


def test_the_temporary_files_of_writes_cut_short_are_removed(tmp_path):
    _save(tmp_path, 1, latest_complete=False)
    stale = tmp_path / f".{CHECKPOINT_FILE}.x1y2.tmp"
    stale.write_bytes(b"half")
    remove_unfinished_writes(tmp_path)
    assert not stale.exists() and (tmp_path / CHECKPOINT_FILE).exists()
