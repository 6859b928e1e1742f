"""Ports: the Protocols the services talk to; adapters and fakes implement them."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from app.domain.progress import no_progress

if TYPE_CHECKING:
    import threading

    import numpy as np
    from numpy.typing import NDArray

    from app.domain.chat import Backend, ChatMessage, ChatReply, ToolSpec
    from app.domain.interactions import InteractionMatrix
    from app.domain.music import FoundFile, TrackAnalysis
    from app.domain.progress import CancelToken, ProgressCallback
    from app.domain.voice import AudioBlock, Transcript

MetadataValue = str | int | float | bool


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit-length vectors (cosine similarity == dot product)."""

    @property
    def dimension(self) -> int:
        """The length of every vector."""
        ...

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Embed texts into a (len(texts), dimension) float32 array of unit rows."""
        ...


@dataclass(frozen=True)
class VectorHit:
    """One result of a vector query: an id and its cosine similarity."""

    id: str
    similarity: float


@runtime_checkable
class VectorStore(Protocol):
    """A rebuildable index of vectors with metadata filters (domain, year, genre)."""

    def upsert(self, ids: Sequence[str], vectors: NDArray[np.float32],
               metadatas: Sequence[Mapping[str, MetadataValue]],
               documents: Sequence[str] | None = None) -> None:
        """Insert or replace vectors by id."""
        ...

    def query(self, vector: NDArray[np.float32], k: int,
              where: Mapping[str, object] | None = None) -> list[VectorHit]:
        """The k nearest ids to vector, most similar first, filtered by metadata."""
        ...

    def get_vectors(self, ids: Sequence[str]) -> dict[str, NDArray[np.float32]]:
        """The stored vectors for those ids that exist."""
        ...

    def present(self, ids: Sequence[str]) -> set[str]:
        """Which of those ids are stored (cheaper than get_vectors: no vectors travel)."""
        ...

    def delete(self, ids: Sequence[str]) -> None:
        """Remove ids; unknown ids are ignored."""
        ...

    def count(self) -> int:
        """How many vectors are stored."""
        ...

    def reset(self) -> None:
        """Drop every vector (used before a rebuild)."""
        ...


class ReopenableStore(VectorStore, Protocol):
    """A VectorStore that can say it lost its contents and can be closed."""

    @property
    def needs_rebuild(self) -> bool:
        """True when the index was created empty or reset since it was last written."""
        ...

    def close(self) -> None:
        """Release the store's files and clients."""
        ...


@runtime_checkable
class Recommender(Protocol):
    """Scores every catalogue item for a user's rating row, so new ratings count at once."""

    name: str

    def fit(self, data: InteractionMatrix) -> None:
        """Learn from the training interactions."""
        ...

    def score(self, user_row: NDArray[np.float64]) -> NDArray[np.float64]:
        """Scores over all items for a dense row of stars (0 = unrated); higher is better."""
        ...


@runtime_checkable
class TrackAnalyser(Protocol):
    """Reads the tags of music files and listens to them (the FeatureExtractor of the architecture)."""

    @property
    def extractor_version(self) -> str:
        """Changes whenever the feature vector does: files analysed by another version are redone."""
        ...

    def analyse(self, files: Sequence[FoundFile], progress: ProgressCallback,
                cancel: CancelToken | None = None) -> Iterator[TrackAnalysis]:
        """One analysis per file, in any order, as each finishes; progress only reports start-up."""
        ...


@runtime_checkable
class ChatModel(Protocol):
    """A chat language model: Ollama's server or llama.cpp embedded in the app."""

    @property
    def backend(self) -> Backend:
        """Which kind of model this is: "ollama" or "embedded"."""
        ...

    @property
    def model_name(self) -> str:
        """The model's name as its backend knows it (e.g. "llama3.2:3b" or a GGUF file name)."""
        ...

    def chat(self, messages: Sequence[ChatMessage], *, schema: Mapping[str, Any] | None = None,
             tools: Sequence[ToolSpec] = (), max_tokens: int = 512, temperature: float = 0.0,
             on_text: Callable[[str], None] | None = None, cancel: CancelToken | None = None) -> ChatReply:
        """One reply. schema constrains the content to JSON matching it; on_text streams text as it
        comes; raises ChatModelUnavailableError, ChatModelTimeoutError or CancelledError."""
        ...


