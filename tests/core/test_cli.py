import json
import math
import subprocess
import sys

import pytest

from lstmwriter.cli import main


def _run(*args):
    return subprocess.run([sys.executable, "-m", "lstmwriter", *args],
                          capture_output=True, text=True, timeout=300)


def test_train_json_events_then_eval_and_models(tiny_corpus, capsys):
    code = main(["train", str(tiny_corpus), "--name", "tiny", "--preset", "char-tiny",
                 "--rnn-size", "16", "--epochs", "2", "--eval-every", "5",
                 "--device", "cpu", "--json"])
    assert code == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    kinds = {e["event"] for e in events}
    assert {"progress", "sample", "checkpoint", "done"} <= kinds
    assert all("step" in e for e in events)
    progress = [e for e in events if e["event"] == "progress"]
    assert {"train_loss", "val_loss", "tokens_per_s"} <= set(progress[-1])
    assert events[-1]["event"] == "done" and events[-1]["name"] == "tiny"

    assert main(["eval", "tiny", str(tiny_corpus / "a.txt"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {"loss", "perplexity", "bits_per_char", "tokens"} <= set(result)
    assert result["perplexity"] == pytest.approx(2.718281828 ** result["loss"])

    assert main(["models", "list", "--json"]) == 0
    names = [json.loads(x)["name"] for x in capsys.readouterr().out.splitlines()]
    assert "tiny" in names

    # a second run under the same name is refused, --resume continues it
    assert main(["train", str(tiny_corpus), "--name", "tiny"]) == 2
    assert main(["train", str(tiny_corpus), "--name", "tiny", "--resume", "--epochs",
                 "3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["event"] == "done"


@pytest.mark.parametrize("args,message", [
    (["train", "/no/such/folder"], "no such file or folder"),
    (["train", "{empty}"], "no text files found"),
    (["eval", "no-such-model", "x.txt"], "no model named"),
    (["train", "{corpus}", "--resume"], "--resume needs --name"),
    (["models", "delete", "default"], "read-only"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, tiny_corpus, args, message):
    (tmp_path / "empty").mkdir()
    args = [a.format(empty=tmp_path / "empty", corpus=tiny_corpus) for a in args]
    result = _run(*args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_argparse_errors_and_version():
    assert _run("train", "x", "--batch-size", "-3").returncode == 2
    version = _run("--version")
    assert version.returncode == 0 and version.stdout.startswith("lstmwriter ")


def test_eval_reports_the_training_loops_perplexity_per_word_with_eos(tmp_path, capsys):
    """One loss code path: `eval` on the validation file gives the trainer's figure,
    counting one <eos> per line as the PTB papers do."""
    lines = ["the cat sat on the mat", "a dog ran in the park", "the dog sat on a cat"]
    (tmp_path / "train.txt").write_text("\n".join(lines * 30) + "\n", encoding="utf-8")
    valid = tmp_path / "valid.txt"
    valid.write_text("the cat ran in the park\na dog sat on the mat\n",
                     encoding="utf-8")
    assert main(["train", str(tmp_path / "train.txt"), "--valid", str(valid),
                 "--name", "words", "--preset", "ptb-small", "--rnn-size", "16",
                 "--embedding-size", "16", "--epochs", "2", "--seq-length", "5",
                 "--device", "cpu", "--json"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    best = events[-1]["best_val_loss"]  # the saved model's validation loss

    assert main(["eval", "words", str(valid), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    # words and <eos>; the first is context
    assert result["tokens"] == 6 + 1 + 6 + 1 - 1
    assert result["loss"] == pytest.approx(best, abs=1e-5)  # events round to 5 places
    assert result["perplexity"] == pytest.approx(math.exp(best), rel=1e-4)
