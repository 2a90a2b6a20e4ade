"""Import and export ml5.js charRNN (LSTMGenerator) models.

An ml5 model folder holds `manifest.json` (TensorFlow variable name -> file name and
shape), one raw little-endian float32 file per variable and `vocab.json` (character
-> id). The network is char-rnn-tensorflow's: an embedding, a stack of TensorFlow
`BasicLSTMCell`s and a softmax layer. docs/INTEROP.md describes the mapping onto
`LSTMLanguageModel` and how damaged vocabularies are handled.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import secrets
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .checkpoint import ModelFileError, atomic_write, read_json
from .config import ModelConfig
from .model import LSTMLanguageModel
from .store import LoadedModel, ModelStore, now_iso, save_model_dir
from .tokenizer import UNK_CHAR, CharTokenizer

__all__ = [
    "FORGET_BIAS",
    "UNK_LOGIT",
    "Ml5Weights",
    "Ml5Vocabulary",
    "read_ml5",
    "ml5_to_model",
    "ml5_problem",
    "model_to_ml5",
    "import_ml5",
    "export_ml5",
]

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
VOCAB = "vocab.json"
FORGET_BIAS = 1.0  # BasicLSTMCell's default, added inside the cell, never stored
UNK_LOGIT = -1e4  # bias of the added unknown symbol: never predicted, finite in fp16
DEFAULT_LEARNING_RATE = 0.002  # char-rnn-tensorflow's, for the `Variable` scalar

_CELL_RE = re.compile(
    r"^(?:.*/)?cell_(\d+)/(?:basic_lstm_cell|lstm_cell)/(kernel|weights|bias|biases)$"
)
_OPTIMIZER_SLOTS = ("Adam", "Adam_1", "Momentum", "RMSProp", "RMSProp_1", "Adagrad")
_MAX_ABS = 1e6  # no trained char-rnn weight comes near this; bigger means garbage


@dataclass
class Ml5Weights:
    """The arrays of an ml5 model in TensorFlow's layout (H = rnn_size)."""

    embedding: np.ndarray | None  # (V, E); None: the input is one-hot (E = V)
    kernels: list[np.ndarray]  # per layer (in + H, 4H), gate columns i, j, f, o
    biases: list[np.ndarray]  # per layer (4H,)
    softmax_w: np.ndarray  # (H, V)
    softmax_b: np.ndarray  # (V,)
    learning_rate: float | None = None  # the `Variable` scalar, unused for inference
    naming: str = "kernel"  # "kernel"/"bias" or the older "weights"/"biases"

    @property
    def vocab_size(self) -> int:
        return self.softmax_b.shape[0]

    @property
    def rnn_size(self) -> int:
        return self.softmax_w.shape[0]

    @property
    def input_size(self) -> int:
        return self.vocab_size if self.embedding is None else self.embedding.shape[1]


@dataclass
class Ml5Vocabulary:
    """Characters by ml5 id; at most one id (`unknown_id`) has no usable character
    and becomes lstmwriter's unknown symbol."""

    chars: list[str | None]  # index = ml5 id; None only at unknown_id
    unknown_id: int | None = None
    repairs: list[str] = field(default_factory=list)  # what was fixed, for the user


# ---------------------------------------------------------------- reading a folder


def read_ml5(folder: Path) -> tuple[Ml5Weights, Ml5Vocabulary]:
    """Read and check an ml5 model folder; ModelFileError names any problem."""
    folder = Path(folder).expanduser()
    if folder.is_file() and folder.name in (MANIFEST, VOCAB):
        folder = folder.parent
    if not folder.is_dir():
        raise ModelFileError(f"{folder}: no such folder")
    if not (folder / MANIFEST).is_file():
        raise ModelFileError(f"{folder}: not an ml5.js model folder (no {MANIFEST})")
    manifest = _read_manifest(folder)
    weights = _read_weights(folder, manifest)
    vocab = _read_vocab(folder, weights.vocab_size)
    return weights, vocab


