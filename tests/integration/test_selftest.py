"""`chatrec selftest --json` from source, with the real models: every part of the app answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.integration
@pytest.mark.slow
def test_every_part_of_the_app_passes_its_self_test(tmp_path: Path) -> None:
    env = {**os.environ, "CHATREC_HOME": str(tmp_path / "home"), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-m", "app", "selftest", "--json"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    report = json.loads(done.stdout)
    failed = {name: check["detail"] for name, check in report["checks"].items() if not check["ok"]}
    assert failed == {} and report["ok"] is True and done.returncode == 0
    assert set(report["checks"]) == {"vector_index", "text_embedding", "speech_to_text", "text_to_speech",
                                     "chat_model", "music_analysis", "window"}
    assert "funny movies" in report["checks"]["speech_to_text"]["detail"]
    assert '{"genre": "comedy"}' in report["checks"]["chat_model"]["detail"]
    assert "120 BPM" in report["checks"]["music_analysis"]["detail"]
    assert (tmp_path / "home" / "logs" / "selftest-window.png").is_file()
    assert not (tmp_path / "home" / "data" / "chatrec.sqlite3").exists()  # the user's library is untouched
