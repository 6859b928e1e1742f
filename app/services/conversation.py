"""One conversational turn, the Chat-Rec way: understand, fetch grounded candidates, let the model
pick and phrase when it helps, and answer only with items the ranker produced (Gao et al. 2023)."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from app.domain.browse import Browse
from app.domain.chat import ChatMessage, ChatReply
from app.domain.conversation import MAX_REQUEST_CHARS, Intent, SessionState, TurnRecord, clean_request
from app.domain.errors import (
    CancelledError,
    ChatModelError,
    ChatRecError,
    NothingToGoOnError,
    RequestTooLongError,
    UnknownItemError,
)
from app.domain.items import ME, Item
from app.domain.music import AUDIO_EXTENSIONS
from app.domain.progress import CancelToken, Deadline
from app.domain.recommendation import Recommendation
from app.domain.reply import Reply
from app.domain.voice import SpeechHints
from app.export.formats import suggested_filename
from app.llm.parse import UnusableAnswer, intent_from_answer, picks_from_answer
from app.llm.prompts import INTENT_SCHEMA, intent_messages, rerank_messages, rerank_schema
from app.ports import ChatModel, ChatModelSource
from app.services import replies
from app.services.browse_commands import BrowseCommand, read_browse_command
from app.services.lists import Lists
from app.services.moods import expand_query
from app.services.ratings import Ratings
from app.services.recommendations import Recommendations, RecommendRequest
from app.services.refine import relative_to_cards, relative_to_request
from app.services.replies import ReplyFacts, Shortfall, variant_seed_of
from app.services.reply_check import checked_about, checked_sentences
from app.services.reply_writer import write_reply
from app.services.rerank_policy import reranks_by_default
from app.services.titles import TitleIndex, normalise
from app.services.understand import RulesReading, model_could_add, read_rules, settle
from app.services.vocabulary import Embed, Vocabulary, terms_of
from app.store.conversations import ConversationStore
from app.store.sqlite import SQLiteStore

log = logging.getLogger(__name__)
DEFAULT_LIST = "Favourites"
# Number words said to a recogniser that hears "free comedies" for three: spelled for it, they are heard right.
NUMBER_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "stars")
SPEECH_HINTS = 100  # words a recogniser is offered at most; it keeps those that fit its prompt, first first
NO_CARDS = "There are no cards yet: tell me what you are in the mood for."
# The query's share when the user's taste is known. The ranker's 0.6 suits a query that is the whole
# request; "something darker" next to Fargo is a nudge, and at 0.6 it buried the titles named.
MODIFIER_QUERY_WEIGHT = 0.3


@dataclass(frozen=True)
class ConversationOptions:
    """How much of a turn the language model does."""

    llm_intent: bool = True  # ask the model to read the request, merged with the rules' reading
    rerank: str = "auto"  # auto: Ollama models re-rank, the small embedded one does not (see README)
    default_count: int = 5
    candidates: int = 20  # the paper's setting: the ranker's top 20 go to the model
    # What a turn gives each model stage before answering without it (a late answer is dropped): the
    # cards must be ready within about a second, and no turn may hang on a slow model.
    intent_budget_s: float = 1.2
    rerank_budget_s: float = 1.5
    # Who writes the reply: "auto" lets Ollama models write it (checked) and the template answer for the
    # built-in model, which on 2 cores read the reply prompt at about 80 tokens/s and wrote 25 tokens/s:
    # 2.2-4.3 s a reply, past the turn's budget, and its sentences often named no card (README).
    model_replies: str = "auto"  # auto | on | off
    reply_budget_s: float = 1.8


@dataclass(frozen=True)
class TurnResult:
    """What a turn produced: the reply (in parts), the cards, what was understood, and what it cost."""

    session_id: str
    answer: Reply  # the reply in parts: its prose, a line per card with the model's sentence, the follow-up
    items: tuple[Recommendation, ...]
    intent: Intent
    backend: str
    fallbacks: tuple[str, ...]
    timings_ms: dict[str, float] = field(default_factory=dict)
    candidates: tuple[str, ...] = ()  # the ranker's candidate ids the cards were chosen from
    browse: Browse | None = None  # what the window does for a browsing command ("next", "play the third")

    @property
    def reply(self) -> str:
        """The reply as a chat shows it (and the CLI prints and saves it)."""
        return self.answer.text


@dataclass(frozen=True)
class _Page:
    """What "next" asks of a request: how many cards, and which not to show again (every card shown so far)."""

    count: int
    skip: tuple[str, ...]


class _Stopwatch:
    def __init__(self) -> None:
        self.ms: dict[str, float] = {}
        self._started = time.perf_counter()

    def mark(self, name: str) -> None:
        """Record how long the turn has run until now (a moment, not a stage: "cards_ready")."""
        self.ms[name] = round((time.perf_counter() - self._started) * 1000, 1)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.ms[name] = round(self.ms.get(name, 0.0) + (time.perf_counter() - started) * 1000, 1)


@dataclass(frozen=True)
class _Collaborators:
    """What a turn works with, handed to it by its Conversation: it reaches for nothing else."""

    store: SQLiteStore  # the catalogue and the ratings, read
    ratings: Ratings  # how a rating is saved, as everywhere else in the app
    recommendations: Recommendations
    lists: Lists
    chat: ChatModelSource
    options: ConversationOptions
    export_dir: Path
    titles: Callable[[], TitleIndex]  # the catalogue's title index (built once per catalogue version)
    vocabulary: Callable[[], Vocabulary | None]  # its words by meaning (None without a text model)


class Conversation:
    """The turn pipeline over the store, the recommendations and a chat model."""

    def __init__(self, store: SQLiteStore, sessions: ConversationStore, recommendations: Recommendations,
                 chat: ChatModelSource, options: ConversationOptions = ConversationOptions(), *,
                 lists: Lists | None = None, ratings: Ratings | None = None, export_dir: Path | None = None,
                 embed: Embed | None = None) -> None:
        self._store = store
        self._sessions = sessions
        self._lists = lists or Lists(store)
        self._titles: tuple[int, TitleIndex] | None = None
        self._embed = embed
        self._vocabulary: tuple[int, Vocabulary] | None = None
        self._genre_words: tuple[int, dict[str, tuple[str, ...]]] | None = None
        # Built once: every turn of this conversation works with the same collaborators.
        self._turn_uses = _Collaborators(store, ratings or Ratings(store), recommendations, self._lists, chat, options,
                                         export_dir or store.path.parent / "exports", self.titles, self.vocabulary)

    @property
    def options(self) -> ConversationOptions:
        """How much of a turn the language model does."""
        return self._turn_uses.options

    def turn(self, text: str, session_id: str | None = None, cancel: CancelToken | None = None, *,
             on_cards: Callable[[tuple[Recommendation, ...]], None] | None = None,
             on_text: Callable[[str], None] | None = None) -> TurnResult:
        """Answer one request within a session (a new session when none is named).

        on_cards receives the cards as soon as they are chosen, before the reply is written; on_text the
        reply as it is written, checked sentence by sentence (see reply_writer.write_reply).
        """
        # Cleaned and measured once, before anything is saved: a refused request leaves no conversation behind.
        text = clean_request(text)
        if not text:
            raise ChatRecError("say or type what you are looking for")
        if len(text) > MAX_REQUEST_CHARS:
            raise RequestTooLongError(len(text), MAX_REQUEST_CHARS)
        if self._store.count("items") == 0:
            raise ChatRecError("the catalogue is empty: import something first, for example `chatrec import demo`")
        clock = _Stopwatch()
        started = time.perf_counter()
        turn = _Turn(self._turn_uses, text, clock, cancel, on_cards=on_cards, on_text=on_text)
        with clock.stage("session"):
            sid, state = self._sessions.open_session(session_id)
            history = self._sessions.recent_turns(sid)
        result = turn.run(sid, state, history)
        with clock.stage("save"):
            self._sessions.save_turn(TurnRecord(sid, self._sessions.next_turn_number(sid), text, result.reply,
                                                result.intent, tuple(r.item.id for r in result.items),
                                                result.backend, result.fallbacks, clock.ms), turn.state)
        # Stages nest (llm_intent is part of understand), so the total is measured, not summed.
        clock.ms["total"] = round((time.perf_counter() - started) * 1000, 1)
        return replace(result, timings_ms=dict(clock.ms))

    def with_chat(self, chat: ChatModelSource | None = None,
                  options: ConversationOptions | None = None) -> Conversation:
        """The same conversation service with another model source (`ask --backend`) or options."""
        uses = self._turn_uses
        other = Conversation(self._store, self._sessions, uses.recommendations, chat or uses.chat,
                             options or self.options, lists=self._lists, ratings=uses.ratings,
                             export_dir=uses.export_dir, embed=self._embed)
        other._titles, other._vocabulary = self._titles, self._vocabulary  # built once, shared
        other._genre_words = self._genre_words
        return other

    def choose_model(self) -> str:
        """Pick the chat model now (asking Ollama whether it runs), so the first turn does not; its backend."""
        model, _notes = self._turn_uses.chat.get()  # a turn repeats the notes when it falls back
        return model.backend if model is not None else "none"

    def model_name(self) -> str:
        """The name of the chat model that serves turns ("none" without one), for reports and benchmarks."""
        model, _notes = self._turn_uses.chat.get()
        return model.model_name if model is not None else "none"

    def titles_in_view(self, session_id: str | None, limit: int = 30) -> list[str]:
        """Titles a user is likely to say next: the session's cards and the titles named in it, their most
        recent ratings, then the catalogue's most rated titles (what a newcomer most often names)."""
        state = self._sessions.state_of(session_id) if session_id else None
        mine = [*state.shown, *state.liked] if state is not None else []
        mine += [r.item_id for r in self._store.ratings_of(ME)[:limit]]
        items = self._store.items_by_ids(mine)
        ordered = [items[i].title for i in dict.fromkeys(mine) if i in items]
        return list(dict.fromkeys([*ordered, *self.titles().popular(limit)]))[:limit]

    def speech_hints(self, session_id: str | None) -> SpeechHints:
        """What the recogniser should expect next, most likely first: the titles on screen, the titles named in the
        session, the user's list names, the catalogue's genres (the standing request's first), number words, then
        the titles titles_in_view adds; the prompt is the session's last request ("" for a new session)."""
        state = (self._sessions.state_of(session_id) if session_id else None) or SessionState()
        ids = list(dict.fromkeys([*state.shown, *state.liked, *([state.focus] if state.focus else [])]))
        items = self._store.items_by_ids(ids)
        words = [items[i].title for i in ids if i in items]
        words += [*state.intent.liked, *state.intent.disliked, *state.intent.creators]
        words += [playlist.name for playlist in self._lists.all()]
        genres = self.genre_words()
        standing = state.intent.domain
        for domain in sorted(genres, key=lambda d: (d != standing, d)):
            words += genres[domain]
        words += NUMBER_WORDS
        words += self.titles_in_view(session_id)
        distinct: dict[str, str] = {}
        for word in words:
            if word.strip():
                distinct.setdefault(word.strip().casefold(), word.strip())
        return SpeechHints(tuple(distinct.values())[:SPEECH_HINTS], self._last_request(session_id, state))

    def _last_request(self, session_id: str | None, state: SessionState) -> str:
        """The words of the session's standing request; for a session saved before they were kept, its last
        recommending turn's."""
        if state.request or not session_id:
            return state.request
        turns = self._sessions.recent_turns(session_id)
        return next((t.user_text for t in reversed(turns) if t.intent.action in ("recommend", "refine")
                     and read_browse_command(t.user_text) is None), "")

    def genre_words(self) -> dict[str, tuple[str, ...]]:
        """The catalogue's genres by domain, most used first (for products their shop departments)."""
        version = self._store.catalogue_version()
        if self._genre_words is None or self._genre_words[0] != version:
            uses: dict[str, dict[str, int]] = {}
            items = self._store.items()
            for item in items:
                names = (item.attributes.get("category", ""),) if item.domain == "product" else item.genres
                for name in names:
                    if name and name.casefold() != "unknown":
                        uses.setdefault(item.domain, {})[name] = uses.setdefault(item.domain, {}).get(name, 0) + 1
            # As TitleIndex.genres: a tag on one item of many is a file's quirk, not a word people say.
            least = 2 if len(items) > 20 else 1
            self._genre_words = (version, {domain: tuple(sorted((g for g, n in counts.items() if n >= least),
                                                                key=lambda g: (-counts[g], g)))
                                           for domain, counts in uses.items()})
        return self._genre_words[1]

    def titles(self) -> TitleIndex:
        """The title index of the current catalogue (rebuilt when the catalogue changes)."""
        version = self._store.catalogue_version()
        if self._titles is None or self._titles[0] != version:
            popularity: dict[str, int] = {}
            for _, item_id, _ in self._store.rating_triples():
                popularity[item_id] = popularity.get(item_id, 0) + 1
            self._titles = (version, TitleIndex(self._store.items(), popularity))
        return self._titles[1]

    def vocabulary(self) -> Vocabulary | None:
        """The catalogue's genres, categories, tags and sound words by meaning (None without a text model)."""
        if self._embed is None:
            return None
        version = self._store.catalogue_version()
        if self._vocabulary is None or self._vocabulary[0] != version:
            self._vocabulary = (version, Vocabulary(terms_of(self._store.items()), self._embed))
        return self._vocabulary[1]


