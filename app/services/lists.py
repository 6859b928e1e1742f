"""The list use cases: make, rename, fill, reorder, show and export a user's named lists.

Positions are 1-based everywhere here, as a list is shown to the user ("1. Fargo").
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class Added:
    """What adding items did: the list afterwards, the ids appended and those it had already."""

    playlist: Playlist
    added: tuple[str, ...]
    already_there: tuple[str, ...]


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

    def create(self, name: str) -> Playlist:
        """A new empty list; the name must be new and not blank."""
        return self._store.create_list(name)

    def rename(self, name: str, new_name: str) -> Playlist:
        """Give a list a new name; refused when another list has that name already."""
        playlist = self._store.get_list(name)
        clean = new_name.strip()
        if not clean:
            raise InvalidListError("a list needs a name")
        if clean == playlist.name:
            return playlist
        # The check and the update share one IMMEDIATE transaction, so no other writer can take
        # the name in between.
        with self._store.transaction() as db:
            if db.execute("SELECT 1 FROM lists WHERE name=?", (clean,)).fetchone() is not None:
                raise InvalidListError(f"a list named '{clean}' exists already: choose another name "
                                       f"or delete that list first")
            db.execute("UPDATE lists SET name=? WHERE id=?", (clean, playlist.id))
        return self._store.get_list(clean)

    def delete(self, name: str) -> None:
        """Delete a list and its entries (the items stay in the catalogue)."""
        playlist = self._store.get_list(name)
        with self._store.transaction() as db:
            db.execute("DELETE FROM list_entries WHERE list_id=?", (playlist.id,))
            db.execute("DELETE FROM lists WHERE id=?", (playlist.id,))

    def add(self, name: str, item_ids: Sequence[str]) -> Added:
        """Append items to a list in the order given; ids already in it are left where they are.

        Unknown ids raise UnknownItemError and nothing is added.
        """
        playlist = self._store.get_list(name)
        known = self._store.items_by_ids(item_ids)
        for item_id in item_ids:
            if item_id not in known:
                raise UnknownItemError(item_id)
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
