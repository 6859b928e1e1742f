"""The sounddevice adapter on a fake module: capture block by block, playback stops on barge-in."""

from __future__ import annotations

import builtins
import sys
import threading
import time
from contextlib import closing
from typing import Any

import numpy as np
import pytest

from app.domain.errors import CancelledError
from app.domain.progress import CancelToken
from app.voice.audio_io import AudioUnavailableError, SoundDeviceAudio, load_sounddevice
from tests.fakes.sounddevice import FakeSoundDevice

RATE = 16000


def talk(seconds: float, amplitude: float = 0.3) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    return (amplitude * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def first_block(audio: SoundDeviceAudio) -> np.ndarray:
    """The first block the microphone delivers (the stream is closed after it)."""
    with closing(audio.capture(threading.Event())) as blocks:
        return next(iter(blocks)).samples


def test_capture_delivers_30_ms_blocks_with_their_capture_time() -> None:
    with closing(SoundDeviceAudio(FakeSoundDevice(talk(1.0))).capture(threading.Event())) as blocks:
        taken = [next(blocks) for _ in range(10)]
    assert all(b.samples.size == RATE * 3 // 100 for b in taken)
    assert [b.at for b in taken] == sorted(b.at for b in taken)
    assert np.concatenate([b.samples for b in taken]) == pytest.approx(talk(1.0)[: RATE * 3 // 10], abs=1e-6)


def test_capture_stops_when_asked() -> None:
    stop = threading.Event()
    stop.set()
    # At most the block captured while the stream opened: nothing of the 5 s that follow.
    assert len(list(SoundDeviceAudio(FakeSoundDevice(talk(5.0), realtime=True)).capture(stop))) <= 1


def test_blocks_captured_before_the_stop_are_still_delivered() -> None:
    stop = threading.Event()
    audio = SoundDeviceAudio(FakeSoundDevice(talk(5.0), realtime=True))
    taken = []
    with closing(audio.capture(stop)) as blocks:
        for block in blocks:
            taken.append(block)
            if len(taken) == 3:
                time.sleep(0.2)  # busy (transcribing) while the microphone goes on: blocks queue up
                stop.set()
    assert len(taken) >= 3 + 5  # the blocks that queued while busy were not thrown away
    assert all(b.at <= taken[-1].at for b in taken)


def test_no_microphone_is_a_clear_message() -> None:
    with pytest.raises(AudioUnavailableError, match=r"no microphone found.*you can still type"):
        first_block(SoundDeviceAudio(FakeSoundDevice(inputs=0)))


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


def test_a_reply_cancelled_between_sentences_drops_what_is_queued() -> None:
    fake = FakeSoundDevice()
    token = CancelToken()

    def chunks() -> Any:
        yield talk(0.5)
        token.cancel()
        token.raise_if_cancelled("synthesis")  # the voice notices first, between two sentences

    with pytest.raises(CancelledError):
        SoundDeviceAudio(fake).play(chunks(), RATE, token)
    assert fake.aborted  # what the device still holds is dropped, not played out when the stream closes


def test_a_device_gone_while_stopping_still_reports_why_playback_stopped() -> None:
    fake = FakeSoundDevice()
    token = CancelToken()

    def unplugged() -> None:
        raise RuntimeError("PortAudio: device unavailable")

    def chunks() -> Any:
        yield talk(0.5)
        token.cancel()
        yield talk(1.0)

    audio = SoundDeviceAudio(fake)
    original = fake.OutputStream

    def stream(**kwargs: Any) -> Any:
        opened = original(**kwargs)
        opened.abort = unplugged  # type: ignore[method-assign]
        return opened

    fake.OutputStream = stream  # type: ignore[method-assign]
    with pytest.raises(CancelledError):  # the barge-in, not the device's complaint about stopping
        audio.play(chunks(), RATE, token)


def test_devices_chosen_by_name_in_the_settings_are_found() -> None:
    fake = FakeSoundDevice(talk(0.5))
    audio = SoundDeviceAudio(fake, input_device="Fake microphone", output_device="Fake speaker")
    assert first_block(audio).size > 0
    audio.play([talk(0.2)], RATE, CancelToken())
    assert fake.played


def test_a_chosen_device_that_is_gone_is_named() -> None:
    audio = SoundDeviceAudio(FakeSoundDevice(talk(0.5)), input_device="USB headset")
    with pytest.raises(AudioUnavailableError, match=r"input device 'USB headset' is not connected.*Settings"):
        first_block(audio)
