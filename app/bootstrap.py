"""The one place that builds adapters and wires services from the config."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from app.config import Settings, load_settings
from app.domain.progress import CancelToken, ProgressCallback, no_progress
from app.domain.voice import VoiceState
from app.features.decode import ExcerptDecoder
from app.model_registry import ModelRegistry
from app.paths import AppPaths, app_paths, resolve_paths
from app.ports import (
    ChatModel,
    ChatModelSource,
    Embedder,
    ReopenableStore,
    SpeechToText,
    TextToSpeech,
    TrackAnalyser,
    VectorStore,
)
from app.services.catalogue import Catalogue
from app.services.conversation import Conversation, ConversationOptions
from app.services.film_history import FilmDiary
from app.services.history import HistoryImport
from app.services.index import ItemIndex
from app.services.library_status import LibraryStatus
from app.services.listens import ListeningHistory
from app.services.lists import Lists
from app.services.music import MusicLibrary
from app.services.preview import TrackPreview
from app.services.ratings import Ratings
from app.services.recommendations import Recommendations
from app.services.sound import SoundIndex
from app.services.voice import VoiceLoop
from app.store.conversations import ConversationStore
from app.store.deferred import DeferredVectorStore
from app.store.lock import DataDirLock
from app.store.music import MusicFileStore
from app.store.relocate import adopt_data_dir
from app.store.sqlite import SQLiteStore

if TYPE_CHECKING:
    from app.store.index_host import IndexHost
    from app.voice.audio_io import SoundDeviceAudio

log = logging.getLogger(__name__)
# Where built-in chat models split across packages are joined; a test run or a packager can share one copy.
MODEL_CACHE_VARIABLE = "CHATREC_MODEL_CACHE"
PrepareChat = Callable[[ProgressCallback, CancelToken | None], object]


def _no_preparation(progress: ProgressCallback, cancel: CancelToken | None) -> None:
    """A chat source that needs no preparation (one a test hands in)."""


@dataclass
class Engine:
    """The wired, headless app: the store, the index and the use cases over them."""

    paths: AppPaths
    settings: Settings
    store: SQLiteStore
    index: ItemIndex
    catalogue: Catalogue
    recommendations: Recommendations
    music: MusicLibrary
    music_files: MusicFileStore
    listens: ListeningHistory
    history: HistoryImport  # Letterboxd, IMDb and Spotify histories
    conversation: Conversation
    lists: Lists
    ratings: Ratings
    library_status: LibraryStatus  # what the Library page and `chatrec status` show
    preview: TrackPreview
    lock: DataDirLock
    closers: list[Callable[[], None]] = field(default_factory=list)
    # Makes the chat model ready (joining a split built-in model: seconds, once) with progress; the
    # window's warm-up calls it so the first turn does not wait.
    prepare_chat: PrepareChat = _no_preparation

    def close(self) -> None:
        """Close the indexes, the store and release the data dir, even if one of them fails."""
        try:
            failures: list[Exception] = []
            for close in self.closers:
                try:
                    close()
                except Exception as exc:  # the others still close; the first failure is raised below
                    failures.append(exc)
            if failures:
                raise failures[0]
        finally:
            try:
                self.store.close()
            finally:
                self.lock.release()


def open_engine(paths: AppPaths | None = None, *, embedder: Embedder | None = None,
                vector_store: VectorStore | None = None, sound_store: VectorStore | None = None,
                analyser: TrackAnalyser | None = None, chat: ChatModelSource | None = None,
                responsive: bool = False, settings: Settings | None = None) -> Engine:
    """Lock the data dir, open the store and indexes, and wire the services.

    settings: those read at start (the settings file is read when none are given: config is read once).

    responsive: a window runs on this process's main thread, so local Chroma indexes live in a helper
    process (app/store/index_host.py: chromadb holds the GIL for a whole call); the command line opens
    them in this process.
    """
    given = paths or app_paths()
    # The settings file is in the config folder, which never moves: read it first, then pick the data folder.
    settings = settings if settings is not None else load_settings(given.config_file)
    paths = resolve_paths(given, settings)
    if paths.data != given.data:
        adopt_data_dir(given, paths, settings.lock_timeout_s)
    paths = paths.ensure()
    lock = DataDirLock(paths.lock, settings.lock_timeout_s).acquire()
    store: SQLiteStore | None = None
    try:
        store = SQLiteStore.open(paths.database)
        closers: list[Callable[[], None]] = []
        host = _index_host(settings, closers) if responsive else None
        if vector_store is None:
            chroma = DeferredVectorStore(lambda: _open_chroma(paths, settings, host=host))
            closers.insert(0, chroma.close)
            index = ItemIndex(store, _embedder(embedder, settings, paths), chroma, chroma.needs_rebuild)
        else:
            index = ItemIndex(store, _embedder(embedder, settings, paths), vector_store)
        files = MusicFileStore(store)
        analyser = analyser or music_analyser(paths, settings)
        sound = _sound_index(files, sound_store, paths, settings, closers, host)
        music = MusicLibrary(store, files, index, sound, analyser)
        recommendations = Recommendations(store, index, paths.models_cache, sound=sound)
        options = ConversationOptions(llm_intent=settings.llm_intent, rerank=settings.llm_rerank,
                                      model_replies=settings.llm_replies)
        lists = Lists(store)
        ratings = Ratings(store)
        source = chat or chat_models(settings, paths)
        conversation = Conversation(store, ConversationStore(store), recommendations, source, options,
                                    lists=lists, ratings=ratings, export_dir=paths.exports, embed=index.embed_texts)
        prepare = getattr(source, "prepare", None)  # a warm-up makes the chat model ready with progress
        listening = ListeningHistory(store)
        catalogue = Catalogue(store, index, paths.cache / "downloads")
        status = LibraryStatus(store, files, index, paths.data)
        preview = TrackPreview(store, ExcerptDecoder())  # its decoders load when a preview first plays
        return Engine(paths, settings, store, index, catalogue, recommendations, music, files,
                      listening, HistoryImport(FilmDiary(store), listening), conversation, lists, ratings, status,
                      preview, lock, closers, prepare if callable(prepare) else _no_preparation)
    except BaseException:
        if store is not None:
            store.close()
        lock.release()
        raise


def _index_host(settings: Settings, closers: list[Callable[[], None]]) -> IndexHost | None:
    """The helper process for local indexes (a Chroma server is already out of process)."""
    if settings.chroma_url:
        return None
    from app.store.index_host import IndexHost

    host = IndexHost()
    closers.append(host.stop)  # last: after the stores' own closers
    return host


def _open_chroma(paths: AppPaths, settings: Settings, collection: str = "items",
                 host: IndexHost | None = None) -> ReopenableStore:
    # chromadb takes seconds to import: only commands that use the index pay for it
    from app.store.chroma import ChromaVectorStore

    if settings.chroma_url:
        return ChromaVectorStore(url=settings.chroma_url, collection=collection, headers=chroma_headers(settings))
    # Sound vectors live in their own folder, so either index can be damaged and rebuilt alone.
    opener = partial(ChromaVectorStore, paths.chroma if collection == "items" else paths.chroma_audio,
                     collection=collection)
    return opener() if host is None else host.store(collection, opener)


def chroma_headers(settings: Settings) -> dict[str, str]:
    """The HTTP headers for the Chroma server: the extra ones, and the proxy's token as a bearer."""
    from app.domain.remote import proxy_headers

    return proxy_headers(settings.chroma_token, settings.chroma_headers, "chroma")


