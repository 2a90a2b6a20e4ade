"""A small live chart of training and validation loss against step (painted by
hand: no chart library, and a repaint costs well under a millisecond)."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

__all__ = ["LossChart", "nice_ticks"]

_MAX_POINTS = 2000  # per series; older points are thinned out beyond this
TRAIN_COLOR = QColor(52, 120, 198)
VALID_COLOR = QColor(222, 110, 30)


def nice_ticks(low: float, high: float, count: int = 6,
               integer: bool = False) -> list[float]:
    """Round tick values inside [low, high], about `count` of them (1, 2, 2.5 or
    5 times a power of ten apart; with `integer`, whole numbers only)."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low] if math.isfinite(low) else []
    raw = (high - low) / max(1, count)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    if integer:
        step = max(1, round(step))
    first = math.ceil(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    return ticks


class LossChart(QWidget):
    """objectName `lossChart`: `add_point(step, train_loss, val_loss)`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lossChart")
        self.setToolTip("Training and validation loss (lower is better) against "
                        "training step")
        self.setMinimumHeight(110)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.train: list[tuple[float, float]] = []
        self.valid: list[tuple[float, float]] = []
        self.best: float | None = None  # the kept model's, when the run says so

    def sizeHint(self) -> QSize:
        return QSize(360, 180)

    def clear(self) -> None:
        self.train.clear()
        self.valid.clear()
        self.best = None
        self.update()

    def add_point(self, step: int, train_loss: float | None,
                  val_loss: float | None = None) -> None:
        """Add the losses at `step` (None or NaN: no point for that series)."""
        for series, value in ((self.train, train_loss), (self.valid, val_loss)):
            if value is not None and math.isfinite(value):
                series.append((float(step), float(value)))
                if len(series) > _MAX_POINTS:
                    del series[1:-1:2]  # keep the first and last, halve the rest
        self.update()

    # -- painting --------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        text_color = palette.color(QPalette.ColorRole.Text)
        faint = QColor(text_color)
        faint.setAlpha(40)
        metrics = painter.fontMetrics()
        points = self.train + self.valid
        if not points:
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                             "Loss will appear here while a model trains")
            painter.end()
            return
        x_low = min(p[0] for p in points)
        x_high = max(p[0] for p in points)
        y_low = min(p[1] for p in points)
        y_high = max(p[1] for p in points)
        if x_high <= x_low:
            x_high = x_low + 1
        pad = max(0.05, (y_high - y_low) * 0.08)
        y_low, y_high = max(0.0, y_low - pad), y_high + pad
        y_ticks = nice_ticks(y_low, y_high, 5)
        x_ticks = nice_ticks(x_low, x_high, 5, integer=True)  # steps
        label_w = max((metrics.horizontalAdvance(f"{t:g}") for t in y_ticks),
                      default=20)
        plot = QRectF(label_w + 10, 22, self.width() - label_w - 24,
                      self.height() - 22 - metrics.height() - 10)
        if plot.width() < 20 or plot.height() < 20:
            painter.end()
            return

        def to_screen(x: float, y: float) -> QPointF:
            return QPointF(plot.left() + (x - x_low) / (x_high - x_low) * plot.width(),
                           plot.bottom()
                           - (y - y_low) / (y_high - y_low) * plot.height())

        for tick in y_ticks:
            y = to_screen(x_low, tick).y()
            painter.setPen(QPen(faint, 1))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(text_color)
            painter.drawText(QRectF(0, y - metrics.height() / 2, label_w + 4,
                                    metrics.height()),
                             Qt.AlignmentFlag.AlignRight
                             | Qt.AlignmentFlag.AlignVCenter,
                             f"{tick:g}")
        baseline = plot.bottom() + metrics.ascent() + 4
        for tick in x_ticks:
            x = to_screen(tick, y_low).x()
            label = f"{tick:,.0f}"
            width = metrics.horizontalAdvance(label)
            painter.drawText(QPointF(x - width / 2, baseline), label)

        painter.setPen(QPen(faint, 1))
        painter.drawRect(plot)
        for series, color in ((self.train, TRAIN_COLOR), (self.valid, VALID_COLOR)):
            if not series:
                continue
            path = QPainterPath(to_screen(*series[0]))
            for x, y in series[1:]:
                path.lineTo(to_screen(x, y))
            painter.setPen(QPen(color, 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(path)
            if series is self.valid:
                painter.setBrush(color)
                for x, y in series[-60:]:
                    painter.drawEllipse(to_screen(x, y), 2.5, 2.5)
        self._paint_legend(painter, text_color)
        painter.end()

    def legend_texts(self) -> list[str]:
        """The legend: the latest training loss, the latest validation loss and,
        when it is not the latest, the best one (the model that is kept)."""
        train = f" {self.train[-1][1]:.3f}" if self.train else ""
        valid = f" {self.valid[-1][1]:.3f}" if self.valid else ""
        best = min((y for _x, y in self.valid), default=self.best)
        best = best if self.best is None else min(best, self.best)
        if best is not None and self.valid and best < self.valid[-1][1]:
            valid += f" (best {best:.3f})"
        return [f"training loss{train}", f"validation loss{valid}"]

    def _paint_legend(self, painter: QPainter, text_color: QColor) -> None:
        metrics = painter.fontMetrics()
        x = 10.0
        y = 4 + metrics.ascent()
        for text, color in zip(self.legend_texts(), (TRAIN_COLOR, VALID_COLOR)):
            painter.setPen(QPen(color, 3))
            painter.drawLine(QPointF(x, y - metrics.ascent() / 3),
                             QPointF(x + 16, y - metrics.ascent() / 3))
            painter.setPen(text_color)
            painter.drawText(QPointF(x + 20, y), text)
            x += 36 + metrics.horizontalAdvance(text)
