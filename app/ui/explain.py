"""Why a card was recommended: the score's parts as a chart, the drivers, the sound, the reasons.

Everything shown comes from the Recommendation the engine computed (every recommendation carries its
ScoreBreakdown: docs/architecture.md): the panel formats numbers and words, it never recomputes or adds a part.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QGridLayout, QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from app.domain.music import AudioDescriptors
from app.domain.recommendation import PART_LABELS, Driver, Recommendation, ScoreBreakdown, ScorePart, SoundMatch
from app.ui.cards import creators_text, stars_text

EMPTY_TEXT = "Select a card to see why it was recommended."


def number(x: float) -> str:
    """Two decimals, three for small non-zero numbers so a 0.004 contribution does not read as nothing."""
    return f"{x:.3f}" if 0 < abs(x) < 0.1 else f"{x:.2f}"


def part_label(part: ScorePart) -> str:
    """The part's human text and its name, e.g. 'People with your taste liked it (collaborative)'."""
    human = PART_LABELS.get(part.name)
    return f"{human[:1].upper()}{human[1:]} ({part.name})" if human else part.name


def part_numbers(part: ScorePart) -> str:
    """value × weight = contribution, as numbers."""
    return f"{number(part.value)} × {number(part.weight)} = {number(part.contribution)}"


def driver_text(driver: Driver) -> str:
    """'Fargo 5★ (similarity 0.82)'."""
    return f"{driver.title} {stars_text(driver.stars)}★ (similarity {driver.similarity:.2f})"


def ordered_parts(breakdown: ScoreBreakdown) -> list[ScorePart]:
    """The parts, largest contribution first (the order ScoreBreakdown.as_dict uses)."""
    return sorted(breakdown.parts, key=lambda p: -p.contribution)


def chart_description(breakdown: ScoreBreakdown) -> str:
    """The chart in words for screen readers: every part with its value, weight and contribution."""
    rows = [f"{part_label(p)}: value {number(p.value)} × weight {number(p.weight)} = {number(p.contribution)}"
            for p in ordered_parts(breakdown)]
    return "Score parts, largest first: " + "; ".join(rows) + f". Total score {number(breakdown.total)}."


class ScoreChart(QWidget):
    """A horizontal bar per score part, largest first, each labelled and with value × weight = contribution."""

    def __init__(self, parent: QWidget | None = None) -> None:
        """Start with no breakdown."""
        super().__init__(parent)
        self.setObjectName("scoreChart")
        self.setAccessibleName("Score breakdown chart")
        self._breakdown: ScoreBreakdown | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def breakdown(self) -> ScoreBreakdown | None:
        """The breakdown drawn."""
        return self._breakdown

    def set_breakdown(self, breakdown: ScoreBreakdown | None) -> None:
        """Draw breakdown (None: draw nothing)."""
        self._breakdown = breakdown
        self.setAccessibleDescription(chart_description(breakdown) if breakdown is not None else "")
        # a narrow panel elides long labels; the tooltip keeps every word within reach of the pointer
        self.setToolTip("\n".join(f"{label}: {numbers}" for label, numbers in self.rows()))
        self.updateGeometry()
        self.update()

    def rows(self) -> list[tuple[str, str]]:
        """What each bar is labelled with, top to bottom: (the part's words and name, value × weight = share)."""
        if self._breakdown is None:
            return []
        return [(part_label(p), part_numbers(p)) for p in ordered_parts(self._breakdown)]

    def _metrics(self) -> tuple[float, float, float]:
        line = float(self.fontMetrics().height())
        return line, line * 0.6, line * 0.7  # text line, bar thickness, gap between rows

    def sizeHint(self) -> QSize:
        """Room for every row and the total line, from the font."""
        line, bar, gap = self._metrics()
        rows = len(self._breakdown.parts) if self._breakdown is not None else 0
        height = rows * (line + 4 + bar + gap) + (line + 4 if rows else 0)
        return QSize(self.fontMetrics().averageCharWidth() * 44, math.ceil(height))

    def minimumSizeHint(self) -> QSize:
        """As tall as the rows need; narrow is fine (labels elide)."""
        hint = self.sizeHint()
        return QSize(self.fontMetrics().averageCharWidth() * 20, hint.height())

    def paintEvent(self, event: QPaintEvent) -> None:
        """Label and numbers on one line, the bar under them; the bar's length is the part's share."""
        if self._breakdown is None or not self._breakdown.parts:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text, muted = palette.color(QPalette.ColorRole.Text), palette.color(QPalette.ColorRole.PlaceholderText)
        highlight = palette.color(QPalette.ColorRole.Highlight)
        track = QColor(palette.color(QPalette.ColorRole.Mid))
        track.setAlphaF(0.25)
        line, bar, gap = self._metrics()
        width = float(self.width())
        parts = ordered_parts(self._breakdown)
        # bars are shares of the positive total, so their lengths add up to the whole score
        scale = sum(max(0.0, p.contribution) for p in parts) or 1.0
        metrics = painter.fontMetrics()
        y = 0.0
        for rank, (part, (text_label, numbers)) in enumerate(zip(parts, self.rows(), strict=True)):
            numbers_width = metrics.horizontalAdvance(numbers)
            label = metrics.elidedText(text_label, Qt.TextElideMode.ElideRight,
                                       max(0, round(width - numbers_width - line)))
            painter.setPen(text)
            painter.drawText(QRectF(0, y, width, line), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             label)
            painter.setPen(muted)
            painter.drawText(QRectF(0, y, width, line), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             numbers)
            y += line + 4
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(track)
            painter.drawRoundedRect(QRectF(0, y, width, bar), bar / 2, bar / 2)
            share = max(0.0, min(1.0, part.contribution / scale))
            if share > 0:
                fill = QColor(highlight)
                fill.setAlphaF(max(0.45, 1.0 - rank * 0.18))  # the largest part stands out most
                painter.setBrush(fill)
                painter.drawRoundedRect(QRectF(0, y, max(bar, width * share), bar), bar / 2, bar / 2)
            y += bar + gap
        bold = QFont(self.font())
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(text)
        painter.drawText(QRectF(0, y, width, line), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                         f"Total score {number(self._breakdown.total)}")
        painter.end()