class ChatModelSource(Protocol):
    """Chooses the chat model for a turn (Ollama when it answers, else embedded) and says what it fell back from."""

    def get(self) -> tuple[ChatModel | None, tuple[str, ...]]:
        """The model to use (None when none can be loaded) and notes on any fallback."""
        ...


@runtime_checkable
class OllamaProbe(Protocol):
    """What the chooser needs of the Ollama adapter besides chatting."""

    def is_up(self, timeout_s: float = 0.5) -> bool:
        """True when the server answers."""
        ...

    def has_model(self) -> bool:
        """True when the configured model is installed there."""
        ...


@runtime_checkable
class EmbeddedSource(Protocol):
    """An embedded-model factory whose model may need work first (joining a split built-in model's parts)."""

    def prepare(self, progress: ProgressCallback = no_progress, cancel: CancelToken | None = None) -> ChatModel | None:
        """The model, made ready once (later calls return it at once); None when there is none."""
        ...

    @property
    def notes(self) -> tuple[str, ...]:
        """What it fell back from while making the model (a built-in model that could not be joined)."""
        ...


@runtime_checkable
class SpeechToText(Protocol):
    """Turns a recording into words (Whisper through faster-whisper); silence gives no words."""

    def load(self) -> None:
        """Load the model now, so the first request does not wait for it (transcribe loads it otherwise)."""
        ...

    def transcribe(self, samples: NDArray[np.float32], *, hints: Sequence[str] = (), prompt: str = "",
                   cancel: CancelToken | None = None) -> Transcript:
        """Words in 16 kHz mono float samples; hints are names in view to spell right, prompt what was said before."""
        ...


class AudioIO(Protocol):
    """The microphone and the speaker (SoundDeviceAudio, or a fake room in tests)."""

    def capture(self, stop: threading.Event) -> Generator[AudioBlock, None, None]:
        """30 ms blocks of 16 kHz mono, each with its capture time, until stop is set (or the consumer stops)."""
        ...

    def play(self, chunks: Iterable[NDArray[np.float32]], sample_rate: int, cancel: CancelToken) -> None:
        """Play float chunks as they come; stop at once when cancelled or stop_playback is called."""
        ...

    def stop_playback(self) -> None:
        """Stop playing now (the user started talking)."""
        ...


class Speaker(Protocol):
    """Where a spoken reply goes: AudioIO.play, or a collector that writes a file (chatrec voice --out)."""

    def __call__(self, chunks: Iterable[NDArray[np.float32]], sample_rate: int, cancel: CancelToken, /) -> None:
        """Play float chunks as they come; stop at once when cancelled."""
        ...


@runtime_checkable
class TextToSpeech(Protocol):
    """Speaks text (piper), a sentence at a time, so playback can start before the whole reply is done."""

    @property
    def sample_rate(self) -> int:
        """The rate of the samples synthesize yields."""
        ...

    def load(self) -> None:
        """Load the voice now, so the first reply does not wait for it (synthesize loads it otherwise)."""
        ...

    def synthesize(self, text: str, *, cancel: CancelToken | None = None) -> Iterator[NDArray[np.float32]]:
        """Mono float samples in [-1, 1], one chunk per sentence, after cleaning the text for speech."""
        ...


@runtime_checkable
class ClipDecoder(Protocol):
    """Decodes part of an audio file to listen to (a track's preview); app/features/decode.py reads the file."""

    def excerpt(self, path: str, *, seconds: float, sample_rate: int) -> NDArray[np.float32]:
        """At most `seconds` from the middle of the file, mono float32 at sample_rate; AudioFileError says why not."""
        ...
