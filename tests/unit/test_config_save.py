"""Saving settings: atomic TOML that loads back equal, only what differs from the defaults."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from app.config import Settings, load_settings, render_settings, save_settings
from app.domain.errors import ChatRecError, InputError

TRICKY = ['say "hi"', "back\\slash", "C:\\Users\\Zoë\\Music", "tab\there", "new\nline", "ünïcødé ♫ 音楽",
          "bell\x07 and del\x7f", "trailing\\", "'single' quotes", "\\\\server\\share\\\"x\""]


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_strings_load_back_equal(tmp_path: Path, text: str) -> None:
    path = tmp_path / "settings.toml"
    settings = replace(Settings(), ollama_model=text, input_device=text, llm_model_file=text)
    save_settings(path, settings)
    assert load_settings(path) == settings


def test_every_kind_of_value_round_trips_and_only_changes_are_written(tmp_path: Path) -> None:
    path = tmp_path / "config" / "settings.toml"  # the folder is created
    settings = replace(Settings(), theme="dark", llm_backend="ollama", llm_intent=False, default_k=7,
                       lock_timeout_s=1e-05, music_excerpt_s=float("inf"), data_dir="/srv/chat rec",
                       models_dir="C:\\Models" if sys.platform == "win32" else "/opt/models")
    save_settings(path, settings)
    assert load_settings(path) == settings
    text = path.read_text(encoding="utf-8")
    assert 'theme = "dark"' in text and "llm_intent = false" in text
    assert "ollama_host" not in text  # unchanged from its default


def test_defaults_write_an_empty_file_that_loads_as_defaults(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    save_settings(path, Settings())
    assert [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")] == []
    assert load_settings(path) == Settings()


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="needs POSIX permissions, not root")
def test_an_unwritable_folder_gives_a_clear_error_and_keeps_the_old_file(tmp_path: Path) -> None:
    folder = tmp_path / "config"
    path = folder / "settings.toml"
    save_settings(path, replace(Settings(), theme="light"))
    before = path.read_bytes()
    folder.chmod(0o500)
    try:
        with pytest.raises(ChatRecError) as caught:
            save_settings(path, replace(Settings(), theme="dark"))
    finally:
        folder.chmod(0o700)
    assert str(path) in str(caught.value) and "unchanged" in str(caught.value)
    assert path.read_bytes() == before
    assert [p.name for p in folder.iterdir()] == ["settings.toml"]  # no temp file left behind


def test_a_failed_rename_keeps_the_old_file_and_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # root ignores folder permissions, so this failure is simulated where it would happen: the rename
    path = tmp_path / "settings.toml"
    save_settings(path, replace(Settings(), theme="light"))
    before = path.read_bytes()

    def refuse(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(ChatRecError, match=r"Permission denied.*previous settings are unchanged"):
        save_settings(path, replace(Settings(), theme="dark"))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["settings.toml"]


def test_a_config_folder_that_is_a_file_gives_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "config"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(ChatRecError) as caught:
        save_settings(blocker / "settings.toml", replace(Settings(), theme="dark"))
    assert "could not save the settings" in str(caught.value)
    assert blocker.read_text(encoding="utf-8") == "not a folder"


@pytest.mark.parametrize(("field", "value", "words"), [
    ("theme", "pink", "must be one of system, dark, light"),
    ("llm_backend", "cloud", "must be one of"),
    ("default_k", 0, "at least 1"),
    ("data_dir", "relative/folder", "full folder path"),
    ("models_dir", "models", "full folder path"),
    ("llm_timeout_s", float("nan"), "nan"),
    ("input_device", "bad\udcffname", "UTF-8"),
])
def test_bad_values_are_refused_naming_the_field(tmp_path: Path, field: str, value: object, words: str) -> None:
    path = tmp_path / "settings.toml"
    with pytest.raises(InputError) as caught:
        save_settings(path, replace(Settings(), **{field: value}))
    assert caught.value.field == field and f"field '{field}'" in str(caught.value)
    assert words in str(caught.value)
    assert not path.exists()


def test_loading_checks_the_new_settings_too(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('theme = "blue"\n', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_settings(path)
    assert caught.value.field == "theme" and str(path) in str(caught.value)


def test_rendered_text_is_plain_toml_with_escapes() -> None:
    text = render_settings(replace(Settings(), ollama_model='a"b\\c\n'))
    assert 'ollama_model = "a\\"b\\\\c\\n"' in text