def _label(text: str = "", name: str = "", parent: QWidget | None = None, *, muted: bool = False) -> QLabel:
    """A wrapping, selectable label with an object name (screen readers read its text)."""
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setTextFormat(Qt.TextFormat.PlainText)  # titles from the catalogue are text, never markup
    if name:
        label.setObjectName(name)
    if muted:
        label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


class Section(QWidget):
    """A titled block of the panel, hidden when it has nothing to show."""

    def __init__(self, title: str, name: str, parent: QWidget | None = None) -> None:
        """A header and an empty body."""
        super().__init__(parent)
        self.setObjectName(name)
        self.setAccessibleName(title)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(6)
        self.header = _label(title, name + "Header", self)
        font = QFont(self.font())
        font.setBold(True)
        self.header.setFont(font)
        layout.addWidget(self.header)
        self.body = QVBoxLayout()
        self.body.setSpacing(4)
        layout.addLayout(self.body)

    def clear(self) -> None:
        """Remove the body's widgets."""
        while self.body.count():
            taken = self.body.takeAt(0)
            widget = taken.widget() if taken is not None else None
            if widget is not None:
                widget.hide()  # gone for readers and shown_text now, not only after the event loop runs
                widget.deleteLater()

    def add(self, widget: QWidget) -> QWidget:
        """Append widget to the body."""
        self.body.addWidget(widget)
        widget.show()  # the layout would only show it on the next event loop turn; readers need it now
        return widget


class SoundTable(QWidget):
    """Two tracks' descriptors side by side: tempo, energy, brightness (timbre), key and mode."""

    ROWS = ("Tempo", "Energy", "Brightness", "Key")

    def __init__(self, match: SoundMatch, this_title: str, parent: QWidget | None = None) -> None:
        """Lay out this track next to the other track of match."""
        super().__init__(parent)
        self.setObjectName("soundTable")
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(4)
        other = f"{match.title} ({stars_text(match.stars)}★)" if match.stars is not None else match.title
        bold = QFont(self.font())
        bold.setBold(True)
        for column, heading in ((1, f"This track: {this_title}"), (2, other)):
            label = _label(heading, parent=self)
            label.setFont(bold)
            grid.addWidget(label, 0, column)
        for row, (name, this, that) in enumerate(zip(self.ROWS, self.values(match.this), self.values(match.other),
                                                     strict=True), start=1):
            grid.addWidget(_label(name, parent=self, muted=True), row, 0)
            grid.addWidget(_label(this, parent=self), row, 1)
            grid.addWidget(_label(that, parent=self), row, 2)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        self.setAccessibleName("Sound comparison")
        self.setAccessibleDescription(f"This track: {match.this.words()}. {other}: {match.other.words()}. "
                                      f"Sound similarity {match.similarity:.2f}.")

    @staticmethod
    def values(d: AudioDescriptors) -> tuple[str, str, str, str]:
        """A track's descriptors as the table's cells."""
        return f"{d.tempo_bpm:.0f} BPM", d.energy, d.brightness, f"{d.key} {d.mode}"


