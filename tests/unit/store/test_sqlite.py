import sqlite3
import threading
import time
from pathlib import Path

import pytest

from app.domain.errors import (
    CancelledError,
    InvalidRatingError,
    StoreError,
    UnknownItemError,
    UnknownUserError,
)
from app.domain.items import ME, Item, User
from app.domain.progress import CancelToken
from app.store.music import MusicFileStore
from app.store.schema import MIGRATIONS
from app.store.sqlite import CatalogueImport, InvalidListError, SQLiteStore


def movie(n: int, origin_title: str = "Film") -> Item:
    return Item(id=f"movie:{n}", domain="movie", title=f"{origin_title} {n}", year=1990 + n % 10,
                genres=("Drama",), external_ids={"movielens": str(n)})


def batch(n_items: int = 5, users: int = 2, origin: str = "movielens") -> CatalogueImport:
    items = [movie(i) for i in range(n_items)]
    people = [User(f"ml:{u}", {"age": "30"}) for u in range(users)]
    ratings = [(f"ml:{u}", f"movie:{i}", float(1 + (u + i) % 5), 1000.0 + i)
               for u in range(users) for i in range(n_items)]
    return CatalogueImport("movielens", origin, "test", items, people, ratings)


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    return SQLiteStore.open(tmp_path / "db.sqlite3")


def test_a_new_database_is_migrated_in_wal_mode_with_foreign_keys(store: SQLiteStore) -> None:
    assert store.schema_version() == len(MIGRATIONS) == 3
    assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store._db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_a_version_1_database_is_upgraded_keeping_its_data(tmp_path: Path) -> None:
    old = sqlite3.connect(tmp_path / "old.sqlite3")
    old.executescript(MIGRATIONS[0] + "; PRAGMA user_version=1;")
    old.execute("INSERT INTO users (id) VALUES ('me')")
    old.commit()
    old.close()
    upgraded = SQLiteStore.open(tmp_path / "old.sqlite3")
    try:
        assert upgraded.schema_version() == len(MIGRATIONS) and upgraded.user_exists("me")
        assert MusicFileStore(upgraded).summary().indexed == 0
    finally:
        upgraded.close()


def test_an_import_writes_items_users_and_ratings_and_logs_the_run(store: SQLiteStore) -> None:
    run = store.import_catalogue(batch())
    assert (run.status, run.items, run.users, run.ratings) == ("done", 5, 2, 10)
    assert store.count("items") == 5 and store.count("ratings") == 10
    assert store.get_item("movie:3").external_ids == {"movielens": "3"}
    assert store.catalogue_version() == 1


def test_an_import_that_breaks_midway_leaves_nothing_behind(store: SQLiteStore) -> None:
    bad = batch()
    broken = CatalogueImport(bad.kind, bad.origin, bad.source, bad.items, bad.users,
                             [*bad.ratings, ("ml:0", "movie:404", 3.0, 0.0)])
    with pytest.raises(StoreError, match="nothing was imported"):
        store.import_catalogue(broken)
    assert store.count("items") == 0 and store.count("ratings") == 0
    assert store.import_runs()[0].status == "failed"
    assert store.catalogue_version() == 0


def test_a_cancelled_import_leaves_nothing_behind(store: SQLiteStore) -> None:
    token = CancelToken()
    seen: list[int] = []

    def progress(done: int, total: int, message: str) -> None:
        seen.append(done)
        token.cancel()

    with pytest.raises(CancelledError):
        store.import_catalogue(batch(n_items=30_000, users=1), progress, token)
    assert seen and store.count("items") == 0


def test_reimport_replaces_the_origin_but_keeps_my_ratings_and_what_i_rated(store: SQLiteStore) -> None:
    store.import_catalogue(batch(n_items=5))
    store.rate(ME, "movie:4", stars=5)
    smaller = batch(n_items=3, users=1)
    store.import_catalogue(smaller)
    assert store.count("users") == 2  # ml:0 and me; ml:1 came from the old import
    assert {i.id for i in store.items()} == {"movie:0", "movie:1", "movie:2", "movie:4"}
    assert [r.item_id for r in store.ratings_of(ME)] == ["movie:4"]