def _read_manifest(folder: Path) -> dict[str, tuple[str, tuple[int, ...]]]:
    raw = read_json(folder / MANIFEST)
    where = f"{folder / MANIFEST}"
    entries: dict[str, tuple[str, tuple[int, ...]]] = {}
    for name, entry in raw.items():
        if not isinstance(entry, dict):
            raise ModelFileError(f"{where}: entry {name!r} is not an object")
        filename, shape = entry.get("filename"), entry.get("shape")
        if not isinstance(filename, str) or not _plain_file_name(filename):
            raise ModelFileError(
                f"{where}: variable {name!r} has a bad file name {filename!r} "
                "(expected a file in the same folder)"
            )
        if not isinstance(shape, list) or not all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape
        ):
            raise ModelFileError(
                f"{where}: variable {name!r} has a bad shape {shape!r} "
                "(expected a list of non-negative integers)"
            )
        dtype = entry.get("dtype", "float32")
        if dtype != "float32":
            raise ModelFileError(
                f"{where}: variable {name!r} is stored as {dtype!r}; ml5 models hold "
                "float32 data only"
            )
        entries[name] = (filename, tuple(shape))
    if not entries:
        raise ModelFileError(f"{where}: lists no variables")
    return entries


def _plain_file_name(name: str) -> bool:
    return bool(name) and name not in (".", "..") and not re.search(r"[/\\:\x00]", name)


def _read_weights(folder: Path, manifest: dict[str, tuple[str, tuple[int, ...]]]
                  ) -> Ml5Weights:
    """Sort the variables into roles, read them and check that the shapes agree."""
    roles: dict[str, str] = {}
    cells: dict[int, dict[str, str]] = {}
    scalars: list[str] = []
    naming = set()
    for name, (_, shape) in manifest.items():
        last = name.rsplit("/", 1)[-1]
        cell = _CELL_RE.match(name)
        if cell:
            kind = "kernel" if cell.group(2) in ("kernel", "weights") else "bias"
            old_style = cell.group(2) in ("weights", "biases")
            naming.add("weights" if old_style else "kernel")
            layer = cells.setdefault(int(cell.group(1)), {})
            if kind in layer:
                raise ModelFileError(
                    f"{folder / MANIFEST}: layer {cell.group(1)} has two {kind}s "
                    f"({layer[kind]!r} and {name!r})"
                )
            layer[kind] = name
        elif last in ("embedding", "softmax_w", "softmax_b"):
            if last in roles:
                raise ModelFileError(
                    f"{folder / MANIFEST}: two {last} variables ({roles[last]!r} and "
                    f"{name!r})"
                )
            roles[last] = name
        elif last in _OPTIMIZER_SLOTS or "beta1_power" in name or "beta2_power" in name:
            continue  # optimizer state saved with the checkpoint: not needed
        elif not shape or math.prod(shape) == 1:
            scalars.append(name)  # the learning rate (`Variable`), a global step, ...
        else:
            raise ModelFileError(
                f"{folder / MANIFEST}: unknown variable {name!r} with shape "
                f"{list(shape)}; this is not a char-rnn LSTM model lstmwriter can read"
            )
    for file_name, shape in manifest.values():  # every listed file must be whole
        _check_file(folder, file_name, shape)
    for role in ("softmax_w", "softmax_b"):
        if role not in roles:
            raise ModelFileError(f"{folder / MANIFEST}: no {role} variable (the output "
                                 "layer is missing)")
    if not cells:
        raise ModelFileError(f"{folder / MANIFEST}: no LSTM cell variables "
                             "(.../cell_0/basic_lstm_cell/kernel)")
    if len(naming) > 1:
        log.info("%s mixes kernel/bias and weights/biases names", folder)
    if sorted(cells) != list(range(len(cells))):
        raise ModelFileError(
            f"{folder / MANIFEST}: LSTM layers {sorted(cells)} are not numbered "
            "0, 1, 2, ... without gaps"
        )
    kernels, biases = [], []
    for index in range(len(cells)):
        for kind in ("kernel", "bias"):
            if kind not in cells[index]:
                raise ModelFileError(f"{folder / MANIFEST}: LSTM layer {index} has no "
                                     f"{kind}")
        kernels.append(_load(folder, manifest, cells[index]["kernel"]))
        biases.append(_load(folder, manifest, cells[index]["bias"]))
    weights = Ml5Weights(
        embedding=_load(folder, manifest, roles["embedding"]) if "embedding" in roles
        else None,
        kernels=kernels,
        biases=biases,
        softmax_w=_load(folder, manifest, roles["softmax_w"]),
        softmax_b=_load(folder, manifest, roles["softmax_b"]),
        learning_rate=_learning_rate(folder, manifest, scalars),
        naming="weights" if naming == {"weights"} else "kernel",
    )
    _check_shapes(weights, folder / MANIFEST, roles, cells)
    return weights


