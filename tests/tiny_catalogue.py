"""A tiny catalogue with a known right answer: crime fans and cartoon fans rate in two blocks."""

from __future__ import annotations

from app.domain.items import Item, User
from app.store.sqlite import CatalogueImport

CRIME = [("fargo", "Fargo", 1996), ("pulp-fiction", "Pulp Fiction", 1994), ("heat", "Heat", 1995),
         ("se7en", "Se7en", 1995), ("casino", "Casino", 1995), ("the-departed", "The Departed", 2006)]
CARTOON = [("toy-story", "Toy Story", 1995), ("aladdin", "Aladdin", 1992), ("the-lion-king", "The Lion King", 1994),
           ("mulan", "Mulan", 1998), ("shrek", "Shrek", 2001), ("up", "Up", 2009)]
UNRATED = ("night-train", "Night Train to Nowhere", 1999)  # nobody rated it: only text can find it


def item_id(slug: str) -> str:
    return f"movie:{slug}"


def tiny_catalogue() -> CatalogueImport:
    """Twelve rated films in two taste blocks, one unrated noir, and a product."""
    items = [Item(item_id(s), "movie", t, year=y, genres=("Crime", "Thriller"),
                  description="a dark crime thriller with gangsters and detectives") for s, t, y in CRIME]
    items += [Item(item_id(s), "movie", t, year=y, genres=("Animation", "Children's"),
                   description="an animated family film for children with songs") for s, t, y in CARTOON]
    items.append(Item(item_id(UNRATED[0]), "movie", UNRATED[1], year=UNRATED[2], genres=("Crime", "Noir"),
                      description="a bleak noir about a detective on a night train, rain and murder"))
    items.append(Item("product:grinder", "product", "Burr Coffee Grinder", genres=("coffee",),
                      description="a quiet burr grinder for espresso"))
    users, ratings = [], []
    for u in range(10):
        users.append(User(f"ml:{u}"))
        block, other = (CRIME, CARTOON) if u % 2 == 0 else (CARTOON, CRIME)
        # each user rates most of their block 5 and one film of the other block 1;
        # user u skips film u % 6 of their block so there is something left to recommend
        for j, (slug, _, _) in enumerate(block):
            if j != u % 6:
                ratings.append((f"ml:{u}", item_id(slug), 5.0 - (j % 2), 1000.0 + j))
        ratings.append((f"ml:{u}", item_id(other[u % 6][0]), 1.0, 2000.0))
    return CatalogueImport("movielens", "movielens", "tiny", items, users, ratings)
