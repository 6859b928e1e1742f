"""Shared row parsing for delimited files: every failure names file, line and field."""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from app.catalog.files import require_file
from app.domain.errors import InputError

NUL = "\x00"


def read_delimited(path: Path, delimiter: str = ",",
                   columns: Sequence[str] = ()) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) for each data row, with header names as keys.

    Header fields may carry a RecBole type suffix (``rating:float``); it is dropped. A header without one
    of the required `columns` is an InputError on line 1, before any row is read: reported row by row,
    it would blame the first row's empty field instead.
    """
    reader = csv.reader(io.StringIO(read_utf8(path), newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError("the file is empty; expected a header row", file=str(path), line=1) from None
    except csv.Error as exc:
        raise InputError(f"unreadable header: {exc}", file=str(path), line=1) from exc
    if NUL in "".join(header):
        raise InputError("the header row contains a NUL byte: is it UTF-16 text? save the file as UTF-8",
                         file=str(path), line=1)
    names = [h.split(":", 1)[0].strip() for h in header]
    missing = [name for name in columns if name not in names]
    if missing:
        raise InputError(header_lacks(missing, names, columns), file=str(path), line=1)
    try:
        for fields in reader:
            line = reader.line_num
            if not fields or all(not f.strip() for f in fields):
                continue
            if len(fields) != len(names):
                raise InputError(f"expected {len(names)} fields ({', '.join(names)}), found {len(fields)}",
                                 file=str(path), line=line)
            refuse_nul(fields, names, str(path), line)
            yield line, dict(zip(names, fields, strict=True))
    except csv.Error as exc:
        raise InputError(f"malformed row: {exc}", file=str(path), line=reader.line_num) from exc


def refuse_nul(fields: Sequence[str], names: Sequence[str] | None, where: str, line: int | None = None, *,
               record: int | None = None) -> None:
    """An InputError naming the first field that holds a NUL byte (by name, else as "column N"); the row is
    refused like any other bad row. SQLite's text functions (length(), LIKE) stop at a NUL, as C code does,
    so a title holding one would be searched and shown cut short."""
    if NUL not in "".join(fields):  # one fast test per row: a ratings file has millions of them
        return
    index = next(i for i, value in enumerate(fields) if NUL in value)
    field = names[index] if names is not None and index < len(names) else f"column {index + 1}"
    reason = "contains a NUL byte" if record is None else f"record {record} contains a NUL byte"
    raise InputError(reason, file=where, line=line, field=field)


def header_lacks(missing: Sequence[str], found: Sequence[str], needed: Sequence[str]) -> str:
    """"the header row has no title column: found 'id', 'name', 'price'; required: title, category, price"."""
    quoted = ", ".join(f"'{name}'" for name in found if name) or "no column names"
    return f"the header row has no {' or '.join(missing)} column: found {quoted}; required: {', '.join(needed)}"


def required(row: dict[str, str], name: str, path: Path, line: int) -> str:
    """The stripped value of a required field, or an InputError naming it."""
    value = row.get(name)
    if value is None or not value.strip():
        raise InputError("is missing or empty", file=str(path), line=line, field=name)
    return value.strip()


def parse_float(row: dict[str, str], name: str, path: Path, line: int, *,
                low: float | None = None, high: float | None = None) -> float:
    """A required number within [low, high], or an InputError naming the field."""
    text = required(row, name, path, line)
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"'{text}' is not a number", file=str(path), line=line, field=name) from None
    if value != value or (low is not None and value < low) or (high is not None and value > high):
        raise InputError(f"{text} is outside {low:g}-{high:g}" if low is not None and high is not None
                         else f"{text} is out of range", file=str(path), line=line, field=name)
    return value


def parse_optional_year(row: dict[str, str], name: str, path: Path, line: int,
                        unknown: frozenset[str] = frozenset()) -> int | None:
    """A year between 1800 and 2100, None when blank or an unknown marker, else an InputError."""
    text = (row.get(name) or "").strip()
    if not text or text.lower() in unknown:
        return None
    try:
        year = int(float(text))
    except ValueError:
        raise InputError(f"'{text}' is not a year", file=str(path), line=line, field=name) from None
    if not 1800 <= year <= 2100:
        raise InputError(f"{year} is not a plausible year", file=str(path), line=line, field=name)
    return year


def read_utf8(path: Path) -> str:
    """The whole file as text (a UTF-8 BOM dropped), or an InputError naming the line of a bad byte."""
    require_file(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror}", file=str(path)) from exc
    return decode_utf8(data, str(path))


def decode_utf8(data: bytes, where: str) -> str:
    """Bytes read from a file or a zip member as text (a UTF-8 BOM dropped), or an InputError naming the line
    of a bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # Count newlines in the raw bytes: a text stream decodes in 8 KB chunks, so it fails
        # long before the csv reader reaches the line that holds the bad byte.
        bad: bytes = exc.object  # the bytes after any BOM, which exc.start indexes
        line = bad.count(b"\n", 0, exc.start) + 1
        raise InputError(f"not UTF-8 text (byte 0x{bad[exc.start]:02x}); save the file as UTF-8",
                         file=where, line=line) from exc


def zip_members(path: Path, wanted: Callable[[str], bool]) -> Iterator[tuple[str, str, bytes]]:
    """(member name, where an error names it, its bytes) of each wanted member of a zip, in name order; a
    damaged zip is an InputError naming it."""
    require_file(path)
    try:
        with zipfile.ZipFile(path) as archive:
            for name in sorted(archive.namelist()):
                if wanted(name):
                    yield name, f"{path}:{name}", archive.read(name)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise InputError(f"is a damaged zip ({exc})", file=str(path)) from exc


def json_kind(value: object) -> str:
    """How a decoded JSON value reads in a message: 'a string', 'a number', 'null'..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float):
        return "a number"
    return "a list" if isinstance(value, list) else "an object"