def _sound_index(files: MusicFileStore, given: VectorStore | None, paths: AppPaths, settings: Settings,
                 closers: list[Callable[[], None]], host: IndexHost | None) -> SoundIndex:
    if given is not None:
        return SoundIndex(files, given)
    chroma = DeferredVectorStore(lambda: _open_chroma(paths, settings, "audio", host))
    closers.insert(0, chroma.close)
    return SoundIndex(files, chroma, chroma.needs_rebuild)


def chat_models(settings: Settings, paths: AppPaths, backend: str | None = None) -> ChatModelSource:
    """The chat model chooser for the settings (backend overrides the setting, as `ask --backend` does)."""
    from app.llm.choose import ChatModelChooser

    def ollama() -> ChatModel:
        from app.llm.ollama import OllamaChatModel

        return OllamaChatModel(settings.ollama_model, host=settings.ollama_host, timeout_s=settings.llm_timeout_s,
                               token=settings.ollama_token, headers=settings.ollama_headers)

    return ChatModelChooser(backend or settings.llm_backend, ollama, EmbeddedChatModel(settings, paths))


def chat_model_cache(paths: AppPaths) -> Path:
    """Where split built-in models are joined: $CHATREC_MODEL_CACHE when set, else the user's cache."""
    shared = os.environ.get(MODEL_CACHE_VARIABLE)
    return Path(shared).expanduser() if shared else paths.chat_models


