"""Small file helpers shared by the tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from app.domain.errors import InputError


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    """Write text (UTF-8) or bytes to tmp_path/name and return the path."""
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def fails(read: Callable[[Path], object], path: Path, *, line: int | None, field: str | None,
          where: str | None = None) -> str:
    """Assert the reader raises InputError (returning nothing) naming the file (or where), line and field."""
    result: object = None
    with pytest.raises(InputError) as caught:
        result = read(path)
    assert result is None  # all-or-nothing: no partial result escapes
    message = str(caught.value)
    assert str(path) in message
    if where is not None:
        assert where in message
    assert caught.value.line == line
    assert caught.value.field == field
    if line is not None:
        assert f"line {line}" in message
    if field is not None:
        assert f"field '{field}'" in message
    return message
