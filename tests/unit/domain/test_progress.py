"""The time left shown beside slow work: timed per phase, absent until there is a pace."""

from __future__ import annotations

from app.domain.progress import PhasePace, eta_text


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_eta_text_from_the_pace_so_far() -> None:
    assert eta_text(10, 100, 5.0) == "about 45 s left"
    assert eta_text(10, 1000, 5.0) == "about 8 min 15 s left"
    assert eta_text(0, 100, 5.0) == "" and eta_text(100, 100, 5.0) == ""


def test_each_phase_is_timed_from_its_own_start() -> None:
    clock = Clock()
    pace = PhasePace(clock)
    assert pace.eta(0, 1000, "saving rows") == ""  # no pace yet
    clock.now += 10
    assert pace.eta(500, 1000, "saving rows") == "about 10 s left"
    # A new phase: the ten seconds spent saving say nothing about indexing's pace.
    clock.now += 1
    assert pace.eta(0, 1000, "indexing item texts") == ""
    clock.now += 100
    assert pace.eta(100, 1000, "indexing item texts") == "about 15 min 0 s left"


def test_a_message_with_its_own_estimate_is_left_alone() -> None:
    clock = Clock()
    pace = PhasePace(clock)
    pace.eta(0, 10, "analysing tracks (about 2 min left)")
    clock.now += 5
    assert pace.eta(5, 10, "analysing tracks (about 5 s left)") == ""


def test_restart_forgets_the_previous_job() -> None:
    clock = Clock()
    pace = PhasePace(clock)
    pace.eta(0, 100, "indexing item texts")
    clock.now += 50
    pace.restart()
    assert pace.eta(50, 100, "indexing item texts") == ""  # the new job starts its own clock here
