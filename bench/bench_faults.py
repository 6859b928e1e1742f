"""The fault suite as figures: SIGKILL trials on writers, counted instead of asserted.

Runs the trials of tests/fault_trials.py (the same ones the test runs, from the same seed, only more of
them) and records what each trial aimed its kill at and which call it interrupted, where inside the calls
the kills landed and how long the calls take, how many acknowledged writes were looked for and how many were
lost, integrity_check failures, index disagreements, orphan processes and tracebacks, with the targets of
issue 16: 0 acknowledged writes lost, 0 orphan processes, 0 tracebacks shown to a user, and kills at random
points of every kind of call (each kind, and the gap between calls, with at least half its share).

Run from the repository root: .venv/bin/python bench/bench_faults.py [--trials 200]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fault_trials import AIMS, KINDS, SEED, TIMED, FaultRig, Probe, Trial, duration_key  # noqa: E402

RESULT = ROOT / "bench" / "results" / "faults.json"
EXAMPLES = 10  # of each kind of failure, kept in the result to start from


def run(trials: int, probe_every: int, workdir: Path) -> dict[str, Any]:
    """Seed a library, run the trials with a probe every probe_every trials and after the last; the figures."""
    with FaultRig(workdir) as rig:
        seeded = rig.seed()
        if seeded.returncode != 0:
            sys.exit(f"could not seed the library: {seeded.stderr[-2000:]}")
        started = time.perf_counter()
        load_before = os.getloadavg()[0]
        done: list[Trial] = []
        probes: list[Probe] = []
        for number in range(trials):
            done.append(rig.trial(number))
            if number % probe_every == probe_every - 1 or number == trials - 1:
                probes.append(rig.probe())
            if (number + 1) % 20 == 0:
                print(f"{number + 1}/{trials} trials, {time.perf_counter() - started:.0f} s", flush=True)
    return summarise(done, probes, time.perf_counter() - started, load_before, probe_every)


def summarise(done: Sequence[Trial], probes: Sequence[Probe], seconds: float, load_before: float,
              probe_every: int) -> dict[str, Any]:
    """The result file's figures from the trials and probes."""
    acked = Counter(line.split(" ", 1)[0] for trial in done for line in trial.acked)
    lost = [f"trial {t.number}: {line}" for t in done for line in t.lost]
    integrity = [f"trial {t.number}: {t.integrity}" for t in done if t.integrity is not None]
    orphans = [f"trial {t.number}: {len(t.orphans)} processes" for t in done if t.orphans]
    writer_tracebacks = [t.number for t in done if t.writer_traceback]
    status_tracebacks = sum(p.status_traceback for p in probes)
    search_tracebacks = sum(p.search_traceback for p in probes)
    disagreements = sum(p.index_current is not True for p in probes)
    shown = status_tracebacks + search_tracebacks
    orphan_count = sum(len(t.orphans) for t in done)
    kills = {kind: sum(t.killed_in == kind for t in done) for kind in AIMS}
    half_share = len(done) // len(AIMS) // 2
    short = [kind for kind, count in kills.items() if count < half_share]
    targets: dict[str, dict[str, Any]] = {
        "acknowledged_writes_lost": {"target": 0, "measured": len(lost), "met": not lost},
        "orphan_processes": {"target": 0, "measured": orphan_count, "met": orphan_count == 0},
        "tracebacks_shown_to_a_user": {"target": 0, "measured": shown, "met": shown == 0},
        "kinds_of_call_with_under_half_a_share_of_kills": {"target": 0, "measured": len(short), "met": not short,
                                                           "half_a_share": half_share, "short": short}}
    return {
        "trials": len(done),
        "seed": SEED,
        "kills_by_operation": kills,
        "aims": _aims(done),
        "kill_points": _points(done),
        "call_durations_ms": _durations(done),
        "acknowledged_calls_by_operation": {kind: acked.get(kind, 0) for kind in KINDS},
        "acknowledged_writes_checked": sum(t.checked for t in done),
        "acknowledged_writes_lost": len(lost),
        "in_flight_ratings_at_kill": sum(t.in_flight is not None for t in done),
        "aims_not_reached": [t.number for t in done if t.point is None],
        "integrity_check_failures": len(integrity),
        "probes": {"runs": len(probes), "every_n_trials": probe_every,
                   "index_disagreements": disagreements,
                   "database_check_not_ok": sum(p.database_state != "ok" for p in probes),
                   "search_failures": sum(p.search_code != 0 for p in probes),
                   "status_failures": sum(p.status_code != 0 for p in probes)},
        "orphan_processes": orphan_count,
        "trials_with_orphans": len(orphans),
        "tracebacks": {"chatrec_status_runs": len(probes), "in_status": status_tracebacks,
                       "in_search": search_tracebacks, "in_killed_writers": len(writer_tracebacks)},
        "duration_s": round(seconds, 1),
        "seconds_per_trial": round(seconds / max(len(done), 1), 2),
        "examples": {"lost": lost[:EXAMPLES], "integrity": integrity[:EXAMPLES], "orphans": orphans[:EXAMPLES],
                     "writer_tracebacks": writer_tracebacks[:EXAMPLES],
                     "probe_problems": [_tail(p) for p in probes if _tail(p)][:EXAMPLES]},
        "targets": targets,
        "targets_met": all(t["met"] for t in targets.values()),
        "source": _source(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_before": round(load_before, 2),
                    "load_average_after": round(os.getloadavg()[0], 2)},
    }


