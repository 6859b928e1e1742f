"""A turn's reply in parts: what leads, what was found, one line per card, what follows.

The turn builds one ``Reply``; each front end renders what it needs from it: the text a chat shows
(``Reply.text``), the sentence the model wrote about a card (``Reply.model_sentence_of``), and the
spoken reply (app/services/voice.py), which says the prose and the first titles but no card line.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

ReplySource = Literal["template", "model"]


@dataclass(frozen=True)
class CardLine:
    """One card's line of the reply: '2. Heat (1995): because you rated Fargo 5★'."""

    item_id: str
    text: str
    model_sentence: str = ""  # the re-ranking model's checked sentence about this card ("" when none)


@dataclass(frozen=True)
class Reply:
    """What a turn answers, in the order it is shown: lead lines, one line of prose, the cards, the follow-up.

    The prose line is the opening sentences every reply starts with (a title the library lacks, how many
    fitted) and then the headline: what was found ("Here are 3 crime movies:", in the template's words or
    the model's sentences, see source), or the whole answer of a turn without cards.
    """

    opening: tuple[str, ...] = ()
    headline: tuple[str, ...] = ()
    cards: tuple[CardLine, ...] = ()
    follow_up: tuple[str, ...] = ()  # lines after the cards: the question whether to remember, the ask for titles
    lead: tuple[str, ...] = ()  # lines before the prose: "Noted: Fargo, 5★." when a rating is answered again
    source: ReplySource = "template"  # who wrote the headline: the template, or the model (checked)

    @staticmethod
    def plain(text: str) -> Reply:
        """A reply that is one piece of text and no cards ("Added Heat to your Favourites list.")."""
        return Reply(headline=(text,))

    @property
    def prose(self) -> str:
        """The opening sentences and the headline as the one line they are shown on."""
        return " ".join((*self.opening, *self.headline))

    @property
    def text(self) -> str:
        """The reply as a chat shows it: one line each for the lead, the prose, every card and the follow-up."""
        prose = self.prose
        return "\n".join((*self.lead, *((prose,) if prose else ()), *(card.text for card in self.cards),
                          *self.follow_up))

    def model_sentence_of(self, item_id: str) -> str | None:
        """The model's sentence about the card showing item_id ("" when it wrote none); None when no card does."""
        return next((card.model_sentence for card in self.cards if card.item_id == item_id), None)

    def led_by(self, line: str) -> Reply:
        """The same reply with a line before it ("Noted: Fargo, 5★.")."""
        return replace(self, lead=(line, *self.lead))

    def followed_by(self, line: str) -> Reply:
        """The same reply with a line after it (the ask for titles the user loves)."""
        return replace(self, follow_up=(*self.follow_up, line))
