"""Start-up pieces: the excepthook, resources, logging, a worker's failure."""

import sys
import xml.dom.minidom
from configparser import ConfigParser
from importlib.resources import files

import pytest
import torch
from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QApplication, QMessageBox

from lstmwriter.core.jobs import TrainRequest
from lstmwriter.gui.app import app_icon, excepthook, log_dir, setup_logging
from lstmwriter.gui.workers import TrainWorker, WorkerThreads


class Recorder(QObject):
    """Receives worker signals in the GUI thread, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str]] = []

    @Slot(str)
    def on_failed(self, message: str) -> None:
        self.seen.append(("failed", message))

    @Slot(str)
    def on_finished(self, outcome: str) -> None:
        self.seen.append(("finished", outcome))


def test_train_worker_reports_a_failure_and_finishes_last(qtbot, tiny_corpus):
    if torch.cuda.device_count() > 7:
        pytest.skip("this machine has a cuda:7")
    threads = WorkerThreads()
    recorder = Recorder()
    worker = TrainWorker(TrainRequest(tiny_corpus, preset="char-tiny",
                                      train_overrides={"device": "cuda:7"}))
    worker.failed.connect(recorder.on_failed)
    worker.finished.connect(recorder.on_finished)
    threads.start(worker, "training")
    qtbot.waitUntil(lambda: len(recorder.seen) == 2, timeout=30_000)
    (kind, message), last = recorder.seen
    assert kind == "failed" and "CUDA" in message
    assert last == ("finished", "failed")
    assert threads.stop_all(10_000)
    assert not threads.busy()


def crash_dialogs() -> list[QMessageBox]:
    return [w for w in QApplication.allWidgets()
            if isinstance(w, QMessageBox) and w.objectName() == "crashDialog"]


def test_excepthook_shows_a_message_and_keeps_running(qtbot):
    for _ in range(2):  # a second one while the first shows adds no second box
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            excepthook(*sys.exc_info())
    shown = [box for box in crash_dialogs() if box.isVisible()]
    assert len(shown) == 1 and "boom" in shown[0].text()
    shown[0].close()
    assert not any(box.isVisible() for box in crash_dialogs())


def test_logging_goes_to_the_user_log_dir():
    path = setup_logging()
    assert path.parent == log_dir() and path.is_file()


def test_icon_and_desktop_files_are_packaged(qapp):
    icon = app_icon()
    assert not icon.isNull()
    sizes = {s.width() for s in icon.availableSizes()}
    assert {16, 32, 48, 256} <= sizes
    root = files("lstmwriter.resources")
    desktop = ConfigParser(interpolation=None)
    desktop.optionxform = str
    desktop.read_string(root.joinpath("lstmwriter.desktop").read_text(encoding="utf-8"))
    entry = desktop["Desktop Entry"]
    assert entry["Exec"] == "lstmwriter" and entry["Icon"] == "io.github.lstmwriter"
    meta = xml.dom.minidom.parseString(
        root.joinpath("io.github.lstmwriter.metainfo.xml").read_bytes())
    assert meta.getElementsByTagName("id")[0].firstChild.data == "io.github.lstmwriter"
    assert meta.getElementsByTagName("launchable")[0].firstChild.data == \
        "lstmwriter.desktop"
