"""The core's messages reworded for the window: they speak of its fields and
buttons, not of command-line flags (the CLI keeps the core's wording)."""

from __future__ import annotations

import re

__all__ = ["for_window"]

# Whole phrases first, then single flags as the training panel's field labels.
_PHRASES: list[tuple[str, str]] = [
    (r"; use --resume to continue its training, or another --name",
     ": type another name in “Model name”, or rename or delete the old model in "
     "Model ▸ Manage"),
    (r" or the extensions given with --ext\)", ")"),
    (r"--resume needs --name of the model whose run to continue",
     "choose the run to resume under “Unfinished run”"),
    (r" \(--device cpu\)", " (Device: cpu)"),
]
_FLAGS = {
    "rnn-size": "Hidden size", "num-layers": "Layers",
    "embedding-size": "Embedding", "dropout": "Dropout",
    "seq-length": "Sequence length", "batch-size": "Batch size",
    "lr": "Learning rate", "epochs": "Epochs", "max-time": "Time limit",
    "name": "Model name", "init": "Start from", "preset": "Preset",
    "level": "Tokens", "device": "Device",
}
_FLAG = re.compile(r"\(?--([a-z][a-z0-9-]*)\)?")


def for_window(message: str) -> str:
    """`message` with command-line flags replaced by the window's field names."""
    for pattern, words in _PHRASES:
        message = re.sub(pattern, words, message)
    return _FLAG.sub(_field_name, message)


def _field_name(match: re.Match[str]) -> str:
    label = _FLAGS.get(match.group(1))
    if label is None:
        return match.group(0)
    text = f"“{label}”"
    return f"(the {text} field)" if match.group(0).startswith("(") else text
