"""Tag reading: real tags from generated ogg/flac/mp3/m4a/wav files, the names fallback, and hostile values."""

from __future__ import annotations

import builtins
import importlib
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from app.catalog import tags as tags_module
from app.catalog.tags import clean_text, parse_year, read_tags, split_genres, tags_from_names
from app.domain.errors import AudioFileError
from app.domain.music import TrackTags

RATE = 16000  # one rate every encoder accepts, Opus included
SECONDS = 1.0
RECORDING = "7A0C5E77-1D5B-4E1D-9A7A-6F1E1C2B3D4E"
ARTIST_ID = "b10bbbfc-cf9e-42e0-be17-e2c3e1d2600d"
RELEASE_ID = "f5093c06-23e3-404f-aeaa-40f72885ee3a"
TAGS = {"title": "Some Title", "artist": "Some Artist", "album": "Some Album", "genre": "Rock; Pop",
        "date": "2012-12-15", "tracknumber": "3/12", "musicbrainz_trackid": RECORDING,
        "musicbrainz_artistid": ARTIST_ID, "musicbrainz_albumid": RELEASE_ID}
EXPECTED = TrackTags(title="Some Title", artist="Some Artist", album="Some Album", genres=("Rock", "Pop"),
                     year=2012, track_number=3, duration_s=SECONDS,
                     musicbrainz={"recording": RECORDING.lower(), "artist": ARTIST_ID, "release": RELEASE_ID})


def mutagen_module(name: str) -> Any:
    """A mutagen submodule typed as Any: mutagen's classes carry no annotations."""
    return importlib.import_module(f"mutagen.{name}")


def tone(seconds: float = SECONDS) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    return (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def write_audio(path: Path, **kwargs: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), tone(), RATE, **kwargs)
    return path


def write_m4a(path: Path) -> Path:
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    samples = tone()
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=RATE)
        stream.layout = "mono"
        for start in range(0, len(samples), 1024):
            chunk = samples[start:start + 1024].reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(chunk, format="flt", layout="mono")
            frame.rate = RATE
            frame.pts = start
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def tag_easy(path: Path, values: dict[str, str]) -> None:
    import mutagen

    audio = mutagen.File(str(path), easy=True)
    if audio.tags is None:
        audio.add_tags()
    for key, value in values.items():
        audio[key] = value
    audio.save()


def assert_tags(got: TrackTags, expected: TrackTags = EXPECTED) -> None:
    assert got.duration_s == pytest.approx(expected.duration_s, abs=0.15)
    assert replace(got, duration_s=None) == replace(expected, duration_s=None)


MAKERS: dict[str, Callable[[Path], Path]] = {
    "ogg": lambda p: write_audio(p, format="OGG", subtype="VORBIS"),
    "opus": lambda p: write_audio(p, format="OGG", subtype="OPUS"),
    "flac": lambda p: write_audio(p, format="FLAC"),
    "mp3": lambda p: write_audio(p, format="MP3"),
    "m4a": write_m4a,
}


@pytest.mark.parametrize("ext", sorted(MAKERS))
def test_tags_from_each_format(tmp_path: Path, ext: str) -> None:
    path = MAKERS[ext](tmp_path / "Folder" / f"file.{ext}")
    tag_easy(path, TAGS)
    assert_tags(read_tags(str(path), str(tmp_path)))


def test_wav_with_plain_id3_tags(tmp_path: Path) -> None:
    id3, wave = mutagen_module("id3"), mutagen_module("wave")
    path = write_audio(tmp_path / "file.wav")
    audio = wave.WAVE(str(path))
    audio.add_tags()
    for frame in (id3.TIT2(text="Some Title"), id3.TPE1(text="Some Artist"), id3.TALB(text="Some Album"),
                  id3.TCON(text="Rock; Pop"), id3.TDRC(text="2012-12-15"), id3.TRCK(text="3/12"),
                  id3.TXXX(desc="MusicBrainz Artist Id", text=ARTIST_ID),
                  id3.TXXX(desc="MusicBrainz Album Id", text=RELEASE_ID),
                  id3.UFID(owner="http://musicbrainz.org", data=RECORDING.encode())):
        audio.tags.add(frame)
    audio.save()
    assert_tags(read_tags(str(path), str(tmp_path)))


