"""Hardening of the command line: numbers in range, one-line errors, no torch for
--help or a usage error, memory refused before allocating, the models store."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from lstmwriter.cli import main
from lstmwriter.commands.common import format_perplexity
from lstmwriter.core.config import ModelConfig, TrainConfig
from lstmwriter.core.store import ModelStore


def _in_fresh_python(argv: list[str]) -> tuple[int, bool, str]:
    """(exit code, whether torch was imported, stderr) of main(argv), run alone."""
    code = (
        "import sys\nfrom lstmwriter.cli import main\n"
        f"try:\n    rc = main({argv!r})\nexcept SystemExit as e:\n    rc = e.code\n"
        "print(rc, 'torch' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True,
                            text=True, timeout=120)
    rc, torch_loaded = result.stdout.split()[-2:]
    return int(rc), torch_loaded == "True", result.stderr


@pytest.mark.parametrize("argv", [
    ["--help"],
    ["train", "--help"],
    ["models", "--help"],
    ["train", "x", "--lr", "inf"],
    ["bogus"],
    ["generate", "default", "--temperature", "-1"],
    ["generate", "default", "--length", "many"],
])
def test_help_and_usage_errors_answer_without_loading_torch(argv):
    rc, torch_loaded, err = _in_fresh_python(argv)
    assert rc == (0 if "--help" in argv else 2), err
    assert not torch_loaded


@pytest.mark.parametrize("option,value", [
    ("--lr", "inf"), ("--lr", "nan"), ("--lr", "1e6"), ("--lr", "0"),
    ("--rnn-size", "100000"), ("--num-layers", "0"), ("--dropout", "1"),
    ("--dropout", "nan"), ("--seed", "-1"), ("--max-time", "inf"),
    ("--grad-clip", "nan"), ("--checkpoint-every", "-1"), ("--epochs", "1e3"),
    ("--batch-size", "-3"), ("--dist-timeout", "inf"), ("--vocab-size", "1"),
])
def test_bad_numbers_exit_2_with_one_line(capsys, option, value):
    assert main(["train", "x", option, value]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert err.startswith(f"lstmwriter train: error: argument {option}")


def test_configs_refuse_non_finite_and_out_of_range_values():
    for bad in (dict(learning_rate=math.inf), dict(grad_clip=math.nan),
                dict(seed=-1), dict(max_time=math.inf), dict(batch_size=10**7)):
        with pytest.raises(ValueError, match="must be"):
            TrainConfig(**bad)
    with pytest.raises(ValueError, match="rnn_size must be an integer from 1"):
        ModelConfig(vocab_size=10, rnn_size=100_000)
    TrainConfig(learning_rate=20.0, seed=0)  # the ptb presets' values stay valid


def test_json_usage_errors_are_error_events(tmp_path, capsys):
    assert main(["train", str(tmp_path / "nothing"), "--json"]) == 2
    out, err = capsys.readouterr()
    (event,) = [json.loads(line) for line in out.splitlines()]
    assert event["event"] == "error" and event["step"] == 0
    assert "no such file or folder" in event["message"] and err.count("\n") == 1
    assert main(["train", "x", "--lr", "inf", "--json"]) == 2
    (event,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert event["event"] == "error" and "--lr" in event["message"]


def test_a_model_too_large_for_memory_is_refused_before_allocating(tiny_corpus,
                                                                  capsys):
    assert main(["train", str(tiny_corpus), "--name", "huge", "--rnn-size", "32768",
                 "--num-layers", "64", "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert "needs at least" in err and "GB" in err
    assert len(err.strip().splitlines()) == 1
    assert not (ModelStore().root / "huge").exists()


def test_parameter_estimate_matches_the_model():
    from lstmwriter.core.capacity import parameter_count
    from lstmwriter.core.model import LSTMLanguageModel

    for config in (ModelConfig(30, 16, 2, 8), ModelConfig(30, 16, 1, 16,
                                                          tie_weights=True)):
        assert parameter_count(config) == LSTMLanguageModel(config).num_parameters()


def test_huge_perplexities_print_in_scientific_notation():
    assert format_perplexity(12.3456) == "12.35"
    assert format_perplexity(math.exp(700.0)) == "1.01e+304"
    assert format_perplexity(math.inf) == "infinite"


def test_models_list_shows_a_damaged_model(tiny_corpus, capsys):
    folder = ModelStore().root / "broken"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{not json", encoding="utf-8")
    assert main(["models", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("broken (damaged)\t") for line in lines)
    assert main(["models", "list", "--json"]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    (row,) = [r for r in rows if r["name"] == "broken"]
    assert row["damaged"] and row["path"] == str(folder)


def test_models_help_names_import_and_export(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "import or export" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["models", "--help"])
    out = capsys.readouterr().out
    assert "import" in out and "export" in out.split("ACTION", 2)[-1]


def test_several_binary_files_are_counted_in_the_plural(tmp_path, capsys):
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_bytes(b"\x00\x01\x02" * 50)
    assert main(["train", str(tmp_path)]) == 2
    assert "(2 binary files (contain NUL bytes))" in capsys.readouterr().err


def test_embedding_zero_means_the_hidden_size_in_the_cli_as_in_the_app(tmp_path):
    """The training panel's "Embedding (0 = hidden)" field allows 0; so does the CLI."""
    import argparse

    from lstmwriter.commands.train import add_parser, request_from_args

    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["train", str(tmp_path), "--embedding-size", "0"])
    assert request_from_args(args).model_overrides["embedding_size"] == 0
    assert ModelConfig(vocab_size=10, rnn_size=32, embedding_size=0).input_size == 32
