"""The conversation issue's 'done when', for real: `chatrec ask` with no Ollama, on MovieLens 100K,
the embedded SmolLM2 and MiniLM, in subprocesses; and a forced Ollama that is not there."""

from __future__ import annotations

import importlib.util
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_cli_end_to_end import chatrec

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(importlib.util.find_spec("recbole") is None, reason="MovieLens package missing"),
]
CRIME_OR_THRILLER = {"Crime", "Thriller", "Film-Noir", "Mystery"}


def ask(home: Path, *argv: str) -> Any:
    done = chatrec(home, "ask", *argv, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def dead_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("conversation-home")
    (folder / "config").mkdir(parents=True)
    # Nothing listens here, as on a fresh machine without Ollama (and the test never reaches a real one).
    (folder / "config" / "settings.toml").write_text(f'ollama_host = "http://127.0.0.1:{dead_port()}"\n',
                                                      encoding="utf-8")
    done = chatrec(folder, "import", "movielens", "--size", "100k", "--json")
    assert done.returncode == 0, done.stderr
    yield folder


def test_the_issue_request_gives_grounded_cards_with_reasons_from_the_embedded_model(home: Path) -> None:
    payload = ask(home, "I loved Fargo and Pulp Fiction, something darker from the 90s")
    assert payload["backend"] == "embedded"
    assert set(payload) >= {"reply", "items", "intent", "backend", "fallbacks", "timings_ms", "session"}
    assert payload["intent"]["liked"] == ["Fargo", "Pulp Fiction"]
    assert (payload["intent"]["year_min"], payload["intent"]["year_max"]) == (1990, 1999)
    items = payload["items"]
    assert len(items) == 5
    for item in items:
        assert item["id"].startswith("movie:") and 1990 <= item["year"] <= 1999
        assert item["id"] not in ("movie:fargo-1996", "movie:pulp-fiction-1994")
        assert item["breakdown"] and item["reasons"] and item["title"] in payload["reply"]
    assert sum(bool(CRIME_OR_THRILLER & set(i["genres"])) for i in items) >= 3
    assert {"understand", "recommend", "total"} <= set(payload["timings_ms"])


def test_a_follow_up_in_the_same_session_refines_the_request(home: Path) -> None:
    first = ask(home, "something like Fargo")
    refined = ask(home, "only from the 80s", "--session", first["session"])
    assert refined["intent"]["action"] == "refine" and refined["intent"]["liked"] == ["Fargo"]
    assert all(1980 <= i["year"] <= 1989 for i in refined["items"])
    why = ask(home, "why the first one?", "--session", refined["session"])
    assert [i["id"] for i in why["items"]] == [refined["items"][0]["id"]]


def test_forcing_ollama_when_it_is_not_running_falls_back_and_says_so(home: Path) -> None:
    payload = ask(home, "a funny movie from the 90s", "--backend", "ollama")
    assert payload["backend"] == "embedded" and payload["items"]
    assert any("is not running" in note and "embedded" in note for note in payload["fallbacks"])
