"""Take the screenshots in docs/screenshots/ from the real window.

    xvfb-run -a -s "-screen 0 1400x1000x24" python \
        docs/screenshots/make_screenshots.py \
        --model NAME_OR_FOLDER --corpus FOLDER [--out docs/screenshots]

Uses the user's platformdirs folders as they are set (point XDG_DATA_HOME etc.
at a scratch folder that holds the model). States: empty (model loaded, no
text), typing (ghost text and the pane), training (the training
panel's own run on --corpus, after --train-seconds, chart and samples showing).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

TEXT = ("It was a fine morning in early spring, and Elizabeth walked out alone "
        "towards the village. She had not gone far before she saw ")


def pump(app: QApplication, seconds: float, until=None) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if until is not None and until():
            return True
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
    return until() if until is not None else True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--train-seconds", type=float, default=60)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args()

    app = QApplication(sys.argv[:1])
    from lstmwriter.gui import create_window, dialogs
    from lstmwriter.gui.app import configure_runtime

    configure_runtime()
    dialogs.ask_unsaved = lambda parent, name: "discard"
    dialogs.ask_stop_training = lambda parent: True
    window = create_window()
    window.resize(1280, 860)
    window.show()
    window.suggestions.load_model(args.model)
    if not pump(app, 60, lambda: bool(window.suggestions.model_info)):
        print("model did not load", file=sys.stderr)
        return 1
    window.training.set_corpus(str(args.corpus))
    window.training.corpus_path.editingFinished.emit()  # as if typed + Enter
    pump(app, 30, lambda: "characters" in window.training.corpus_summary.text())
    window.editor.setFocus()
    pump(app, 1)
    window.grab().save(str(args.out / "empty.png"))

    window.pane.length.setValue(80)
    for char in TEXT:
        QTest.keyClick(window.editor, char if char != " " else Qt.Key.Key_Space)
        pump(app, 0.03)
    suggestions = window.suggestions
    pump(app, 2, lambda: suggestions.last_request_done is not None
         and suggestions._request is not None
         and suggestions.last_request_done[0] == suggestions._request.request_id)
    pump(app, 0.5)
    window.grab().save(str(args.out / "typing.png"))

    panel = window.training
    panel.preset.setCurrentIndex(panel.preset.findData("char-small"))
    panel.time_limit.setValue(0)
    panel.train_button.click()
    pump(app, args.train_seconds)
    pump(app, 180, lambda: len(panel.chart.valid) >= 2)
    window.grab().save(str(args.out / "training.png"))
    panel.stop_button.click()
    pump(app, 120, lambda: panel.state == "idle")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
