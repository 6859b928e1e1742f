"""The window's view-model: opens the engine in the background, runs turns, ratings and voice through jobs.

Widgets call its methods and listen to its signals; it owns no widget, so tests drive it directly.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QObject, Signal

from app.domain.errors import ChatRecError
from app.domain.items import ME
from app.domain.progress import CancelToken
from app.paths import AppPaths
from app.ui.jobs import JobContext, Jobs

if TYPE_CHECKING:  # the engine's modules take over a second to import: the window must not wait for them
    from app.bootstrap import Engine
    from app.services.conversation import TurnResult
    from app.services.voice import VoiceLoop, VoiceTurn
    from app.ui.library_care import CareAction

log = logging.getLogger(__name__)

ENGINE_JOB = "engine"
CARE_JOB = "library-care"  # a restore or a repair, with the library closed
WARMUP_JOB = "warm-up"
TURN_JOB = "turn"  # typed and spoken turns share the name: a new one cancels the one before
PREVIEW_JOB = "preview"


class Microphone(Protocol):
    """What the window needs from the audio adapter (SoundDeviceAudio, or a fake in tests)."""

    def record(self, release: threading.Event, *, max_seconds: float = 30.0,
               on_level: Callable[[float], None] = ..., end_on_silence: bool = True) -> NDArray[np.float32]:
        """Capture 16 kHz mono until release, end of speech or max_seconds."""
        ...

    def play(self, chunks: Any, sample_rate: int, cancel: CancelToken) -> None:
        """Play float chunks as they come; stop when cancelled."""
        ...

    def stop_playback(self) -> None:
        """Stop speaking now."""
        ...


@dataclass(frozen=True)
class VoiceParts:
    """The voice loop and the audio device, built together once the engine is open."""

    loop: VoiceLoop
    audio: Microphone


EngineFactory = Callable[[AppPaths], "Engine"]
VoiceFactory = Callable[["Engine", Callable[[str], None]], VoiceParts]


class SessionController(QObject):
    """One user's session with the engine: the conversation, ratings, and push-to-talk."""

    engine_ready = Signal(object)  # Engine
    engine_closed = Signal()  # closed for a restore or a repair; engine_ready follows when it is open again
    engine_failed = Signal(object)  # exception: the app cannot work without its data
    care_finished = Signal(object, object)  # a CareAction and how it went (its description, or the exception)
    progress = Signal(str, int, int, str)  # job label, done, total, message (model loading, warm-up)
    turn_started = Signal(str)  # what the user typed ("" for a spoken turn until it is heard)
    heard = Signal(str)  # a spoken request's transcript
    turn_finished = Signal(object)  # TurnResult
    cards_ready = Signal(object)  # the turn's cards (tuple of Recommendation), before its reply is written
    reply_text = Signal(str)  # the reply as it is written, a checked sentence at a time
    voice_state = Signal(str)  # idle, listening, transcribing, thinking, speaking
    voice_level = Signal(float)  # dBFS of the microphone while listening
    rated = Signal(object)  # the Rating, once saved in the store
    previewing = Signal(str)  # the item id whose preview plays ("" when none)
    notice = Signal(str)
    failed = Signal(object)  # an exception to show in the one notice banner

    def __init__(self, paths: AppPaths, jobs: Jobs, *, open_engine: EngineFactory,
                 voice: VoiceFactory | None = None) -> None:
        super().__init__()
        self._paths = paths
        self._jobs = jobs
        self._open_engine = open_engine
        self._voice_factory = voice
        self._voice: VoiceParts | None = None
        self._voice_error: ChatRecError | None = None
        self._release: threading.Event | None = None
        self._state_sink: Callable[[object], None] = lambda value: None
        self._previewing = ""
        self.engine: Engine | None = None
        self.session_id: str | None = None
        self.last_result: TurnResult | None = None

    @property
    def paths(self) -> AppPaths:
        """The folders the library is opened from (before the data folder setting is applied)."""
        return self._paths

    # -- start-up ------------------------------------------------------------------------------

    def open(self) -> None:
        """Open the engine in the background; the window is already showing."""
        self.progress.emit("Opening your library", 0, 0, "opening the database")
        self._jobs.start(ENGINE_JOB, lambda ctx: self._open_engine(self._paths),
                         on_done=self._engine_opened, on_error=self.engine_failed.emit)

    def look_after(self, action: CareAction) -> None:
        """Close the library, run action's work on the closed database (a restore, a repair), open it again."""
        self.close()
        self.engine_closed.emit()
        self.progress.emit(action.what, 0, 0, action.what)

        def finished(result: object) -> None:
            said = action.describe(result)
            self.notice.emit(said)
            self.care_finished.emit(action, said)
            self.open()

        def failed(exc: BaseException) -> None:
            self.failed.emit(exc)
            self.care_finished.emit(action, exc)
            self.open()  # a failed restore or repair leaves the database as it was: open that

        self._jobs.start(CARE_JOB, lambda ctx: action.work(), on_done=finished, on_error=failed)

    def _engine_opened(self, engine: Engine) -> None:
        self.engine = engine
        self.engine_ready.emit(engine)
        self._warm_up()

    def _warm_up(self) -> None:
        """Fit the recommender and load the speech models now, so the first request is quick."""
        engine = self.engine
        assert engine is not None

        def work(ctx: JobContext) -> None:
            if engine.store.count("items"):
                engine.recommendations.model(lambda d, t, m: ctx.progress(d, t, f"recommender: {m}"), ctx.cancel)
                ctx.progress(0, 0, "reading the catalogue's titles")
                engine.conversation.titles()  # built once; the first request would wait for it otherwise
                ctx.progress(0, 0, "learning the catalogue's genres and moods")
                engine.conversation.vocabulary()
                ctx.progress(0, 0, "opening the search index")
                engine.index.is_current()  # starts the index helper process and opens the index in it
            if self._voice_factory is not None:
                ctx.progress(0, 0, "loading the speech models")
                try:
                    parts = self._voice_parts(engine)
                    parts.loop.warm_up()
                except ChatRecError as exc:
                    self._voice_error = exc  # typing still works; the talk button says why it cannot
            ctx.progress(0, 0, "choosing the language model")
            try:
                # Joins a built-in model shipped in parts (once, seconds; the bar shows the bytes) when
                # it is the model that would answer, then asks whether Ollama runs (and imports its client).
                engine.prepare_chat(ctx.progress, ctx.cancel)
                engine.conversation.choose_model()
            except ChatRecError as exc:
                log.info("no language model yet: %s", exc)  # the first turn says so, with what to do
            ctx.progress(1, 1, "ready")

        self._jobs.start(WARMUP_JOB, work, on_progress=lambda d, t, m: self.progress.emit("Getting ready", d, t, m),
                         on_done=self._warmed_up, on_error=self.failed.emit)

    def _warmed_up(self, _result: None) -> None:
        # What start-up loaded lives as long as the engine. A full garbage collection walks every
        # tracked object holding the GIL: 105-140 ms for the ~126,000 left after start-up (MovieLens
        # and the demo), a freeze of the window at a random moment. Frozen objects are not walked,
        # which brings a full collection to 2-8 ms; close() thaws them so a closed engine is freed.
        gc.freeze()

    def _voice_parts(self, engine: Engine) -> VoiceParts:
        if self._voice is None:
            assert self._voice_factory is not None
            self._voice = self._voice_factory(engine, lambda state: self._state_sink(("state", state)))
        return self._voice

    # -- the conversation ---------------------------------------------------------------------

    def ask(self, text: str) -> None:
        """Run a typed turn in the background; the previous turn, if still running, is cancelled."""
        engine = self._require_engine()
        if engine is None or not text.strip():
            return
        self._interrupt_speech()
        self.turn_started.emit(text)
        session = self.session_id
        self._jobs.start(TURN_JOB, lambda ctx: engine.conversation.turn(
                             text, session, cancel=ctx.cancel, on_cards=lambda cards: ctx.event(("cards", cards)),
                             on_text=lambda piece: ctx.event(("text", piece))),
                         on_done=self._turn_done, on_error=self.failed.emit, on_event=self._turn_event)

    def _turn_event(self, event: object) -> None:
        """The cards as soon as they are chosen, and the reply as it is written (on the GUI thread)."""
        if isinstance(event, tuple) and len(event) == 2:
            kind, value = event
            if kind == "cards":
                self.cards_ready.emit(value)
            elif kind == "text":
                self.reply_text.emit(str(value))

    def _turn_done(self, result: TurnResult) -> None:
        self.session_id = result.session_id
        self.last_result = result
        self.turn_finished.emit(result)

    def rate(self, item_id: str, stars: float | None = None, thumb: int | None = None) -> None:
        """Save stars (1-5) or a thumb (+1/-1) in the background; the next answer takes it into account."""
        engine = self._require_engine()
        if engine is None:
            return
        self._jobs.start(f"rate:{item_id}", lambda ctx: engine.store.rate(ME, item_id, stars=stars, thumb=thumb),
                         on_done=self.rated.emit, on_error=self.failed.emit)

    def ratings(self) -> dict[str, float]:
        """The user's stars by item id (a quick read of the store)."""
        if self.engine is None:
            return {}
        return {r.item_id: r.effective_stars() for r in self.engine.store.ratings_of(ME)}

    def stop(self) -> None:
        """The stop button: cancel the turn in progress and stop speaking."""
        if self._release is not None:
            self._release.set()
        self._jobs.cancel(TURN_JOB)
        self._interrupt_speech()
        self.voice_state.emit("idle")

    # -- music preview ------------------------------------------------------------------------

    def preview(self, item_id: str) -> None:
        """Play the middle of a track (a second click on the same track stops it)."""
        engine = self._require_engine()
        if engine is None:
            return
        if self._previewing == item_id:
            self.stop_preview()
            return
        if self._voice_factory is None:
            self.failed.emit(ChatRecError("audio is off in this build"))
            return
        source = engine.store.get_item(item_id).source

        def work(ctx: JobContext) -> None:
            from app.bootstrap import preview_clip

            samples, rate = preview_clip(source)
            ctx.cancel.raise_if_cancelled("the preview")
            self._voice_parts(engine).audio.play([samples], rate, ctx.cancel)

        self._previewing = item_id
        self.previewing.emit(item_id)
        self._jobs.start(PREVIEW_JOB, work, on_done=lambda _: self._preview_ended(), on_error=self._preview_failed)

    @property
    def preview_playing(self) -> str:
        """The item id whose preview plays ("" when none)."""
        return self._previewing

    def reset_voice(self) -> None:
        """Forget the voice loop and audio devices, so the next use builds them from new settings."""
        self.stop_preview()
        self._interrupt_speech()
        self._voice = None
        self._voice_error = None

    def stop_preview(self) -> None:
        """Stop the track preview, if one plays."""
        self._jobs.cancel(PREVIEW_JOB)
        if self._voice is not None and self._previewing:
            self._voice.audio.stop_playback()
        self._preview_ended()

    def _preview_failed(self, exc: BaseException) -> None:
        self._preview_ended()
        self.failed.emit(exc)

    def _preview_ended(self) -> None:
        if self._previewing:
            self._previewing = ""
            self.previewing.emit("")

    # -- push to talk -------------------------------------------------------------------------

    @property
    def voice_available(self) -> bool:
        """False once loading the speech models or the audio device failed."""
        return self._voice_factory is not None and self._voice_error is None

    def start_listening(self) -> None:
        """Push-to-talk pressed: stop speaking (barge-in), cancel the previous turn, record."""
        engine = self._require_engine()
        if engine is None:
            return
        if self._voice_factory is None or self._voice_error is not None:
            self.failed.emit(self._voice_error or ChatRecError("voice is off in this build; you can still type"))
            return
        self._interrupt_speech()
        self.stop_preview()
        release = threading.Event()
        self._release = release
        session = self.session_id
        self.turn_started.emit("")
        self._jobs.start(TURN_JOB, lambda ctx: self._voice_turn(engine, ctx, release, session),
                         on_event=self._voice_event, on_done=self._voice_done, on_error=self._voice_failed)

    def stop_listening(self) -> None:
        """Push-to-talk released: the recording ends and the turn goes on."""
        if self._release is not None:
            self._release.set()

    def _voice_turn(self, engine: Engine, ctx: JobContext, release: threading.Event,
                    session: str | None) -> VoiceTurn:
        parts = self._voice_parts(engine)
        self._state_sink = ctx.event
        ctx.event(("state", "listening"))
        samples = parts.audio.record(release, on_level=lambda db: ctx.event(("level", db)))
        ctx.cancel.raise_if_cancelled("the spoken turn")
        hints = engine.conversation.titles_in_view(session)
        return parts.loop.turn(samples, parts.audio.play, session_id=session, hints=hints, cancel=ctx.cancel,
                               on_heard=lambda text: ctx.event(("heard", text)))

    def _voice_event(self, value: object) -> None:
        if isinstance(value, tuple) and len(value) == 2:
            kind, payload = value
            if kind == "state":
                self.voice_state.emit(str(payload))
            elif kind == "level":
                self.voice_level.emit(float(payload))
            elif kind == "heard":
                self.heard.emit(str(payload))

    def _voice_done(self, result: VoiceTurn) -> None:
        self._release = None
        self._turn_done(result.turn)
        self.voice_state.emit("idle")

    def _voice_failed(self, exc: BaseException) -> None:
        self._release = None
        self.voice_state.emit("idle")
        from app.services.voice import NoSpeechError

        if isinstance(exc, NoSpeechError):
            self.notice.emit("No speech heard. Hold the talk button (or Space) while you speak.")
            self.heard.emit("")
            return
        self.failed.emit(exc)

    def _interrupt_speech(self) -> None:
        if self._voice is not None:
            self._voice.audio.stop_playback()
            self._voice.loop.stop()

    def _require_engine(self) -> Engine | None:
        if self.engine is None:
            self.notice.emit("Still opening your library; one moment.")
        return self.engine

    def close(self) -> None:
        """Cancel every job, wait briefly for workers, and close the engine."""
        self.stop_listening()
        self._interrupt_speech()
        self._jobs.cancel_all()
        self._jobs.wait(3000)
        if self.engine is not None:
            self.engine.close()
            self.engine = None
        gc.unfreeze()
