"""find_unfinished_runs: the runs the window offers to resume."""

from __future__ import annotations

import json
from pathlib import Path

from lstmwriter.core.checkpoint import CHECKPOINT_FORMAT, CHECKPOINT_META
from lstmwriter.core.runs import UnfinishedRun, find_unfinished_runs


def _checkpoint(folder: Path, finished: bool, step: int, saved: str) -> None:
    folder.mkdir(parents=True)
    meta = {"format": CHECKPOINT_FORMAT, "format_version": 1, "name": folder.name,
            "sha256": "0" * 64, "finished": finished, "saved": saved,
            "run": {"step": step}, "corpus": {"path": "/texts"}}
    (folder / CHECKPOINT_META).write_text(json.dumps(meta), encoding="utf-8")


def test_an_unfinished_run_is_offered_and_a_finished_one_is_not(tmp_path):
    _checkpoint(tmp_path / "done", True, 90, "2024-05-01T10:00:00")
    _checkpoint(tmp_path / "older", False, 12, "2024-05-01T09:00:00")
    _checkpoint(tmp_path / "stopped", False, 40, "2024-05-02T08:00:00")
    (tmp_path / "a model without a run").mkdir()
    (tmp_path / "a file").write_text("not a folder")
    assert find_unfinished_runs(tmp_path) == [
        UnfinishedRun("stopped", 40, "2024-05-02T08:00:00", "/texts"),
        UnfinishedRun("older", 12, "2024-05-01T09:00:00", "/texts"),
    ]


def test_a_damaged_or_foreign_checkpoint_is_passed_over(tmp_path):
    (tmp_path / "damaged").mkdir()
    (tmp_path / "damaged" / CHECKPOINT_META).write_text('{"format": "lstmw')
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / CHECKPOINT_META).write_text('{"format": "other"}')
    assert find_unfinished_runs(tmp_path) == []


def test_an_empty_or_missing_folder_has_none(tmp_path):
    assert find_unfinished_runs(tmp_path) == []
    assert find_unfinished_runs(tmp_path / "missing") == []
