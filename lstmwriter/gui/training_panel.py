"""The training panel (a dock): corpus, settings, Train / Pause / Stop, progress,
the loss chart and the latest samples. Widgets only: the window runs the work."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.config import PRESETS, ModelConfig, preset_names
from ..core.device import available_devices
from ..core.events import Finished, Progress, Sample
from ..core.jobs import TrainingPreview, TrainRequest, preview_training
from ..core.runs import UnfinishedRun
from .loss_chart import LossChart

if TYPE_CHECKING:
    from .workers import TrainPlan

__all__ = ["ADVANCED_FIELDS", "TrainingPanel", "TrainingSettings", "format_duration"]

# (key, label, "model" | "train", kind, minimum, maximum, decimals)
ADVANCED_FIELDS: list[tuple[str, str, str, type, float, float, int]] = [
    ("rnn_size", "Hidden size", "model", int, 4, 4096, 0),
    ("num_layers", "Layers", "model", int, 1, 8, 0),
    ("embedding_size", "Embedding (0 = hidden)", "model", int, 0, 4096, 0),
    ("dropout", "Dropout", "model", float, 0.0, 0.9, 2),
    ("seq_length", "Sequence length", "train", int, 1, 2048, 0),
    ("batch_size", "Batch size", "train", int, 1, 4096, 0),
    ("learning_rate", "Learning rate", "train", float, 1e-5, 1000.0, 5),  # ptb-*: 35
    ("epochs", "Epochs", "train", int, 1, 10_000, 0),
]
_FIELD_NAMES = {
    "rnn_size": "rnnSizeSpin", "num_layers": "numLayersSpin",
    "embedding_size": "embeddingSizeSpin", "dropout": "dropoutSpin",
    "seq_length": "seqLengthSpin", "batch_size": "batchSizeSpin",
    "learning_rate": "learningRateSpin", "epochs": "epochsSpin",
}


@dataclass(frozen=True)
class TrainingSettings:
    """The panel's main choices (the app remembers all but the device)."""

    corpus: str = ""  # the folder of the writer's texts
    level: str = "char"  # "char" | "word"
    preset: str = "auto"
    time_limit: int = 30  # minutes; 0: no limit
    device: str = "auto"


