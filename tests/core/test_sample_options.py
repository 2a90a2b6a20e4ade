"""The suggestion pane's length in characters, as tokens of the model's level."""

import pytest

from lstmwriter.core.sample_options import (
    CHARS_PER_WORD,
    LINE_CAP_CHARS,
    SampleOptions,
    suggestion_options,
)


@pytest.mark.parametrize("level", ["char", None])  # None: no model loaded yet
def test_a_character_model_samples_the_length_in_characters(level):
    options = suggestion_options(60, "length", 3, 0.5, level)
    assert options == SampleOptions(num=3, length=60, temperature=0.5, stop="length")


def test_a_word_model_samples_about_one_word_per_five_and_a_half_characters():
    assert suggestion_options(60, "length", 4, 0.8, "word") == SampleOptions(
        num=4, length=round(60 / CHARS_PER_WORD), temperature=0.8, stop="length")
    assert suggestion_options(1, "length", 1, 0.5, "word").length == 1  # never 0


@pytest.mark.parametrize("stop", ["line", "sentence"])
def test_a_stop_at_the_end_of_a_line_or_sentence_is_capped(stop):
    assert suggestion_options(20, stop, 3, 0.5, "char").length == LINE_CAP_CHARS
    assert suggestion_options(20, stop, 3, 0.5, "word").length == round(
        LINE_CAP_CHARS / CHARS_PER_WORD)
    assert suggestion_options(20, stop, 3, 0.5, "word").stop == stop
