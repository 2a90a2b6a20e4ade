"""The model store: one folder per model under the user data dir, plus the bundled one.

A model folder holds `config.json` (format version, level, vocabulary,
hyperparameters, corpus summary, metrics, dates, weights checksum) and `model.pt`
(a plain state dict, CPU tensors). `checkpoint.pt` / `checkpoint.json` hold the
state of an unfinished training run.
"""

from __future__ import annotations

import datetime as _dt
import functools
import importlib.resources
import logging
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs
import torch

from .checkpoint import (
    ModelFileError,
    file_sha256,
    load_tensors,
    read_json,
    save_tensors,
    write_json,
)
from .config import ModelConfig
from .model import LSTMLanguageModel
from .tokenizer import Tokenizer, tokenizer_from_dict
from .word_lstm import WordLSTM
from .word_memory import MEMORY_FILE, MixedMemory, WordMemory, load_memory

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "DEFAULT_MODEL_NAME",
    "LoadedModel",
    "ModelInfo",
    "ModelStore",
    "ModelFileError",
    "bundled_model_dir",
    "load_model_dir",
    "memory_of",
    "word_model_of",
    "save_model_dir",
    "user_data_dir",
    "now_iso",
]

FORMAT = "lstmwriter-model"
FORMAT_VERSION = 1
DEFAULT_MODEL_NAME = "default"
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.pt"
WORD_MODEL_DIR = "words"  # a model's word LSTM (ghost text), a model folder itself
_TIED = "head.weight"  # the output layer's weight, the embedding's when tied
PREVIOUS_WEIGHTS_FILE = "model.prev.pt"  # only while a save is under way
# Share of the starting model's word memory beside a fine-tuned model's own
# (benchmarks/usefulness.py, scenario 2: a small folder's memory knows few phrases)
BASE_MEMORY_WEIGHT = 0.3
_NAME_RE = re.compile(r"^[\w][\w .()+-]{0,79}$")

log = logging.getLogger(__name__)


def user_data_dir() -> Path:
    """Where user models, recovery copies and logs live (platformdirs)."""
    return Path(platformdirs.user_data_dir("lstmwriter", appauthor=False))


def now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def bundled_model_dir() -> Path | None:
    """Folder of the default model shipped with the package (None if absent)."""
    try:
        root = importlib.resources.files("lstmwriter.bundled_models")
        candidate = Path(str(root)) / DEFAULT_MODEL_NAME
    except ModuleNotFoundError:  # running from a source tree that is not installed
        candidate = Path(__file__).resolve().parents[2] / "models" / DEFAULT_MODEL_NAME
    return candidate if (candidate / CONFIG_FILE).is_file() else None


@dataclass
class LoadedModel:
    """A model ready for inference (eval mode) with its tokenizer and metadata."""

    name: str
    path: Path
    model: LSTMLanguageModel
    tokenizer: Tokenizer
    meta: dict[str, Any]
    read_only: bool = False

    @property
    def level(self) -> str:
        return self.tokenizer.level


@dataclass(frozen=True)
class ModelInfo:
    """A row of the store's listing."""

    name: str
    path: Path
    read_only: bool
    meta: dict[str, Any]


