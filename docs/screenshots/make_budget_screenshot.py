"""Screenshots of the training panel sizing a 5-minute run (dropout, learning rate
and batches to the passes and steps the limit allows), at 1600x1000.

    xvfb-run -a -s "-screen 0 1600x1000x24" python \
        docs/screenshots/make_budget_screenshot.py OUT_DIR CORPUS_FOLDER

Uses the platformdirs folders as set (point XDG_* at scratch folders).
"""

from __future__ import annotations

import sys
from pathlib import Path

from make_panel_screenshots import pump
from PySide6.QtWidgets import QApplication


def main() -> int:
    out, corpus = Path(sys.argv[1]), sys.argv[2]
    app = QApplication(sys.argv[:1])
    from PySide6.QtWidgets import QScrollArea

    from lstmwriter.gui import create_window
    from lstmwriter.gui.app import configure_runtime

    configure_runtime()  # the app's threads: the estimate depends on them
    window = create_window()
    window.show()
    window.resize(1600, 1000)
    panel = window.training
    panel.set_corpus(corpus)
    panel.corpus_path.editingFinished.emit()  # as if typed + Enter
    pump(app, 30, lambda: "characters" in panel.corpus_summary.text())
    panel.time_limit.setValue(5)
    panel.advanced_toggle.setChecked(True)
    pump(app, 1)
    window.grab().save(str(out / "time-limit-5min.png"))  # the note under the preset
    scroll = panel.findChild(QScrollArea)
    scroll.ensureWidgetVisible(panel.fields["learning_rate"])
    pump(app, 1)
    window.grab().save(str(out / "time-limit-5min-fields.png"))
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
