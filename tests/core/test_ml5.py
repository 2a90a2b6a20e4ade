"""ml5.js charRNN import and export: the weight mapping against a numpy reference
written from TensorFlow's BasicLSTMCell equations, the Zora Neale Hurston model's
bits per character, and round trips."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from lstmwriter.cli import main
from lstmwriter.core.config import ModelConfig
from lstmwriter.core.evaluation import evaluate, skipped_target
from lstmwriter.core.ml5 import export_ml5, import_ml5
from lstmwriter.core.model import LSTMLanguageModel
from lstmwriter.core.store import ModelStore, save_model_dir
from lstmwriter.core.tokenizer import CharTokenizer, WordTokenizer

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
ZORA = SHARED / "models" / "ml5" / "zora_neale_hurston"
ZORA_TEXT = SHARED / "data" / "zora_neale_hurston" / "input.txt"
CELL = "rnnlm/multi_rnn_cell/cell_{}/basic_lstm_cell/{}"


# ---------------------------------------------------------------- helpers


def random_ml5(vocab: dict[str, int], hidden: int = 8, layers: int = 2, seed: int = 0,
               names: tuple[str, str] = ("kernel", "bias")) -> dict[str, np.ndarray]:
    """Arrays of a random char-rnn-tensorflow model (float32, TensorFlow layout)."""
    rng = np.random.default_rng(seed)
    size = len(vocab)
    arrays = {"Variable": np.array(0.002, np.float32),
              "embedding": rng.normal(0, 1, (size, hidden))}
    for n in range(layers):
        arrays[CELL.format(n, names[0])] = rng.normal(0, 0.5, (2 * hidden, 4 * hidden))
        arrays[CELL.format(n, names[1])] = rng.normal(0, 0.5, 4 * hidden)
    arrays["rnnlm/softmax_w"] = rng.normal(0, 1, (hidden, size))
    arrays["rnnlm/softmax_b"] = rng.normal(0, 1, size)
    return {k: v.astype(np.float32) for k, v in arrays.items()}


def write_ml5(folder: Path, arrays: dict[str, np.ndarray], vocab: dict[str, int] | str
              ) -> Path:
    """An ml5 folder as the published ones are laid out (raw float32 files)."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {}
    for name, array in arrays.items():
        file_name = name.replace("/", "_")
        (folder / file_name).write_bytes(np.asarray(array, "<f4").tobytes())
        manifest[name] = {"filename": file_name, "shape": list(np.shape(array))}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
    text = vocab if isinstance(vocab, str) else json.dumps(vocab, indent=2)
    (folder / "vocab.json").write_text(text, encoding="utf-8")
    return folder


def reference_logits(arrays: dict[str, np.ndarray], ids: list[int],
                     forget_bias: float = 1.0) -> np.ndarray:
    """Logits by ml5 id, in float64, straight from TensorFlow's BasicLSTMCell:
    [i, j, f, o] = [x, h] @ kernel + bias; c' = c * sigmoid(f + forget_bias) +
    sigmoid(i) * tanh(j); h' = sigmoid(o) * tanh(c'); logits = h @ softmax_w + b."""
    a = {k: v.astype(np.float64) for k, v in arrays.items()}
    layers = sum(1 for k in a if "/cell_" in k) // 2
    hidden = a["rnnlm/softmax_w"].shape[0]
    kernel = next(k for k in a if k.endswith(("/kernel", "/weights"))).rsplit("/", 1)[1]
    bias = "bias" if kernel == "kernel" else "biases"
    h = [np.zeros(hidden) for _ in range(layers)]
    c = [np.zeros(hidden) for _ in range(layers)]
    inputs = a.get("embedding", np.eye(len(a["rnnlm/softmax_b"])))  # or one-hot
    out = []
    for token in ids:
        x = inputs[token]
        for n in range(layers):
            z = (np.concatenate([x, h[n]]) @ a[CELL.format(n, kernel)]
                 + a[CELL.format(n, bias)])
            i, j, f, o = np.split(z, 4)
            c[n] = (c[n] / (1 + np.exp(-(f + forget_bias)))
                    + np.tanh(j) / (1 + np.exp(-i)))
            h[n] = np.tanh(c[n]) / (1 + np.exp(-o))
            x = h[n]
        out.append(x @ a["rnnlm/softmax_w"] + a["rnnlm/softmax_b"])
    return np.array(out)


