"""Counting reads of the settings file: config is read once at a start, and these tests hold the app to it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.paths import AppPaths


def settings_reads(monkeypatch: pytest.MonkeyPatch, paths: AppPaths) -> list[Path]:
    """Every read of paths' settings file from now on, as a list that grows."""
    reads: list[Path] = []
    real = Path.read_text

    def reading(self: Path, *args: Any, **kwargs: Any) -> str:
        if self == paths.config_file:
            reads.append(self)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", reading)
    return reads
