"""The desktop app: the only Qt code."""
