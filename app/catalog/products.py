"""Product catalogues (CSV, TSV or JSON) and shoppers' ratings of them: pure readers, no database."""

from __future__ import annotations

import bisect
import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from app.catalog.tabular import (
    json_kind,
    parse_float,
    parse_optional_year,
    read_delimited,
    read_utf8,
    refuse_nul,
    required,
)
from app.domain.errors import InputError, InvalidRatingError
from app.domain.items import Item, Rating, validate_stars
from app.paths import resources_dir

PREFIX = "product:"
_DELIMITERS = {".csv": ",", ".tsv": "\t"}
_TAG_SEPARATORS = re.compile(r"[;|]")  # commas would clash with the CSV delimiter
_RAW_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")
_SLUG_MAX = 60
_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_TEXT_FIELDS = ("id", "title", "description", "category", "price", "brand", "year")
_REQUIRED_COLUMNS = ("title", "category", "price")
_RATING_COLUMNS = ("user", "item", "stars")
_MAX_TIMESTAMP = 4e9  # the year 2096: larger values are milliseconds, not Unix seconds


@dataclass(frozen=True)
class _Where:
    """The line of each field of one record: a CSV row is one line, a JSON object may span many."""

    line: int
    fields: dict[str, int] = field(default_factory=dict)

    def of(self, name: str) -> int:
        """The line holding field `name`, or the record's first line when the field is absent."""
        return self.fields.get(name, self.line)


def read_products(path: Path) -> list[Item]:
    """Read every product of a .csv, .tsv or .json catalogue, or raise an InputError naming where."""
    suffix = path.suffix.lower()
    if suffix != ".json" and suffix not in _DELIMITERS:
        raise InputError(f"unknown file type '{path.suffix or '(no extension)'}': "
                         "a product catalogue must be a .csv, .tsv or .json file", file=str(path))
    builder = _CatalogueBuilder(path)
    if suffix == ".json":
        text = read_utf8(path)
        if not text.strip():
            raise InputError("the file is empty; expected a JSON array of products", file=str(path), line=1)
        for row, tags, where in _json_records(text, path):
            builder.add(row, tags, where)
    else:
        for line, row in read_delimited(path, _DELIMITERS[suffix], _REQUIRED_COLUMNS):
            builder.add(row, _split_tags(row.get("tags") or ""), _Where(line))
    if not builder.items:
        raise InputError("holds no products", file=str(path), line=1)
    return builder.items


def read_product_ratings(path: Path, known_items: set[str]) -> list[Rating]:
    """Read a user,item,stars[,timestamp] CSV about known product ids, or raise an InputError naming where."""
    ratings: list[Rating] = []
    for line, row in read_delimited(path, columns=_RATING_COLUMNS):
        user = required(row, "user", path, line)
        raw_item = required(row, "item", path, line)
        item = raw_item if raw_item.startswith(PREFIX) else PREFIX + raw_item
        if item not in known_items:
            raise InputError(f"unknown item '{raw_item}': it is not in the product catalogue",
                             file=str(path), line=line, field="item")
        stars = parse_float(row, "stars", path, line)
        try:
            validate_stars(stars)
        except InvalidRatingError as exc:
            raise InputError(str(exc), file=str(path), line=line, field="stars") from None
        timestamp = 0.0  # unknown time: the column is optional
        if (row.get("timestamp") or "").strip():
            timestamp = parse_float(row, "timestamp", path, line, low=0, high=_MAX_TIMESTAMP)
        ratings.append(Rating(user_id=user, item_id=item, stars=stars, timestamp=timestamp))
    return ratings


def sample_catalogue_paths() -> tuple[Path, Path]:
    """Where the shipped sample lives: (products.json, product_ratings.csv)."""
    # resources_dir() is the one place that knows a PyInstaller build unpacks resources under
    # sys._MEIPASS while a source checkout keeps them at the repository root.
    folder = resources_dir() / "samples"
    return folder / "products.json", folder / "product_ratings.csv"


def slugify(title: str) -> str:
    """A stable ASCII id made from a title: 'Café Crème 1 L' -> 'cafe-creme-1-l'."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    slug = _SLUG_JUNK.sub("-", ascii_text.lower()).strip("-")[:_SLUG_MAX].rstrip("-")
    if slug:
        return slug
    # A title with no Latin letters at all (Greek, CJK...) still needs an id that never changes.
    return "p-" + hashlib.sha1(title.encode("utf-8"), usedforsecurity=False).hexdigest()[:10]


class _CatalogueBuilder:
    """Turns validated records into Items and remembers where each id was first seen."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[Item] = []
        self._seen: dict[str, int] = {}  # item id -> line that defined it

    def add(self, row: dict[str, str], tags: list[str], where: _Where) -> None:
        """Validate one record and append its Item, or raise an InputError naming the field."""
        path = self.path
        title = required(row, "title", path, where.of("title"))
        category = required(row, "category", path, where.of("category"))
        price = _price(row, path, where.of("price"))
        year = parse_optional_year(row, "year", path, where.of("year"))
        item_id, id_field = self._new_id(row, title, where)
        brand = (row.get("brand") or "").strip()
        self.items.append(Item(
            id=item_id, domain="product", title=title,
            creators=(brand,) if brand else (), year=year,
            genres=tuple(dict.fromkeys([category, *tags])),  # a tag repeating the category adds nothing
            description=(row.get("description") or "").strip(), source=str(path),
            attributes={"price": f"{price:.2f}", "category": category}))
        self._seen[item_id] = where.of(id_field)

    def _new_id(self, row: dict[str, str], title: str, where: _Where) -> tuple[str, str]:
        """The record's id and the field it came from; an error if it is malformed or taken."""
        raw = (row.get("id") or "").strip().removeprefix(PREFIX)
        if raw:
            if not _RAW_ID.fullmatch(raw):
                raise InputError(f"'{raw}' is not a usable id: use letters, digits, '.', '_' and '-', "
                                 "starting with a letter or digit",
                                 file=str(self.path), line=where.of("id"), field="id")
            item_id, id_field = PREFIX + raw, "id"
            reason = f"duplicate id '{raw}'"
        else:
            item_id, id_field = PREFIX + slugify(title), "title"
            reason = f"the title makes the id '{item_id}'"
        first = self._seen.get(item_id)
        if first is not None:
            hint = "" if id_field == "id" else "; give one of them an explicit id"
            raise InputError(f"{reason}, already used on line {first}{hint}",
                             file=str(self.path), line=where.of(id_field), field=id_field)
        return item_id, id_field


