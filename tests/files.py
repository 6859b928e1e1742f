"""Small file helpers shared by the tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from app.domain.errors import InputError

T = TypeVar("T")


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


def within(seconds: float, call: Callable[[], T]) -> T:
    """call()'s result (or its exception), failing the test instead of hanging it when it takes longer:
    a reader that opens a FIFO blocks for good."""
    outcome: list[tuple[bool, object]] = []

    def run() -> None:
        try:
            outcome.append((True, call()))
        except BaseException as exc:  # handed to the test's thread, where it is raised again
            outcome.append((False, exc))

    worker = threading.Thread(target=run, daemon=True)  # a blocked one must not keep pytest from exiting
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        pytest.fail(f"still running after {seconds:g} s (blocked opening a named pipe?)")
    ok, value = outcome[0]
    if not ok:
        raise value  # type: ignore[misc]
    return value  # type: ignore[return-value]
