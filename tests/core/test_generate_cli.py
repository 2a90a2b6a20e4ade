"""`lstmwriter generate`: streaming output, alternatives, JSON, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
import torch

from lstmwriter.cli import main
from lstmwriter.core.config import ModelConfig
from lstmwriter.core.model import LSTMLanguageModel
from lstmwriter.core.store import ModelStore, save_model_dir
from lstmwriter.core.tokenizer import CharTokenizer

from ..conftest import CORPUS_TEXT


@pytest.fixture
def tiny_model() -> str:
    """A random-weight char model saved in the (isolated) store as "tiny"."""
    torch.manual_seed(0)
    tokenizer = CharTokenizer.build(CORPUS_TEXT)
    model = LSTMLanguageModel(ModelConfig(tokenizer.vocab_size, 16, 1, 8))
    save_model_dir(ModelStore().root / "tiny", model, tokenizer)
    return "tiny"


def _run(*args, **kw):
    return subprocess.run([sys.executable, "-m", "lstmwriter", *args],
                          capture_output=True, text=True, timeout=120, check=False,
                          **kw)


def test_one_alternative_streams_seed_and_continuation(tiny_model, capsys):
    args = ["generate", tiny_model, "--seed", "The meaning of life is ", "--length",
            "50", "--temperature", "0.8", "--random-seed", "7"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("The meaning of life is ") and out.endswith("\n")
    assert len(out) == len("The meaning of life is ") + 50 + 1
    assert main(args) == 0
    assert capsys.readouterr().out == out  # the same random seed, the same text
    assert main(["generate", tiny_model, "--length", "20"]) == 0  # no seed
    assert len(capsys.readouterr().out) == 21


def test_alternatives_one_line_each_and_json(tiny_model, capsys):
    assert main(["generate", tiny_model, "--seed", "A writer", "--num", "3",
                 "--length", "40", "--temperature", "1", "--random-seed", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and len(set(lines)) == 3
    assert main(["generate", tiny_model, "--seed", "A writer", "--num", "3",
                 "--length", "40", "--temperature", "0", "--json"]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["index"] for r in rows] == [0]  # greedy: all alike, printed once
    assert all(r["seed"] == "A writer" and r["model"] == "tiny" for r in rows)
    assert main(["generate", tiny_model, "--seed", "A writer", "--json",
                 "--length", "30", "--stop-string", "e", "--random-seed", "3"]) == 0
    (row,) = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert "e" not in row["text"]


def test_output_is_flushed_token_by_token(tiny_model):
    """The first characters arrive long before a long generation ends."""
    env = {**os.environ, "PYTHONUNBUFFERED": "0"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "lstmwriter", "generate", tiny_model, "--seed", "Go",
         "--length", "100000", "--temperature", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        first = os.read(proc.stdout.fileno(), 64)
        got = first
        deadline = time.monotonic() + 60
        while len(got) < 40 and time.monotonic() < deadline:
            got += os.read(proc.stdout.fileno(), 64)
        assert got.startswith(b"Go") and len(got) >= 40
        assert proc.poll() is None  # still generating
    finally:
        proc.kill()
        proc.communicate(timeout=30)


def test_bad_model_exits_2_with_one_line():
    result = _run("generate", "/no/such/model", "--seed", "x")
    assert result.returncode == 2, result.stderr
    assert "no model named" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""


@pytest.mark.parametrize("args,message", [
    (["generate", "{model}", "--seed", ""], "seed text is empty"),
    (["generate", "{model}", "--seed", "x" * 100_001], "at most 100,000"),
    (["generate", "{model}", "--temperature", "-1"], "temperature"),
    (["generate", "{model}", "--temperature", "hot"], "not a number"),
    (["generate", "{model}", "--length", "0"], "length"),
    (["generate", "{model}", "--num", "65"], "alternatives"),
    (["generate", "{model}", "--top-p", "0"], "top-p"),
    (["generate", "{model}", "--top-k", "-2"], "top-k"),
    (["generate", "{model}", "--random-seed", "-1"], "random seed"),
])
def test_bad_values_exit_2_with_one_line(tiny_model, capsys, args, message):
    assert main([a.format(model=tiny_model) for a in args]) == 2
    out, err = capsys.readouterr()
    assert message in err and len(err.strip().splitlines()) == 1 and out == ""
