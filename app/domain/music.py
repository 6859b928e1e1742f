"""Music files, their tags, what they sound like, and listens from other services."""

from __future__ import annotations

from dataclasses import dataclass, field

AUDIO_EXTENSIONS = frozenset({".ogg", ".oga", ".opus", ".mp3", ".flac", ".wav", ".m4a"})


@dataclass(frozen=True)
class FoundFile:
    """An audio file a folder scan found, with what tells whether it changed."""

    path: str  # absolute, as found (not resolved through symlinks)
    root: str  # the library folder the user named
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class SkippedFile:
    """A file or folder left out of the library, and why, in words a user can act on."""

    path: str
    reason: str


@dataclass(frozen=True)
class TrackTags:
    """What a file's tags (or, failing them, its file and folder names) say about a track."""

    title: str
    artist: str = ""
    album: str = ""
    genres: tuple[str, ...] = ()
    year: int | None = None
    track_number: int | None = None
    duration_s: float | None = None
    musicbrainz: dict[str, str] = field(default_factory=dict)  # recording, artist, release ids
    from_names: bool = False  # True when the title came from the file name, not a tag


@dataclass(frozen=True)
class AudioDescriptors:
    """Readable facts derived from the feature vector: what a listener would say."""

    tempo_bpm: float
    energy: str  # low | medium | high
    brightness: str  # dark | warm | bright
    key: str  # e.g. "A"
    mode: str  # major | minor

    def words(self) -> str:
        """A short phrase for the item text and reasons, e.g. '128 BPM, high energy, bright, A minor'."""
        return f"{self.tempo_bpm:.0f} BPM, {self.energy} energy, {self.brightness} sound, {self.key} {self.mode}"

    def as_dict(self) -> dict[str, str | float]:
        """The descriptors as a JSON-ready mapping."""
        return {"tempo_bpm": round(self.tempo_bpm, 1), "energy": self.energy,
                "brightness": self.brightness, "key": self.key, "mode": self.mode}


@dataclass(frozen=True)
class AudioFeatures:
    """The raw (not yet standardised) feature vector of an excerpt, and its descriptors."""

    vector: tuple[float, ...]
    descriptors: AudioDescriptors
    excerpt_s: float  # seconds actually decoded and analysed


@dataclass(frozen=True)
class Listen:
    """One play of a track from a listening-history export (ListenBrainz, Last.fm)."""

    artist: str
    title: str
    album: str = ""
    recording_mbid: str = ""
    timestamp: float = 0.0


@dataclass(frozen=True)
class TrackAnalysis:
    """What reading and listening to one file gave: its tags and features, or why it failed."""

    path: str
    tags: TrackTags | None = None
    features: AudioFeatures | None = None
    reason: str = ""  # set when tags or features are None
    cpu_s: float = 0.0  # processor time it took, to find slow files and to benchmark on a busy machine