def read_arrays(folder: Path) -> dict[str, np.ndarray]:
    manifest = json.loads((folder / "manifest.json").read_text())
    return {name: np.fromfile(folder / e["filename"], "<f4").reshape(e["shape"])
            for name, e in manifest.items()}


def imported_logits(store: ModelStore, path: Path, ml5_ids: list[int], chars: list[str],
                    double: bool = False) -> np.ndarray:
    """The imported model's logits for a sequence of ml5 ids, columns by ml5 id."""
    loaded = store.load(path.name)
    model = loaded.model.double() if double else loaded.model
    columns = [loaded.tokenizer.id_of(ch) for ch in chars]  # by ml5 id
    tokens = torch.tensor([[columns[i] for i in ml5_ids]])
    with torch.no_grad():
        logits, _ = model(tokens)
    return logits[0][:, columns].double().numpy()


SMALL_VOCAB = {" ": 0, "e": 1, "t": 2, "a": 3, "\n": 4, "\u00e9": 5, "\x0b": 6}


@pytest.fixture
def store(tmp_path) -> ModelStore:
    return ModelStore(tmp_path / "store")


def zora_or_skip() -> Path:
    if not (ZORA / "manifest.json").is_file():
        pytest.skip("../shared/models/ml5 is not available")
    return ZORA


# ---------------------------------------------------------------- mapping


@pytest.mark.parametrize("names", [("kernel", "bias"), ("weights", "biases")])
def test_mapping_matches_tensorflow_equations(tmp_path, store, names):
    """Both published naming styles; control and non-ASCII characters in the vocab."""
    arrays = random_ml5(SMALL_VOCAB, hidden=8, layers=2, names=names)
    path = import_ml5(write_ml5(tmp_path / "m", arrays, SMALL_VOCAB), store)
    chars = sorted(SMALL_VOCAB, key=SMALL_VOCAB.get)
    ids = list(np.random.default_rng(1).integers(0, len(chars), 120))
    expected = reference_logits(arrays, ids)
    got = imported_logits(store, path, ids, chars)
    assert np.abs(got - expected).max() < 1e-5
    loaded = store.load(path.name)
    assert loaded.tokenizer.tokens[1:] == chars  # ml5 id k is lstmwriter id k + 1
    assert loaded.meta["ml5"]["naming"] == names[0]


def test_forget_bias_is_needed(tmp_path, store):
    """The mapping is not right by accident: without TensorFlow's forget bias of 1.0
    the reference disagrees clearly."""
    arrays = random_ml5(SMALL_VOCAB, seed=3)
    path = import_ml5(write_ml5(tmp_path / "m", arrays, SMALL_VOCAB), store)
    chars = sorted(SMALL_VOCAB, key=SMALL_VOCAB.get)
    ids = list(np.random.default_rng(2).integers(0, len(chars), 60))
    got = imported_logits(store, path, ids, chars)
    assert np.abs(got - reference_logits(arrays, ids, forget_bias=0.0)).max() > 1e-2


def test_zora_matches_reference(store):
    folder = zora_or_skip()
    arrays = read_arrays(folder)
    path = import_ml5(folder, store)
    vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    chars = sorted(vocab, key=vocab.get)
    ids = list(np.random.default_rng(0).integers(0, len(chars), 300))
    expected = reference_logits(arrays, ids)
    # In float64 the two agree to rounding; in float32 (as the app runs it) to
    # about 1e-5 of logits that reach +-20, so probabilities agree to 1e-5.
    assert np.abs(imported_logits(store, path, ids, chars, double=True)
                  - expected).max() < 1e-5
    got = imported_logits(store, path, ids, chars)
    assert np.abs(got - expected).max() < 1e-4
    probs = np.exp(got - got.max(1, keepdims=True))
    ref = np.exp(expected - expected.max(1, keepdims=True))
    assert np.abs(probs / probs.sum(1, keepdims=True)
                  - ref / ref.sum(1, keepdims=True)).max() < 1e-5


