"""The window's view-model: opens the engine in the background, runs turns, ratings and voice through jobs.

Widgets call its methods and listen to its signals; it owns no widget, so tests drive it directly.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from app.domain.errors import ChatRecError
from app.domain.voice import RECORDING_LIMIT_S, AudioBlock
from app.paths import AppPaths
from app.ports import AudioIO
from app.ui.jobs import JobContext, Jobs

if TYPE_CHECKING:  # the engine's modules take over a second to import: the window must not wait for them
    from app.bootstrap import Engine
    from app.domain.items import Item
    from app.services.conversation import TurnResult
    from app.services.listening import Heard
    from app.services.voice import VoiceLoop, VoiceTurn
    from app.ui.library_care import CareAction

log = logging.getLogger(__name__)

ENGINE_JOB = "engine"
CARE_JOB = "library-care"  # a restore or a repair, with the library closed
WARMUP_JOB = "warm-up"
TURN_JOB = "turn"  # typed and spoken turns share the name: a new one cancels the one before
PREVIEW_JOB = "preview"
LISTEN_JOB = "listen"  # hands-free: the microphone stays open and each utterance becomes a turn
_MICROPHONE_HANDOVER_S = 2.0  # how long new listening waits for the old one to close the microphone


@dataclass(frozen=True)
class VoiceParts:
    """The voice loop and the audio device, built together once the engine is open."""

    loop: VoiceLoop
    audio: AudioIO


EngineFactory = Callable[[AppPaths], "Engine"]
VoiceFactory = Callable[["Engine", Callable[[str], None]], VoiceParts]


class StateRoute:
    """The voice loop's state changes, each to the job whose thread made it.

    The loop announces its states through the one callback it was built with, on the thread running
    the turn. A single "current job" sink, replaced by each new turn, let a cancelled turn's last
    "idle" land on the turn that replaced it (the window said idle while it was thinking); here each
    job's changes go to that job's own events, which Jobs drops once the job is cancelled.
    """

    def __init__(self) -> None:
        self._local = threading.local()

    def __call__(self, state: str) -> None:
        """Hand a state change to the job running on this thread (none: nobody is waiting for it)."""
        sink: Callable[[object], None] | None = getattr(self._local, "sink", None)
        if sink is not None:
            sink(("state", state))

    @contextmanager
    def to(self, sink: Callable[[object], None]) -> Iterator[None]:
        """While the block runs, this thread's state changes go to sink (a job's ctx.event)."""
        self._local.sink = sink
        try:
            yield
        finally:
            self._local.sink = None


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
    hands_free_changed = Signal(bool)  # hands-free listening switched on or off
    warmed_up = Signal()  # the warm-up is over: the models are loaded (or known to be missing)
    barged_in = Signal()  # the user's voice stopped the reply (hands-free)
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
        # The warm-up, a preview and listening may each be the first to need the voice, on their own threads:
        # one builds it and the others wait for it. _voice_state guards _voice and its generation, and is never
        # held while building, so the GUI thread's reset_voice never waits for a model to load.
        self._voice_build = threading.Lock()
        self._voice_state = threading.Lock()
        self._voice_generation = 0  # counts reset_voice calls: parts built from older settings are not kept
        self._release: threading.Event | None = None
        self._states = StateRoute()
        self._previewing = ""
        self._hands_free: threading.Event | None = None  # set while hands-free listens; set() again stops it
        self._microphone_free = threading.Event()  # set when no hands-free listening holds the microphone
        self._microphone_free.set()
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
        self.warmed_up.emit()

    def _voice_parts(self, engine: Engine) -> VoiceParts:
        """The voice loop and audio device, built once (on whichever worker thread needs them first)."""
        assert self._voice_factory is not None
        while True:
            with self._voice_build:
                with self._voice_state:
                    parts, generation = self._voice, self._voice_generation
                if parts is not None:
                    return parts
                built = self._voice_factory(engine, self._states)
                with self._voice_state:
                    if generation == self._voice_generation:
                        self._voice = built
                        return built
            # reset_voice ran while these were built: build them again from the settings it applies

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
        browse = result.browse
        if browse is not None and browse.kind == "preview" and browse.item_id:
            if self._previewing != browse.item_id:
                self.preview(browse.item_id)  # "play a bit of the third", as a click on its play button
        elif browse is not None and browse.kind == "stop":
            self._interrupt_speech()
            self.stop_preview()

    def rate(self, item_id: str, stars: float | None = None, thumb: int | None = None) -> None:
        """Save stars (1-5) or a thumb (+1/-1) in the background; the next answer takes it into account."""
        engine = self._require_engine()
        if engine is None:
            return
        self._jobs.start(f"rate:{item_id}", lambda ctx: engine.ratings.rate(item_id, stars=stars, thumb=thumb),
                         on_done=self.rated.emit, on_error=self.failed.emit)

    def ratings(self) -> dict[str, float]:
        """The user's stars by item id (a quick read of the store)."""
        if self.engine is None:
            return {}
        return self.engine.ratings.stars_by_item()

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

        def work(ctx: JobContext) -> None:
            clip = engine.preview.clip(item_id)
            ctx.cancel.raise_if_cancelled("the preview")
            parts = self._voice_parts(engine)
            # Traced, so hands-free listening takes the music coming back from the speaker for what it is.
            parts.audio.play(parts.loop.traced([clip.samples], clip.sample_rate), clip.sample_rate, ctx.cancel)

        self._previewing = item_id
        self.previewing.emit(item_id)
        self._jobs.start(PREVIEW_JOB, work, on_done=lambda _: self._preview_ended(), on_error=self._preview_failed)

    def can_preview(self, item: Item) -> bool:
        """Whether item's card offers a preview: the track preview's rule (a track whose audio file is there)."""
        engine = self.engine
        return engine is not None and engine.preview.can_play(item)

    @property
    def preview_playing(self) -> str:
        """The item id whose preview plays ("" when none)."""
        return self._previewing

    def reset_voice(self) -> None:
        """Forget the voice loop and audio devices, so the next use builds them from new settings."""
        was_hands_free = self.hands_free
        self._stop_hands_free()
        self.stop_preview()
        self._interrupt_speech()
        with self._voice_state:
            self._voice = None
            self._voice_generation += 1
        self._voice_error = None
        if was_hands_free:
            self.set_hands_free(True)  # listen again, through the devices the settings now name

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
        engine = self._voice_engine()
        if engine is None:
            return
        self._interrupt_speech()
        self.stop_preview()
        if self.hands_free:
            # The microphone is already open and will take the words as the next turn; a second stream on
            # the same device would fight it. The press still stops the reply, as talking over it would.
            self._jobs.cancel(TURN_JOB)
            self.voice_state.emit("listening")
            return
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

    @property
    def recording_limit_s(self) -> float:
        """The longest a recording may be, microphone and file alike."""
        return self._voice.loop.listen_options.limit_s if self._voice is not None else RECORDING_LIMIT_S

    def _voice_engine(self) -> Engine | None:
        """The engine when voice can be used; otherwise None, and the user is told why."""
        engine = self._require_engine()
        if engine is None:
            return None
        if self._voice_factory is None or self._voice_error is not None:
            self.failed.emit(self._voice_error or ChatRecError("voice is off in this build; you can still type"))
            return None
        return engine

    def _voice_turn(self, engine: Engine, ctx: JobContext, release: threading.Event,
                    session: str | None) -> VoiceTurn:
        parts = self._voice_parts(engine)
        parts.loop.begin(ctx.cancel)
        hints = engine.conversation.speech_hints(session)
        with self._states.to(ctx.event), closing(parts.audio.capture(release)) as blocks:
            return parts.loop.converse(blocks, parts.audio.play, session_id=session, hints=hints, release=release,
                                       cancel=ctx.cancel, on_level=lambda db: ctx.event(("level", db)),
                                       on_heard=lambda text: ctx.event(("heard", text)),
                                       on_cards=lambda cards: ctx.event(("cards", cards)),
                                       on_answered=lambda result: ctx.event(("answered", result)))

    # -- hands-free ---------------------------------------------------------------------------

    @property
    def hands_free(self) -> bool:
        """Whether hands-free listening is on."""
        return self._hands_free is not None

    def set_hands_free(self, on: bool) -> None:
        """Switch hands-free on (speaking starts a turn, talking over the reply stops it) or off."""
        if on == self.hands_free:
            self.hands_free_changed.emit(on)
            return
        if not on:
            self._stop_hands_free()
            return
        engine = self._voice_engine()
        if engine is None:
            self.hands_free_changed.emit(False)
            return
        stop = threading.Event()
        self._hands_free = stop
        held, self._microphone_free = self._microphone_free, threading.Event()
        freed = self._microphone_free
        self._jobs.start(LISTEN_JOB, lambda ctx: self._listen_loop(engine, ctx, stop, held, freed),
                         on_event=self._listen_event, on_done=lambda _: self._listening_ended(stop),
                         on_error=self._listen_failed)
        self.hands_free_changed.emit(True)
        self.voice_state.emit("idle")

    def _stop_hands_free(self) -> None:
        stop, self._hands_free = self._hands_free, None
        if stop is not None:
            stop.set()
            self._jobs.cancel(LISTEN_JOB)
            self.hands_free_changed.emit(False)

    def _listen_loop(self, engine: Engine, ctx: JobContext, stop: threading.Event, held: threading.Event,
                     freed: threading.Event) -> None:
        """Listen until hands-free is switched off; each utterance goes to the GUI thread to be answered.

        held is set once the listening before this one has let the microphone go (switched off and on again,
        or new devices from Settings): two streams on one device is more than some systems allow.
        """
        try:
            held.wait(_MICROPHONE_HANDOVER_S)
            parts = self._voice_parts(engine)
            with closing(parts.audio.capture(stop)) as blocks:
                self._listen_until(stop, engine, parts, ctx, blocks)
        finally:
            freed.set()

    def _listen_until(self, stop: threading.Event, engine: Engine, parts: VoiceParts, ctx: JobContext,
                      blocks: Iterator[AudioBlock]) -> None:
        """Each utterance heard in blocks, until stop is set."""
        while not stop.is_set():
            heard = parts.loop.listen(blocks, hands_free=True, release=stop, cancel=ctx.cancel,
                                      hints=lambda: engine.conversation.speech_hints(self.session_id),
                                      on_level=lambda db: ctx.event(("level", db)),
                                      on_speech_start=lambda: self._barge_in(parts, ctx),
                                      on_speech_end=lambda: ctx.event(("state", "transcribing")))
            if heard.voiced_s > 0.0 and not stop.is_set():
                ctx.event(("utterance", heard))

    def _barge_in(self, parts: VoiceParts, ctx: JobContext) -> None:
        """The user started speaking: the reply and the turn behind it stop now (on the listening thread, so
        the reply stops within a block or two rather than after a trip through the window's event queue)."""
        parts.audio.stop_playback()
        parts.loop.stop()
        ctx.event(("speech_started", None))

    def _listen_event(self, value: object) -> None:
        if not (isinstance(value, tuple) and len(value) == 2):
            return
        kind, payload = value
        if kind == "level":
            self.voice_level.emit(float(payload))
        elif kind == "state":
            self.voice_state.emit(str(payload))
        elif kind == "speech_started":
            self._jobs.cancel(TURN_JOB)
            self.stop_preview()
            self.barged_in.emit()
            self.voice_state.emit("listening")
        elif kind == "utterance":
            self._answer_utterance(payload)

    def _answer_utterance(self, heard: Heard) -> None:
        """Answer what hands-free heard, as a spoken turn."""
        engine = self.engine
        if engine is None or self._voice is None:
            return
        parts, session = self._voice, self.session_id
        if heard.ended_by == "limit":
            self.notice.emit(self._limit_notice(parts.loop, "answering what you said so far"))
        self.turn_started.emit("")

        def work(ctx: JobContext) -> VoiceTurn:
            parts.loop.begin(ctx.cancel)
            hints = engine.conversation.speech_hints(session)
            with self._states.to(ctx.event):
                return parts.loop.answer_heard(heard, parts.audio.play, session_id=session, hints=hints,
                                               cancel=ctx.cancel, on_heard=lambda text: ctx.event(("heard", text)),
                                               on_cards=lambda cards: ctx.event(("cards", cards)),
                                               on_answered=lambda result: ctx.event(("answered", result)))

        self._jobs.start(TURN_JOB, work, on_event=self._voice_event, on_done=self._voice_done,
                         on_error=self._voice_failed)

    @staticmethod
    def _limit_notice(loop: VoiceLoop, what: str) -> str:
        return f"The recording stopped at the {loop.listen_options.limit_s:g}-second limit; {what}."

    def _listening_ended(self, stop: threading.Event) -> None:
        if self._hands_free is stop:  # the microphone stream ended by itself (a device unplugged)
            self._hands_free = None
            self.hands_free_changed.emit(False)

    def _listen_failed(self, exc: BaseException) -> None:
        self._hands_free = None
        self.hands_free_changed.emit(False)
        self.failed.emit(exc)

    def _voice_event(self, value: object) -> None:
        if isinstance(value, tuple) and len(value) == 2:
            kind, payload = value
            if kind == "state":
                self.voice_state.emit(str(payload))
            elif kind == "level":
                self.voice_level.emit(float(payload))
            elif kind == "heard":
                self.heard.emit(str(payload))
            elif kind == "cards":
                self.cards_ready.emit(payload)  # shown while the reply is written and spoken, as for typing
            elif kind == "answered":
                # The turn is saved in its session before it is spoken: talking over the reply must not lose
                # the conversation ("the second one" next refers to these cards).
                self.session_id = payload.session_id
                self.last_result = payload

    def _voice_done(self, result: VoiceTurn) -> None:
        self._release = None
        if result.timings_ms.get("recording_limit_reached") and self._voice is not None and not self.hands_free:
            self.notice.emit(self._limit_notice(self._voice.loop, "answered what you said so far"))
        self._turn_done(result.turn)
        self.voice_state.emit("idle")

    def _voice_failed(self, exc: BaseException) -> None:
        self._release = None
        self.voice_state.emit("idle")
        from app.services.voice import NoSpeechError

        if isinstance(exc, NoSpeechError):
            self.heard.emit("")
            if not self.hands_free:  # hands-free just goes on listening: a cough is not worth a message
                self.notice.emit("No speech heard. Hold the talk button (or Space) while you speak.")
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
        self._stop_hands_free()
        self.stop_listening()
        self._interrupt_speech()
        self._jobs.cancel_all()
        self._jobs.wait(3000)
        if self.engine is not None:
            self.engine.close()
            self.engine = None
        gc.unfreeze()
