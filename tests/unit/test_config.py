import sys
from pathlib import Path

import pytest

from app.config import Settings, load_settings
from app.domain.errors import InputError
from app.paths import app_paths, resources_dir


def test_missing_settings_file_means_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "settings.toml") == Settings()


def test_settings_are_read_and_ints_widen_to_floats(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('chroma_url = "http://127.0.0.1:8000"\ndefault_k = 5\nlock_timeout_s = 2\n', encoding="utf-8")
    settings = load_settings(path)
    assert (settings.chroma_url, settings.default_k, settings.lock_timeout_s) == ("http://127.0.0.1:8000", 5, 2.0)


@pytest.mark.parametrize(("text", "message"), [
    ("default_k = [", "not valid TOML"),
    ("colour = 'blue'", "field 'colour': unknown setting"),
    ("default_k = 'ten'", "field 'default_k': expected int, got str"),
    ("embed_threads = true", "field 'embed_threads': expected int, got bool"),
    ("embed_threads = 0", "field 'embed_threads': must be at least 1, got 0"),
    ("lock_timeout_s = -1.5", "field 'lock_timeout_s': must be at least 0, got -1.5"),
])
def test_a_bad_settings_file_names_the_file_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_settings(path)
    assert str(path) in str(caught.value) and message in str(caught.value)


def test_chatrec_home_puts_everything_under_one_folder(tmp_path: Path) -> None:
    paths = app_paths({"CHATREC_HOME": str(tmp_path)})
    assert paths.database == tmp_path / "data" / "chatrec.sqlite3"
    assert paths.chroma.parent == paths.data and paths.models_cache.parent == tmp_path / "cache"


def test_resources_come_from_the_bundle_in_a_frozen_build(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert (resources_dir() / "samples" / "products.json").is_file()
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources_dir() == tmp_path / "resources"
