"""`chatrec selftest`: each check timed and reported, a failure named, the others still run."""

import json
from pathlib import Path

import pytest

import app.selftest
from app.cli import main
from app.selftest import SelfTestFailure, run_checks


def _passes(context: object) -> str:
    return "all good"


def _sees_something_wrong(context: object) -> str:
    raise SelfTestFailure("heard 'free comedies' in request.wav")


def _crashes(context: object) -> str:
    raise OSError("libportaudio.so.2: cannot open shared object file")


@pytest.fixture
def fake_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app.selftest, "CHECKS", {"first": _passes, "speech_to_text": _sees_something_wrong,
                                                 "window": _crashes, "last": _passes})


def test_every_check_runs_and_each_failure_says_what_went_wrong(fake_checks: None, capsys: pytest.CaptureFixture[str]):
    code = main(["selftest", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["ok"] is False
    assert list(report["checks"]) == ["first", "speech_to_text", "window", "last"]  # in order, none skipped
    assert report["checks"]["first"] == {"ok": True, "seconds": report["checks"]["first"]["seconds"],
                                         "detail": "all good"}
    assert report["checks"]["speech_to_text"]["detail"] == "heard 'free comedies' in request.wav"
    crash = report["checks"]["window"]["detail"]
    assert crash.startswith("OSError: libportaudio.so.2") and "test_selftest.py" in crash  # where it happened
    assert report["checks"]["last"]["ok"] is True


def test_people_read_one_line_per_check_and_which_failed(fake_checks: None, capsys: pytest.CaptureFixture[str]):
    assert main(["selftest"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("ok   first") and out[1].startswith("FAIL speech_to_text")
    assert out[-1] == "failed: speech_to_text, window (details above)"


def test_all_passing_exits_zero(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.setattr(app.selftest, "CHECKS", {"first": _passes})
    assert main(["selftest", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True


def test_only_runs_the_named_checks(fake_checks: None, paths):
    from app.config import Settings

    results = run_checks(Settings(), paths, ("first", "last"))
    assert list(results) == ["first", "last"]


def test_an_unknown_check_name_is_refused_with_the_names_there_are(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit):
        main(["selftest", "--only", "microwave"])
    assert "vector_index" in capsys.readouterr().err


def test_the_checks_work_in_a_scratch_folder_that_is_removed(monkeypatch: pytest.MonkeyPatch, paths):
    from app.config import Settings

    seen: list[Path] = []

    def remembers(context: app.selftest._Context) -> str:
        (context.scratch / "made.txt").write_text("x")
        seen.append(context.scratch)
        return "ok"

    monkeypatch.setattr(app.selftest, "CHECKS", {"one": remembers})
    assert run_checks(Settings(), paths)["one"].ok
    assert not seen[0].exists() and not paths.database.exists()  # nothing left, the library untouched