class _Turn:
    """The working state of one turn (kept off the Conversation, which serves many turns)."""

    def __init__(self, uses: _Collaborators, text: str, clock: _Stopwatch, cancel: CancelToken | None, *,
                 on_cards: Callable[[tuple[Recommendation, ...]], None] | None = None,
                 on_text: Callable[[str], None] | None = None) -> None:
        self.uses = uses
        self.text = text
        self.clock = clock
        self.cancel = cancel
        self.on_cards = on_cards
        self.on_text = on_text
        self.fallbacks: list[str] = []
        self.backend = "none"
        self.model: ChatModel | None = None
        self.state = SessionState()
        self.candidates: tuple[str, ...] = ()
        self.reading: RulesReading | None = None

    def run(self, sid: str, state: SessionState, history: list[TurnRecord]) -> TurnResult:
        self.state = state
        # The backend serving this turn is chosen up front (a probe, cached; nothing is loaded), so the
        # answer names it even when the rules read the request alone and no model stage ran.
        self._model()
        answered = self._remember_answer()
        if answered is not None:
            said, saved = answered  # a yes saved ratings; a no saved nothing and is only an answer
            return TurnResult(sid, Reply.plain(said), (), Intent(action="rate" if saved else "chit_chat"),
                              self.backend, tuple(self.fallbacks))
        command = read_browse_command(self.text)
        if command is not None:
            return self._browse(sid, command)
        self.state = replace(self.state, remember=())  # a question not answered is dropped, never assumed
        with self.clock.stage("understand"):
            intent, liked, disliked, target = self._understand(history)
        handlers = {"chit_chat": self._chit_chat, "explain": self._explain, "rate": self._rate,
                    "add_to_list": self._add_to_list, "export": self._export}
        handler = handlers.get(intent.action)
        browse = None
        if handler is not None:
            on_screen = self.state.shown
            reply, items = handler(intent, target)
            if target and intent.action in ("explain", "rate", "add_to_list"):
                self.state = replace(self.state, focus=target)
                if target in on_screen:
                    # The window's selection follows the card talked about, as a click on it would.
                    browse = Browse("select", item_id=target)
        elif _only_unknown_names(self.text, intent, liked):
            # "Do you have Catan?": nothing else was asked, so no cards stand in for what is missing.
            reply, items = Reply.plain(replies.only_unknown(intent.unknown)), []
            self._stream(reply.text)
        else:
            reply, items = self._recommend(intent, liked, disliked, target)
            intent = self.state.intent  # a refinement answers the standing request it refined
        return TurnResult(sid, reply, tuple(items), intent, self.backend, tuple(self.fallbacks),
                          candidates=self.candidates, browse=browse)

    def _remember_answer(self) -> tuple[str, bool] | None:
        """The reply, and whether ratings were saved, when this turn answers "Shall I remember...?" with yes
        or no; None otherwise."""
        asked = self.state.remember
        if not asked:
            return None
        # "Ok, save the second one to my date night list" starts like a yes but is a command of its own.
        said = self._reading().said.intent
        command = said.action in ("add_to_list", "explain", "export") or (said.action == "rate" and bool(said.target))
        if _YES.match(self.text) and not command:
            items = self.uses.store.items_by_ids(asked)
            self.uses.ratings.love(asked)
            self.state = replace(self.state, remember=())
            titles = [items[i].title for i in asked if i in items]
            return (f"Done: I'll remember that you love {replies.join_names(titles)}. "
                    "Rate anything else to teach me more."), True
        if _NO.match(self.text):
            self.state = replace(self.state, remember=())
            return "All right, I won't save them: they only count in this conversation.", False
        return None

    # -- understanding ------------------------------------------------------------------------

    def _reading(self) -> RulesReading:
        """The rules' reading of this turn's request, read once however many steps ask for it."""
        if self.reading is None:
            self.reading = read_rules(self.text, len(self.state.shown), self.uses.titles(),
                                      vocabulary=self.uses.vocabulary())
        return self.reading

    def _understand(self, history: list[TurnRecord]) -> tuple[Intent, tuple[str, ...], tuple[str, ...], str]:
        """The intent, the liked and disliked item ids, and the target item id ('' when none)."""
        cards = self.state.shown
        reading = self._reading()
        model_intent = None
        if self.uses.options.llm_intent and model_could_add(reading, self.uses.titles(), self.uses.vocabulary()):
            model_intent = self._model_intent(history)
        # A capable model (Ollama) may name a film the user only hinted at; the 135M one may not.
        found = settle(reading, cards, self.uses.titles(), model_intent, model_may_infer=self.backend == "ollama",
                       vocabulary=self.uses.vocabulary(), standing_domain=self.state.intent.domain if cards else None)
        intent, target = found.intent, found.target
        if self.state.last_list and _ALSO.match(self.text) and intent.action in ("recommend", "refine"):
            # "And Vertigo too", "and the third one too", right after adding to a list: the same list.
            also = found.liked[0] if len(found.liked) == 1 else \
                found.target if intent.target and re.search(r"\b(too|as well|also)\W*$", self.text, re.I) else ""
            if also:
                return Intent(action="add_to_list", list_name=self.state.last_list), (), (), also
        if not target and self.state.focus and intent.action in ("explain", "rate", "add_to_list") and \
                _THAT_ONE.search(self.text):
            target = self.state.focus  # "why?" then "2 stars for that one": the one just talked about
        return intent, found.liked, found.disliked, target

    def _model_intent(self, history: list[TurnRecord]) -> Intent | None:
        model = self._model()
        if model is None:
            return None
        shown = self.uses.store.items_by_ids(self.state.shown)
        messages = intent_messages(self.text, history, [shown[i].title for i in self.state.shown if i in shown])
        with self.clock.stage("llm_intent"):
            reply = self._ask(model, messages, schema=INTENT_SCHEMA, max_tokens=120, what="intent",
                              budget_s=self.uses.options.intent_budget_s)
        if reply is None:
            return None
        try:
            read = intent_from_answer(reply.content)
        except UnusableAnswer as exc:
            self.fallbacks.append(f"intent: {exc}; the rules' reading was used")
            return None
        # What the model says the request is about becomes search words only when it holds nothing
        # but the user's own names and numbers (an injected "ignore the above..." does not).
        about, problems = checked_about(read.query, self.text, titles=self.uses.titles())
        if problems:
            self.fallbacks.append("intent: the model's reading was dropped: " + "; ".join(problems))
        return replace(read, query=about)

    # -- the model ----------------------------------------------------------------------------

    def _model(self) -> ChatModel | None:
        if self.model is None:
            with self.clock.stage("choose_model"):
                model, notes = self.uses.chat.get()
            self.fallbacks.extend(notes)
            self.model = model
            self.backend = model.backend if model is not None else "none"
        return self.model

    def _ask(self, model: ChatModel, messages: list[ChatMessage], *, schema: dict[str, Any], max_tokens: int,
             what: str, budget_s: float) -> ChatReply | None:
        """The model's answer within budget_s; None (and a note) when it fails or is late."""
        deadline = Deadline(budget_s, self.cancel)
        try:
            return model.chat(messages, schema=schema, max_tokens=max_tokens, cancel=deadline)
        except CancelledError:
            if not deadline.expired or (self.cancel is not None and self.cancel.cancelled):
                raise
            # Late is dropped: the turn answers from what it already understood rather than wait.
            self.fallbacks.append(f"{what}: the model took longer than {budget_s:g} s, so it was not waited for")
            return None
        except ChatModelError as exc:
            self.fallbacks.append(f"{what}: {exc}")
            return None

    # -- actions ------------------------------------------------------------------------------

    def _recommend(self, intent: Intent, liked: tuple[str, ...], disliked: tuple[str, ...],
                   target: str, *, page: _Page | None = None,
                   keep_request: bool = False) -> tuple[Reply, list[Recommendation]]:
        """Cards for a request and the reply; with page, the next cards for the standing request ("next").

        keep_request: the standing request's words stay its words (a rating answers it again).
        """
        standing = self.state.intent.domain
        # "Next" pages through the request as it stands: its own words say nothing about what to change.
        said = (self.state.request or self.text) if page is not None else self.text
        request_words = self.state.request if page is not None or keep_request else self.text
        if intent.action == "refine" and intent.domain and standing and intent.domain != standing:
            # "And some creepy music to go with it" after films: a new request in the other catalogue,
            # keeping none of the films' genres or years.
            intent = replace(intent, action="recommend")
        if intent.action == "refine" and page is None:
            shown = self.uses.store.items_by_ids(self.state.shown)
            intent = relative_to_request(self.text, intent, self.state.intent)
            intent = relative_to_cards(self.text, intent, [shown[i] for i in self.state.shown if i in shown])
            said_years = intent.year_min is not None or intent.year_max is not None
            intent = intent.merged_into(self.state.intent)
            if _ANY_YEAR.search(self.text) and not said_years:
                intent = replace(intent, year_min=None, year_max=None)  # "forget the decade, any era is fine"
        rated = {r.item_id for r in self.uses.store.ratings_of(ME)}
        # Titles named shape this conversation only; saving them as ratings is the user's call.
        to_remember = tuple(i for i in liked if i not in rated) if page is None else ()
        session_liked = tuple(dict.fromkeys((*self.state.liked, *liked))) if intent.action == "refine" else liked
        excluded = tuple(dict.fromkeys((*self.state.excluded, *disliked)))
        count = page.count if page is not None else intent.count or self.uses.options.default_count
        query = expand_query(intent.query, intent.domain) if intent.query else None
        # With titles to go by, words like "darker" modify the taste rather than replace it.
        weight = MODIFIER_QUERY_WEIGHT if session_liked or self.uses.store.ratings_of(ME) else None
        request = RecommendRequest(k=max(count, self.uses.options.candidates), query=query,
                                   domain=intent.domain, year_min=intent.year_min, year_max=intent.year_max,
                                   genres=intent.genres, genres_any=intent.genres_any, genres_none=intent.genres_none,
                                   price_min=intent.price_min, price_max=intent.price_max, pace=intent.pace,
                                   energy=intent.energy, brightness=intent.brightness, tempo_min=intent.tempo_min,
                                   tempo_max=intent.tempo_max, creators=intent.creators, liked=session_liked,
                                   exclude=tuple(dict.fromkeys((*excluded, *(page.skip if page else ())))),
                                   query_weight=weight, seed_genres=self._seed_genres(intent, session_liked),
                                   query_label=replies.own_words(intent.query, said) or None,
                                   categories=intent.categories)
        with self.clock.stage("recommend"):
            try:
                candidates = self.uses.recommendations.recommend(request, cancel=self.cancel)
                if len(candidates) < count and request.seed_genres:
                    # "Like Toy Story" prefers Toy Story's genres, but never at the cost of enough cards.
                    candidates = self.uses.recommendations.recommend(replace(request, seed_genres=()),
                                                                       cancel=self.cancel)
                relaxed = False
                # Loosened, "next" would show what was not asked for: it says nothing more fits instead.
                for looser in _relaxations(request, self.uses.titles()) if not candidates and page is None else ():
                    # Nothing is all of that: the limits read from mood words go before the ones said outright,
                    # and the reply says none fitted everything.
                    candidates = self.uses.recommendations.recommend(looser, cancel=self.cancel)
                    relaxed = True
                    if candidates:
                        break
            except NothingToGoOnError:
                candidates, relaxed = [], False  # nothing rated anywhere and no words: the reply asks for titles
        candidates = _distinct(_covering(candidates, intent.aspects))
        self.candidates = tuple(c.item.id for c in candidates)
        if page is not None and not candidates:
            # Nothing more: the cards on screen stay, and so does the state.
            reply = Reply.plain(replies.nothing_more(ReplyFacts(intent, said=said, more=True)))
            self._stream(reply.text)
            return reply, []
        picked, reasons = self._rerank(intent, candidates, count, said)
        if reasons:
            # The model's sentence reaches the reply only when it holds nothing the cards do not.
            checked, notes = checked_sentences(reasons, ReplyFacts(intent, tuple(picked), said=said),
                                               titles=self.uses.titles())
            self.fallbacks.extend(f"re-ranking: {note}" for note in notes)
            reasons = list(checked)
        sentences = tuple(reasons) if reasons else ()
        self.state = replace(self.state.showing(tuple(r.item.id for r in picked), intent, request_words),
                             liked=session_liked, excluded=excluded, remember=to_remember, focus="")
        self.clock.mark("cards_ready")
        if self.on_cards is not None:
            self.on_cards(tuple(picked))
        named = self.uses.store.items_by_ids(to_remember)
        shortfall = None if page is not None else Shortfall(0, count) if relaxed and picked else \
            Shortfall(len(picked), count) if picked and len(picked) < count and _constrained(intent) else None
        # "Next" does not say again what the request's own turn said was missing.
        unknown = intent.unknown if page is None else ()
        facts = ReplyFacts(intent, tuple(picked), tuple(intent.liked), unknown, shortfall,
                           sentences, tuple(named[i].title for i in to_remember if i in named),
                           said=said, more=page is not None)
        reply = self._write(facts)
        if not to_remember and not rated and not liked and picked and page is None:
            reply = reply.followed_by(replies.ASK_FOR_TASTE)
            self._stream("\n" + replies.ASK_FOR_TASTE)
        return reply, picked

    def _write(self, facts: ReplyFacts) -> Reply:
        """The reply: the model's checked words when it writes them in time, the template's otherwise."""
        model = self._model() if self._model_writes_replies() else None
        with self.clock.stage("reply"):
            written = write_reply(model, facts, budget_s=self.uses.options.reply_budget_s, on_text=self._stream,
                                  cancel=self.cancel, titles=self.uses.titles(),
                                  variant_seed=variant_seed_of(self.text, len(self.state.shown)), with_cards=True)
        if written.note and model is not None:  # without a model the template is the plan, not a fallback
            self.fallbacks.append(written.note)
        return written.reply

    def _model_writes_replies(self) -> bool:
        return self._stage_on(self.uses.options.model_replies)

    def _stream(self, text: str) -> None:
        if self.on_text is not None:
            self.on_text(text)

    def _seed_genres(self, intent: Intent, liked: tuple[str, ...]) -> tuple[str, ...]:
        """The genres of the titles a request is "like", when it names no genre itself (films only)."""
        if not liked or intent.genres or intent.genres_any or intent.domain not in (None, "movie"):
            return ()
        items = self.uses.store.items_by_ids(liked)
        return tuple(dict.fromkeys(g for i in liked if i in items and items[i].domain == "movie"
                                   for g in items[i].genres if g.casefold() != "unknown"))

    def _rerank(self, intent: Intent, candidates: list[Recommendation], count: int,
                said: str) -> tuple[list[Recommendation], list[str] | None]:
        """The model's choice and order among the candidates when re-ranking is on; else the ranker's."""
        ranked = candidates[:count]
        if len(candidates) <= 1 or not self._rerank_on():
            return ranked, None
        model = self._model()
        if model is None:
            return ranked, None
        k = min(count, len(candidates))
        liked = list(intent.liked)
        with self.clock.stage("llm_rerank"):
            reply = self._ask(model, rerank_messages(said, liked, candidates, k),
                              schema=rerank_schema([c.item.id for c in candidates], k), max_tokens=60 * k,
                              what="re-ranking", budget_s=self.uses.options.rerank_budget_s)
        if reply is None:
            return ranked, None
        try:
            picks, repairs = picks_from_answer(reply.content, [c.item.id for c in candidates], k)
        except UnusableAnswer as exc:
            self.fallbacks.append(f"re-ranking: {exc}; the ranker's order was used")
            return ranked, None
        self.fallbacks.extend(f"re-ranking: {r}" for r in repairs)
        by_id = {c.item.id: c for c in candidates}
        chosen = [by_id[p.item_id] for p in picks]
        chosen += [c for c in candidates if c not in chosen][:k - len(chosen)]
        model_reasons = {p.item_id: p.reason for p in picks}
        # The model's sentence leads; the engine's own reasons stay on the card (Rule 8).
        return chosen, [model_reasons.get(c.item.id, "") for c in chosen]

    def _rerank_on(self) -> bool:
        # auto: only where re-ranking was measured to beat the ranker's order
        return self._stage_on(self.uses.options.rerank,
                              by_default=lambda model: reranks_by_default(model.backend, model.model_name))

    def _stage_on(self, setting: str, *,
                  by_default: Callable[[ChatModel], bool] = lambda model: model.backend == "ollama") -> bool:
        """on, off, or auto: a model stage runs by default only where by_default says (Ollama models unless
        told otherwise; README: measured)."""
        if setting in ("on", "off"):
            return setting == "on"
        model = self._model()
        return model is not None and by_default(model)

    def _chit_chat(self, intent: Intent, target: str) -> tuple[Reply, list[Recommendation]]:
        return Reply.plain(replies.GREETING), []

    def _explain(self, intent: Intent, target: str) -> tuple[Reply, list[Recommendation]]:
        if not target:
            return Reply.plain("Which one do you mean? Say its number on the cards or its title."), []
        rec = self._explained(target)
        return Reply.plain(replies.explanation_reply(rec)), [rec]

    def _explained(self, target: str) -> Recommendation:
        """The item scored for the standing request as a card of it would be: its breakdown and reasons."""
        standing = self.state.intent
        request = RecommendRequest(query=standing.query or None, liked=self.state.liked)
        with self.clock.stage("recommend"):
            rec = self.uses.recommendations.explain(request, target)
        self.candidates = (rec.item.id,)
        return rec

    def _rate(self, intent: Intent, target: str) -> tuple[Reply, list[Recommendation]]:
        if not target:
            return Reply.plain("Which one should I rate? Say its number on the cards or its title."), []
        if intent.stars is None:
            return Reply.plain("How many stars, from 1 to 5?"), []
        self.uses.ratings.rate(target, stars=intent.stars)
        title = self.uses.store.get_item(target).title
        # The rating counts at once: the standing request is answered again with it folded in.
        again, items = self._recommend(replace(self.state.intent, action="recommend"), (), (), "", keep_request=True)
        return again.led_by(replies.rating_reply(title, intent.stars)), items

    def _add_to_list(self, intent: Intent, target: str) -> tuple[Reply, list[Recommendation]]:
        if not target:
            return Reply.plain("Which one should I add? Say its number on the cards or its title."), []
        added = self.uses.lists.add(intent.list_name or DEFAULT_LIST, [target], create_missing=True)
        name = added.playlist.name
        self.state = replace(self.state, last_list=name)
        title = self.uses.store.get_item(target).title
        if not added.added:
            return Reply.plain(f"{title} is already in your {name} list."), []
        return Reply.plain(f"Added {title} to your {name} list."), []

    def _export(self, intent: Intent, target: str) -> tuple[Reply, list[Recommendation]]:
        lists = self.uses.lists.all()
        # "Export it as xspf", "that list as a csv": the list this conversation last added to.
        last = self._list_called(self.state.last_list) if self.state.last_list else ""
        name = self._list_called(intent.list_name) if intent.list_name else \
            last or (lists[0].name if len(lists) == 1 else "")
        if not name:
            known = ", ".join(p.name for p in lists)
            return Reply.plain(f"Which list should I export? Your lists: {known}." if known else
                               "You have no lists yet: say \u201cadd the first one to my Favourites list\u201d to "
                               "start one."), []
        view = self.uses.lists.show(name)
        fmt = intent.export_format or _default_format([e.item.domain for e in view.entries])
        path = _free_path(self.uses.export_dir / suggested_filename(name, fmt))
        self.uses.export_dir.mkdir(parents=True, exist_ok=True)
        result = self.uses.lists.export_result(name, fmt, path)
        count = f"{result.written} item" + ("" if result.written == 1 else "s")
        reply = f"Exported your {name} list ({count}) as {fmt.upper()} to {result.path}."
        if result.skipped:
            reply += f" {len(result.skipped)} left out: {result.skipped[0].reason}."
        return Reply.plain(reply), []

    def _list_called(self, said: str) -> str:
        """The existing list with this name, whatever its case; '' when there is none."""
        found = self.uses.lists.find(said)
        return found.name if found is not None else ""

    # -- browsing -------------------------------------------------------------------------------

    def _browse(self, sid: str, command: BrowseCommand) -> TurnResult:
        """A browsing command answered: a brief reply to say aloud, and what the window moves (TurnResult.browse)."""
        if command.kind != "stop":
            # As for any turn but a yes or no, a question not answered lapses; "stop" only silences the one asking.
            self.state = replace(self.state, remember=())
        answer = {"more": self._more, "back": self._back, "select": self._select, "preview": self._preview,
                  "open": self._open, "read": self._read, "stop": self._stop}[command.kind](command)
        return TurnResult(sid, answer.as_reply(), answer.items, answer.intent, self.backend, tuple(self.fallbacks),
                          candidates=self.candidates, browse=answer.browse)

    def _more(self, command: BrowseCommand) -> _Answer:
        """The next cards for the standing request, none shown before in this session."""
        standing = self.state.intent
        if not self.state.shown and not self.state.request:
            return _Answer("There is nothing to page through yet: tell me what you are in the mood for, "
                           "then say \u201cnext\u201d for more.")
        count = command.count or len(self.state.shown) or self.uses.options.default_count
        page = _Page(count, (*self.state.seen, *self.state.shown))
        reply, items = self._recommend(standing, self.state.liked, (), "", page=page)
        return _Answer(reply, tuple(items), self.state.intent, Browse("more"))

    def _back(self, command: BrowseCommand) -> _Answer:
        """The cards shown before the last ones, for the request they answered."""
        previous = self.state.back()
        if previous is None:
            reply = "These are the first ones." if self.state.shown else NO_CARDS
            return _Answer(reply, browse=Browse("back", page="discover"))
        self.state = previous
        items = self._cards_again(previous.shown)
        self.state = replace(previous, shown=tuple(r.item.id for r in items))
        if not items:
            return _Answer("Those cards are no longer in your library.", browse=Browse("back", page="discover"))
        self.clock.mark("cards_ready")
        if self.on_cards is not None:
            self.on_cards(items)
        facts = ReplyFacts(previous.intent, items, said=previous.request)
        again = Reply(headline=("Here are the ones before again:",), cards=replies.reply_cards(facts))
        return _Answer(again, items, previous.intent, Browse("back"))

    def _cards_again(self, ids: tuple[str, ...]) -> tuple[Recommendation, ...]:
        """Cards shown before, scored again for the request they answered (an item since removed is left out)."""
        found = []
        for item_id in ids:
            try:
                found.append(self._explained(item_id))
            except UnknownItemError:
                continue
        self.candidates = tuple(r.item.id for r in found)
        return tuple(found)

    def _select(self, command: BrowseCommand) -> _Answer:
        """The card said, selected as a click would: its explanation shows in the window."""
        item, problem = self._card_meant(command)
        if item is None:
            return _Answer(problem)
        self.state = replace(self.state, focus=item.id)
        return _Answer(f"{_place_of(item.id, self.state.shown).capitalize()}: {item.title}.",
                       browse=Browse("select", item_id=item.id))

    def _preview(self, command: BrowseCommand) -> _Answer:
        """A bit of the track said played, as its card's play button would; films and products have none."""
        item, problem = self._card_meant(command)
        if item is None:
            return _Answer(problem)
        self.state = replace(self.state, focus=item.id)
        if item.domain != "music":
            kind = "a film" if item.domain == "movie" else "a product"
            return _Answer(f"{item.title} is {kind}, so there is no preview to play.")
        if not _playable(item.source):
            return _Answer(f"I can't find the audio file of {item.title}, so there is nothing to play.")
        return _Answer(f"Playing a bit of {item.title}.", browse=Browse("preview", item_id=item.id))

    def _read(self, command: BrowseCommand) -> _Answer:
        """The reasons the card said (or the one talked about, else the first) is there, to say aloud."""
        item, problem = self._card_meant(command)
        if item is None:
            return _Answer(problem)
        rec = self._explained(item.id)
        self.state = replace(self.state, focus=item.id)
        return _Answer(replies.spoken_reasons(rec, self.state.request), (rec,), Intent(action="explain"),
                       Browse("read", item_id=item.id))

    def _open(self, command: BrowseCommand) -> _Answer:
        """Another page of the window brought forward."""
        if command.page == "settings":  # a dialog, not a page: it asks for the keyboard or the menu
            return _Answer("Settings open with Ctrl and comma. By voice I can open Discover, your lists or "
                           "your library.")
        said = {"lists": "Opening your lists.", "library": "Opening your library.", "discover": "Back to Discover."}
        return _Answer(said[command.page], browse=Browse("open", page=command.page))

    def _stop(self, command: BrowseCommand) -> _Answer:
        """Silence: the voice loop stops speaking and the window any preview; nothing else changes."""
        return _Answer("Stopped.", browse=Browse("stop"))

    def _card_meant(self, command: BrowseCommand) -> tuple[Item | None, str]:
        """The item a command is about and '', or None and what to say: the card said by its place, else the one
        talked about, else the first."""
        shown = self.state.shown
        if command.card:
            if not shown:
                return None, NO_CARDS
            place = len(shown) if command.card == -1 else command.card
            if not 1 <= place <= len(shown):
                many = "one card" if len(shown) == 1 else f"{len(shown)} cards"
                return None, f"There {'is' if len(shown) == 1 else 'are'} only {many} on screen."
            item_id = shown[place - 1]
        elif self.state.focus:
            item_id = self.state.focus
        elif shown:
            item_id = shown[0]
        else:
            return None, NO_CARDS
        found = self.uses.store.items_by_ids([item_id])
        if item_id not in found:
            return None, "That card is no longer in your library."
        return found[item_id], ""


