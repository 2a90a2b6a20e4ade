"""describe_error: one message per kind of error, in the window's wording and in
the trainer's (its Failed event, which the command line prints)."""

from __future__ import annotations

import errno

import torch

from lstmwriter.core.checkpoint import ModelFileError
from lstmwriter.core.corpus import CorpusError
from lstmwriter.core.errors import describe_error


def _both(exc: BaseException) -> tuple[str, str]:
    return describe_error(exc), describe_error(exc, trainer=True)


def test_a_full_disk():
    exc = OSError(errno.ENOSPC, "No space left on device", "/m/checkpoint.pt")
    assert _both(exc) == (
        "/m/checkpoint.pt: No space left on device",
        "the disk is full: could not save /m/checkpoint.pt. The model and checkpoint "
        "saved before are intact; free some space, then resume the run")
    quota = OSError(errno.EDQUOT, "Disk quota exceeded")
    assert describe_error(quota, trainer=True).startswith(
        "the disk is full: could not save. The model")


def test_the_gpu_out_of_memory():
    assert _both(torch.cuda.OutOfMemoryError("CUDA out of memory. Tried 2 GiB")) == (
        "The GPU ran out of memory. Try a smaller model or batch size, or train on "
        "the CPU.",
        "the GPU ran out of memory even with a batch of 1: try a smaller model or "
        "train on the CPU (--device cpu)")


def test_the_cpu_out_of_memory():
    assert _both(MemoryError()) == (
        "Out of memory. Try a smaller model or batch size.",
        "out of memory: try a smaller batch size or model")


def test_a_gpu_failure():
    exc = RuntimeError("CUDA error: device-side assert triggered\nmore detail")
    assert _both(exc) == (
        "The GPU failed (CUDA error: device-side assert triggered). Try training on "
        "the CPU.",
        "CUDA error: device-side assert triggered\nmore detail")
    assert describe_error(RuntimeError("cuDNN error")) == \
        "The GPU failed (cuDNN error). Try training on the CPU."


def test_a_file_error():
    exc = PermissionError(errno.EACCES, "Permission denied", "/x")
    assert _both(exc) == ("/x: Permission denied", "[Errno 13] Permission denied: '/x'")
    assert describe_error(OSError("no such model")) == "no such model"


def test_errors_that_carry_a_message_for_people():
    for exc in (ValueError(" no text files found "), CorpusError("no text files"),
                ModelFileError("/m/model.pt: checksum mismatch")):
        assert describe_error(exc) == str(exc).strip()
        assert describe_error(exc, trainer=True) == str(exc)


def test_other_errors_are_named():
    assert _both(KeyError("step")) == ("KeyError: 'step'", "'step'")
    assert _both(FloatingPointError()) == ("FloatingPointError", "FloatingPointError")
