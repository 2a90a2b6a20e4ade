"""Take docs/screenshots/opening.png: a file whose read does not return (a named
pipe) is being opened while A.txt stays in the editor, read-only.

    xvfb-run -a -s "-screen 0 1024x700x24" python docs/screenshots/make_opening.py

Uses the user's platformdirs folders as they are set (point XDG_DATA_HOME etc.
at a scratch folder).
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication

A_TEXT = ("Chapter one\n\nIt was a fine morning in early spring, and Elizabeth walked "
          "out alone towards the village. She had not gone far before she saw the "
          "carriage turn in at the gate, and she stopped to watch it pass.\n")


def pump(app: QApplication, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)


def main() -> int:
    out = Path(__file__).resolve().parent / "opening.png"
    folder = Path(tempfile.mkdtemp(prefix="lstmwriter-shot-"))
    a = folder / "A.txt"
    a.write_text(A_TEXT, encoding="utf-8")
    slow = folder / "chapter-two.txt"
    os.mkfifo(slow)
    app = QApplication(sys.argv[:1])
    from lstmwriter.gui import create_window, dialogs

    dialogs.ask_unsaved = lambda parent, name: "discard"
    window = create_window()
    window.resize(1024, 700)
    window.move(0, 0)
    window.training_dock.hide()
    window.show()
    loaded: list[str] = []
    window.documents.document_loaded.connect(loaded.append)
    window.documents.open_file(str(a))
    pump(app, 3)
    window.documents.open_file(str(slow))  # never answers until written below
    pump(app, 2)
    window.grab().save(str(out))
    print(f"saved {out}")

    def release() -> None:
        with open(slow, "w", encoding="utf-8") as pipe:
            pipe.write("Chapter two\n")

    threading.Thread(target=release, daemon=True).start()
    pump(app, 2)
    ok = loaded[-1:] == [str(slow)]
    window.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
