"""How a text file is stored (encoding, byte-order mark, line endings), so that
Save writes it back the way it was read. No Qt here: the GUI's file workers
and the tests use it directly.

Reading reuses the corpus reader's detection (`core.corpus.decode_bytes`: a
byte-order mark, else strict UTF-8, else cp1252, else latin-1); an encoding
the writer names ("Reopen with encoding…") is used strictly instead.
"""

from __future__ import annotations

import codecs
import errno
import os
import select
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .checkpoint import atomic_write
from .corpus import BOMS, UnreadableFile, decode_bytes

__all__ = [
    "ENCODINGS",
    "LARGE_FILE_BYTES",
    "MAX_FILE_BYTES",
    "MEMORY_MULTIPLE",
    "UTF8",
    "TextFormat",
    "describe_save_error",
    "encode_document",
    "read_document",
    "read_file",
    "unencodable",
    "write_document",
]

# Opening a file above LARGE_FILE_BYTES asks first (it takes seconds and about
# MEMORY_MULTIPLE times its size in memory, measured: docs/GUI.md); a file or
# stream above MAX_FILE_BYTES is refused. Tests lower them.
LARGE_FILE_BYTES = 20_000_000
MAX_FILE_BYTES = 500_000_000
MEMORY_MULTIPLE = 10
CHUNK_BYTES = 1 << 20  # read at a time, between progress reports and cancel checks
_POLL_S = 0.1  # how often a pipe with no data yet looks at the cancel flag

# Offered by File > Reopen with encoding…; any Python codec name works.
ENCODINGS = ("utf-8", "cp1252", "latin-1", "iso-8859-15", "utf-16", "utf-16-le",
             "utf-16-be", "cp1250", "cp1251", "koi8-r", "mac-roman", "shift_jis",
             "euc-jp", "gb18030", "big5", "euc-kr")

_NEWLINE_NAMES = {"\n": "LF", "\r\n": "CRLF", "\r": "CR"}


@dataclass(frozen=True)
class TextFormat:
    """The bytes a document is saved as: `encoding` (a Python codec, used
    strictly), a byte-order mark or not, and the line ending."""

    encoding: str = "utf-8"
    bom: bool = False
    newline: str = "\n"

    @property
    def is_unicode(self) -> bool:
        """UTF-8/16/32: every character can be written (lone surrogates aside)."""
        return codecs.lookup(self.encoding).name.startswith("utf")

    @property
    def newline_name(self) -> str:
        """"LF", "CRLF" or "CR"."""
        return _NEWLINE_NAMES.get(self.newline, repr(self.newline))

    @property
    def label(self) -> str:
        """"UTF-8", "cp1252 · CRLF", "UTF-16 LE with BOM", ..."""
        name = self.encoding
        if name.startswith("utf"):
            name = name.upper().replace("-LE", " LE").replace("-BE", " BE")
        if self.bom:
            name += " with BOM"
        if self.newline != "\n":
            name += f" · {self.newline_name}"
        return name

    def to_dict(self) -> dict[str, Any]:
        return {"encoding": self.encoding, "bom": self.bom, "newline": self.newline}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> TextFormat:
        """The format stored in a recovery copy; UTF-8 when absent or unusable."""
        if not isinstance(data, dict):
            return UTF8
        try:
            fmt = cls(str(data["encoding"]), bool(data.get("bom", False)),
                      str(data.get("newline", "\n")))
            codecs.lookup(fmt.encoding)
        except (KeyError, LookupError):
            return UTF8
        return fmt if fmt.newline in _NEWLINE_NAMES else UTF8


UTF8 = TextFormat()


def read_document(data: bytes, encoding: str | None = None
                  ) -> tuple[str, TextFormat, bool]:
    """(text with "\\n" line ends, its format, whether the line ends were mixed).

    `encoding` None detects it; raises ValueError for binary data or bytes that
    are not valid in the encoding asked for, LookupError for an unknown codec."""
    if not data:
        return "", UTF8, False
    if encoding is None:
        try:
            text, name = decode_bytes(data)
        except UnreadableFile as exc:
            raise ValueError(f"not a text file ({exc})") from None
        if b"\r" not in data:  # no CR byte in any of its encodings: LF only
            return text, _format_of(name, data), False
        fmt = _format_of(name, data)
    else:
        fmt = _format_of(codecs.lookup(encoding).name, data)
    start = len(BOMS[fmt.encoding]) if fmt.bom else 0
    try:
        raw = data[start:].decode(fmt.encoding)
    except UnicodeDecodeError as exc:
        raise ValueError(f"not valid {encoding or fmt.encoding} "
                         f"(byte {exc.start + start}: {exc.reason})") from None
    crlf = raw.count("\r\n")
    counts = {"\n": raw.count("\n") - crlf, "\r\n": crlf, "\r": raw.count("\r") - crlf}
    newline = max(counts, key=lambda k: (counts[k], k == "\n"))
    mixed = sum(1 for n in counts.values() if n) > 1
    if crlf or counts["\r"]:
        raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    return raw, TextFormat(fmt.encoding, fmt.bom, newline), mixed


