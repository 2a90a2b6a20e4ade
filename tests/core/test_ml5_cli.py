"""`lstmwriter models import` and `lstmwriter models export`."""

from __future__ import annotations

import json

import pytest

from lstmwriter.cli import main
from lstmwriter.core.store import ModelStore

from .test_ml5 import SMALL_VOCAB, random_ml5, write_ml5


def test_import_then_export_both_formats(tmp_path, capsys):
    vocab = {**SMALL_VOCAB, "\u00c3\u00b6": 7}  # a mojibake key: repaired, reported
    folder = write_ml5(tmp_path / "hemingway", random_ml5(vocab), vocab)
    assert main(["models", "import", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "read as '\u00f6'" in out and "imported hemingway" in out
    assert main(["models", "import", str(folder), "--name", "Papa"]) == 0
    assert {"hemingway", "Papa"} <= set(ModelStore().names())
    capsys.readouterr()

    web = str(tmp_path / "web")
    assert main(["models", "export", "Papa", "--format", "ml5", web]) == 0
    exported = json.loads((tmp_path / "web" / "vocab.json").read_text())
    assert exported == {**SMALL_VOCAB, "\u00f6": 7}
    assert "exported Papa (ml5)" in capsys.readouterr().out

    pytest.importorskip("onnx")
    assert main(["models", "export", "Papa", "--format", "onnx", str(tmp_path)]) == 0
    assert (tmp_path / "Papa.onnx").stat().st_size > 1000


@pytest.mark.parametrize("args, message", [
    (["import", "{tmp}/nowhere"], "no such folder"),
    (["import", "{tmp}", "--name", "x"], "no manifest.json"),
    (["export", "nobody", "--format", "ml5", "{tmp}/out"], "no model named 'nobody'"),
])
def test_errors_are_one_line_and_exit_2(tmp_path, capsys, args, message):
    args = [a.format(tmp=tmp_path) for a in args]
    assert main(["models", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_export_format_is_required(capsys):
    assert main(["models", "export", "m", "out"]) == 2  # argparse's error, one line
    err = capsys.readouterr().err
    assert "--format" in err and len(err.strip().splitlines()) == 1
