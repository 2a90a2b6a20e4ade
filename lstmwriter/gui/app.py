"""Starting the desktop app: logging, error reporting, CPU settings, the window."""

from __future__ import annotations

import importlib.resources
import logging
import logging.handlers
import sys
import traceback
from pathlib import Path
from types import TracebackType

import platformdirs
import torch

from ..core.device import cpu_count, tune_malloc

__all__ = ["app_icon", "configure_runtime", "log_dir", "run_app", "setup_logging"]

log = logging.getLogger("lstmwriter")
APP_ID = "io.github.lstmwriter"


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
    if not any(isinstance(h, logging.handlers.RotatingFileHandler) for h in root.handlers):
        root.addHandler(handler)
    return path


def configure_runtime() -> None:
    """Leave one core free for the window, and keep malloc from thrashing."""
    torch.set_num_threads(max(1, cpu_count() - 1))
    tune_malloc()


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


_showing_error = False


def _excepthook(kind: type[BaseException], exc: BaseException,
                tb: TracebackType | None) -> None:
    """An exception escaped a slot: log it and say so in a message, keep running."""
    global _showing_error
    log.error("uncaught exception", exc_info=(kind, exc, tb))
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, exc, tb)
        return
    from PySide6.QtWidgets import QApplication, QMessageBox

    if QApplication.instance() is None or _showing_error:
        traceback.print_exception(kind, exc, tb)
        return
    _showing_error = True
    try:
        box = QMessageBox(QMessageBox.Icon.Critical, "Something went wrong",
                          f"{kind.__name__}: {exc}\n\nYour text is safe; the details "
                          f"are in the log ({log_dir()}).",
                          QMessageBox.StandardButton.Ok, QApplication.activeWindow())
        box.setObjectName("errorDialog")
        box.exec()
    finally:
        _showing_error = False


def run_app(argv: list[str] | None = None) -> int:
    """Open the window and run the event loop; returns the exit code."""
    from PySide6.QtWidgets import QApplication

    from . import create_window

    log_path = setup_logging()
    sys.excepthook = _excepthook
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("lstmwriter")
    app.setApplicationDisplayName("lstmwriter")
    app.setDesktopFileName("lstmwriter")  # resources/lstmwriter.desktop
    app.setWindowIcon(app_icon())
    configure_runtime()
    log.info("starting; log in %s; torch threads %d", log_path, torch.get_num_threads())
    window = create_window()
    window.show()
    return app.exec()
