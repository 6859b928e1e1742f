"""The turn's reply in a model's words when it can write them in time and truthfully, else the template's.

``write_reply`` asks the chat model for 1-3 sentences about the turn's facts, streams them, and checks
them with reply_check. It falls back to ``template_reply`` when there is no model, when the model
fails, writes nothing, is still writing when the budget runs out, or writes anything the facts do not
hold. No thread is started here (docs/architecture.md, "Threads"): the budget is a Deadline token, which every
adapter checks between streamed pieces, and the streaming callback checks the clock too.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from app.domain.errors import CancelledError, ChatModelError
from app.domain.progress import CancelToken, Deadline
from app.domain.reply import Reply, ReplySource
from app.llm.parse import reply_text
from app.llm.prompts import REPLY_MAX_TOKENS, reply_messages
from app.ports import ChatModel
from app.services.replies import ReplyFacts, opening, remember_sentence, reply_cards, template_answer
from app.services.reply_check import ReplyChecker
from app.services.titles import TitleIndex

# A sentence ends at . ! ? (with closing quotes or brackets) before a space, or at a line break.
_BOUNDARY = re.compile(r"[.!?]+[\"'\u201d\u2019)\]]*(?=\s+\S)|\n")
_NO_SPLIT_AFTER = frozenset({"mr", "mrs", "ms", "dr", "st", "vs", "jr", "sr", "prof", "mt", "no", "vol", "feat",
                             "e.g", "i.e", "approx", "ca", "cf"})
_MAX_MODEL_SENTENCES = 4  # asked for 1-3; more is rambling, and rambling is where inventions creep in


@dataclass(frozen=True)
class WrittenReply:
    """The reply to show and speak (its parts say who wrote it), and why it fell back when it did."""

    reply: Reply
    problems: tuple[str, ...] = ()  # what the check found in the model's words (empty when none)
    note: str = ""  # for the turn's fallbacks: why the template was used, or that the model was cut short
    streamed: str = ""  # everything passed to on_text, in order
    seconds: float = 0.0

    @property
    def text(self) -> str:
        """The reply as a chat shows it."""
        return self.reply.text

    @property
    def source(self) -> ReplySource:
        """Who wrote the reply's prose: "model" (checked) or "template"."""
        return self.reply.source

    @property
    def replaces_stream(self) -> bool:
        """True when the text is not what was streamed plus more: the caller must replace what it showed.

        This happens only when checked sentences of the model were streamed and then a later one failed
        the check, or together they named none of the cards; what was streamed was true, but the reply
        shown is the template's.
        """
        return not self.text.startswith(self.streamed)


class _Late(Exception):
    """The budget ran out while the model was writing."""


class _Unverified(Exception):
    """A sentence of the model's failed the check; generation stops there."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class _SentenceGate:
    """Passes the model's text on a whole, checked sentence at a time, and stops it at the first bad one."""

    def __init__(self, checker: ReplyChecker, emit: Callable[[str], None], deadline: float,
                 protected: list[str]) -> None:
        self._checker = checker
        self._emit = emit
        self._deadline = deadline
        self._protected = [p.casefold() for p in protected]
        self._buffer = ""
        self.sentences: list[str] = []

    def feed(self, piece: str) -> None:
        """Take one streamed piece; check and pass on every sentence it completes."""
        if time.monotonic() > self._deadline:
            raise _Late()
        self._buffer += piece
        while True:
            cut = self._next_boundary()
            if cut is None:
                return
            sentence, self._buffer = self._buffer[:cut], self._buffer[cut:]
            self._accept(sentence)

    def finish(self, cut_short: bool) -> None:
        """The model is done: the rest is the last sentence, dropped when max_tokens cut it mid-way."""
        rest, self._buffer = self._buffer, ""
        if not rest.strip():
            return
        if cut_short and not re.search(r"[.!?][\"'\u201d\u2019)\]]*\s*$", rest):
            return  # half a sentence: better unsaid
        self._accept(rest)

    def _next_boundary(self) -> int | None:
        for match in _BOUNDARY.finditer(self._buffer):
            end = match.end()
            if match.group(0) == "\n" or self._ends_sentence(match.start(), end):
                return end
        return None

    def _ends_sentence(self, dot: int, end: int) -> bool:
        before = self._buffer[:dot]
        word = re.search(r"[\w.]*$", before)
        last = word.group(0).casefold() if word else ""
        if self._buffer[dot] == "." and (last in _NO_SPLIT_AFTER or (len(last) == 1 and last.isalpha())
                                         or re.fullmatch(r"(?:\w\.)+\w", last)):
            return False  # "Dr. Strangelove", "L.A. Confidential", "J. R. R. Tolkien"
        if self._buffer[end:].lstrip()[:1].islower():
            return False  # "approx. three": a sentence does not start in lower case
        text = self._buffer[:end].casefold()
        # Inside a title with a full stop or a question mark in it ("What's Up, Doc? ..."): wait for the rest.
        for title in self._protected:
            for inner in re.finditer(r"[.!?](?=\s)", title):
                if text.endswith(title[:inner.end()]) and not text.endswith(title):
                    return False
        return True

    def _accept(self, raw: str) -> None:
        sentence = reply_text(raw)
        if not sentence:
            return
        if len(self.sentences) >= _MAX_MODEL_SENTENCES:
            raise _Unverified([f"ran on past {_MAX_MODEL_SENTENCES} sentences"])
        problems = self._checker.problems(sentence)
        if problems:
            raise _Unverified(problems)
        self.sentences.append(sentence)
        self._emit(sentence)


