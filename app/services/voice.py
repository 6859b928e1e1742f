"""A voice turn: hear, understand, answer, speak; each stage timed, cancellable, and announced.

The loop owns the "one turn at a time" rule: starting a new turn (the user talking over the
reply) cancels the previous one's pending work and stops its playback, so the app never answers
a question the user has already replaced.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from app.domain.errors import ChatRecError
from app.domain.progress import CancelToken
from app.domain.recommendation import Recommendation
from app.domain.voice import SPEECH_RATE, AudioBlock, SpeechHints, Transcript, VoiceState
from app.ports import Speaker, SpeechToText, TextToSpeech
from app.services.conversation import Conversation, TurnResult
from app.services.listening import EchoGate, Heard, ListenOptions, NoiseFloor, PlaybackTrace, listen, to_speech_rate

NO_SPEECH = "no speech heard"

OnCards = Callable[[tuple[Recommendation, ...]], None]


WARM_UP_PHRASE = "Ready when you are."
NO_HINTS = SpeechHints()


class NoSpeechError(ChatRecError):
    """The recording held no speech: nothing was transcribed, so nothing is answered."""

    def __init__(self) -> None:
        super().__init__(f"{NO_SPEECH}: hold the button (or Space) while you talk, a little closer to the microphone")


@dataclass(frozen=True)
class VoiceTurn:
    """A spoken turn: what was heard, the conversation's answer, and the timings of every stage."""

    transcript: Transcript
    turn: TurnResult
    timings_ms: dict[str, float] = field(default_factory=dict)


