"""Read a folder of texts into one encoded, cached, memory-mapped token array."""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import re
import stat
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import platformdirs

from .tokenizer import (
    WORD_RULES,
    CharTokenizer,
    Tokenizer,
    WordTokenizer,
    smallest_dtype,
)
from .unwrap import UNWRAP_MODES, is_hard_wrapped
from .unwrap import unwrap as unwrap_text

__all__ = [
    "BOMS",
    "DEFAULT_EXTENSIONS",
    "CorpusError",
    "CorpusReport",
    "EncodedCorpus",
    "SkippedFile",
    "UnreadableFile",
    "decode_bytes",
    "find_files",
    "read_texts",
    "prepare_corpus",
    "encode_file",
    "split_ids",
    "cache_dir",
    "count_words",
    "unwrap_texts",
]

DEFAULT_EXTENSIONS = (".txt", ".md")
SEPARATOR = "\n\n"  # between files
_SNIFF = 65536
_WRAP_SNIFF = 1 << 20  # characters of each file looked at to tell a hard wrap
_PIECE = 1 << 22  # characters tokenised at a time: bounds memory on huge files
_SPACES = (32, 10, 9, 13, 12)  # what separates words when counting them
_WORD = re.compile("[^" + re.escape("".join(map(chr, _SPACES))) + "]+")
_COUNT_WITH_NUMPY = 2000  # characters from which numpy counts words faster
_CONTROLS = bytes(b for b in range(32) if b not in (9, 10, 12, 13))
# Byte-order marks by the codec of the text after them, longest first (the
# UTF-32 LE mark starts with the UTF-16 LE one). One table for reading here and
# for core.documents, which writes a document's mark back.
BOMS: dict[str, bytes] = {
    "utf-32-le": codecs.BOM_UTF32_LE,
    "utf-32-be": codecs.BOM_UTF32_BE,
    "utf-8": codecs.BOM_UTF8,
    "utf-16-le": codecs.BOM_UTF16_LE,
    "utf-16-be": codecs.BOM_UTF16_BE,
}


class CorpusError(ValueError):
    """The corpus cannot be used; the message names the folder and why."""


class UnreadableFile(Exception):
    """A file is not usable text (binary, unreadable, empty); the message is the
    reason shown to the user. The corpus leaves such a file out."""


@dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str


@dataclass
class CorpusReport:
    """What was read: shown by the CLI and the training panel, stored with models."""

    root: str
    files_used: int = 0
    bytes: int = 0
    characters: int = 0
    distinct_characters: int = 0
    words: int = 0
    tokens: int = 0
    encodings: dict[str, str] = field(default_factory=dict)  # non-UTF-8 files only
    skipped: list[SkippedFile] = field(default_factory=list)
    hard_wrapped: int = 0  # files that look hard-wrapped
    unwrapped: int = 0  # files whose wrapped lines were joined

    @property
    def files_skipped(self) -> int:
        return len(self.skipped)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["files_skipped"] = self.files_skipped
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CorpusReport:
        data = dict(data)
        data.pop("files_skipped", None)
        data["skipped"] = [SkippedFile(**s) for s in data.get("skipped", [])]
        return cls(**data)

    def summary(self) -> str:
        """One line for people."""
        text = (f"{self.files_used} files, {self.bytes / 1e6:.2f} MB, "
                f"{self.characters:,} characters "
                f"({self.distinct_characters} distinct), "
                f"{self.words:,} words")
        if self.unwrapped:
            text += f"; hard-wrapped lines joined in {self.unwrapped}"
        if self.skipped:
            text += f"; {len(self.skipped)} skipped"
        return text


@dataclass
class EncodedCorpus:
    """Token ids of the whole corpus (often a read-only memory map) and its
    tokenizer."""

    ids: np.ndarray
    tokenizer: Tokenizer
    report: CorpusReport


def cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("lstmwriter", appauthor=False)) / "corpus"


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Text and the encoding used: a BOM wins, else strict UTF-8, else cp1252/latin-1.

    Raises UnreadableFile for binary data. Newlines come back normalised to \\n.
    """
    for codec, bom in BOMS.items():
        if data.startswith(bom):
            name = "utf-8-sig" if codec == "utf-8" else codec[:-3]  # reads the mark
            try:
                text = data.decode(name)
            except UnicodeDecodeError:
                raise UnreadableFile(
                    f"invalid {name.upper()} despite its byte-order mark") from None
            return _normalise_newlines(text), name
    if b"\x00" in data[:_SNIFF]:
        name = _utf16_without_bom(data)
        if name is None:
            raise UnreadableFile("binary file (contains NUL bytes)")
        text = data.decode(name)
        if _mostly_controls(text[:_SNIFF].encode("latin-1", "replace")):
            raise UnreadableFile("binary file (contains NUL bytes)")
        return _normalise_newlines(text), name
    if _mostly_controls(data[:_SNIFF]):
        raise UnreadableFile("binary file (mostly control bytes)")
    for name in ("utf-8", "cp1252", "latin-1"):
        try:
            return _normalise_newlines(data.decode(name)), name
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


def _mostly_controls(head: bytes) -> bool:
    controls = len(head) - len(head.translate(None, _CONTROLS))
    return bool(head) and controls / len(head) > 0.1


def _utf16_without_bom(data: bytes) -> str | None:
    """"utf-16-le" or "utf-16-be" for UTF-16 text without a byte-order mark, told
    by the zero high bytes of Latin-script text; None if it is not that."""
    head = data[: _SNIFF]
    if len(data) % 2 or len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    for high, low, name in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if high.count(0) >= 0.7 * len(high) and low.count(0) <= 0.02 * len(low):
            try:
                data.decode(name)
            except UnicodeDecodeError:
                return None
            return name
    return None


def _normalise_newlines(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def find_files(
    root: Path, extensions: Iterable[str] = DEFAULT_EXTENSIONS,
    cancel: threading.Event | None = None,
) -> tuple[list[Path], list[SkippedFile]]:
    """Files under `root` (or `root` itself) with a wanted extension, sorted.

    Follows symbolic links but never enters a folder twice (symlink loops), and
    reports what it leaves out. `cancel` is checked in every folder.
    """
    root = Path(root).expanduser()
    wanted = {e.lower() if e.startswith(".") else "." + e.lower() for e in extensions}
    skipped: list[SkippedFile] = []
    if root.is_file():
        return [root], skipped
    if not root.exists():
        raise CorpusError(f"{root}: no such file or folder")
    if not root.is_dir():
        raise CorpusError(f"{root}: not a file or folder")
    found: list[Path] = []
    seen: set[str] = set()

    def on_error(err: OSError) -> None:
        reason = "folder vanished while scanning" if isinstance(
            err, FileNotFoundError) else f"cannot list folder ({err.strerror})"
        skipped.append(SkippedFile(str(err.filename), reason))

    for folder, dirs, files in os.walk(root, onerror=on_error, followlinks=True):
        if cancel is not None and cancel.is_set():
            raise CorpusError(f"{root}: reading cancelled")
        real = os.path.realpath(folder)
        if real in seen:
            skipped.append(SkippedFile(folder, "symlink loop (folder already read)"))
            dirs[:] = []
            continue
        seen.add(real)
        for name in list(dirs):
            if name.startswith("."):
                dirs.remove(name)
        dirs.sort()
        for name in sorted(files):
            path = Path(folder) / name
            if name.startswith(".") or path.suffix.lower() not in wanted:
                continue
            if path.is_symlink() and not path.exists():
                skipped.append(SkippedFile(str(path), "broken symbolic link"))
                continue
            found.append(path)
    found.sort(key=lambda p: p.relative_to(root).parts)
    return found, skipped


def _read_one(path: Path) -> tuple[str, str, int]:
    """(text, encoding, size) of one file, or UnreadableFile with the reason."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # reading a pipe would block
            raise UnreadableFile("not a regular file (a pipe, device or socket)")
        data = path.read_bytes()
    except PermissionError:
        raise UnreadableFile("permission denied") from None
    except FileNotFoundError:
        raise UnreadableFile("vanished while reading") from None
    except IsADirectoryError:
        raise UnreadableFile("is a folder") from None
    except OSError as exc:
        raise UnreadableFile(f"unreadable ({exc.strerror})") from None
    if not data:
        raise UnreadableFile("empty file")
    text, encoding = decode_bytes(data)
    size = len(data)
    del data
    if not text or text.isspace():  # (no copy of a huge text, unlike strip)
        raise UnreadableFile("empty file (whitespace only)")
    return text, encoding, size


