"""A windowed build (Windows, macOS) starts with no console: printing and logging must still work."""

import sys

import pytest

from app.__main__ import _frozen_setup


def test_a_build_without_a_console_gets_streams_that_swallow_output(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    _frozen_setup()
    assert sys.stdout is not None and sys.stderr is not None
    print("a line nobody sees")  # would raise AttributeError on None
    print("nor this", file=sys.stderr)
    sys.stdout.close()
    sys.stderr.close()


def test_a_console_keeps_its_own_streams(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    _frozen_setup()
    print("seen")
    assert capsys.readouterr().out == "seen\n"