def _aims(done: Sequence[Trial]) -> dict[str, Any]:
    """What the trials aimed at, how, and how many kills landed in the kind of call aimed at."""
    aimed = {kind: [t for t in done if t.aim is not None and t.aim.kind == kind] for kind in AIMS}
    modes = Counter("timed, first call" if t.aim.first else t.aim.mode for t in done if t.aim is not None)
    return {"scheme": "each trial aims at one kind of call or the gap between calls, in shuffled rounds of six; "
                      "'hold': a profile hook stops the aimed call at a random fraction of the last such call's "
                      "duration and the parent kills it there; 'timed': the parent kills at a random fraction of "
                      "the call's median duration after its 'try' line (every other import and re-index trial, "
                      "half of them at the writer's first call of the kind); 'between': right after an 'ack'",
            "by_operation": {kind: len(trials) for kind, trials in aimed.items()},
            "landed_as_aimed": {kind: sum(t.landed_as_aimed for t in trials) for kind, trials in aimed.items()},
            "modes": dict(sorted(modes.items()))}


def _points(done: Sequence[Trial]) -> dict[str, Any]:
    """Where inside the calls the kills landed: how far in (ms), and the distinct code points held calls stopped at."""
    found: dict[str, Any] = {}
    for kind in KINDS:
        inside = [t for t in done if t.killed_in == kind and t.landed_as_aimed and t.at_ms is not None]
        held = Counter(t.point for t in inside if t.point != "timed")
        at = sorted(t.at_ms for t in inside if t.at_ms is not None)
        of = sorted(t.of_ms for t in inside if t.of_ms is not None)
        found[kind] = {"kills": len(inside), "timed": sum(t.point == "timed" for t in inside),
                       "held": sum(held.values()), "distinct_points_held_at": len(held),
                       "ms_into_the_call": _spread(at), "of_a_call_of_ms": _spread(of),
                       "most_held_at": [f"{n}x {point}" for point, n in held.most_common(5)]}
    return found


def _durations(done: Sequence[Trial]) -> dict[str, Any]:
    """How long the writers' calls took (calls not slowed by the hook), the one that opened the index apart."""
    found: dict[str, Any] = {}
    for kind in KINDS:
        for opens in (True, False) if kind in TIMED else (False,):
            key = duration_key(kind, opens)
            found[key] = _spread(sorted(1000 * s for t in done for s in t.durations.get(key, [])))
    return found


def _spread(values: Sequence[float]) -> dict[str, Any]:
    """Count, min, median, 90th percentile and max of sorted values, rounded."""
    if not values:
        return {"n": 0}
    pick = {"min": values[0], "median": values[len(values) // 2], "p90": values[math.ceil(0.9 * len(values)) - 1],
            "max": values[-1]}
    return {"n": len(values), **{key: round(value, 3) for key, value in pick.items()}}


def _tail(probe: Probe) -> str:
    """What a probe that went wrong printed (the end of its stderr), or "" when it went right."""
    said = []
    if probe.search_code != 0 or probe.search_traceback:
        said.append(f"search exited {probe.search_code}: {probe.search_stderr[-1500:]}")
    if probe.status_code != 0 or probe.status_traceback or probe.database_state != "ok" \
            or probe.index_current is not True:
        said.append(f"status exited {probe.status_code} (database {probe.database_state}, index current "
                    f"{probe.index_current}): {probe.status_stderr[-1500:]}")
    return "\n".join(said)


def _source() -> dict[str, Any]:
    """The commit measured, and whether the app's code differed from it (another edit in progress)."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=30)
        except OSError:
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    changed = git("status", "--porcelain", "--", "app", "tests")
    return {"commit": git("rev-parse", "HEAD"), "uncommitted_changes_in_app_or_tests": None if changed is None
            else bool(changed)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="SIGKILL trials on writers, counted into bench/results/faults.json")
    parser.add_argument("--trials", type=int, default=200, help="how many writers to kill (default 200)")
    parser.add_argument("--probe-every", type=int, default=10,
                        help="run search and status after every N trials, and after the last (default 10)")
    parser.add_argument("--output", type=Path, default=RESULT, help=f"where to write the figures (default {RESULT})")
    args = parser.parse_args(argv)
    if not hasattr(signal, "SIGKILL"):
        sys.exit("the fault trials need SIGKILL (Linux or macOS)")
    if args.trials < 1 or args.probe_every < 1:
        sys.exit("--trials and --probe-every must be at least 1")
    with tempfile.TemporaryDirectory(prefix="chatrec-faults-") as work:
        report = run(args.trials, args.probe_every, Path(work))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({key: report[key] for key in ("trials", "kills_by_operation", "aims",
                                                    "acknowledged_writes_checked",
                                                    "acknowledged_writes_lost", "orphan_processes", "tracebacks",
                                                    "duration_s", "targets_met")}, indent=2))
    return 0 if report["targets_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
