"""Hostile corpus folders: every case gets its documented outcome and report, and
nothing hangs or eats the memory (docs/RELIABILITY.md, part 5). Permission denied
is tested in test_corpus.py (skipped when running as root)."""

import codecs
import json
import os
import shutil
import sys
import threading
import time
import tracemalloc
from pathlib import Path

import pytest

from lstmwriter.core import corpus as corpus_module
from lstmwriter.core.checkpoint import read_json, write_json
from lstmwriter.core.corpus import CorpusError, find_files, prepare_corpus

TEXT = "Plain words, a line of them.\n"


def _reasons(report):
    return {os.path.relpath(s.path, report.root): s.reason for s in report.skipped}


def _prepare_within(seconds, *args, **kwargs):
    """prepare_corpus on a thread: a hang fails the test instead of freezing it."""
    result = {}

    def work():
        try:
            result["corpus"] = prepare_corpus(*args, **kwargs)
        except (CorpusError, OSError) as exc:
            result["error"] = exc

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"reading the corpus took more than {seconds} s"
    if "error" in result:
        raise result["error"]
    return result["corpus"]


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks and pipes")
def test_each_hostile_file_gets_its_documented_outcome(tmp_path):
    root = tmp_path / "hostile"
    root.mkdir()
    (root / "good.txt").write_text(TEXT)
    (root / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 40)
    (root / "controls.txt").write_bytes(bytes(range(1, 9)) * 100)
    (root / "empty.txt").write_bytes(b"")
    (root / "blank.txt").write_text(" \n\t\n")
    (root / "cp1252.txt").write_bytes("naïve “café”".encode("cp1252"))
    (root / "latin1.txt").write_bytes(b"caf\xe9 \x81\x8d")  # not valid cp1252
    (root / "utf16-bom.txt").write_bytes("Grüße".encode("utf-16"))
    (root / "utf16le.txt").write_bytes("Grüße, señor".encode("utf-16-le"))
    (root / "utf16be.txt").write_bytes("Grüße, señor".encode("utf-16-be"))
    (root / "bad-bom.txt").write_bytes(codecs.BOM_UTF16_LE + b"\x00\xd8a")
    (root / "dangling.txt").symlink_to(root / "nowhere.txt")
    (root / "sub").mkdir()
    (root / "sub" / "loop").symlink_to(root, target_is_directory=True)
    os.mkfifo(root / "pipe.txt")  # reading it would wait for a writer forever
    (root / "zero.txt").symlink_to("/dev/zero")  # endless bytes
    (root / "folder.txt").mkdir()  # a folder with a text name is a folder
    (root / "folder.txt" / "inside.md").write_text("inside")
    (root / ".hidden.txt").write_text("hidden files are not read")
    (root / ".git").mkdir()
    (root / ".git" / "notes.txt").write_text("nor hidden folders")
    (root / "other.rst").write_text("nor other extensions")

    corpus = _prepare_within(60, root, use_cache=False)
    report = corpus.report
    assert _reasons(report) == {
        "bad-bom.txt": "invalid UTF-16 despite its byte-order mark",
        "binary.txt": "binary file (contains NUL bytes)",
        "blank.txt": "empty file (whitespace only)",
        "controls.txt": "binary file (mostly control bytes)",
        "dangling.txt": "broken symbolic link",
        "empty.txt": "empty file",
        "pipe.txt": "not a regular file (a pipe, device or socket)",
        "sub/loop": "symlink loop (folder already read)",
        "zero.txt": "not a regular file (a pipe, device or socket)",
    }
    assert {Path(p).name: e for p, e in report.encodings.items()} == {
        "cp1252.txt": "cp1252", "latin1.txt": "latin-1", "utf16-bom.txt": "utf-16",
        "utf16le.txt": "utf-16-le", "utf16be.txt": "utf-16-be"}
    assert report.files_used == 7
    text = corpus.tokenizer.decode(corpus.ids)
    for part in (TEXT, "naïve “café”", "caf\xe9 \x81\x8d", "Grüße, señor",
                 "inside"):
        assert part in text
    assert "hidden" not in text and "other" not in text


def test_utf16_without_bom_needs_latin_text():
    """Without a byte-order mark, UTF-16 is recognised by the zero high bytes of
    Latin-script text; Greek (say) needs the mark, and is reported as binary."""
    assert corpus_module.decode_bytes("Grüße\r\n".encode("utf-16-le")) == \
        ("Grüße\n", "utf-16-le")
    with pytest.raises(corpus_module.UnreadableFile, match="binary"):
        corpus_module.decode_bytes("αβγ δεζ ηθι".encode("utf-16-le"))
    with pytest.raises(corpus_module.UnreadableFile, match="binary"):  # 16-bit numbers
        corpus_module.decode_bytes(bytes([3, 0, 7, 0, 1, 0, 2, 0] * 100))


def test_non_ascii_and_undecodable_file_names(tmp_path):
    root = tmp_path / "Écrits 日本語"
    (root / "sous-dossier ✓").mkdir(parents=True)
    (root / "sous-dossier ✓" / "naïve 🙂.txt").write_text("unicode names\n")
    odd = [os.fsencode(root) + b"/bad\xff.txt", os.fsencode(root) + b"/old\xe9.txt"]
    try:
        Path(os.fsdecode(odd[0])).write_bytes(b"")  # skipped: the name must survive
        Path(os.fsdecode(odd[1])).write_bytes("déjà".encode("cp1252"))
    except OSError:
        pytest.skip("this file system refuses names that are not UTF-8")

    corpus = prepare_corpus(root)
    assert corpus.report.files_used == 2
    assert "unicode names" in corpus.tokenizer.decode(corpus.ids)
    names = [Path(p).name for p in corpus.report.encodings]
    assert names == [os.fsdecode(b"old\xe9.txt")]
    # the report goes into every model's config.json: it must save and read back
    write_json(tmp_path / "config.json", {"corpus": corpus.report.to_dict()})
    assert read_json(tmp_path / "config.json")["corpus"] == \
        json.loads(json.dumps(corpus.report.to_dict()))
    assert prepare_corpus(root).report == corpus.report  # (the cached copy too)