def _check_file(folder: Path, file_name: str, shape: tuple[int, ...]) -> None:
    path = folder / file_name
    if not path.is_file():
        raise ModelFileError(f"{path}: file is missing (listed in {MANIFEST})")
    size = path.stat().st_size
    expected = 4 * math.prod(shape)
    if size != expected:
        raise ModelFileError(
            f"{path}: {size} bytes, but the shape {list(shape)} in {MANIFEST} needs "
            f"{expected} ({math.prod(shape)} float32 values)"
        )


def _load(folder: Path, manifest: dict[str, tuple[str, tuple[int, ...]]], name: str
          ) -> np.ndarray:
    """A variable's values, checked to be plausible float32 weights."""
    file_name, shape = manifest[name]
    path = folder / file_name
    try:
        values = np.fromfile(path, dtype="<f4").astype(np.float32)
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot be read ({exc})") from None
    if not np.isfinite(values).all():
        raise ModelFileError(f"{path}: variable {name!r} holds NaN or infinite values")
    nonzero = np.abs(values[values != 0])
    if nonzero.size >= 4 and np.mean(nonzero < np.finfo(np.float32).tiny) > 0.5:
        raise ModelFileError(
            f"{path}: variable {name!r} does not hold float32 data (its values read "
            "as denormal numbers, as integers do)"
        )
    if nonzero.size and nonzero.max() > _MAX_ABS:
        raise ModelFileError(
            f"{path}: variable {name!r} does not hold plausible float32 weights "
            f"(values up to {nonzero.max():.3g})"
        )
    return values.reshape(shape)


def _learning_rate(folder: Path, manifest: dict[str, tuple[str, tuple[int, ...]]],
                   scalars: list[str]) -> float | None:
    name = "Variable" if "Variable" in scalars else None
    if name is None:
        return None
    value = np.fromfile(folder / manifest[name][0], dtype="<f4")
    return float(value[0]) if value.size and np.isfinite(value[0]) else None


def _check_shapes(w: Ml5Weights, where: Path, roles: dict[str, str],
                  cells: dict[int, dict[str, str]]) -> None:
    def bad(name: str, shape: tuple[int, ...], expected: str) -> ModelFileError:
        return ModelFileError(
            f"{where}: {name!r} has shape {list(shape)}, but {expected}"
        )

    if w.softmax_w.ndim != 2:
        raise bad(roles["softmax_w"], w.softmax_w.shape, "it must be [rnn_size, vocab]")
    hidden, vocab = w.softmax_w.shape
    if hidden < 1 or vocab < 1:
        raise bad(roles["softmax_w"], w.softmax_w.shape, "it must not be empty")
    if w.softmax_b.shape != (vocab,):
        raise bad(roles["softmax_b"], w.softmax_b.shape,
                  f"softmax_w {list(w.softmax_w.shape)} needs [{vocab}]")
    embedding = w.embedding
    if embedding is not None and (embedding.ndim != 2 or embedding.shape[0] != vocab
                                  or embedding.shape[1] < 1):
        raise bad(roles["embedding"], embedding.shape,
                  f"the vocabulary has {vocab} entries, so it must be [{vocab}, E]")
    width = w.input_size
    for index, (kernel, bias) in enumerate(zip(w.kernels, w.biases, strict=True)):
        if kernel.shape != (width + hidden, 4 * hidden):
            source = ("the embedding" if w.embedding is not None else "one-hot input"
                      ) if index == 0 else f"layer {index - 1}"
            raise bad(cells[index]["kernel"], kernel.shape,
                      f"{source} gives {width} inputs and rnn_size is {hidden} "
                      f"(softmax_w), so it must be [{width + hidden}, {4 * hidden}]")
        if bias.shape != (4 * hidden,):
            raise bad(cells[index]["bias"], bias.shape,
                      f"rnn_size is {hidden}, so it must be [{4 * hidden}]")
        width = hidden


