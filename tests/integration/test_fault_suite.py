"""The fault suite: writers SIGKILLed inside every kind of call lose nothing they acknowledged and leave nothing.

The trials themselves live in tests/fault_trials.py, shared with bench/bench_faults.py (which runs more of
them and records the figures). Each trial aims its kill at one kind of call (a rating, a list edit, an import,
an export, a re-index) or at the gap between calls, in turn, at a random point of the call. After each trial:
the writer reached its aim, the database passes integrity_check and is not marked damaged, every acknowledged
rating, list entry, import and export is there (an export is a whole file), the writer showed no traceback,
and no process of the killed writer's session is still alive. Every tenth trial a search brings the index up
to date and `chatrec status` must answer without a traceback, with the database checked sound and the index
current. At the end each kind must have taken at least half its share of the kills.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from tests.fault_trials import AIMS, FaultRig

TRIALS = int(os.environ.get("CHATREC_FAULT_TRIALS", "50"))


@pytest.mark.integration
@pytest.mark.slow
def test_writers_killed_inside_every_kind_of_call_lose_nothing_acknowledged(tmp_path: Path) -> None:
    with FaultRig(tmp_path) as rig:
        seeded = rig.seed()
        assert seeded.returncode == 0, seeded.stderr
        acked_total = 0
        killed_in: Counter[str] = Counter()
        for number in range(TRIALS):
            trial = rig.trial(number)
            acked_total += len(trial.acked)
            killed_in[trial.killed_in] += 1
            assert not trial.writer_traceback, trial.writer_traceback
            assert trial.point is not None, f"trial {number}: the writer never reached its aim {trial.aim}"
            if trial.orphans:
                pytest.fail(f"trial {number}: processes {trial.orphans} of the killed writer were still running "
                            f"10 s later")
            assert trial.integrity is None, f"trial {number}: {trial.integrity}"
            assert not trial.lost, f"trial {number}: acknowledged but not there: {trial.lost}"
            if number % 10 == 9:
                probe = rig.probe()
                assert probe.search_code == 0 and not probe.search_traceback, probe.search_stderr
                assert probe.status_code == 0 and not probe.status_traceback, probe.status_stderr
                assert probe.database_state == "ok" and probe.index_current is True, probe
        assert acked_total > TRIALS  # the kills landed between and inside real work, not before any
        share = TRIALS // len(AIMS) // 2
        assert all(killed_in[kind] >= share for kind in AIMS), f"kills by kind of call: {dict(killed_in)}"
