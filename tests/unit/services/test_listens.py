"""Listening history as implicit ratings, matched to library tracks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.bootstrap import Engine, open_engine
from app.domain.errors import ChatRecError, InputError
from app.domain.items import ME
from app.paths import AppPaths
from app.services.recommendations import RecommendRequest
from tests.fakes.analyser import FakeTrackAnalyser, write_track
from tests.fakes.embedder import FakeEmbedder
from tests.fakes.vector_store import InMemoryVectorStore

MBID = "5b11f4ce-a62d-471e-81fc-a69a8278c7da"


@pytest.fixture
def engine_with_music(paths: AppPaths, tmp_path: Path) -> Iterator[Engine]:
    engine = open_engine(paths, embedder=FakeEmbedder(), vector_store=InMemoryVectorStore(),
                         sound_store=InMemoryVectorStore(), analyser=FakeTrackAnalyser())
    root = tmp_path / "Music"
    write_track(root / "a.ogg", [9, 8, 1, 1], title="Smells Like Teen Spirit", artist="Nirvana", mbid=MBID)
    write_track(root / "b.ogg", [8, 9, 1, 1], title="Come as You Are", artist="Nirvana")
    write_track(root / "c.ogg", [1, 1, 9, 9], title="Clair de Lune", artist="Claude Debussy")
    engine.music.import_folders([str(root)])
    yield engine
    engine.close()


def _listen(artist: str, title: str, at: int, mbid: str = "") -> dict[str, object]:
    info = {"recording_mbid": mbid} if mbid else {}
    return {"listened_at": at, "track_metadata": {"artist_name": artist, "track_name": title,
                                                  "additional_info": info}}


def _write_listenbrainz(path: Path, listens: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(x) for x in listens), encoding="utf-8")
    return path


def _stars(engine: Engine) -> dict[str, float | None]:
    titles = {i.id: i.title for i in engine.store.items("music")}
    return {titles[r.item_id]: r.stars for r in engine.store.ratings_of(ME)}


def test_plays_become_ratings_matched_by_mbid_then_by_artist_and_title(engine_with_music: Engine,
                                                                        tmp_path: Path) -> None:
    listens = [_listen("Nirvana (renamed)", "SLTS", t, MBID) for t in range(5)]  # only the mbid matches
    listens += [_listen("nirvana", "Come As You Are (Remastered 2021)", 10), _listen("Nirvana", "Come as You Are", 11)]
    listens += [_listen("Unknown Band", "Not Here", 12)]
    report = engine_with_music.listens.import_file(_write_listenbrainz(tmp_path / "l.jsonl", listens))
    assert (report.source, report.listens, report.matched, report.unmatched) == ("listenbrainz", 8, 2, 1)
    assert report.unmatched_examples == ("Unknown Band - Not Here",)
    assert _stars(engine_with_music) == {"Smells Like Teen Spirit": 5.0, "Come as You Are": 4.0}


def test_a_rating_made_at_the_desk_is_kept(engine_with_music: Engine, tmp_path: Path) -> None:
    debussy = next(i.id for i in engine_with_music.store.items("music") if i.title == "Clair de Lune")
    engine_with_music.store.rate(ME, debussy, stars=2)
    report = engine_with_music.listens.import_file(
        _write_listenbrainz(tmp_path / "l.jsonl", [_listen("Claude Debussy", "Clair de Lune", t) for t in range(9)]))
    assert report.kept == 1 and report.rated == 0
    assert _stars(engine_with_music) == {"Clair de Lune": 2.0}


def test_a_reimport_replaces_the_earlier_history(engine_with_music: Engine, tmp_path: Path) -> None:
    first = _write_listenbrainz(tmp_path / "l.jsonl", [_listen("Nirvana", "Come as You Are", 1)])
    engine_with_music.listens.import_file(first)
    second = _write_listenbrainz(tmp_path / "l2.jsonl", [_listen("Claude Debussy", "Clair de Lune", 1)])
    engine_with_music.listens.import_file(second)
    assert _stars(engine_with_music) == {"Clair de Lune": 3.0}


def test_history_feeds_sound_recommendations(engine_with_music: Engine, tmp_path: Path) -> None:
    engine_with_music.listens.import_file(_write_listenbrainz(
        tmp_path / "l.jsonl", [_listen("Nirvana", "Smells Like Teen Spirit", t, MBID) for t in range(6)]))
    recs = engine_with_music.recommendations.recommend(RecommendRequest(k=1, domain="music"))
    assert recs[0].item.title == "Come as You Are" and "audio" in recs[0].breakdown.as_dict()


def test_a_lastfm_csv_is_read_too(engine_with_music: Engine, tmp_path: Path) -> None:
    csv_file = tmp_path / "scrobbles.csv"
    csv_file.write_text("uts,utc_time,artist,artist_mbid,album,album_mbid,track,track_mbid\n"
                        "1600000000,x,Nirvana,,Nevermind,,Come as You Are,\n", encoding="utf-8")
    report = engine_with_music.listens.import_file(csv_file)
    assert (report.source, report.matched) == ("lastfm", 1)


def test_history_before_any_music_says_what_to_do(paths: AppPaths, tmp_path: Path) -> None:
    engine = open_engine(paths, embedder=FakeEmbedder(), vector_store=InMemoryVectorStore(),
                         sound_store=InMemoryVectorStore(), analyser=FakeTrackAnalyser())
    try:
        with pytest.raises(ChatRecError, match="import your music first"):
            engine.listens.import_file(_write_listenbrainz(tmp_path / "l.jsonl", [_listen("a", "b", 1)]))
    finally:
        engine.close()


def test_a_broken_history_file_changes_nothing(engine_with_music: Engine, tmp_path: Path) -> None:
    good = _write_listenbrainz(tmp_path / "ok.jsonl", [_listen("Nirvana", "Come as You Are", 1)])
    engine_with_music.listens.import_file(good)
    broken = tmp_path / "bad.jsonl"
    broken.write_text(json.dumps(_listen("Claude Debussy", "Clair de Lune", 1)) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 2"):
        engine_with_music.listens.import_file(broken)
    assert _stars(engine_with_music) == {"Come as You Are": 3.0}