def write_reply(model: ChatModel | None, facts: ReplyFacts, *, budget_s: float,
                on_text: Callable[[str], None] | None = None, cancel: CancelToken | None = None,
                titles: TitleIndex | None = None, variant_seed: int = 0, with_cards: bool = False) -> WrittenReply:
    """The reply for a turn: the model's 1-3 sentences when they arrive within budget_s and pass the check,
    between the sentences every reply must hold (a name the catalogue lacks, a shortfall, the remember
    question); else template_reply(facts, variant_seed). with_cards adds the template's line per card after
    the model's sentences (for text-only front ends, where the cards are not drawn).

    Streaming: on_text receives only text that passed the check, a whole sentence at a time, so an invented
    title never reaches the screen or the voice, even for a moment. The fixed opening is passed on at once,
    before the model has written a word. When the reply falls back, the rest of the template follows what
    was streamed. Only when checked sentences of the model were already streamed and a later one fails does
    the template replace them (WrittenReply.replaces_stream: the caller swaps the text it showed). When the
    budget runs out after at least one checked sentence, those sentences stand and the reply goes on from
    there, so nothing already shown or spoken is taken back.

    titles (the catalogue's title index) lets the check catch real titles that are not on the cards.
    Raises CancelledError when the turn's cancel token is set; never raises for the model's failures.
    The budget is checked between streamed pieces: a model still reading its prompt cannot be stopped
    before its first piece (llama.cpp gives none until the prompt is read).
    """
    started = time.monotonic()
    streamed: list[str] = []

    def emit(text: str) -> None:
        if not text:
            return
        piece = text if not streamed or text.startswith("\n") else " " + text
        streamed.append(piece)
        if on_text is not None:
            on_text(piece)

    def fall_back(note: str, problems: tuple[str, ...] = ()) -> WrittenReply:
        answer = template_answer(facts, variant_seed)
        text, shown = answer.text, "".join(streamed)
        if text.startswith(shown) and len(text) > len(shown):
            streamed.append(text[len(shown):])
            if on_text is not None:
                on_text(streamed[-1])
        return WrittenReply(answer, problems, note, "".join(streamed), time.monotonic() - started)

    if model is None:
        return fall_back("no chat model: the template reply was used")
    if not facts.cards:
        return fall_back("")  # nothing found: the template says so plainly, no model needed
    first = opening(facts, variant_seed)
    for sentence in first:
        emit(sentence)
    budget = Deadline(max(0.0, budget_s - (time.monotonic() - started)), cancel)
    deadline = started + budget_s
    checker = ReplyChecker.for_facts(facts, titles)
    protected = [r.item.title for r in facts.cards] + list(facts.liked_titles)
    gate = _SentenceGate(checker, emit, deadline, [t for t in protected if re.search(r"[.!?]\s", t)])
    note = ""
    try:
        reply = model.chat(reply_messages(facts.prompt_data()), max_tokens=REPLY_MAX_TOKENS, temperature=0.0,
                           on_text=gate.feed, cancel=budget)
        gate.finish(cut_short=reply.completion_tokens >= REPLY_MAX_TOKENS)
    except _Unverified as exc:
        return fall_back(f"reply: the model's words failed the check ({exc}); the template reply was used",
                         tuple(exc.problems))
    except (_Late, CancelledError) as exc:
        if cancel is not None and cancel.cancelled:
            raise CancelledError("the reply") from exc
        if not gate.sentences:
            return fall_back(f"reply: the model took longer than {budget_s:g} s; the template reply was used")
        note = f"reply: the model was cut short at {budget_s:g} s; its checked sentences were kept"
    except ChatModelError as exc:
        return fall_back(f"reply: {exc}; the template reply was used")
    if not gate.sentences:
        return fall_back("reply: the model wrote nothing usable; the template reply was used")
    if not checker.names_a_card(" ".join(gate.sentences)):
        # Asked to name the first titles, a model that names none has not written about the cards
        # (SmolLM2-135M answers as if it were the user: "I'm a coffee lover who loves Fargo.").
        return fall_back("reply: the model's words named none of the cards; the template reply was used")
    problems = checker.problems(" ".join([*first, *gate.sentences]))
    if problems:  # each sentence passed; together they may not (a title split across two)
        return fall_back(f"reply: the model's words failed the check ({'; '.join(problems)}); the template "
                         "reply was used", tuple(problems))
    cards = reply_cards(facts, variant_seed) if with_cards else ()
    for card in cards:
        emit("\n" + card.text)
    question = remember_sentence(facts, variant_seed)
    if question:
        emit("\n" + question)
    # Streamed as one line of prose (the opening, then the model's sentences), the cards, the question.
    answer = Reply(tuple(first), tuple(gate.sentences), cards, (question,) if question else (), source="model")
    return WrittenReply(answer, (), note, "".join(streamed), time.monotonic() - started)
