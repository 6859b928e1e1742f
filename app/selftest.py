"""`chatrec selftest`: every native part of the app, tried for real, each timed, in a scratch folder.

What a user runs when something is wrong, and what the package build runs on every platform: a frozen
app fails in ways a source checkout never does (a data file or a library left out, a worker that cannot
spawn), so each check goes through the same adapter the app uses. Nothing touches the user's library:
the checks work in a temporary folder, and only the built-in chat model's joined file (when it has to
be joined) and numba's compiled code go where the app keeps them anyway.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.config import Settings
from app.paths import AppPaths, resources_dir

SPOKEN_REQUEST = "show me some funny movies from the nineties"  # what resources/selftest/request.wav says
_KEY_WORDS = ("funny", "movies")
_CLICK_BPM = 120.0
_WINDOW_TIMEOUT_S = 240


@dataclass(frozen=True)
class CheckResult:
    """One check: passed or not, how long it took, and what it saw (or why it failed)."""

    ok: bool
    seconds: float
    detail: str

    def as_dict(self) -> dict[str, object]:
        """The JSON shape: ok, seconds, detail."""
        return {"ok": self.ok, "seconds": round(self.seconds, 2), "detail": self.detail}


class SelfTestFailure(Exception):
    """A check ran but saw something wrong; the message says what."""


@dataclass(frozen=True)
class _Context:
    scratch: Path
    settings: Settings
    paths: AppPaths


def run_checks(settings: Settings, paths: AppPaths, only: tuple[str, ...] = (),
               on_result: Callable[[str, CheckResult], None] = lambda name, result: None) -> dict[str, CheckResult]:
    """Run every check (or those named in only); a failing check never stops the others.

    The checks that work in another process (the music worker, the window) start first and run beside
    the in-process ones: numba's first compile alone takes most of a minute on a slow machine.
    """
    chosen = {name: check for name, check in CHECKS.items() if not only or name in only}
    results: dict[str, CheckResult] = {}
    with tempfile.TemporaryDirectory(prefix="chatrec-selftest-") as scratch, \
            ThreadPoolExecutor(max_workers=len(_OUT_OF_PROCESS)) as beside:
        context = _Context(Path(scratch), settings, paths)
        running = {name: beside.submit(_timed, check, context)
                   for name, check in chosen.items() if name in _OUT_OF_PROCESS}
        for name, check in chosen.items():
            if name not in running:
                results[name] = _timed(check, context)
                on_result(name, results[name])
        for name, future in running.items():
            results[name] = future.result()
            on_result(name, results[name])
    return {name: results[name] for name in chosen}


def _timed(check: Callable[[_Context], str], context: _Context) -> CheckResult:
    started = time.perf_counter()
    try:
        detail = check(context)
        return CheckResult(True, time.perf_counter() - started, detail)
    except Exception as exc:  # any failure is the answer, never a crash of the self-test
        return CheckResult(False, time.perf_counter() - started, _failure(exc))


def _failure(exc: BaseException) -> str:
    if isinstance(exc, SelfTestFailure):
        return str(exc)
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    place = f" (at {Path(where.filename).name}:{where.lineno})" if where else ""
    return f"{type(exc).__name__}: {exc}{place}"


def _vector_index(context: _Context) -> str:
    from app.store.chroma import ChromaVectorStore

    store = ChromaVectorStore(context.scratch / "chroma", collection="selftest")
    try:
        vectors = np.eye(3, 8, dtype=np.float32)
        store.upsert(["a", "b", "c"], vectors, [{"domain": "movie"}, {"domain": "movie"}, {"domain": "music"}])
        hits = store.query(vectors[1], 2, where={"domain": "movie"})
        if [hit.id for hit in hits][:1] != ["b"] or store.count() != 3:
            raise SelfTestFailure(f"the index answered {[h.id for h in hits]} for vector b (3 stored)")
        return f"Chroma: 3 vectors stored, the nearest found with a filter ({hits[0].similarity:.2f})"
    finally:
        store.close()


def _text_embedding(context: _Context) -> str:
    from app.embedding.minilm import MiniLMEmbedder

    embedder = MiniLMEmbedder(cache_dir=context.scratch / "embedder")
    rows = embedder.embed(["a scary movie for tonight", "a frightening horror film", "a stainless kitchen knife"])
    near, far = float(rows[0] @ rows[1]), float(rows[0] @ rows[2])
    if rows.shape != (3, embedder.dimension) or near <= far:
        raise SelfTestFailure(f"meanings came out wrong: scary~horror {near:.2f}, scary~knife {far:.2f}")
    return f"MiniLM: {embedder.dimension} dimensions; scary~horror {near:.2f} > scary~knife {far:.2f}"


def _speech_to_text(context: _Context) -> str:
    from app.bootstrap import speech_to_text
    from app.features.decode import read_speech

    clip = resources_dir() / "selftest" / "request.wav"
    heard = speech_to_text(context.paths, context.settings).transcribe(read_speech(str(clip))).text
    words = [w.strip(".,!?").lower() for w in heard.split()]
    if not all(word in words for word in _KEY_WORDS):
        raise SelfTestFailure(f"heard {heard!r} in {clip.name}, which says {SPOKEN_REQUEST!r}")
    return f"Whisper heard {heard!r}"


def _text_to_speech(context: _Context) -> str:
    from app.bootstrap import text_to_speech
    from app.voice.tts import write_wav

    tts = text_to_speech(context.settings, context.paths)
    chunks = list(tts.synthesize("Here are three comedies from the nineties."))
    samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
    seconds = len(samples) / tts.sample_rate
    peak = float(np.max(np.abs(samples))) if len(samples) else 0.0
    if seconds < 1.0 or peak < 0.05:
        raise SelfTestFailure(f"the voice gave {seconds:.2f} s of audio peaking at {peak:.3f}")
    write_wav(context.scratch / "spoken.wav", chunks, tts.sample_rate)
    return f"piper spoke {seconds:.1f} s at {tts.sample_rate} Hz"


_GENRE_SCHEMA = {"type": "object", "properties": {"genre": {"type": "string", "enum": ["comedy", "horror", "western"]}},
                 "required": ["genre"], "additionalProperties": False}


def _chat_model(context: _Context) -> str:
    from app.bootstrap import EmbeddedChatModel
    from app.domain.chat import ChatMessage

    model = EmbeddedChatModel(context.settings, context.paths).prepare()
    if model is None:
        raise SelfTestFailure("no built-in chat model is installed")
    reply = model.chat([ChatMessage("system", "Answer with the genre the user asks for, as JSON."),
                        ChatMessage("user", "I want something that makes me laugh. Which genre is that?")],
                       schema=_GENRE_SCHEMA, max_tokens=32)
    try:
        genre = json.loads(reply.content)["genre"]
    except (ValueError, KeyError, TypeError) as exc:
        raise SelfTestFailure(f"{model.model_name} answered {reply.content!r}, not the JSON asked for") from exc
    if genre not in _GENRE_SCHEMA["properties"]["genre"]["enum"]:  # type: ignore[index]
        raise SelfTestFailure(f"{model.model_name} answered {genre!r}, outside the schema")
    return f"{model.model_name} answered {{\"genre\": \"{genre}\"}} in {reply.seconds:.1f} s"


def _music_analysis(context: _Context) -> str:
    from app.bootstrap import music_analyser
    from app.domain.music import FoundFile

    track = _write_click_track(context.scratch / "music" / "clicks.wav")
    found = FoundFile(str(track), str(track.parent), track.stat().st_size, track.stat().st_mtime_ns)
    analyser = music_analyser(context.paths, context.settings, workers=1)
    cached_before = _compiled_entries(analyser)
    results = list(analyser.analyse([found], lambda done, total, message: None))
    compiled = _compiled_entries(analyser) - cached_before
    if len(results) != 1 or results[0].features is None:
        raise SelfTestFailure(f"the analysis gave {results[0].reason if results else 'nothing'}")
    tempo = results[0].features.descriptors.tempo_bpm
    if not math.isclose(tempo, _CLICK_BPM, rel_tol=0.1) and not math.isclose(tempo, _CLICK_BPM / 2, rel_tol=0.1) \
            and not math.isclose(tempo, _CLICK_BPM * 2, rel_tol=0.1):
        raise SelfTestFailure(f"a {_CLICK_BPM:.0f} BPM click track measured {tempo:.0f} BPM")
    cache = "reused numba's compiled cache" if cached_before and not compiled else \
        f"compiled {len(compiled)} functions into numba's cache (the next run reuses them)"
    return f"one track analysed in a spawned worker: {tempo:.0f} BPM (clicks at {_CLICK_BPM:.0f}); {cache}"


def _compiled_entries(analyser: object) -> set[str]:
    """The compiled variants in the analyser's numba cache (a file each): a reused cache adds none."""
    folder = getattr(analyser, "numba_cache", None)
    return {str(p.relative_to(folder)) for p in Path(folder).rglob("*.nbc")} if folder else set()