@pytest.mark.parametrize("stars", [0, 5.5, -1, 6])
def test_stars_outside_one_to_five_are_refused(store: SQLiteStore, stars: float) -> None:
    store.import_catalogue(batch())
    with pytest.raises(InvalidRatingError, match="between 1 and 5"):
        store.rate(ME, "movie:1", stars=stars)
    assert store.ratings_of(ME) == []


def test_rating_an_unknown_item_or_for_an_unknown_user_is_refused(store: SQLiteStore) -> None:
    store.import_catalogue(batch())
    with pytest.raises(UnknownItemError, match="movie:999"):
        store.rate(ME, "movie:999", stars=4)
    with pytest.raises(UnknownUserError, match="ml:777"):
        store.rate("ml:777", "movie:1", stars=4)


def test_a_rating_replaces_the_previous_one_and_thumbs_count_as_stars(store: SQLiteStore) -> None:
    store.import_catalogue(batch())
    store.rate(ME, "movie:1", stars=2)
    store.rate(ME, "movie:1", stars=5)
    store.rate(ME, "movie:2", thumb=-1)
    assert {r.item_id: r.effective_stars() for r in store.ratings_of(ME)} == {"movie:1": 5, "movie:2": 1.5}
    assert (ME, "movie:2", 1.5) in store.rating_triples()  # the models see the same stars
    with pytest.raises(InvalidRatingError):
        store.rate(ME, "movie:3")


def test_lists_keep_their_order_and_names_are_unique(store: SQLiteStore) -> None:
    store.import_catalogue(batch())
    store.create_list("Friday")
    assert store.set_list_entries("Friday", ["movie:3", "movie:1"]).item_ids == ("movie:3", "movie:1")
    with pytest.raises(InvalidListError, match="exists already"):
        store.create_list(" Friday ")
    with pytest.raises(UnknownItemError):
        store.set_list_entries("Friday", ["movie:3", "movie:77"])
    assert store.get_list("Friday").item_ids == ("movie:3", "movie:1")


