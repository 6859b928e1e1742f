"""The music library service on fakes: incremental scans, skips, removal, sound neighbours and reasons."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.bootstrap import Engine, open_engine
from app.domain.errors import CancelledError, ChatRecError
from app.domain.items import ME
from app.domain.progress import CancelToken
from app.paths import AppPaths
from app.services.recommendations import RecommendRequest
from tests.fakes.analyser import FakeTrackAnalyser, write_track
from tests.fakes.embedder import FakeEmbedder
from tests.fakes.vector_store import InMemoryVectorStore


@pytest.fixture
def analyser() -> FakeTrackAnalyser:
    return FakeTrackAnalyser()


@pytest.fixture
def music(paths: AppPaths, analyser: FakeTrackAnalyser) -> Iterator[Engine]:
    engine = open_engine(paths, embedder=FakeEmbedder(), vector_store=InMemoryVectorStore(),
                         sound_store=InMemoryVectorStore(), analyser=analyser)
    yield engine
    engine.close()


@pytest.fixture
def library(tmp_path: Path) -> Path:
    root = tmp_path / "Music"
    # Two loud, bright, fast tracks; two calm, dark, slow ones.
    write_track(root / "Metal" / "Riff.ogg", [9, 8, 1, 1], artist="Band", tempo=128, energy="high",
                brightness="bright", key="E", mode="minor")
    write_track(root / "Metal" / "Shred.mp3", [8, 9, 1.2, 1], artist="Band", tempo=124, energy="high",
                brightness="bright", key="A", mode="minor")
    write_track(root / "Piano" / "Nocturne.flac", [1, 1, 9, 8], artist="Pianist", tempo=66, energy="low",
                brightness="dark", key="C", mode="major")
    write_track(root / "Piano" / "Lullaby.wav", [1.1, 1, 8, 9], artist="Pianist", tempo=70, energy="low",
                brightness="dark", key="C", mode="major")
    return root


def _track(engine: Engine, path: Path) -> str:
    item_id = engine.music_files.item_for_path(str(path))
    assert item_id is not None, path
    return item_id


def test_import_indexes_every_track_with_tags_and_sound(music: Engine, library: Path) -> None:
    report = music.music.import_folders([str(library)])
    assert (report.found, report.added, report.skipped) == (4, 4, ())
    track = music.store.get_item(_track(music, library / "Metal" / "Riff.ogg"))
    assert (track.domain, track.title, track.creators) == ("music", "Riff", ("Band",))
    assert float(track.attributes["tempo_bpm"]) == 128 and "energetic" in track.text()
    assert report.run.status == "done" and report.run.items == 4


def test_rescan_of_an_unchanged_library_analyses_nothing(music: Engine, library: Path,
                                                          analyser: FakeTrackAnalyser) -> None:
    music.music.import_folders([str(library)])
    analyser.analysed.clear()
    report = music.music.import_folders([])  # no folder: every folder imported before
    assert analyser.analysed == [] and report.unchanged == 4


def test_changed_file_is_reanalysed_and_deleted_file_removed(music: Engine, library: Path,
                                                              analyser: FakeTrackAnalyser) -> None:
    music.music.import_folders([str(library)])
    riff = library / "Metal" / "Riff.ogg"
    write_track(riff, [9, 9, 1, 1], title="Riff (remix)", tempo=130)
    os.utime(riff, ns=(1, 2_000_000_000_000_000_000))
    gone = library / "Piano" / "Lullaby.wav"
    gone_id = _track(music, gone)
    gone.unlink()
    analyser.analysed.clear()
    report = music.music.import_folders([str(library)])
    assert analyser.analysed == [str(riff)]
    assert (report.updated, report.removed) == (1, 1)
    assert music.store.get_item(_track(music, riff)).title == "Riff (remix)"
    assert gone_id not in music.store.items_by_ids([gone_id])


def test_a_deleted_track_that_was_rated_keeps_its_item_and_rating(music: Engine, library: Path) -> None:
    music.music.import_folders([str(library)])
    gone = library / "Piano" / "Lullaby.wav"
    gone_id = _track(music, gone)
    music.store.rate(ME, gone_id, stars=5)
    gone.unlink()
    music.music.import_folders([str(library)])
    assert gone_id in music.store.items_by_ids([gone_id])
    assert [r.item_id for r in music.store.ratings_of(ME)] == [gone_id]


def test_a_new_extractor_version_reanalyses_everything(music: Engine, library: Path,
                                                       analyser: FakeTrackAnalyser) -> None:
    music.music.import_folders([str(library)])
    analyser.version = "fake-2"
    analyser.analysed.clear()
    music.music.import_folders([str(library)])
    assert len(analyser.analysed) == 4


def test_a_file_that_fails_is_skipped_with_its_reason_and_the_rest_indexed(music: Engine, library: Path) -> None:
    bad = write_track(library / "bad.ogg", [0, 0, 0, 0], fail="damaged audio: unexpected end of stream")
    report = music.music.import_folders([str(library)])
    assert [(s.path, s.reason) for s in report.skipped] == [(str(bad), "damaged audio: unexpected end of stream")]
    assert music.music_files.summary().indexed == 4
    # It is remembered: an unchanged bad file is not retried on every scan.
    assert music.music.import_folders([str(library)]).unchanged == 5


def test_a_track_that_turns_bad_loses_its_item(music: Engine, library: Path) -> None:
    music.music.import_folders([str(library)])
    riff = library / "Metal" / "Riff.ogg"
    riff_id = _track(music, riff)
    riff.write_text("not audio any more", encoding="utf-8")
    music.music.import_folders([str(library)])
    assert riff_id not in music.store.items_by_ids([riff_id])
    assert any(s.path == str(riff) for s in music.music_files.summary().skipped)


def test_cancel_keeps_the_tracks_analysed_before_it(music: Engine, library: Path,
                                                    analyser: FakeTrackAnalyser) -> None:
    analyser.cancel_after = 2
    with pytest.raises(CancelledError):
        music.music.import_folders([str(library)], cancel=CancelToken())
    assert music.music_files.summary().indexed == 2
    assert music.store.import_runs()[0].status == "interrupted"
    analyser.cancel_after = None
    report = music.music.import_folders([str(library)])  # picks up where it stopped
    assert (report.added, report.unchanged) == (2, 2)


def test_a_missing_folder_is_a_clear_error(music: Engine, tmp_path: Path) -> None:
    with pytest.raises(ChatRecError, match="no such folder"):
        music.music.import_folders([str(tmp_path / "nowhere")])


def test_importing_nothing_before_any_folder_says_what_to_do(music: Engine) -> None:
    with pytest.raises(ChatRecError, match="name a music folder"):
        music.music.import_folders([])


def test_similar_by_sound_names_the_close_tracks_with_feature_reasons(music: Engine, library: Path) -> None:
    music.music.import_folders([str(library)])
    found = music.recommendations.similar(_track(music, library / "Metal" / "Riff.ogg"), k=3)
    assert found[0].item.title == "Shred"
    reason = found[0].reasons[0]
    assert reason == "similar tempo (124 vs 128 BPM) and bright, energetic sound, like Riff"
    assert found[0].breakdown.parts[0].name == "audio"


def test_recommend_for_music_uses_sound_for_a_user_who_rated_tracks(music: Engine, library: Path) -> None:
    music.music.import_folders([str(library)])
    music.store.rate(ME, _track(music, library / "Piano" / "Nocturne.flac"), stars=5)
    recs = music.recommendations.recommend(RecommendRequest(k=3, domain="music"))
    assert recs[0].item.title == "Lullaby"
    assert "audio" in recs[0].breakdown.as_dict()
    assert recs[0].breakdown.sound is not None and recs[0].breakdown.sound.title == "Nocturne"
    assert any("like Nocturne you rated 5★" in reason for reason in recs[0].reasons)


def test_the_sound_index_is_rebuilt_from_the_database(music: Engine, library: Path, paths: AppPaths,
                                                       analyser: FakeTrackAnalyser) -> None:
    music.music.import_folders([str(library)])
    music.close()
    reopened = open_engine(paths, embedder=FakeEmbedder(), vector_store=InMemoryVectorStore(),
                           sound_store=InMemoryVectorStore(), analyser=analyser)
    try:  # a fresh, empty sound store: the first query rebuilds it from SQLite
        found = reopened.recommendations.similar(_track(reopened, library / "Piano" / "Nocturne.flac"), k=1)
        assert [r.item.title for r in found] == ["Lullaby"]
    finally:
        reopened.close()


def test_progress_reports_done_total_and_eta(music: Engine, library: Path) -> None:
    reports: list[tuple[int, int, str]] = []
    music.music.import_folders([str(library)], progress=lambda d, t, m: reports.append((d, t, m)))
    listening = [r for r in reports if r[2].startswith("listening")]
    assert [r[0] for r in listening] == [1, 2, 3, 4] and {r[1] for r in listening} == {4}
