"""MovieLens as GroupLens publishes it: ml-100k, ml-1m and the ml-latest layout, zipped or unpacked.

GroupLens's terms do not let the app ship these files, so the user brings them (or downloads them
with consent). Three layouts exist, told apart by the files they hold:

- ml-100k: ``u.data`` (tab-separated ratings), ``u.item`` (``|``-separated, Latin-1, 19 genre flags),
  ``u.user``, ``u.genre``;
- ml-1m: ``ratings.dat``, ``movies.dat``, ``users.dat`` (``::``-separated, Latin-1);
- ml-latest-small, ml-latest, ml-25m, ml-32m: ``ratings.csv`` (half stars from 0.5; the app's scale
  starts at 1, so half a star counts as one), ``movies.csv``, ``links.csv`` (IMDb ids), UTF-8.

Films get the same ids as the RecBole copies (``movie:toy-story-1995``), so ratings made against
one survive an import of the other. Every bad row is reported by file, line and field.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from app.catalog.files import require_file
from app.catalog.movielens import SOURCE, MovieLensData, movie_id, readable_title, split_year
from app.catalog.tabular import refuse_nul
from app.domain.errors import InputError
from app.domain.items import Item, RatingRow, User

_LAYOUTS = {"ml-100k": ("u.data", "u.item"), "ml-1m": ("ratings.dat", "movies.dat"),
            "ml-latest": ("ratings.csv", "movies.csv")}
_GENRES_100K = ("unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary",
                "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller",
                "War", "Western")
_NO_GENRE = frozenset({"unknown", "(no genres listed)"})
_MAX_TIMESTAMP = 4e9


@dataclass(frozen=True)
class _Source:
    """The files of one release, in a zip or a folder, found by their names wherever they sit."""

    path: Path
    members: dict[str, str]  # file name -> member path in the zip, or file path in the folder
    zipped: bool

    def has(self, name: str) -> bool:
        return name in self.members

    def where(self, name: str) -> str:
        """How an error names the file: the zip and the member, or the file."""
        return f"{self.path}:{self.members[name]}" if self.zipped else self.members[name]

    def lines(self, name: str, encoding: str) -> Generator[str, None, None]:
        """The file's lines one at a time, never the whole file at once."""
        try:
            if self.zipped:
                with zipfile.ZipFile(self.path) as archive, archive.open(self.members[name]) as raw:
                    yield from io.TextIOWrapper(raw, encoding=encoding, newline="")
            else:
                with Path(self.members[name]).open(encoding=encoding, newline="") as handle:
                    yield from handle
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise InputError(f"cannot be read: {exc}", file=self.where(name)) from exc
        except UnicodeDecodeError as exc:
            raise InputError(f"is not {encoding} text", file=self.where(name)) from exc


def read_grouplens(path: Path) -> MovieLensData:
    """A MovieLens release as GroupLens publishes it (a zip or its unpacked folder), validated row by row."""
    source = _open(path)
    layout = next((name for name, files in _LAYOUTS.items() if all(source.has(f) for f in files)), None)
    if layout is None:
        raise InputError("is not a MovieLens release from GroupLens: expected u.data and u.item (ml-100k), "
                         "ratings.dat and movies.dat (ml-1m), or ratings.csv and movies.csv (ml-latest, ml-25m, "
                         "ml-32m)", file=str(path))
    reader = {"ml-100k": _read_100k, "ml-1m": _read_1m, "ml-latest": _read_latest}[layout]
    return reader(source, _release_name(path, layout))


def _open(path: Path) -> _Source:
    if path.is_dir():
        members = {p.name: str(p) for p in sorted(path.rglob("*")) if p.is_file()}
        return _Source(path, members, zipped=False)
    require_file(path, missing="no such file or folder")
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"is not a readable zip file ({exc}); give GroupLens's zip or the folder it unpacks to",
                         file=str(path)) from exc
    members = {PurePosixPath(n).name: n for n in names if not n.endswith("/")}
    return _Source(path, members, zipped=True)


