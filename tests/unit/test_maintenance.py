"""status, backup, restore and repair from the command line: damage is reported with the way out, never a
traceback, and nothing is written into a damaged file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from app.cli import main
from app.domain.items import ME
from app.paths import AppPaths
from app.store.sqlite import SQLiteStore
from tests.unit.store.test_database_faults import _library, _scribble
from tests.unit.test_cli import on_fakes  # noqa: F401 (a fixture)


def _json(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    return json.loads(capsys.readouterr().out)


def test_status_reports_the_database_check_and_the_last_backup(on_fakes: AppPaths,  # noqa: F811
                                                               capsys: pytest.CaptureFixture[str]):
    assert main(["status", "--json"]) == 0
    check = _json(capsys)["database_check"]
    assert check == {"state": "ok", "problem": None, "last_backup": None}
    assert main(["backup", "--json"]) == 0
    made = Path(_json(capsys)["backup"])
    assert made.is_file() and made.parent == on_fakes.data / "backups"
    assert main(["status"]) == 0
    assert "database: ok; last backup: " in capsys.readouterr().out


def test_a_damaged_library_is_reported_by_status_and_refused_by_rate(on_fakes: AppPaths,  # noqa: F811
                                                                    capsys: pytest.CaptureFixture[str]):
    database = on_fakes.database
    _library_pages(database)
    size = database.stat().st_size
    _scribble(database, (size // 4096 // 2) * 4096)
    before = database.read_bytes()
    assert main(["status", "--json"]) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out)["database_check"]["state"] == "damaged"
    assert "chatrec repair" in captured.err and "Traceback" not in captured.err
    assert main(["rate", "movie:1", "4"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("chatrec: error: the database") and "is damaged" in err and "Traceback" not in err
    assert database.read_bytes() == before

    assert main(["repair", "--json"]) == 0
    report = _json(capsys)
    assert report["rows"]["items"] > 0 and Path(str(report["damaged_copy"])).is_file()
    assert main(["status", "--json"]) == 0
    assert _json(capsys)["database_check"]["state"] == "ok"


def _library_pages(database: Path) -> None:
    """Enough rows that a page in the middle holds data (the tiny catalogue fits in a few pages)."""
    store = SQLiteStore.open(database)
    store.close()
    _library(database, items=3000)


def test_restore_goes_back_to_a_backup_and_keeps_what_it_replaced(on_fakes: AppPaths,  # noqa: F811
                                                                  capsys: pytest.CaptureFixture[str]):
    assert main(["backup"]) == 0
    capsys.readouterr()
    store = SQLiteStore.open(on_fakes.database)
    store.rate(ME, "product:grinder", 1)
    store.close()
    assert main(["restore", "--list", "--json"]) == 0
    listed = _json(capsys)["backups"]
    assert len(listed) == 1 and listed[0]["reason"] == "by-hand"
    assert main(["restore", "--json"]) == 0
    done = _json(capsys)
    assert Path(str(done["replaced_kept_at"])).is_file()
    store = SQLiteStore.open(on_fakes.database)
    assert "product:grinder" not in {r.item_id for r in store.ratings_of(ME)}
    store.close()


def test_restoring_a_backup_that_does_not_exist_names_the_ones_there_are(on_fakes: AppPaths,  # noqa: F811
                                                                       capsys: pytest.CaptureFixture[str]):
    assert main(["backup"]) == 0
    capsys.readouterr()
    assert main(["restore", "yesterday"]) == 2
    err = capsys.readouterr().err
    assert "no backup called 'yesterday'; there are: chatrec-" in err


def test_a_zero_byte_database_says_so_and_how_to_get_the_library_back(paths: AppPaths,
                                                                     capsys: pytest.CaptureFixture[str]):
    paths.ensure()
    paths.database.write_bytes(b"")
    assert main(["status"]) == 2
    err = capsys.readouterr().err
    assert "is empty (0 bytes)" in err and "chatrec restore" in err
    assert os.path.getsize(paths.database) == 0