def _write_click_track(path: Path, seconds: float = 12.0, rate: int = 22050) -> Path:
    from app.voice.tts import write_wav

    t = np.arange(int(seconds * rate)) / rate
    beat = 60.0 / _CLICK_BPM
    envelope = np.exp(-(t % beat) * 40.0)  # a sharp attack on every beat
    signal = 0.6 * envelope * np.sin(2 * np.pi * 880.0 * t) + 0.05 * np.sin(2 * np.pi * 110.0 * t)
    write_wav(path, [signal.astype(np.float32)], rate)  # 16-bit mono, as the speech clips are written
    return path


def _window(context: _Context) -> str:
    shot = context.scratch / "window.png"
    frozen = getattr(sys, "frozen", False)
    command = [sys.executable, *([] if frozen else ["-m", "app"]), f"--smoke-screenshot={shot}"]
    env = {**os.environ, "CHATREC_HOME": str(context.scratch / "window-home"), "QT_QPA_PLATFORM": "offscreen"}
    # Its own data folder: the demo catalogue and one typed turn must not touch the user's library.
    done = subprocess.run(command, capture_output=True, text=True, timeout=_WINDOW_TIMEOUT_S, env=env)
    if done.returncode != 0 or not shot.is_file():
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise SelfTestFailure(f"the window did not show a turn (exit {done.returncode}): {last}")
    kept = context.paths.logs / "selftest-window.png"
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_bytes(shot.read_bytes())  # the scratch folder goes; the screenshot is worth keeping
    return f"the window answered a typed turn offscreen; screenshot {kept}"


CHECKS: dict[str, Callable[[_Context], str]] = {
    "vector_index": _vector_index,
    "text_embedding": _text_embedding,
    "speech_to_text": _speech_to_text,
    "text_to_speech": _text_to_speech,
    "chat_model": _chat_model,
    "music_analysis": _music_analysis,
    "window": _window,
}
_OUT_OF_PROCESS = ("music_analysis", "window")
