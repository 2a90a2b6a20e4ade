"""The pane beside the editor: the streamed alternatives and their controls."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal, Slot
from PySide6.QtGui import QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSlider,
    QSpinBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from ..core.sample_options import DEFAULT_GHOST_AMOUNT

__all__ = ["GHOST_AMOUNT_LABELS", "STOP_MODES", "SuggestionList", "SuggestionPane",
           "SuggestionSettings"]

# (label, SampleOptions.stop)
STOP_MODES = [("characters", "length"), ("to end of line", "line"),
              ("to end of sentence", "sentence")]
# (label, sample_options.GHOST_AMOUNTS key): how much grey text to show
GHOST_AMOUNT_LABELS = [("fewer, surer words", "fewer"), ("balanced", "balanced"),
                       ("more, less sure words", "more")]


@dataclass(frozen=True)
class SuggestionSettings:
    """What the pane's controls say (and the app remembers between runs)."""

    temperature: float = 0.5
    length: int = 60  # characters, when `stop` is "length"
    stop: str = "length"  # SampleOptions.stop: "length" | "line" | "sentence"
    count: int = 3  # alternatives
    ghost: str = DEFAULT_GHOST_AMOUNT  # how much grey text: a GHOST_AMOUNTS key


class _NumberedDelegate(QStyledItemDelegate):
    """Shows "1  text" with line breaks as ⏎; the item's text stays the suggestion."""

    def initStyleOption(self, option: QStyleOptionViewItem,
                        index: QModelIndex | QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        # Qt hands the text over with line breaks as U+2028.
        text = option.text.replace("\u2028", " ⏎ ").replace("\n", " ⏎ ") or "…"
        option.text = f"{index.row() + 1}   {text}"


class SuggestionList(QListWidget):
    """objectName `suggestionList`: one item per alternative, text = suggestion.

    A click, or Enter on the current item, chooses it."""

    chosen = Signal(int)  # row of the alternative to insert
    highlighted = Signal(int)  # the writer moved the selection to this row

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("suggestionList")
        self._showing = False  # in show_alternatives: the row moves, not the writer
        self.setItemDelegate(_NumberedDelegate(self))
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setUniformItemSizes(False)
        self.placeholder = "Suggestions appear here as you type."
        self.currentRowChanged.connect(self._on_current_row_changed)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.count() == 0 and self.placeholder:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.viewport().rect().adjusted(8, 8, -8, -8),
                             Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
                             | Qt.TextFlag.TextWordWrap, self.placeholder)
            painter.end()

    def set_placeholder(self, text: str) -> None:
        """Shown while the list is empty."""
        self.placeholder = text
        self.viewport().update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        item = self.itemAt(event.position().toPoint())
        if item is not None and event.button() == Qt.MouseButton.LeftButton:
            self.chosen.emit(self.row(item))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) \
                and self.currentRow() >= 0:
            self.chosen.emit(self.currentRow())
            return
        super().keyPressEvent(event)

    @Slot(int)
    def _on_current_row_changed(self, row: int) -> None:
        if row >= 0 and not self._showing:
            self.highlighted.emit(row)

    def show_alternatives(self, alternatives: list[str], current: int) -> None:
        """Update the items in place (cheap enough at 50 updates per second)."""
        self._showing = True
        try:
            self._update_items(alternatives, current)
        finally:
            self._showing = False

    def _update_items(self, alternatives: list[str], current: int) -> None:
        while self.count() > len(alternatives):
            self.takeItem(self.count() - 1)
        for row, text in enumerate(alternatives):
            item = self.item(row)
            if item is None:
                item = QListWidgetItem(text)
                item.setToolTip(f"Alt+{row + 1} inserts this")
                self.addItem(item)
            elif item.text() != text:
                item.setText(text)
        if alternatives and self.currentRow() != current:
            self.setCurrentRow(current)