def _release_name(path: Path, layout: str) -> str:
    """ml-latest-small, ml-25m... from the file name when it says, else the layout."""
    stem = path.name.removesuffix(".zip")
    return stem if stem.startswith("ml-") else layout


def _rows(source: _Source, name: str, separator: str, encoding: str, width: int,
          header: bool = False) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of each non-empty line, each with exactly `width` fields, read as they come."""
    if separator == ",":
        lines: Iterator[list[str]] = csv.reader(source.lines(name, encoding))
    else:
        lines = (line.rstrip("\r\n").split(separator) for line in source.lines(name, encoding))
    names: list[str] | None = None  # a header's names, to name a field in an error
    for number, fields in enumerate(lines, start=1):
        if header and number == 1:
            names = [f.strip() for f in fields]
            continue
        if not fields or all(not f.strip() for f in fields):
            continue
        if len(fields) != width:
            raise InputError(f"expected {width} fields separated by '{separator}', found {len(fields)}",
                             file=source.where(name), line=number)
        refuse_nul(fields, names, source.where(name), number)
        yield number, [f.strip() for f in fields]


def _check_header(source: _Source, name: str, expected: tuple[str, ...]) -> None:
    lines = source.lines(name, "utf-8-sig")
    first = next(lines, "").strip()
    lines.close()  # only the header was needed: the file closes now, not when the generator is collected
    found = tuple(h.strip() for h in next(csv.reader([first]), []))
    if found[:len(expected)] != expected:
        raise InputError(f"expected the header {','.join(expected)}, found {first[:80]!r}", file=source.where(name),
                         line=1)


def _film(raw: str, title_text: str, genres: tuple[str, ...], taken: set[str],
          external: dict[str, str]) -> Item:
    """A film with the id the RecBole copies give it; the year comes from '(1995)' in the title."""
    title, year = split_year(readable_title(title_text.strip()))
    item_id = movie_id(title, year)
    if item_id in taken:  # a few titles repeat under two ids
        item_id = f"{item_id}-{raw}"
    taken.add(item_id)
    return Item(id=item_id, domain="movie", title=title, year=year,
                genres=tuple(g for g in genres if g not in _NO_GENRE), source=SOURCE, external_ids=external)


def _rating(where: str, line: int, user: str, raw_item: str, stars_text: str, time_text: str,
            films: dict[str, str], low: float) -> RatingRow:
    if raw_item not in films:
        raise InputError(f"unknown movie '{raw_item}'", file=where, line=line, field="movie")
    try:
        stars, timestamp = float(stars_text), float(time_text)
    except ValueError:
        raise InputError(f"'{stars_text}' and '{time_text}' must be numbers", file=where, line=line,
                         field="rating") from None
    if not low <= stars <= 5.0:
        raise InputError(f"{stars_text} is outside {low:g}-5", file=where, line=line, field="rating")
    if not 0.0 <= timestamp <= _MAX_TIMESTAMP:
        raise InputError(f"{time_text} is not a time", file=where, line=line, field="timestamp")
    # The app rates from 1 to 5 stars in halves; ml-latest's lowest, half a star, is its "1".
    return "ml:" + user, films[raw_item], max(stars, 1.0), timestamp


def _users_of(ratings: list[RatingRow], attributes: dict[str, dict[str, str]]) -> list[User]:
    ids = dict.fromkeys(user for user, _, _, _ in ratings)
    return [User(id=user, attributes=attributes.get(user, {})) for user in ids]


def _read_100k(source: _Source, release: str) -> MovieLensData:
    items: list[Item] = []
    films: dict[str, str] = {}
    taken: set[str] = set()
    for line, fields in _rows(source, "u.item", "|", "latin-1", 5 + len(_GENRES_100K)):
        raw, title = fields[0], fields[1]
        if not raw or not title:
            raise InputError("a film needs an id and a title", file=source.where("u.item"), line=line)
        flags = fields[5:]
        if any(f not in ("0", "1") for f in flags):
            raise InputError("genre flags must be 0 or 1", file=source.where("u.item"), line=line, field="genres")
        genres = tuple(g for g, flag in zip(_GENRES_100K, flags, strict=True) if flag == "1")
        released = fields[2][-4:]  # "01-Jan-1995": the year, for the few titles that do not carry it
        if released.isdigit() and not title.rstrip().endswith(")"):
            title = f"{title} ({released})"
        item = _film(raw, title, genres, taken, {"movielens": raw})
        items.append(item)
        films[raw] = item.id
    ratings = [_rating(source.where("u.data"), line, f[0], f[1], f[2], f[3], films, 1.0)
               for line, f in _rows(source, "u.data", "\t", "latin-1", 4)]
    people: dict[str, dict[str, str]] = {}
    if source.has("u.user"):
        for _, f in _rows(source, "u.user", "|", "latin-1", 5):
            people["ml:" + f[0]] = {"age": f[1], "gender": f[2], "occupation": f[3]}
    return MovieLensData(release, items, _users_of(ratings, people), ratings)


def _read_1m(source: _Source, release: str) -> MovieLensData:
    items: list[Item] = []
    films: dict[str, str] = {}
    taken: set[str] = set()
    for line, fields in _rows(source, "movies.dat", "::", "latin-1", 3):
        if not fields[0] or not fields[1]:
            raise InputError("a film needs an id and a title", file=source.where("movies.dat"), line=line)
        item = _film(fields[0], fields[1], tuple(fields[2].split("|")), taken, {"movielens": fields[0]})
        items.append(item)
        films[fields[0]] = item.id
    ratings = [_rating(source.where("ratings.dat"), line, f[0], f[1], f[2], f[3], films, 1.0)
               for line, f in _rows(source, "ratings.dat", "::", "latin-1", 4)]
    people: dict[str, dict[str, str]] = {}
    if source.has("users.dat"):
        for _, f in _rows(source, "users.dat", "::", "latin-1", 5):
            people["ml:" + f[0]] = {"gender": f[1], "age": f[2]}
    return MovieLensData(release, items, _users_of(ratings, people), ratings)


def _read_latest(source: _Source, release: str) -> MovieLensData:
    _check_header(source, "movies.csv", ("movieId", "title", "genres"))
    _check_header(source, "ratings.csv", ("userId", "movieId", "rating", "timestamp"))
    imdb: dict[str, str] = {}
    if source.has("links.csv"):
        _check_header(source, "links.csv", ("movieId", "imdbId"))
        for _, f in _rows(source, "links.csv", ",", "utf-8-sig", 3, header=True):
            if f[1].isdigit():
                imdb[f[0]] = f"tt{int(f[1]):07d}"
    items: list[Item] = []
    films: dict[str, str] = {}
    taken: set[str] = set()
    for line, fields in _rows(source, "movies.csv", ",", "utf-8-sig", 3, header=True):
        if not fields[0] or not fields[1]:
            raise InputError("a film needs an id and a title", file=source.where("movies.csv"), line=line)
        external = {"movielens": fields[0], **({"imdb": imdb[fields[0]]} if fields[0] in imdb else {})}
        item = _film(fields[0], fields[1], tuple(fields[2].split("|")), taken, external)
        items.append(item)
        films[fields[0]] = item.id
    ratings = _StreamedRatings(source, films)
    return MovieLensData(release, items, [User(id=user) for user in ratings.users], ratings)


class _StreamedRatings:
    """ratings.csv read again each time it is gone through: the 25M rows of ml-25m are never held at once.

    The first pass checks every row (so a bad one is refused before anything is written), counts them
    and collects the people; the store's write is the second.
    """

    def __init__(self, source: _Source, films: dict[str, str]) -> None:
        self._source, self._films = source, films
        self.users: dict[str, None] = {}
        count = 0
        for row in self:
            self.users.setdefault(row[0])
            count += 1
        self._count = count

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[RatingRow]:
        where = self._source.where("ratings.csv")
        for line, f in _rows(self._source, "ratings.csv", ",", "utf-8-sig", 4, header=True):
            yield _rating(where, line, f[0], f[1], f[2], f[3], self._films, 0.5)
