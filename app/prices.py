"""A product's price as the CLI, the shell, the cards and a reply's card lines show it: one reading, one format.

Products keep their price in `Item.attributes["price"]` as text ("65.00"). No catalogue records a
currency today, so a price prints as a plain number; an item whose attributes name one (an ISO 4217
code under "currency") gets it appended ("65.00 EUR"). Standard library only, so the CLI can use it
without Qt and the cards without the CLI.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

_CURRENCY = re.compile(r"[A-Z]{3}")


def price_of(attributes: Mapping[str, object]) -> float | None:
    """The price as a number, or None when there is none or it is not a finite, non-negative number."""
    raw = attributes.get("price")
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def currency_of(attributes: Mapping[str, object]) -> str | None:
    """The catalogue's currency when the item records one (a three-letter code such as EUR), else None."""
    raw = attributes.get("currency")
    code = raw.strip().upper() if isinstance(raw, str) else ""
    return code if _CURRENCY.fullmatch(code) else None


def format_price(value: float, currency: str | None = None) -> str:
    """65 -> '65.00'; with a currency, '65.00 EUR'."""
    text = f"{value:.2f}"
    return f"{text} {currency}" if currency else text


def price_text(attributes: Mapping[str, object]) -> str | None:
    """The price as shown to people ('65.00', or '65.00 EUR' when the currency is known), or None."""
    value = price_of(attributes)
    return None if value is None else format_price(value, currency_of(attributes))


def price_suffix(attributes: Mapping[str, object]) -> str:
    """What follows a priced item's title (and year) on a line of text: ' · 65.00'; '' without a price."""
    text = price_text(attributes)
    return f" · {text}" if text else ""
