import re
from collections.abc import Iterator
from pathlib import Path

from app.bootstrap import Engine
from app.domain.items import ME
from app.shell import Shell


def session(engine: Engine, *lines: str) -> list[str]:
    said: list[str] = []
    feed: Iterator[str] = iter(lines)

    def read(prompt: str) -> str:
        try:
            return next(feed)
        except StopIteration:
            raise EOFError from None

    Shell(engine, read, said.append).run()
    return said


def test_asking_rating_and_asking_again_changes_the_cards(engine: Engine) -> None:
    said = session(engine, "domain movie", "an animated family film for children with songs", "rate 1 5",
                   "rate 2 5", "more")
    assert len(engine.store.ratings_of(ME)) == 2
    after_rating = said[max(i for i, line in enumerate(said) if line.startswith("  rated ")):]
    assert any(line.startswith("  1. ") for line in after_rating)
    assert any("because you rated" in line for line in after_rating)  # 'more' uses the new ratings


def test_bad_commands_get_a_message_and_the_session_goes_on(engine: Engine) -> None:
    said = session(engine, "rate 1 5", "more", "rate 9 5", "rate 1 seven", "rate 1 9", "domain books", "similar x",
                   "quit", "never read")
    assert "  ask for something first, then use the card numbers" in said
    assert "  give a card number from 1 to 5" in said
    assert "  'seven' is not a number of stars (1-5)" in said
    assert any("stars must be between 1 and 5, got 9" in line for line in said)
    assert any("domain is one of movie, music, product or all" in line for line in said)
    assert engine.store.ratings_of(ME) == []


def test_the_shell_holds_a_conversation_across_lines(engine: Engine) -> None:
    said = session(engine, "I loved Fargo, three more like it", "why the second one?", "rate 2 4")
    text = "\n".join(said)
    assert "close to Fargo" in text and "because you rated Fargo" in text
    assert len([r for r in engine.store.ratings_of(ME) if r.stars == 4]) == 1  # card 2 of the first answer


def test_product_lines_show_their_price_and_films_none(engine: Engine, tmp_path: Path) -> None:
    shop = tmp_path / "shop.csv"
    shop.write_text("title,description,category,price,tags\n"
                    "Gooseneck Kettle,a pour-over kettle for coffee,kitchen,65,coffee;pour-over\n"
                    "Ceramic Dripper,a ceramic dripper for pour-over coffee,kitchen,24.5,coffee;pour-over\n",
                    encoding="utf-8")
    engine.catalogue.import_products(shop)
    said = "\n".join(session(engine, "I want to buy something for pour-over coffee", "similar 1")).split("\n")
    turn = said[said.index(next(line for line in said if line.startswith("  1. "))):]
    # the turn's reply: "  1. Gooseneck Kettle · 65.00: matches ..." and the unpriced grinder as before
    assert any(re.fullmatch(r"  \d+\. Ceramic Dripper · 24\.50: .+", line) for line in turn), said
    assert any(re.fullmatch(r"  \d+\. Burr Coffee Grinder: .+", line) for line in turn), said
    # the reply as the turn wrote it, indented, each price once, after its title on the card's own line
    start = said.index("  Only 3 coffee products for \u201ccoffee\u201d fit, so here they are.")
    assert said[start + 1:start + 5] == ["  1. Gooseneck Kettle · 65.00: fits \u201ccoffee\u201d",
                                         "  2. Ceramic Dripper · 24.50: the lowest price here",
                                         "  3. Burr Coffee Grinder: another coffee choice",
                                         "  Tell me two or three titles you love and the next picks will be about you."]
    # 'similar N' lists cards of its own
    priced = re.compile(r"  \d+\. (Gooseneck Kettle · 65\.00|Ceramic Dripper · 24\.50)")
    assert any(priced.fullmatch(line) for line in said), said
    films = "\n".join(session(engine, "domain movie", "more")).split("\n")
    assert any(line.startswith("  1. ") for line in films) and not any("·" in line for line in films)


def test_rate_takes_a_title_as_well_as_a_card_number(engine: Engine) -> None:
    said = session(engine, "rate Pulp Fiction 5", "rate Paddington 2 4")
    assert "  rated Pulp Fiction 5★" in said
    assert any("nothing in your library is called 'Paddington 2'" in line for line in said)
    assert {r.item_id: r.stars for r in engine.store.ratings_of(ME)} == {"movie:pulp-fiction": 5.0}
