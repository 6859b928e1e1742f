"""Reading model answers: what small models wrap a free-text reply in comes off; the words stay as written."""

from __future__ import annotations

import pytest

from app.llm.parse import UnusableAnswer, intent_from_answer, picks_from_answer, reply_text


@pytest.mark.parametrize(("raw", "clean"), [
    ("Assistant: Heat is great.", "Heat is great."),
    ("Reply:  Heat   is great.", "Heat is great."),
    ('"Heat is great."', "Heat is great."),
    ("\u201cHeat is great.\u201d", "Heat is great."),
    ("Heat is great.<|im_end|>", "Heat is great."),
    ('"Heat is great', "Heat is great"),
    ('I loved \u201cHeat\u201d and "Casino".', 'I loved \u201cHeat\u201d and "Casino".'),
    ("  ", ""),
])
def test_reply_text_takes_off_labels_quotes_and_template_tokens(raw: str, clean: str) -> None:
    assert reply_text(raw) == clean


def test_picks_keep_only_candidates_and_say_what_was_repaired() -> None:
    answer = '{"picks": [{"id": "a", "reason": "x"}, {"id": "zzz", "reason": "y"}, {"id": "a", "reason": "z"}]}'
    picks, repairs = picks_from_answer(answer, ["a", "b"], 2)
    assert [p.item_id for p in picks] == ["a"] and len(repairs) == 3
    with pytest.raises(UnusableAnswer):
        picks_from_answer('{"picks": [{"id": "zzz"}]}', ["a"], 1)


def test_the_intent_form_is_checked_field_by_field() -> None:
    intent = intent_from_answer('{"action": "recommend", "domain": "film", "about": " dark  ", "liked": ["Heat", 3]}')
    assert intent.action == "recommend" and intent.domain is None and intent.query == "dark"
    assert intent.liked == ("Heat",)
    with pytest.raises(UnusableAnswer):
        intent_from_answer('{"action": "dance"}')
