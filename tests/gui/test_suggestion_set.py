"""The suggestion rules without Qt: streaming, cycling, whole and partial takes."""

from lstmwriter.gui.suggestions import SuggestionSet, count_words, next_word


def test_next_word_takes_leading_spaces_and_one_word():
    assert next_word(" quick brown") == " quick"
    assert next_word("fox, said") == "fox,"
    assert next_word("\nNext line") == "\n"
    assert next_word("   ") == "   "


def test_count_words():
    assert count_words("") == 0
    assert count_words("  one two\nthree  ") == 3


def test_streamed_pieces_accumulate_per_alternative():
    s = SuggestionSet()
    s.extend(["a", "b", ""])
    s.extend(["c", "", "d"])
    assert s.visible() == ["ac", "b", "d"]
    assert s.current() == "ac"


def test_cycle_skips_empty_alternatives_and_wraps():
    s = SuggestionSet()
    s.extend(["one", "", "three"])
    assert s.cycle(1) == 2
    assert s.current() == "three"
    assert s.cycle(1) == 0
    assert s.cycle(-1) == 2


def test_take_returns_the_alternative_and_clears():
    s = SuggestionSet()
    s.extend([" x", " y"])
    assert s.take(1) == " y"
    assert not s
    assert s.visible() == []


def test_take_word_keeps_the_rest_of_that_alternative_only():
    s = SuggestionSet()
    s.extend([" the sea", " a ship"])
    s.cycle(1)
    assert s.take_word() == " a"
    assert s.visible() == [" ship"]
    s.extend([" wide", " long"])  # streaming goes on
    assert s.visible() == [" ship long"]
    assert s.take_word() == " ship"
    assert s.take() == " long"


def test_dismissed_shows_nothing():
    s = SuggestionSet()
    s.extend(["abc"])
    s.dismissed = True
    assert not s
    assert s.current() == ""