def format_duration(seconds: float | None) -> str:
    """1:05 / 1:02:03; "?" when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return "?"
    seconds = round(max(0.0, seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class TrainingPanel(QWidget):
    """Everything about training a model on the writer's own texts."""

    corpus_selected = Signal(str)  # a folder was picked or typed (Enter)
    level_changed = Signal(str)  # "char" | "word"
    train_clicked = Signal()
    pause_clicked = Signal()  # Pause or Resume, by the current state
    stop_clicked = Signal()
    load_trained_clicked = Signal(str)  # name of the model just trained
    snapshot_toggled = Signal(bool)  # suggest from the model being trained
    resume_run_clicked = Signal(str)  # name of an unfinished run to continue

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingPanel")
        self.state = "idle"  # idle | reading | training | paused | stopping
        self._report: dict[str, Any] | None = None
        self._filling = False
        self._edited: set[str] = set()
        self._base_shape: dict[str, Any] = {}  # the default model's, for fine-tuning
        self._base_level = "char"  # and its token level
        self._trained_name: str | None = None
        self._samples_step = -1
        self._samples: list[str] = []
        self._build()
        self._fill_advanced()
        self.set_state("idle")

    # -- construction ------------------------------------------------------------
    def _build(self) -> None:
        self.corpus_path = QLineEdit(self)
        self.corpus_path.setObjectName("corpusPath")
        self.corpus_path.setPlaceholderText("A folder of your .txt / .md files")
        self.browse_button = QPushButton("Browse…", self)
        self.browse_button.setObjectName("corpusBrowseButton")
        self.corpus_summary = QLabel("No folder chosen yet.", self)
        self.corpus_summary.setObjectName("corpusSummary")
        self.corpus_summary.setWordWrap(True)
        self.corpus_summary.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse)
        self.unwrap = QCheckBox("Join hard-wrapped lines", self)
        self.unwrap.setObjectName("unwrapLines")
        self.unwrap.setChecked(True)
        self.unwrap.setToolTip("In files wrapped at a fixed width (as many books are), "
                               "line breaks inside paragraphs become spaces, so the "
                               "model does not learn to break lines mid-sentence")
        self.unwrap.toggled.connect(self._on_unwrap_toggled)

        self.level = QComboBox(self)
        self.level.setObjectName("levelSelector")
        self.level.addItem("characters", "char")
        self.level.addItem("words", "word")
        self.preset = QComboBox(self)
        self.preset.setObjectName("presetSelector")
        for name in preset_names():
            self.preset.addItem(name, name)
            if name in PRESETS:
                self.preset.setItemData(self.preset.count() - 1,
                                        PRESETS[name].description,
                                        Qt.ItemDataRole.ToolTipRole)
        self.preset_note = QLabel(self)
        self.preset_note.setObjectName("presetNote")
        self.preset_note.setWordWrap(True)
        self.init = QComboBox(self)
        self.init.setObjectName("initSelector")
        self.init.addItem("scratch", "")
        self.init.addItem("the default model", "default")
        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("modelNameEdit")
        self.name_edit.setPlaceholderText("(the folder's name)")
        self.device = QComboBox(self)
        self.device.setObjectName("deviceSelector")
        self.device.addItem("auto", "auto")
        self._devices = devices = available_devices()  # best first
        for name in devices:
            self.device.addItem(name, name)
        self.device.setEnabled(len(devices) > 1)
        self.time_limit = QSpinBox(self)
        self.time_limit.setObjectName("timeLimitSpin")
        self.time_limit.setRange(0, 7 * 24 * 60)
        self.time_limit.setSuffix(" min")
        self.time_limit.setSpecialValueText("no limit")
        self.time_limit.setValue(30)

        self.advanced_toggle = QToolButton(self)
        self.advanced_toggle.setObjectName("advancedToggle")
        self.advanced_toggle.setText("Advanced settings")
        self.advanced_toggle.setCheckable(True)
        self.advanced_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced = QGroupBox(self)
        self.advanced.setObjectName("advancedSettings")
        grid = QFormLayout(self.advanced)
        self.fields: dict[str, QAbstractSpinBox] = {}
        for key, label, _group, kind, low, high, decimals in ADVANCED_FIELDS:
            if kind is int:
                box: QAbstractSpinBox = QSpinBox(self.advanced)
                box.setRange(int(low), int(high))
            else:
                box = QDoubleSpinBox(self.advanced)
                box.setDecimals(decimals)
                box.setRange(low, high)
                box.setSingleStep(10 ** -decimals * (10 if decimals > 2 else 5))
            box.setObjectName(_FIELD_NAMES[key])
            box.valueChanged.connect(self._on_field_changed)
            self.fields[key] = box
            grid.addRow(label, box)
        self.reset_button = QPushButton("Use the preset's values", self.advanced)
        self.reset_button.setObjectName("advancedResetButton")
        grid.addRow(self.reset_button)
        self.advanced.hide()

        self.train_button = QPushButton("Train", self)
        self.train_button.setObjectName("trainButton")
        self.train_button.setDefault(True)
        self.pause_button = QPushButton("Pause", self)
        self.pause_button.setObjectName("pauseButton")
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setObjectName("stopButton")
        self.stop_button.setToolTip("Stop and keep the model trained so far")
        self.progress = QProgressBar(self)
        self.progress.setObjectName("trainingProgress")
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        self.progress.setFormat("")
        self.status = QLabel("", self)
        self.status.setObjectName("trainingStatus")
        self.status.setWordWrap(True)
        self.notices = QLabel("", self)
        self.notices.setObjectName("trainingNotices")
        self.notices.setWordWrap(True)
        self.notices.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notices.hide()
        self._notices: list[str] = []
        self.unfinished = QFrame(self)
        self.unfinished.setObjectName("unfinishedRuns")
        self.unfinished_selector = QComboBox(self.unfinished)
        self.unfinished_selector.setObjectName("unfinishedRunSelector")
        self.resume_run_button = QPushButton("Resume run", self.unfinished)
        self.resume_run_button.setObjectName("resumeRunButton")
        self.resume_run_button.setToolTip("Continue this run from its last checkpoint "
                                          "(it was stopped, or the app was closed "
                                          "unexpectedly)")
        unfinished_row = QHBoxLayout(self.unfinished)
        unfinished_row.setContentsMargins(0, 0, 0, 0)
        unfinished_row.addWidget(QLabel("Unfinished run:", self.unfinished))
        unfinished_row.addWidget(self.unfinished_selector, 1)
        unfinished_row.addWidget(self.resume_run_button)
        self.unfinished.hide()
        self.load_trained = QPushButton(self)
        self.load_trained.setObjectName("loadTrainedButton")
        self.load_trained.hide()
        self.snapshot = QCheckBox("Suggest from the model being trained", self)
        self.snapshot.setObjectName("suggestFromTraining")
        self.snapshot.setToolTip("While training, suggestions come from its latest "
                                 "saved snapshot instead of the loaded model")

        self.chart = LossChart(self)
        self.samples = QPlainTextEdit(self)
        self.samples.setObjectName("samplesView")
        self.samples.setReadOnly(True)
        self.samples.setPlaceholderText("Samples of the model's writing appear here "
                                        "after each validation.")

        settings = QWidget(self)
        form = QFormLayout(settings)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        corpus_row = QHBoxLayout()
        corpus_row.addWidget(self.corpus_path, 1)
        corpus_row.addWidget(self.browse_button)
        form.addRow(self.unfinished)  # here its rows do not change the panel's height
        form.addRow("Your texts", corpus_row)
        form.addRow(self.corpus_summary)
        form.addRow(self.unwrap)
        preset_column = QVBoxLayout()
        preset_column.setSpacing(2)
        preset_column.addWidget(self.preset)
        preset_column.addWidget(self.preset_note)
        form.addRow("Tokens", self.level)
        form.addRow("Preset", preset_column)
        form.addRow("Start from", self.init)
        form.addRow("Model name", self.name_edit)
        form.addRow("Device", self.device)
        form.addRow("Time limit", self.time_limit)
        form.addRow(self.advanced_toggle)
        form.addRow(self.advanced)
        scroll = QScrollArea(self)
        scroll.setWidget(settings)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(340)

        buttons = QHBoxLayout()
        buttons.addWidget(self.train_button)
        buttons.addWidget(self.pause_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        # Every state shows the same rows, so the dock keeps its height.
        lines = self.status.fontMetrics().lineSpacing()
        self.status.setFixedHeight(2 * lines + 4)
        self.notices.setMaximumHeight(3 * lines + 4)
        keep = self.load_trained.sizePolicy()
        keep.setRetainSizeWhenHidden(True)
        self.load_trained.setSizePolicy(keep)
        run = QVBoxLayout()
        run.addLayout(buttons)
        run.addWidget(self.progress)
        run.addWidget(self.status)
        run.addWidget(self.chart, 1)
        run.addWidget(self.load_trained)
        run.addWidget(self.snapshot)
        samples = QVBoxLayout()
        samples.addWidget(self.notices)
        samples.addWidget(QLabel("<b>Latest samples</b>", self))
        samples.addWidget(self.samples, 1)

        layout = QGridLayout(self)
        layout.addWidget(scroll, 0, 0)
        layout.addLayout(run, 0, 1)
        layout.addLayout(samples, 0, 2)
        layout.setColumnStretch(0, 3)
        layout.setColumnStretch(1, 4)
        layout.setColumnStretch(2, 3)

        self.browse_button.clicked.connect(self._on_browse_clicked)
        self.corpus_path.editingFinished.connect(self._on_path_edited)
        self.level.currentIndexChanged.connect(self._on_level_changed)
        self.preset.currentIndexChanged.connect(self._on_preset_changed)
        self.init.currentIndexChanged.connect(self._on_init_changed)
        self.device.currentIndexChanged.connect(self._on_preset_changed)
        self.time_limit.valueChanged.connect(self._on_time_limit_changed)
        self.advanced_toggle.toggled.connect(self._on_advanced_toggled)
        self.reset_button.clicked.connect(self._on_reset_clicked)
        self.train_button.clicked.connect(self.train_clicked)
        self.pause_button.clicked.connect(self.pause_clicked)
        self.stop_button.clicked.connect(self.stop_clicked)
        self.load_trained.clicked.connect(self._on_load_trained_clicked)
        self.resume_run_button.clicked.connect(self._on_resume_run_clicked)
        self.snapshot.toggled.connect(self.snapshot_toggled)

    # -- what to train -----------------------------------------------------------
    @property
    def corpus(self) -> str:
        return self.corpus_path.text().strip()

    @property
    def level_value(self) -> str:
        return str(self.level.currentData())

    def set_corpus(self, path: str) -> None:
        """Put a folder in the field (remembered one, or from a test)."""
        self.corpus_path.setText(path)

    def focus_corpus(self) -> None:
        """Put the keyboard focus in the folder field (where training starts)."""
        self.corpus_path.setFocus()

    def settings(self) -> TrainingSettings:
        """The main choices as the widgets show them."""
        return TrainingSettings(self.corpus, self.level_value,
                                str(self.preset.currentData()), self.time_limit.value(),
                                str(self.device.currentData()))

    def apply_settings(self, settings: TrainingSettings) -> None:
        """Show these choices (one the panel does not offer: its first); in this
        order, as a preset may change the level."""
        self.set_corpus(settings.corpus)
        self.level.setCurrentIndex(max(0, self.level.findData(settings.level)))
        self.preset.setCurrentIndex(max(0, self.preset.findData(settings.preset)))
        self.time_limit.setValue(settings.time_limit)
        self.device.setCurrentIndex(max(0, self.device.findData(settings.device)))

    def set_default_model(self, shape: dict[str, Any] | None,
                          level: str = "char") -> None:
        """Offer "start from the default model" only when it is installed; `shape` is
        its config.json "model" entry, shown in the fields when fine-tuning it, and
        `level` its "level" (fine-tuning keeps it, whatever Tokens says)."""
        self._base_shape = shape or {}
        self._base_level = level
        item = self.init.model().item(1)
        item.setEnabled(shape is not None)
        if shape is None and self.init.currentIndex() == 1:
            self.init.setCurrentIndex(0)
        self._fill_advanced()

    def request(self) -> TrainRequest:
        """The run as the widgets describe it; only edited fields override."""
        model: dict[str, Any] = {}
        train: dict[str, Any] = {}
        for key, _label, group, kind, *_ in ADVANCED_FIELDS:
            if key in self._edited:
                value = kind(self.fields[key].value())
                (model if group == "model" else train)[key] = value
        train["max_time"] = float(self.time_limit.value() * 60)
        train["device"] = str(self.device.currentData())
        init = str(self.init.currentData()) or None
        return TrainRequest(
            corpus=Path(self.corpus).expanduser(),
            name=self.name_edit.text().strip() or None,
            level=None if init else self.level_value,
            preset=str(self.preset.currentData()),
            model_overrides=model, train_overrides=train, init=init,
            unwrap="auto" if self.unwrap.isChecked() else "no",
        )

    # -- corpus summary ------------------------------------------------------------
    def set_corpus_busy(self, done: int, total: int) -> None:
        self.corpus_summary.setText(f"Reading… {done} of {total} files" if total
                                    else "Reading…")

    def set_corpus_report(self, report: dict[str, Any]) -> None:
        """Files, size, characters and skipped files with their reasons."""
        self._report = report
        skipped = report.get("skipped") or []
        files = report.get("files_used", 0)
        text = (f"<b>{files:,}</b> file{'s' if files != 1 else ''} · "
                f"<b>{_size(report.get('bytes', 0))}</b> · "
                f"<b>{report.get('characters', 0):,}</b> characters · "
                f"{report.get('words', 0):,} words")
        text += _wrap_note(report.get("hard_wrapped", 0), self.unwrap.isChecked())
        if skipped:
            reasons: dict[str, int] = {}
            for entry in skipped:
                reasons[entry["reason"]] = reasons.get(entry["reason"], 0) + 1
            detail = "; ".join(f"{n} {why}" for why, n in sorted(reasons.items()))
            text += (f"<br><span style='color:#b35900'>{len(skipped)} skipped: "
                     f"{detail}</span>")
            self.corpus_summary.setToolTip("\n".join(
                f"{Path(e['path']).name}: {e['reason']}" for e in skipped[:40]))
        else:
            self.corpus_summary.setToolTip("")
        self.corpus_summary.setText(text)
        self._fill_advanced()

    def _on_unwrap_toggled(self, _checked: bool) -> None:
        if self._report is not None:
            self.set_corpus_report(self._report)

    def set_corpus_error(self, message: str) -> None:
        self._report = None
        self.corpus_summary.setToolTip(message)
        self.corpus_summary.setText(
            f"<span style='color:#c0392b'>{_escape(message)}</span>")

    # -- run state ---------------------------------------------------------------
    def set_state(self, state: str) -> None:
        """idle | reading | training | paused | stopping: which buttons work."""
        self.state = state
        running = state != "idle"
        self.train_button.setEnabled(not running)
        self.pause_button.setEnabled(state in ("training", "paused"))
        self.pause_button.setText("Resume" if state == "paused" else "Pause")
        self.stop_button.setEnabled(state in ("reading", "training", "paused"))
        for widget in (self.corpus_path, self.browse_button, self.level, self.preset,
                       self.init, self.name_edit, self.time_limit, self.advanced,
                       self.unwrap):
            widget.setEnabled(not running)
        self.level.setEnabled(not running and not self.init.currentData())
        self.device.setEnabled(not running and self.device.count() > 2)
        self.unfinished.setEnabled(not running)
        if state == "reading":
            self.progress.setRange(0, 0)  # busy
            self.progress.setFormat("Reading your texts…")
        elif state == "stopping":
            self.progress.setFormat("Stopping: saving the model…")
        elif state == "paused":
            self.progress.setFormat(f"Paused · {self.progress.value() / 1000:.0%}")
        else:
            self.progress.setRange(0, 1000)
            if state == "idle" and not self.progress.format():
                self.progress.setFormat("Not training")

    def start_run(self) -> None:
        self.chart.clear()
        self.samples.clear()
        self._samples_step = -1
        self.load_trained.hide()
        self.progress.setValue(0)
        self.status.setText("")
        self._notices = []
        self.notices.clear()
        self.notices.hide()

    def show_plan(self, plan: TrainPlan) -> None:
        """What the run trains, once its texts are read."""
        model = plan.model
        base = f", fine-tuning {plan.init_from}" if plan.init_from else ""
        self.status.setText(
            f"Training <b>{_escape(plan.name)}</b>: {plan.preset}, "
            f"{model.rnn_size}×{model.num_layers} LSTM, {plan.level} level{base}")
        self.progress.setRange(0, 1000)
        self.progress.setFormat("Starting…")
        for point in plan.history:  # a resumed run's earlier validations
            self.chart.add_point(point["step"], point.get("train_loss"),
                                 point.get("val_loss"))

    def show_progress(self, event: Progress) -> None:
        self.progress.setValue(round(event.fraction * 1000))
        if self.state == "paused":  # no speed or ETA while nothing runs
            self.progress.setFormat(f"Paused · {event.fraction:.0%}")
        else:
            self.progress.setFormat(f"{event.fraction:.0%} · {event.tokens_per_s:,.0f} "
                                    f"tokens/s · ETA {format_duration(event.eta_s)}")
        self.chart.add_point(event.step, event.train_loss, event.val_loss)

    def show_sample(self, event: Sample) -> None:
        if event.step != self._samples_step:
            self._samples_step = event.step
            self._samples = []
        self._samples.append(f"— temperature {event.temperature:g} —\n"
                             f"{event.text.strip()}")
        self.samples.setPlainText(f"Step {event.step:,}\n\n"
                                  + "\n\n".join(self._samples))

    def show_finished(self, event: Finished) -> None:
        loss = (f", validation loss {event.best_val_loss:.3f}"
                if event.best_val_loss is not None else "")
        verb = "finished" if event.outcome == "done" else "stopped"
        self.status.setText(f"Training {verb} after {event.step:,} steps{loss}. "
                            f"The model <b>{_escape(event.name)}</b> is saved.")
        self.progress.setFormat(f"{verb.capitalize()} · {event.step:,} steps")
        if event.outcome == "done":
            self.progress.setValue(1000)
        self.chart.best = event.best_val_loss  # may come from a last validation
        self.chart.update()
        self._trained_name = event.name
        self.load_trained.setText(f"Use “{event.name}” for suggestions")
        self.load_trained.show()

    @Slot(str, str)
    def model_renamed(self, old: str, new: str) -> None:
        """The store renamed `old`: the "Use" button follows it."""
        if self._trained_name == old:
            self._trained_name = new
            self.load_trained.setText(f"Use “{new}” for suggestions")

    @Slot(str)
    def model_deleted(self, name: str) -> None:
        """The store deleted `name`: there is nothing left to use."""
        if self._trained_name == name:
            self._trained_name = None
            self.load_trained.hide()

    def add_notice(self, message: str) -> None:
        """A warning from the trainer that did not stop the run (a damaged
        checkpoint passed over, a NaN rolled back, a smaller batch)."""
        self._notices.append(message)
        shown = self._notices[-2:]  # three lines at most: the panel keeps its height
        more = len(self._notices) - len(shown)
        lines = "<br>".join(f"⚠ {_escape(n)}" for n in shown)
        if more:
            lines = f"({more} earlier: see the tooltip or the log)<br>{lines}"
        self.notices.setText(f"<span style='color:#b35900'>{lines}</span>")
        self.notices.setToolTip("\n".join(self._notices[-40:]))
        self.notices.show()

    def set_unfinished_runs(self, runs: list[UnfinishedRun]) -> None:
        """Offer Resume for runs whose checkpoint says they did not finish;
        hidden when there are none."""
        current = self.unfinished_selector.currentData()
        self.unfinished_selector.clear()
        for run in runs:
            saved = run.saved[:16].replace("T", " ")
            self.unfinished_selector.addItem(
                f"{run.name} (step {run.step:,}, {saved})", run.name)
        index = self.unfinished_selector.findData(current)
        self.unfinished_selector.setCurrentIndex(max(0, index))
        self.unfinished.setVisible(bool(runs))

    def show_failure(self, message: str) -> None:
        self.status.setText(f"<span style='color:#c0392b'>{_escape(message)}</span>")
        self.progress.setFormat("Failed")

    # -- advanced fields -----------------------------------------------------------
    def _preview(self) -> TrainingPreview:
        """What a run started now would use, as core plans it; the corpus is not
        read again (its size is the scan's) and `auto` is the best device offered."""
        device = str(self.device.currentData())
        fine_tune = bool(self.init.currentData() and self._base_shape)
        return preview_training(
            self.request(), self._report["bytes"] if self._report else 0,
            self._devices[0] if device == "auto" else device,
            ModelConfig.from_dict(self._base_shape) if fine_tune else None,
            self._base_level if fine_tune else None)

    def _fill_advanced(self) -> None:
        try:
            plan = self._preview()
        except ValueError as exc:  # Train would stop with the same message
            self.preset_note.setText(f"<small><span style='color:#c0392b'>"
                                     f"{_escape(str(exc))}</span></small>")
            return
        preset = plan.preset
        if self.preset.currentData() == "auto":
            basis = "for this corpus" if self._report else "until a folder is read"
            note = f"auto → {preset.name} ({basis}): {preset.description}"
        else:
            note = preset.description
        if plan.budget is not None:
            note += f"<br>{_escape(plan.budget.describe())}"
        self.preset_note.setText(f"<small>{note}</small>")
        values = {**plan.model, **plan.train.to_dict()}  # edited fields included
        self._filling = True
        try:
            for key, box in self.fields.items():
                if key in self._edited and values[key] != box.value():
                    self._edited.discard(key)  # fine-tuning keeps the base's shape
                    font = QFont(box.font())
                    font.setBold(False)
                    box.setFont(font)
                box.setValue(values[key])
        finally:
            self._filling = False

    @Slot()
    def _on_field_changed(self) -> None:
        if self._filling:
            return
        box = self.sender()
        for key, field in self.fields.items():
            if field is box:
                self._edited.add(key)
                font = QFont(field.font())
                font.setBold(True)
                field.setFont(font)

    @Slot()
    def _on_reset_clicked(self) -> None:
        self._edited.clear()
        for field in self.fields.values():
            font = QFont(field.font())
            font.setBold(False)
            field.setFont(font)
        self._fill_advanced()

    def set_field(self, key: str, value: float) -> None:
        """Override one advanced setting (as if typed)."""
        self.fields[key].setValue(value)
        self._edited.add(key)

    # -- slots ---------------------------------------------------------------------
    @Slot()
    def _on_browse_clicked(self) -> None:
        start = self.corpus or str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Folder of your texts", start)
        if folder:
            self.corpus_path.setText(folder)
            self.corpus_selected.emit(folder)

    @Slot()
    def _on_path_edited(self) -> None:
        if self.corpus:
            self.corpus_selected.emit(self.corpus)

    @Slot(int)
    def _on_level_changed(self, _index: int) -> None:
        self._fill_advanced()
        self.level_changed.emit(self.level_value)

    @Slot(int)
    def _on_preset_changed(self, _index: int) -> None:
        preset = str(self.preset.currentData())
        if preset in PRESETS and PRESETS[preset].level != self.level_value \
                and not self.init.currentData():
            self.level.setCurrentIndex(self.level.findData(PRESETS[preset].level))
        self._fill_advanced()

    @Slot(int)
    def _on_time_limit_changed(self, _minutes: int) -> None:
        self._fill_advanced()  # a limited run's settings follow its length

    @Slot(int)
    def _on_init_changed(self, _index: int) -> None:
        fine_tune = bool(self.init.currentData())
        self.level.setEnabled(not fine_tune and self.state == "idle")
        for key, _label, group, *_ in ADVANCED_FIELDS:
            if group == "model" and key != "dropout":
                self.fields[key].setEnabled(not fine_tune)
        self._fill_advanced()

    @Slot(bool)
    def _on_advanced_toggled(self, shown: bool) -> None:
        self.advanced.setVisible(shown)
        self.advanced_toggle.setArrowType(Qt.ArrowType.DownArrow if shown
                                          else Qt.ArrowType.RightArrow)

    @Slot()
    def _on_resume_run_clicked(self) -> None:
        name = self.unfinished_selector.currentData()
        if name:
            self.resume_run_clicked.emit(str(name))

    @Slot()
    def _on_load_trained_clicked(self) -> None:
        if self._trained_name:
            self.load_trained_clicked.emit(self._trained_name)


def _wrap_note(files: int, join: bool) -> str:
    """The summary's note on hard-wrapped files, if there are any."""
    if not files:
        return ""
    what = f"{files:,} hard-wrapped file{'s' if files != 1 else ''}"
    return (f"<br>{what}: lines inside paragraphs will be joined" if join
            else f"<br>{what}: line breaks kept as they are")


def _size(n: int) -> str:
    if n >= 1e6:
        return f"{n / 1e6:.1f} MB"
    if n >= 1e3:
        return f"{n / 1e3:.1f} KB"
    return f"{n} bytes"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