def test_zora_bits_per_char_far_below_untrained(store):
    folder = zora_or_skip()
    if not ZORA_TEXT.is_file():
        pytest.skip("../shared/data/zora_neale_hurston is not available")
    loaded = store.load(import_ml5(folder, store).name)
    assert loaded.tokenizer.crlf  # trained on \r\n line ends
    # Text as the app reads it: newlines are "\n", fed to this model as "\r\n".
    text = ZORA_TEXT.read_bytes().decode("utf-8").replace("\r\n", "\n")
    tail = text[int(len(text) * 0.9):]
    ids = loaded.tokenizer.encode(tail)
    assert (ids != 0).all()
    imported = evaluate(loaded.model, ids)
    per_char = imported.loss * imported.tokens / math.log(2) / (len(tail) - 1)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        untrained = evaluate(LSTMLanguageModel(loaded.model.config), ids,
                             max_tokens=5000)
    assert per_char < 2.0
    assert untrained.bits_per_char > 6.0  # log2(81) = 6.34 is a uniform guess
    assert per_char < untrained.bits_per_char / 3


def reference_bits(arrays: dict[str, np.ndarray], vocab: dict[str, int], text: str
                   ) -> tuple[float, int]:
    """Mean bits of each character of `text` after the first, from the TensorFlow
    equations, and how many targets were skipped: a character outside `vocab` is
    read as a zero embedding (the importer's added row) and never scored."""
    size = len(vocab)
    embedding = arrays["embedding"]
    padded = {**arrays, "embedding": np.vstack([embedding,
                                                np.zeros((1, embedding.shape[1]))])}
    ids = np.array([vocab.get(ch, size) for ch in text])
    logits = reference_logits(padded, list(ids[:-1]))
    top = logits.max(1, keepdims=True)
    log_probs = logits - top - np.log(np.exp(logits - top).sum(1, keepdims=True))
    known = ids[1:] < size
    nats = -log_probs[np.arange(len(ids) - 1)[known], ids[1:][known]]
    return nats.mean() / math.log(2), int((~known).sum())


def test_zora_eval_matches_the_tensorflow_reference_with_unseen_characters(store):
    """The characters À, ý and € are not in the vocabulary: skipped, counted, and
    the rest scores as the TensorFlow cell does (the published model was trained on
    \r\n line ends, which its tokenizer restores)."""
    folder = zora_or_skip()
    if not ZORA_TEXT.is_file():
        pytest.skip("../shared/data/zora_neale_hurston is not available")
    whole = ZORA_TEXT.read_bytes().decode("utf-8")
    raw = whole[whole.index("\n", 50_000) + 1 : whole.index("\r", 53_000)]  # lines
    raw = raw[:1000] + "À" + raw[1000:2000] + "ý€" + raw[2000:]
    vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    expected, skipped = reference_bits(read_arrays(folder), vocab, raw)
    loaded = store.load(import_ml5(folder, store).name)
    ids = loaded.tokenizer.encode(raw.replace("\r\n", "\n"))  # as the app reads it
    assert len(ids) == len(raw)
    result = evaluate(loaded.model, ids, skip_id=skipped_target(loaded.tokenizer))
    assert (result.unknown_tokens, skipped) == (3, 3)
    assert result.tokens == len(raw) - 1 - 3
    assert abs(result.loss / math.log(2) - expected) < 1e-3  # the target is 0.01


