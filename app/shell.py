"""A plain-text session for the terminal: ask, see cards with reasons, rate, ask again.

It stands in for the desktop window until that exists, on the same services.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from app.bootstrap import Engine
from app.domain.errors import ChatRecError
from app.domain.items import DOMAINS, ME
from app.domain.recommendation import Recommendation
from app.prices import price_suffix
from app.services.ratings import stars_from
from app.services.recommendations import RecommendRequest
from app.services.titles import item_named

HELP = """Say what you are in the mood for ("I loved Fargo, something darker from the 90s"),
follow up ("only from the 80s", "not that one", "why the second one?", "add it to my Crime list"),
or use a command:
  rate N STARS   rate card N (1-5 stars); the next answer changes at once
  rate T STARS   rate the item called T ("rate Fargo 5", "rate Heat (1995) 4")
  similar N      items like card N
  more           recommendations from your ratings alone
  domain D       only movie, music or product (domain all: everything)
  help, quit"""


class Shell:
    """Reads lines, answers with numbered cards; input and output are injected for tests."""

    def __init__(self, engine: Engine, read: Callable[[str], str] = input,
                 write: Callable[[str], None] = print) -> None:
        self._engine = engine
        self._read = read
        self._write = write
        self._cards: list[Recommendation] = []
        self._domain: str | None = None
        self._session: str | None = None  # the conversation this terminal session is having

    def run(self) -> None:
        """Greet, then answer each line until quit or end of input."""
        counts = self._engine.store.domain_counts()
        self._write(f"Chat-Rec: {sum(counts.values())} items ({', '.join(f'{n} {d}' for d, n in counts.items())}).")
        self._write(HELP)
        while True:
            try:
                line = self._read("> ").strip()
            except (EOFError, KeyboardInterrupt):
                self._write("")
                return
            if line in {"quit", "exit", "q"}:
                return
            if line:
                try:
                    self.answer(line)
                except ChatRecError as exc:
                    self._write(f"  {exc}")

    def answer(self, line: str) -> None:
        """Do what one line asks."""
        command, _, rest = line.partition(" ")
        if command == "help":
            self._write(HELP)
        elif command == "rate":
            self._rate(rest.split())
        elif command == "similar":
            self._show(self._engine.recommendations.similar(self._card(rest).item.id, k=5))
        elif command == "more":
            self._show(self._recommend(None))
        elif command == "domain":
            choice = rest.strip()
            if choice not in (*DOMAINS, "all"):
                raise ChatRecError(f"domain is one of {', '.join(DOMAINS)} or all")
            self._domain = None if choice == "all" else choice
            self._write(f"  showing {choice}")
        else:
            self._turn(line)

    def _turn(self, text: str) -> None:
        """One conversational turn: the reply, and its cards become the numbered cards."""
        result = self._engine.conversation.turn(text, self._session)
        self._session = result.session_id
        # Each card's line carries its product's price already (app/services/replies.py): the reply is shown as is.
        self._write("  " + result.reply.replace("\n", "\n  "))
        for note in result.fallbacks:
            self._write(f"  ({note})")
        if result.items and result.intent.action in ("recommend", "refine", "rate"):
            self._cards = list(result.items)

    def _recommend(self, query: str | None) -> list[Recommendation]:
        return self._engine.recommendations.recommend(RecommendRequest(user=ME, k=5, query=query,
                                                                       domain=self._domain))

    def _card(self, text: str) -> Recommendation:
        if not text.strip().isdigit() or not 1 <= int(text) <= len(self._cards):
            raise ChatRecError(f"give a card number from 1 to {len(self._cards)}" if self._cards
                               else "ask for something first, then use the card numbers")
        return self._cards[int(text) - 1]

    def _rate(self, words: Sequence[str]) -> None:
        if len(words) < 2:
            raise ChatRecError("say: rate N STARS or rate TITLE STARS, for example rate 2 5 or rate Fargo 5")
        which, stars = " ".join(words[:-1]), stars_from(words[-1])
        if which.isdigit():
            item_id, title = self._card(which).item.id, self._card(which).item.title
        else:  # a title: "rate Fargo 5", "rate Heat (1995) 4"
            item_id = item_named(which, self._engine.conversation.titles(),
                                 lambda item: bool(self._engine.store.items_by_ids([item])))
            title = self._engine.store.get_item(item_id).title
        self._engine.ratings.rate(item_id, stars=stars)
        self._write(f"  rated {title} {stars:g}★")

    def _show(self, cards: list[Recommendation]) -> None:
        self._cards = cards
        if not cards:
            self._write("  nothing matches; try other words or 'domain all'")
        for number, card in enumerate(cards, start=1):
            year = f" ({card.item.year})" if card.item.year else ""
            stars = f"  ~{card.predicted_stars:.1f}★" if card.predicted_stars is not None else ""
            self._write(f"  {number}. {card.item.title}{year}{price_suffix(card.item.attributes)}{stars}")
            for reason in card.reasons[:3]:
                self._write(f"       {reason}")
