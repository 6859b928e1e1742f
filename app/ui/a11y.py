"""Accessibility helpers for what Qt leaves unnamed."""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit, QToolButton


def clear_button(edit: QLineEdit, name: str) -> None:
    """Show a line edit's clear button and give it a name screen readers can say."""
    edit.setClearButtonEnabled(True)
    for button in edit.findChildren(QToolButton):  # Qt creates it unnamed
        button.setAccessibleName(name)