def test_albumartist_stands_in_for_a_missing_artist(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "a.flac", format="FLAC")
    tag_easy(path, {"title": "T", "albumartist": "Band"})
    assert read_tags(str(path), str(tmp_path)).artist == "Band"


def test_invalid_musicbrainz_ids_are_dropped(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "a.flac", format="FLAC")
    tag_easy(path, {"title": "T", "musicbrainz_trackid": "not-a-uuid", "musicbrainz_artistid": f"{ARTIST_ID}/junk"})
    assert read_tags(str(path), str(tmp_path)).musicbrainz == {"artist": ARTIST_ID}


def test_untagged_file_falls_back_to_names(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "Artist Folder" / "Album_Folder" / "01 - Some Artist - Some Title.ogg",
                       format="OGG", subtype="VORBIS")
    got = read_tags(str(path), str(tmp_path))
    assert got == TrackTags(title="Some Title", artist="Some Artist", album="Album Folder", track_number=1,
                            duration_s=got.duration_s, from_names=True)
    assert got.duration_s == pytest.approx(SECONDS, abs=0.15)


def test_names_use_only_folders_inside_the_root(tmp_path: Path) -> None:
    root = tmp_path / "Artist" / "Album" / "library"
    path = write_audio(root / "Song.ogg", format="OGG", subtype="VORBIS")
    got = read_tags(str(path), str(root))
    assert (got.title, got.artist, got.album, got.from_names) == ("Song", "", "", True)


def test_a_missing_tag_falls_back_field_by_field(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "Band" / "Record" / "02. Tune.flac", format="FLAC")
    tag_easy(path, {"genre": "Jazz"})
    got = read_tags(str(path), str(tmp_path))
    assert (got.title, got.artist, got.album, got.track_number, got.genres, got.from_names) == \
        ("Tune", "Band", "Record", 2, ("Jazz",), True)


@pytest.mark.parametrize(("name", "track", "artist", "title"), [
    ("01 Title.mp3", 1, "", "Title"),
    ("01. Title.mp3", 1, "", "Title"),
    ("01 - Title.mp3", 1, "", "Title"),
    ("1-03 Title.mp3", 3, "", "Title"),
    ("Artist - Title.mp3", None, "Artist", "Title"),
    ("some_song_name.mp3", None, "", "some song name"),
    ("1999 - Prince.mp3", None, "1999", "Prince"),
    ("07.mp3", None, "", "07"),
])
def test_file_name_patterns(tmp_path: Path, name: str, track: int | None, artist: str, title: str) -> None:
    got = tags_from_names(str(tmp_path / name), str(tmp_path))
    assert (got.track_number, got.artist, got.title, got.album) == (track, artist, title, "")


def test_absurdly_long_values_are_truncated(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "a.ogg", format="OGG", subtype="VORBIS")
    tag_easy(path, {"title": "x" * 100_000, "artist": "y " * 50_000})
    got = read_tags(str(path), str(tmp_path))
    assert len(got.title) == 200 and got.title.endswith("…")
    assert len(got.artist) <= 200 and got.artist.endswith("…")


def test_control_characters_and_nuls_are_removed(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "a.flac", format="FLAC")
    tag_easy(path, {"title": "Bad\x00 \x07Title\r\n\ttoo", "artist": "  A\x1b[31m  B ", "genre": "Rock\x00Pop;rock"})
    got = read_tags(str(path), str(tmp_path))
    assert (got.title, got.artist, got.genres) == ("Bad Title too", "A[31m B", ("Rock", "Pop"))


