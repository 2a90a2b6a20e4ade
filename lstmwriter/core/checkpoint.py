"""Safe, atomic files: tensors without pickled code, JSON metadata, checksums;
and the training checkpoint's format (its file names, writing it, finding the
newest complete one)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

__all__ = [
    "CHECKPOINT_FILE",
    "CHECKPOINT_FORMAT",
    "CHECKPOINT_META",
    "CHECKPOINT_PREV_FILE",
    "CHECKPOINT_PREV_META",
    "FoundCheckpoint",
    "ModelFileError",
    "atomic_write",
    "save_tensors",
    "load_tensors",
    "write_json",
    "read_json",
    "sha256_of",
    "file_sha256",
    "find_checkpoint",
    "read_checkpoint_meta",
    "remove_unfinished_writes",
    "write_checkpoint",
]

CHECKPOINT_FILE = "checkpoint.pt"
CHECKPOINT_META = "checkpoint.json"
CHECKPOINT_PREV_FILE = "checkpoint.prev.pt"  # the complete checkpoint before the latest
CHECKPOINT_PREV_META = "checkpoint.prev.json"
CHECKPOINT_FORMAT = "lstmwriter-checkpoint"
_TEMP_PREFIX, _TEMP_SUFFIX = ".", ".tmp"  # atomic_write's temporary files


class ModelFileError(ValueError):
    """A model or checkpoint file is missing, damaged, foreign or unsafe."""


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a crash leaves the old file or the new one.

    A temporary file in the same folder is written, flushed to disk, then renamed
    over `path`; on any error (disk full, say) the temporary file is removed.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f"{_TEMP_PREFIX}{path.name}.",
                               suffix=_TEMP_SUFFIX, dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename is None:
            exc.filename = str(path)  # "disk full" should say where
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str | None:
    """sha256 of a file read in chunks, or None if it cannot be read."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def save_tensors(path: Path, tensors: dict[str, Any]) -> str:
    """Save a (nested) dict of tensors and plain values; returns its sha256."""
    buffer = io.BytesIO()
    torch.save(tensors, buffer)
    data = buffer.getvalue()
    atomic_write(path, data)
    return sha256_of(data)


def load_tensors(path: Path, expected_sha256: str | None = None) -> dict[str, Any]:
    """Load a file written by `save_tensors` without running any code from it."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ModelFileError(f"{path}: file is missing") from None
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot be read ({exc.strerror})") from None
    if expected_sha256 and sha256_of(data) != expected_sha256:
        raise ModelFileError(f"{path}: checksum mismatch "
                             "(the file is damaged or truncated)")
    try:
        loaded = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise ModelFileError(
            f"{path}: refused, the file holds objects or code, not plain weights "
            f"({str(exc).splitlines()[0][:120]})"
        ) from None
    except Exception as exc:  # truncated zip, foreign format, ...
        raise ModelFileError(f"{path}: not a readable weights file ({exc})") from None
    if not isinstance(loaded, dict):
        raise ModelFileError(f"{path}: expected a dictionary of tensors")
    return loaded


def write_json(path: Path, data: dict[str, Any]) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    try:
        raw = text.encode()
    except UnicodeEncodeError:  # a file name that is not UTF-8: \udcxx escapes
        raw = (json.dumps(data, indent=2) + "\n").encode()
    atomic_write(path, raw)


def read_json(path: Path) -> dict[str, Any]:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelFileError(f"{path}: file is missing") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ModelFileError(f"{path}: expected a JSON object")
    return data


def remove_unfinished_writes(folder: Path) -> None:
    """Delete the temporary files of `atomic_write`s cut short (a kill, a power cut)."""
    for stale in Path(folder).glob(f"{_TEMP_PREFIX}*{_TEMP_SUFFIX}"):
        stale.unlink(missing_ok=True)


# -- training checkpoints ----------------------------------------------------------

def write_checkpoint(folder: Path, name: str, tensors: dict[str, Any],
                     meta: dict[str, Any], latest_complete: bool) -> Path:
    """Save `tensors` and their JSON as run `name`'s latest checkpoint in `folder`;
    returns the tensor file.

    The JSON holds the format and its version, `name`, the tensor file's sha256,
    then `meta`. When `latest_complete` (the pair on disk is one the caller
    trusts), that pair first becomes the previous one: the fallback of
    `find_checkpoint` while the new pair is being written.
    """
    folder = Path(folder)
    path, meta_path = folder / CHECKPOINT_FILE, folder / CHECKPOINT_META
    if latest_complete:
        _move(path, folder / CHECKPOINT_PREV_FILE)
        _move(meta_path, folder / CHECKPOINT_PREV_META)
    digest = save_tensors(path, tensors)
    write_json(meta_path, {"format": CHECKPOINT_FORMAT, "format_version": 1,
                           "name": name, "sha256": digest, **meta})
    return path


def _move(source: Path, target: Path) -> None:
    try:
        os.replace(source, target)
    except FileNotFoundError:
        pass


def _read_meta(path: Path) -> dict[str, Any]:
    meta = read_json(path)
    if meta.get("format") != CHECKPOINT_FORMAT:
        raise ModelFileError(f"{path}: not an lstmwriter checkpoint")
    return meta


def read_checkpoint_meta(model_dir: Path) -> dict[str, Any]:
    """checkpoint.json of an unfinished (or finished) run, checked; the previous
    checkpoint's (checkpoint.prev.json) when the latest is missing or damaged."""
    errors = []
    for name in (CHECKPOINT_META, CHECKPOINT_PREV_META):
        try:
            return _read_meta(Path(model_dir) / name)
        except ModelFileError as exc:
            errors.append(exc)
    raise errors[0]


@dataclass(frozen=True)
class FoundCheckpoint:
    """The newest complete checkpoint of a folder (see `find_checkpoint`)."""

    meta: dict[str, Any]
    tensors: dict[str, Any]
    path: Path  # the tensor file
    problems: tuple[str, ...]  # why newer files were passed over (empty: none were)

    @property
    def is_latest(self) -> bool:
        """True if it is the latest pair under the latest names, untouched."""
        return not self.problems and self.path.name == CHECKPOINT_FILE


def find_checkpoint(folder: Path) -> FoundCheckpoint:
    """The newest complete checkpoint in `folder`.

    A checkpoint is a JSON file plus the tensor file whose sha256 it records.
    Saving first moves the latest pair to the `.prev` names, so a kill or power
    cut at any moment leaves a matching pair, possibly across the two names; a
    damaged or truncated latest pair falls back to the previous one. Raises
    ModelFileError, naming every problem, when there is none.
    """
    folder = Path(folder)
    problems: list[str] = []
    digests: dict[Path, str | None] = {}
    for meta_name in (CHECKPOINT_META, CHECKPOINT_PREV_META):
        try:
            meta = _read_meta(folder / meta_name)
        except ModelFileError as exc:
            problems.append(str(exc))
            continue
        for path in (folder / CHECKPOINT_FILE, folder / CHECKPOINT_PREV_FILE):
            if path not in digests:
                digests[path] = file_sha256(path)
            if digests[path] is None or digests[path] != meta.get("sha256"):
                continue
            try:
                tensors = load_tensors(path, meta["sha256"])
            except ModelFileError as exc:
                problems.append(str(exc))
            else:
                return FoundCheckpoint(meta, tensors, path, tuple(problems))
        problems.append(f"{folder / meta_name}: no weights file with its checksum "
                        "(damaged, truncated or missing)")
    raise ModelFileError(f"{folder}: no usable checkpoint to resume from: "
                         + "; ".join(problems))