@dataclass(frozen=True)
class _Answer:
    """A browsing command's answer: what to say, the cards (for more, back and read), and what the window does."""

    reply: Reply | str  # a brief answer's text, or the reply of more and back with their card lines
    items: tuple[Recommendation, ...] = ()
    intent: Intent = field(default_factory=lambda: Intent(action="chit_chat"))  # no request: the cards stay
    browse: Browse | None = None

    def as_reply(self) -> Reply:
        """The answer's reply in parts."""
        return self.reply if isinstance(self.reply, Reply) else Reply.plain(self.reply)


_PLACE_WORDS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")


def _place_of(item_id: str, shown: tuple[str, ...]) -> str:
    """'the second one' for the second card; 'that one' for an item not on a card."""
    if item_id not in shown:
        return "that one"
    place = shown.index(item_id)
    return f"the {_PLACE_WORDS[place]} one" if place < len(_PLACE_WORDS) else f"number {place + 1}"


def _playable(source: str) -> bool:
    """Whether a track's source is something a player can open: a web address or an audio file that exists."""
    if source.startswith(("http://", "https://")):
        return True
    try:
        path = Path(source)
        return bool(source) and path.suffix.lower() in AUDIO_EXTENSIONS and path.is_file()
    except (OSError, ValueError):
        return False


