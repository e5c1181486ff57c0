"""Typed records that cross every boundary: tracks, summaries, requests, verdicts, picks.

The ``Field(description=...)`` texts are the schema a language model sees when it
reads or writes these records (structured outputs), so they are written for it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

EnergyLevel = Literal["low", "medium", "high", "very_high"]
TempoClass = Literal["slow", "moderate", "fast", "very_fast"]
Mode = Literal["major", "minor"]
PitchClass = Literal["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
Intent = Literal["recommend", "refine", "explain", "describe", "chat"]

CORE_DIMENSIONS: tuple[str, ...] = (
    "genre_family",
    "production_style",
    "timbre",
    "vocal_role",
    "vocal_delivery",
)
"""Dimensions that can justify similarity on their own."""

SECONDARY_DIMENSIONS: tuple[str, ...] = ("tempo", "energy", "mood", "usage_context")
"""Dimensions that cannot justify similarity alone (they re-weight by context)."""

DIMENSIONS: tuple[str, ...] = CORE_DIMENSIONS + SECONDARY_DIMENSIONS


def utc_now() -> str:
    """Return the current UTC time as an ISO-8601 string (what records store)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class Record(BaseModel):
    """Base of all records: unknown keys are refused so typos surface early."""

    model_config = ConfigDict(extra="forbid")


class Tags(Record):
    """Text tags read from the file. Plain data: never read as instructions."""

    title: str | None = None
    artist: str | None = None
    album: str | None = None
    genre: str | None = None
    comment: str | None = None


class Measurements(Record):
    """What signal analysis measured on a track (see tools/analysis.py)."""

    duration_s: float = Field(description="Length of the whole track in seconds.")
    tempo_bpm: float = Field(description="Estimated tempo in beats per minute.")
    tempo_confidence: float = Field(ge=0, le=1, description="Confidence of the tempo, 0-1.")
    key: str = Field(description="Estimated tonic, e.g. 'C', 'F#'.")
    mode: Mode = Field(description="Estimated mode.")
    key_confidence: float = Field(ge=0, le=1, description="Confidence of key and mode, 0-1.")
    loudness_db: float = Field(description="Integrated loudness in dBFS (RMS-based).")
    energy: float = Field(ge=0, le=1, description="Perceived energy 0 (calm) to 1 (intense).")
    brightness_hz: float = Field(description="Mean spectral centroid in Hz.")
    percussiveness: float = Field(ge=0, le=1, description="Share of percussive energy, 0-1.")
    dynamics_db: float = Field(description="Loudness range (95th - 10th percentile) in dB.")
    onset_rate: float = Field(ge=0, description="Detected note/beat onsets per second.")
    voice_probability: float = Field(
        ge=0, le=1, description="Estimated probability that a singing voice is present."
    )


class TrackSummary(Record):
    """Structured description of a track, written by a listener or the MIR captioner.

    What the writer cannot know stays null; nothing is invented.
    """

    description: str = Field(description="One or two sentences describing the track.")
    dominant_feature: str | None = Field(
        None, description="The most salient musical feature, snake_case (e.g. driving_drums)."
    )
    energy_level: EnergyLevel | None = Field(None, description="Overall energy.")
    genre: str | None = Field(None, description="Genre, only if known; never guessed.")
    instruments: list[str] = Field(default_factory=list, description="Instruments heard.")
    mood: str | None = Field(None, description="Dominant mood in one or two words.")
    suitable_usages: list[str] = Field(
        default_factory=list, description="Listening contexts it suits (studying, running...)."
    )
    tempo: TempoClass | None = Field(None, description="Tempo class.")
    vocals: str | None = Field(
        None, description="'instrumental' or a short description of the vocals."
    )
    vocal_language: str | None = Field(None, description="Language sung, if any and known.")
    tempo_bpm: float | None = Field(None, description="Measured tempo in BPM.")
    key: str | None = Field(None, description="Measured key, e.g. 'A minor'.")
    loudness_db: float | None = Field(None, description="Measured loudness in dBFS.")
    energy: float | None = Field(None, description="Measured energy 0-1.")


class Provenance(Record):
    """Which backends and versions produced a track's record."""

    listener: str = Field(description="Listener backend that wrote the caption.")
    listener_model: str | None = None
    prompt_version: str | None = None
    embedder_space: str = Field(description="Embedding space of the audio vector.")
    text_space: str = Field(description="Embedding space of the caption vector.")
    analysed_at: str = Field(default_factory=utc_now)
    consistency: float | None = Field(
        None, description="Caption fact-check score 0-1 against the measurements."
    )
    contradictions: list[str] = Field(default_factory=list)
    notes: list[str] = Field(
        default_factory=list, description="How it was made, fallbacks included."
    )


