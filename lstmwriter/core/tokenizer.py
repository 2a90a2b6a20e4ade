"""Character- and word-level tokenizers: text to integer ids and back."""

from __future__ import annotations

import collections
import functools
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = [
    "UNK_CHAR",
    "UNK_WORD",
    "EOS_WORD",
    "CharTokenizer",
    "WordTokenizer",
    "Tokenizer",
    "normalizer",
    "tokenizer_from_dict",
    "smallest_dtype",
    "western_charset",
    "WORD_RULES",
]

UNK_CHAR = "\ufffd"  # the character-level unknown symbol (id 0)
UNK_WORD = "<unk>"
EOS_WORD = "<eos>"

# Typographic characters whose NFKD form keeps no ASCII letter.
_ASCII_FALLBACK = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2013": "-", "\u2014": "--", "\u2015": "--", "\u2212": "-",
    "\u2026": "...", "\u00a0": " ", "\u00df": "ss", "\u00e6": "ae", "\u00c6": "AE",
    "\u0153": "oe", "\u0152": "OE", "\u00f8": "o", "\u00d8": "O", "\u0142": "l",
    "\u0141": "L", "\u00f0": "d", "\u00d0": "D", "\u00fe": "th", "\u00de": "Th",
}


@functools.lru_cache(maxsize=65536)
def _to_ascii(char: str) -> str:
    if char < "\x80":
        return char
    if char in _ASCII_FALLBACK:
        return _ASCII_FALLBACK[char]
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if c < "\x80")


def normalizer(lower: bool = False, ascii_only: bool = False, crlf: bool = False):
    """A per-character text transform (so normalising a concatenation equals
    concatenating the normalised parts, which incremental sampling relies on).
    `crlf`: "\\n" becomes "\\r\\n" (for models trained on Windows line ends)."""

    def normalize(text: str) -> str:
        if ascii_only and not text.isascii():
            text = "".join(_to_ascii(c) for c in text)
        if lower:
            text = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
        if crlf:
            text = text.replace("\n", "\r\n")
        return text

    return normalize


def western_charset() -> list[str]:
    """Printable characters of English and Western European text: newline, tab,
    printable ASCII, Latin-1, the Latin-1 gaps of cp1252 and typographic marks."""
    chars = ["\n", "\t"] + [chr(i) for i in range(32, 127)]
    chars += [chr(i) for i in range(160, 256) if i != 173]  # not the soft hyphen
    chars += list("\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
                  "\u2013\u2014\u2018\u2019\u201a\u201c\u201d\u201e"
                  "\u2020\u2021\u2022\u2026\u2030\u2039\u203a\u20ac\u2122")
    return chars


def smallest_dtype(vocab_size: int) -> np.dtype:
    """The smallest unsigned integer dtype that holds every id."""
    for dtype in (np.uint8, np.uint16, np.uint32):
        if vocab_size <= np.iinfo(dtype).max + 1:
            return np.dtype(dtype)
    raise ValueError("vocabulary too large")


