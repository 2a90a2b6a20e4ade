import codecs
import os

import numpy as np
import pytest

from lstmwriter.core.corpus import (
    CorpusError,
    cache_dir,
    decode_bytes,
    find_files,
    prepare_corpus,
    split_ids,
)


def _reasons(corpus):
    return {os.path.basename(s.path): s.reason for s in corpus.report.skipped}


def test_reads_folder_recursively_in_sorted_order(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.txt").write_text("two")
    (tmp_path / "1.md").write_text("one")
    (tmp_path / "c.rst").write_text("not read by default")
    corpus = prepare_corpus(tmp_path)
    assert corpus.tokenizer.decode(corpus.ids) == "one\n\ntwo"
    assert corpus.report.files_used == 2
    with_rst = prepare_corpus(tmp_path, extensions=[".rst"])
    assert with_rst.tokenizer.decode(with_rst.ids) == "not read by default"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-32", "utf-16-be"])
def test_bom_encodings(tmp_path, encoding):
    text = "Grüße, señor — ça va?\n"
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    (tmp_path / "f.txt").write_bytes(data)
    corpus = prepare_corpus(tmp_path)
    assert corpus.tokenizer.decode(corpus.ids) == text


def test_legacy_encoding_is_detected_and_reported(tmp_path):
    (tmp_path / "old.txt").write_bytes("naïve café “quotes”".encode("cp1252"))
    corpus = prepare_corpus(tmp_path)
    assert corpus.tokenizer.decode(corpus.ids) == "naïve café “quotes”"
    assert list(corpus.report.encodings.values()) == ["cp1252"]


def test_newlines_are_normalised():
    assert decode_bytes(b"a\r\nb\rc\n") == ("a\nb\nc\n", "utf-8")


def test_bad_files_are_skipped_with_reasons(tmp_path):
    (tmp_path / "good.txt").write_text("some good text here")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_text("  \n\n ")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02PNG" * 50)
    (tmp_path / "broken.txt").symlink_to(tmp_path / "missing.txt")
    corpus = prepare_corpus(tmp_path)
    reasons = _reasons(corpus)
    assert reasons["empty.txt"] == "empty file"
    assert "whitespace" in reasons["blank.txt"]
    assert "binary" in reasons["binary.txt"]
    assert "broken" in reasons["broken.txt"]
    assert corpus.report.files_used == 1


def test_symlink_loop_is_reported_not_followed_forever(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "t.txt").write_text("looped text")
    (tmp_path / "sub" / "loop").symlink_to(tmp_path, target_is_directory=True)
    files, skipped = find_files(tmp_path)
    assert [f.name for f in files] == ["t.txt"]
    assert any("symlink loop" in s.reason for s in skipped)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file(tmp_path):
    (tmp_path / "ok.txt").write_text("readable")
    secret = tmp_path / "secret.txt"
    secret.write_text("hidden")
    secret.chmod(0)
    corpus = prepare_corpus(tmp_path)
    assert _reasons(corpus)["secret.txt"] == "permission denied"


def test_folder_without_usable_text_names_folder_and_reason(tmp_path):
    with pytest.raises(CorpusError, match="no text files found"):
        prepare_corpus(tmp_path)
    (tmp_path / "x.txt").write_bytes(b"")
    with pytest.raises(CorpusError,
                       match=r"every file was skipped \(1 empty file\)") as err:
        prepare_corpus(tmp_path)
    assert str(tmp_path) in str(err.value)
    with pytest.raises(CorpusError, match="no such file"):
        prepare_corpus(tmp_path / "nope")


def test_report_counts(tmp_path):
    (tmp_path / "a.txt").write_text("one two  three\nfour")
    report = prepare_corpus(tmp_path).report
    assert (report.words, report.characters, report.bytes) == (4, 19, 19)
    assert report.distinct_characters == len(set("one two  three\nfour"))


def test_lower_and_ascii_shrink_the_vocabulary(tmp_path):
    (tmp_path / "a.txt").write_text("Élan ÉLAN élan")
    plain = prepare_corpus(tmp_path).tokenizer.vocab_size
    small = prepare_corpus(tmp_path, lower=True, ascii_only=True).tokenizer.vocab_size
    assert small < plain


def test_cache_is_memory_mapped_and_invalidated_on_change(tmp_path):
    corpus_dir = tmp_path / "c"
    corpus_dir.mkdir()
    f = corpus_dir / "a.txt"
    f.write_text("abc " * 100)
    first = prepare_corpus(corpus_dir)
    again = prepare_corpus(corpus_dir)
    assert isinstance(again.ids, np.memmap)
    assert np.array_equal(first.ids, again.ids)
    assert any(cache_dir().glob("*.npy"))
    f.write_text("xyz " * 101)
    changed = prepare_corpus(corpus_dir)
    assert changed.tokenizer.decode(changed.ids).startswith("xyz")
    assert changed.ids.dtype == np.uint8


def test_split_keeps_tail_for_validation():
    train, valid = split_ids(np.arange(100), 0.1)
    assert len(train) == 90 and valid[0] == 90
    with pytest.raises(CorpusError):
        split_ids(np.arange(3), 0.1)