class VoiceLoop:
    """Transcribe a request, run the conversation turn, and speak the reply through a speaker."""

    def __init__(self, stt: SpeechToText, tts: TextToSpeech, conversation: Conversation,
                 on_state: Callable[[VoiceState], None] = lambda state: None, *,
                 listen_options: ListenOptions | None = None) -> None:
        self._stt = stt
        self._tts = tts
        self._conversation = conversation
        self._on_state = on_state
        self.listen_options = listen_options or ListenOptions()
        self._lock = threading.Lock()
        self._current: CancelToken | None = None
        self.trace = PlaybackTrace()  # what this loop (and previews through traced) sent to the speaker
        self._gate = EchoGate()
        self._floor = NoiseFloor()  # the room's noise, learned across turns

    def begin(self, token: CancelToken | None = None) -> CancelToken:
        """Start a turn (with token, or a new one): the previous one's pending work and playback are cancelled."""
        with self._lock:
            if self._current is not None and self._current is not token:
                self._current.cancel()
            self._current = token or CancelToken()
            return self._current

    def turn(self, samples: NDArray[np.float32], speaker: Speaker, *, session_id: str | None = None,
             hints: SpeechHints = NO_HINTS, cancel: CancelToken | None = None,
             on_heard: Callable[[str], None] = lambda text: None) -> VoiceTurn:
        """Hear a whole recording (16 kHz mono), answer, and speak; raises NoSpeechError for silence.

        The recording is complete when this is called, so its end is the end of speech: first_audio
        counts from here.
        """
        ended_at = time.monotonic()
        token = cancel or self.begin()
        try:
            transcript, stt_ms = self.hear(samples, hints=hints, cancel=token)
        except BaseException:
            self._on_state("idle")
            raise
        return self.answer(transcript, speaker, session_id=session_id, cancel=token, on_heard=on_heard,
                           speech_ended_at=ended_at, timings={"stt": stt_ms})

    def converse(self, blocks: Iterable[AudioBlock], speaker: Speaker, *, hands_free: bool = False,
                 session_id: str | None = None, hints: SpeechHints = NO_HINTS,
                 release: threading.Event | None = None, cancel: CancelToken | None = None,
                 options: ListenOptions | None = None, on_level: Callable[[float], None] = lambda db: None,
                 on_speech_start: Callable[[], None] = lambda: None,
                 on_heard: Callable[[str], None] = lambda text: None, on_cards: OnCards | None = None,
                 on_answered: Callable[[TurnResult], None] = lambda result: None) -> VoiceTurn:
        """Listen to microphone blocks for one utterance, answer it, and speak the reply.

        The words before each pause are transcribed while the user still speaks (ListenOptions.speculate);
        timings_ms["first_audio"] is the wall clock from the end of the user's voice to the reply's
        first audio. Raises NoSpeechError when nothing was said.
        """
        token = cancel or self.begin()
        self._on_state("listening")
        try:
            heard = self.listen(blocks, hands_free=hands_free, hints=hints, release=release, cancel=token,
                                options=options, on_level=on_level, on_speech_start=on_speech_start)
        except BaseException:
            self._on_state("idle")
            raise
        return self.answer_heard(heard, speaker, session_id=session_id, hints=hints, cancel=token,
                                 on_heard=on_heard, on_cards=on_cards, on_answered=on_answered)

    def listen(self, blocks: Iterable[AudioBlock], *, hands_free: bool,
               hints: SpeechHints | Callable[[], SpeechHints] = NO_HINTS,
               release: threading.Event | None = None, cancel: CancelToken | None = None,
               options: ListenOptions | None = None, on_level: Callable[[float], None] = lambda db: None,
               on_speech_start: Callable[[], None] = lambda: None,
               on_speech_end: Callable[[], None] | None = None) -> Heard:
        """One utterance from microphone blocks, its words transcribed ahead at its pauses (see listening.listen).

        on_speech_end (default: the loop's state becomes "transcribing") is called when the utterance is over.
        hints may be a function, asked when the recogniser first needs them (hands-free waits a long time).
        """

        def primer() -> tuple[Sequence[str], str]:
            found = hints() if callable(hints) else hints
            return found.words, found.prompt

        return listen(blocks, self._stt, hands_free=hands_free, options=options or self.listen_options,
                      release=release, trace=self.trace, gate=self._gate, floor=self._floor,
                      primer=primer, cancel=cancel, on_level=on_level,
                      on_speech_start=on_speech_start,
                      on_speech_end=on_speech_end or (lambda: self._on_state("transcribing")))

    def answer_heard(self, heard: Heard, speaker: Speaker, *, session_id: str | None = None,
                     hints: SpeechHints = NO_HINTS, cancel: CancelToken | None = None,
                     on_heard: Callable[[str], None] = lambda text: None, on_cards: OnCards | None = None,
                     on_answered: Callable[[TurnResult], None] = lambda result: None) -> VoiceTurn:
        """Answer an utterance that listen() found (transcribing what was not transcribed ahead) and speak."""
        token = cancel or self.begin()
        timings = dict(heard.timings_ms)
        transcript = heard.transcript
        try:
            if heard.voiced_s <= 0.0:
                raise NoSpeechError()
            if transcript is None:
                transcript, timings["stt_after_end"] = self.hear(heard.samples, hints=hints, cancel=token)
        except BaseException:
            self._on_state("idle")
            raise
        timings["recording_s"] = round(heard.samples.size / SPEECH_RATE, 2)
        if heard.ended_by == "limit":
            timings["recording_limit_reached"] = 1.0
        return self.answer(transcript, speaker, session_id=session_id, cancel=token, on_heard=on_heard,
                           on_cards=on_cards, on_answered=on_answered, speech_ended_at=heard.speech_ended_at,
                           timings=timings)

    def hear(self, samples: NDArray[np.float32], *, hints: SpeechHints = NO_HINTS,
             cancel: CancelToken | None = None) -> tuple[Transcript, float]:
        """The words of a whole recording and the milliseconds the recogniser took."""
        self._on_state("transcribing")
        started = time.perf_counter()
        transcript = self._stt.transcribe(samples, hints=hints.words, prompt=hints.prompt, cancel=cancel)
        return transcript, _ms(started)

    def answer(self, transcript: Transcript, speaker: Speaker, *, session_id: str | None = None,
               cancel: CancelToken | None = None, on_heard: Callable[[str], None] = lambda text: None,
               speech_ended_at: float | None = None, timings: dict[str, float] | None = None,
               on_cards: OnCards | None = None,
               on_answered: Callable[[TurnResult], None] = lambda result: None) -> VoiceTurn:
        """Run the conversation turn on what was heard and speak the reply; raises NoSpeechError for silence.

        on_cards receives the turn's cards as soon as they are chosen, before the reply is written and spoken
        (the window shows them then, as for a typed turn); on_answered the turn's result once it is saved,
        before it is spoken (talking over it cancels the rest). speech_ended_at (time.monotonic) is when the
        user's voice ended; timings_ms["first_audio"] is the wall clock from then to the reply's first
        audio handed to the speaker.
        """
        token = cancel or self.begin()
        ended_at = time.monotonic() if speech_ended_at is None else speech_ended_at
        timings = dict(timings or {})
        try:
            if transcript.no_speech or not transcript.text.strip():
                raise NoSpeechError()
            if "stt" in timings:
                timings["stt_real_time_factor"] = round(timings["stt"] / 1000 / max(transcript.audio_seconds, 1e-3),
                                                        3)
            on_heard(transcript.text)  # shown while the answer is worked out
            self._on_state("thinking")
            result = self._conversation.turn(transcript.text, session_id, cancel=token, on_cards=on_cards)
            on_answered(result)
            self._on_state("speaking")
            spoken = _Timed(self._tts.synthesize(spoken_reply(result), cancel=token))
            speech_started = time.perf_counter()
            speaker(self.traced(spoken, self._tts.sample_rate), self._tts.sample_rate, token)
            timings.update({"tts_first_audio": spoken.first_ms(speech_started),
                            "tts_and_playback": _ms(speech_started), "tts_synthesis": spoken.busy_ms,
                            "tts_audio_seconds": round(spoken.samples / self._tts.sample_rate, 2)})
        finally:
            self._on_state("idle")
        if spoken.first_at_clock is not None:
            timings["first_audio"] = round((spoken.first_at_clock - ended_at) * 1000, 1)
        merged = {**result.timings_ms, **timings, "voice_total": round((time.monotonic() - ended_at) * 1000, 1)}
        return VoiceTurn(transcript, replace(result, timings_ms=merged), merged)

    def traced(self, chunks: Iterable[NDArray[np.float32]], sample_rate: int) -> Iterator[NDArray[np.float32]]:
        """chunks as they go to the speaker, each noted in the playback trace the echo gate listens against.

        Long chunks (a sentence, a track's preview) go out in quarter seconds: the speaker takes the next
        piece only when it has room, so each piece is noted when it is about to play.
        """
        step = max(1, sample_rate // 4)
        for chunk in chunks:
            for start in range(0, chunk.size, step):
                piece = chunk[start:start + step]
                self.trace.add(piece, sample_rate, time.monotonic())
                yield piece

    def load(self) -> None:
        """Load the speech models now (in the background at start), so the first turn is quick."""
        self._stt.load()
        self._tts.load()

    def warm_up(self) -> None:
        """Load the models and run each once on a short phrase: first runs pay one-off costs (buffers,
        caches) that would otherwise land on the user's first spoken turn."""
        self.load()
        spoken = np.concatenate([np.zeros(0, dtype=np.float32), *self._tts.synthesize(WARM_UP_PHRASE)])
        self._stt.transcribe(to_speech_rate(spoken, self._tts.sample_rate))  # the recogniser takes 16 kHz

    @property
    def sample_rate(self) -> int:
        """The rate of the spoken reply's samples."""
        return self._tts.sample_rate

    def stop(self) -> None:
        """Cancel the turn in progress, if any (the stop button)."""
        with self._lock:
            if self._current is not None:
                self._current.cancel()


class _Timed:
    """Wraps the synthesis stream: when its first chunk came, how long synthesis took, how much audio."""

    def __init__(self, chunks: Iterator[NDArray[np.float32]]) -> None:
        self._chunks = chunks
        self.first_at: float | None = None
        self.first_at_clock: float | None = None  # the same moment on time.monotonic, the microphone's clock
        self.busy_ms = 0.0
        self.samples = 0

    def __iter__(self) -> Iterator[NDArray[np.float32]]:
        while True:
            started = time.perf_counter()
            try:
                chunk = next(self._chunks)
            except StopIteration:
                return
            self.busy_ms = round(self.busy_ms + (time.perf_counter() - started) * 1000, 1)
            if self.first_at is None:
                self.first_at = time.perf_counter()
                self.first_at_clock = time.monotonic()
            self.samples += int(chunk.size)
            yield chunk

    def first_ms(self, since: float) -> float:
        """Milliseconds from since to the first chunk (0 when nothing was spoken)."""
        return 0.0 if self.first_at is None else round((self.first_at - since) * 1000, 1)


def spoken_reply(result: TurnResult, titles: int = 3) -> str:
    """What is said aloud: the reply's sentences and the first few titles; the cards carry the reasons.

    Reading five cards with their reasons took over 30 s of speech; nobody listens that long. The
    reply's own sentences (a title it lacks, how many fit, the question whether to remember) are all
    said; the card lines are not. Rendered from the reply's parts (lead, prose, follow-up), never its text.
    """
    if result.browse is not None and result.browse.kind == "stop":
        return ""  # "stop" means silence: saying "Stopped." would be talking over the user again
    answer = result.answer
    if not result.items or result.intent.action not in ("recommend", "refine", "rate"):
        return answer.text
    names = [r.item.title for r in result.items[:titles]]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    more = " The cards show why." if len(result.items) > 1 else ""
    lead, follow_up = _said(answer.lead), _said(answer.follow_up)
    prose = _said((answer.prose,))
    if any(name in " ".join((*lead, *prose, *follow_up)) for name in names):
        return " ".join((*lead, *prose, *follow_up))  # the model's words already say them
    if not answer.leads_into_cards:
        return " ".join((*lead, *prose, *follow_up, f"{listed}.{more}"))
    # Speech starts when the first sentence is synthesized: keep it short by ending it before the "close to ..."
    # clause, and say the titles in the next one. The titles always get a sentence of their own: in the first one
    # they made it take 0.4 s to synthesize instead of 0.16 s (bench_voice), and speech starts only when it is done.
    close = f"They are close to {answer.close_to}: " if answer.close_to else ""
    return " ".join((*lead, f"{answer.found}. {close}{listed}.{more}", *follow_up))


def _said(lines: tuple[str, ...]) -> tuple[str, ...]:
    """The lines that say something, without the spaces around them."""
    return tuple(line.strip() for line in lines if line.strip())


def collect(into: list[NDArray[np.float32]]) -> Speaker:
    """A speaker that keeps the audio instead of playing it (the CLI writes it to a file)."""

    def speak(chunks: Iterable[NDArray[np.float32]], sample_rate: int, cancel: CancelToken) -> None:
        for chunk in chunks:
            cancel.raise_if_cancelled("speaking")
            into.append(chunk)

    return speak


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)


__all__ = ["NO_SPEECH", "SPEECH_RATE", "NoSpeechError", "Speaker", "VoiceLoop", "VoiceTurn", "collect"]
