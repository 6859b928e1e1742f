"""Recommendation cards: artwork, facts, the predicted stars, the first reason, and controls to rate.

`CardsView` lays cards out in a grid that wraps to its width and reports what the user does with them
through signals; it never calls the engine itself, so the main window decides how to store a rating.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPolygonF,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.items import Item
from app.domain.recommendation import Recommendation
from app.prices import price_text
from app.ui.artwork import artwork_for

CARDS_PER_PASS = 4  # cards built per pass of the event loop when an answer arrives
EMPTY_TEXT = "No recommendations yet. Ask for something, or rate a few items, and cards will appear here."
_DIGIT_KEYS = {Qt.Key.Key_1: 1, Qt.Key.Key_2: 2, Qt.Key.Key_3: 3, Qt.Key.Key_4: 4, Qt.Key.Key_5: 5}


def stars_text(stars: float) -> str:
    """Stars as people say them: 4 -> '4', 4.5 -> '4.5'."""
    return f"{stars:g}" if abs(stars * 2 - round(stars * 2)) < 1e-9 else f"{stars:.1f}"


def card_name(index: int, rec: Recommendation) -> str:
    """A card's accessible name, e.g. 'Card 1: Fargo (1996), predicted 4.2 stars' or '..., price 65.00, ...'."""
    name = f"Card {index + 1}: {rec.item.title}"
    if rec.item.year:
        name += f" ({rec.item.year})"
    price = price_text(rec.item.attributes)
    if price:
        name += f", price {price}"
    if rec.predicted_stars is not None:
        name += f", predicted {rec.predicted_stars:.1f} stars"
    return name


def creators_text(item: Item, most: int = 2) -> str:
    """The first creators joined, with a count of the rest."""
    shown = ", ".join(item.creators[:most])
    rest = len(item.creators) - most
    return f"{shown} and {rest} more" if rest > 0 else shown


def _star_polygon(rect: QRectF) -> QPolygonF:
    """A five-pointed star inscribed in rect."""
    centre, outer = rect.center(), min(rect.width(), rect.height()) / 2
    inner = outer * 0.45
    points = []
    for k in range(10):
        radius = outer if k % 2 == 0 else inner
        angle = -math.pi / 2 + k * math.pi / 5
        # nudged down a little: a star's visual centre sits below its geometric one
        points.append(QPointF(centre.x() + radius * math.cos(angle),
                              centre.y() + radius * math.sin(angle) + outer * 0.06))
    return QPolygonF(points)


