"""The sounddevice adapter on a fake module: capture ends with the speaker, playback stops on barge-in."""

from __future__ import annotations

import builtins
import sys
import threading
from typing import Any

import numpy as np
import pytest

from app.domain.errors import CancelledError
from app.domain.progress import CancelToken
from app.voice.audio_io import AudioUnavailableError, SoundDeviceAudio, level_db, load_sounddevice
from tests.fakes.sounddevice import FakeSoundDevice

RATE = 16000


def talk(seconds: float, amplitude: float = 0.3) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    return (amplitude * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def test_capture_ends_when_the_speaker_falls_silent() -> None:
    signal = np.concatenate([np.zeros(RATE // 2, dtype=np.float32), talk(1.5)])
    audio = SoundDeviceAudio(FakeSoundDevice(signal))
    levels: list[float] = []
    samples = audio.record(threading.Event(), on_level=levels.append)
    assert 2.0 <= samples.size / RATE <= 3.2  # the speech, then about 0.8 s of quiet, not 30 s
    assert max(levels) > -20 and min(levels) < -100  # the meter saw talking and silence


def test_capture_stops_when_the_button_is_released() -> None:
    release = threading.Event()
    release.set()
    samples = SoundDeviceAudio(FakeSoundDevice(talk(5.0))).record(release)
    assert samples.size < RATE  # released at once: nothing like the 5 s of talk


def test_capture_stops_at_the_time_limit_while_someone_keeps_talking() -> None:
    samples = SoundDeviceAudio(FakeSoundDevice(talk(20.0))).record(threading.Event(), max_seconds=2.0)
    assert samples.size / RATE == pytest.approx(2.0, abs=0.2)


def test_no_microphone_is_a_clear_message() -> None:
    with pytest.raises(AudioUnavailableError, match=r"no microphone found.*you can still type"):
        SoundDeviceAudio(FakeSoundDevice(inputs=0)).record(threading.Event())


def test_missing_portaudio_is_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_portaudio(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_portaudio)
    with pytest.raises(AudioUnavailableError, match="libportaudio2"):
        load_sounddevice()


def test_playback_plays_every_chunk() -> None:
    fake = FakeSoundDevice()
    SoundDeviceAudio(fake).play([talk(0.5), talk(0.25)], RATE, CancelToken())
    assert sum(c.size for c in fake.played) == int(RATE * 0.75)


def test_barge_in_stops_playback_at_once() -> None:
    fake = FakeSoundDevice()
    token = CancelToken()

    def chunks() -> Any:
        yield talk(0.5)
        token.cancel()  # the user starts talking while the reply is being spoken
        yield talk(5.0)

    with pytest.raises(CancelledError):
        SoundDeviceAudio(fake).play(chunks(), RATE, token)
    assert fake.aborted and sum(c.size for c in fake.played) <= int(RATE * 0.6)


def test_levels_are_in_dbfs() -> None:
    assert level_db(np.ones(100, dtype=np.float32)) == pytest.approx(0.0)
    assert level_db(np.zeros(100, dtype=np.float32)) < -150


def test_devices_chosen_by_name_in_the_settings_are_found() -> None:
    fake = FakeSoundDevice(talk(0.5))
    audio = SoundDeviceAudio(fake, input_device="Fake microphone", output_device="Fake speaker")
    assert audio.record(threading.Event()).size > 0
    audio.play([talk(0.2)], RATE, CancelToken())
    assert fake.played


def test_a_chosen_device_that_is_gone_is_named() -> None:
    audio = SoundDeviceAudio(FakeSoundDevice(talk(0.5)), input_device="USB headset")
    with pytest.raises(AudioUnavailableError, match=r"input device 'USB headset' is not connected.*Settings"):
        audio.record(threading.Event())