def _price(row: dict[str, str], path: Path, line: int) -> float:
    """A finite, non-negative price."""
    value = parse_float(row, "price", path, line)
    if not math.isfinite(value):
        raise InputError(f"'{row['price'].strip()}' is not a finite number", file=str(path), line=line,
                         field="price")
    if value < 0:
        raise InputError(f"{value:g} is negative; a price must be zero or more", file=str(path), line=line,
                         field="price")
    return value


def _split_tags(text: str) -> list[str]:
    """Tags from 'a; b|c'."""
    return _clean_tags(_TAG_SEPARATORS.split(text))


def _clean_tags(tags: list[str]) -> list[str]:
    """Stripped, lowercased, without blanks or repeats."""
    # Lowercase so that 'Quiet' and 'quiet' filter and match as one tag.
    return list(dict.fromkeys(t.strip().lower() for t in tags if t.strip()))


def _json_records(text: str, path: Path) -> Iterator[tuple[dict[str, str], list[str], _Where]]:
    """Yield (text fields, tags, lines) per product of a JSON array or {"products": [...]}."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg} (column {exc.colno})", file=str(path),
                         line=exc.lineno) from None
    # json.loads keeps no positions, so walk the now known-valid text a second time to find the
    # line where each product, and each of its fields, starts.
    newlines = [m.start() for m in re.finditer("\n", text)]

    def line_at(offset: int) -> int:
        return bisect.bisect_left(newlines, offset) + 1

    start = _skip_space(text, 0)
    if isinstance(document, dict) and "products" in document:
        start = _object_members(text, start)["products"][1]
        document = document["products"]
        if not isinstance(document, list):
            raise InputError(f"must be an array of product objects, found {json_kind(document)}",
                             file=str(path), line=line_at(start), field="products")
    elif not isinstance(document, list):
        raise InputError(f"expected an array of product objects or {{\"products\": [...]}}, "
                         f"found {json_kind(document)}", file=str(path), line=line_at(start))
    for value, offset in zip(document, _array_elements(text, start), strict=True):
        if not isinstance(value, dict):
            raise InputError(f"expected a product object {{...}}, found {json_kind(value)}",
                             file=str(path), line=line_at(offset))
        where = _Where(line_at(offset), {key: line_at(key_at)
                                         for key, (key_at, _) in _object_members(text, offset).items()})
        row = {name: _json_text(value[name], name, path, where.of(name))
               for name in _TEXT_FIELDS if value.get(name) is not None}
        yield row, _json_tags(value.get("tags"), path, where.of("tags")), where


def _json_text(value: object, name: str, path: Path, line: int) -> str:
    """A JSON string or number as text, for the shared row parsers."""
    if isinstance(value, str):
        refuse_nul([value], [name], str(path), line)
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise InputError(f"must be text or a number, found {json_kind(value)}", file=str(path), line=line,
                     field=name)


def _json_tags(value: object, path: Path, line: int) -> list[str]:
    """A JSON list of strings as clean tags; absent or null means no tags."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(f'must be a list of strings such as ["quiet", "waterproof"], found {json_kind(value)}',
                         file=str(path), line=line, field="tags")
    for number, tag in enumerate(value, start=1):
        if not isinstance(tag, str):
            raise InputError(f"tag {number} is {json_kind(tag)}; every tag must be a string",
                             file=str(path), line=line, field="tags")
        refuse_nul([tag], ["tags"], str(path), line)
    return _clean_tags(value)


def _skip_space(text: str, offset: int) -> int:
    """The first offset at or after `offset` that is not JSON whitespace."""
    found = _JSON_SPACE.match(text, offset)
    return found.end() if found else offset


def _array_elements(text: str, offset: int) -> Iterator[int]:
    """Offsets where the elements of the valid JSON array starting at `offset` begin."""
    decoder = json.JSONDecoder()
    offset = _skip_space(text, offset + 1)  # past '['
    while text[offset] != "]":
        yield offset
        _, offset = decoder.raw_decode(text, offset)
        offset = _skip_space(text, offset)
        if text[offset] == ",":
            offset = _skip_space(text, offset + 1)


def _object_members(text: str, offset: int) -> dict[str, tuple[int, int]]:
    """Key -> (offset of the key, offset of its value) in the valid JSON object starting at `offset`."""
    decoder = json.JSONDecoder()
    members: dict[str, tuple[int, int]] = {}  # a repeated key keeps its last place, as json.loads does
    offset = _skip_space(text, offset + 1)  # past '{'
    while text[offset] != "}":
        key, after_key = decoder.raw_decode(text, offset)
        value_at = _skip_space(text, _skip_space(text, after_key) + 1)  # past ':'
        members[key] = (offset, value_at)
        _, offset = decoder.raw_decode(text, value_at)
        offset = _skip_space(text, offset)
        if text[offset] == ",":
            offset = _skip_space(text, offset + 1)
    return members