# ---------------------------------------------------------------- the vocabulary


class _Pairs(list):
    """A JSON object's (key, value) pairs in file order, repeated keys kept."""


def _read_vocab(folder: Path, size: int) -> Ml5Vocabulary:
    """Characters by id, repairing damaged keys only where one reading is possible."""
    path = folder / VOCAB
    try:
        pairs = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_Pairs)
    except FileNotFoundError:
        raise ModelFileError(f"{path}: file is missing") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(pairs, _Pairs):
        raise ModelFileError(f"{path}: expected a JSON object mapping characters to "
                             "ids")
    by_id: dict[int, str] = {}
    for key, value in pairs:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ModelFileError(f"{path}: key {key!r} has the id {value!r}, not an "
                                 "integer")
        if not 0 <= value < size:
            raise ModelFileError(
                f"{path}: key {key!r} has the id {value}, outside 0..{size - 1} "
                f"(the model's weights have {size} characters)"
            )
        if value in by_id:
            if by_id[value] == key:
                continue  # the same entry written twice
            raise ModelFileError(
                f"{path}: keys {by_id[value]!r} and {key!r} both have the id {value}"
            )
        by_id[value] = key
    keys = list(by_id.values())
    if len(set(keys)) != len(keys):
        twice = next(k for k in keys if keys.count(k) > 1)
        ids = sorted(i for i, k in by_id.items() if k == twice)
        raise ModelFileError(f"{path}: key {twice!r} appears with the ids {ids}")
    return _repair(by_id, size, path)


def _repair(by_id: dict[int, str], size: int, path: Path) -> Ml5Vocabulary:
    chars: list[str | None] = [None] * size
    unreadable: list[str] = []  # ids with no usable character, described
    repairs: list[str] = []
    damaged = {i: k for i, k in by_id.items() if not _usable_char(k)}
    taken = {k for i, k in by_id.items() if i not in damaged}
    for i, key in by_id.items():
        if i not in damaged:
            chars[i] = key
    readings = {i: _readings(key) - taken for i, key in damaged.items()}
    claims = [r for found in readings.values() for r in found]
    for i, key in sorted(damaged.items()):
        found = readings[i]
        if len(found) == 1 and claims.count(next(iter(found))) == 1:
            chars[i] = found.pop()
            repairs.append(f"key {key!r} (id {i}) read as {chars[i]!r}")
        else:
            unreadable.append(f"key {key!r} (id {i})")
    for i in range(size):
        if i not in by_id:
            unreadable.append(f"id {i} (no key)")
    unknown = [i for i, c in enumerate(chars) if c is None or c == UNK_CHAR]
    if len(unknown) > 1:
        names = unreadable + [f"key {UNK_CHAR!r} (id {i})" for i, c in enumerate(chars)
                              if c == UNK_CHAR]
        raise ModelFileError(
            f"{path}: {len(names)} entries have no readable character "
            f"({', '.join(names)}); at most one can be kept, as the unknown symbol"
        )
    unknown_id = unknown[0] if unknown else None
    if unknown_id is not None:
        if chars[unknown_id] is None:
            repairs.append(f"{unreadable[0]} has no readable character: it becomes "
                           f"the unknown symbol {UNK_CHAR!r}")
        chars[unknown_id] = None
    for note in repairs:
        log.warning("%s: %s", path, note)
    return Ml5Vocabulary(chars, unknown_id, repairs)


