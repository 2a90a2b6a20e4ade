"""Write the bundled default model's training and held-out text (unwrapped prose).

The held-out text is exactly what the first default model was measured on: the
corpus loader read ../shared/data/prose (its README.md included, 10,984 bytes then,
10,903 now), joined the files with blank lines, 11,266,788 characters, and kept the
last 5% apart; validation used the first 300,000 predictions of that tail (300,001
characters). The tail lies in the last two novels, so it is cut from the end.
Training text is the 18 novels minus that tail plus the 48 books of
../shared/data/prose_more, each with its hard-wrapped lines joined.

    python3 benchmarks/default_corpus.py --out /tmp/defrun2
    python3 benchmarks/default_corpus.py --memory models/default/memory.npz
    python3 benchmarks/default_corpus.py --words /tmp/wc   # the word model's corpus
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from lstmwriter.core.config import TrainConfig
from lstmwriter.core.corpus import SEPARATOR, CorpusReport, find_files, read_texts
from lstmwriter.core.unwrap import unwrap
from lstmwriter.core.word_memory import WordMemory, words_of

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
HELD_OUT = TrainConfig().max_eval_tokens + 1
OLD_CHARACTERS = 11_266_788  # the first default model's corpus, README.md included


def read_folder(folder: Path) -> tuple[list[Path], list[str]]:
    files, _ = find_files(folder)
    return files, read_texts(files, CorpusReport(str(folder)))


def novels_before_cut(files: list[Path], texts: list[str]) -> tuple[dict, str]:
    """The novels' text before the old 95% cut (by name), and the held-out tail."""
    full = SEPARATOR.join(texts)
    tail = OLD_CHARACTERS - int(OLD_CHARACTERS * (1.0 - TrainConfig().valid_fraction))
    cut = len(full) - tail
    heads, start = {}, 0
    for path, text in zip(files, texts):
        if path.name != "README.md" and start < cut:
            heads[path.name] = text[: cut - start]
        start += len(text) + len(SEPARATOR)
    return heads, full[cut:]


def training_texts(data: Path = DATA) -> tuple[list[str], str]:
    """(the default model's training texts, unwrapped; the whole held-out tail)."""
    files, texts = read_folder(data / "prose")
    heads, tail = novels_before_cut(files, texts)
    more_files, more_texts = read_folder(data / "prose_more")
    more = [t for p, t in zip(more_files, more_texts) if p.name != "README.md"]
    return [unwrap(t) for t in [*heads.values(), *more]], tail


def word_lines(texts: list[str]) -> str:
    """The word model's text (`core.word_lstm`): one paragraph a line, its words
    joined by spaces, punctuation dropped."""
    lines = (" ".join(words_of(line)) for text in texts for line in text.split("\n"))
    return "".join(line + "\n" for line in lines if line)


def _write(path: Path, text: str) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return len(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--memory", type=Path,
                        help="instead, write the word memory of the training text here "
                        "(models/default/memory.npz)")
    parser.add_argument("--words", type=Path,
                        help="instead, write the word model's training text and "
                        "held-out slice here (train/words.txt, valid.txt)")
    args = parser.parse_args()
    if args.memory:
        WordMemory.build(training_texts(args.data)[0]).save(args.memory)
        return
    if args.words:
        texts, tail = training_texts(args.data)
        _write(args.words / "train" / "words.txt", word_lines(texts))
        _write(args.words / "valid.txt", word_lines([unwrap(tail[:HELD_OUT])]))
        return
    if args.out is None:
        parser.error("one of --out, --memory, --words is needed")
    files, texts = read_folder(args.data / "prose")
    heads, tail = novels_before_cut(files, texts)
    held = tail[:HELD_OUT]
    summary = {"prose_characters_now": len(SEPARATOR.join(texts)),
               "held_out_tail": len(tail),
               "heldout.txt": _write(args.out / "heldout.txt", held),
               "heldout_unwrapped.txt": _write(args.out / "heldout_unwrapped.txt",
                                               unwrap(held))}
    chars = {f"prose/{name}": _write(args.out / "train" / "prose" / name, unwrap(text))
             for name, text in heads.items()}
    more_files, more_texts = read_folder(args.data / "prose_more")
    for path, text in zip(more_files, more_texts):
        if path.name != "README.md":
            name = f"prose_more/{path.name}"
            chars[name] = _write(args.out / "train" / name, unwrap(text))
    summary.update(train_files=len(chars), train_characters=sum(chars.values()),
                   files=chars)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