LONG_WORD = "averyveryverylongwordwithoutanyspaceinit "


@pytest.mark.parametrize("level,extra", [("char", LONG_WORD), ("word", "")])
def test_pieces_give_the_same_result_as_the_whole_text(tmp_path, monkeypatch, level,
                                                       extra):
    """Huge texts are tokenised in pieces, cut before a space or newline where the
    piece has one; small pieces show the cuts change nothing (at character level
    not even a cut inside a word)."""
    text = "Some words,  and a line.\nAnother  line here!\n" * 9 + extra * 3
    (tmp_path / "a.txt").write_text(text)
    whole = prepare_corpus(tmp_path, level, use_cache=False)
    monkeypatch.setattr(corpus_module, "_PIECE", 16)
    pieces = prepare_corpus(tmp_path, level, use_cache=False)
    assert pieces.tokenizer.tokens == whole.tokenizer.tokens
    assert pieces.ids.tolist() == whole.ids.tolist()
    assert pieces.report == whole.report


@pytest.mark.slow
def test_a_single_200_mb_line(tmp_path):
    size = 200_000_000
    if shutil.disk_usage(tmp_path).free < 3 * size:
        pytest.skip("needs 600 MB of free disk")
    block = b"the quick brown fox jumps over the lazy dog, " * 20_000  # 900 kB
    with open(tmp_path / "one-line.txt", "wb") as handle:
        handle.writelines(block for _ in range(size // len(block)))
    written = (size // len(block)) * len(block)

    tracemalloc.start()
    started = time.perf_counter()
    try:
        corpus = prepare_corpus(tmp_path, use_cache=False)
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    report = corpus.report
    assert report.tokens == report.characters == report.bytes == written
    assert report.words == written // len(block) * 20_000 * 9
    assert corpus.tokenizer.decode(corpus.ids[:45]) == block[:45].decode()
    print(f"200 MB line: {seconds:.1f} s, peak {peak / 1e6:.0f} MB")
    assert peak < 5 * written  # it was 25 x before reading in pieces


@pytest.mark.slow
def test_20000_tiny_files_with_progress_and_cancel(tmp_path):
    root = tmp_path / "many"
    for folder in range(20):
        sub = root / f"part{folder:02d}"
        sub.mkdir(parents=True)
        for i in range(1000):
            (sub / f"note{i:04d}.txt").write_bytes(b"note %d\n" % i)

    calls = []
    started = time.perf_counter()
    corpus = prepare_corpus(root, use_cache=False,
                            on_progress=lambda n, total: calls.append(n))
    seconds = time.perf_counter() - started
    print(f"20,000 files: {seconds:.1f} s")
    assert corpus.report.files_used == 20_000 and not corpus.report.skipped
    assert calls == list(range(1, 20_001))
    assert seconds < 120

    cancel = threading.Event()

    def cancel_at_500(n, total):
        if n == 500:
            cancel.set()

    with pytest.raises(CorpusError, match="reading cancelled"):
        prepare_corpus(root, use_cache=False, on_progress=cancel_at_500, cancel=cancel)
    with pytest.raises(CorpusError, match="reading cancelled"):
        find_files(root, cancel=cancel)  # scanning checks it too


def _two_folders(root):
    for name in ("a", "b"):
        (root / name).mkdir(parents=True)
        for i in range(3):
            (root / name / f"{i}.txt").write_text(f"{name} text {i}\n")


def test_folder_deleted_while_being_read(tmp_path):
    root = tmp_path / "c"
    _two_folders(root)

    def delete_b(n, total):
        if n == 1:
            shutil.rmtree(root / "b")

    corpus = prepare_corpus(root, use_cache=False, on_progress=delete_b)
    assert corpus.report.files_used == 3
    assert _reasons(corpus.report) == {f"b/{i}.txt": "vanished while reading"
                                       for i in range(3)}


def test_folder_deleted_while_being_scanned(tmp_path, monkeypatch):
    root = tmp_path / "c"
    _two_folders(root)
    walk = os.walk

    def walk_then_delete(top, *args, **kwargs):
        for entry in walk(top, *args, **kwargs):
            yield entry
            if entry[0] == str(root):  # the root is listed: now b goes away
                shutil.rmtree(root / "b")

    monkeypatch.setattr(os, "walk", walk_then_delete)
    corpus = prepare_corpus(root, use_cache=False)
    assert corpus.report.files_used == 3
    assert _reasons(corpus.report) == {"b": "folder vanished while scanning"}


def test_whole_folder_deleted_after_the_scan(tmp_path, monkeypatch):
    root = tmp_path / "c"
    _two_folders(root)
    walk = os.walk

    def walk_then_delete_all(top, *args, **kwargs):
        yield from walk(top, *args, **kwargs)
        shutil.rmtree(root)

    monkeypatch.setattr(os, "walk", walk_then_delete_all)
    with pytest.raises(CorpusError, match=r"c: no usable text: every file was skipped "
                       r"\(6 vanished while reading\)"):
        prepare_corpus(root, use_cache=False)
