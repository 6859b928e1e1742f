"""Where the user talks and types: the ask box, the push-to-talk button, the live state and a stop button."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QIcon, QKeySequence, QPainter, QPalette, QPen, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.conversation import MAX_REQUEST_CHARS
from app.domain.voice import RECORDING_LIMIT_S
from app.ui.a11y import clear_button

STATE_TEXT = {"idle": "Ready", "listening": "Listening\u2026", "transcribing": "Transcribing\u2026",
              "thinking": "Thinking\u2026", "speaking": "Speaking\u2026"}
HANDS_FREE_IDLE = "Listening (hands-free)"  # idle, but the microphone is open: speaking starts a turn
RECORDING_LIMIT = f"a recording stops after {RECORDING_LIMIT_S:g} s"
TALK_TIP = f"Hold to talk (or hold Space); {RECORDING_LIMIT}"
HANDS_FREE_WHAT = "Talk without holding the button: speaking starts a turn, talking over the reply stops it"
HANDS_FREE_TIP = f"{HANDS_FREE_WHAT}; {RECORDING_LIMIT}"
_FLOOR_DB = -60  # the level meter's zero: a quiet room


class TalkBar(QWidget):
    """Emits what the user asked (typed), when the talk button goes down and up, and hands-free on or off."""

    asked = Signal(str)
    talk_pressed = Signal()
    talk_released = Signal()
    stop_clicked = Signal()
    hands_free_toggled = Signal(bool)  # the user switched hands-free on (True) or off; not echoed by set_hands_free

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ask_box = QLineEdit()
        self.ask_box.setMaxLength(MAX_REQUEST_CHARS)  # the conversation refuses longer requests anyway
        self.ask_box.setObjectName("askBox")
        self.ask_box.setPlaceholderText("Ask for something\u2026  (Ctrl+K)")
        self.ask_box.setAccessibleName("Ask Chat-Rec")
        clear_button(self.ask_box, "Clear the request")
        self.ask_box.returnPressed.connect(self._send)
        self.send_button = QPushButton("Ask")
        self.send_button.setAccessibleName("Send the request")
        self.send_button.clicked.connect(self._send)
        self.talk_button = QToolButton()
        self.talk_button.setObjectName("talkButton")
        self.talk_button.setIcon(microphone_icon(self.fontMetrics().height() * 2, self.palette()))
        self.talk_button.setIconSize(self.talk_button.iconSize().expandedTo(
            QSize(self.fontMetrics().height() * 2, self.fontMetrics().height() * 2)))
        self.talk_button.setAccessibleName("Hold to talk")
        self.talk_button.setToolTip(TALK_TIP)
        self.talk_button.pressed.connect(self.talk_pressed)
        self.talk_button.released.connect(self.talk_released)
        self._hands_free = False
        self._state = "idle"
        self.hands_free_button = QToolButton()
        self.hands_free_button.setObjectName("handsFreeButton")
        self.hands_free_button.setCheckable(True)
        # Said in words too: a checked tool button looks barely different from an unchecked one in most styles
        self.hands_free_button.toggled.connect(
            lambda on: self.hands_free_button.setText("Hands-free: on" if on else "Hands-free: off"))
        self.hands_free_button.setText("Hands-free: off")
        self.hands_free_button.setAccessibleName("Hands-free")
        self.hands_free_button.setAccessibleDescription(HANDS_FREE_TIP)
        self.hands_free_button.setToolTip(HANDS_FREE_TIP)
        # clicked, not toggled: the controller's answer (set_hands_free) checks the button without asking again
        self.hands_free_button.clicked.connect(self.hands_free_toggled)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setAccessibleName("Stop listening, thinking or speaking")
        self.stop_button.setToolTip("Stop (Esc)")
        self.stop_button.clicked.connect(self.stop_clicked)
        self.stop_button.setEnabled(False)
        self.state_label = QLabel(STATE_TEXT["idle"])
        self.state_label.setObjectName("stateLabel")
        self.state_label.setAccessibleName("Assistant state")
        self.level = QProgressBar()
        self.level.setRange(0, -_FLOOR_DB)
        self.level.setTextVisible(False)
        self.level.setAccessibleName("Microphone level")
        self.level.setMaximumHeight(max(6, self.fontMetrics().height() // 3))
        self.level.hide()

        typing = QHBoxLayout()
        typing.setSpacing(8)
        typing.addWidget(self.ask_box, 1)
        typing.addWidget(self.send_button)
        status = QVBoxLayout()
        status.addWidget(self.state_label)
        status.addWidget(self.level)
        talking = QHBoxLayout()
        talking.setSpacing(12)
        talking.addWidget(self.talk_button)
        talking.addWidget(self.hands_free_button)
        talking.addLayout(status, 1)
        talking.addWidget(self.stop_button)
        column = QVBoxLayout(self)
        column.setContentsMargins(12, 8, 12, 12)
        column.setSpacing(10)
        column.addLayout(typing)
        column.addLayout(talking)
        QShortcut(QKeySequence("Ctrl+K"), self, self.focus_ask_box, context=Qt.ShortcutContext.WindowShortcut)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.stop_clicked.emit,
                  context=Qt.ShortcutContext.WindowShortcut)

    def focus_ask_box(self) -> None:
        """Put the cursor in the ask box (Ctrl+K)."""
        self.ask_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.ask_box.selectAll()

    def show_state(self, state: str) -> None:
        """Show the assistant's state; the meter only while listening, stop while anything runs."""
        self._state = state
        self.state_label.setText(HANDS_FREE_IDLE if state == "idle" and self._hands_free
                                 else STATE_TEXT.get(state, state))
        listening = state == "listening"
        self.talk_button.setProperty("listening", listening)
        self.talk_button.style().unpolish(self.talk_button)
        self.talk_button.style().polish(self.talk_button)
        self.level.setVisible(listening)
        self.stop_button.setEnabled(state != "idle")

    def show_level(self, db: float) -> None:
        """The microphone's loudness, -60 dBFS (empty) to 0 dBFS (full)."""
        self.level.setValue(int(min(max(db - _FLOOR_DB, 0), -_FLOOR_DB)))

    def set_voice_available(self, available: bool, why: str = "") -> None:
        """Disable the talk and hands-free buttons, with the reason in their tooltips, when there is no voice."""
        self.talk_button.setEnabled(available)
        self.talk_button.setToolTip(TALK_TIP if available else why)
        self.hands_free_button.setEnabled(available)
        self.hands_free_button.setToolTip(HANDS_FREE_TIP if available else why)

    def set_hands_free(self, on: bool) -> None:
        """Show hands-free on or off as the controller reports it (does not emit hands_free_toggled)."""
        self._hands_free = on
        self.hands_free_button.setChecked(on)
        self.show_state(self._state)  # an idle label says whether the microphone is open

    @property
    def hands_free(self) -> bool:
        """Whether the bar shows hands-free as on."""
        return self._hands_free

    def _send(self) -> None:
        text = self.ask_box.text().strip()
        if text:
            self.ask_box.clear()
            self.asked.emit(text)


def microphone_icon(size: int, palette: QPalette) -> QIcon:
    """A microphone drawn with the palette's button-on-highlight colour (no emoji font needed)."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    colour = palette.color(QPalette.ColorRole.HighlightedText)
    pen = QPen(colour, max(2.0, size / 14))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    painter.setBrush(colour)
    w = size / 3
    painter.drawRoundedRect(QRectF((size - w) / 2, size * 0.12, w, size * 0.46), w / 2, w / 2)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    cup = QRectF(size * 0.27, size * 0.22, size * 0.46, size * 0.46)
    painter.drawArc(cup, 200 * 16, 140 * 16)
    painter.drawLine(QPointF(size / 2, size * 0.69), QPointF(size / 2, size * 0.84))
    painter.drawLine(QPointF(size * 0.36, size * 0.86), QPointF(size * 0.64, size * 0.86))
    painter.end()
    return QIcon(pixmap)