class ExplanationPanel(QWidget):
    """The selected card's explanation: title, score chart, drivers, sound, reasons, the assistant's words."""

    def __init__(self, parent: QWidget | None = None) -> None:
        """Start with the empty state."""
        super().__init__(parent)
        self.setObjectName("explanationPanel")
        self.setAccessibleName("Why this was recommended")
        self._rec: Recommendation | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(1, 1, 1, 1)  # inside the rounded panel paintEvent draws
        self.empty = _label(EMPTY_TEXT, "explainEmpty", self, muted=True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setContentsMargins(24, 24, 24, 24)
        outer.addWidget(self.empty)

        self.scroll_area = QScrollArea(self)
        self.scroll_area.setObjectName("explainScroll")
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll_area.viewport().setAutoFillBackground(False)  # let the panel's own background through
        content = QWidget()
        content.setObjectName("explainContent")
        self.content = content
        layout = QVBoxLayout(content)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.setSpacing(10)
        self.title = _label("", "explainTitle", content)
        font = QFont(self.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.35)
        self.title.setFont(font)
        layout.addWidget(self.title)
        self.meta = _label("", "explainMeta", content, muted=True)
        layout.addWidget(self.meta)
        self.summary = _label("", "explainSummary", content)
        layout.addWidget(self.summary)

        self.score = Section("Why this score", "explainScore", content)
        self.chart = ScoreChart(self.score)
        self.score.add(self.chart)
        layout.addWidget(self.score)
        self.drivers = Section("Because you rated", "explainDrivers", content)
        layout.addWidget(self.drivers)
        self.sound = Section("How it sounds", "explainSound", content)
        layout.addWidget(self.sound)
        self.reasons = Section("Reasons", "explainReasons", content)
        layout.addWidget(self.reasons)
        self.assistant = Section("The assistant said", "explainAssistant", content)
        self.sentence = _label("", "explainSentence", self.assistant)
        italic = QFont(self.font())
        italic.setItalic(True)
        self.sentence.setFont(italic)
        self.assistant.add(self.sentence)
        layout.addWidget(self.assistant)
        layout.addStretch(1)
        self.scroll_area.setWidget(content)
        content.setAutoFillBackground(False)  # setWidget turned it on; the panel paints the background
        outer.addWidget(self.scroll_area)
        self.show_recommendation(None)

    def paintEvent(self, event: QPaintEvent) -> None:
        """A rounded panel in the base colour, like the cards, so it reads as one surface."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        border = QColor(palette.color(QPalette.ColorRole.Mid))
        border.setAlphaF(0.35)
        painter.setPen(border)
        painter.setBrush(palette.color(QPalette.ColorRole.Base))
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 10, 10)
        painter.end()

    def recommendation(self) -> Recommendation | None:
        """The recommendation shown, or None."""
        return self._rec

    def show_recommendation(self, rec: Recommendation | None, sentence: str = "") -> None:
        """Explain rec (None: the empty state); sentence is the assistant's reply about it, when there is one."""
        self._rec = rec
        self.empty.setVisible(rec is None)
        self.scroll_area.setVisible(rec is not None)
        for section in (self.drivers, self.sound, self.reasons):
            section.clear()
        if rec is None:
            self.chart.set_breakdown(None)
            self.setAccessibleDescription(EMPTY_TEXT)
            return
        item, breakdown = rec.item, rec.breakdown
        self.title.setText(item.title)
        self.meta.setText(" · ".join(p for p in (creators_text(item, most=4), str(item.year) if item.year else "",
                                                 ", ".join(item.genres[:4])) if p))
        self.meta.setVisible(bool(self.meta.text()))
        summary = f"Predicted ~{rec.predicted_stars:.1f}★ · " if rec.predicted_stars is not None else ""
        self.summary.setText(summary + f"score {number(rec.score)}")

        self.chart.set_breakdown(breakdown)
        self.score.setVisible(bool(breakdown.parts))
        for driver in breakdown.drivers:
            self.drivers.add(_label(driver_text(driver), "explainDriver", self.drivers))
        self.drivers.setVisible(bool(breakdown.drivers))
        match = breakdown.sound
        if match is not None:
            self.sound.header.setText("Sounds like a track you liked" if match.stars is not None
                                      else f"Compared with {match.title}")
            self.sound.add(SoundTable(match, item.title, self.sound))
            self.sound.add(_label(f"Sound similarity {match.similarity:.2f}", "explainSoundSimilarity",
                                  self.sound, muted=True))
        self.sound.setVisible(match is not None)
        for reason in rec.reasons:
            self.reasons.add(_label(f"• {reason}", "explainReason", self.reasons))
        self.reasons.setVisible(bool(rec.reasons))
        self.sentence.setText(f"“{sentence}”" if sentence else "")
        self.assistant.setVisible(bool(sentence))
        self.setAccessibleDescription(f"Why {item.title} was recommended. {self.chart.accessibleDescription()}")

    def shown_text(self) -> str:
        """Every visible line of the explanation as a reader would meet it (the chart's rows last)."""
        if self._rec is None:
            return self.empty.text()
        lines: list[str] = []
        for label in self.content.findChildren(QLabel):
            if label.isVisibleTo(self) and label.text():
                lines.append(label.text())
        if self.score.isVisibleTo(self):
            lines.extend(f"{label}: {numbers}" for label, numbers in self.chart.rows())
            lines.append(f"Total score {number(self._rec.breakdown.total)}")
        return "\n".join(lines)
