"""What the suggestion keys act on: the streamed alternatives for the current
context and how much of them the writer has already taken. No Qt here, so the
rules are easy to test."""

from __future__ import annotations

import re

__all__ = ["SuggestionSet", "count_words", "next_word"]

_WORD = re.compile(r"[ \t]*\S+|\n")
_WORDS = re.compile(r"\S+")


def next_word(text: str) -> str:
    """The part of `text` that Ctrl+Right accepts: leading spaces and the next
    word, or a single line break."""
    match = _WORD.match(text)
    if match:
        return match.group(0)
    return text  # only spaces or tabs left


def count_words(text: str) -> int:
    """Words as a writer counts them: runs of non-space characters."""
    return sum(1 for _ in _WORDS.finditer(text))


class SuggestionSet:
    """Alternatives streamed for one request; `visible()` is what is shown.

    After a partial acceptance (a word) only that alternative stays, minus what
    was taken, so the ghost text carries on where the writer stopped.
    """

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        """Forget everything (a new context)."""
        self._raw: list[str] = []
        self._kept: int | None = None  # raw index left after a partial acceptance
        self._taken = 0  # characters of the kept alternative already inserted
        self._index = 0
        self.dismissed = False

    def extend(self, pieces: list[str]) -> None:
        """Append one batch of streamed pieces (one per alternative)."""
        while len(self._raw) < len(pieces):
            self._raw.append("")
        for i, piece in enumerate(pieces):
            if piece:
                self._raw[i] += piece

    def visible(self) -> list[str]:
        """The alternatives as they can still be accepted (may contain "")."""
        if self.dismissed:
            return []
        if self._kept is not None:
            return [self._raw[self._kept][self._taken:]]
        return list(self._raw)

    def __bool__(self) -> bool:
        return any(self.visible())

    @property
    def index(self) -> int:
        """Which visible alternative the ghost text shows."""
        count = len(self.visible())
        return min(self._index, count - 1) if count else 0

    def current(self) -> str:
        shown = self.visible()
        return shown[self.index] if shown else ""

    def cycle(self, step: int) -> int:
        """Show the next (+1) or previous (-1) non-empty alternative."""
        shown = self.visible()
        if not shown:
            return 0
        index = self.index
        for _ in range(len(shown)):
            index = (index + step) % len(shown)
            if shown[index]:
                break
        self._index = index
        return index

    def take(self, index: int | None = None) -> str:
        """The whole remaining text of alternative `index` (default: current).

        The set is cleared: after it, the context has moved on."""
        shown = self.visible()
        index = self.index if index is None else index
        text = shown[index] if 0 <= index < len(shown) else ""
        if text:
            self.clear()
        return text

    def take_word(self) -> str:
        """The next word of the current alternative; the rest stays on show."""
        text = self.current()
        if not text:
            return ""
        word = next_word(text)
        if self._kept is None:
            self._kept = self.index
            self._taken = 0
            self._index = 0
        self._taken += len(word)
        return word