def test_a_run_left_running_by_a_dead_process_is_marked_interrupted(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    SQLiteStore.open(path).close()
    with sqlite3.connect(path) as raw:
        raw.execute("INSERT INTO import_runs (kind, source, started, status) VALUES ('x', 'y', 0, 'running')")
    run = SQLiteStore.open(path).import_runs()[0]
    assert run.status == "interrupted" and "nothing of it was kept" in run.message


def test_a_damaged_database_file_gives_a_clear_error_and_is_left_in_place(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match=r"is damaged .*chatrec repair"):
        SQLiteStore.open(path)
    assert path.read_bytes().startswith(b"this is not a database")


def test_a_database_from_a_newer_app_is_not_touched(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    SQLiteStore.open(path).close()
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA user_version=99")
    with pytest.raises(StoreError, match="newer Chat-Rec"):
        SQLiteStore.open(path)


def test_a_file_never_overwrites_or_takes_away_ratings_made_at_the_desk(store: SQLiteStore) -> None:
    store.import_catalogue(batch(n_items=5))
    store.rate(ME, "movie:1", stars=5)
    store.rate("ml:0", "movie:2", stars=2)  # made in the app for an imported person
    with_me = batch(n_items=5)
    with_me = CatalogueImport(with_me.kind, with_me.origin, with_me.source, with_me.items,
                              [*with_me.users, User(ME)], [*with_me.ratings, (ME, "movie:1", 1.0, 5.0)])
    store.import_catalogue(with_me)
    store.import_catalogue(batch(n_items=5))
    assert {r.item_id: r.stars for r in store.ratings_of(ME)} == {"movie:1": 5}
    assert {r.item_id: r.stars for r in store.ratings_of("ml:0")}["movie:2"] == 2


def test_a_reimport_never_empties_a_saved_list(store: SQLiteStore) -> None:
    store.import_catalogue(batch(n_items=5, users=0))
    store.create_list("keep")
    store.set_list_entries("keep", ["movie:4", "movie:0"])
    store.import_catalogue(batch(n_items=2, users=0))
    assert store.get_list("keep").item_ids == ("movie:4", "movie:0")


def test_threads_can_rate_while_another_thread_imports(store: SQLiteStore) -> None:
    import threading

    store.import_catalogue(batch(n_items=5))
    importing = threading.Event()
    errors: list[BaseException] = []

    def slow_progress(done: int, total: int, message: str) -> None:
        importing.set()
        time.sleep(0.05)

    def rate_meanwhile() -> None:
        importing.wait(10)
        try:
            for stars in (1, 2, 3, 4, 5):
                store.rate(ME, "movie:1", stars=stars)
                assert store.count("items") >= 5
        except BaseException as exc:
            errors.append(exc)

    other = threading.Thread(target=rate_meanwhile)
    other.start()
    store.import_catalogue(CatalogueImport("products", "other", "t", [movie(100 + i) for i in range(60_000)]),
                           slow_progress)
    other.join(30)
    assert errors == []
    assert store.ratings_of(ME)[0].stars == 5 and store.count("items") == 60_005


# -- reads while another thread writes (the window reads while an import writes) --------------------


def _hold_a_transaction(store: SQLiteStore, inside: threading.Event, release: threading.Event) -> threading.Thread:
    def write() -> None:
        with store.transaction() as db:
            db.execute("INSERT INTO lists (name, created) VALUES ('being written', 0)")
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=write)
    thread.start()
    assert inside.wait(10)
    return thread


def test_reads_do_not_wait_for_another_threads_transaction(store: SQLiteStore) -> None:
    inside, release = threading.Event(), threading.Event()
    writer = _hold_a_transaction(store, inside, release)
    try:
        started = time.perf_counter()
        names = [p.name for p in store.lists()]
        waited = time.perf_counter() - started
    finally:
        release.set()
        writer.join()
    assert names == []  # the last commit: the open transaction's row is not seen
    assert waited < 5.0  # the writer holds on for 10 s; before the reading connection this waited it out
    assert [p.name for p in store.lists()] == ["being written"]


def test_a_transaction_reads_its_own_rows(store: SQLiteStore) -> None:
    with store.transaction() as db:
        db.execute("INSERT INTO lists (name, created) VALUES ('mine', 0)")
        assert [p.name for p in store.lists()] == ["mine"]


def test_a_reading_block_sees_one_state_of_the_database(store: SQLiteStore) -> None:
    with store.reading() as db:
        before = db.execute("SELECT count(*) FROM lists").fetchone()[0]
        writer = threading.Thread(target=lambda: store.create_list("meanwhile"))
        writer.start()
        writer.join(10)
        assert db.execute("SELECT count(*) FROM lists").fetchone()[0] == before
        assert [p.name for p in store.lists()] == []  # nested reads share the block's snapshot
    assert [p.name for p in store.lists()] == ["meanwhile"]


def test_the_reading_connection_cannot_write(store: SQLiteStore) -> None:
    with store.reading() as db, pytest.raises(sqlite3.OperationalError, match="readonly"):
        db.execute("INSERT INTO lists (name, created) VALUES ('sneaked', 0)")


def _rating_indexes(store: SQLiteStore) -> set[str]:
    with store.transaction() as db:
        return {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='index' "
                                               "AND tbl_name='ratings' AND name LIKE 'ratings_%'")}


def test_a_bulk_import_builds_the_ratings_indexes_again_and_keeps_desk_ratings(
        store: SQLiteStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.store.sqlite.BULK_RATINGS", 5)  # the batch's 10 ratings count as bulk
    store.require_user(ME)
    store.import_catalogue(batch())
    store.rate(ME, "movie:3", stars=2.0)
    run = store.import_catalogue(CatalogueImport("movielens", "movielens", "again", batch().items, batch().users,
                                                 [*batch().ratings, (ME, "movie:3", 5.0, 0.0)]))
    assert run.status == "done" and _rating_indexes(store) == {"ratings_item", "ratings_origin"}
    assert {r.item_id: r.stars for r in store.ratings_of(ME)} == {"movie:3": 2.0}  # the desk rating stays


def test_a_bulk_import_that_breaks_midway_keeps_the_indexes(store: SQLiteStore,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.store.sqlite.BULK_RATINGS", 5)
    bad = batch()
    broken = CatalogueImport(bad.kind, bad.origin, bad.source, bad.items, bad.users,
                             [*bad.ratings, ("ml:0", "movie:404", 3.0, 0.0)])
    with pytest.raises(StoreError, match="nothing was imported"):
        store.import_catalogue(broken)
    assert _rating_indexes(store) == {"ratings_item", "ratings_origin"} and store.count("ratings") == 0
