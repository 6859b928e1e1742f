"""The fault suite's trials, shared by tests/integration/test_fault_suite.py and bench/bench_faults.py.

Each trial starts a writer process (the real engine, the real SQLite store and the real local Chroma
index, the fake embedder so it is quick) that rates, edits lists, imports a small product file, exports a
list and re-indexes, in a random order, printing "try ..." before each call and "ack ..." only after it
returned. The trial kills the writer alone with SIGKILL (anything it started must end by itself) and then
looks, from a fresh process's point of view: whether the database passes integrity_check and is not marked
damaged, whether every acknowledged rating, list entry, import and export is there (an export is a whole
file), and whether any process of the killed writer's session is still alive. A probe runs `chatrec search`
(which brings the index up to date with the database, whatever the kill hit) and `chatrec status --json`,
and reads whether the index agrees and what a user was shown.

Where the kill lands is aimed, not left to chance: kills spread evenly in time land almost always inside the
long calls (an import or a re-index takes 50-250 ms, the writer's first one about half a second as it opens
the index; a rating takes a fraction of a millisecond). Each trial aims at one kind of call (rate, list, import,
export, reindex) or at the gap between calls, the six taken in shuffled rounds so each gets a sixth of any
run, after a random number of warm-up steps and at a random fraction of the call's duration, one of two ways.
"hold": a profile hook in the writer times the aimed kind's calls and stops the next one at the first Python
or C function call or return after that fraction of the last one's duration, prints "hold" with where it
stopped and sleeps, and the parent kills it there (the only way to land inside a call of a fraction of a
millisecond on a loaded machine). "timed" (every other import and re-index trial, half of those at the
writer's first call of the kind): the parent kills that fraction of the median duration earlier writers
reported after the call's "try" line, which can land inside C code (SQLite, Chroma's Rust bindings) and
inside the first call, which opens the index. "between": the writer holds right after an "ack". Whatever was
aimed, a trial records the call in flight from the writer's own output (the last "try" without its "ack").
The app's code is not changed. Writers are started two trials ahead: each loads its modules (chromadb too)
and waits for "go" on its stdin before it opens the library, so a trial's time goes to the calls.

Nothing here asserts: a trial reports what it found, the test asserts on it and the benchmark counts it.
"""

from __future__ import annotations

import json
import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
SEED = 20261207
KINDS = ("rate", "list", "import", "export", "reindex")
BETWEEN = "between"  # the kill came after one call's ack and before the next call began
AIMS = (*KINDS, BETWEEN)  # what a trial can aim at, each given a fair share of the trials
TIMED = ("import", "reindex")  # long enough for the parent's own clock: every other trial of theirs is timed
WARM_UP_STEPS = 8  # at most this many calls of any kind before the aimed one is stalked
AIM_VARIABLE = "CHATREC_FAULT_AIM"  # how the writer is told what to aim at (JSON of an Aim)
AHEAD = 2  # writers started ahead of their trials (loading modules takes longer than a trial's calls)
AIM_WAIT_S = 120.0  # how long a writer gets to reach its aim before the trial says it missed
ORPHAN_WAIT_S = 10.0  # what the killed writer's session gets to end by itself