def test_eval_of_an_imported_model_gives_the_reference_bits_per_char(tmp_path, store,
                                                                     capsys):
    arrays = random_ml5(SMALL_VOCAB, hidden=8, layers=2, seed=4)
    path = import_ml5(write_ml5(tmp_path / "m", arrays, SMALL_VOCAB), store)
    rng = np.random.default_rng(5)
    text = "".join(rng.choice(list(SMALL_VOCAB)[:6] + ["x", "\u00fd"], 400))
    (tmp_path / "t.txt").write_text(text, encoding="utf-8", newline="")
    assert main(["eval", str(path), str(tmp_path / "t.txt"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    expected, skipped = reference_bits(arrays, SMALL_VOCAB, text)
    assert result["unknown_tokens"] == skipped > 50
    assert result["tokens"] == len(text) - 1 - skipped
    assert abs(result["bits_per_char"] - expected) < 1e-3


# ---------------------------------------------------------------- round trips


def test_export_of_import_gives_the_same_files(tmp_path, store):
    folder = zora_or_skip()
    loaded = store.load(import_ml5(folder, store).name)
    export_ml5(loaded, tmp_path / "out")
    for source in folder.iterdir():
        assert (tmp_path / "out" / source.name).read_bytes() == source.read_bytes(), \
            source.name
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        p.name for p in folder.iterdir())


def _trained_like(tokenizer: CharTokenizer, rnn_size: int = 16, layers: int = 2,
                  embedding: int = 16, seed: int = 0) -> LSTMLanguageModel:
    """A seeded model; PyTorch's initialisation makes both LSTM biases nonzero."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = LSTMLanguageModel(ModelConfig(
            vocab_size=tokenizer.vocab_size, rnn_size=rnn_size, num_layers=layers,
            embedding_size=embedding, dropout=0.0))
    return model.eval()


def test_import_of_export_gives_the_same_logits(tmp_path, store):
    tokenizer = CharTokenizer.build("The quick brown fox.\nJumps, over\tthe lazy dog!")
    model = _trained_like(tokenizer)
    save_model_dir(store.root / "mine", model, tokenizer, {"name": "mine"})
    export_ml5(store.load("mine"), tmp_path / "ml5")
    vocab = json.loads((tmp_path / "ml5" / "vocab.json").read_text())
    assert vocab == {ch: i for i, ch in enumerate(tokenizer.tokens[1:])}
    back = store.load(import_ml5(tmp_path / "ml5", store, "back").name)
    assert back.tokenizer.tokens == tokenizer.tokens
    text = "The quick fox.\nJumps over the lazy dog!" * 3
    ids = torch.from_numpy(tokenizer.encode(text))
    assert (ids != tokenizer.unk_id).all()
    with torch.no_grad():
        want, (h1, c1) = model(ids[None])
        got, (h2, c2) = back.model(ids[None])
    # Every known character's logit and the whole state agree; the unknown symbol
    # has no row in the ml5 format and comes back as "never predicted".
    torch.testing.assert_close(got[..., 1:], want[..., 1:], rtol=0, atol=1e-5)
    torch.testing.assert_close((h2, c2), (h1, c1), rtol=0, atol=1e-5)
    assert (got[..., 0] < -1e3).all()


@pytest.mark.parametrize("change, reason", [
    (dict(embedding=32), "embedding of 32, wider than its 16"),
    (dict(layers=1), "2-layer models only"),
    (dict(layers=3), "2-layer models only"),
])
def test_export_refuses_what_ml5_cannot_run(tmp_path, store, change, reason):
    tokenizer = CharTokenizer.build("abc def")
    save_model_dir(store.root / "m", _trained_like(tokenizer, **change), tokenizer)
    with pytest.raises(ValueError, match=reason):
        export_ml5(store.load("m"), tmp_path / "out")
    assert [p.name for p in tmp_path.iterdir()] == ["store"]  # no stray folder


def test_export_refuses_word_models_and_busy_folders(tmp_path, store):
    words = WordTokenizer(["the", "dog"])
    model = LSTMLanguageModel(ModelConfig(vocab_size=words.vocab_size, rnn_size=8,
                                          num_layers=2, embedding_size=8))
    save_model_dir(store.root / "w", model, words)
    with pytest.raises(ValueError, match="word-level"):
        export_ml5(store.load("w"), tmp_path / "out")
    chars = CharTokenizer.build("abc")
    save_model_dir(store.root / "c", _trained_like(chars, 8, 2, 8), chars)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="not an empty folder"):
        export_ml5(store.load("c"), busy)
    assert [p.name for p in busy.iterdir()] == ["notes.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    export_ml5(store.load("c"), empty)  # an empty folder is fine
    assert (empty / "manifest.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy", "empty", "store"]
