"""Joining hard-wrapped prose: the function, its detection, the corpus option."""

from __future__ import annotations

import json
import textwrap

import pytest

from lstmwriter.cli import main
from lstmwriter.core.corpus import encode_file, prepare_corpus
from lstmwriter.core.jobs import TrainRequest, plan_training
from lstmwriter.core.store import ModelStore
from lstmwriter.core.unwrap import is_hard_wrapped, unwrap, wrap_width

SENTENCES = [
    ("Selden paused in surprise, for the afternoon rush of the station had "
     "brought him the sight of a face he knew."),
    ("It was a Monday in early September, and he was returning to his work from "
     "a hurried dip into the country, where the weather had been fine."),
    ("She stood apart from the crowd, letting it drift by her to the platform or "
     "the street, and wearing an air of irresolution which might be a mask."),
    ("He knew that if she did not wish to be seen she would contrive to elude "
     "him, and it amused him to think of putting her skill to the test."),
]
PARAGRAPHS = [" ".join(SENTENCES[i:] + SENTENCES[:i]) for i in range(len(SENTENCES))]
VERSE = ("    Once upon a midnight dreary, while I pondered, weak and weary,\n"
         "    Over many a quaint and curious volume of forgotten lore,\n")
PLAY = "HAMLET\nTo be, or not to be: that is the question.\nOPHELIA\nGood my lord.\n"


def wrapped(paragraphs: list[str] = PARAGRAPHS, width: int = 70) -> str:
    return "\n\n".join(textwrap.fill(p, width) for p in paragraphs) + "\n"


def test_wrapped_paragraphs_become_one_line_each_and_blank_lines_stay():
    text = wrapped()
    assert text.count("\n") > 3 * len(PARAGRAPHS)
    assert unwrap(text) == "\n\n".join(PARAGRAPHS) + "\n"


def test_windows_line_ends_are_read_too():
    assert unwrap(wrapped().replace("\n", "\r\n")) == unwrap(wrapped())


def test_verse_lists_headings_and_short_lines_keep_their_breaks():
    kept = ("CHAPTER I\n\n" + VERSE + "\n- the first item of a list\n- the second\n\n"
            + PLAY + "Yours truly,\nJ. Smith\n\n")
    text = kept + wrapped()
    assert unwrap(text) == kept + "\n\n".join(PARAGRAPHS) + "\n"


def test_an_indented_line_stops_the_joining_but_the_wrap_around_it_is_joined():
    lines = textwrap.fill(PARAGRAPHS[0], 70).split("\n")
    text = "\n".join(lines[:3] + ["    an indented quotation"] + lines[3:])
    out = unwrap(text, width=70)  # (too short a text to find the width itself)
    assert out.split("\n")[0] == " ".join(lines[:3])
    assert out.split("\n")[1] == "    an indented quotation"
    assert out.split("\n")[2] == " ".join(lines[3:])


def test_the_wrap_width_is_found_and_an_unwrapped_text_is_left_alone():
    assert 60 <= wrap_width(wrapped(width=70)) <= 70
    assert wrap_width("one line\n") is None
    flowing = "\n\n".join(PARAGRAPHS) + "\n"
    assert unwrap(flowing) == flowing
    assert unwrap("short\ntext") == "short\ntext"


@pytest.mark.parametrize("width", [60, 72, 79])
def test_hard_wrapped_prose_is_detected(width):
    assert is_hard_wrapped(wrapped(PARAGRAPHS * 2, width))


@pytest.mark.parametrize("text", [
    "\n\n".join(PARAGRAPHS * 3),  # a paragraph per line
    "\n".join(PARAGRAPHS * 3),  # a paragraph per line, no blank lines
    (VERSE + "\n") * 10,  # indented verse
    "\n".join(s.split(",")[0] + "," for s in SENTENCES * 6),  # ragged short lines
    PLAY * 10,  # a play: speakers' names and one-line speeches
    "\n".join(SENTENCES * 6),  # a sentence per line, about as long as a wrap
    wrapped(PARAGRAPHS[:1]),  # too little to tell
])
def test_other_texts_are_not_taken_for_hard_wrapped(text):
    assert not is_hard_wrapped(text)


@pytest.fixture
def mixed_folder(tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "novel.txt").write_text(wrapped(PARAGRAPHS * 3), encoding="utf-8")
    (folder / "poems.txt").write_text((VERSE + "\n") * 5, encoding="utf-8")
    return folder


def test_auto_joins_only_the_hard_wrapped_files_and_says_so(mixed_folder):
    corpus = prepare_corpus(mixed_folder)
    text = corpus.tokenizer.decode(corpus.ids.tolist())
    assert "\n\n".join(PARAGRAPHS) in text
    assert VERSE in text
    assert (corpus.report.hard_wrapped, corpus.report.unwrapped) == (1, 1)
    assert "hard-wrapped lines joined in 1" in corpus.report.summary()


def test_no_reads_lines_as_they_are_and_is_cached_apart(mixed_folder):
    joined = prepare_corpus(mixed_folder)
    kept = prepare_corpus(mixed_folder, unwrap="no")
    assert kept.report.hard_wrapped == 1 and kept.report.unwrapped == 0
    assert "hard-wrapped" not in kept.report.summary()
    assert kept.tokenizer.decode(kept.ids.tolist()).count("\n") > \
        joined.tokenizer.decode(joined.ids.tolist()).count("\n") + 20
    assert prepare_corpus(mixed_folder, unwrap="yes").report.unwrapped == 2
    with pytest.raises(ValueError, match="unwrap"):
        prepare_corpus(mixed_folder, unwrap="maybe")


def test_eval_files_are_read_as_they_are_unless_asked(mixed_folder):
    tokenizer = prepare_corpus(mixed_folder).tokenizer
    novel = mixed_folder / "novel.txt"
    assert encode_file(novel, tokenizer).report.unwrapped == 0
    assert encode_file(novel, tokenizer, unwrap="auto").report.unwrapped == 1


TINY = ["--preset", "char-tiny", "--rnn-size", "16", "--num-layers", "1",
        "--batch-size", "2", "--seq-length", "8", "--eval-every", "5", "--epochs", "1",
        "--device", "cpu", "--threads", "1"]


def test_the_setting_is_recorded_and_a_resumed_run_keeps_it(mixed_folder, capsys):
    assert main(["train", str(mixed_folder), "--name", "w", *TINY, "--unwrap", "no",
                 "--max-time", "600", "--json"]) == 0
    capsys.readouterr()
    config = json.loads((ModelStore().root / "w" / "config.json").read_text())
    assert config["corpus"]["unwrap"] == "no"
    assert config["corpus"]["unwrapped"] == 0
    resumed = plan_training(TrainRequest(mixed_folder, name="w", resume=True,
                                         unwrap="auto"), ModelStore())
    text = resumed.tokenizer.decode(resumed.train_ids.tolist())
    assert textwrap.fill(PARAGRAPHS[0], 70) in text  # still read as wrapped


def test_a_new_run_joins_wrapped_lines_by_default(mixed_folder):
    job = plan_training(TrainRequest(mixed_folder, name="n", preset="char-tiny"),
                        ModelStore())
    assert job.corpus["unwrap"] == "auto" and job.corpus["unwrapped"] == 1
    text = job.tokenizer.decode(list(job.train_ids) + list(job.valid_ids))
    assert PARAGRAPHS[0] in text
