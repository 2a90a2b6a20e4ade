"""Recovery copies of unsaved text, so that a crash never loses a writer's work.

Each running window owns one `session-<id>.json` in the user data dir, guarded
by a QLockFile. A copy whose lock is stale (its process is gone) belongs to a
session that crashed; the next launch offers it. Restored or declined copies
are moved to `recovery/old/`, and text discarded at an unsaved-changes prompt is
written there too (`discarded-*.json`, by the file worker); the newest KEEP_OLD
of them are kept. `RecoveryBar` offers an orphan above the editor.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QLockFile, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from ..core.checkpoint import atomic_write
from ..core.store import user_data_dir

__all__ = [
    "RecoveredText",
    "RecoveryBar",
    "RecoverySession",
    "recovery_dir",
    "write_copy",
    "write_discarded_copy",
]

log = logging.getLogger(__name__)

KEEP_OLD = 10  # copies kept in recovery/old/, restored, declined and discarded alike


def recovery_dir() -> Path:
    """Where recovery copies live (under the user data dir)."""
    return user_data_dir() / "recovery"


def write_copy(path: Path, record: dict[str, Any]) -> None:
    """Write a recovery record (RecoverySession.record) as JSON, atomically."""
    data = json.dumps(record, ensure_ascii=False).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, data)


def write_discarded_copy(folder: Path, record: dict[str, Any]) -> None:
    """Keep text discarded at a prompt (a record) in `folder`/old/ for a while:
    the file worker calls this, as it writes a file."""
    write_copy(folder / "old" / f"discarded-{time.time_ns()}.json", record)
    _prune_old(folder / "old")


def _prune_old(old: Path) -> None:
    """Keep the KEEP_OLD newest copies in recovery/old/ (by time, then name)."""
    copies = sorted(old.glob("*.json"), key=lambda p: (p.stat().st_mtime_ns, p.name))
    for stale in copies[:-KEEP_OLD]:
        stale.unlink(missing_ok=True)


@dataclass(frozen=True)
class RecoveredText:
    """An orphaned recovery copy: the text and the file it belonged to."""

    file: Path
    text: str
    document_path: str | None
    saved: str  # ISO time of the copy
    file_format: dict[str, Any] | None = None  # TextFormat.to_dict() of the file

    @property
    def label(self) -> str:
        name = (Path(self.document_path).name if self.document_path
                else "an untitled text")
        return f"{name} (saved {self.saved[:16].replace('T', ' ')})"


class RecoverySession:
    """The recovery copy of this window and the orphans of crashed sessions."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder else recovery_dir()
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = f"session-{os.getpid()}-{time.time_ns()}"
        self.file = self.folder / f"{stem}.json"
        self._lock = QLockFile(str(self.folder / f"{stem}.lock"))
        self._lock.setStaleLockTime(0)
        if not self._lock.tryLock(0):  # pragma: no cover - a fresh name
            log.warning("could not lock %s", self._lock.fileName())

    def record(self, text: str, document_path: str | None,
               file_format: dict[str, Any] | None = None) -> dict[str, Any]:
        """What the file worker writes to `self.file`; `file_format` is how the
        document's file is encoded, so a restored text saves back the same way."""
        return {"format": "lstmwriter-recovery", "pid": os.getpid(),
                "saved": _dt.datetime.now().isoformat(timespec="seconds"),
                "document_path": document_path, "file_format": file_format,
                "text": text}

    def orphans(self) -> list[RecoveredText]:
        """Copies left by sessions that ended without cleaning up, newest first."""
        found: list[RecoveredText] = []
        for path in sorted(self.folder.glob("session-*.json")):
            if path == self.file:
                continue
            lock = QLockFile(str(path.with_suffix(".lock")))
            lock.setStaleLockTime(0)  # alive owners keep their lock however old
            if not lock.tryLock(0):
                continue  # another window is running and owns it
            lock.unlock()
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                found.append(RecoveredText(path, str(data["text"]),
                                           data.get("document_path"),
                                           str(data.get("saved", "")),
                                           data.get("file_format")))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("unreadable recovery copy %s: %s", path, exc)
                self._retire(path)
        found.sort(key=lambda r: r.saved, reverse=True)
        return found

    def retire(self, orphan: RecoveredText) -> None:
        """Move a restored or declined copy out of the way (kept for a while)."""
        self._retire(orphan.file)

    def _retire(self, path: Path) -> None:
        old = self.folder / "old"
        try:
            old.mkdir(exist_ok=True)
            os.replace(path, old / path.name)
            path.with_suffix(".lock").unlink(missing_ok=True)
            _prune_old(old)
        except OSError as exc:
            log.warning("could not retire recovery copy %s: %s", path, exc)

    def clear(self) -> None:
        """The document is saved (or empty): no copy is needed."""
        try:
            self.file.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not remove %s: %s", self.file, exc)

    def close(self) -> None:
        """A clean exit: remove this session's copy and lock."""
        self.clear()
        self._lock.unlock()


class RecoveryBar(QFrame):
    """Above the editor while text from a crashed session waits (objectName
    `recoveryBar`): what it is, Restore and Discard."""

    restore_clicked = Signal()
    discard_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recoveryBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        restore = QPushButton("Restore", self)
        restore.setObjectName("restoreButton")
        discard = QPushButton("Discard", self)
        discard.setObjectName("discardRecoveryButton")
        bar = QHBoxLayout(self)
        bar.addWidget(self.label, 1)
        bar.addWidget(restore)
        bar.addWidget(discard)
        self.hide()
        restore.clicked.connect(self.restore_clicked)
        discard.clicked.connect(self.discard_clicked)

    def offer(self, orphan: RecoveredText, words: int) -> None:
        """Show `orphan` (with its word count) until it is restored or discarded."""
        self.label.setText(
            "<b>Unsaved text was recovered</b> from a session that ended "
            f"unexpectedly: {orphan.label}, {words:,} words.")
        self.show()
