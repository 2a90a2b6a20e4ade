"""Exceptions as messages for people, never a traceback."""

from __future__ import annotations

import errno
import sys

__all__ = ["describe_error"]

_DISK_FULL = (errno.ENOSPC, getattr(errno, "EDQUOT", -1))


def describe_error(exc: BaseException, *, trainer: bool = False) -> str:
    """A message for the user about `exc`.

    The window's wording is a sentence. `trainer=True` gives the wording of the
    trainer's `Failed` event, which the command line prints after "error: ":
    lower case, naming command-line options, and knowing that a CUDA
    out-of-memory error reaches it only once halving the batch could not help.
    """
    text = str(exc).strip()
    if _is_disk_full(exc) and trainer:
        where = f" {exc.filename}" if exc.filename else ""
        return (f"the disk is full: could not save{where}. The model and checkpoint "
                "saved before are intact; free some space, then resume the run")
    if _is_cuda_out_of_memory(exc):
        if trainer:
            return ("the GPU ran out of memory even with a batch of 1: try a smaller "
                    "model or train on the CPU (--device cpu)")
        return ("The GPU ran out of memory. Try a smaller model or batch size, or "
                "train on the CPU.")
    if isinstance(exc, MemoryError):
        if trainer:
            return "out of memory: try a smaller batch size or model"
        return "Out of memory. Try a smaller model or batch size."
    if trainer:
        return str(exc) or type(exc).__name__
    if isinstance(exc, RuntimeError) and ("CUDA" in text or "cuDNN" in text):
        first = text.splitlines()[0] if text else "unknown error"
        return f"The GPU failed ({first}). Try training on the CPU."
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror}"
    if isinstance(exc, (ValueError, OSError)) and text:
        return text  # CorpusError and ModelFileError carry messages for people
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in _DISK_FULL


def _is_cuda_out_of_memory(exc: BaseException) -> bool:
    # Only torch raises it, so a torch not yet loaded cannot have: this module
    # stays light for the command line's early errors.
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(exc, torch.cuda.OutOfMemoryError)
