"""Safe, atomic files: tensors without pickled code, JSON metadata, checksums."""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

import torch

__all__ = [
    "ModelFileError",
    "atomic_write",
    "save_tensors",
    "load_tensors",
    "write_json",
    "read_json",
    "sha256_of",
    "file_sha256",
]


class ModelFileError(ValueError):
    """A model or checkpoint file is missing, damaged, foreign or unsafe."""


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a crash leaves the old file or the new one.

    A temporary file in the same folder is written, flushed to disk, then renamed
    over `path`; on any error (disk full, say) the temporary file is removed.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
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
        raise ModelFileError(f"{path}: checksum mismatch (the file is damaged or truncated)")
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
