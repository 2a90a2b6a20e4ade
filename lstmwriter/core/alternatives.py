"""Which sampled alternatives are worth offering to the writer: the one rule used by
the suggestion pane and by `lstmwriter generate`."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["is_blank", "offered_alternatives"]


def is_blank(text: str) -> bool:
    """True for a suggestion with nothing but whitespace (or nothing at all)."""
    return not text.strip()


def offered_alternatives(texts: Sequence[str]) -> list[int]:
    """Indices of the alternatives to offer, in order: a blank one never is, and of
    identical ones only the first (a low temperature often samples the same text)."""
    seen: set[str] = set()
    offered = []
    for index, text in enumerate(texts):
        if not is_blank(text) and text not in seen:
            seen.add(text)
            offered.append(index)
    return offered
