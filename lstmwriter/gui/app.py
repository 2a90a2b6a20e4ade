"""Starting the desktop app: logging, error reporting, CPU settings, the window."""

from __future__ import annotations

import gc
import importlib.resources
import logging
import logging.handlers
import os
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType

import platformdirs
import torch

from ..core.device import cpu_count, tune_malloc

__all__ = [
    "app_icon",
    "configure_runtime",
    "excepthook",
    "log_dir",
    "run_app",
    "settle_runtime",
    "setup_logging",
]

log = logging.getLogger("lstmwriter")
APP_ID = "io.github.lstmwriter"
SWITCH_INTERVAL_S = 0.001


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir("lstmwriter", appauthor=False))


def setup_logging() -> Path:
    """Log to a rotating file under the platformdirs log dir; returns its path."""
    folder = log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "lstmwriter.log"
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000,
                                                   backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter(
        "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
    root = logging.getLogger("lstmwriter")
    root.setLevel(logging.INFO)
    rotating = logging.handlers.RotatingFileHandler
    if not any(isinstance(h, rotating) for h in root.handlers):
        root.addHandler(handler)
    return path


def configure_runtime() -> None:
    """Leave one core free for the window, keep malloc from thrashing, and let
    the GUI thread have the GIL back within 1 ms of a worker's Python stretch
    (the default 5 ms doubled the event-loop stalls while training; see
    benchmarks/gui_results.md)."""
    torch.set_num_threads(max(1, cpu_count() - 1))
    tune_malloc()
    sys.setswitchinterval(SWITCH_INTERVAL_S)


def settle_runtime() -> threading.Thread:
    """Keep Python's cycle collector from freezing the window; call it once the
    window is up.

    A full collection walks every object the process has: with Qt, torch and the
    window that is ~200,000 of them, 0.1-0.4 s with the GIL held, and the first
    training run doubles them (torch.optim imports torch._dynamo, ~800 modules,
    on its first use). Measured: the 240-530 ms stalls after Train were exactly
    those collections. So the objects made so far, which live as long as the app,
    are frozen out of the collector's sight, and what training will import is
    imported now, on a thread with the collector paused, then frozen too.
    """
    gc.freeze()
    thread = threading.Thread(target=_import_training_modules, name="warm-up",
                              daemon=True)
    thread.start()
    return thread


def _import_training_modules() -> None:
    gc.disable()  # the import makes ~200,000 objects: no full collection meanwhile
    try:
        import torch._dynamo  # noqa: F401 - what torch.optim imports on first use
    except Exception:  # an older or trimmed torch: training imports what it needs
        log.warning("could not import torch._dynamo ahead of training", exc_info=True)
    finally:
        gc.freeze()
        gc.enable()


def app_icon():
    """The app icon from the packaged resources (SVG plus PNG sizes)."""
    from PySide6.QtGui import QIcon

    icon = QIcon()
    try:
        root = importlib.resources.files("lstmwriter.resources")
    except ModuleNotFoundError:  # a source tree that is not installed
        root = Path(__file__).resolve().parents[2] / "resources"
    for size in (16, 24, 32, 48, 64, 128, 256):
        png = root / "icons" / f"lstmwriter-{size}.png"
        if png.is_file():
            icon.addFile(str(png))
    svg = root / "lstmwriter.svg"
    if svg.is_file():
        icon.addFile(str(svg))
    return icon


_crash_box = None


def excepthook(kind: type[BaseException], exc: BaseException,
               tb: TracebackType | None) -> None:
    """An exception escaped a slot: log it and say so in a message (not modal, so
    a burst of them cannot stack up nested event loops); the window keeps running."""
    log.error("uncaught exception", exc_info=(kind, exc, tb))
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, exc, tb)
        return
    from PySide6.QtWidgets import QApplication, QMessageBox

    app = QApplication.instance()
    if app is None:
        traceback.print_exception(kind, exc, tb)
        return
    global _crash_box
    if _crash_box is not None and _crash_box.isVisible():
        return  # one message at a time
    box = QMessageBox(QMessageBox.Icon.Critical, "Something went wrong",
                      f"{kind.__name__}: {exc}\n\nYour text is safe; the details are "
                      f"in the log ({log_dir()}).", QMessageBox.StandardButton.Ok,
                      QApplication.activeWindow())
    box.setObjectName("crashDialog")
    box.open()
    _crash_box = box  # a box without a parent lives as long as this reference


def run_app(argv: list[str] | None = None) -> int:
    """Open the window and run the event loop; returns the exit code."""
    from PySide6.QtWidgets import QApplication

    from . import create_window

    log_path = setup_logging()
    sys.excepthook = excepthook
    app = QApplication.instance() or QApplication(
        argv if argv is not None else sys.argv)
    app.setApplicationName("lstmwriter")
    app.setApplicationDisplayName("lstmwriter")
    app.setDesktopFileName("lstmwriter")  # resources/lstmwriter.desktop
    app.setWindowIcon(app_icon())
    configure_runtime()
    log.info("starting; log in %s; torch threads %d", log_path, torch.get_num_threads())
    window = create_window()
    window.show()
    settle_runtime()
    quit_after = os.environ.get("LSTMWRITER_QUIT_AFTER_MS")  # smoke tests of builds
    if quit_after:
        from PySide6.QtCore import QTimer

        QTimer.singleShot(int(quit_after), window.close)
    return app.exec()
