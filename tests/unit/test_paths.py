"""The data and models folder settings: which folders are used, and moving a library to a new data folder."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from app.bootstrap import Engine, open_engine
from app.config import Settings, save_settings
from app.domain.errors import ChatRecError
from app.domain.items import ME
from app.paths import AppPaths, model_dirs, models_dir, resolve_paths
from tests.fakes.chat_model import FixedChatSource
from tests.fakes.embedder import FakeEmbedder
from tests.fakes.vector_store import InMemoryVectorStore
from tests.tiny_catalogue import item_id, tiny_catalogue

FARGO = item_id("fargo")


@pytest.fixture
def user_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppPaths:
    """Platform-style folders with no $CHATREC_HOME, so the data folder setting applies."""
    monkeypatch.delenv("CHATREC_HOME", raising=False)
    root = tmp_path / "user"
    return AppPaths(root / "data", root / "cache", root / "config", root / "logs")


def small_engine(paths: AppPaths) -> Engine:
    return open_engine(paths, embedder=FakeEmbedder(), vector_store=InMemoryVectorStore(),
                       sound_store=InMemoryVectorStore(), chat=FixedChatSource())


def make_library(paths: AppPaths, stars: float = 5) -> None:
    """A library with the tiny catalogue, a rating of Fargo and an export, in paths' data folder."""
    engine = small_engine(paths)
    try:
        engine.store.import_catalogue(tiny_catalogue())
        engine.store.rate(ME, FARGO, stars=stars)
    finally:
        engine.close()
    paths.exports.mkdir(parents=True, exist_ok=True)
    (paths.exports / "mine.m3u8").write_text("#EXTM3U\n", encoding="utf-8")


def choose_data_dir(paths: AppPaths, folder: Path) -> None:
    save_settings(paths.config_file, Settings(data_dir=str(folder)))


def my_stars(engine: Engine) -> dict[str, float | None]:
    return {r.item_id: r.stars for r in engine.store.ratings_of(ME)}


# -- resolve_paths and the models folders -----------------------------------------------------------

def test_the_data_folder_setting_moves_only_the_data_folder(tmp_path: Path) -> None:
    paths = AppPaths(tmp_path / "d", tmp_path / "c", tmp_path / "cfg", tmp_path / "l")
    chosen = tmp_path / "library"
    resolved = resolve_paths(paths, Settings(data_dir=str(chosen)), environ={})
    assert resolved == AppPaths(chosen, paths.cache, paths.config, paths.logs)
    assert resolved.database == chosen / "chatrec.sqlite3"
    assert resolve_paths(paths, Settings(), environ={}) == paths


def test_chatrec_home_wins_over_the_data_folder_setting(tmp_path: Path) -> None:
    paths = AppPaths(tmp_path / "d", tmp_path / "c", tmp_path / "cfg", tmp_path / "l")
    settings = Settings(data_dir=str(tmp_path / "library"))
    assert resolve_paths(paths, settings, environ={"CHATREC_HOME": str(tmp_path)}) == paths


def test_an_engine_under_chatrec_home_ignores_the_data_folder_setting(paths: AppPaths, tmp_path: Path) -> None:
    chosen = tmp_path / "library"
    choose_data_dir(paths, chosen)
    engine = small_engine(paths)
    try:
        assert engine.paths.data == paths.data
    finally:
        engine.close()
    assert not chosen.exists()


def test_the_models_folder_setting_is_searched_before_the_built_in_one(tmp_path: Path) -> None:
    assert model_dirs() == [models_dir()]
    assert models_dir(str(tmp_path)) == tmp_path
    assert model_dirs(str(tmp_path)) == [tmp_path, models_dir()]


# -- moving the library -------------------------------------------------------------------------------