class SuggestionPane(QWidget):
    """Alternatives, temperature, length and number of alternatives."""

    chosen = Signal(int)  # the writer picked alternative n (0-based) in the list
    highlighted = Signal(int)  # the writer moved the list's selection to alternative n
    options_changed = Signal()  # temperature, length, mode or count changed
    train_requested = Signal()  # "no model yet": the writer wants the training panel

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("suggestionPane")
        title = QLabel("<b>Suggestions</b>", self)
        self.status = QLabel(self)
        self.status.setObjectName("suggestionStatus")
        self.status.setWordWrap(True)
        self.train_button = QPushButton("Open the training panel…", self)
        self.train_button.setObjectName("trainHintButton")
        self.train_button.hide()
        self.list = SuggestionList(self)
        self.hint = QLabel(
            "<small>Tab accept · Esc dismiss · Alt+] / Alt+[ next / previous · "
            "Ctrl+→ one word · Alt+1…9 pick</small>", self)
        self.hint.setWordWrap(True)
        self.hint.setObjectName("suggestionKeysHint")

        self.temperature = QSlider(Qt.Orientation.Horizontal, self)
        self.temperature.setObjectName("temperatureSlider")
        self.temperature.setRange(10, 150)
        self.temperature.setSingleStep(5)
        self.temperature.setPageStep(10)
        self.temperature.setValue(50)
        self.temperature.setToolTip("Low: safe, repetitive. High: surprising, erratic.")
        self.temperature_label = QLabel(self)
        self.temperature_label.setMinimumWidth(32)
        self.length_mode = QComboBox(self)
        self.length_mode.setObjectName("lengthModeSelector")
        for label, stop in STOP_MODES:
            self.length_mode.addItem(label, stop)
        self.length = QSpinBox(self)
        self.length.setObjectName("lengthSpin")
        self.length.setRange(5, 400)
        self.length.setValue(60)
        self.length.setSuffix(" chars")
        self.count = QSpinBox(self)
        self.count.setObjectName("alternativesSpin")
        self.count.setRange(1, 9)
        self.count.setValue(3)
        self.ghost_amount = QComboBox(self)
        self.ghost_amount.setObjectName("ghostAmountSelector")
        for label, amount in GHOST_AMOUNT_LABELS:
            self.ghost_amount.addItem(label, amount)
        self.ghost_amount.setCurrentIndex(self.ghost_amount.findData(DEFAULT_GHOST_AMOUNT))
        self.ghost_amount.setToolTip(
            "How sure the model must be before the grey text shows a word: more "
            "words save more typing but are wrong more often.")

        temperature_row = QHBoxLayout()
        temperature_row.addWidget(self.temperature, 1)
        temperature_row.addWidget(self.temperature_label)
        length_row = QHBoxLayout()
        length_row.addWidget(self.length)
        length_row.addWidget(self.length_mode, 1)
        form = QFormLayout()
        form.addRow("Temperature", temperature_row)
        form.addRow("Length", length_row)
        form.addRow("Alternatives", self.count)
        form.addRow("Grey text", self.ghost_amount)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.status)
        layout.addWidget(self.train_button)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.hint)
        layout.addLayout(form)

        self.list.chosen.connect(self.chosen)
        self.list.highlighted.connect(self.highlighted)
        self.train_button.clicked.connect(self.train_requested)
        self.temperature.valueChanged.connect(self._on_temperature_changed)
        self.length.valueChanged.connect(self._on_option_changed)
        self.length_mode.currentIndexChanged.connect(self._on_length_mode_changed)
        self.count.valueChanged.connect(self._on_option_changed)
        self.ghost_amount.currentIndexChanged.connect(self._on_option_changed)
        self._on_temperature_changed(self.temperature.value())

    # -- values ------------------------------------------------------------------
    @property
    def stop_mode(self) -> str:
        """The length mode's SampleOptions.stop."""
        return str(self.length_mode.currentData())

    def settings(self) -> SuggestionSettings:
        """The controls' values."""
        return SuggestionSettings(self.temperature.value() / 100, self.length.value(),
                                  self.stop_mode, self.count.value(),
                                  str(self.ghost_amount.currentData()))

    def apply_settings(self, settings: SuggestionSettings) -> None:
        """Set the controls (remembered settings); each change emits
        options_changed."""
        self.temperature.setValue(round(settings.temperature * 100))
        self.length.setValue(settings.length)
        index = self.length_mode.findData(settings.stop)
        self.length_mode.setCurrentIndex(max(0, index))
        self.count.setValue(settings.count)
        index = self.ghost_amount.findData(settings.ghost)
        if index < 0:  # a setting this version does not know
            index = self.ghost_amount.findData(DEFAULT_GHOST_AMOUNT)
        self.ghost_amount.setCurrentIndex(index)

    # -- state -------------------------------------------------------------------
    def show_alternatives(self, alternatives: list[str], current: int) -> None:
        self.list.show_alternatives(alternatives, current)

    def set_status(self, text: str, no_model: bool = False) -> None:
        """A line above the list; with `no_model`, point to the training panel."""
        self.status.setText(text)
        self.status.setVisible(bool(text))
        self.train_button.setVisible(no_model)

    @Slot(int)
    def _on_temperature_changed(self, value: int) -> None:
        self.temperature_label.setText(f"{value / 100:.2f}")
        self.options_changed.emit()

    @Slot(int)
    def _on_length_mode_changed(self, _index: int) -> None:
        self.length.setEnabled(self.stop_mode == "length")
        self.options_changed.emit()

    @Slot(int)
    def _on_option_changed(self, _value: int) -> None:
        self.options_changed.emit()
