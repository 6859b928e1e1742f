"""The desktop engine keeps chromadb out of its own process: both indexes live in the helper, and work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.test_music_library import WESNOTH, real_music

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]

# Run in a fresh interpreter: this test process has imported chromadb long ago.
SCRIPT = """
import json, sys
from app.bootstrap import open_engine
from app.paths import app_paths

engine = open_engine(app_paths(), responsive=True)
engine.catalogue.import_demo()
engine.music.import_folders([sys.argv[1]])
texts = engine.index.search("coffee for travel", 3)
tracks, _raw = engine.music_files.raw_features()
sounds = engine.recommendations.similar(tracks[0], 2)
print(json.dumps({"chromadb_here": "chromadb" in sys.modules, "texts": [h.id for h in texts],
                  "tracks": tracks,
                  "similar": [r.item.id for r in sounds], "sound_match": sounds[0].breakdown.sound is not None}))
engine.close()
"""


def test_the_window_process_never_loads_chromadb(tmp_path: Path) -> None:
    real_music()
    music = tmp_path / "Music"
    music.mkdir()
    for source in sorted(WESNOTH.glob("*.ogg"))[:3]:
        (music / source.name).symlink_to(source)
    env = {**os.environ, "CHATREC_HOME": str(tmp_path / "home")}
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(music)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["chromadb_here"] is False
    assert len(result["texts"]) == 3
    assert set(result["similar"]) == set(result["tracks"][1:])
    assert result["sound_match"] is True