def test_the_library_moves_to_the_chosen_folder_once(user_paths: AppPaths, tmp_path: Path,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    make_library(user_paths)
    chosen = tmp_path / "elsewhere" / "library"
    choose_data_dir(user_paths, chosen)
    caplog.set_level(logging.INFO, logger="app.store.relocate")
    engine = small_engine(user_paths)
    try:
        assert engine.paths.data == chosen
        assert engine.store.count("items") == len(tiny_catalogue().items)
        assert my_stars(engine) == {FARGO: 5}
        engine.store.rate(ME, FARGO, stars=2)  # written in the new folder from now on
    finally:
        engine.close()
    assert (chosen / "exports" / "mine.m3u8").read_text(encoding="utf-8") == "#EXTM3U\n"
    assert not user_paths.database.exists()
    assert [p.name for p in chosen.parent.iterdir()] == ["library"]  # no staging folder left behind
    assert "moved the library" in caplog.text

    caplog.clear()
    again = small_engine(user_paths)
    try:
        assert my_stars(again) == {FARGO: 2}
    finally:
        again.close()
    assert "moved the library" not in caplog.text
    assert not user_paths.database.exists()


def test_a_folder_with_other_files_is_refused_and_nothing_is_lost(user_paths: AppPaths, tmp_path: Path) -> None:
    make_library(user_paths)
    chosen = tmp_path / "Documents"
    chosen.mkdir()
    (chosen / "thesis.docx").write_text("years of work", encoding="utf-8")
    choose_data_dir(user_paths, chosen)
    with pytest.raises(ChatRecError) as caught:
        small_engine(user_paths)
    message = str(caught.value)
    assert str(user_paths.data) in message and str(chosen) in message
    assert "not empty" in message and "thesis.docx" in message
    assert [p.name for p in chosen.iterdir()] == ["thesis.docx"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Documents", "user"]
    save_settings(user_paths.config_file, Settings())  # back to the default folder: all still there
    engine = small_engine(user_paths)
    try:
        assert my_stars(engine) == {FARGO: 5}
    finally:
        engine.close()


def test_an_empty_folder_made_by_a_file_manager_is_fine(user_paths: AppPaths, tmp_path: Path) -> None:
    make_library(user_paths)
    chosen = tmp_path / "library"
    chosen.mkdir()
    (chosen / ".DS_Store").write_bytes(b"\0")
    choose_data_dir(user_paths, chosen)
    engine = small_engine(user_paths)
    try:
        assert engine.paths.data == chosen and my_stars(engine) == {FARGO: 5}
    finally:
        engine.close()


def test_a_damaged_library_is_not_moved(user_paths: AppPaths, tmp_path: Path) -> None:
    user_paths.data.mkdir(parents=True)
    damaged = b"SQLite format 3\0" + b"\x07" * 4096
    user_paths.database.write_bytes(damaged)
    chosen = tmp_path / "library"
    choose_data_dir(user_paths, chosen)
    with pytest.raises(ChatRecError, match="could not move your library") as caught:
        small_engine(user_paths)
    assert str(chosen) in str(caught.value) and str(user_paths.data) in str(caught.value)
    assert user_paths.database.read_bytes() == damaged
    assert not chosen.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["user"]


def test_a_folder_that_cannot_be_written_is_refused_and_nothing_is_lost(
        user_paths: AppPaths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_library(user_paths)
    chosen = tmp_path / "read-only" / "library"
    choose_data_dir(user_paths, chosen)

    def refuse(source: str, target: str, **kwargs: object) -> None:
        Path(target).mkdir()
        (Path(target) / "chatrec.sqlite3").write_bytes(b"half")  # fails half way, as a full disk would
        raise PermissionError(13, "Permission denied", target)

    with monkeypatch.context() as patch, pytest.raises(ChatRecError, match="permission denied") as caught:
        patch.setattr("app.store.relocate.shutil.copytree", refuse)  # chmod would not stop a test run as root
        small_engine(user_paths)
    assert str(chosen) in str(caught.value)
    assert not chosen.exists() and list(chosen.parent.iterdir()) == []
    save_settings(user_paths.config_file, Settings())
    engine = small_engine(user_paths)
    try:
        assert my_stars(engine) == {FARGO: 5}
    finally:
        engine.close()


def test_a_chosen_folder_with_a_library_is_used_as_it_is(user_paths: AppPaths, tmp_path: Path) -> None:
    make_library(user_paths, stars=5)
    chosen = tmp_path / "shared-library"
    make_library(AppPaths(chosen, user_paths.cache, user_paths.config, user_paths.logs), stars=1)
    choose_data_dir(user_paths, chosen)
    engine = small_engine(user_paths)
    try:
        assert engine.paths.data == chosen
        assert my_stars(engine) == {FARGO: 1}
    finally:
        engine.close()
    assert user_paths.database.exists()  # the old library is left alone, not merged or deleted


def test_with_no_library_yet_the_chosen_folder_simply_starts_empty(user_paths: AppPaths, tmp_path: Path) -> None:
    chosen = tmp_path / "library"
    choose_data_dir(user_paths, chosen)
    engine = small_engine(user_paths)
    try:
        assert engine.paths.database == chosen / "chatrec.sqlite3" and engine.store.count("items") == 0
    finally:
        engine.close()
    assert not user_paths.data.exists()
