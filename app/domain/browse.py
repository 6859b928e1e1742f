"""What a browsing command asks the window to do: more cards, back, select, preview, open a page, read, stop.

A command ("next", "the second one: why?", "play a bit of the third", "open my lists", "stop") is answered
by the same turn pipeline as a request; the turn's result carries one of these, and the window (or the
voice loop) moves its selection, page and preview as a click would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

BrowseKind = Literal["more", "back", "select", "preview", "open", "read", "stop"]
BROWSE_KINDS: tuple[str, ...] = get_args(BrowseKind)
Page = Literal["discover", "lists", "library"]
PAGES: tuple[str, ...] = get_args(Page)


@dataclass(frozen=True)
class Browse:
    """One move of the window: what kind, on which card (item id) or which page."""

    kind: BrowseKind
    item_id: str = ""  # select, preview, read: the card it is about
    page: str = ""  # open (and back): one of PAGES