def _format_of(name: str, data: bytes) -> TextFormat:
    """Split a codec name that reads a byte-order mark ("utf-8-sig", "utf-16",
    "utf-32") into the explicit codec plus `bom`, so that writing puts the same
    mark (and byte order) back."""
    codec = codecs.lookup(name).name
    if codec in ("utf-8", "utf-8-sig"):
        return TextFormat("utf-8", data.startswith(codecs.BOM_UTF8))
    if codec in ("utf-16", "utf-32"):
        for explicit in (f"{codec}-le", f"{codec}-be"):
            if data.startswith(BOMS[explicit]):
                return TextFormat(explicit, True)
        return TextFormat(f"{codec}-le")  # no mark: Python reads little-endian
    return TextFormat(codec if codec.startswith("utf") else name.lower())


def encode_document(text: str, fmt: TextFormat) -> bytes:
    """The file's bytes; raises UnicodeEncodeError if `text` holds characters
    the encoding cannot represent (never replaced silently)."""
    if fmt.newline != "\n":
        text = text.replace("\n", fmt.newline)
    data = text.encode(fmt.encoding)
    return BOMS[fmt.encoding] + data if fmt.bom else data


def unencodable(text: str, encoding: str, limit: int = 8) -> list[str]:
    """The distinct characters of `text` that `encoding` cannot represent (at
    most `limit`, in order of first appearance); empty if all can be."""
    try:
        text.encode(encoding)
        return []
    except UnicodeEncodeError:
        pass
    bad = []
    for ch in dict.fromkeys(text):  # distinct, in order
        try:
            ch.encode(encoding)
        except UnicodeEncodeError:
            bad.append(ch)
            if len(bad) >= limit:
                break
    return bad


def write_document(path: str | Path, text: str, fmt: TextFormat) -> None:
    """Save `text` in `fmt` atomically: a temporary file, fsync, rename (a crash
    or a full disk leaves the old file whole). A symbolic link stays a link (the
    file it points to is replaced) and the file keeps its permissions."""
    data = encode_document(text, fmt)  # before touching the disk
    target = Path(path)
    if target.is_symlink():
        target = target.resolve()
    try:
        mode: int | None = target.stat().st_mode & 0o7777
    except OSError:
        mode = None
    atomic_write(target, data)
    if mode is not None and target.stat().st_mode & 0o7777 != mode:
        os.chmod(target, mode)


def read_file(path: str | Path, on_progress: Callable[[int, int], None],
              cancel: threading.Event) -> bytes | None:
    """The bytes of a regular file or a named pipe, read in chunks of
    CHUNK_BYTES with `on_progress(done, size)` (size 0 for a pipe); None as soon
    as `cancel` is set. A pipe is opened without blocking and polled, so a read
    that never comes can still be cancelled. Raises OSError, or ValueError for
    a folder, a device or more than MAX_FILE_BYTES."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        info = os.fstat(fd)
        is_pipe = stat.S_ISFIFO(info.st_mode)
        if not (is_pipe or stat.S_ISREG(info.st_mode)):
            raise ValueError("not a regular file (a folder, device or socket)")
        size = info.st_size
        if size > MAX_FILE_BYTES:
            raise ValueError(_too_large())
        chunks: list[bytes] = []
        done = 0
        while not cancel.is_set():
            if is_pipe and not select.select([fd], [], [], _POLL_S)[0]:
                continue
            try:
                chunk = os.read(fd, CHUNK_BYTES)
            except BlockingIOError:  # a writer is there, its data is not yet
                continue
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            done += len(chunk)
            if done > MAX_FILE_BYTES:  # a pipe that does not end
                raise ValueError(_too_large())
            on_progress(done, size)
        return None
    finally:
        os.close(fd)


def _too_large() -> str:
    return f"too large to edit here (over {MAX_FILE_BYTES // 1_000_000:,} MB)"


_PERMISSION = (errno.EACCES, errno.EPERM, errno.EROFS)
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


def describe_save_error(path: str | Path, exc: BaseException) -> str:
    """Why saving `path` failed, for the writer: names their file (never the
    temporary file the write went through) and the real cause, with the advice
    that fits it."""
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    errno_ = exc.errno if isinstance(exc, OSError) else None
    folder = Path(path).parent
    if errno_ in _PERMISSION:
        advice = (f"you may not write in {folder}: save it elsewhere with Save As, "
                  "or change the folder's permissions.")
    elif errno_ in _NO_SPACE:
        advice = "free some space, or save it elsewhere with Save As."
    else:
        advice = "save it elsewhere with Save As, or try again."
    return (f"{path}: {reason}\n\nNothing on disk was changed, and the text is "
            f"still here, not saved: {advice}")
