"""A turn's reply in parts: what leads, what was found, one line per card, what follows.

The turn builds one ``Reply``; each front end renders what it needs from it: the text a chat shows
(``Reply.text``, whose card lines carry a product's price, so the CLI and the shell print it as it is),
the sentence the model wrote about a card (``Reply.model_sentence_of``), and the spoken reply
(app/services/voice.py), which says the prose and the first titles but no card line: it says them
where the headline leads into the cards (``Reply.leads_into_cards``), after what was found
(``Reply.found``) and the titles the cards are close to (``Reply.close_to``).
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
    # The titles the headline ends on, "Fargo and Heat" in "Here are 5 movies, close to Fargo and Heat:"; "" when
    # it names none. Speech says them in a sentence of their own.
    close_to: str = ""

    @staticmethod
    def plain(text: str) -> Reply:
        """A reply that is one piece of text and no cards ("Added Heat to your Favourites list.")."""
        return Reply(headline=(text,))

    @property
    def prose(self) -> str:
        """The opening sentences and the headline as the one line they are shown on."""
        return " ".join((*self.opening, *self.headline))

    @property
    def leads_into_cards(self) -> bool:
        """Whether the headline's last sentence leads into the card lines ("Here are 5 crime movies:")."""
        return bool(self.headline) and self.headline[-1].strip().endswith(":")

    @property
    def found(self) -> str:
        """The prose without the colon that leads into the cards and the titles they are close to.

        'Here are 5 movies, close to Fargo and Heat:' -> 'Here are 5 movies'; the opening sentences stay.
        """
        prose = self.prose.strip().removesuffix(":")
        return prose.removesuffix(f", close to {self.close_to}") if self.close_to else prose

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
