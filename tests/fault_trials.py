"""The fault suite's trials, shared by tests/integration/test_fault_suite.py and bench/bench_faults.py.

Each trial starts a writer process (the real engine, the real SQLite store and the real local Chroma
index, the fake embedder so it is quick) that rates, edits lists, imports a small product file, exports a
list and re-indexes, in a random order, printing "try ..." before each call and "ack ..." only after it
returned. The trial kills the writer alone with SIGKILL after a random delay (anything it started must end
by itself) and then looks, from a fresh process's point of view: whether the database passes
integrity_check and is not marked damaged, whether every acknowledged rating, list entry, import and export
is there (an export is a whole file), and whether any process of the killed writer's session is still
alive. A probe runs `chatrec search` (which brings the index up to date with the database, whatever the
kill hit) and `chatrec status --json`, and reads whether the index agrees and what a user was shown.

Nothing here asserts: a trial reports what it found, the test asserts on it and the benchmark counts it.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = 20261207
KINDS = ("rate", "list", "import", "export", "reindex")
BETWEEN = "between"  # the kill came after one call's ack and before the next call began
ORPHAN_WAIT_S = 10.0  # what the killed writer's session gets to end by itself

WRITER = r'''
import json, random, sys, time
from pathlib import Path
from app.bootstrap import open_engine
from app.domain.items import ME
from app.paths import app_paths
from tests.fakes.embedder import FakeEmbedder

seed, products, exports = int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
rng = random.Random(seed)
engine = open_engine(app_paths(), embedder=FakeEmbedder())
print("open", flush=True)
ids = engine.store.item_ids()
for step in range(10_000):
    op = rng.choice(["rate", "rate", "rate", "list", "import", "export", "reindex"])
    if op == "rate":
        item, stars = rng.choice(ids), rng.randint(1, 5)
        print(f"try rate {item} {stars}", flush=True)  # may be saved and killed before its ack
        engine.store.rate(ME, item, stars)
        print(f"ack rate {item} {stars}", flush=True)
    elif op == "list":
        name = f"list {rng.randint(0, 3)}"
        item = rng.choice(ids)
        print(f"try list {json.dumps(name)} {item}", flush=True)
        if name not in {p.name for p in engine.lists.all()}:
            engine.lists.create(name)
        engine.lists.add(name, [item])
        print(f"ack list {json.dumps(name)} {item}", flush=True)
    elif op == "import":
        origin = f"shop{rng.randint(0, 2)}"
        print(f"try import {origin}", flush=True)
        engine.catalogue.import_products(products, origin=origin)
        print(f"ack import {origin}", flush=True)
        ids = engine.store.item_ids()
    elif op == "export":
        lists = [p.name for p in engine.lists.all() if p.item_ids]
        if lists:
            target = exports / f"export-{seed}-{step}.json"
            print(f"try export {target}", flush=True)
            engine.lists.export(rng.choice(lists), "json", target)
            print(f"ack export {target}", flush=True)
    else:
        print("try reindex", flush=True)
        engine.index.rebuild()
        print("ack reindex", flush=True)
'''


@dataclass
class Trial:
    """What one killed writer left: its acknowledged calls, and every way the library fell short."""

    number: int
    killed_in: str  # the kind of call the kill interrupted, or BETWEEN
    acked: list[str]
    in_flight: str | None  # the rating being written when the kill came: it may or may not be saved
    checked: int = 0  # acknowledged writes looked for in the database (or, for an export, on disk)
    lost: list[str] = field(default_factory=list)  # acknowledged writes that were not there
    integrity: str | None = None  # why the database failed its check, or None
    orphans: list[int] = field(default_factory=list)  # processes of the writer's session still alive
    writer_traceback: str = ""  # the tail of the writer's stderr when it held a traceback


@dataclass(frozen=True)
class Probe:
    """What `chatrec search` and `chatrec status --json` showed a user after a trial."""

    search_code: int
    search_stderr: str
    status_code: int
    status_stderr: str
    database_state: str | None
    index_current: bool | None

    @property
    def search_traceback(self) -> bool:
        """Whether search showed a traceback."""
        return "Traceback" in self.search_stderr

    @property
    def status_traceback(self) -> bool:
        """Whether status showed a traceback."""
        return "Traceback" in self.status_stderr


def write_products(path: Path) -> Path:
    """The small product file every import reads: 40 mugs."""
    rows = ["id,title,brand,category,tags,price,description"]
    rows += [f"mug{n},Mug {n},Acme,kitchen,coffee;ceramic,{10 + n}.00,A sturdy mug number {n}" for n in range(40)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


class FaultRig:
    """A data folder, the product file and the export folder the trials share, in workdir."""

    def __init__(self, workdir: Path, *, seed: int = SEED, environ: Mapping[str, str] | None = None) -> None:
        self.home = workdir / "home"
        self.env = {**(environ if environ is not None else os.environ), "CHATREC_HOME": str(self.home),
                    "PYTHONPATH": str(ROOT)}
        self.products = write_products(workdir / "products.csv")
        self.exports = workdir / "exports"
        self.exports.mkdir(exist_ok=True)
        self.database = self.home / "data" / "chatrec.sqlite3"
        self._rng = random.Random(seed)

    def _chatrec(self, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, env=self.env, capture_output=True,
                              text=True, timeout=timeout)

    def seed(self) -> subprocess.CompletedProcess[str]:
        """Import the product file once, as a user would, so the writers have items to rate."""
        return self._chatrec("import", "products", str(self.products), timeout=300)

    def trial(self, number: int) -> Trial:
        """Start a writer, SIGKILL it after a random delay, and look at what it left."""
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(number), str(self.products), str(self.exports)],
                                  cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  start_new_session=True)
        assert writer.stdout is not None
        opened = writer.stdout.readline().strip()
        if opened != "open":
            writer.kill()
            raise RuntimeError(f"trial {number}: the writer did not open: {writer.communicate(timeout=30)[1][-2000:]}")
        time.sleep(self._rng.uniform(0.05, 1.5))
        os.kill(writer.pid, signal.SIGKILL)  # the writer alone: anything it started must end by itself
        out, err = writer.communicate(timeout=30)
        found = _read_output(number, out)
        if "Traceback" in err:
            found.writer_traceback = err[-3000:]
        found.orphans = _wait_for_session(writer.pid, ORPHAN_WAIT_S)
        if found.orphans:
            os.killpg(writer.pid, signal.SIGKILL)  # do not leave them for the next trial
        self._check(found)
        return found

    def probe(self) -> Probe:
        """Search (bringing the index up to date with the database), then ask for the status."""
        search = self._chatrec("search", "sturdy mug", "--json", timeout=300)
        status = self._chatrec("status", "--json", timeout=120)
        state: str | None = None
        current: bool | None = None
        if status.returncode == 0:
            try:
                report = json.loads(status.stdout)
                state, current = report["database_check"]["state"], report["index_current"]
            except (ValueError, KeyError, TypeError):
                pass  # left as None: the probe reports that status said nothing readable
        return Probe(search.returncode, search.stderr[-2000:], status.returncode, status.stderr[-2000:], state,
                     current)

    def _check(self, trial: Trial) -> None:
        """Fill in the trial's integrity problem, its checked writes and the ones lost."""
        if (self.database.parent / "chatrec.sqlite3.damaged").exists():
            trial.integrity = "the database was marked damaged"
        raw = sqlite3.connect(self.database)
        try:
            verdict = raw.execute("PRAGMA integrity_check").fetchone()[0]
            stars = dict(raw.execute("SELECT item_id, stars FROM ratings WHERE user_id='me'").fetchall())
            entries = {(name, item) for name, item in raw.execute(
                "SELECT l.name, e.item_id FROM list_entries e JOIN lists l ON l.id = e.list_id")}
            origins = {row[0] for row in raw.execute("SELECT DISTINCT origin FROM items")}
            products = raw.execute("SELECT COUNT(*) FROM items WHERE domain='product'").fetchone()[0]
            items = {row[0] for row in raw.execute("SELECT id FROM items")}
        finally:
            raw.close()
        if verdict != "ok" and trial.integrity is None:
            trial.integrity = f"integrity_check: {verdict}"
        last: dict[str, int] = {}
        for line in trial.acked:
            kind, _, rest = line.partition(" ")
            if kind == "rate":
                item, stars_text = rest.split()
                last[item] = int(stars_text)
            elif kind == "list":
                name, item = rest.rsplit(" ", 1)
                trial.checked += 1
                if (json.loads(name), item) not in entries and item in items:
                    trial.lost.append(line)
            elif kind == "import":  # the file's 40 products are there (a later import of the same ids may own them)
                trial.checked += 1
                if products != 40 or not origins:
                    trial.lost.append(line)
            elif kind == "export":
                trial.checked += 1
                if not _whole_json(Path(rest)):
                    trial.lost.append(line)
        maybe = {}
        if trial.in_flight is not None:
            _kind, item, stars_text = trial.in_flight.split()
            maybe[item] = int(stars_text)
        for item, value in last.items():  # the last acknowledged rating of each item is the one kept
            trial.checked += 1
            kept = stars.get(item)
            if kept not in (value, maybe.get(item)) and item in items:
                trial.lost.append(f"rate {item} {value} (kept: {kept})")


