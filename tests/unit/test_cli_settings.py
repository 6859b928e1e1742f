"""The command line and the settings: default_k sets how many a command lists, a command reads the settings file
once, and `chatrec models` shows what the model registry finds."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from app.cli import main
from app.config import Settings, save_settings
from app.paths import AppPaths
from tests.settings_file import settings_reads
from tests.unit.test_cli import on_fakes  # noqa: F401 (a fixture: the CLI's engine on fakes, reading the settings)


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    code = main([*argv, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    payload = json.loads(captured.out)
    assert isinstance(payload, dict)
    return payload


def items(payload: dict[str, object]) -> list[object]:
    found = payload["items"]
    assert isinstance(found, list)
    return found


@pytest.mark.usefixtures("on_fakes")
@pytest.mark.parametrize("argv", [["recommend", "--user", "ml:0"], ["search", "a film"],
                                  ["similar", "movie:toy-story"]])
def test_a_saved_default_k_is_how_many_a_command_lists_when_not_told(paths: AppPaths,
                                                                     capsys: pytest.CaptureFixture[str],
                                                                     argv: list[str]) -> None:
    assert len(items(run_json(capsys, *argv))) > 2  # the default of 10: more than the tiny catalogue's few
    save_settings(paths.config_file, Settings(default_k=2))
    assert len(items(run_json(capsys, *argv))) == 2
    assert len(items(run_json(capsys, *argv, "--k", "1"))) == 1  # --k still wins


@pytest.mark.usefixtures("on_fakes")
@pytest.mark.parametrize("argv", [["recommend", "--user", "ml:0"], ["models"]])
def test_a_command_reads_the_settings_file_once(paths: AppPaths, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> None:
    save_settings(paths.config_file, Settings(default_k=3, theme="dark"))
    reads = settings_reads(monkeypatch, paths)
    run_json(capsys, *argv)
    assert len(reads) == 1


def test_models_lists_each_kind_with_its_setting_and_choices(paths: AppPaths, capsys: pytest.CaptureFixture[str],
                                                             tmp_path: Path) -> None:
    payload = run_json(capsys, "models")
    found = payload["models"]
    assert isinstance(found, list)
    assert [m["kind"] for m in found] == ["chat", "ollama", "speech", "voice", "embeddings"]
    speech = found[2]
    assert speech["setting"] == "speech_model" and speech["choices"][0] == {"label": "Best installed (automatic)",
                                                                           "value": ""}

    save_settings(paths.config_file, Settings(speech_model=str(tmp_path / "no-whisper")))
    code = main(["models"])
    out = capsys.readouterr().out
    assert code == 0
    line = next(line for line in out.splitlines() if line.startswith("speech:"))
    assert "no-whisper" in line and "does not exist" in line and "speech_model" in line
    assert "    Best installed (automatic)" in out.splitlines()


@pytest.mark.usefixtures("on_fakes")
def test_a_bad_settings_file_stops_a_command_naming_the_field(paths: AppPaths,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    paths.config.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text("default_k = 0\n", encoding="utf-8")
    runs: list[Callable[[], int]] = [lambda: main(["models"]), lambda: main(["recommend"])]
    for run in runs:
        assert run() == 2
        assert "default_k" in capsys.readouterr().err
