"""Imports: read a catalogue, write it in one transaction, then bring the index up to date."""

from __future__ import annotations

import logging
from pathlib import Path

from app.catalog.grouplens import read_grouplens
from app.catalog.grouplens_download import download_release, release_info
from app.catalog.movielens import SOURCE as MOVIELENS
from app.catalog.movielens import copies_installed, read_movielens
from app.catalog.products import read_product_ratings, read_products, sample_catalogue_paths
from app.domain.errors import CancelledError
from app.domain.items import RatingRow, User
from app.domain.lists import ImportRun
from app.domain.movielens import ReleaseInfo
from app.domain.progress import CancelToken, ProgressCallback, no_progress
from app.services.index import ItemIndex
from app.store.sqlite import CatalogueImport, SQLiteStore

log = logging.getLogger(__name__)


class Catalogue:
    """The import use cases; each import is all-or-nothing."""

    def __init__(self, store: SQLiteStore, index: ItemIndex, downloads: Path | None = None) -> None:
        self._store = store
        self._index = index
        self._downloads = downloads or store.path.parent / "downloads"

    def movielens_copies(self) -> tuple[str, ...]:
        """The MovieLens sizes importable without a download (development copies; an installed app has none)."""
        return copies_installed()

    def movielens_release(self, release: str) -> ReleaseInfo:
        """A GroupLens release's address and size, to show with the terms before the user agrees."""
        return release_info(release)

    def download_movielens(self, release: str, progress: ProgressCallback = no_progress,
                           cancel: CancelToken | None = None) -> ImportRun:
        """Download a release from GroupLens (the user agreed to its terms), check it, and import it."""
        path = download_release(release, self._downloads, progress, cancel)
        return self.import_movielens_from(path, progress, cancel)

    def import_movielens(self, size: str, progress: ProgressCallback = no_progress,
                         cancel: CancelToken | None = None) -> ImportRun:
        """Import MovieLens 100K or 1M (replacing an earlier MovieLens import)."""
        progress(0, 0, f"reading MovieLens {size}")
        data = read_movielens(size)
        batch = CatalogueImport("movielens", MOVIELENS, size, data.items, data.users, data.ratings)
        return self._write(batch, progress, cancel)

    def import_movielens_from(self, path: Path, progress: ProgressCallback = no_progress,
                              cancel: CancelToken | None = None) -> ImportRun:
        """Import MovieLens from GroupLens's own zip or folder (replacing an earlier MovieLens import)."""
        progress(0, 0, f"reading {path}")
        data = read_grouplens(path)
        batch = CatalogueImport("movielens", MOVIELENS, data.size, data.items, data.users, data.ratings)
        return self._write(batch, progress, cancel)

    def import_products(self, path: Path, ratings_path: Path | None = None,
                        progress: ProgressCallback = no_progress,
                        cancel: CancelToken | None = None, origin: str | None = None) -> ImportRun:
        """Import a product catalogue (CSV or JSON) and, optionally, its ratings CSV."""
        progress(0, 0, f"reading {path}")
        items = read_products(path)
        rows: list[RatingRow] = []
        users: list[User] = []
        if ratings_path is not None:
            ratings = read_product_ratings(ratings_path, {i.id for i in items})
            rows = [(r.user_id, r.item_id, float(r.effective_stars()), r.timestamp) for r in ratings]
            users = [User(u) for u in sorted({r.user_id for r in ratings})]
        # A re-import of the same file replaces it; the demo names itself, because a frozen
        # build unpacks it to a new folder on every start.
        origin = origin or f"products:{path.resolve()}"
        return self._write(CatalogueImport("products", origin, str(path), items, users, rows),
                           progress, cancel)

    def import_demo(self, progress: ProgressCallback = no_progress,
                    cancel: CancelToken | None = None) -> ImportRun:
        """Import the sample product catalogue we ship, with its shoppers' ratings."""
        products, ratings = sample_catalogue_paths()
        return self.import_products(products, ratings, progress, cancel, origin="demo")

    def _write(self, batch: CatalogueImport, progress: ProgressCallback,
               cancel: CancelToken | None) -> ImportRun:
        before = self._store.item_ids(origin=batch.origin)
        run = self._store.import_catalogue(batch, progress, cancel)
        log.info("imported %s from %s: %d items, %d users, %d ratings", batch.kind, batch.source,
                 run.items, run.users, run.ratings)
        removed = sorted(set(before) - set(self._store.items_by_ids(before)))
        try:
            self._index.update(list(batch.items), removed, progress, cancel)
        except CancelledError:
            # The import is saved; an index out of step is rebuilt on its next use.
            raise CancelledError("indexing of the saved import") from None
        return run