_ALSO = re.compile(r"^\W*(?:and|also|plus|oh and)\b(?:(?!\b(?:like|similar|but|not)\b).){1,60}?"
                   r"(?:\b(?:too|as well|also)\b)?\W*$", re.I)
_ANY_YEAR = re.compile(r"\b(?:forget|drop|ignore|never ?mind|scrap|lose)\s+(?:the\s+|about\s+the\s+)?"
                       r"(?:decade|years?|era|dates?)\b|\bany (?:era|decade|year)\b", re.I)
_SIMILAR = re.compile(r"\b(like|similar|vibes?|style|reminds|along the lines)\b", re.I)
_THAT_ONE = re.compile(r"\b(that|this|it)( one)?\b", re.I)
_YES = re.compile(r"^\W*(yes|yeah|yep|yup|sure|please do|please|ok|okay|do it|go ahead|absolutely|of course|"
                  r"definitely|remember (it|them|that)|save (it|them))\b", re.I)
_NO = re.compile(r"^\W*(no|nope|nah|don'?t|do not|no thanks|not now|never mind)\b(?!.*\b(like|want|more|show|"
                 r"something|only|but)\b)", re.I)


def _relaxations(request: RecommendRequest, titles: TitleIndex) -> list[RecommendRequest]:
    """Looser forms of a request that nothing fits: without the sound words, then a shop's tags widened to
    their departments ("yoga" under 30: the fitness things under 30), then without the mood's genres, then
    with genres that no item has all of taken as either-or."""
    steps = []
    if request.pace and (request.energy or request.brightness):
        steps.append(replace(request, energy=(), brightness=()))  # "slower": the pace said, at any energy
    if request.pace or request.energy or request.brightness:
        request = replace(request, pace=(), energy=(), brightness=())
        steps.append(request)
    departments = titles.categories_with(request.genres_any) if request.domain == "product" else ()
    if departments and not request.categories:
        steps.append(replace(request, genres_any=(), seed_genres=(), categories=departments))
    if request.genres_any or request.seed_genres:
        request = replace(request, genres_any=(), seed_genres=())
        steps.append(request)
    if len(request.genres) > 1:
        # No item is all of them ("explosions and a love story" in a catalogue with no action romance):
        # any of them, and the reply says none fitted everything.
        steps.append(replace(request, genres=(), genres_any=request.genres))
    return steps