def _usable_char(key: str) -> bool:
    return len(key) == 1 and not "\ud800" <= key <= "\udfff"


def _readings(key: str) -> set[str]:
    """Single characters a damaged key can be read as: UTF-8 bytes decoded as cp1252
    or Latin-1 (mojibake, "\u00c3\u00a9" for "\u00e9"), or a decomposed letter."""
    readings = set()
    attempts = [
        lambda k: k.encode("cp1252").decode("utf-8"),
        lambda k: k.encode("latin-1").decode("utf-8"),
        lambda k: unicodedata.normalize("NFC", k),
    ]
    for attempt in attempts:
        try:
            reading = attempt(key)
        except UnicodeError:
            continue
        if reading != key and _usable_char(reading):
            readings.add(reading)
    return readings


# ---------------------------------------------------------------- conversion


def ml5_to_model(weights: Ml5Weights, vocab: Ml5Vocabulary
                 ) -> tuple[LSTMLanguageModel, CharTokenizer]:
    """The lstmwriter model computing exactly what the TensorFlow cells compute.

    lstmwriter's id 0 is the unknown symbol: it is the vocabulary's unreadable id if
    it has one, else an added row that reads as zeros and is never predicted.
    """
    size, hidden = weights.vocab_size, weights.rnn_size
    if vocab.unknown_id is None:
        order = [-1, *range(size)]  # lstmwriter id -> ml5 id (-1: the added unknown)
    else:
        order = [vocab.unknown_id, *(i for i in range(size) if i != vocab.unknown_id)]
    tokenizer = CharTokenizer([vocab.chars[i] for i in order[1:]])
    config = ModelConfig(vocab_size=len(order), rnn_size=hidden,
                         num_layers=len(weights.kernels),
                         embedding_size=weights.input_size, dropout=0.0)
    embedding = (weights.embedding if weights.embedding is not None
                 else np.eye(size, dtype=np.float32))
    index = np.array(order)
    added = index < 0
    state = {
        "embedding.weight": np.where(added[:, None], 0.0, embedding[index]),
        "head.weight": np.where(added[:, None], 0.0, weights.softmax_w.T[index]),
        "head.bias": np.where(added, UNK_LOGIT, weights.softmax_b[index]),
    }
    pairs = zip(weights.kernels, weights.biases, strict=True)
    for layer, (kernel, bias) in enumerate(pairs):
        width = kernel.shape[0] - hidden
        tf_i, tf_j, tf_f, tf_o = np.split(kernel.T, 4)  # each (H, in + H)
        rows = np.concatenate([tf_i, tf_f, tf_j, tf_o])  # torch gate order i, f, g, o
        b_i, b_j, b_f, b_o = np.split(bias, 4)
        forget = np.zeros(4 * hidden, dtype=np.float32)
        forget[hidden:2 * hidden] = FORGET_BIAS
        state[f"lstm.weight_ih_l{layer}"] = rows[:, :width]
        state[f"lstm.weight_hh_l{layer}"] = rows[:, width:]
        state[f"lstm.bias_ih_l{layer}"] = np.concatenate([b_i, b_f, b_j, b_o])
        state[f"lstm.bias_hh_l{layer}"] = forget
    model = LSTMLanguageModel(config)
    model.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v, np.float32))
                           for k, v in state.items()})
    model.eval()
    if _learned_crlf(model, tokenizer):
        tokenizer = CharTokenizer(tokenizer.tokens, crlf=True)
    return model, tokenizer


