"""The conversation: what the user said and what Chat-Rec answered, as a scrolling column of bubbles."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QPalette, QResizeEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

WELCOME = ("Tell me what you are in the mood for: \u201csomething like Fargo but funnier\u201d, "
           "\u201cupbeat tracks for a run\u201d, or \u201ca gift for a coffee lover\u201d. "
           "Hold Space or the microphone button to talk, or switch on Hands-free and just speak; Ctrl+K to "
           "type. Browse the same way: \u201cnext\u201d, \u201cthe second one: why?\u201d, "
           "\u201copen my lists\u201d.")


class ConversationView(QScrollArea):
    """Bubbles for each turn; the newest stays in view."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conversation")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAccessibleName("Conversation")
        inner = QWidget()
        self._column = QVBoxLayout(inner)
        self._column.setContentsMargins(12, 12, 12, 12)
        self._column.setSpacing(10)
        self._column.addStretch(1)
        self.setWidget(inner)
        self._pending: QLabel | None = None
        self._writing: QLabel | None = None  # the reply being written, while it streams in
        self.add_assistant(WELCOME)

    def messages(self) -> list[tuple[str, str]]:
        """Every bubble as (who, text), oldest first: 'you' or 'chat-rec'."""
        return [(str(b.property("who")), b.text()) for b in self._bubbles()]

    def add_user(self, text: str) -> QLabel:
        """A bubble for what the user typed or said."""
        self.cut_short()
        return self._add("you", text)

    def add_assistant(self, text: str) -> QLabel:
        """A bubble for Chat-Rec's reply."""
        return self._add("chat-rec", text)

    def stream_assistant(self, text: str) -> None:
        """Append checked text of the reply being written (a bubble opens with its first words)."""
        if self._writing is None:
            self._writing = self._add("chat-rec", text.lstrip())
        else:
            self._writing.setText(self._writing.text() + text)
        self._writing.setAccessibleName(f"Chat-Rec said: {self._writing.text()}")

    def finish_assistant(self, text: str) -> QLabel:
        """The reply as it was finally written: it completes (or, rarely, replaces) the streamed bubble."""
        bubble, self._writing = self._writing, None
        if bubble is None:
            return self.add_assistant(text)
        bubble.setText(text)
        bubble.setAccessibleName(f"Chat-Rec said: {text}")
        return bubble

    def begin_spoken(self) -> None:
        """A placeholder bubble while the user is talking; filled in when the words are heard."""
        self.cut_short()
        self._pending = self._add("you", "\u2026 listening")

    def cut_short(self) -> None:
        """End the reply being written where it is: the user talked over it or asked something else.

        Its turn was cancelled and never finishes; without this the next reply would be appended to (or
        replace) that bubble, above the user's new words.
        """
        bubble, self._writing = self._writing, None
        if bubble is not None:
            bubble.setText(bubble.text().rstrip() + " \u2026")
            bubble.setAccessibleName(f"Chat-Rec said (cut short): {bubble.text()}")

    def heard(self, text: str) -> None:
        """Fill in (or drop, when nothing was heard) the listening placeholder."""
        if self._pending is None:
            if text:
                self.add_user(text)
            return
        if text:
            self._pending.setText(text)
            self._pending.setAccessibleName(f"You said: {text}")
        else:
            row = self._pending.parentWidget()
            if row is not None:
                self._column.removeWidget(row)
                row.deleteLater()
        self._pending = None

    def _add(self, who: str, text: str) -> QLabel:
        bubble = QLabel(text)
        bubble.setProperty("who", who)
        bubble.setWordWrap(True)
        bubble.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                       | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        bubble.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # screen readers and keyboard users can reach each one
        bubble.setAccessibleName(f"{'You said' if who == 'you' else 'Chat-Rec said'}: {text}")
        bubble.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        mine = who == "you"
        role = QPalette.ColorRole.Highlight if mine else QPalette.ColorRole.AlternateBase
        text_role = QPalette.ColorRole.HighlightedText if mine else QPalette.ColorRole.Text
        pad = max(8, self.fontMetrics().height() // 2)
        bubble.setStyleSheet(f"QLabel {{ background: palette({_css(role)}); color: palette({_css(text_role)});"
                             f" border-radius: {pad + 2}px; padding: {pad}px {pad + 4}px; }}")
        bubble.setMaximumWidth(max(320, self.viewport().width() * 9 // 10))
        # A row with a stretch on the far side: an aligned word-wrapped label would not get its height.
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        if mine:
            line.addStretch(1)
        line.addWidget(bubble, 100)
        if not mine:
            line.addStretch(1)
        self._column.insertWidget(self._column.count() - 1, row)
        QTimer.singleShot(0, self._scroll_to_end)
        return bubble

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Keep bubbles at most 90% of the width as the window resizes."""
        super().resizeEvent(event)
        width = max(320, self.viewport().width() * 9 // 10)
        for bubble in self._bubbles():
            bubble.setMaximumWidth(width)

    def _bubbles(self) -> list[QLabel]:
        found = []
        for i in range(self._column.count()):
            item = self._column.itemAt(i)
            row = item.widget() if item is not None else None
            bubble = row.findChild(QLabel) if row is not None else None
            if bubble is not None:
                found.append(bubble)
        return found

    def _scroll_to_end(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())


def _css(role: QPalette.ColorRole) -> str:
    return {QPalette.ColorRole.Highlight: "highlight", QPalette.ColorRole.AlternateBase: "alternate-base",
            QPalette.ColorRole.HighlightedText: "highlighted-text", QPalette.ColorRole.Text: "text"}[role]