class Track(Record):
    """A catalog track: identity, file facts, measurements, summary, caption, provenance."""

    id: str = Field(description="Content hash of the audio file (hex).")
    path: str = Field(description="Absolute path of the audio file.")
    title: str = Field(description="Title from tags, else from the file name.")
    artist: str | None = None
    album: str | None = None
    genre_tag: str | None = Field(None, description="Genre as tagged in the file.")
    format: str = Field(description="Container format, e.g. FLAC, WAV, MP3.")
    sample_rate: int
    channels: int
    measurements: Measurements
    summary: TrackSummary
    caption: str = Field(description="Caption paragraph written by the listener.")
    provenance: Provenance


class Constraints(Record):
    """Hard and soft constraints the listener asked for."""

    no_vocals: bool = Field(False, description="Only instrumental tracks.")
    vocals_only: bool = Field(False, description="Only tracks with vocals.")
    max_energy: EnergyLevel | None = Field(None, description="Highest energy level allowed.")
    min_energy: EnergyLevel | None = Field(None, description="Lowest energy level allowed.")
    min_bpm: float | None = Field(None, description="Slowest tempo allowed.")
    max_bpm: float | None = Field(None, description="Fastest tempo allowed.")
    avoid_bpm_from: float | None = Field(
        None, description="Start of a tempo band to leave out ('not between 90 and 110')."
    )
    avoid_bpm_to: float | None = Field(
        None, description="End of that band; both ends are given together."
    )
    min_duration_s: float | None = Field(None, ge=0, description="Shortest track allowed (s).")
    max_duration_s: float | None = Field(None, ge=0, description="Longest track allowed (s).")
    calmer: bool = Field(False, description="Prefer calmer than the anchor.")
    more_energetic: bool = Field(False, description="Prefer more energetic than the anchor.")
    faster: bool = Field(False, description="Prefer faster than the anchor.")
    slower: bool = Field(False, description="Prefer slower than the anchor.")
    shorter: bool = Field(False, description="Only tracks shorter than the anchor.")
    longer: bool = Field(False, description="Only tracks longer than the anchor.")
    exclude_ids: list[str] = Field(default_factory=list, description="Never pick these.")
    genres: list[str] = Field(
        default_factory=list, description="Only tracks of these genres (catalog genre tags)."
    )
    exclude_genres: list[str] = Field(
        default_factory=list, description="Never tracks of these genres."
    )
    instruments: list[str] = Field(
        default_factory=list,
        description="Instrument families each pick must be known to have (piano, strings...).",
    )
    any_instrument: bool = Field(
        False, description="One of ``instruments`` will do ('piano or strings'), not all."
    )
    exclude_instruments: list[str] = Field(
        default_factory=list, description="Instrument families no pick may have (drums...)."
    )
    mode: Mode | None = Field(None, description="Only tracks in this mode (major or minor).")
    key: PitchClass | None = Field(
        None, description="Only tracks whose tonic is this pitch class (C, C#, D ... B; sharps)."
    )

    @model_validator(mode="after")
    def _one_band(self) -> Constraints:
        """A left-out tempo band needs both ends in order: half a band is no band."""
        ends = (self.avoid_bpm_from, self.avoid_bpm_to)
        if (ends[0] is None) != (ends[1] is None):
            raise ValueError("avoid_bpm_from and avoid_bpm_to come together")
        if ends[0] is not None and ends[1] is not None and ends[0] >= ends[1]:
            raise ValueError(f"avoid_bpm_from {ends[0]} must be below avoid_bpm_to {ends[1]}")
        return self


class Levels(Record):
    """What "calmer" / "faster" compare against: one track's measurements, or a playlist's.

    A follow-up "calmer" means calmer than what is playing now, so a whole playlist is
    summarised by its median energy, tempo and length; "swap #3 for something calmer" compares
    with #3 alone.
    """

    energy: float = Field(ge=0, le=1, description="Energy 0-1 to stay under or above.")
    tempo_bpm: float = Field(gt=0, description="Tempo to stay under or above.")
    duration_s: float | None = Field(None, gt=0, description="Length to stay under or above.")
    label: str = Field(description="What it is, as said back: 'the playlist', '#3'.")

    @classmethod
    def of_track(cls, track: Track, label: str | None = None) -> Levels:
        """One track's levels."""
        m = track.measurements
        return cls(
            energy=m.energy,
            tempo_bpm=m.tempo_bpm,
            duration_s=m.duration_s or None,
            label=label or f"“{track.title}”",
        )


class Quota(Record):
    """A share of the picks from some genres ("3 punk and 2 jazz": 3 from punk rock)."""

    genres: list[str] = Field(description="Catalog genres this share is drawn from (any of).")
    count: int = Field(ge=1, le=100, description="How many picks come from them.")


