"""One reading and one format of a product's price, shared by the CLI, the terminal session and the cards."""

from __future__ import annotations

import pytest

from app.prices import currency_of, format_price, price_of, price_suffix, price_text


@pytest.mark.parametrize(("attributes", "expected"), [
    ({"price": "65.00"}, 65.0), ({"price": "0"}, 0.0), ({"price": " 12.5 "}, 12.5), ({"price": 7}, 7.0),
    ({}, None), ({"price": ""}, None), ({"price": "cheap"}, None), ({"price": "-1"}, None),
    ({"price": "nan"}, None), ({"price": "inf"}, None), ({"price": True}, None), ({"album": "Blue"}, None),
])
def test_price_of_reads_only_a_finite_non_negative_number(attributes: dict[str, object],
                                                          expected: float | None) -> None:
    assert price_of(attributes) == expected


def test_a_price_is_a_plain_two_decimal_number_unless_the_item_names_its_currency() -> None:
    assert format_price(65) == "65.00" and format_price(1299.5) == "1299.50" and format_price(0.004) == "0.00"
    assert price_text({"price": "65.00"}) == "65.00"
    assert price_text({"price": "65", "currency": "eur"}) == "65.00 EUR"
    assert currency_of({"currency": "euros"}) is None and price_text({"price": "65", "currency": "€"}) == "65.00"
    assert price_text({"category": "kitchen"}) is None
    assert price_suffix({"price": "24.5"}) == " · 24.50" and price_suffix({}) == ""
