"""Accessibility helpers for what Qt leaves unnamed."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QToolButton, QWidget


def clear_button(edit: QLineEdit, name: str) -> None:
    """Show a line edit's clear button and give it a name screen readers can say."""
    edit.setClearButtonEnabled(True)
    for button in edit.findChildren(QToolButton):  # Qt creates it unnamed
        button.setAccessibleName(name)


def named_button(text: str, tip: str, parent: QWidget, slot: Callable[[], None]) -> QPushButton:
    """A push button whose accessible name is its text (without the mnemonic '&' or a trailing '…')."""
    button = QPushButton(text, parent)
    button.setAccessibleName(text.replace("&", "").rstrip("…"))
    button.setToolTip(tip)
    button.clicked.connect(slot)
    return button


def status_label(text: str, object_name: str, accessible_name: str, parent: QWidget) -> QLabel:
    """A wrapping, selectable line of status text that screen readers can name."""
    label = QLabel(text, parent)
    label.setObjectName(object_name)
    label.setWordWrap(True)
    label.setAccessibleName(accessible_name)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label