class EmbeddedChatModel:
    """The embedded model the settings choose, made once. A built-in model split across packages is joined
    into the cache first (reporting bytes); when that fails, the next built-in model answers, with a note."""

    def __init__(self, settings: Settings, paths: AppPaths) -> None:
        self._settings = settings
        self._paths = paths
        self._lock = threading.Lock()
        self._made: tuple[ChatModel | None, tuple[str, ...]] | None = None

    def __call__(self) -> ChatModel | None:
        """The model (joining its parts first when needed); None when no embedded model is installed."""
        return self.prepare()

    @property
    def notes(self) -> tuple[str, ...]:
        """What was fallen back from while making the model, for the turn's fallbacks."""
        return self._made[1] if self._made is not None else ()

    def prepare(self, progress: ProgressCallback = no_progress, cancel: CancelToken | None = None) -> ChatModel | None:
        """Make the model ready once; CancelledError leaves it to be made next time."""
        with self._lock:
            if self._made is None:
                self._made = self._make(progress, cancel)
            return self._made[0]

    def _make(self, progress: ProgressCallback,
              cancel: CancelToken | None) -> tuple[ChatModel | None, tuple[str, ...]]:
        from app.llm.builtin import ModelAssemblyError, assemble
        from app.llm.llamacpp import LlamaCppChatModel

        settings = self._settings
        plan = ModelRegistry(settings, self._paths).chat_plan()
        notes: list[str] = []
        for n, choice in enumerate(plan):
            if isinstance(choice, Path):
                return LlamaCppChatModel(choice, timeout_s=settings.llm_timeout_s), tuple(notes)
            try:
                path = assemble(choice, chat_model_cache(self._paths), progress=progress, cancel=cancel)
            except ModelAssemblyError as exc:
                log.warning("the built-in model %s cannot be used: %s", choice.name, exc)
                following = plan[n + 1] if n + 1 < len(plan) else None
                instead = "" if following is None else f"; using {following.name} instead"
                notes.append(f"{str(exc).rstrip('.')}{instead}")
                continue
            return LlamaCppChatModel(path, timeout_s=settings.llm_timeout_s), tuple(notes)
        return None, tuple(notes)


def speech_to_text(paths: AppPaths, settings: Settings | None = None) -> SpeechToText:
    """Whisper as the speech model setting says (the registry chooses): best installed, tiny.en, base, or a
    CTranslate2 folder."""
    from app.voice.stt import WhisperSpeechToText

    return WhisperSpeechToText(ModelRegistry(settings or Settings(), paths).speech_folder())


def text_to_speech(settings: Settings | None = None, paths: AppPaths | None = None) -> TextToSpeech:
    """Piper with the voice the settings name, else the bundled voice (else one in a models folder)."""
    from app.voice.tts import PiperTextToSpeech

    settings = settings or Settings()
    files = ModelRegistry(settings, paths or resolve_paths(app_paths(), settings)).voice_files()
    # no voice at all: the voice says which package to install when it is first used
    model, config = files if files is not None else (None, None)
    return PiperTextToSpeech(model, config)


def voice_loop(engine: Engine, on_state: Callable[[VoiceState], None] = lambda state: None) -> VoiceLoop:
    """The voice loop over the engine's conversation, with the speech models (loaded on first use)."""
    return VoiceLoop(speech_to_text(engine.paths, engine.settings), text_to_speech(engine.settings, engine.paths),
                     engine.conversation, on_state)


def audio(input_device: str = "", output_device: str = "") -> SoundDeviceAudio:
    """Microphone and speaker by name (empty: the system's defaults); PortAudio loads on first use."""
    from app.voice.audio_io import SoundDeviceAudio

    return SoundDeviceAudio(input_device=input_device, output_device=output_device)


def music_analyser(paths: AppPaths, settings: Settings, workers: int | None = None) -> TrackAnalyser:
    """The music analyser: spawned workers (workers, else the setting, else one per core) sharing numba's cache."""
    from app.features.pool import ProcessPoolAnalyser

    # numba's own variable wins: a test run or a packager can share one compiled cache.
    shared = os.environ.get("NUMBA_CACHE_DIR")
    numba_cache = Path(shared) if shared else paths.numba_cache
    return ProcessPoolAnalyser(numba_cache, workers=workers or settings.music_workers or None,
                               excerpt_s=settings.music_excerpt_s)


def configured(paths: AppPaths | None = None) -> tuple[Settings, AppPaths]:
    """The saved settings and the paths they choose, for commands that need no engine (nothing is moved)."""
    given = paths or app_paths()
    settings = load_settings(given.config_file)
    return settings, resolve_paths(given, settings)


def _embedder(given: Embedder | None, settings: Settings, paths: AppPaths) -> Embedder:
    if given is not None:
        return given
    from app.embedding.minilm import MiniLMEmbedder  # loads its model on first use

    # Its own folder: the embedder removes stale derived models it finds there.
    return MiniLMEmbedder(batch_size=settings.embed_batch_size, threads=settings.embed_threads,
                          cache_dir=paths.cache / "embedder")
