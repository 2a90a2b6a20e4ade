"""Open one large text file in the window (offscreen) and report how long it
took and how long the GUI thread was ever held; run it under `/usr/bin/time -v`
for the peak memory (docs/GUI.md states the multiple of the file size).

    python3 benchmarks/open_large_file.py /tmp/big.txt --make-mb 100
    /usr/bin/time -v python3 benchmarks/open_large_file.py /tmp/big.txt
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path

WORDS = ["the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "while",
         "writer", "writes", "every", "day", "and", "words", "come", "slowly", "at",
         "first", "then", "faster", "like", "rain", "on", "roof"]


def make_file(path: Path, megabytes: int, seed: int = 1) -> None:
    """Lines of 14 random words (about 80 bytes each) up to `megabytes` MB."""
    rng = random.Random(seed)
    lines = [" ".join(rng.choice(WORDS) for _ in range(14)) + "\n" for _ in range(4000)]
    block = "".join(lines).encode("utf-8")
    with open(path, "wb") as out:
        out.writelines(block for _ in range(megabytes * 1_000_000 // len(block) + 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--make-mb", type=int, default=0,
                        help="write a generated file of this size first, then stop")
    parser.add_argument("--no-model", action="store_true",
                        help="hide the bundled model: no suggestions, opening alone")
    args = parser.parse_args()
    if args.make_mb:
        make_file(args.file, args.make_mb)
        print(f"wrote {args.file} ({args.file.stat().st_size / 1e6:.1f} MB)")
        return
    root = Path(tempfile.mkdtemp(prefix="lstmwriter-open-"))
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        os.environ[var] = str(root / var.lower())
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    import lstmwriter.core.store
    from lstmwriter.core.documents import LARGE_FILE_BYTES
    from lstmwriter.gui import create_window

    if args.no_model:
        lstmwriter.core.store.bundled_model_dir = lambda: None
    app = QApplication([])
    window = create_window()
    window.show()
    longest = [0.0, time.perf_counter()]  # longest gap between ticks, last tick

    def tick() -> None:
        now = time.perf_counter()
        longest[0] = max(longest[0], now - longest[1])
        longest[1] = now

    ticker = QTimer()
    ticker.setInterval(10)
    ticker.timeout.connect(tick)
    ticker.start()
    started = longest[1] = time.perf_counter()
    took: list[float] = []

    def loaded(_path: str) -> None:
        took.append(time.perf_counter() - started)
        QTimer.singleShot(3000, app.quit)  # stalls after it (counts, layout) count

    window.documents.document_loaded.connect(loaded)
    opener = window.documents.opener
    opener.start(str(args.file), allow_large=True)  # past the question
    app.exec()
    size = args.file.stat().st_size
    print(f"opened {size / 1e6:.1f} MB in {took[0]:.1f} s; "
          f"longest GUI-thread stall {longest[0] * 1000:.0f} ms; "
          f"{window.editor.document().characterCount() - 1:,} characters; "
          f"asks above {LARGE_FILE_BYTES / 1e6:.0f} MB")
    window.editor.document().setModified(False)
    window.close()


if __name__ == "__main__":
    main()
