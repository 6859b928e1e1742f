"""The issue's 'done when', for real: MovieLens, MiniLM, Chroma and the CLI in subprocesses."""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.catalog.movielens import read_movielens

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(importlib.util.find_spec("recbole") is None, reason="MovieLens package missing"),
]
ROOT = Path(__file__).parents[2]


def chatrec(home: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CHATREC_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "app", *argv], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("movielens-home")
    done = chatrec(folder, "import", "movielens", "--size", "100k", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["import"]["ratings"] == 100_000
    yield folder


def test_recommend_prints_five_real_unrated_items_with_breakdowns_and_reasons(home: Path) -> None:
    done = chatrec(home, "recommend", "--user", "ml:1", "--k", "5", "--json")
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    data = read_movielens("100k")
    rated = {item for user, item, _, _ in data.ratings if user == "ml:1"}
    catalogue = {item.id: item.title for item in data.items}
    assert payload["user"] == "ml:1" and len(payload["items"]) == 5
    for entry in payload["items"]:
        assert entry["id"] in catalogue and entry["title"] == catalogue[entry["id"]]
        assert entry["id"] not in rated
        assert entry["breakdown"] and entry["reasons"]
        assert 1 <= entry["predicted_stars"] <= 5
    assert any(r.startswith("because you rated") for e in payload["items"] for r in e["reasons"])


def test_a_rating_changes_the_next_answer_through_the_cli(home: Path) -> None:
    before = json.loads(chatrec(home, "recommend", "--k", "5", "--json").stdout)["items"]
    for movie in ("movie:toy-story-1995", "movie:aladdin-1992", "movie:the-lion-king-1994"):
        assert chatrec(home, "rate", movie, "5").returncode == 0
    after = json.loads(chatrec(home, "recommend", "--k", "5", "--json").stdout)["items"]
    assert [e["id"] for e in before] != [e["id"] for e in after]
    family = [bool({"Children's", "Animation"} & set(e["genres"])) for e in after]
    assert family[0] and sum(family) >= 2


def test_text_search_finds_movies_by_meaning(home: Path) -> None:
    done = chatrec(home, "search", "animated film for children", "--k", "10", "--json")
    genres = [set(e["genres"]) for e in json.loads(done.stdout)["items"]]
    assert sum(bool({"Animation", "Children's"} & g) for g in genres) >= 6


@pytest.mark.parametrize("damage", ["delete", "corrupt"])
def test_a_chroma_folder_deleted_or_corrupted_between_runs_is_rebuilt(home: Path, damage: str) -> None:
    chroma = home / "data" / "chroma"
    if damage == "delete":
        shutil.rmtree(chroma)
    else:
        for found in chroma.rglob("*.sqlite3"):
            found.write_bytes(b"\x00garbage" * 4096)
    assert json.loads(chatrec(home, "status", "--json").stdout)["index_current"] is False
    done = chatrec(home, "search", "a dark crime thriller", "--k", "3", "--json")
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["items"]) == 3
    status = json.loads(chatrec(home, "status", "--json").stdout)
    assert status["index_current"] is True