class StarRating(QWidget):
    """Five clickable stars: click a star, or press 1-5, Left/Right (or -/+) when focused."""

    rated = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        """Start unrated."""
        super().__init__(parent)
        self.setObjectName("starRating")
        self._value: float | None = None
        self._hover: int | None = None
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Your rating: click a star, or press 1-5 (Left/Right to adjust)")
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self._describe()

    def value(self) -> float | None:
        """The stars shown, or None when unrated."""
        return self._value

    def set_value(self, stars: float | None) -> None:
        """Show stars (a fraction shows a partly filled star) without emitting rated."""
        self._value = stars
        self._describe()
        self.update()

    def _star(self) -> float:
        return self.fontMetrics().height() * 1.35  # grows with the font, so 200% scale stays usable

    def sizeHint(self) -> QSize:
        """Five stars and a little air, sized from the font."""
        star = self._star()
        return QSize(math.ceil(star * 5 + 4), math.ceil(star + 4))

    def minimumSizeHint(self) -> QSize:
        """Never smaller than the stars."""
        return self.sizeHint()

    def _index_at(self, x: float) -> int:
        return max(1, min(5, int((x - 2) // self._star()) + 1))

    def _rate(self, stars: int) -> None:
        self.set_value(float(stars))
        self.rated.emit(float(stars))

    def _describe(self) -> None:
        if self._value is None:
            self.setAccessibleDescription("Not rated. Press 1 to 5 to rate.")
        else:
            self.setAccessibleDescription(f"Rated {stars_text(self._value)} of 5 stars")

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """Rate with the star under the pointer."""
        if event.button() == Qt.MouseButton.LeftButton:
            self.setFocus(Qt.FocusReason.MouseFocusReason)
            self._rate(self._index_at(event.position().x()))
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        """Preview the rating under the pointer."""
        hover = self._index_at(event.position().x())
        if hover != self._hover:
            self._hover = hover
            self.update()

    def leaveEvent(self, event: QEvent) -> None:
        """Drop the hover preview."""
        self._hover = None
        self.update()
        super().leaveEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """1-5 set the stars; Left/Right and -/+ step them."""
        key = Qt.Key(event.key())
        current = round(self._value) if self._value is not None else 0
        if key in _DIGIT_KEYS:
            self._rate(_DIGIT_KEYS[key])
        elif key in (Qt.Key.Key_Right, Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self._rate(min(5, current + 1))
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Minus):
            self._rate(max(1, current - 1))
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def paintEvent(self, event: QPaintEvent) -> None:
        """Filled stars in the highlight colour up to the rating (or the hovered star), outlines after."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        fill = palette.color(QPalette.ColorRole.Highlight)
        outline = palette.color(QPalette.ColorRole.PlaceholderText)
        shown = float(self._hover) if self._hover is not None else (self._value or 0.0)
        star = self._star()
        for i in range(5):
            rect = QRectF(2 + i * star, 2, star, star).adjusted(star * 0.08, star * 0.08, -star * 0.08, -star * 0.08)
            polygon = _star_polygon(rect)
            path = QPainterPath()
            path.addPolygon(polygon)
            path.closeSubpath()
            share = max(0.0, min(1.0, shown - i))
            if share > 0:
                painter.save()
                painter.setClipRect(QRectF(rect.left(), 0, rect.width() * share, self.height()))
                colour = QColor(fill)
                if self._hover is not None:
                    colour.setAlphaF(0.7)  # a preview, not yet a rating
                painter.fillPath(path, colour)
                painter.restore()
            painter.setPen(outline if share < 1 else fill)
            painter.drawPath(path)
        if self.hasFocus():
            pen = painter.pen()
            pen.setColor(fill)
            pen.setWidthF(1.5)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.75, 0.75, -0.75, -0.75), 4, 4)
        painter.end()


class ThumbButton(QToolButton):
    """A checkable thumb up or down, drawn with the palette so it works without an emoji font."""

    def __init__(self, up: bool, parent: QWidget | None = None) -> None:
        """A thumb pointing up (like) or down (dislike)."""
        super().__init__(parent)
        self._up = up
        self.setCheckable(True)
        self.setAutoRaise(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        side = math.ceil(self.fontMetrics().height() * 1.6)
        self.setFixedSize(side, side)

    def paintEvent(self, event: QPaintEvent) -> None:
        """The button's frame from the style, then the thumb on top."""
        super().paintEvent(event)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        role = QPalette.ColorRole.Highlight if self.isChecked() else QPalette.ColorRole.ButtonText
        colour = self.palette().color(role)
        side = min(self.width(), self.height())
        scale = side * 0.62 / 24
        painter.translate((self.width() - 24 * scale) / 2, (self.height() - 24 * scale) / 2)
        painter.scale(scale, scale)
        if not self._up:
            painter.translate(24, 24)
            painter.rotate(180)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(QRectF(1.5, 10, 5, 12), 1.2, 1.2)  # the cuff
        hand = QPainterPath()
        hand.moveTo(8.5, 10.5)
        hand.lineTo(12.5, 2.8)
        hand.cubicTo(14.5, 2.0, 16.0, 3.5, 15.4, 5.5)
        hand.lineTo(14.4, 9.0)
        hand.lineTo(20.0, 9.0)
        hand.cubicTo(21.8, 9.0, 22.8, 10.6, 22.3, 12.2)
        hand.lineTo(20.0, 20.2)
        hand.cubicTo(19.6, 21.4, 18.7, 22.0, 17.5, 22.0)
        hand.lineTo(8.5, 22.0)
        hand.closeSubpath()
        if self.isChecked():
            painter.drawPath(hand)
        else:
            pen = painter.pen()
            pen.setStyle(Qt.PenStyle.SolidLine)
            pen.setColor(colour)
            pen.setWidthF(1.8)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(hand)
        painter.end()


class Chips(QWidget):
    """A few genres or tags as small rounded chips on one line; what does not fit is left out."""

    def __init__(self, words: Sequence[str], parent: QWidget | None = None) -> None:
        """Show words as chips."""
        super().__init__(parent)
        self._words = [w for w in words if w]
        self.setAccessibleName("Genres: " + ", ".join(self._words) if self._words else "No genres")
        # as wide as its chips when there is room (what follows them sits right after), narrower when not
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.setVisible(bool(self._words))

    def _font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(max(6.0, font.pointSizeF() * 0.85))
        return font

    @staticmethod
    def _padding(metrics: QFontMetrics) -> float:
        return metrics.averageCharWidth() * 1.1

    def sizeHint(self) -> QSize:
        """Every chip on one line of small text, as paintEvent lays them out."""
        height = self.fontMetrics().height() * 0.85 + 8
        metrics = QFontMetrics(self._font())
        pad = self._padding(metrics)
        width = sum(metrics.horizontalAdvance(w) + 2 * pad for w in self._words) + pad * 0.6 * (len(self._words) - 1)
        return QSize(math.ceil(width) + 2, math.ceil(height))

    def minimumSizeHint(self) -> QSize:
        """Any width: chips that do not fit are left out."""
        return QSize(0, self.sizeHint().height())

    def paintEvent(self, event: QPaintEvent) -> None:
        """Each chip: a soft fill from the palette and the word in the text colour."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = self._font()
        painter.setFont(font)
        metrics = painter.fontMetrics()
        palette = self.palette()
        fill = QColor(palette.color(QPalette.ColorRole.Highlight))
        fill.setAlphaF(0.14)
        text = palette.color(QPalette.ColorRole.Text)
        x, pad, height = 0.0, self._padding(metrics), float(self.height() - 2)
        for word in self._words:
            width = metrics.horizontalAdvance(word) + 2 * pad
            if x + width > self.width():
                break
            rect = QRectF(x, 1, width, height)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(fill)
            painter.drawRoundedRect(rect, height / 2, height / 2)
            painter.setPen(text)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, word)
            x += width + pad * 0.6
        painter.end()


class RecommendationCard(QWidget):
    """One recommendation: artwork, title, creators and year, genres, a price, predicted stars, a reason, controls."""

    activated = Signal()
    move_requested = Signal(int, bool)  # -1/+1 and whether by a whole row: arrow keys walk between cards
    rated = Signal(str, float)
    thumbed = Signal(str, int)
    add_requested = Signal(str)
    preview_requested = Signal(str)

    def __init__(self, index: int, rec: Recommendation, stars: float | None, parent: QWidget | None = None, *,
                 previewable: bool = False) -> None:
        """Build the card for rec, showing the user's own stars when they rated it, and a play button when
        previewable."""
        super().__init__(parent)
        self.setObjectName("recommendationCard")
        self.index, self.recommendation = index, rec
        self._selected = False
        item = rec.item
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_Hover)
        self.setAccessibleName(card_name(index, rec))
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)  # a row's cards match
        line = self.fontMetrics().height()

        outer = QHBoxLayout(self)
        outer.setContentsMargins(14, 14, 14, 14)
        outer.setSpacing(14)
        self.art = QLabel(self)
        self.art.setObjectName("cardArtwork")
        art_size = round(line * 5.5)
        self.art.setFixedSize(art_size, art_size)
        self.art.setPixmap(artwork_for(item, art_size, self.devicePixelRatioF()))
        self.art.setAccessibleName(f"Artwork for {item.title}")
        outer.addWidget(self.art, 0, Qt.AlignmentFlag.AlignTop)

        body = QVBoxLayout()
        body.setSpacing(4)
        outer.addLayout(body, 1)
        self.title = QLabel(item.title, self)
        self.title.setObjectName("cardTitle")
        title_font = QFont(self.font())
        title_font.setBold(True)
        title_font.setPointSizeF(title_font.pointSizeF() * 1.15)
        self.title.setFont(title_font)
        self.title.setWordWrap(True)
        body.addWidget(self.title)

        meta = " · ".join(part for part in (creators_text(item), str(item.year) if item.year else "") if part)
        self.meta = QLabel(meta, self)
        self.meta.setObjectName("cardMeta")
        self.meta.setWordWrap(True)
        self.meta.setVisible(bool(meta))
        body.addWidget(self.meta)

        # a product's price sits at the end of its category and tags, where a shopper looks for it
        facts = QHBoxLayout()
        facts.setSpacing(8)
        self.chips = Chips(item.genres[:4], self)
        facts.addWidget(self.chips, 0, Qt.AlignmentFlag.AlignVCenter)
        price = price_text(item.attributes) or ""
        self.price = QLabel(price, self)
        self.price.setObjectName("cardPrice")
        self.price.setAccessibleName(f"Price: {price}" if price else "")
        self.price.setToolTip("Price" if price else "")
        self.price.setForegroundRole(QPalette.ColorRole.Text)  # the text colour made for the card's base fill
        strong = QFont(self.font())
        strong.setBold(True)
        self.price.setFont(strong)
        self.price.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)  # never cut short
        self.price.setVisible(bool(price))
        facts.addWidget(self.price, 0, Qt.AlignmentFlag.AlignVCenter)
        facts.addStretch(1)
        body.addLayout(facts)

        predicted = f"~{rec.predicted_stars:.1f}★ predicted" if rec.predicted_stars is not None else ""
        self.predicted = QLabel(predicted, self)
        self.predicted.setObjectName("cardPredicted")
        self.predicted.setForegroundRole(QPalette.ColorRole.Highlight)
        bold = QFont(self.font())
        bold.setBold(True)
        self.predicted.setFont(bold)
        self.predicted.setVisible(bool(predicted))
        body.addWidget(self.predicted)

        self.reason = QLabel(rec.reasons[0] if rec.reasons else "", self)
        self.reason.setObjectName("cardReason")
        self.reason.setWordWrap(True)
        self.reason.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.reason.setVisible(bool(rec.reasons))
        body.addWidget(self.reason)
        body.addStretch(1)  # the controls line up along the bottom of a row of cards

        controls = QHBoxLayout()
        controls.setSpacing(6)
        controls.setContentsMargins(0, 6, 0, 0)
        self.stars = StarRating(self)
        self.stars.setAccessibleName(f"Your rating for {item.title}")
        self.stars.set_value(stars)
        self.stars.rated.connect(lambda value: self.rated.emit(item.id, value))
        controls.addWidget(self.stars)
        self.thumb_up, self.thumb_down = ThumbButton(True, self), ThumbButton(False, self)
        self.thumb_up.setAccessibleName(f"Thumbs up for {item.title}")
        self.thumb_up.setToolTip("I like it")
        self.thumb_down.setAccessibleName(f"Thumbs down for {item.title}")
        self.thumb_down.setToolTip("Not for me")
        self.thumb_up.clicked.connect(lambda: self._thumb(1))
        self.thumb_down.clicked.connect(lambda: self._thumb(-1))
        controls.addWidget(self.thumb_up)
        controls.addWidget(self.thumb_down)
        controls.addStretch(1)
        self.preview: QToolButton | None = None
        if previewable:
            self.preview = QToolButton(self)
            self.preview.setObjectName("cardPreview")
            self.preview.setText("▶")
            self.preview.setAccessibleName(f"Preview {item.title}")
            self.preview.setToolTip("Play a short preview")
            self.preview.setCursor(Qt.CursorShape.PointingHandCursor)
            self.preview.clicked.connect(lambda: self.preview_requested.emit(item.id))
            controls.addWidget(self.preview)
        self.add = QPushButton("Add to list", self)
        self.add.setObjectName("cardAddToList")
        self.add.setAccessibleName(f"Add {item.title} to a list")
        self.add.setCursor(Qt.CursorShape.PointingHandCursor)
        self.add.clicked.connect(lambda: self.add_requested.emit(item.id))
        controls.addWidget(self.add)
        body.addLayout(controls)

        for child in self._controls():
            child.installEventFilter(self)  # focusing a control inside the card selects the card
        self._describe()

    def _controls(self) -> list[QWidget]:
        found: list[QWidget] = [self.stars, self.thumb_up, self.thumb_down, self.add]
        return [*found, self.preview] if self.preview is not None else found

    def _thumb(self, thumb: int) -> None:
        self.set_thumb(thumb)
        self.thumbed.emit(self.recommendation.item.id, thumb)

    def _describe(self) -> None:
        item, rec = self.recommendation.item, self.recommendation
        price = price_text(item.attributes)
        parts = [creators_text(item, most=5), ", ".join(item.genres), f"Price {price}" if price else "",
                 rec.reasons[0] if rec.reasons else ""]
        value = self.stars.value()
        parts.append(f"You rated it {stars_text(value)} stars" if value is not None else "Not rated yet")
        self.setAccessibleDescription(". ".join(p for p in parts if p))

    def set_stars(self, stars: float | None) -> None:
        """Show the user's stars (None: unrated)."""
        self.stars.set_value(stars)
        self._describe()

    def set_thumb(self, thumb: int | None) -> None:
        """Show a thumb up (+1), down (-1) or neither (None)."""
        self.thumb_up.setChecked(thumb == 1)
        self.thumb_down.setChecked(thumb == -1)

    def set_previewing(self, playing: bool) -> None:
        """Show a stop glyph while this card's preview plays."""
        if self.preview is not None:
            self.preview.setText("■" if playing else "▶")
            verb = "Stop the preview of" if playing else "Preview"
            self.preview.setAccessibleName(f"{verb} {self.recommendation.item.title}")

    def is_selected(self) -> bool:
        """Whether this card is the selected one."""
        return self._selected

    def set_selected(self, selected: bool) -> None:
        """Highlight or un-highlight the card."""
        if selected != self._selected:
            self._selected = selected
            self.update()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """A control inside the card taking focus selects the card."""
        if event.type() == QEvent.Type.FocusIn:
            self.activated.emit()
        return False

    def focusInEvent(self, event: QFocusEvent) -> None:
        """Tabbing to a card selects it."""
        super().focusInEvent(event)
        self.activated.emit()
        self.update()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        """Repaint without the focus ring."""
        super().focusOutEvent(event)
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """Clicking anywhere on the card selects it."""
        if event.button() == Qt.MouseButton.LeftButton:
            self.setFocus(Qt.FocusReason.MouseFocusReason)
            self.activated.emit()
            event.accept()
            return
        super().mousePressEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter/Space select; 1-5 rate; arrow keys move to the previous or next card."""
        key = Qt.Key(event.key())
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space, Qt.Key.Key_Select):
            self.activated.emit()
        elif key in _DIGIT_KEYS:
            self.stars.set_value(float(_DIGIT_KEYS[key]))
            self._describe()
            self.rated.emit(self.recommendation.item.id, float(_DIGIT_KEYS[key]))
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            self.move_requested.emit(-1 if key == Qt.Key.Key_Left else 1, False)
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            self.move_requested.emit(-1 if key == Qt.Key.Key_Up else 1, True)
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def paintEvent(self, event: QPaintEvent) -> None:
        """A rounded panel in the base colour; the selected card tinted and outlined in the highlight."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        highlight = palette.color(QPalette.ColorRole.Highlight)
        fill = QColor(palette.color(QPalette.ColorRole.Base))
        if self._selected:
            tint = QColor(highlight)
            fill = QColor.fromRgbF(fill.redF() * 0.88 + tint.redF() * 0.12, fill.greenF() * 0.88 + tint.greenF() * 0.12,
                                   fill.blueF() * 0.88 + tint.blueF() * 0.12)
        border = QColor(highlight) if self._selected else QColor(palette.color(QPalette.ColorRole.Mid))
        width = 2.0 if self._selected else 1.0
        if not self._selected:
            border.setAlphaF(0.6 if self.underMouse() else 0.35)
        rect = QRectF(self.rect()).adjusted(width / 2 + 1, width / 2 + 1, -width / 2 - 1, -width / 2 - 1)
        pen = painter.pen()
        pen.setColor(border)
        pen.setWidthF(width)
        painter.setPen(pen)
        painter.setBrush(fill)
        painter.drawRoundedRect(rect, 10, 10)
        if self.hasFocus():
            pen.setStyle(Qt.PenStyle.DotLine)
            pen.setWidthF(1.0)
            pen.setColor(palette.color(QPalette.ColorRole.Text))
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(4, 4, -4, -4), 7, 7)
        painter.end()


class CardsView(QWidget):
    """A scrollable grid of recommendation cards that wraps to the width, with an empty state."""

    selected = Signal(object)  # the Recommendation
    rated = Signal(str, float)  # item id, stars 1-5
    thumbed = Signal(str, int)  # item id, +1 up / -1 down (the store's thumb: rate(..., thumb=...))
    add_to_list_requested = Signal(str)  # item id
    preview_requested = Signal(str)  # item id

    def __init__(self, can_preview: Callable[[Item], bool], parent: QWidget | None = None) -> None:
        """Start empty; can_preview says which items get a play button (the track preview's rule, asked through
        the controller)."""
        super().__init__(parent)
        self._can_preview = can_preview
        self.setObjectName("cardsView")
        self.setAccessibleName("Recommendations")
        self._cards: list[RecommendationCard] = []
        self._current: int | None = None
        self._generation = 0  # counts replacements: a stepwise one stops when a newer one starts
        self._columns = 0

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.empty = QLabel(EMPTY_TEXT, self)
        self.empty.setObjectName("cardsEmpty")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.empty.setContentsMargins(24, 24, 24, 24)
        layout.addWidget(self.empty)

        self.scroll_area = QScrollArea(self)
        self.scroll_area.setObjectName("cardsScroll")
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.container = QWidget()
        self.container.setObjectName("cardsContainer")
        self.grid = QGridLayout(self.container)
        self.grid.setContentsMargins(12, 12, 12, 12)
        self.grid.setSpacing(12)
        self.scroll_area.setWidget(self.container)
        self.scroll_area.viewport().installEventFilter(self)  # reflow when the visible width changes
        layout.addWidget(self.scroll_area)
        self.scroll_area.hide()

    def cards(self) -> list[RecommendationCard]:
        """The cards shown, in order."""
        return list(self._cards)

    def show_recommendations(self, recs: Sequence[Recommendation], ratings: Mapping[str, float]) -> None:
        """Replace the cards; each shows the user's own stars from ratings (by item id) when there are some."""
        self._generation += 1
        self._remove_cards()
        self._add_cards(recs, ratings)

    def show_recommendations_in_steps(self, recs: Sequence[Recommendation], ratings: Mapping[str, float],
                                      then: Callable[[], None] | None = None) -> None:
        """Replace the cards a few per pass of the event loop, then call then; a newer call supersedes this one.

        Ten cards built in one go, with their first paint, held the GUI thread for 30-50 ms after a turn;
        in steps the window goes on answering input and painting between them.
        """
        self._generation += 1
        generation = self._generation
        self._remove_cards()

        def step(start: int) -> None:
            if generation != self._generation:
                return  # another answer arrived meanwhile
            self._add_cards(recs[start:start + CARDS_PER_PASS], ratings)
            if start + CARDS_PER_PASS < len(recs):
                QTimer.singleShot(0, lambda: step(start + CARDS_PER_PASS))
            elif then is not None:
                QTimer.singleShot(0, lambda: then() if generation == self._generation else None)

        step(0)

    def _add_cards(self, recs: Sequence[Recommendation], ratings: Mapping[str, float]) -> None:
        for index, rec in enumerate(recs, start=len(self._cards)):
            card = RecommendationCard(index, rec, ratings.get(rec.item.id), self.container,
                                      previewable=self._can_preview(rec.item))
            card.activated.connect(lambda i=index: self._activate(i))
            card.move_requested.connect(lambda step, by_row, i=index: self._move(i, step, by_row))
            card.rated.connect(self.rated)
            card.thumbed.connect(self.thumbed)
            card.add_requested.connect(self.add_to_list_requested)
            card.preview_requested.connect(self.preview_requested)
            self._cards.append(card)
        self._chain_tab_order()
        self._columns = 0
        self._reflow()
        self.empty.setVisible(not self._cards)
        self.scroll_area.setVisible(bool(self._cards))

    def clear(self) -> None:
        """Remove every card and show the empty state."""
        self.show_recommendations([], {})

    def set_empty_text(self, text: str) -> None:
        """Change the sentence shown when there are no cards."""
        self.empty.setText(text)

    def selected_recommendation(self) -> Recommendation | None:
        """The selected card's recommendation, or None."""
        return self._cards[self._current].recommendation if self._current is not None else None

    def select(self, index: int) -> None:
        """Select card index, scroll it into view and emit selected."""
        if 0 <= index < len(self._cards):
            self._activate(index)
            self.scroll_area.ensureWidgetVisible(self._cards[index])

    def select_item(self, item_id: str) -> bool:
        """Select the card showing item_id, as a click would (say "the second one"); False when none shows it."""
        for index, card in enumerate(self._cards):
            if card.recommendation.item.id == item_id:
                self.select(index)
                return True
        return False

    def clear_selection(self) -> None:
        """Select no card (new cards after "next" or "go back" start with none chosen)."""
        if self._current is not None and self._current < len(self._cards):
            self._cards[self._current].set_selected(False)
        self._current = None

    def set_rating(self, item_id: str, stars: float | None) -> None:
        """Show new stars on the card for item_id (None: unrated), e.g. after a rating by voice."""
        for card in self._cards:
            if card.recommendation.item.id == item_id:
                card.set_stars(stars)

    def set_thumb(self, item_id: str, thumb: int | None) -> None:
        """Show a thumb (+1/-1, None for neither) on the card for item_id."""
        for card in self._cards:
            if card.recommendation.item.id == item_id:
                card.set_thumb(thumb)

    def set_previewing(self, item_id: str | None) -> None:
        """Mark the card whose preview is playing (None: nothing plays)."""
        for card in self._cards:
            card.set_previewing(card.recommendation.item.id == item_id)

    def _activate(self, index: int) -> None:
        if index == self._current:
            return  # focus and click both arrive for one click: select once
        if self._current is not None and self._current < len(self._cards):
            self._cards[self._current].set_selected(False)
        self._current = index
        card = self._cards[index]
        card.set_selected(True)
        self.selected.emit(card.recommendation)

    def _move(self, index: int, step: int, by_row: bool) -> None:
        # the card does not know the grid's shape: Up/Down move by a row of columns, Left/Right by one card
        target = max(0, min(len(self._cards) - 1, index + step * (max(1, self._columns) if by_row else 1)))
        if target != index:
            self._cards[target].setFocus(Qt.FocusReason.TabFocusReason)
            self.scroll_area.ensureWidgetVisible(self._cards[target])

    def _chain_tab_order(self) -> None:
        previous: QWidget | None = None
        for card in self._cards:
            for widget in [card, *card._controls()]:
                if previous is not None:
                    QWidget.setTabOrder(previous, widget)
                previous = widget

    def _remove_cards(self) -> None:
        for card in self._cards:
            self.grid.removeWidget(card)
            card.hide()
            card.deleteLater()
        self._cards = []
        self._current = None

    def _card_width(self) -> int:
        # wide enough for the artwork, a title and the controls row at any font size
        widest = max((card.minimumSizeHint().width() for card in self._cards), default=0)
        return max(widest, self.fontMetrics().averageCharWidth() * 48)

    def _reflow(self) -> None:
        available = self.scroll_area.viewport().width() - 24
        columns = max(1, min(len(self._cards) or 1, (available + 12) // (self._card_width() + 12)))
        if columns == self._columns:
            return
        self._columns = columns
        for card in self._cards:
            self.grid.removeWidget(card)
        for column in range(self.grid.columnCount()):
            self.grid.setColumnStretch(column, 0)
        for row in range(self.grid.rowCount()):
            self.grid.setRowStretch(row, 0)
        for index, card in enumerate(self._cards):
            self.grid.addWidget(card, index // columns, index % columns)
            card.show()
        for column in range(columns):
            self.grid.setColumnStretch(column, 1)
        self.grid.setRowStretch((len(self._cards) + columns - 1) // columns, 1)  # cards stay at the top

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Reflow the grid when the scroll area's viewport is resized."""
        if watched is self.scroll_area.viewport() and event.type() == QEvent.Type.Resize:
            self._reflow()
        return super().eventFilter(watched, event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Reflow for the new width."""
        super().resizeEvent(event)
        self._reflow()