@torch.no_grad()
def _learned_crlf(model: LSTMLanguageModel, tokenizer: CharTokenizer) -> bool:
    """Whether the model was trained on "\r\n" line ends: then text typed with "\n"
    must reach it as "\r\n" (the published models were trained on raw files)."""
    if "\r" not in tokenizer.tokens or "\n" not in tokenizer.tokens:
        return False
    logits, _ = model(torch.tensor([[tokenizer.id_of("\r")]]))
    return float(torch.softmax(logits[0, -1], -1)[tokenizer.id_of("\n")]) > 0.5


def ml5_problem(name: str, level: str, config: ModelConfig) -> str | None:
    """Why the ml5.js CharRNN cannot run this model (one line), or None."""
    if level != "char":
        return (f"{name} is a {level}-level model; ml5.js runs character models "
                "only")
    if config.input_size > config.rnn_size:
        return (f"{name} has an embedding of {config.input_size}, wider than its "
                f"{config.rnn_size} LSTM units; the ml5 format (char-rnn-tensorflow) "
                "needs an embedding no wider than the LSTM")
    if config.num_layers != 2:
        return (f"{name} has {config.num_layers} LSTM layer(s); the ml5.js CharRNN "
                "predicts from the second layer's state, so it runs 2-layer models "
                "only")
    return None


def model_to_ml5(loaded: LoadedModel) -> tuple[Ml5Weights, dict[str, int]]:
    """TensorFlow-layout arrays and vocab.json of a model (its unknown row dropped).

    Raises ValueError, with the reason, for models the ml5.js CharRNN cannot run.
    """
    model, tokenizer = loaded.model, loaded.tokenizer
    config = model.config
    problem = ml5_problem(loaded.name, tokenizer.level, config)
    if problem:
        raise ValueError(problem)
    hidden = config.rnn_size
    state = {k: v.detach().to("cpu", torch.float32).numpy()
             for k, v in model.state_dict().items()}
    forget = np.zeros(4 * hidden, dtype=np.float32)
    forget[hidden:2 * hidden] = FORGET_BIAS
    kernels, biases = [], []
    # A narrower embedding is padded with zero columns, read by zero kernel rows:
    # the cells compute exactly what the model does.
    pad = hidden - config.input_size
    for layer in range(config.num_layers):
        inputs = state[f"lstm.weight_ih_l{layer}"]  # (4H, E or H)
        if layer == 0:
            inputs = np.pad(inputs, ((0, 0), (0, pad)))
        rows = np.concatenate([inputs, state[f"lstm.weight_hh_l{layer}"]], axis=1)
        t_i, t_f, t_g, t_o = np.split(rows, 4)
        kernels.append(np.concatenate([t_i, t_g, t_f, t_o]).T)
        # b_ih + (b_hh - forget): exact when b_hh holds only the forget bias (an
        # imported model), so that export(import(m)) gives m's bytes back.
        total = state[f"lstm.bias_ih_l{layer}"] + (state[f"lstm.bias_hh_l{layer}"]
                                                    - forget)
        b_i, b_f, b_g, b_o = np.split(total, 4)
        biases.append(np.concatenate([b_i, b_g, b_f, b_o]))
    ml5_meta = loaded.meta.get("ml5") or {}
    rate = ml5_meta.get("learning_rate")
    if rate is None:
        rate = (loaded.meta.get("train") or {}).get("learning_rate",
                                                     DEFAULT_LEARNING_RATE)
    weights = Ml5Weights(
        embedding=np.pad(state["embedding.weight"][1:], ((0, 0), (0, pad))),
        kernels=kernels,
        biases=biases,
        softmax_w=state["head.weight"][1:].T,
        softmax_b=state["head.bias"][1:],
        learning_rate=float(rate),
        naming="weights" if ml5_meta.get("naming") == "weights" else "kernel",
    )
    vocab = {char: i for i, char in enumerate(tokenizer.tokens[1:])}
    return weights, vocab


# ---------------------------------------------------------------- public actions


