"""Spotify's histories read as plays: both export kinds, zipped or not; skips and podcasts left out."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from app.catalog.listens import read_listens
from app.catalog.spotify import is_spotify, read_spotify
from app.domain.errors import InputError

ACCOUNT = [{"endTime": "2024-01-31 21:05", "artistName": "Muldjord", "trackName": "Elf Land", "msPlayed": 181000},
           {"endTime": "2024-01-31 21:09", "artistName": "Muldjord", "trackName": "Elf Land", "msPlayed": 12000}]
EXTENDED = [{"ts": "2021-05-02T10:00:00Z", "ms_played": 200000, "master_metadata_track_name": "The City Falls",
             "master_metadata_album_artist_name": "Doug Kaufman", "master_metadata_album_album_name": "Wesnoth",
             "episode_name": None, "spotify_episode_uri": None},
            {"ts": "2021-05-02T11:00:00Z", "ms_played": 1800000, "master_metadata_track_name": None,
             "master_metadata_album_artist_name": None, "episode_name": "Episode 12",
             "spotify_episode_uri": "spotify:episode:x"},
            {"ts": "2021-05-02T12:00:00Z", "ms_played": 90000, "master_metadata_track_name": None,
             "master_metadata_album_artist_name": None, "episode_name": None, "spotify_episode_uri": None}]


def write(tmp_path: Path, name: str, records: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def test_account_data_plays_under_30_seconds_are_skips(tmp_path: Path) -> None:
    listens = read_spotify(write(tmp_path, "StreamingHistory_music_0.json", ACCOUNT))
    assert [(x.artist, x.title) for x in listens] == [("Muldjord", "Elf Land")]
    assert listens[0].timestamp == 1706735100.0


def test_the_extended_history_leaves_out_podcast_episodes_and_unknown_tracks(tmp_path: Path) -> None:
    listens = read_spotify(write(tmp_path, "Streaming_History_Audio_2021_0.json", EXTENDED))
    assert [(x.artist, x.title, x.album) for x in listens] == [("Doug Kaufman", "The City Falls", "Wesnoth")]


def test_spotifys_zip_is_read_and_import_listens_tells_it_from_listenbrainz(tmp_path: Path) -> None:
    path = tmp_path / "my_spotify_data.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("Spotify Account Data/StreamingHistory_music_0.json", json.dumps(ACCOUNT))
        archive.writestr("Spotify Account Data/Userdata.json", json.dumps({"username": "me"}))
        archive.writestr("Spotify Extended Streaming History/Streaming_History_Audio_2021_0.json",
                         json.dumps(EXTENDED))
    assert is_spotify(path)
    source, listens = read_listens(path)
    assert source == "spotify" and len(listens) == 2


def test_a_podcast_only_history_says_there_is_no_music(tmp_path: Path) -> None:
    path = write(tmp_path, "Streaming_History_Audio_2021_0.json", EXTENDED[1:])
    with pytest.raises(InputError, match="no music plays") as caught:
        read_spotify(path)
    assert caught.value.file == str(path)


def test_a_bad_record_is_named(tmp_path: Path) -> None:
    bad = [ACCOUNT[0], {**ACCOUNT[0], "msPlayed": "lots"}]
    with pytest.raises(InputError, match="record 2") as caught:
        read_spotify(write(tmp_path, "StreamingHistory_music_0.json", bad))
    assert caught.value.field == "msPlayed"


def test_other_json_is_not_spotify(tmp_path: Path) -> None:
    assert not is_spotify(write(tmp_path, "listens.json", [{"listened_at": 1, "track_metadata": {}}]))
    assert not is_spotify(write(tmp_path, "broken.json", "["[:1]))


def test_spotify_is_told_from_the_first_bytes_of_a_large_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "StreamingHistory_music_0.json"
    with big.open("wb") as handle:
        handle.write(b"not json at all" + b"\0" * 4096)
        handle.seek(64 * 1024 * 1024)
        handle.write(b"end")

    def never(self: Path) -> bytes:
        raise AssertionError(f"{self} was read whole")

    monkeypatch.setattr(Path, "read_bytes", never)
    assert not is_spotify(big)
    assert is_spotify(write(tmp_path, "StreamingHistory_music_1.json", ACCOUNT))
