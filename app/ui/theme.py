"""Light and dark themes: Fusion with our palettes, plus one style sheet that uses palette colours."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from app.paths import resources_dir

# calm, high-contrast colours (WCAG AA for text on base and window in both themes)
_LIGHT = {"window": "#f5f6f8", "base": "#ffffff", "alt": "#eef0f3", "text": "#1c1f24", "muted": "#5b6270",
          "button": "#ffffff", "highlight": "#2f6fde", "highlighted_text": "#ffffff", "link": "#2458b8",
          "tooltip": "#1c1f24", "tooltip_text": "#ffffff", "mid": "#c9ced6"}
_DARK = {"window": "#1b1d22", "base": "#23262d", "alt": "#2a2e36", "text": "#e8eaee", "muted": "#a2a9b6",
         "button": "#2a2e36", "highlight": "#5b8def", "highlighted_text": "#0d1117", "link": "#8ab4ff",
         "tooltip": "#e8eaee", "tooltip_text": "#1b1d22", "mid": "#3a3f4a"}


def resolve(theme: str) -> str:
    """'dark' or 'light' (the theme setting's choices): the system's scheme when asked for 'system' (light when
    it cannot tell)."""
    if theme in ("dark", "light"):
        return theme
    scheme = QGuiApplication.styleHints().colorScheme()
    return "dark" if scheme == Qt.ColorScheme.Dark else "light"


def palette_for(name: str) -> QPalette:
    """The palette of a resolved theme."""
    colours = _DARK if name == "dark" else _LIGHT
    palette = QPalette()
    role = QPalette.ColorRole
    for key, roles in (("window", (role.Window,)), ("base", (role.Base,)), ("alt", (role.AlternateBase,)),
                       ("text", (role.WindowText, role.Text, role.ButtonText)),
                       ("muted", (role.PlaceholderText,)), ("button", (role.Button,)),
                       ("highlight", (role.Highlight, role.Accent)),
                       ("highlighted_text", (role.HighlightedText,)), ("link", (role.Link,)),
                       ("tooltip", (role.ToolTipBase,)), ("tooltip_text", (role.ToolTipText,)),
                       ("mid", (role.Mid, role.Midlight))):
        for r in roles:
            palette.setColor(r, QColor(colours[key]))
    disabled = QColor(colours["muted"])
    for r in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, r, disabled)
    return palette


def apply_theme(app: QApplication, theme: str) -> str:
    """Apply a theme to the whole app; returns the resolved name (dark or light)."""
    name = resolve(theme)
    app.setStyle("Fusion")  # the same look on every OS, and it honours our palette
    app.setPalette(palette_for(name))
    sheet = resources_dir() / "themes" / "app.qss"
    app.setStyleSheet(sheet.read_text(encoding="utf-8") if sheet.is_file() else "")
    app.setProperty("chatrecTheme", name)
    return name
