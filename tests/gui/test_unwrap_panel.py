"""The training panel says when a folder is hard-wrapped and lets the joining be
turned off."""

from __future__ import annotations

import textwrap

from lstmwriter.core.corpus import prepare_corpus
from lstmwriter.gui.training_panel import TrainingPanel

PARAGRAPH = ("It was a Monday in early September, and he was returning to his work "
             "from a hurried dip into the country, where the weather had been fine "
             "and the roads were dry. ") * 4


def test_a_hard_wrapped_folder_is_named_in_the_summary_and_can_be_kept(qtbot, tmp_path):
    (tmp_path / "book.txt").write_text(
        "\n\n".join([textwrap.fill(PARAGRAPH, 70)] * 4), encoding="utf-8")
    report = prepare_corpus(tmp_path).report.to_dict()
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.set_corpus(str(tmp_path))
    panel.set_corpus_report(report)
    assert "1 hard-wrapped file: lines inside paragraphs will be joined" in \
        panel.corpus_summary.text()
    assert panel.request().unwrap == "auto"

    panel.unwrap.setChecked(False)
    assert "line breaks kept as they are" in panel.corpus_summary.text()
    assert panel.request().unwrap == "no"
    panel.set_state("training")
    assert not panel.unwrap.isEnabled()


def test_a_folder_without_wrapping_gets_no_note(qtbot, tiny_corpus):
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.set_corpus_report(prepare_corpus(tiny_corpus).report.to_dict())
    assert "hard-wrapped" not in panel.corpus_summary.text()