def import_ml5(folder: Path, store: ModelStore, name: str | None = None) -> Path:
    """Import an ml5.js charRNN folder into `store`; returns the new model's folder.

    Raises ModelFileError (the folder is damaged or foreign) or ValueError (bad or
    taken name), each with a message for the user. The model appears in the store
    whole or not at all.
    """
    folder = Path(folder).expanduser()
    if folder.is_file() and folder.name in (MANIFEST, VOCAB):
        folder = folder.parent
    if name is None:
        name = store.unique_name(folder.resolve().name or "ml5-model")
    else:
        store.check_name(name)
    target = store.root / name
    if target.exists():
        raise ValueError(f"a model named {name!r} already exists")
    weights, vocab = read_ml5(folder)
    model, tokenizer = ml5_to_model(weights, vocab)
    # An undecodable file name (surrogate escapes) cannot go into UTF-8 JSON as is.
    where = str(folder.resolve()).encode("utf-8", "replace").decode("utf-8")
    meta: dict[str, Any] = {
        "name": name,
        "description": f"ml5.js charRNN model imported from {Path(where).name}",
        "source": {"format": "ml5", "folder": where, "imported": now_iso()},
        "ml5": {
            "learning_rate": weights.learning_rate,
            "naming": weights.naming,
            "unknown_id": vocab.unknown_id,
            "repairs": vocab.repairs,
            "crlf": tokenizer.crlf,
        },
    }
    store.root.mkdir(parents=True, exist_ok=True)
    # Built inside a hidden folder (the store lists only folders directly under its
    # root holding config.json), then moved into place with one rename.
    staging = Path(tempfile.mkdtemp(prefix=".import-", dir=store.root))
    try:
        save_model_dir(staging / "model", model, tokenizer, meta)
        if target.exists():
            raise ValueError(f"a model named {name!r} already exists")
        os.rename(staging / "model", target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def export_ml5(loaded: LoadedModel, out_dir: Path) -> None:
    """Write `loaded` as an ml5.js charRNN folder (manifest.json, float32 files,
    vocab.json); `out_dir` must not exist or be empty. The unknown symbol is dropped.

    Raises ValueError with the reason for a model ml5.js cannot run.
    """
    weights, vocab = model_to_ml5(loaded)
    out_dir = Path(out_dir).expanduser()
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise ValueError(f"{out_dir} already exists and is not an empty folder")
    parent = out_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    # Not mkdtemp: its 0700 mode would stay on the exported folder.
    staging = parent / f".{out_dir.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    staging.mkdir()
    try:
        _write_folder(staging, weights, vocab)
        if out_dir.exists():
            out_dir.rmdir()  # empty, checked above
        os.rename(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _write_folder(folder: Path, weights: Ml5Weights, vocab: dict[str, int]) -> None:
    kernel, bias = ("weights", "biases") if weights.naming == "weights" else ("kernel",
                                                                               "bias")
    arrays: dict[str, np.ndarray] = {
        "Variable": np.array(weights.learning_rate or DEFAULT_LEARNING_RATE,
                             dtype=np.float32),
        "embedding": weights.embedding,
    }
    for layer, (k, b) in enumerate(zip(weights.kernels, weights.biases, strict=True)):
        prefix = f"rnnlm/multi_rnn_cell/cell_{layer}/basic_lstm_cell"
        arrays[f"{prefix}/{bias}"] = b
        arrays[f"{prefix}/{kernel}"] = k
    arrays["rnnlm/softmax_b"] = weights.softmax_b
    arrays["rnnlm/softmax_w"] = weights.softmax_w
    manifest = {}
    for name, array in arrays.items():
        file_name = name.replace("/", "_")
        atomic_write(folder / file_name, np.ascontiguousarray(array, "<f4").tobytes())
        manifest[name] = {"filename": file_name, "shape": list(array.shape)}
    # Key order and layout as the published models have them.
    atomic_write(folder / MANIFEST,
                 json.dumps(manifest, indent=2, sort_keys=True).encode())
    atomic_write(folder / VOCAB, json.dumps(vocab, indent=2, sort_keys=True).encode())