class CharTokenizer:
    """One token per character; id 0 is the unknown symbol, so any text encodes."""

    level = "char"

    def __init__(
        self, chars: Iterable[str], lower: bool = False, ascii_only: bool = False,
        crlf: bool = False,
    ) -> None:
        chars = [c for c in chars if c != UNK_CHAR]
        if any(len(c) != 1 for c in chars):
            raise ValueError("character vocabulary entries must be single characters")
        if len(set(chars)) != len(chars):
            raise ValueError("character vocabulary has duplicates")
        self.tokens: list[str] = [UNK_CHAR, *chars]
        self.lower = lower
        self.ascii_only = ascii_only
        self.crlf = crlf  # encode "\n" as "\r\n", decode without "\r"
        self.normalize = normalizer(lower, ascii_only, crlf)
        self._index = {c: i for i, c in enumerate(self.tokens)}
        top = max(ord(c) for c in self.tokens)
        # code point -> id; 0 = unknown, also in the extra last entry that every
        # code point above `top` is clipped to
        self._table = np.zeros(top + 2, dtype=np.int64)
        for i, c in enumerate(self.tokens[1:], start=1):
            self._table[ord(c)] = i

    @classmethod
    def build(
        cls, text: str, lower: bool = False, ascii_only: bool = False
    ) -> CharTokenizer:
        """Vocabulary of the characters in `text` (after normalising), sorted."""
        text = normalizer(lower, ascii_only)(text)
        return cls(sorted(set(text)), lower, ascii_only)

    @property
    def vocab_size(self) -> int:
        return len(self.tokens)

    unk_id = 0

    def id_of(self, char: str) -> int:
        return self._index.get(char, 0)

    def encode(self, text: str) -> np.ndarray:
        """Ids of `text` (normalised first); unknown characters map to 0."""
        text = self.normalize(text)
        return self.encode_points(
            np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32))

    @property
    def normalizes(self) -> bool:
        """Whether `normalize` can change text (else code points map straight to
        ids)."""
        return self.lower or self.ascii_only or self.crlf

    def encode_points(self, points: np.ndarray, dtype=np.int64) -> np.ndarray:
        """Ids of already-normalised text given as code points (uint32)."""
        table = self._table.astype(dtype, copy=False)
        return table[np.minimum(points, len(table) - 1)]

    def split(self, text: str) -> list[str]:
        return list(self.normalize(text))

    def decode(self, ids: Iterable[int]) -> str:
        text = "".join(self.tokens[int(i)] for i in ids)
        return text.replace("\r", "") if self.crlf else text

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "char",
            "tokens": self.tokens,
            "lower": self.lower,
            "ascii": self.ascii_only,
            **({"crlf": True} if self.crlf else {}),
        }


# Word-level splitting and spacing rules; a model records the version it was built
# with (config.json "tokenizer": "rules"; absent = 1) and keeps decoding by it.
# 1: an apostrophe only inside a word: "goin'" -> "goin" "'", decoded "goin '".
# 2: a trailing apostrophe stays with its word or closing punctuation ("goin'",
#    "girls'", ",'"); one before a word is an opening quote, glued to the word.
WORD_RULES = 2
_APOSTROPHES = "'\u2019"
_CLOSING = ".,;:!?)]}\u201d"  # rules 2: a quote right after these closes
_WORD_RE = {
    1: re.compile(r"<unk>|<eos>|\w+(?:['\u2019]\w+)*|[^\w\s]"),
    2: re.compile(r"<unk>|<eos>|\w+(?:['\u2019]\w+)*['\u2019]?"
                  rf"|[{re.escape(_CLOSING)}][{_APOSTROPHES}](?!\w)|[^\w\s]"),
}
_NO_SPACE_BEFORE = set(".,;:!?)]}%") | {"n't", "'s", "'re", "'ve", "'ll", "'d", "'m"}
_NO_SPACE_AFTER = set("([{$")
_OPENING = {1: set(), 2: set(_APOSTROPHES) | {"\u2018", "\u201c"}}


