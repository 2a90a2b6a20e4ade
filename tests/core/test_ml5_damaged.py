"""ml5 folders as they come: damaged vocabularies repaired where one reading is
possible, malformed folders refused with the problem named, nothing half-imported."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch

from lstmwriter.core.checkpoint import ModelFileError
from lstmwriter.core.ml5 import import_ml5
from lstmwriter.core.store import ModelStore
from lstmwriter.core.tokenizer import UNK_CHAR

from .test_ml5 import (
    CELL,
    SMALL_VOCAB,
    imported_logits,
    random_ml5,
    reference_logits,
    write_ml5,
)

VOCAB = {" ": 0, "a": 1, "b": 2, "\r": 3, "\n": 4}


@pytest.fixture
def store(tmp_path) -> ModelStore:
    return ModelStore(tmp_path / "store")


def _import(tmp_path, store, vocab, arrays=None, name=None):
    size = len(vocab) if isinstance(vocab, dict) else len(VOCAB)
    arrays = arrays if arrays is not None else random_ml5(dict.fromkeys(range(size)))
    return import_ml5(write_ml5(tmp_path / "m", arrays, vocab), store, name)


def _refused(tmp_path, store, match, vocab=VOCAB, arrays=None):
    arrays = arrays if arrays is not None else random_ml5(VOCAB)  # 5 characters
    with pytest.raises(ModelFileError, match=match):
        _import(tmp_path, store, vocab, arrays)
    assert not store.root.exists() or list(store.root.iterdir()) == []


def _probs(store, path, text):
    loaded = store.load(path.name)
    with torch.no_grad():
        logits, _ = loaded.model(torch.from_numpy(loaded.tokenizer.encode(text))[None])
    return loaded, logits[0]


# ---------------------------------------------------------------- vocabularies


def test_mojibake_and_decomposed_keys_are_repaired(tmp_path, store):
    vocab = {" ": 0, "a": 1, "\u00c3\u00a9": 2, "o\u0308": 3, "\n": 4}
    loaded = store.load(_import(tmp_path, store, vocab).name)
    assert loaded.tokenizer.tokens == [UNK_CHAR, " ", "a", "\u00e9", "\u00f6", "\n"]
    repairs = loaded.meta["ml5"]["repairs"]
    assert len(repairs) == 2 and "'\u00e9'" in repairs[0] and "'\u00f6'" in repairs[1]


def test_one_unreadable_key_becomes_the_unknown_symbol(tmp_path, store):
    vocab = {" ": 0, "a": 1, "": 2, "b": 3, "\n": 4}
    arrays = random_ml5(vocab)
    path = _import(tmp_path, store, vocab, arrays)
    loaded, logits = _probs(store, path, "ab a")
    # No row is added: id 2's weights are the unknown symbol's.
    assert loaded.tokenizer.tokens == [UNK_CHAR, " ", "a", "b", "\n"]
    assert loaded.meta["ml5"]["unknown_id"] == 2
    assert "''" in loaded.meta["ml5"]["repairs"][0]
    embedding = loaded.model.embedding.weight.detach().numpy()
    assert np.array_equal(embedding[0], arrays["embedding"][2])
    assert np.array_equal(embedding[3], arrays["embedding"][3])


def test_replacement_character_is_the_unknown_symbol(tmp_path, store):
    vocab = {" ": 0, "a": 1, UNK_CHAR: 2, "b": 3}
    arrays = random_ml5(vocab)
    loaded = store.load(_import(tmp_path, store, vocab, arrays).name)
    assert loaded.model.config.vocab_size == 4
    assert loaded.tokenizer.encode(UNK_CHAR).tolist() == [0]
    assert np.array_equal(loaded.model.head.bias.detach().numpy(),
                          arrays["rnnlm/softmax_b"][[2, 0, 1, 3]])
    assert loaded.meta["ml5"]["repairs"] == []


def test_missing_id_becomes_the_unknown_symbol(tmp_path, store):
    arrays = random_ml5(dict.fromkeys(range(4)))
    loaded = store.load(_import(tmp_path, store, {"a": 0, "b": 1, "c": 3}, arrays).name)
    assert loaded.tokenizer.tokens == [UNK_CHAR, "a", "b", "c"]
    assert loaded.meta["ml5"]["unknown_id"] == 2


@pytest.mark.parametrize("vocab, match", [
    ({" ": 0, "": 1, "ab": 2, "b": 3, "\n": 4},
     r"2 entries.*'' \(id 1\).*'ab' \(id 2\)"),
    ({" ": 0, "a": 1, "": 2, "b": 3}, r"id 4 \(no key\)"),
    ({" ": 0, "a": 1, "\u00c3\u00a9": 2, "e\u0301": 3, "\n": 4}, "2 entries"),
    ({" ": 0, "a": 1, "b": 1, "\r": 3, "\n": 4}, "keys 'a' and 'b' both have the id 1"),
    ({" ": 0, "a": 1, "b": 2, "\r": 3, "\n": 5}, r"id 5, outside 0..4"),
    ({" ": 0, "a": 1, "b": 2, "\r": 3, "\n": "4"}, "not an integer"),
    ('{" ": 0, "a": 1, "b": 2, "a": 3, "\\n": 4}',
     r"'a' appears with the ids \[1, 3\]"),
    ('[" ", "a", "b", "\\r", "\\n"]', "expected a JSON object"),
    ('{" ": 0, "a": 1', "not valid JSON"),
])
def test_ambiguous_vocabularies_are_refused(tmp_path, store, vocab, match):
    """Two damaged keys reading as the same "\u00e9" are ambiguous, so neither is
    repaired; then two ids lack a character and only one can be the unknown."""
    _refused(tmp_path, store, match, vocab)


def test_control_characters_and_crlf(tmp_path, store):
    """A vocabulary with "\\r": kept as a character; only a model that learned
    "\\r\\n" line ends gets them for typed newlines."""
    vocab = {" ": 0, "a": 1, "\r": 2, "\n": 3, "\x0c": 4}
    arrays = random_ml5(vocab)
    loaded = store.load(_import(tmp_path, store, vocab, arrays).name)
    assert "\r" in loaded.tokenizer.tokens and "\x0c" in loaded.tokenizer.tokens
    assert not loaded.tokenizer.crlf  # random weights: "\n" after "\r" is no surer
    arrays["rnnlm/softmax_b"][3] = 50.0  # now it always predicts "\n"
    bias_file = tmp_path / "m" / "rnnlm_softmax_b"
    bias_file.write_bytes(arrays["rnnlm/softmax_b"].tobytes())
    again = store.load(import_ml5(tmp_path / "m", store, "crlf").name)
    assert again.tokenizer.crlf and again.meta["ml5"]["crlf"]
    ids = again.tokenizer.encode("a\na")
    assert again.tokenizer.decode(ids) == "a\na"
    assert ids.tolist() == [again.tokenizer.id_of(c) for c in "a\r\na"]


# ---------------------------------------------------------------- malformed folders


def _arrays():
    return random_ml5(VOCAB, hidden=8)


def test_missing_files_are_named(tmp_path, store):
    folder = write_ml5(tmp_path / "m", _arrays(), VOCAB)
    (folder / "rnnlm_softmax_w").unlink()
    with pytest.raises(ModelFileError, match=r"rnnlm_softmax_w: file is missing"):
        import_ml5(folder, store)
    (folder / "manifest.json").unlink()
    with pytest.raises(ModelFileError, match="no manifest.json"):
        import_ml5(folder, store)
    folder = write_ml5(tmp_path / "v", _arrays(), VOCAB)
    (folder / "vocab.json").unlink()
    with pytest.raises(ModelFileError, match=r"vocab.json: file is missing"):
        import_ml5(folder, store)
    assert not store.root.exists() or list(store.root.iterdir()) == []


def test_wrong_file_size(tmp_path, store):
    folder = write_ml5(tmp_path / "m", _arrays(), VOCAB)
    path = folder / "rnnlm_softmax_b"
    path.write_bytes(path.read_bytes()[:-2])
    with pytest.raises(ModelFileError,
                       match=r"18 bytes, but the shape \[5\].*needs 20"):
        import_ml5(folder, store)


@pytest.mark.parametrize("change, match", [
    ({CELL.format(1, "kernel"): np.zeros((12, 32), np.float32)},
     r"cell_1/basic_lstm_cell/kernel' has shape \[12, 32\].*must be \[16, 32\]"),
    ({CELL.format(0, "bias"): np.zeros(16, np.float32)}, r"must be \[32\]"),
    ({"embedding": np.zeros((4, 8), np.float32)}, "the vocabulary has 5 entries"),
    ({"rnnlm/softmax_b": np.zeros(6, np.float32)}, r"softmax_w \[8, 5\] needs \[5\]"),
    ({"rnnlm/softmax_w": None}, "no softmax_w variable"),
    ({CELL.format(1, "bias"): None}, "layer 1 has no bias"),
    ({CELL.format(0, "kernel"): None, CELL.format(0, "bias"): None},
     r"layers \[1\] are not numbered"),
    ({"rnnlm/extra_w": np.ones((3, 3), np.float32)},
     "unknown variable 'rnnlm/extra_w'"),
])
def test_shapes_that_disagree(tmp_path, store, change, match):
    arrays = _arrays()
    for name, value in change.items():
        if value is None:
            del arrays[name]
        else:
            arrays[name] = value
    _refused(tmp_path, store, match, arrays=arrays)


def test_vocabulary_larger_than_weights(tmp_path, store):
    arrays = random_ml5(dict.fromkeys(range(4)))
    _refused(tmp_path, store, r"'\\n' has the id 4, outside 0..3", VOCAB, arrays)


@pytest.mark.parametrize("values, match", [
    (np.arange(40, dtype="<i4"), "does not hold float32 data"),
    (np.full(40, np.nan, "<f4"), "NaN or infinite"),
    (np.full(40, 3e30, "<f4"), "values up to 3e\\+30"),
])
def test_non_float_data(tmp_path, store, values, match):
    folder = write_ml5(tmp_path / "m", _arrays(), VOCAB)
    (folder / "rnnlm_softmax_w").write_bytes(values.tobytes())  # 8 x 5 values
    with pytest.raises(ModelFileError, match=match):
        import_ml5(folder, store)


@pytest.mark.parametrize("entry, match", [
    ({"filename": "../outside", "shape": [5]}, "bad file name '../outside'"),
    ({"filename": "rnnlm_softmax_b", "shape": [5.5]}, "bad shape"),
    ({"filename": "rnnlm_softmax_b", "shape": [5], "dtype": "int32"}, "'int32'"),
    ("softmax", "is not an object"),
])
def test_bad_manifest_entries(tmp_path, store, entry, match):
    folder = write_ml5(tmp_path / "m", _arrays(), VOCAB)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["rnnlm/softmax_b"] = entry
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelFileError, match=match):
        import_ml5(folder, store)


def test_optimizer_state_and_old_scopes_are_read(tmp_path, store):
    """Checkpoint dumps may carry Adam slots and an `rnnlm/embedding` scope."""
    arrays = random_ml5(SMALL_VOCAB)
    arrays["rnnlm/embedding"] = arrays.pop("embedding")
    arrays["rnnlm/softmax_w/Adam"] = np.zeros_like(arrays["rnnlm/softmax_w"])
    arrays["global_step"] = np.array(7.0, np.float32)
    loaded = store.load(_import(tmp_path, store, SMALL_VOCAB, arrays).name)
    assert np.array_equal(loaded.model.embedding.weight.detach().numpy()[1:],
                          arrays["rnnlm/embedding"])
    assert loaded.meta["ml5"]["learning_rate"] == pytest.approx(0.002)


def test_names_taken_or_bad(tmp_path, store):
    first = _import(tmp_path, store, VOCAB, _arrays(), name="m")
    with pytest.raises(ValueError, match="already exists"):
        import_ml5(tmp_path / "m", store, "m")
    with pytest.raises(ValueError, match="bad model name"):
        import_ml5(tmp_path / "m", store, "../evil")
    assert import_ml5(tmp_path / "m", store) == store.root / "m-2"  # folder name
    assert sorted(p.name for p in store.root.iterdir()) == ["m", "m-2"]
    assert first == store.root / "m"


def test_undecodable_folder_name(tmp_path, store):
    folder = tmp_path / os.fsdecode(b"caf\xe9")  # Latin-1 bytes, not UTF-8
    write_ml5(folder, _arrays(), VOCAB)
    loaded = store.load(import_ml5(folder, store).name)
    assert loaded.name == "caf_"
    assert loaded.meta["source"]["folder"].endswith("caf?")


def test_one_hot_input_without_embedding(tmp_path, store):
    """ml5.js also runs models with no embedding: the input is one-hot."""
    arrays = random_ml5(SMALL_VOCAB, hidden=8)
    del arrays["embedding"]
    size = len(SMALL_VOCAB)
    arrays[CELL.format(0, "kernel")] = np.random.default_rng(5).normal(
        0, 0.5, (size + 8, 32)).astype(np.float32)
    path = _import(tmp_path, store, SMALL_VOCAB, arrays)
    chars = sorted(SMALL_VOCAB, key=SMALL_VOCAB.get)
    ids = list(np.random.default_rng(6).integers(0, size, 50))
    got = imported_logits(store, path, ids, chars)
    assert np.abs(got - reference_logits(arrays, ids)).max() < 1e-5
    assert store.load(path.name).model.config.embedding_size == size