def test_invalid_utf8_in_a_vorbis_comment_does_not_raise(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "a.flac", format="FLAC")
    tag_easy(path, {"title": "Caf@@@@ Music", "artist": "Someone"})
    # FLAC metadata blocks carry no checksum, so same-length bytes can be patched in place.
    data = path.read_bytes()
    assert data.count(b"@@@@") == 1
    path.write_bytes(data.replace(b"@@@@", b"\xe9\xff\xc3(", 1))
    got = read_tags(str(path), str(tmp_path))
    assert got.title.startswith("Caf") and got.title.endswith(" Music") and "\ufffd" in got.title
    assert got.artist == "Someone"


def test_invalid_utf8_in_an_id3_frame_does_not_raise(tmp_path: Path) -> None:
    id3 = mutagen_module("id3")
    path = write_audio(tmp_path / "Song.mp3", format="MP3")
    tags = id3.ID3()
    tags.add(id3.TIT2(encoding=id3.Encoding.UTF8, text="Caf@@@@"))
    tags.add(id3.TPE1(encoding=id3.Encoding.LATIN1, text="Beyonc\xe9"))
    tags.save(str(path), v2_version=4)  # 2.4 keeps UTF-8 text as UTF-8, so the marker is there to patch
    data = path.read_bytes()
    assert data.count(b"@@@@") == 1
    path.write_bytes(data.replace(b"@@@@", b"\xe9\xff\xc3(", 1))
    got = read_tags(str(path), str(tmp_path))
    # mutagen drops the frame it cannot decode; the file name stands in for the title.
    assert (got.title, got.artist, got.from_names) == ("Song", "Beyoncé", True)


def test_clean_text_rules() -> None:
    assert clean_text(b"Caf\xe9 \xff") == "Caf\ufffd \ufffd"
    assert clean_text("BeyoncÃ©") == "Beyoncé"
    assert clean_text("SÃO PAULO") == "SÃO PAULO"
    assert clean_text("  a \u2028\u00a0 b  ") == "a b"
    assert clean_text("x" * 10) == "x" * 10
    assert split_genres(["Rock/Pop, Jazz", "rock"]) == ("Rock", "Pop", "Jazz")
    assert [parse_year(v) for v in ("2012-12-15", "0999", "c. 1975", "3000", "")] == [2012, None, 1975, None, None]


@pytest.mark.parametrize("content", [b"", b"not audio at all, just text\n" * 10, b"OggS" + b"\x00" * 200,
                                     b"fLaC\x00\x00\x00\x22" + b"\xff" * 40, b"ID3\x04\x00\x00\x7f\x7f\x7f\x7f"])
def test_non_audio_or_corrupt_files_fall_back_to_names(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "Album" / "05 - Track.mp3"
    path.parent.mkdir()
    path.write_bytes(content)
    got = read_tags(str(path), str(tmp_path))
    assert (got.title, got.album, got.track_number, got.duration_s, got.from_names) == \
        ("Track", "Album", 5, None, True)


def test_missing_file_raises(tmp_path: Path) -> None:
    path = tmp_path / "gone.ogg"
    with pytest.raises(AudioFileError, match="cannot read the file") as info:
        read_tags(str(path), str(tmp_path))
    assert info.value.path == str(path)


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    path = tmp_path / "pipe.ogg"
    os.mkfifo(path)
    with pytest.raises(AudioFileError, match=r"is a named pipe \(FIFO\), not an audio file"):
        read_tags(str(path), str(tmp_path))


def test_unreadable_file_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_audio(tmp_path / "a.ogg", format="OGG", subtype="VORBIS")
    real_open = builtins.open

    def refusing_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if os.fspath(file) == str(path):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(tags_module, "open", refusing_open, raising=False)
    with pytest.raises(AudioFileError) as info:
        read_tags(str(path), str(tmp_path))
    assert str(info.value) == f"{path}: cannot read the file: Permission denied"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_by_mode_raises(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "a.ogg", format="OGG", subtype="VORBIS")
    path.chmod(0)
    try:
        with pytest.raises(AudioFileError, match="cannot read the file: Permission denied"):
            read_tags(str(path), str(tmp_path))
    finally:
        path.chmod(0o644)
