"""The one place that builds adapters and wires services from the config."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from app.config import Settings, load_settings
from app.domain.voice import VoiceState
from app.paths import AppPaths, app_paths, models_dir
from app.ports import ChatModel, Embedder, SpeechToText, TextToSpeech, TrackAnalyser, VectorStore
from app.services.catalogue import Catalogue
from app.services.conversation import ChatModelSource, Conversation, ConversationOptions
from app.services.index import ItemIndex
from app.services.listens import ListeningHistory
from app.services.lists import Lists
from app.services.music import MusicLibrary
from app.services.recommendations import Recommendations
from app.services.sound import SoundIndex
from app.services.voice import VoiceLoop
from app.store.conversations import ConversationStore
from app.store.deferred import DeferredVectorStore, ReopenableStore
from app.store.lock import DataDirLock
from app.store.music import MusicFileStore
from app.store.sqlite import SQLiteStore

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from app.voice.audio_io import SoundDeviceAudio


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
    conversation: Conversation
    lists: Lists
    lock: DataDirLock
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        """Close the index, the store and release the data dir, even if one of them fails."""
        try:
            for close in self.closers:
                close()
        finally:
            try:
                self.store.close()
            finally:
                self.lock.release()


def open_engine(paths: AppPaths | None = None, *, embedder: Embedder | None = None,
                vector_store: VectorStore | None = None, sound_store: VectorStore | None = None,
                analyser: TrackAnalyser | None = None, chat: ChatModelSource | None = None) -> Engine:
    """Lock the data dir, open the store and indexes, and wire the services."""
    paths = (paths or app_paths()).ensure()
    settings = load_settings(paths.config_file)
    lock = DataDirLock(paths.lock, settings.lock_timeout_s).acquire()
    store: SQLiteStore | None = None
    try:
        store = SQLiteStore.open(paths.database)
        closers: list[Callable[[], None]] = []
        if vector_store is None:
            chroma = DeferredVectorStore(lambda: _open_chroma(paths, settings))
            closers.append(chroma.close)
            index = ItemIndex(store, _embedder(embedder, settings, paths), chroma, chroma.needs_rebuild)
        else:
            index = ItemIndex(store, _embedder(embedder, settings, paths), vector_store)
        files = MusicFileStore(store)
        analyser = analyser or _analyser(paths, settings)
        sound = _sound_index(files, sound_store, paths, settings, closers)
        music = MusicLibrary(store, files, index, sound, analyser)
        recommendations = Recommendations(store, index, paths.models_cache, sound=sound)
        options = ConversationOptions(llm_intent=settings.llm_intent, rerank=settings.llm_rerank)
        lists = Lists(store)
        conversation = Conversation(store, ConversationStore(store), recommendations,
                                    chat or chat_models(settings, paths), options, lists=lists,
                                    export_dir=paths.exports)
        return Engine(paths, settings, store, index, Catalogue(store, index), recommendations, music, files,
                      ListeningHistory(store), conversation, lists, lock, closers)
    except BaseException:
        if store is not None:
            store.close()
        lock.release()
        raise


def _open_chroma(paths: AppPaths, settings: Settings, collection: str = "items") -> ReopenableStore:
    # chromadb takes seconds to import: only commands that use the index pay for it
    from app.store.chroma import ChromaVectorStore

    if settings.chroma_url:
        return ChromaVectorStore(url=settings.chroma_url, collection=collection)
    # Sound vectors live in their own folder, so either index can be damaged and rebuilt alone.
    return ChromaVectorStore(path=paths.chroma if collection == "items" else paths.chroma_audio,
                             collection=collection)


def _sound_index(files: MusicFileStore, given: VectorStore | None, paths: AppPaths, settings: Settings,
                 closers: list[Callable[[], None]]) -> SoundIndex:
    if given is not None:
        return SoundIndex(files, given)
    chroma = DeferredVectorStore(lambda: _open_chroma(paths, settings, "audio"))
    closers.append(chroma.close)
    return SoundIndex(files, chroma, chroma.needs_rebuild)


def chat_models(settings: Settings, paths: AppPaths, backend: str | None = None) -> ChatModelSource:
    """The chat model chooser for the settings (backend overrides the setting, as `ask --backend` does)."""
    from app.llm.choose import ChatModelChooser

    def ollama() -> ChatModel:
        from app.llm.ollama import OllamaChatModel

        return OllamaChatModel(settings.ollama_model, host=settings.ollama_host, timeout_s=settings.llm_timeout_s)

    def embedded() -> ChatModel | None:
        from app.llm.llamacpp import LlamaCppChatModel, default_gguf, find_gguf

        # A file named in the settings, else one dropped into a models folder, else SmolLM2.
        dropped = [d for d in (paths.data / "models", models_dir()) if d.is_dir() and any(d.glob("*.gguf"))]
        chosen = Path(settings.llm_model_file).expanduser() if settings.llm_model_file else None
        path = chosen or (find_gguf(dropped[0]) if dropped else default_gguf())
        return None if path is None else LlamaCppChatModel(path, timeout_s=settings.llm_timeout_s)

    return ChatModelChooser(backend or settings.llm_backend, ollama, embedded)


def speech_to_text(paths: AppPaths) -> SpeechToText:
    """Whisper: a CTranslate2 model in a models folder (or base, when installed), else tiny.en."""
    from app.voice.stt import WhisperSpeechToText, default_model_dir, find_model

    chosen = find_model(models_dir(), cache_dir=paths.cache / "whisper") or default_model_dir()
    return WhisperSpeechToText(chosen)


def text_to_speech() -> TextToSpeech:
    """Piper with the bundled voice."""
    from app.voice.tts import PiperTextToSpeech

    return PiperTextToSpeech()


def voice_loop(engine: Engine, on_state: Callable[[VoiceState], None] = lambda state: None) -> VoiceLoop:
    """The voice loop over the engine's conversation, with the speech models (loaded on first use)."""
    return VoiceLoop(speech_to_text(engine.paths), text_to_speech(), engine.conversation, on_state)


def audio(input_device: str = "", output_device: str = "") -> SoundDeviceAudio:
    """Microphone and speaker by name (empty: the system's defaults); PortAudio loads on first use."""
    from app.voice.audio_io import SoundDeviceAudio

    return SoundDeviceAudio(input_device=input_device, output_device=output_device)


def preview_clip(path: str, seconds: float = 30.0) -> tuple[NDArray[np.float32], int]:
    """The middle of a track as mono samples and their rate, for the preview player."""
    from app.features.decode import read_excerpt

    rate = 22050
    samples, _ = read_excerpt(path, seconds=seconds, sample_rate=rate)
    return samples, rate


def _analyser(paths: AppPaths, settings: Settings) -> TrackAnalyser:
    from app.features.pool import ProcessPoolAnalyser

    # numba's own variable wins: a test run or a packager can share one compiled cache.
    shared = os.environ.get("NUMBA_CACHE_DIR")
    numba_cache = Path(shared) if shared else paths.numba_cache
    return ProcessPoolAnalyser(numba_cache, workers=settings.music_workers or None,
                               excerpt_s=settings.music_excerpt_s)


def _embedder(given: Embedder | None, settings: Settings, paths: AppPaths) -> Embedder:
    if given is not None:
        return given
    from app.embedding.minilm import MiniLMEmbedder  # loads its model on first use

    # Its own folder: the embedder removes stale derived models it finds there.
    return MiniLMEmbedder(batch_size=settings.embed_batch_size, threads=settings.embed_threads,
                          cache_dir=paths.cache / "embedder")
