"""One rule for a "word": the window's count and the corpus report's agree."""

from __future__ import annotations

import numpy as np
import pytest

from lstmwriter.core import corpus
from lstmwriter.core.corpus import count_words

TRICKY = [
    ("", 0),
    ("  one two\nthree  ", 3),
    ("don't rock-and-roll, l’été", 3),  # apostrophes and hyphens stay inside
    ("3.14 1,000 42nd 2024-05-01", 4),
    ("naïve café Ελληνικά 漢字かな", 4),  # non-ASCII letters (no spaces in CJK)
    ("wait... what?! -- (yes) — no", 6),  # punctuation runs are words too
    ("line\r\nbreaks\n\n\tand\ttabs\fform feed", 6),
    ("\u00a0no\u00a0break\u2003em space", 2),  # only space, tab, CR, LF, FF split
    ("\ud800 lone surrogate", 3),
]


def _numpy_rule(text: str) -> int:
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)
    return corpus._count_words(points)


@pytest.mark.parametrize("text,words", TRICKY)
def test_the_text_rule_and_the_corpus_rule_agree(text, words):
    assert count_words(text) == _numpy_rule(text) == words


def test_long_texts_take_the_numpy_path_and_count_the_same(monkeypatch):
    text = " ".join(t for t, _ in TRICKY) * 200
    assert len(text) > corpus._COUNT_WITH_NUMPY
    expected = sum(1 for _ in corpus._WORD.finditer(text))
    assert count_words(text) == _numpy_rule(text) == expected
    monkeypatch.setattr(corpus, "_PIECE", 7)  # pieces that cut words in two
    assert count_words(text) == expected


def test_the_corpus_report_counts_words_by_the_same_rule(tmp_path):
    text = "\n".join(t for t, _ in TRICKY if "\ud800" not in t)
    (tmp_path / "a.txt").write_text(text, encoding="utf-8", newline="")
    report = corpus.prepare_corpus(tmp_path).report
    assert report.words == count_words(text)