class WordTokenizer:
    """Words and punctuation as tokens, `<eos>` for each line end, capped vocabulary.

    With `split_punctuation=False` the text is taken as already tokenised (split on
    whitespace only), which reproduces the Penn Treebank set-up exactly.
    """

    level = "word"

    def __init__(
        self, words: Iterable[str], lower: bool = False, split_punctuation: bool = True,
        rules: int = WORD_RULES,
    ) -> None:
        rest = [w for w in words if w not in (UNK_WORD, EOS_WORD)]
        self.tokens: list[str] = [UNK_WORD, EOS_WORD, *rest]
        if len(set(self.tokens)) != len(self.tokens):
            raise ValueError("word vocabulary has duplicates")
        self.lower = lower
        self.split_punctuation = split_punctuation
        if rules not in _WORD_RE:
            raise ValueError(f"unknown word tokenizer rules {rules!r}")
        self.rules = rules
        self._word_re = _WORD_RE[rules]
        # pre-tokenised (PTB) text has a lone "'" only as a possessive: it closes
        self._opening = _OPENING[rules] if split_punctuation else set()
        self.normalize = normalizer(lower, False)
        self._index = {w: i for i, w in enumerate(self.tokens)}

    unk_id = 0
    eos_id = 1

    @classmethod
    def build(
        cls,
        text: str,
        max_vocab: int = 10_000,
        lower: bool = False,
        split_punctuation: bool = True,
    ) -> WordTokenizer:
        """The `max_vocab` - 2 most frequent words of `text`, plus `<unk>` and
        `<eos>`."""
        probe = cls([], lower, split_punctuation)
        counts = collections.Counter(
            t for t in probe.split(text) if t not in (UNK_WORD, EOS_WORD)
        )
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return cls([w for w, _ in ranked[: max(0, max_vocab - 2)]], lower,
                   split_punctuation)

    @property
    def vocab_size(self) -> int:
        return len(self.tokens)

    def split(self, text: str) -> list[str]:
        """Tokens of `text`, with `<eos>` at each newline."""
        text = self.normalize(text)
        tokens: list[str] = []
        for line_no, line in enumerate(text.split("\n")):
            if line_no:
                tokens.append(EOS_WORD)
            if self.split_punctuation:
                tokens.extend(self._word_re.findall(line))
            else:
                tokens.extend(line.split())
        return tokens

    def id_of(self, word: str) -> int:
        return self._index.get(word, 0)

    def encode(self, text: str) -> np.ndarray:
        index = self._index
        return np.fromiter(
            (index.get(t, 0) for t in self.split(text)), dtype=np.int64
        )

    def decode(self, ids: Iterable[int]) -> str:
        """Natural text: no space before closing punctuation, newline for `<eos>`."""
        out: list[str] = []
        glue = True  # no space before the next token
        open_quote = False
        for i in ids:
            token = self.tokens[int(i)]
            if token == EOS_WORD:
                out.append("\n")
                glue = True
                continue
            if token == '"':
                open_quote = not open_quote
                space = not glue and open_quote
                out.append((" " if space else "") + token)
                glue = open_quote
                continue
            space = not glue and not self._closes(token)
            out.append((" " if space else "") + token)
            glue = token in _NO_SPACE_AFTER or token in self._opening
        return "".join(out)

    def _closes(self, token: str) -> bool:
        """No space before it: closing punctuation, a clitic, or (rules 2) closing
        punctuation with its closing quote such as ",'", or a pre-tokenised "'"."""
        if token in _NO_SPACE_BEFORE:
            return True
        if self.rules < 2:
            return False
        if token in _APOSTROPHES:
            return not self.split_punctuation
        return token == "\u201d" or (len(token) == 2 and token[0] in _CLOSING
                                     and token[1] in _APOSTROPHES)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "word",
            "tokens": self.tokens,
            "lower": self.lower,
            "split_punctuation": self.split_punctuation,
            "rules": self.rules,
        }


Tokenizer = CharTokenizer | WordTokenizer


def tokenizer_from_dict(data: dict[str, Any]) -> Tokenizer:
    """Rebuild a tokenizer saved with `to_dict`; a damaged entry raises ValueError."""
    try:
        kind, tokens = data["type"], data["tokens"]
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise ValueError("vocabulary must be a list of strings")
        if kind == "char":
            return CharTokenizer(tokens, bool(data.get("lower")),
                                 bool(data.get("ascii")), bool(data.get("crlf")))
        if kind == "word":
            split = bool(data.get("split_punctuation", True))
            # models saved before the rules were recorded use the first ones
            return WordTokenizer(tokens, bool(data.get("lower")), split,
                                 data.get("rules", 1))
    except (KeyError, TypeError) as exc:
        raise ValueError(f"damaged vocabulary: {exc}") from None
    raise ValueError(f"unknown tokenizer type {kind!r}")
