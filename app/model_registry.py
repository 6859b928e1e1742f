"""Every model the app uses, in one place: where each kind is looked for, how it is described to the user, and
which one the settings choose.

Four kinds. Chat: the built-in GGUFs shipped as PyPI packages (app.llm.builtin), a chat .gguf dropped into a
models folder or named by llm_model_file, and the Ollama model by name (ollama_model; whether Ollama answers
is the chooser's question, per turn). Speech: Whisper base (two packages, joined once into the cache), a
CTranslate2 Whisper folder dropped in or named by speech_model, and tiny.en. Voice: the bundled piper voice,
or a .onnx voice dropped in or named by voice_model. Embeddings: MiniLM. The models folders are searched in
order (the models_dir setting, data/models, models/ beside the app) and the first match wins.

Nothing here loads a model: bootstrap builds the adapters from what ModelRegistry chooses; Settings, the
welcome and `chatrec models` show what it describes. Like bootstrap, it may import adapter modules (lazily,
inside functions) for the facts they own: where a package put its files, whether a folder holds a model.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.config import Choice, Settings
from app.domain.errors import ModelMissingError
from app.domain.remote import host_name
from app.paths import AppPaths, model_dirs

if TYPE_CHECKING:
    from app.llm.builtin import BuiltinModel

log = logging.getLogger(__name__)

AUTOMATIC = Choice("Best installed (automatic)", "")
TINY, BASE = "tiny.en", "base"  # the speech_model values that name a packaged Whisper model
_TINY_LABEL = "Whisper tiny.en (bundled, fastest)"
_BASE_LABEL = "Whisper base (more accurate)"
_VOICE_LABEL = "Joe, US English (bundled)"
_TEXT_MODEL_LABEL = "all-MiniLM-L6-v2 (bundled)"


def model_folders(settings: Settings, paths: AppPaths) -> list[Path]:
    """Where dropped-in models are looked for, first match wins: the models folder setting, data/models, models/."""
    folders = model_dirs(settings.models_dir)
    # data/models (the first drop-in place) keeps its turn before the folder beside the app
    return [*folders[:-1], paths.data / "models", folders[-1]]


def in_model_folders(value: str, folders: list[Path]) -> Path:
    """A model path from the settings; a bare name is looked up in the models folders."""
    path = Path(value).expanduser()
    if path.is_absolute():
        return path
    return next((folder / path for folder in folders if (folder / path).exists()), path)


def whisper_dir_problem(folder: Path) -> str:
    """What keeps folder from being a CTranslate2 Whisper model, in words for the user."""
    if not folder.exists():
        return "does not exist"
    if not folder.is_dir():
        return "is a file, not a folder"
    missing = [name for name in ("model.bin", "config.json") if not (folder / name).is_file()]
    return (f"is not a CTranslate2 Whisper model: it has no {' and no '.join(missing)}" if missing
            else "is not a CTranslate2 Whisper model")


@dataclass(frozen=True)
class ModelInUse:
    """One kind of model as the user is told about it: the one the settings choose and what else there is."""

    kind: str  # chat, ollama, speech, voice or embeddings
    setting: str  # the setting that chooses it ("" when none does)
    model: str | None  # the one the app would use, described; None when there is none
    problem: str | None  # why the chosen one cannot be used (naming the setting), or None
    choices: tuple[Choice, ...] = ()  # what the setting may be set to (the automatic choice first)


class ModelRegistry:
    """The models one set of settings chooses among, found by their files only (nothing is loaded or joined,
    except by speech_folder, which joins Whisper base when it is the choice)."""

    def __init__(self, settings: Settings, paths: AppPaths) -> None:
        """paths: the library's folders (its data/models is searched, its cache holds the joined Whisper base)."""
        self.settings = settings
        self.paths = paths
        self.folders = model_folders(settings, paths)

    # -- chat ---------------------------------------------------------------------------------------------

    def chat_plan(self) -> list[Path | BuiltinModel]:
        """The built-in assistant's models to try, first choice first; the later ones are fallbacks.

        llm_model_file names a GGUF file (a bare name is looked up in the models folders: no fallback, the
        user asked for that file) or a built-in model (then the other installed built-in models follow).
        Empty: the largest GGUF dropped into a models folder, else the installed built-in models, best
        first: Qwen2.5 0.5B, then SmolLM2-135M.
        """
        from app.llm.builtin import builtin_model, installed_models
        from app.llm.llamacpp import dropped_gguf

        choice = self.settings.llm_model_file
        builtin = builtin_model(choice)
        if choice and builtin is None:
            return [in_model_folders(choice, self.folders)]
        others: list[Path | BuiltinModel] = [m for m in installed_models() if m != builtin]
        if builtin is not None:
            return [builtin, *others]
        dropped = next((found for folder in self.folders if (found := dropped_gguf(folder)) is not None), None)
        return [dropped] if dropped is not None else others

    def chat_choices(self) -> list[Choice]:
        """The built-in assistant's models: automatic, each installed built-in model, chat GGUFs in the models
        folders (in chat_plan's order when nothing is dropped in; a dropped GGUF wins "automatic")."""
        from app.llm.builtin import installed_models
        from app.llm.llamacpp import chat_ggufs

        choices: list[Choice] = [AUTOMATIC]
        choices += [Choice(model.label, model.key) for model in installed_models()]
        seen: set[Path] = set()
        for folder in self.folders:
            for path in chat_ggufs(folder):
                if path.resolve() not in seen:
                    seen.add(path.resolve())
                    choices.append(Choice(f"{path.name} (models folder)", str(path)))
        return choices

    def chat_model_name(self) -> str | None:
        """The name of the model the built-in assistant would use (nothing is joined or loaded); None when
        there is none."""
        plan = self.chat_plan()
        if not plan:
            return None
        first = plan[0]
        if isinstance(first, Path) and not first.is_file():
            return None
        return first.name

    def chat_problem(self, value: str) -> str | None:
        """Why value cannot be the llm_model_file setting (for the user), or None when it can."""
        from app.llm.builtin import builtin_model

        if not value or builtin_model(value) is not None:
            return None  # a built-in model that is not installed falls back to another, with a note
        path = in_model_folders(value, self.folders)
        if not path.is_file():
            return "no such file"
        if path.suffix.lower() != ".gguf":
            return "not a GGUF model file (.gguf)"
        return None

    # -- speech -------------------------------------------------------------------------------------------

    def _speech_plan(self) -> list[Path | str]:
        """The Whisper models to try, first choice first: a folder, or BASE (joined from its packages when used).
        A chosen folder that is not a Whisper model raises ModelMissingError naming the setting."""
        from app.voice.stt import default_model_dir, is_whisper_dir

        choice = self.settings.speech_model
        tiny = default_model_dir()
        last: list[Path | str] = [tiny] if tiny is not None else []
        if choice == TINY:
            return last
        if choice == BASE:
            return [BASE, *last]
        if choice:
            folder = in_model_folders(choice, self.folders)
            if not is_whisper_dir(folder):
                raise ModelMissingError(f"the speech model folder {folder} {whisper_dir_problem(folder)}. Choose "
                                        "another speech model in Settings (Voice tab; the speech_model setting), "
                                        "or 'Best installed'")
            return [folder]
        # Best installed: base, else a Whisper folder dropped into a models folder, else tiny.en.
        return [BASE, *self._dropped_whisper_dirs(), *last]

    def _dropped_whisper_dirs(self) -> list[Path]:
        from app.voice.stt import is_whisper_dir

        return [d for folder in self.folders if folder.is_dir()
                for d in sorted(folder.iterdir()) if d.is_dir() and is_whisper_dir(d)]

    def speech_folder(self) -> Path | None:
        """The Whisper folder to load (Whisper base is joined into the cache first when it is the choice); None
        when tiny.en is wanted but not installed (loading says so)."""
        from app.voice.stt import assemble_base_model

        for entry in self._speech_plan():
            if not isinstance(entry, str):
                return entry
            base = assemble_base_model(self.paths.cache / "whisper")  # where base's split weights are joined once
            if base is not None:
                return base
            if self.settings.speech_model == BASE:
                log.warning("the speech model is set to Whisper base, which is not installed; using tiny.en")
        return None

    def speech_choices(self) -> list[Choice]:
        """Whisper models to hand, in speech_folder's order of preference (the first after "automatic" is the
        one it would use): base when installed, CTranslate2 folders dropped in, tiny.en."""
        from app.voice.stt import base_model_installed, default_model_dir

        choices: list[Choice] = [AUTOMATIC]
        if base_model_installed():
            choices.append(Choice(_BASE_LABEL, BASE))
        choices += [Choice(f"{d.name} (models folder)", str(d)) for d in self._dropped_whisper_dirs()]
        if default_model_dir() is not None:
            choices.append(Choice(_TINY_LABEL, TINY))
        return choices

    def speech_in_use(self) -> str | None:
        """The Whisper model speech_folder would choose, described, without joining anything; None when none is
        installed. ModelMissingError when the chosen folder is not a Whisper model."""
        from app.voice.stt import base_model_installed, default_model_dir

        for entry in self._speech_plan():
            if isinstance(entry, str):
                if base_model_installed():
                    return _BASE_LABEL
                continue
            if entry == default_model_dir():
                return _TINY_LABEL
            return f"{entry.name} (models folder)" if entry.parent in self.folders else str(entry)
        return None

    # -- voice --------------------------------------------------------------------------------------------

    def voice_files(self) -> tuple[Path, Path] | None:
        """The piper voice (model, config) the settings name, else the bundled one; when that is not installed,
        a voice dropped into a models folder stands in. None when there is no voice at all (loading says so)."""
        from app.voice.tts import default_voice

        if self.settings.voice_model:
            model = in_model_folders(self.settings.voice_model, self.folders)
            config = model.with_name(model.name + ".json")  # piper's convention: <voice>.onnx.json beside it
            for needed, what in ((model, "voice file"), (config, "voice settings file (.onnx.json)")):
                if not needed.is_file():
                    raise ModelMissingError(f"the {what} {needed} is missing. Put it there, or choose another "
                                            "voice in Settings (Voice tab; the voice_model setting), or the "
                                            "bundled one")
            return model, config
        bundled = default_voice()
        if bundled is not None:
            return bundled
        dropped = next(iter(self._dropped_voices()), None)  # beats failing later
        if dropped is None:
            return None
        log.info("the bundled voice is not installed; using %s", dropped)
        return dropped, dropped.with_name(dropped.name + ".json")

    def _dropped_voices(self) -> list[Path]:
        return [model for folder in self.folders for model in sorted(folder.glob("*.onnx"))
                if model.with_name(model.name + ".json").is_file()]

    def voice_choices(self) -> list[Choice]:
        """Piper voices: the bundled one (saved as "") and any .onnx voice (with its .onnx.json) in the models
        folders."""
        from app.voice.tts import default_voice

        bundled = _VOICE_LABEL if default_voice() is not None else "Bundled voice (not installed)"
        return [Choice(bundled, ""), *(Choice(f"{f.stem} (models folder)", str(f)) for f in self._dropped_voices())]

    def voice_in_use(self) -> str | None:
        """The voice voice_files would choose, described; None when no voice is installed. ModelMissingError
        when the chosen voice's files are missing."""
        from app.voice.tts import default_voice

        files = self.voice_files()
        if files is None:
            return None
        if files == default_voice():
            return _VOICE_LABEL
        model = files[0]
        return f"{model.stem} (models folder)" if model.parent in self.folders else str(model)

    # -- embeddings ---------------------------------------------------------------------------------------

    @staticmethod
    def text_model_problem() -> str | None:
        """Why the text embedding model (MiniLM) cannot load, or None when it is installed."""
        from app.embedding.minilm import default_model_path, default_tokenizer_path

        try:
            default_model_path()
            default_tokenizer_path()
        except ModelMissingError as exc:
            return str(exc)
        return None

    # -- all of them --------------------------------------------------------------------------------------

    def summary(self) -> list[ModelInUse]:
        """Every kind of model: the one in use, why it cannot be used, and the choices (for `chatrec models`)."""
        settings = self.settings
        chat_problem = self.chat_problem(settings.llm_model_file)
        chat = ModelInUse("chat", "llm_model_file", self.chat_model_name(),
                          None if chat_problem is None else f"llm_model_file {settings.llm_model_file!r}: "
                                                            f"{chat_problem}", tuple(self.chat_choices()))
        asked = "asked first" if settings.llm_backend != "embedded" else "not asked (llm_backend is embedded)"
        ollama = ModelInUse("ollama", "ollama_model", f"{settings.ollama_model} on {host_name(settings.ollama_host)}"
                                                      f", {asked}", None)
        speech = self._described("speech", "speech_model", self.speech_in_use, self.speech_choices())
        voice = self._described("voice", "voice_model", self.voice_in_use, self.voice_choices())
        text_problem = self.text_model_problem()
        text = ModelInUse("embeddings", "", _TEXT_MODEL_LABEL if text_problem is None else None, text_problem)
        return [chat, ollama, speech, voice, text]

    @staticmethod
    def _described(kind: str, setting: str, in_use: Callable[[], str | None], choices: list[Choice]) -> ModelInUse:
        try:
            return ModelInUse(kind, setting, in_use(), None, tuple(choices))
        except ModelMissingError as exc:
            return ModelInUse(kind, setting, None, str(exc), tuple(choices))

