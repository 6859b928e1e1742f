"""The list use cases: make, name, rename, fill, reorder, show and export a user's named lists.

The desktop's Lists page, the CLI and the conversation all go through here: how a new list is named and
when adding makes the list first are decided once. The SQL is the store's. Positions are 1-based
everywhere here, as a list is shown to the user ("1. Fargo").
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.domain.errors import UnknownItemError
from app.domain.items import ME, Item, Rating
from app.domain.lists import Playlist
from app.export import ExportEntry, ExportOptions, ExportResult, PathMode
from app.export.formats import format_for, write_list
from app.store.sqlite import InvalidListError, SQLiteStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ListEntry:
    """One entry of a shown list: its position, the item and the user's rating of it (stars or thumb)."""

    position: int
    item: Item
    rating: Rating | None = None


@dataclass(frozen=True)
class ListView:
    """A list as the user sees it: its name and entries in order."""

    name: str
    entries: tuple[ListEntry, ...]


NEW_LIST = "New list"  # a list made without a name is "New list", then "New list 2", "New list 3"...


@dataclass(frozen=True)
class Added:
    """What adding items did: the list afterwards, the ids appended, those it had already, and whether the
    list was made for them."""

    playlist: Playlist
    added: tuple[str, ...]
    already_there: tuple[str, ...]
    created: bool = False


class Lists:
    """The list use cases over the store, for one user's ratings (the desk user by default)."""

    def __init__(self, store: SQLiteStore, user_id: str = ME) -> None:
        self._store = store
        self._user = user_id

    def all(self) -> list[Playlist]:
        """Every list, by name, with its entries."""
        return self._store.lists()

    def get(self, name: str) -> Playlist:
        """The list with this name; InvalidListError when there is none."""
        return self._store.get_list(name)

    def find(self, name: str) -> Playlist | None:
        """The list called this, whatever its case ("crime night" finds "Crime Night"); None when there is none."""
        wanted = name.strip()
        names = self._store.list_names()
        found = wanted if wanted in names else next((n for n in names if n.casefold() == wanted.casefold()), None)
        return None if found is None else self._store.get_list(found)

    def create(self, name: str | None = None) -> Playlist:
        """A new empty list; the name must be new and not blank. Without one it gets the first free
        "New list", "New list 2"... name, chosen as it is written (earlier changes may still be queued)."""
        return self._store.create_list(self.free_name() if name is None else name)

    def free_name(self, base: str = NEW_LIST) -> str:
        """base, or base followed by the first number from 2 that no list has (in any case)."""
        taken = {n.casefold() for n in self._store.list_names()}
        return next(candidate for candidate in (base if n == 1 else f"{base} {n}" for n in itertools.count(1))
                    if candidate.casefold() not in taken)

    def rename(self, name: str, new_name: str) -> Playlist:
        """Give a list a new name; refused when it is blank or another list has that name already."""
        return self._store.rename_list(name, new_name)

    def delete(self, name: str) -> None:
        """Delete a list and its entries (the items stay in the catalogue)."""
        self._store.delete_list(name)

    def add(self, name: str, item_ids: Sequence[str], *, create_missing: bool = False) -> Added:
        """Append items to a list in the order given; ids already in it are left where they are.

        create_missing: a list of that name (whatever its case) is used, else one is made with the name as
        given (a card's "Add to list", "add it to my Crime list"); otherwise a missing list is refused.
        Unknown ids raise UnknownItemError and nothing is added (nor any list made).
        """
        playlist = self.find(name) if create_missing else self._store.get_list(name)
        known = self._store.items_by_ids(item_ids)
        for item_id in item_ids:
            if item_id not in known:
                raise UnknownItemError(item_id)
        if playlist is None:
            # Made with its first items in one transaction: a failed write leaves no empty list behind.
            fresh = list(dict.fromkeys(item_ids))
            return Added(self._store.create_list(name, fresh), tuple(fresh), (), created=True)
        present = set(playlist.item_ids)
        added: list[str] = []
        already: list[str] = []
        for item_id in dict.fromkeys(item_ids):
            (already if item_id in present else added).append(item_id)
        if not added:
            return Added(playlist, (), tuple(already))
        updated = self._store.set_list_entries(playlist.name, [*playlist.item_ids, *added])
        return Added(updated, tuple(added), tuple(already))

    def remove(self, name: str, *, position: int | None = None, item_id: str | None = None) -> Playlist:
        """Remove one entry, by its 1-based position or by item id (give exactly one)."""
        if (position is None) == (item_id is None):
            raise InvalidListError("say which entry to remove: a position or an item id, not both")
        playlist = self._store.get_list(name)
        entries = list(playlist.item_ids)
        if position is not None:
            del entries[self._index(playlist, position)]
        else:
            if item_id not in entries:
                raise InvalidListError(f"'{item_id}' is not in the list '{playlist.name}'")
            entries.remove(item_id)
        return self._store.set_list_entries(playlist.name, entries)

    def move(self, name: str, from_position: int, to_position: int) -> Playlist:
        """Move the entry at from_position so that it ends up at to_position (both 1-based)."""
        playlist = self._store.get_list(name)
        entries = list(playlist.item_ids)
        source = self._index(playlist, from_position)
        target = self._index(playlist, to_position)
        if source == target:
            return playlist
        entries.insert(target, entries.pop(source))
        return self._store.set_list_entries(playlist.name, entries)

    def show(self, name: str) -> ListView:
        """The list's entries in order, each with its item and the user's rating of it."""
        playlist = self._store.get_list(name)
        items = self._store.items_by_ids(playlist.item_ids)
        ratings = self._ratings()
        entries = tuple(ListEntry(position, items[item_id], ratings.get(item_id))
                        for position, item_id in enumerate(playlist.item_ids, start=1) if item_id in items)
        return ListView(playlist.name, entries)

    def export(self, name: str, fmt: str, path: Path, *, overwrite: bool = False,
               path_mode: PathMode = "absolute", path_map: Mapping[str, str] | None = None) -> Path:
        """Write the list to path in format fmt (m3u8, xspf, jspf, csv, json); returns the file written."""
        return self.export_result(name, fmt, path, overwrite=overwrite, path_mode=path_mode,
                                  path_map=path_map).path

    def export_result(self, name: str, fmt: str, path: Path, *, overwrite: bool = False,
                      path_mode: PathMode = "absolute", path_map: Mapping[str, str] | None = None) -> ExportResult:
        """Export as export() does, and report how many entries were written and which were left out."""
        format_for(fmt)  # an unknown format is refused before the list is read
        view = self.show(name)
        entries = [ExportEntry(e.item, e.rating) for e in view.entries]
        options = ExportOptions(name=view.name, overwrite=overwrite, path_mode=path_mode,
                                path_map=dict(path_map or {}))
        result = write_list(fmt, Path(path), entries, options)
        for skipped in result.skipped:
            log.info("export of '%s' left out #%d %s (%s): %s", view.name, skipped.position, skipped.title,
                     skipped.item_id, skipped.reason)
        return result

    def _ratings(self) -> dict[str, Rating]:
        return {r.item_id: r for r in self._store.ratings_of(self._user)}

    @staticmethod
    def _index(playlist: Playlist, position: int) -> int:
        size = len(playlist.item_ids)
        if not 1 <= position <= size:
            where = f"positions 1-{size}" if size else "no entries"
            raise InvalidListError(f"the list '{playlist.name}' has {where}: there is no position {position}")
        return position - 1