def _read_output(number: int, out: str) -> Trial:
    """The writer's acknowledged calls, the call the kill interrupted, and a rating perhaps half-made."""
    acked: list[str] = []
    pending: str | None = None  # the last "try" not followed by its "ack"
    for line in out.splitlines():
        if line.startswith("try "):
            pending = line[4:]
        elif line.startswith("ack "):
            acked.append(line[4:])
            pending = None
    killed_in = pending.split(" ", 1)[0] if pending else BETWEEN
    in_flight = pending if pending is not None and killed_in == "rate" else None
    return Trial(number, killed_in, acked, in_flight)


def _whole_json(path: Path) -> bool:
    try:
        return bool(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return False


def _session_members(session: int) -> list[int]:
    """The live processes of a session (read from /proc; elsewhere, the leader's group when it still answers)."""
    proc = Path("/proc")
    if not (proc / "self" / "stat").exists():
        try:
            os.killpg(session, 0)
        except ProcessLookupError:
            return []
        return [session]
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()  # state, ppid, pgrp, session, ...
        if fields[0] != "Z" and int(fields[3]) == session:
            found.append(int(entry.name))
    return found


def _wait_for_session(session: int, timeout_s: float) -> list[int]:
    """Wait until no process of the session runs; those still running after timeout_s."""
    deadline = time.monotonic() + timeout_s
    alive = _session_members(session)
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = _session_members(session)
    return alive
