"""`python -m app --smoke-screenshot FILE`: the real app, offscreen, loads the demo, answers, and saves the window."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.integration
def test_the_smoke_run_answers_a_typed_request_and_saves_the_window(tmp_path: Path) -> None:
    shot = tmp_path / "smoke.png"
    env = {**os.environ, "CHATREC_HOME": str(tmp_path / "home"), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-m", "app", "--smoke-screenshot", str(shot)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    image = QImage(str(shot))
    assert image.width() >= 1000 and image.height() >= 700
    # the window is not blank: cards and text make many distinct colours
    colours = {image.pixel(x, y) for x in range(0, image.width(), 16) for y in range(0, image.height(), 16)}
    assert len(colours) > 50
    folder = os.environ.get("CHATREC_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(folder) / "smoke.png")


@pytest.mark.integration
def test_without_a_display_python_m_app_opens_the_terminal_session(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["CHATREC_HOME"] = str(tmp_path / "home")
    if sys.platform != "linux":
        pytest.skip("only Linux runs without a display")
    done = subprocess.run([sys.executable, "-m", "app"], cwd=ROOT, env=env, input="quit\n",
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "no display found" in done.stderr and "Chat-Rec:" in done.stdout
