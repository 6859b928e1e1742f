"""Which embedded model answers: Qwen2.5 0.5B by default, SmolLM2 when Qwen cannot be joined (with a note),
whatever the llm_model_file setting names, and a GGUF dropped into the models folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.bootstrap import MODEL_CACHE_VARIABLE, EmbeddedChatModel, open_engine
from app.config import Settings, save_settings
from app.domain.errors import CancelledError
from app.domain.progress import CancelToken
from app.llm.builtin import QWEN, SMOLLM2
from app.llm.choose import ChatModelChooser
from app.llm.llamacpp import LlamaCppChatModel
from app.model_registry import ModelRegistry
from app.paths import AppPaths
from tests.fakes.builtin_models import PIECES, Builtins, install_fake_builtins
from tests.fakes.embedder import FakeEmbedder
from tests.fakes.vector_store import InMemoryVectorStore


@pytest.fixture
def builtins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Builtins:
    return install_fake_builtins(tmp_path, monkeypatch)


def _registry(paths: AppPaths, settings: Settings | None = None) -> ModelRegistry:
    return ModelRegistry(settings or Settings(), paths)


def _path_of(model: object) -> Path:
    assert isinstance(model, LlamaCppChatModel)
    return model.model_path


def test_qwen_is_the_default_and_is_joined_into_the_cache_with_progress(builtins: Builtins,
                                                                        paths: AppPaths) -> None:
    assert _registry(paths).chat_plan() == [builtins.qwen, builtins.smol]
    source = EmbeddedChatModel(Settings(), paths)
    reports: list[tuple[int, int, str]] = []
    model = source.prepare(lambda d, t, m: reports.append((d, t, m)))
    assert _path_of(model) == paths.chat_models / "qwen-fake.gguf"
    assert _path_of(model).read_bytes() == b"".join(PIECES)
    assert source.notes == ()
    assert reports[-1][:2] == (builtins.qwen.size, builtins.qwen.size) and "Qwen2.5 0.5B" in reports[-1][2]
    assert source() is model  # made once


def test_the_cache_can_be_shared_through_the_environment(builtins: Builtins, paths: AppPaths, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MODEL_CACHE_VARIABLE, str(tmp_path / "shared"))
    assert _path_of(EmbeddedChatModel(Settings(), paths)()) == tmp_path / "shared" / "qwen-fake.gguf"


def test_a_qwen_that_cannot_be_joined_falls_back_to_smollm2_with_a_note(builtins: Builtins,
                                                                        paths: AppPaths) -> None:
    builtins.damage_qwen()
    source = EmbeddedChatModel(Settings(), paths)
    chooser = ChatModelChooser("embedded", lambda: pytest.fail("Ollama was not asked for"), source)
    model, notes = chooser.get()
    assert _path_of(model) == builtins.roots["fake_smol"] / "smol.gguf"
    assert len(notes) == 1 and "fake-qwen-2 is damaged" in notes[0] and notes[0].endswith(
        "using SmolLM2-135M instead")
    assert chooser.get() == (model, notes)  # every turn says so; the parts are not read again
    assert not (paths.chat_models / "qwen-fake.gguf").exists()  # nothing unverified under the final name


def test_a_missing_qwen_part_means_smollm2_with_a_note_naming_the_package(builtins: Builtins,
                                                                          paths: AppPaths) -> None:
    builtins.uninstall("fake_qwen_3")
    # not installed: the automatic choice does not even try it
    assert _registry(paths).chat_plan() == [builtins.smol]
    chosen = Settings(llm_model_file="qwen2.5-0.5b")
    source = EmbeddedChatModel(chosen, paths)
    assert _path_of(source()) == builtins.roots["fake_smol"] / "smol.gguf"
    assert "missing fake-qwen-3" in source.notes[0] and "using SmolLM2-135M instead" in source.notes[0]


def test_the_setting_chooses_smollm2_or_a_file(builtins: Builtins, paths: AppPaths, tmp_path: Path) -> None:
    smol = Settings(llm_model_file="smollm2-135m")
    assert _registry(paths, smol).chat_plan() == [builtins.smol, builtins.qwen]
    assert _path_of(EmbeddedChatModel(smol, paths)()) == builtins.roots["fake_smol"] / "smol.gguf"
    assert not paths.chat_models.exists()  # Qwen was not joined for nothing
    mine = tmp_path / "mine.gguf"
    mine.write_bytes(b"GGUF")
    assert _path_of(EmbeddedChatModel(Settings(llm_model_file=str(mine)), paths)()) == mine


def test_a_gguf_dropped_into_the_models_folder_wins_the_automatic_choice(builtins: Builtins, paths: AppPaths,
                                                                         tmp_path: Path) -> None:
    folder = tmp_path / "my-models"
    folder.mkdir()
    (folder / "mmproj-vision.gguf").write_bytes(b"GGUF" * 100)  # not a chat model
    (folder / "llama.gguf").write_bytes(b"GGUF")
    settings = Settings(models_dir=str(folder))
    assert _registry(paths, settings).chat_plan() == [folder / "llama.gguf"]
    named = Settings(models_dir=str(folder), llm_model_file="llama.gguf")  # a bare name: looked up there
    assert _registry(paths, named).chat_plan() == [folder / "llama.gguf"]
    assert _registry(paths, settings).chat_model_name() == "llama.gguf"


def test_no_built_in_model_at_all(builtins: Builtins, paths: AppPaths) -> None:
    for module in list(builtins.roots):
        builtins.uninstall(module)
    source = EmbeddedChatModel(Settings(), paths)
    assert source() is None and source.notes == ()
    assert _registry(paths).chat_model_name() is None


def test_a_cancelled_preparation_is_tried_again_next_time(builtins: Builtins, paths: AppPaths) -> None:
    cancel = CancelToken()
    cancel.cancel()
    source = EmbeddedChatModel(Settings(), paths)
    with pytest.raises(CancelledError):
        source.prepare(cancel=cancel)
    assert _path_of(source.prepare()).name == "qwen-fake.gguf"


def test_the_settings_screen_lists_installed_models_and_dropped_files(builtins: Builtins, paths: AppPaths,
                                                                      tmp_path: Path) -> None:
    folder = tmp_path / "my-models"
    folder.mkdir()
    (folder / "llama.gguf").write_bytes(b"GGUF")
    (folder / ".hidden.gguf").write_bytes(b"GGUF")
    settings = Settings(models_dir=str(folder))
    choices = _registry(paths, settings).chat_choices()
    assert choices == [("Best installed (automatic)", ""), (QWEN.label, "qwen2.5-0.5b"),
                       (SMOLLM2.label, "smollm2-135m"), ("llama.gguf (models folder)", str(folder / "llama.gguf"))]
    builtins.uninstall("fake_qwen_1")
    assert [value for _label, value in _registry(paths).chat_choices()] == ["", "smollm2-135m"]
    assert _registry(paths).chat_model_name() == "SmolLM2-135M"


def test_the_engine_hands_the_warm_up_its_chat_preparation(builtins: Builtins, paths: AppPaths) -> None:
    save_settings(paths.config_file, Settings(llm_backend="embedded"))  # no Ollama probe
    engine = open_engine(paths, embedder=FakeEmbedder(), vector_store=InMemoryVectorStore(),
                         sound_store=InMemoryVectorStore())
    try:
        reports: list[int] = []
        engine.prepare_chat(lambda d, t, m: reports.append(d), None)
        assert reports and reports[-1] == builtins.qwen.size
        assert (paths.chat_models / "qwen-fake.gguf").is_file()
    finally:
        engine.close()
