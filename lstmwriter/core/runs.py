"""Training runs that can be resumed: model folders whose last checkpoint says
the run did not finish."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from .checkpoint import CHECKPOINT_META, CHECKPOINT_PREV_META, read_checkpoint_meta

__all__ = ["UnfinishedRun", "find_unfinished_runs"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UnfinishedRun:
    """A run that can be resumed."""

    name: str  # its model folder's name
    step: int  # steps trained so far
    saved: str  # when its checkpoint was written (ISO time)
    corpus: str  # the folder or file it read ("" if not recorded)


def find_unfinished_runs(root: Path) -> list[UnfinishedRun]:
    """Model folders under `root` whose last checkpoint says the run did not
    finish (stopped, or the app was killed), newest first."""
    runs: list[UnfinishedRun] = []
    try:
        folders = sorted(p for p in Path(root).iterdir() if p.is_dir())
    except OSError:
        return runs
    for folder in folders:
        names = (CHECKPOINT_META, CHECKPOINT_PREV_META)
        if not any((folder / name).is_file() for name in names):
            continue
        try:
            meta = read_checkpoint_meta(folder)
        except (OSError, ValueError) as exc:  # damaged or foreign: nothing to offer
            log.info("no resumable checkpoint in %s: %s", folder, exc)
            continue
        if meta.get("finished", True):
            continue
        runs.append(UnfinishedRun(
            name=folder.name, step=int(meta.get("run", {}).get("step", 0)),
            saved=str(meta.get("saved", "")),
            corpus=str((meta.get("corpus") or {}).get("path", ""))))
    runs.sort(key=lambda run: run.saved, reverse=True)
    return runs
