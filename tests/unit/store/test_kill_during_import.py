import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from app.store.sqlite import SQLiteStore

IMPORTER = """
import sys
from pathlib import Path
from app.domain.items import Item, User
from app.store.sqlite import CatalogueImport, SQLiteStore
items = [Item(id=f"movie:{i}", domain="movie", title=f"Film {i}") for i in range(3000)]
users = [User(f"ml:{u}") for u in range(400)]
ratings = [(f"ml:{u}", f"movie:{(u * 7 + j) % 3000}", 1.0 + j % 5, 0.0) for u in range(400) for j in range(300)]
batch = CatalogueImport("movielens", "movielens", "big", items, users, ratings)
SQLiteStore.open(Path(sys.argv[1])).import_catalogue(batch)
print("finished", flush=True)
"""


def _running_run_exists(path: Path) -> bool:
    try:
        with sqlite3.connect(path, timeout=0.1) as db:
            return db.execute("SELECT count(*) FROM import_runs WHERE status='running'").fetchone()[0] > 0
    except sqlite3.Error:
        return False


def test_sigkill_in_the_middle_of_an_import_leaves_it_wholly_absent(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    SQLiteStore.open(path).close()
    child = subprocess.Popen([sys.executable, "-c", IMPORTER, str(path)], stdout=subprocess.PIPE,
                             text=True, cwd=Path(__file__).parents[3])
    deadline = time.monotonic() + 60
    while not _running_run_exists(path) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)  # well inside the 120,000-row transaction
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL, "the import finished before it could be killed"

    store = SQLiteStore.open(path)
    assert store._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert (store.count("items"), store.count("users"), store.count("ratings")) == (0, 0, 0)
    assert store.import_runs()[0].status == "interrupted"
    assert store.catalogue_version() == 0
