from collections.abc import Iterator

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
