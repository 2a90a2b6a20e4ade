"""The suggestion rules without Qt: streaming, cycling, whole and partial takes."""

from lstmwriter.gui.suggestions import SuggestionSet, next_word


def test_next_word_takes_leading_spaces_and_one_word():
    assert next_word(" quick brown") == " quick"
    assert next_word("fox, said") == "fox"
    assert next_word(", said he") == ", said"
    assert next_word("\nNext line") == "\nNext"
    assert next_word("   ") == "   "
    assert next_word("!") == "!"


def test_streamed_pieces_accumulate_per_alternative():
    s = SuggestionSet()
    s.extend(["a", "b", ""])
    s.extend(["c", "", "d"])
    assert s.visible() == ["ac", "b", "d"]
    assert s.current() == ""  # no best guess: the ghost shows no sample
    s.extend_best(" best")
    assert s.current() == " best" and s.index == SuggestionSet.BEST


def test_cycle_skips_empty_alternatives_and_wraps():
    s = SuggestionSet()
    s.extend(["one", "", "three"])
    assert s.visible() == ["one", "three"]
    assert s.cycle(1) == 0 and s.current() == "one"  # best guess -> first
    assert s.cycle(1) == 1
    assert s.current() == "three"
    assert s.cycle(1) == SuggestionSet.BEST and s.current() == ""
    assert s.cycle(-1) == 1


def test_take_returns_the_alternative_and_clears():
    s = SuggestionSet()
    s.extend([" x", " y"])
    assert s.take(1) == " y"
    assert not s
    assert s.visible() == []


def test_take_word_keeps_the_rest_of_that_alternative_only():
    s = SuggestionSet()
    s.extend([" the sea", " a ship"])
    s.select(1)
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


def test_blank_alternatives_are_never_shown_or_taken():
    s = SuggestionSet()
    s.extend(["\n", " " * 300, " word", "\t \n"])
    assert s.visible() == [" word"]
    assert s.take(1) == ""  # Alt+2: there is no second one
    assert s.take(0) == " word"
    s.extend(["\n", "  "])
    assert not s and s.visible() == [] and s.current() == ""


def test_identical_alternatives_are_merged():
    s = SuggestionSet()
    s.extend([" the sea", " a ship", " the sea", " a boat"])
    assert s.visible() == [" the sea", " a ship", " a boat"]
    s.extend([".", "", " wide", ""])  # they differ now: both are shown
    assert s.visible() == [" the sea.", " a ship", " the sea wide", " a boat"]


def test_the_shown_alternative_stays_while_others_appear():
    s = SuggestionSet()
    s.extend(["\n", " b"])
    assert s.select(0) == 0 and s.current() == " b"
    s.extend(["Then", "y"])  # the first one has text now: it is listed first
    assert s.visible() == ["\nThen", " by"]
    assert s.index == 1 and s.current() == " by"


def test_select_picks_a_visible_alternative():
    s = SuggestionSet()
    s.extend([" one", "  ", " two", " three"])
    assert s.select(1) == 1 and s.current() == " two"
    assert s.select(7) == 2 and s.current() == " three"
    assert s.take() == " three"


def test_a_partial_take_leaving_only_spaces_shows_nothing():
    s = SuggestionSet()
    s.extend([" sea  "])
    s.select(0)
    assert s.take_word() == " sea"
    assert not s and s.visible() == []
    s = SuggestionSet()
    s.extend_best(" tide  ")
    assert s.take_word() == " tide"
    assert not s and s.current() == ""


def test_the_best_guess_is_taken_word_by_word_and_whole():
    s = SuggestionSet()
    s.extend([" a ship"])
    s.extend_best(" the sea")
    assert s.take_word() == " the" and s.current() == " sea"
    assert s.visible() == []  # the pane's samples no longer fit the text
    assert s.take() == " sea" and not s
