"""Screenshots of the window at 1024x700 and 1600x1000: a run paused, then stopped.

    xvfb-run -a -s "-screen 0 1600x1000x24" python \
        docs/screenshots/make_panel_screenshots.py OUT_DIR CORPUS_FOLDER MODEL

Uses the platformdirs folders as set (point XDG_* at scratch folders).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication

SIZES = [(1024, 700), (1600, 1000)]


def pump(app: QApplication, seconds: float, until=None) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end and not (until is not None and until()):
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)


def grab_sizes(app: QApplication, window, out: Path, state: str) -> None:
    for width, height in SIZES:
        window.resize(width, height)
        pump(app, 1.5)
        window.grab().save(str(out / f"training-{state}-{width}.png"))


def main() -> int:
    out, corpus, model = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    app = QApplication(sys.argv[:1])
    from lstmwriter.gui import create_window, dialogs

    dialogs.ask_unsaved = lambda parent, name: "discard"
    dialogs.ask_stop_training = lambda parent: True
    window = create_window()
    window.show()
    window.suggestions.load_model(model)
    pump(app, 30, lambda: bool(window.suggestions.model_info))
    panel = window.training
    panel.set_corpus(corpus)
    panel.corpus_path.editingFinished.emit()  # as if typed + Enter
    pump(app, 20, lambda: "characters" in panel.corpus_summary.text())
    panel.preset.setCurrentIndex(panel.preset.findData("char-tiny"))
    panel.set_field("rnn_size", 32)
    panel.set_field("epochs", 10_000)
    panel.name_edit.setText("zora1")
    panel.advanced_toggle.setChecked(True)
    panel.train_button.click()
    pump(app, 120, lambda: len(panel.chart.valid) >= 3)
    panel.pause_button.click()
    grab_sizes(app, window, out, "paused")
    panel.pause_button.click()
    pump(app, 3)
    panel.stop_button.click()
    pump(app, 60, lambda: panel.state == "idle")
    grab_sizes(app, window, out, "stopped")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