class Request(Record):
    """What the listener asked for in one turn, as understood."""

    text: str = Field(description="The message as typed.")
    intent: Intent = Field(description="What kind of answer is wanted.")
    anchor: str | None = Field(None, description="Track id, title or path to start from.")
    context: str | None = Field(None, description="Listening context in the user's words.")
    context_name: str | None = Field(None, description="Known context it maps to.")
    text_query: str | None = Field(None, description="Free-text description of the music.")
    constraints: Constraints = Field(default_factory=Constraints)
    count: int | None = Field(None, ge=1, le=100, description="How many picks were asked for.")
    quotas: list[Quota] = Field(
        default_factory=list,
        description="Shares of the picks by genre ('3 punk and 2 jazz'); their sum is count.",
    )
    understood: list[str] = Field(
        default_factory=list, description="What was read from the message, in words."
    )
    unclear: list[str] = Field(
        default_factory=list,
        description="What was not understood or cannot be honoured here, and why.",
    )
    off_topic: bool = Field(False, description="The message is not about music at all.")
    absent: list[str] = Field(
        default_factory=list, description="Titles or artists named that the catalog lacks."
    )
    did_you_mean: list[str] = Field(
        default_factory=list, description="Catalog names close to an absent one (never used)."
    )
    language: str | None = Field(
        None, description="ISO code of a non-English message (de, es, fr), if detected."
    )
    released: list[str] = Field(
        default_factory=list,
        description="Constraint fields this turn lifts ('vocals are fine': no_vocals and "
        "vocals_only), earlier turns' and standing ones included.",
    )
    eased: list[str] = Field(
        default_factory=list,
        description="Bounds this turn gives a little room ('a little faster is ok' after "
        "'under 100 bpm': max_bpm), moved one step by the refinement that knows them.",
    )


class Candidate(Record):
    """A track proposed by fast retrieval, before judging."""

    track_id: str
    similarity: float = Field(description="Cosine similarity to the query, -1..1.")
    source: str = Field(description="Which retrieval produced it (audio, caption, hybrid).")


class Verdict(Record):
    """The judge's decision about one candidate for (anchor, context)."""

    track_id: str
    anchor_id: str | None = None
    context: str | None = None
    score: float = Field(ge=0, le=1, description="Overall relevance 0-1.")
    confidence: float = Field(ge=0, le=1, description="How sure the judge is, 0-1.")
    dimensions: dict[str, float] = Field(
        default_factory=dict, description="Per-dimension relevance 0-1 (see DIMENSIONS)."
    )
    shared: list[str] = Field(default_factory=list, description="Attributes shared.")
    differences: list[str] = Field(default_factory=list, description="Notable differences.")
    explanation: str = Field(description="One paragraph: why this fits, citing facts.")
    backend: str = Field(description="Judge backend that wrote this verdict.")
    model: str | None = None
    prompt_version: str | None = None
    created_at: str = Field(default_factory=utc_now)


class Pick(Record):
    """One recommended track as shown to the listener."""

    rank: int
    track_id: str
    path: str
    title: str
    score: float
    confidence: float
    dimensions: dict[str, float]
    explanation: str
    shared: list[str] = Field(default_factory=list)
    differences: list[str] = Field(default_factory=list)


class SearchHit(Record):
    """One result of ``linernotes search``."""

    rank: int
    track_id: str
    path: str
    title: str
    score: float = Field(description="Similarity to the query, higher is closer.")


class PlaylistItem(Record):
    """One entry of the thread's playlist, in play order."""

    track_id: str
    path: str
    title: str


class Step(Record):
    """One node or tool call of a turn, as shown in traces and the UI's "thoughts"."""

    name: str = Field(description="Node or tool name, e.g. 'retrieve', 'judge_candidates'.")
    kind: Literal["node", "tool"] = "node"
    arguments: dict[str, Any] = Field(default_factory=dict)
    summary: str = Field("", description="One line saying what it found or did.")
    backend: str | None = None
    duration_ms: float = 0.0
    status: Literal["done", "error"] = "done"


class Answer(Record):
    """What a chat turn returns: the reply text, the picks and how they were made."""

    reply: str
    request: Request
    picks: list[Pick] = Field(default_factory=list)
    anchor_id: str | None = None
    backends: dict[str, str] = Field(default_factory=dict)
    thread: str | None = Field(None, description="Conversation thread this turn belongs to.")
    playlist: list[PlaylistItem] = Field(
        default_factory=list, description="The thread's playlist after this turn."
    )
    steps: list[Step] = Field(default_factory=list, description="What the agent did, in order.")
    problem: str | None = Field(
        None,
        description="Why this turn could not be answered as asked (a reference that names "
        "no track, a refused file, an empty message); None when it was answered.",
    )
