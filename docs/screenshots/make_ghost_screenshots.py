"""Screenshots of the best guess as grey text, at 1600x1000 and 1024x700, and
a few words on, with the pane's "Grey text" at "balanced" and at "more"
(ghost-balanced-1024.png, ghost-more-1024.png); then a scene of a play, where
after a speech it offers the speaker whose turn it is (ghost-play-1024.png).

    xvfb-run -a -s "-screen 0 1600x1000x24" python \
        docs/screenshots/make_ghost_screenshots.py [OUT_DIR]

Loads the bundled default model (training panel hidden); uses the platformdirs
folders as set (point XDG_* at scratch folders so no remembered settings get in).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

SIZES = [(1600, 1000), (1024, 700)]
TEXT = ("It was a fine morning in early spring, and Elizabeth walked out alone "
        "towards the village. The road was dry, the hedges were white with blossom, "
        "and the larks were singing over the fields. She had not gone far before "
        "she saw Mr. Darcy coming towards her, and he said, \"Good morning, Miss Eliz")
MORE_TEXT = "abeth. I"
PLAY = ("SELINA:\nYou are late again, and the tea is cold.\n\n"
        "MARCUS:\nThe train stopped at every village on the line.\n\n"
        "SELINA:\nIt always does, and you always blame it.\n\n"
        "MARCUS:\nWould you rather I blamed the weather?\n\n"
        "SELINA:\nI would rather you came home on time.\n\n"
        "MARCUS:\nThen I shall walk next Tuesday.\n\n")


def pump(app: QApplication, seconds: float, until=None) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end and not (until is not None and until()):
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
    return until() if until is not None else True


def shoot(app: QApplication, window, path: Path) -> None:
    """Once the latest suggestions are in, save the window to `path`."""
    done = pump(app, 30, lambda: window.suggestions._request is not None
                and (window.suggestions.last_request_done or (0, ""))[0]
                == window.suggestions._request.request_id)
    pump(app, 1)
    print(f"{path.name}: ghost {window.editor.ghost_text()!r}, done {done}")
    window.grab().save(str(path))


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
    app = QApplication(sys.argv[:1])
    from lstmwriter.gui import create_window, dialogs

    dialogs.ask_unsaved = lambda parent, name: "discard"
    window = create_window()
    window.show()
    window.suggestions.load_model("default")
    if not pump(app, 60, lambda: bool(window.suggestions.model_info)):
        print("the default model did not load", file=sys.stderr)
        return 1
    window.training_dock.hide()
    window.editor.setFocus()
    window.editor.insertPlainText(TEXT[:-8])
    QTest.keyClicks(window.editor, TEXT[-8:])  # typed: the last keystrokes ask
    for width, height in SIZES:
        window.resize(width, height)
        shoot(app, window, out / f"ghost-{width}.png")
    QTest.keyClicks(window.editor, MORE_TEXT)  # "balanced" is sure of nothing here
    shoot(app, window, out / "ghost-balanced-1024.png")
    selector = window.pane.ghost_amount
    selector.setCurrentIndex(selector.findData("more"))
    shoot(app, window, out / "ghost-more-1024.png")
    selector.setCurrentIndex(selector.findData("balanced"))
    window.editor.selectAll()
    window.editor.insertPlainText(PLAY[:-1])
    QTest.keyClick(window.editor, Qt.Key.Key_Return)  # typed: the blank line
    shoot(app, window, out / "ghost-play-1024.png")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