WRITER = r'''
import json, os, random, sys, time
from pathlib import Path
from app.bootstrap import open_engine
from app.domain.items import ME
from app.paths import app_paths
from tests.fakes.embedder import FakeEmbedder

seed, products, exports = int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
aim = json.loads(os.environ.get("CHATREC_FAULT_AIM") or "null")  # tests/fault_trials.py's Aim, or no aim
rng = random.Random(seed)
import chromadb  # loaded before the trial starts, like the modules above: the kills are for the calls
if sys.stdin.readline().strip() != "go":  # started ahead of its trial, which never came
    sys.exit(0)
engine = open_engine(app_paths(), embedder=FakeEmbedder())
print("open", flush=True)
here = os.getcwd() + os.sep
calls = {}  # how many calls of each kind were made
hooked_s = None  # how long the last call of the aimed kind lasted with the hook on (it slows a call)


def where(frame, event, arg):
    """The point a call was stopped at: the event, the function, and the caller's file and line."""
    path = frame.f_code.co_filename
    if "site-packages" + os.sep in path:
        path = path.split("site-packages" + os.sep)[-1]
    elif path.startswith(here):
        path = path[len(here):]
    name = getattr(arg, "__qualname__", repr(arg)) if event.startswith("c_") else frame.f_code.co_qualname
    return f"{event} {name} ({path}:{frame.f_lineno})"


def call(step, kind, label, action):
    """Print "try", make the call (stopping inside it when it is aimed at), print "ack" and its duration."""
    global hooked_s
    calls[kind] = calls.get(kind, 0) + 1
    # The hook is on from the aimed kind's second call (the first may open the index, which the hook would
    # slow further). Each hooked call is timed, and the next one stopped at a fraction of that.
    hooked = aim is not None and aim["kind"] == kind and aim["mode"] == "hold" and calls[kind] > 1
    aimed = aim is not None and aim["kind"] == kind and step >= aim["after_steps"]
    print(f"try {label}", flush=True)
    started = time.perf_counter()
    if hooked:
        deadline = None if hooked_s is None or not aimed else started + aim["at"] * hooked_s
        of_ms = 0.0 if hooked_s is None else 1000 * hooked_s

        def stop(frame, event, arg):
            if deadline is not None and time.perf_counter() >= deadline:
                sys.setprofile(None)
                at_ms = 1000 * (time.perf_counter() - started)
                print(f"hold {at_ms:.3f} {of_ms:.3f} {where(frame, event, arg)}", flush=True)
                time.sleep(600)  # the parent kills it here

        sys.setprofile(stop)
        try:
            result = action()
        finally:
            sys.setprofile(None)
        hooked_s = time.perf_counter() - started  # stopped at a fraction of this the next time
    else:
        result = action()
    took = time.perf_counter() - started
    print(f"ack {label}", flush=True)
    if not hooked:
        print(f"took {kind} {took:.6f}", flush=True)  # what the parent's clock aims by
    if aim is not None and aim["kind"] == "between" and step >= aim["after_steps"]:
        print(f"hold 0 0 after {kind}", flush=True)
        time.sleep(600)  # the parent kills it here, between two calls
    return result


def add_to_list(name, item):
    if name not in {p.name for p in engine.lists.all()}:
        engine.lists.create(name)
    engine.lists.add(name, [item])


ids = engine.store.item_ids()
for step in range(10_000):
    op = rng.choice(["rate", "rate", "rate", "list", "import", "export", "reindex"])
    if op == "rate":
        item, stars = rng.choice(ids), rng.randint(1, 5)
        # may be saved and killed before its ack
        call(step, "rate", f"rate {item} {stars}", lambda: engine.store.rate(ME, item, stars))
    elif op == "list":
        name = f"list {rng.randint(0, 3)}"
        item = rng.choice(ids)
        call(step, "list", f"list {json.dumps(name)} {item}", lambda: add_to_list(name, item))
    elif op == "import":
        origin = f"shop{rng.randint(0, 2)}"
        call(step, "import", f"import {origin}",
             lambda: engine.catalogue.import_products(products, origin=origin))
        ids = engine.store.item_ids()
    elif op == "export":
        lists = [p.name for p in engine.lists.all() if p.item_ids]
        if lists:
            target = exports / f"export-{seed}-{step}.json"
            chosen = rng.choice(lists)
            call(step, "export", f"export {target}", lambda: engine.lists.export(chosen, "json", target))
    else:
        call(step, "reindex", "reindex", engine.index.rebuild)
'''


@dataclass(frozen=True)
class Aim:
    """Where a trial means its kill to land: inside which kind of call, after how many steps, and how."""

    kind: str  # one of KINDS, or BETWEEN
    mode: str  # "hold" (the writer stops inside the call and waits for the kill) or "timed" (the parent's clock)
    after_steps: int  # the writer's steps before the aimed kind is stalked (so the state varies)
    at: float  # the kill's moment, as a fraction [0, 1) of the call's expected duration
    first: bool = False  # timed: the writer's first call of the kind (it may open the index, which is slow)