def _covering(candidates: list[Recommendation], aspects: tuple[tuple[str, ...], ...]) -> list[Recommendation]:
    """The candidates that have something of every aspect asked for ("coffee" and "grinder"), when any do.

    Each aspect alone was a filter (any of its terms); an item with all of them is what was meant, so
    "wireless headphones" shows only wireless ones even when fewer than asked (the reply says only
    that many fit), but a request whose aspects no item joins ("headphones for the gym") keeps the
    wider choice.
    """
    if len(aspects) < 2:
        return candidates
    wanted = [{term.casefold() for term in aspect} for aspect in aspects]
    full = [c for c in candidates if all(group & {g.casefold() for g in c.item.genres} for group in wanted)]
    return full or candidates


def _only_unknown_names(text: str, intent: Intent, liked: tuple[str, ...]) -> bool:
    """Whether a new request names only titles the catalogue lacks, typed as names, with nothing else to go by
    ("anything like Inception?" asks for guesses; "do you have yoga mats" is no name)."""
    return intent.action == "recommend" and bool(intent.unknown) and not (
        liked or intent.query or _constrained(intent) or intent.categories or intent.aspects) \
        and not _SIMILAR.search(text) and all(name in text for name in intent.unknown)


def _distinct(candidates: list[Recommendation]) -> list[Recommendation]:
    """One card per work: catalogues hold the same film or track twice (MovieLens lists some films under two
    ids; a music folder may hold one track in two formats), and two equal cards look like a fault."""
    seen: set[tuple[str, int | None, tuple[str, ...]]] = set()
    kept = []
    for candidate in candidates:
        item = candidate.item
        key = (normalise(item.title), item.year, tuple(sorted(normalise(c) for c in item.creators)))
        if key not in seen:
            seen.add(key)
            kept.append(candidate)
    return kept


def _constrained(intent: Intent) -> bool:
    """Whether the request limits what may be shown (so fewer cards than asked means fewer exist)."""
    return bool(intent.genres or intent.genres_any or intent.year_min or intent.year_max or intent.domain
                or intent.price_min is not None or intent.price_max is not None or intent.pace or intent.energy
                or intent.brightness or intent.genres_none or intent.tempo_min or intent.tempo_max or intent.creators)


def _default_format(domains: list[str]) -> str:
    """M3U8 for a playlist of tracks, Letterboxd's CSV for films, JSON for anything else."""
    kinds = set(domains)
    if kinds == {"music"}:
        return "m3u8"
    return "csv" if kinds == {"movie"} else "json"


def _free_path(path: Path) -> Path:
    """path, or 'name (2).ext' and so on when it exists: an export never replaces a file unasked."""
    candidate, number = path, 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem} ({number}){path.suffix}")
        number += 1
    return candidate