def save_model_dir(
    path: Path,
    model: LSTMLanguageModel,
    tokenizer: Tokenizer,
    meta: dict[str, Any] | None = None,
    half: bool = False,
) -> None:
    """Write weights (device-neutral; float16 with `half`) then config.json, each
    atomically. A tied output layer is not written twice (`load_state`)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    dtype = torch.float16 if half else None
    state = {k: v.detach().to("cpu", dtype).clone()
             for k, v in model.state_dict().items()
             if not (k == _TIED and model.config.tie_weights)}
    weights, previous = path / WEIGHTS_FILE, path / PREVIOUS_WEIGHTS_FILE
    _set_aside(weights, previous, path / CONFIG_FILE)
    try:
        digest = save_tensors(weights, state)
        meta = dict(meta or {})
        meta.setdefault("created", now_iso())
        meta.update(
            format=FORMAT,
            format_version=FORMAT_VERSION,
            level=tokenizer.level,
            tokenizer=tokenizer.to_dict(),
            model=model.config.to_dict(),
            parameters=model.num_parameters(),
            weights_sha256=digest,
            updated=now_iso(),
        )
        write_json(path / CONFIG_FILE, meta)
    except BaseException:
        if previous.exists():  # disk full, say: the old pair goes back in place
            os.replace(previous, weights)
        raise
    previous.unlink(missing_ok=True)


def _set_aside(weights: Path, previous: Path, config: Path) -> None:
    """Before new weights are written, move the ones config.json describes to
    model.prev.pt: a crash before the new config.json is in place then leaves a
    matching pair, which `load_model_dir` falls back to."""
    if not weights.exists():
        return
    if previous.exists():  # an earlier save was cut short: keep the matching one
        try:
            expected = read_json(config).get("weights_sha256")
        except ModelFileError:
            expected = None
        if file_sha256(weights) != expected:
            return
    os.replace(weights, previous)


def _load_weights(path: Path, expected: str | None) -> dict[str, Any]:
    """model.pt, or model.prev.pt where a save was cut short between the files."""
    try:
        return load_tensors(path / WEIGHTS_FILE, expected)
    except ModelFileError as exc:
        previous = path / PREVIOUS_WEIGHTS_FILE
        if not expected or not previous.exists():
            raise
        try:
            state = load_tensors(previous, expected)
        except ModelFileError:
            raise exc from None
        log.warning("%s; using %s, the weights of the last complete save", exc,
                    PREVIOUS_WEIGHTS_FILE)
        return state


def read_model_meta(path: Path) -> dict[str, Any]:
    """config.json of a model folder, checked for format and version."""
    path = Path(path)
    if not path.is_dir():
        raise ModelFileError(f"{path}: no such model folder")
    meta = read_json(path / CONFIG_FILE)
    if meta.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not an lstmwriter model (config.json has no "
                             f"'format': '{FORMAT}')")
    version = meta.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION or version < 1:
        raise ModelFileError(
            f"{path}: model format version {version!r} is not supported "
            f"(this lstmwriter reads version {FORMAT_VERSION})"
        )
    return meta


def build_model(meta: dict[str, Any],
                source: Path) -> tuple[LSTMLanguageModel, Tokenizer]:
    """An untrained model and tokenizer as described by a model's metadata."""
    try:
        tokenizer = tokenizer_from_dict(meta["tokenizer"])
        config = ModelConfig.from_dict(meta["model"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{source}: bad model description ({exc})") from None
    if config.vocab_size != tokenizer.vocab_size:
        raise ModelFileError(
            f"{source}: the vocabulary has {tokenizer.vocab_size} entries but the "
            f"model expects {config.vocab_size}"
        )
    return LSTMLanguageModel(config), tokenizer


def load_state(model: torch.nn.Module, state: dict[str, Any], source: Path) -> None:
    """load_state_dict with a readable error on missing keys or shape mismatches;
    float16 weights are widened, a tied output layer shares the embedding."""
    expected = model.state_dict()
    if getattr(model, "config", None) is not None and model.config.tie_weights \
            and _TIED not in state and "embedding.weight" in state:
        state = {**state, _TIED: state["embedding.weight"]}
    missing = sorted(set(expected) - set(state))
    extra = sorted(set(state) - set(expected))
    if missing or extra:
        raise ModelFileError(
            f"{source}: weights do not match the config (missing {missing[:3]}, "
            f"unexpected {extra[:3]})"
        )
    for key, tensor in expected.items():
        value = state[key]
        if not isinstance(value, torch.Tensor) or value.shape != tensor.shape:
            shape = (tuple(value.shape) if isinstance(value, torch.Tensor)
                     else type(value))
            raise ModelFileError(
                f"{source}: weight {key} has shape {shape}, the config says "
                f"{tuple(tensor.shape)}"
            )
        if not value.is_floating_point() or not torch.isfinite(value).all():
            raise ModelFileError(f"{source}: weight {key} holds non-finite "
                                 "or non-float data")
    model.load_state_dict({k: v.float() if v.dtype == torch.float16 else v
                           for k, v in state.items()})


def load_model_dir(path: Path, name: str | None = None, read_only: bool = False,
                   device: str = "cpu") -> LoadedModel:
    """Load a model folder safely: no code from the files is ever run."""
    path = Path(path)
    meta = read_model_meta(path)
    model, tokenizer = build_model(meta, path)
    state = _load_weights(path, meta.get("weights_sha256"))
    load_state(model, state, path / WEIGHTS_FILE)
    model.to(device).eval()
    return LoadedModel(name or meta.get("name") or path.name, path, model, tokenizer,
                       meta, read_only)


def base_model_dir(loaded: LoadedModel) -> Path | None:
    """Folder of the model `loaded` was fine-tuned from (the bundled default, or a
    model beside it in the same store); None if none, gone, or itself."""
    base = loaded.meta.get("init_from")
    if not isinstance(base, str) or not base:
        return None
    if base == DEFAULT_MODEL_NAME:
        folder = bundled_model_dir()
    elif _NAME_RE.match(base):
        folder = loaded.path.parent / base
    else:
        return None
    if folder is None or not (folder / CONFIG_FILE).is_file():
        return None
    if folder.resolve() == Path(loaded.path).resolve():
        return None
    return folder


def memory_of(loaded: LoadedModel, base_weight: float | None = None
              ) -> WordMemory | MixedMemory | None:
    """The word memory the ghost text draws on: the model's own (its training
    corpus), mixed with the one of the model it was fine-tuned from
    (`base_weight`, default BASE_MEMORY_WEIGHT)."""
    weight = BASE_MEMORY_WEIGHT if base_weight is None else base_weight
    own = _memory_in(loaded.path)
    base = _memory_in(base_model_dir(loaded)) if weight > 0 else None
    if base is None:
        return own
    if own is None:
        return base
    return MixedMemory([(1.0 - weight, own), (weight, base)])


def word_model_of(loaded: LoadedModel) -> WordLSTM | None:
    """The word LSTM the ghost text draws on, ready for one document: a
    word-level model in the folder `WORD_MODEL_DIR` of the model's; None if there
    is none or it cannot be read. A fine-tuned model does not borrow its starting
    model's: on a small folder of other writing it did not help (RESULTS.md)."""
    path = Path(loaded.path).resolve() / WORD_MODEL_DIR / CONFIG_FILE
    try:
        stat = path.stat()
    except OSError:
        return None
    words = _read_word_model(str(path.parent), stat.st_mtime_ns)
    return WordLSTM(words) if words is not None else None


@functools.lru_cache(maxsize=2)
def _read_word_model(path: str, mtime_ns: int) -> LoadedModel | None:
    try:
        loaded = load_model_dir(Path(path), read_only=True)
    except ModelFileError as exc:
        log.warning("word model not used: %s", exc)
        return None
    return loaded if loaded.level == "word" else None


def _memory_in(folder: Path | None) -> WordMemory | None:
    """A model folder's memory, read once while its file stays the same: the
    run being trained is reloaded every few seconds, with its starting model's."""
    if folder is None:
        return None
    path = Path(folder).resolve() / MEMORY_FILE
    try:
        stat = path.stat()
    except OSError:
        return None
    return _read_memory(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _read_memory(path: str, mtime_ns: int, size: int) -> WordMemory | None:
    return load_memory(Path(path).parent)  # read-only once loaded: safe to share


class ModelStore:
    """User models under `root` (default: the platformdirs user data dir) plus the
    read-only bundled default model."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root else user_data_dir() / "models"

    def _user_dirs(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return sorted(p for p in self.root.iterdir()
                      if p.is_dir() and (p / CONFIG_FILE).is_file())

    def list(self) -> list[ModelInfo]:
        """The default model first, then user models by name; damaged ones are
        skipped."""
        rows: list[ModelInfo] = []
        bundled = bundled_model_dir()
        if bundled is not None:
            rows.append(ModelInfo(DEFAULT_MODEL_NAME, bundled, True,
                                  read_json(bundled / CONFIG_FILE)))
        for folder in self._user_dirs():
            try:
                rows.append(ModelInfo(folder.name, folder, False,
                                      read_model_meta(folder)))
            except ModelFileError:
                continue
        return rows

    def names(self) -> list[str]:
        return [row.name for row in self.list()]

    def damaged(self) -> list[tuple[Path, str]]:
        """User model folders that `list` skips, each with the reason."""
        rows = []
        for folder in self._user_dirs():
            try:
                read_model_meta(folder)
            except ModelFileError as exc:
                rows.append((folder, str(exc)))
        return rows

    def path_of(self, name: str) -> Path:
        """Folder of a store model (`default` is the bundled one)."""
        if name == DEFAULT_MODEL_NAME:
            bundled = bundled_model_dir()
            if bundled is None:
                raise ModelFileError("the bundled default model is not installed")
            return bundled
        self.check_name(name)
        return self.root / name

    def resolve(self, name_or_path: str | Path) -> tuple[str, Path, bool]:
        """(name, folder, read_only) for a store name or a model folder's path."""
        text = str(name_or_path)
        if text == DEFAULT_MODEL_NAME:
            return DEFAULT_MODEL_NAME, self.path_of(DEFAULT_MODEL_NAME), True
        if _NAME_RE.match(text) and (self.root / text / CONFIG_FILE).is_file():
            return text, self.root / text, False
        path = Path(text).expanduser()
        if (path / CONFIG_FILE).is_file():
            return path.name, path, False
        if path.exists():
            raise ModelFileError(f"{text}: not a model folder (no {CONFIG_FILE})")
        raise ModelFileError(f"no model named {text!r} in {self.root}, "
                             "and no such folder")

    def load(self, name_or_path: str | Path, device: str = "cpu") -> LoadedModel:
        name, path, read_only = self.resolve(name_or_path)
        return load_model_dir(path, name, read_only, device)

    @staticmethod
    def check_name(name: str) -> None:
        if name == DEFAULT_MODEL_NAME:
            raise ValueError("'default' is the bundled model's name; choose another")
        if not _NAME_RE.match(name or ""):
            raise ValueError(
                f"bad model name {name!r}: use letters, digits, spaces, . ( ) + - _ "
                "(at most 80, not starting with a dot or space)"
            )

    def unique_name(self, base: str) -> str:
        """`base`, or `base-2`, `base-3`, ... if taken (cleaned to a valid name)."""
        base = re.sub(r"[^\w .()+-]", "_", base).strip(" .") or "model"
        base = base[:70]
        if base == DEFAULT_MODEL_NAME:
            base = "default-user"
        name, n = base, 1
        while (self.root / name).exists():
            n += 1
            name = f"{base}-{n}"
        return name

    def rename(self, old: str, new: str) -> Path:
        self.check_name(new)
        source = self.path_of(old)
        target = self.root / new
        if target.exists():
            raise ValueError(f"a model named {new!r} already exists")
        if not (source / CONFIG_FILE).is_file():
            raise ModelFileError(f"no model named {old!r}")
        source.rename(target)
        meta = read_json(target / CONFIG_FILE)
        meta["name"] = new
        write_json(target / CONFIG_FILE, meta)
        return target

    def delete(self, name: str) -> None:
        path = self.path_of(name)
        if not (path / CONFIG_FILE).is_file():
            raise ModelFileError(f"no model named {name!r}")
        shutil.rmtree(path)