def read_texts(
    files: list[Path],
    report: CorpusReport,
    on_progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> list[str]:
    """Decode each file (recording encodings and skips in `report`)."""
    texts: list[str] = []
    for n, path in enumerate(files, start=1):
        if cancel is not None and cancel.is_set():
            raise CorpusError(f"{report.root}: reading cancelled")
        try:
            text, encoding, size = _read_one(path)
        except UnreadableFile as why:
            report.skipped.append(SkippedFile(str(path), str(why)))
        else:
            if encoding not in ("utf-8", "utf-8-sig"):
                report.encodings[str(path)] = encoding
            report.files_used += 1
            report.bytes += size
            texts.append(text)
        if on_progress is not None:
            on_progress(n, len(files))
    return texts


def count_words(text: str) -> int:
    """Words as the corpus report counts them: runs of characters other than
    space, tab, line feed, carriage return and form feed."""
    if len(text) < _COUNT_WITH_NUMPY:
        return sum(1 for _ in _WORD.finditer(text))
    words, after_space = 0, True
    for start in range(0, len(text), _PIECE):  # bounded memory, as in reading
        # surrogatepass: an editor's text may hold a lone surrogate
        piece = text[start:start + _PIECE].encode("utf-32-le", "surrogatepass")
        points = np.frombuffer(piece, dtype=np.uint32)
        words += _count_words(points, after_space)
        after_space = int(points[-1]) in _SPACES
    return words


def _count_words(points: np.ndarray, after_space: bool = True) -> int:
    """Word starts among `points` (code points) by `count_words`' rule."""
    space = points == _SPACES[0]
    for point in _SPACES[1:]:
        space |= points == point
    starts = ~space
    starts[1:] &= space[:-1]
    if not after_space:  # the text before ends inside a word
        starts[:1] = False
    return int(starts.sum())


def _pieces(text: str) -> Iterator[str]:
    """`text` in pieces of about _PIECE characters, each cut just before a space
    or newline where there is one, so no word is split."""
    start = 0
    while len(text) - start > _PIECE:
        end = start + _PIECE
        cut = max(text.rfind(" ", start + 1, end), text.rfind("\n", start + 1, end))
        end = cut if cut > 0 else end
        yield text[start:end]
        start = end
    yield text[start:] if start else text


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def _cache_key(files: list[Path], options: dict[str, Any]) -> str:
    entries = []
    for path in files:
        try:
            st = path.stat()
            entries.append((str(path.resolve()), st.st_size, st.st_mtime_ns))
        except OSError:
            entries.append((str(path), -1, -1))
    blob = json.dumps([entries, options], sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:32]


def prepare_corpus(
    root: Path,
    level: str = "char",
    tokenizer: Tokenizer | None = None,
    extensions: Iterable[str] = DEFAULT_EXTENSIONS,
    lower: bool = False,
    ascii_only: bool = False,
    max_vocab: int = 10_000,
    split_punctuation: bool = True,
    use_cache: bool = True,
    on_progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
    unwrap: str = "auto",
) -> EncodedCorpus:
    """Read, decode, tokenize and cache a corpus folder (or a single file).

    `unwrap` joins hard-wrapped lines (see `unwrap_texts`). With `tokenizer`
    given (fine-tuning, or a validation file) its vocabulary is
    kept and unknown tokens map to its unknown id; otherwise one is built from the
    text. The ids are cached as .npy under the platformdirs cache dir, keyed by the
    files' paths, sizes and mtimes and the options, and memory-mapped on reload.
    """
    root = Path(root).expanduser()
    files, skipped = find_files(root, extensions, cancel)
    options = dict(level=level, lower=lower, ascii=ascii_only, max_vocab=max_vocab,
                   split=split_punctuation, unwrap=unwrap,
                   rules=WORD_RULES if level == "word" else None,
                   vocab=tokenizer.to_dict() if tokenizer else None)
    key = _cache_key(files, options)
    cached = _load_cached(key) if use_cache else None
    if cached is not None:
        return cached
    report = CorpusReport(str(root), skipped=list(skipped))
    texts = read_texts(files, report, on_progress, cancel)
    if not texts:
        raise CorpusError(_no_text_reason(root, files, report))
    texts = unwrap_texts(texts, unwrap, report)
    if tokenizer is None:
        tokenizer = _build_tokenizer(texts, level, lower, ascii_only, max_vocab,
                                     split_punctuation)
    ids = _encode_texts(texts, tokenizer, report)
    if use_cache:
        ids = _store_cached(key, ids, tokenizer, report)
    return EncodedCorpus(ids, tokenizer, report)


def unwrap_texts(texts: list[str], mode: str, report: CorpusReport) -> list[str]:
    """Join hard-wrapped lines: in the files that look hard-wrapped ("auto"), in
    every file ("yes") or in none ("no"); counts both in `report`."""
    if mode not in UNWRAP_MODES:
        raise ValueError(f"unwrap must be {', '.join(UNWRAP_MODES)}, not {mode!r}")
    out = []
    for text in texts:
        wrapped = is_hard_wrapped(text[:_WRAP_SNIFF])
        report.hard_wrapped += wrapped
        if mode == "yes" or (mode == "auto" and wrapped):
            text = unwrap_text(text)
            report.unwrapped += 1
        out.append(text)
    return out


def _no_text_reason(root: Path, files: list[Path], report: CorpusReport) -> str:
    if not files and not report.skipped:
        return f"{root}: no text files found " \
               f"(looked for {', '.join(DEFAULT_EXTENSIONS)} " \
               "or the extensions given with --ext)"
    reasons: dict[str, int] = {}
    for s in report.skipped:
        reasons[s.reason] = reasons.get(s.reason, 0) + 1
    detail = ", ".join(_counted(n, r) for r, n in sorted(reasons.items()))
    return f"{root}: no usable text: every file was skipped ({detail})"


_PLURALS = (("binary file (contains", "binary files (contain"),
            ("binary file", "binary files"), ("empty file", "empty files"),
            ("broken symbolic link", "broken symbolic links"))


def _counted(count: int, reason: str) -> str:
    """"1 binary file (contains NUL bytes)", "2 binary files (contain NUL bytes)"."""
    for one, many in _PLURALS if count > 1 else ():
        if reason.startswith(one):
            reason = many + reason[len(one):]
            break
    return f"{count} {reason}"


def _build_tokenizer(texts, level, lower, ascii_only, max_vocab, split_punctuation):
    if level == "word":
        return WordTokenizer.build(SEPARATOR.join(texts), max_vocab, lower,
                                   split_punctuation)
    if level != "char":
        raise ValueError(f"unknown level {level!r}; use char or word")
    counts = np.zeros(0, dtype=np.int64)
    normalize = CharTokenizer([], lower, ascii_only).normalize
    for text in [*texts, SEPARATOR]:
        for piece in _pieces(text):
            c = np.bincount(_code_points(normalize(piece)))
            if len(c) > len(counts):
                c[: len(counts)] += counts
                counts = c
            else:
                counts[: len(c)] += c
    chars = [chr(i) for i in np.flatnonzero(counts)]
    return CharTokenizer(chars, lower, ascii_only)


def _encode_texts(texts: list[str], tokenizer: Tokenizer,
                  report: CorpusReport) -> np.ndarray:
    dtype = smallest_dtype(tokenizer.vocab_size)
    parts: list[np.ndarray] = []
    separator = tokenizer.encode(SEPARATOR).astype(dtype)
    distinct = set()
    direct = isinstance(tokenizer, CharTokenizer) and not tokenizer.normalizes
    for n, text in enumerate(texts):
        if n:
            parts.append(separator)
        after_space = True
        for piece in _pieces(text):
            points = _code_points(piece)
            report.characters += len(points)
            report.words += _count_words(points, after_space)
            after_space = len(points) == 0 or int(points[-1]) in _SPACES
            distinct.update(np.flatnonzero(np.bincount(points)).tolist())
            if direct:  # no normalisation: reuse the code points
                parts.append(tokenizer.encode_points(points, dtype))
            else:
                parts.append(tokenizer.encode(piece).astype(dtype))
    report.characters += len(SEPARATOR) * (len(texts) - 1)
    report.distinct_characters = len(distinct)
    ids = np.concatenate(parts) if len(parts) > 1 else parts[0]
    report.tokens = int(len(ids))
    return ids


def _store_cached(key: str, ids: np.ndarray, tokenizer: Tokenizer,
                  report: CorpusReport) -> np.ndarray:
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{key}.{os.getpid()}.npy"
        np.save(tmp, ids)
        os.replace(tmp, folder / f"{key}.npy")
        meta = {"tokenizer": tokenizer.to_dict(), "report": report.to_dict()}
        tmp_json = folder / f".{key}.{os.getpid()}.json"
        tmp_json.write_text(json.dumps(meta), encoding="utf-8")
        os.replace(tmp_json, folder / f"{key}.json")
        return np.load(folder / f"{key}.npy", mmap_mode="r")
    except OSError:  # a read-only or full cache never stops training
        return ids


def _load_cached(key: str) -> EncodedCorpus | None:
    from .tokenizer import tokenizer_from_dict

    folder = cache_dir()
    try:
        meta = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
        ids = np.load(folder / f"{key}.npy", mmap_mode="r", allow_pickle=False)
        tokenizer = tokenizer_from_dict(meta["tokenizer"])
        report = CorpusReport.from_dict(meta["report"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if len(ids) != report.tokens:
        return None
    return EncodedCorpus(ids, tokenizer, report)


def encode_file(path: Path, tokenizer: Tokenizer, extensions: Iterable[str] =
                DEFAULT_EXTENSIONS, unwrap: str = "no") -> EncodedCorpus:
    """Encode a file or folder with an existing tokenizer (validation, eval); the
    text is read as it is unless `unwrap` says otherwise."""
    return prepare_corpus(path, tokenizer.level, tokenizer, extensions,
                          use_cache=False, unwrap=unwrap)


def split_ids(ids: np.ndarray, valid_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """Train on the head, validate on the tail `valid_fraction` (views, no copy)."""
    cut = int(len(ids) * (1.0 - valid_fraction))
    if cut < 2 or len(ids) - cut < 2:
        raise CorpusError(f"corpus too small to split ({len(ids)} tokens)")
    return ids[:cut], ids[cut:]
