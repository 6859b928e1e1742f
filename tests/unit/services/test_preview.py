"""Track preview: the clip comes from the item's file through the ClipDecoder port, and what cannot play says why."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from app.domain.errors import AudioFileError, ChatRecError, UnknownItemError
from app.domain.items import Item
from app.features.decode import ExcerptDecoder
from app.ports import ClipDecoder
from app.services.preview import PREVIEW_RATE, PREVIEW_SECONDS, TrackPreview
from app.store.sqlite import CatalogueImport, SQLiteStore


class FakeDecoder:
    """Hands back a second of silence per file and remembers what it was asked for."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, float, int]] = []

    def excerpt(self, path: str, *, seconds: float, sample_rate: int) -> NDArray[np.float32]:
        """A second of silence at sample_rate."""
        self.asked.append((path, seconds, sample_rate))
        if path.endswith("gone.flac"):
            raise AudioFileError(path, "file not found")
        return np.zeros(sample_rate, dtype=np.float32)


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    opened = SQLiteStore.open(tmp_path / "db.sqlite3")
    items = [Item("music:song", "music", "Song", source=str(tmp_path / "song.wav")),
             Item("music:gone", "music", "Gone", source=str(tmp_path / "gone.flac")),
             Item("movie:fargo", "movie", "Fargo", source="movielens")]
    opened.import_catalogue(CatalogueImport("music", "music", str(tmp_path), items))
    return opened


def test_the_clip_is_decoded_from_the_items_file(store: SQLiteStore, tmp_path: Path) -> None:
    decoder = FakeDecoder()
    clip = TrackPreview(store, decoder).clip("music:song")
    assert decoder.asked == [(str(tmp_path / "song.wav"), PREVIEW_SECONDS, PREVIEW_RATE)]
    assert clip.sample_rate == PREVIEW_RATE and clip.samples.size == PREVIEW_RATE
    TrackPreview(store, decoder).clip("music:song", seconds=5.0)
    assert decoder.asked[-1][1] == 5.0


def test_what_cannot_play_says_why(store: SQLiteStore) -> None:
    decoder = FakeDecoder()
    preview = TrackPreview(store, decoder)
    with pytest.raises(ChatRecError, match="Fargo is not a track in your music library"):
        preview.clip("movie:fargo")
    with pytest.raises(UnknownItemError, match="music:nope"):
        preview.clip("music:nope")
    assert decoder.asked == []  # neither reached the decoder
    with pytest.raises(AudioFileError, match="file not found"):
        preview.clip("music:gone")


def test_the_real_decoder_plays_the_middle_of_a_wav(store: SQLiteStore, tmp_path: Path) -> None:
    import soundfile

    rate = 8000
    seconds = np.arange(rate * 4) / rate  # four seconds: silence, a tone for the middle two, silence
    tone = np.where((seconds >= 1) & (seconds < 3), 0.5 * np.sin(2 * np.pi * 440 * seconds), 0.0)
    soundfile.write(tmp_path / "song.wav", tone.astype(np.float32), rate)
    decoder = ExcerptDecoder()
    assert isinstance(decoder, ClipDecoder)
    clip = TrackPreview(store, decoder).clip("music:song", seconds=2.0)
    assert clip.sample_rate == PREVIEW_RATE
    assert clip.samples.dtype == np.float32 and abs(clip.samples.size - 2 * PREVIEW_RATE) < PREVIEW_RATE // 10
    windows = clip.samples[: clip.samples.size // 2205 * 2205].reshape(-1, 2205)  # tenths of a second
    loudness = np.sqrt((windows ** 2).mean(axis=1))
    assert loudness[1:-1].min() > 0.2  # the middle is the tone throughout, not the silence around it


def test_only_a_track_whose_audio_file_is_there_can_play(tmp_path: Path) -> None:
    (tmp_path / "song.ogg").write_bytes(b"OggS")
    (tmp_path / "LOUD.MP3").write_bytes(b"ID3")
    (tmp_path / "notes.txt").write_text("not audio")
    (tmp_path / "folder.flac").mkdir()

    def track(source: str) -> Item:
        return Item("music:x", "music", "X", source=source)

    assert TrackPreview.can_play(track(str(tmp_path / "song.ogg")))
    assert TrackPreview.can_play(track(str(tmp_path / "LOUD.MP3")))  # the suffix in any case
    assert not TrackPreview.can_play(track(str(tmp_path / "gone.ogg")))  # the file went
    assert not TrackPreview.can_play(track(str(tmp_path / "notes.txt")))  # not audio
    assert not TrackPreview.can_play(track(str(tmp_path / "folder.flac")))  # a folder
    assert not TrackPreview.can_play(track(""))  # no file at all
    assert not TrackPreview.can_play(track("bad\x00name.ogg"))  # no file system takes it
    assert not TrackPreview.can_play(Item("movie:fargo", "movie", "Fargo", source=str(tmp_path / "song.ogg")))


def test_what_can_play_is_what_clip_plays(store: SQLiteStore, tmp_path: Path) -> None:
    (tmp_path / "song.wav").write_bytes(b"RIFF")
    preview = TrackPreview(store, FakeDecoder())
    assert TrackPreview.can_play(store.get_item("music:song"))
    assert preview.clip("music:song").sample_rate == PREVIEW_RATE
    film = store.get_item("movie:fargo")
    assert not TrackPreview.can_play(film)
    with pytest.raises(ChatRecError, match="not a track"):
        preview.clip(film.id)
