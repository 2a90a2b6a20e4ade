"""Join hard-wrapped lines of prose back into paragraphs.

Plain-text books (Project Gutenberg's among them) break every paragraph into lines
of about 70 columns. A model trained on them learns to break lines mid-sentence, so
prose is read with single newlines inside a paragraph turned into spaces. A line
break inside a paragraph is taken for a wrap when the line reaches within 20 columns
of the text's wrap width (books are not always wrapped greedily). Blank lines,
indented lines (verse, quotations, code), list items and lines much shorter than the
wrap width (poetry, headings, speakers' names in plays) are kept as they are.
"""

from __future__ import annotations

import re

__all__ = ["UNWRAP_MODES", "is_hard_wrapped", "unwrap", "wrap_width"]

UNWRAP_MODES = ("auto", "yes", "no")
_MIN_LINES = 10  # fewer paragraph-internal lines than this: too little to tell
_MIN_WIDTH, _MAX_WIDTH = 40, 100  # hard wraps outside these widths are not prose wraps
_BAND = 20  # columns below the width in which a wrapped paragraph's lines end
_IN_BAND = 0.75  # share of paragraph-internal lines that must end in that band
_CONTINUING = 0.6  # share of their line ends that must continue the sentence
_INTERNAL = 0.4  # share of non-blank lines that must be inside a paragraph
_LIST_ITEM = re.compile(r"(?:[-*+•]|\d{1,3}[.)]|\(\w{1,3}\))\s")
_PERCENTILE = 0.9  # of line lengths, taken as the wrap width


def _is_plain(line: str) -> bool:
    """A non-blank line that starts at the margin and is not a list item."""
    return bool(line) and not line[0].isspace() and not _LIST_ITEM.match(line)


def _internal_lines(lines: list[str]) -> list[int]:
    """Indices of lines followed, inside the same paragraph, by a plain line."""
    return [i for i in range(len(lines) - 1)
            if _is_plain(lines[i]) and _is_plain(lines[i + 1])]


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _width(lines: list[str], internal: list[int]) -> int | None:
    lengths = sorted(len(lines[i].rstrip()) for i in internal)
    if len(lengths) < _MIN_LINES:
        return None
    return lengths[int(_PERCENTILE * (len(lengths) - 1))]


def wrap_width(text: str) -> int | None:
    """The column at which `text` looks wrapped (a high percentile of the lengths
    of its paragraph-internal lines), or None when it has too few of them."""
    lines = _lines(text)
    return _width(lines, _internal_lines(lines))


def _reaches(line: str, width: int) -> bool:
    """The line ends near the wrap width, so its line break is a wrap."""
    return len(line.rstrip()) >= width - _BAND


def _continues(line: str, following: str) -> bool:
    """The sentence goes on across the break: the next line starts in lower case,
    or the line ends inside a clause (a word or a comma, not . ! ? : ; or a quote)."""
    end = line.rstrip()[-1]
    return following[0].islower() or end.isalnum() or end in ",-"


def is_hard_wrapped(text: str) -> bool:
    """Whether `text` is prose hard-wrapped at a fixed width.

    True when at least 40% of its non-blank lines are inside a paragraph, the wrap
    width (90th percentile of those lines' lengths) is 40-100 columns, at least 75%
    of them reach within 20 columns of that width, and at least 60% of their line
    ends continue the sentence on the next line.
    """
    lines = _lines(text)
    internal = _internal_lines(lines)
    non_blank = sum(1 for line in lines if line.strip())
    width = _width(lines, internal)
    if width is None or len(internal) < _INTERNAL * non_blank:
        return False
    if not _MIN_WIDTH <= width <= _MAX_WIDTH:
        return False
    in_band = sum(1 for i in internal if _reaches(lines[i], width))
    continuing = sum(1 for i in internal if _continues(lines[i], lines[i + 1]))
    return (in_band >= _IN_BAND * len(internal)
            and continuing >= _CONTINUING * len(internal))


def unwrap(text: str, width: int | None = None) -> str:
    """`text` with its wrapped paragraphs joined: each line break inside a paragraph
    after a line that reaches near the wrap width becomes one space; every other
    line break stays. `width` is the wrap column (default: `wrap_width(text)`).
    Newlines come back as \\n."""
    lines = _lines(text)
    width = width or wrap_width(text)
    if width is None:
        return "\n".join(lines)
    join = {i for i in _internal_lines(lines) if _reaches(lines[i], width)}
    out = []
    for i, line in enumerate(lines):
        out.append(line.rstrip() + " " if i in join else line + "\n")
    return "".join(out)[:-1]
