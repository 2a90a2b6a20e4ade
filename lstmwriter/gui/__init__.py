"""The desktop app (PySide6): widgets and wiring only; the work is in `core`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .main_window import MainWindow

__all__ = ["create_window"]


def create_window() -> MainWindow:
    """The main window for the running QApplication, not yet shown."""
    from PySide6.QtWidgets import QApplication

    from .app import app_icon
    from .main_window import MainWindow

    if QApplication.instance() is None:
        raise RuntimeError("create a QApplication before the window")
    window = MainWindow()
    window.setWindowIcon(app_icon())
    return window