@dataclass
class Trial:
    """What one killed writer left: its acknowledged calls, and every way the library fell short."""

    number: int
    killed_in: str  # the kind of call the kill interrupted, or BETWEEN (from the writer's own output)
    acked: list[str]
    in_flight: str | None  # the rating being written when the kill came: it may or may not be saved
    aim: Aim | None = None
    point: str | None = None  # where a held call was stopped ("timed" for a timed kill), None if the aim missed
    at_ms: float | None = None  # how far into the call the kill was aimed (a held call: where it stopped)
    of_ms: float | None = None  # the duration at_ms is a fraction of: the last hooked call's, or the median
    # Seconds each call not slowed by the hook took, by kind; the writer's first import or re-index, which
    # opens the index, under "<kind> opening the index".
    durations: dict[str, list[float]] = field(default_factory=dict)
    checked: int = 0  # acknowledged writes looked for in the database (or, for an export, on disk)
    lost: list[str] = field(default_factory=list)  # acknowledged writes that were not there
    integrity: str | None = None  # why the database failed its check, or None
    orphans: list[int] = field(default_factory=list)  # processes of the writer's session still alive
    writer_traceback: str = ""  # the tail of the writer's stderr when it held a traceback

    @property
    def landed_as_aimed(self) -> bool:
        """Whether the kill interrupted the kind of call (or the gap) the trial aimed at."""
        return self.aim is not None and self.killed_in == self.aim.kind


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
        self._aims: list[Aim] = []
        self._took: dict[str, list[float]] = {}  # Trial.durations of all the trials so far
        self._waiting: dict[int, _Writer] = {}  # the next trials' writers, started ahead

    def _chatrec(self, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, env=self.env, capture_output=True,
                              text=True, timeout=timeout)

    def seed(self) -> subprocess.CompletedProcess[str]:
        """Import the product file once, as a user would, so the writers have items to rate."""
        return self._chatrec("import", "products", str(self.products), timeout=300)

    def aim(self, number: int) -> Aim:
        """Trial number's aim: the kinds in shuffled rounds of six, so each gets a fair share of any run."""
        while len(self._aims) <= number:
            round_ = list(AIMS)
            self._rng.shuffle(round_)
            for kind in round_:
                seen = sum(a.kind == kind for a in self._aims)  # of TIMED's: hold, timed first, hold, timed later
                mode = "timed" if kind in TIMED and seen % 2 == 1 else "hold"
                self._aims.append(Aim(kind, mode, self._rng.randint(0, WARM_UP_STEPS), self._rng.random(),
                                      first=mode == "timed" and seen % 4 == 1))
        return self._aims[number]

    def trial(self, number: int) -> Trial:
        """Let a writer go, SIGKILL it where the trial's aim says, and look at what it left."""
        aim = self.aim(number)
        writer = self._waiting.pop(number, None) or self._start(number)
        try:
            opened = writer.go(time.monotonic() + 300)
            if opened != "open":
                writer.end()
                raise RuntimeError(f"trial {number}: the writer did not open: {writer.errors()[-2000:]}")
            for ahead in range(number + 1, number + 1 + AHEAD):  # they load their modules while this trial runs
                if ahead not in self._waiting:
                    self._waiting[ahead] = self._start(ahead)
            point, at_ms, of_ms = _stalk(writer.lines, aim, self.expected_s, time.monotonic() + AIM_WAIT_S)
            os.kill(writer.pid, signal.SIGKILL)  # the writer alone: anything it started must end by itself
            writer.end()
            err = writer.errors()
        finally:
            writer.close()
        found = _read_output(number, writer.lines.lines)
        found.aim, found.point, found.at_ms, found.of_ms = aim, point, at_ms, of_ms
        for key, seconds in found.durations.items():
            self._took.setdefault(key, []).extend(seconds)
        if "Traceback" in err:
            found.writer_traceback = err[-3000:]
        found.orphans = _wait_for_session(writer.pid, ORPHAN_WAIT_S)
        if found.orphans:
            os.killpg(writer.pid, signal.SIGKILL)  # do not leave them for the next trial
        self._check(found)
        return found

    def close(self) -> None:
        """Send away the writers started ahead for trials that will not run."""
        while self._waiting:
            self._waiting.popitem()[1].close()

    def __enter__(self) -> FaultRig:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _start(self, number: int) -> _Writer:
        """Start trial number's writer: it loads its modules and waits for "go" before it opens the library."""
        # A file, not a pipe: nothing the writer says can block it. _Writer.close closes it.
        errors = tempfile.TemporaryFile()  # noqa: SIM115
        env = {**self.env, AIM_VARIABLE: json.dumps(asdict(self.aim(number)))}
        process = subprocess.Popen([sys.executable, "-c", WRITER, str(number), str(self.products),
                                    str(self.exports)], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=errors, start_new_session=True)
        return _Writer(number, process, errors)

    def expected_s(self, kind: str, opens_index: bool) -> float:
        """How long a call of this kind takes (one opening the index, or not): the median of earlier trials'."""
        seen = sorted(self._took.get(duration_key(kind, opens_index), []))
        if not seen:  # the first trials: about what a loaded 2-core machine takes
            return 0.5 if opens_index else 0.1
        return seen[len(seen) // 2]

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


def duration_key(kind: str, opens_index: bool) -> str:
    """Where Trial.durations keeps a call's duration: the call that opens the index apart."""
    return f"{kind} opening the index" if opens_index else kind


def _stalk(stream: _Lines, aim: Aim, expected_s: Callable[[str, bool], float],
           deadline: float) -> tuple[str | None, float | None, float | None]:
    """Read the writer's lines until the moment to kill it; where it was stopped, how far into the call, of how long.

    A timed aim counts the writer's calls by their "try" lines and kills the aimed call aim.at of its expected
    duration after its "try". Returns (None, None, None) when the writer ended or the deadline passed first.
    """
    steps = 0
    calls: dict[str, int] = {}
    index_opened = False
    while (line := stream.next(deadline)) is not None:
        if line.startswith("hold ") and aim.mode == "hold":
            _hold, at_ms, of_ms, point = line.split(" ", 3)
            return point, float(at_ms), float(of_ms)
        if not line.startswith("try ") or aim.mode != "timed":
            continue
        kind = line.split(" ", 2)[1]
        steps, calls[kind] = steps + 1, calls.get(kind, 0) + 1
        first = calls[kind] == 1
        opens_index, index_opened = kind in TIMED and not index_opened, index_opened or kind in TIMED
        if kind == aim.kind and (first if aim.first else not first and steps > aim.after_steps):
            expected = expected_s(kind, opens_index)
            time.sleep(aim.at * expected)
            return "timed", 1000 * aim.at * expected, 1000 * expected
    return None, None, None


class _Writer:
    """A writer process and its output: started ahead of its trial, it waits for "go" on its stdin."""

    def __init__(self, number: int, process: subprocess.Popen[bytes], errors: IO[bytes]) -> None:
        assert process.stdin is not None and process.stdout is not None
        self.number = number
        self.pid = process.pid
        self._process = process
        self._errors = errors
        self.lines = _Lines(process.stdout)

    def go(self, deadline: float) -> str | None:
        """Let it open the library; its first line ("open" when it did)."""
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(b"go\n")
            self._process.stdin.close()
        except BrokenPipeError:
            pass  # it ended already: its stderr says why
        return self.lines.next(deadline)

    def end(self) -> None:
        """Wait for the killed writer (kill it if it was not) and read the rest of its output."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait(timeout=30)
        self.lines.drain()

    def errors(self) -> str:
        """What it wrote to stderr."""
        self._errors.seek(0)
        return self._errors.read().decode("utf-8", errors="replace")

    def close(self) -> None:
        """Close its pipes and files; a writer still waiting for "go" reads the end of its stdin and exits."""
        for pipe in (self._process.stdin, self._process.stdout):
            if pipe is not None and not pipe.closed:
                pipe.close()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()  # ours, and stuck: it must not outlive the rig
            self._process.wait(timeout=30)
        self._errors.close()


class _Lines:
    """The writer's stdout as lines, read straight from the pipe (select, no buffer to lose to a later read)."""

    def __init__(self, pipe: IO[bytes]) -> None:
        self._fd = pipe.fileno()
        self._pending = b""
        self._ended = False
        self.lines: list[str] = []

    def next(self, deadline: float) -> str | None:
        """The next whole line, or None at the end of the output or when the deadline passes."""
        while b"\n" not in self._pending:
            left = deadline - time.monotonic()
            if self._ended or left <= 0 or not self._read(left):
                return None
        line, self._pending = self._pending.split(b"\n", 1)
        text = line.decode("utf-8", errors="replace")
        self.lines.append(text)
        return text

    def drain(self, quiet_s: float = 0.5) -> None:
        """Read the rest: to the end, or until quiet_s passes with nothing new (an orphan may hold the pipe)."""
        while not self._ended and self._read(quiet_s):
            pass
        while self.next(time.monotonic()) is not None:
            pass
        if self._pending:  # a last line cut short by the kill
            self.lines.append(self._pending.decode("utf-8", errors="replace"))
            self._pending = b""

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self._fd], [], [], timeout)
        if not ready:
            return False
        chunk = os.read(self._fd, 65536)
        self._ended = not chunk
        self._pending += chunk
        return bool(chunk)


def _read_output(number: int, lines: list[str]) -> Trial:
    """The writer's acknowledged calls, the call the kill interrupted, a rating perhaps half-made, the timings."""
    acked: list[str] = []
    durations: dict[str, list[float]] = {}
    pending: str | None = None  # the last "try" not followed by its "ack"
    opens = index_opened = False  # whether the last call opened the index, whether any did
    for line in lines:
        if line.startswith("try "):
            pending = line[4:]
            kind = pending.split(" ", 1)[0]
            opens, index_opened = kind in TIMED and not index_opened, index_opened or kind in TIMED
        elif line.startswith("ack "):
            acked.append(line[4:])
            pending = None
        elif line.startswith("took ") and line.count(" ") == 2:  # follows its call's "ack"
            _took, kind, seconds = line.split()
            durations.setdefault(duration_key(kind, opens), []).append(float(seconds))
    killed_in = pending.split(" ", 1)[0] if pending else BETWEEN
    in_flight = pending if pending is not None and killed_in == "rate" else None
    return Trial(number, killed_in, acked, in_flight, durations=durations)


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
