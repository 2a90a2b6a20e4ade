"""What the suggestion keys act on: the streamed alternatives for the current
context and how much of them the writer has already taken. No Qt here, so the
rules are easy to test."""

from __future__ import annotations

from ..core.alternatives import is_blank, offered_alternatives
from ..core.ghost import first_unit

__all__ = ["SuggestionSet", "next_word"]


def next_word(text: str) -> str:
    """The part of `text` that Ctrl+Right accepts: the spaces, punctuation and line
    breaks before the next word, and the word (`ghost.first_unit`, the unit the
    usefulness benchmark counts); all of it when no word is left."""
    return first_unit(text) or text


class SuggestionSet:
    """What one request produced: the best guess (the ghost text by default) and
    the sampled alternatives of the pane; `visible()` is what the pane shows.

    Blank alternatives are not shown and identical ones are shown once
    (`offered_alternatives`). The ghost text shows the best guess until the writer
    picks an alternative (pane selection, Alt+] / Alt+[); with no best guess (the
    model is unsure) it shows nothing rather than a sample. After a partial
    acceptance (a word) only that text stays, minus what was taken, so the ghost
    text carries on where the writer stopped.
    """

    BEST = -1  # `index` of the best guess

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        """Forget everything (a new context)."""
        self._raw: list[str] = []
        self.best = ""
        self._kept: int | None = None  # raw index (or BEST) left after taking a word
        self._taken = 0  # characters of the kept text already inserted
        self._pick = self.BEST  # raw index of the alternative the ghost shows
        self.dismissed = False

    def extend(self, pieces: list[str]) -> None:
        """Append one batch of streamed pieces (one per alternative)."""
        while len(self._raw) < len(pieces):
            self._raw.append("")
        for i, piece in enumerate(pieces):
            if piece:
                self._raw[i] += piece

    def extend_best(self, piece: str) -> None:
        """Append to the best guess (it arrives a word at a time)."""
        self.best += piece

    def _text(self, raw: int) -> str:
        return self.best if raw == self.BEST else self._raw[raw]

    def _offered(self) -> list[int]:
        """Raw indices of the visible alternatives."""
        if self.dismissed or self._kept == self.BEST:
            return []
        if self._kept is not None:
            rest = self._raw[self._kept][self._taken:]
            return [] if is_blank(rest) else [self._kept]
        return offered_alternatives(self._raw)

    def visible(self) -> list[str]:
        """The alternatives as they can still be accepted (none of them blank)."""
        return [self._raw[i][self._taken if i == self._kept else 0:]
                for i in self._offered()]

    def __bool__(self) -> bool:
        return bool(self._offered()) or bool(self.current())

    @property
    def index(self) -> int:
        """Which visible alternative the ghost text shows (BEST: the best guess)."""
        if self._pick == self.BEST:
            return self.BEST
        offered = self._offered()
        if self._pick in offered:
            return offered.index(self._pick)
        text = self._raw[self._pick] if self._pick < len(self._raw) else ""
        # Merged into an identical earlier one, or not shown yet.
        return next((n for n, i in enumerate(offered) if self._raw[i] == text), 0)

    def current(self) -> str:
        """The text the ghost shows ("" for none)."""
        if self.dismissed:
            return ""
        if self._pick == self.BEST:
            rest = self.best[self._taken if self._kept == self.BEST else 0:]
            return "" if is_blank(rest) else rest
        shown = self.visible()
        return shown[self.index] if shown else ""

    def select(self, index: int) -> int:
        """Show visible alternative `index` (clamped; BEST for the best guess);
        returns the index shown."""
        if self._kept is not None:
            return self.index
        offered = self._offered()
        if index == self.BEST or not offered:
            self._pick = self.BEST
        else:
            self._pick = offered[max(0, min(index, len(offered) - 1))]
        return self.index

    def cycle(self, step: int) -> int:
        """Show the next (+1) or previous (-1) text: the best guess, then each
        alternative in turn."""
        count = len(self._offered())
        if not count:
            return self.index
        order = [self.BEST] + list(range(count))
        at = order.index(self.index) if self.index in order else 0
        return self.select(order[(at + step) % len(order)])

    def take(self, index: int | None = None) -> str:
        """The whole remaining text of alternative `index` (default: what the ghost
        shows). The set is cleared: after it, the context has moved on."""
        if index is None:
            text = self.current()
        else:
            shown = self.visible()
            text = shown[index] if 0 <= index < len(shown) else ""
        if text:
            self.clear()
        return text

    def take_word(self) -> str:
        """The next word of the ghost text; the rest stays on show."""
        text = self.current()
        if not text:
            return ""
        word = next_word(text)
        if self._kept is None:
            self._kept = self._pick if self._pick == self.BEST else \
                self._offered()[self.index]
            self._pick = self._kept
            self._taken = 0
        self._taken += len(word)
        return word
