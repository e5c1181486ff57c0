"""Caption -> TrackSummary: an LLM extraction step, with a visible rule-based fallback.

Audio captioners write prose (the Qwen3-Omni Captioner cannot even be prompted for
JSON), so a second, text-only step turns the caption into TrackSummary fields. It runs
through a chat model with structured outputs, validated by pydantic with one repair
round (``OpenAIChat``). When no LLM is configured, or it fails, keyword rules fill the
fields instead, and the result says so (``method="rules"`` plus a note): a fallback is
never silent.

Measured numbers (BPM, key, loudness, energy) always come from the measurements, never
from the caption or the LLM: the model is not asked for them and cannot overwrite them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import create_model

from linernotes.prompts import load_prompt
from linernotes.tools.errors import BackendUnavailable, LLMReplyError
from linernotes.tools.listen.claims import read_claims, strip_non_claims
from linernotes.tools.listen.labels import (
    energy_level,
    genre_from_tag,
    instruments_in,
    measured_tempo_class,
    tempo_class,
    vocals_label,
)
from linernotes.tools.reason.openai_chat import OpenAIChat, dumps_schema
from linernotes.tools.schemas import Measurements, Record, Tags, TrackSummary

MEASURED_FIELDS = ("tempo_bpm", "key", "loudness_db", "energy")
PROMPT = "extract_summary"

CaptionFields = create_model(  # TrackSummary without the measured numbers
    "CaptionFields",
    __base__=Record,
    __doc__="What a caption can say about a track (measured numbers are not asked for).",
    **{
        name: (f.annotation, f)
        for name, f in TrackSummary.model_fields.items()
        if name not in MEASURED_FIELDS
    },  # type: ignore[call-overload]  # annotations are real types at runtime
)


@dataclass
class Extraction:
    """A TrackSummary and how it was obtained.

    Attributes:
        summary: The validated summary (measured numbers filled from measurements).
        method: "llm" when the chat model's reply validated, "rules" for the fallback.
        model: The chat model used, if any.
        prompt_version: Version of the extraction prompt ("rules-v1" for the fallback).
        notes: Why the fallback was used, and which fields came from measurements.
    """

    summary: TrackSummary
    method: Literal["llm", "rules"]
    model: str | None = None
    prompt_version: str | None = None
    notes: list[str] = field(default_factory=list)


def _with_measurements(
    fields: dict[str, Any], m: Measurements | None, notes: list[str]
) -> TrackSummary:
    """Fill measured numbers from ``m`` and the classes the caption left empty."""
    if m is not None:
        fields.update(
            tempo_bpm=round(m.tempo_bpm, 1),
            key=f"{m.key} {m.mode}",
            loudness_db=round(m.loudness_db, 1),
            energy=round(m.energy, 3),
        )
        if fields.get("energy_level") is None:
            fields["energy_level"] = energy_level(m)
            notes.append("energy_level from measurements (caption silent)")
        if fields.get("tempo") is None and (t := measured_tempo_class(m)):
            fields["tempo"] = t
            notes.append("tempo from measurements (caption silent)")
    return TrackSummary(**fields)


# --- rules ----------------------------------------------------------------------------
GENRES = (
    "alternative rock", "punk rock", "hard rock", "indie rock", "indie folk", "hip hop",
    "drum and bass", "lo-fi hip hop", "synth pop", "synthpop", "deep house", "ambient",
    "grunge", "punk", "metal", "rock", "pop", "jazz", "blues", "folk", "country", "classical",
    "techno", "house", "trance", "dubstep", "reggae", "funk", "soul", "r&b", "disco",
    "electronic", "edm", "lo-fi", "orchestral", "cinematic", "bossa nova", "latin", "gospel",
)  # fmt: skip
_GENRE_RX = [(g, re.compile(rf"(?<![\w-]){re.escape(g)}(?![\w-])", re.I)) for g in GENRES]
_MOODS = (
    "melancholic", "sad", "happy", "uplifting", "dark", "aggressive", "energetic", "calm",
    "peaceful", "dreamy", "nostalgic", "romantic", "tense", "playful", "euphoric", "angry",
    "mellow", "somber", "joyful", "hopeful", "intense", "relaxed", "brooding", "triumphant",
)  # fmt: skip
_MOOD_RX = re.compile(r"\b(" + "|".join(_MOODS) + r")\b", re.I)
_VOICE_RX = re.compile(
    r"\b((?:(?:male|female|deep|soft|breathy|raspy|gravelly|shouted|whispered|falsetto|"
    r"soaring|harmonized|gang|group|lead|backing|operatic|rapped)[ -]?)+"
    r"(?:vocals?|voices?|singing|shouts|raps?))\b",
    re.I,
)
_LANG_RX = re.compile(
    r"\b(english|spanish|french|german|russian|japanese|korean|portuguese|italian|mandarin|"
    r"chinese|hindi|arabic|swedish)\b(?:[- ]language| lyrics| vocals|-sung)?",
    re.I,
)


def _sentences(text: str, n: int = 2, limit: int = 300) -> str:
    """The first ``n`` sentences of ``text`` (bounded), for the description field."""
    text = " ".join(re.sub(r"^\[[^\]]*\]\s*", "", text).split())
    parts = re.split(r"(?<=[.!?])\s+", text)
    out = " ".join(parts[:n])[:limit].strip()
    return out or "No description."


def rules_fields(caption: str) -> dict[str, Any]:
    """Caption-derived TrackSummary fields by keyword (no measurements used)."""
    text = strip_non_claims(caption)
    claims = read_claims(caption)
    genre = next((g for g, rx in _GENRE_RX if rx.search(text)), None)
    energy = claims.energy_classes[0] if claims.energy_classes else None
    if energy is None and (claims.calm_words or claims.intense_words):
        energy = "low" if len(claims.calm_words) > len(claims.intense_words) else "high"
    tempo = claims.tempos[0] if claims.tempos else None
    if tempo is None and claims.bpms:
        tempo = tempo_class(claims.bpms[0])
    vocals = None
    if claims.vocals is False:
        vocals = "instrumental"
    elif claims.vocals:
        found = _VOICE_RX.search(text)
        vocals = found.group(1).lower() if found else "vocals"
    moods = list(dict.fromkeys(w.lower() for w in _MOOD_RX.findall(text)))
    lang = _LANG_RX.search(text) if claims.vocals else None
    return {
        "description": _sentences(caption),
        "dominant_feature": None,
        "energy_level": energy,
        "genre": genre,
        "instruments": instruments_in(text),
        "mood": ", ".join(moods[:2]) or None,
        "suitable_usages": sorted(claims.usages),
        "tempo": tempo,
        "vocals": vocals,
        "vocal_language": lang.group(1).lower() if lang else None,
    }


def rules_summary(
    caption: str, m: Measurements | None = None, tags: Tags | None = None
) -> Extraction:
    """Keyword extraction; what the caption leaves open is filled from measurements/tags."""
    notes: list[str] = []
    fields = rules_fields(caption)
    if fields["genre"] is None and tags is not None and (g := genre_from_tag(tags.genre)):
        fields["genre"] = g
        notes.append("genre from the file's genre tag")
    if fields["vocals"] is None and m is not None and (v := vocals_label(m)):
        fields["vocals"] = v
        notes.append("vocals from measurements (caption silent)")
    summary = _with_measurements(fields, m, notes)
    return Extraction(summary, "rules", None, "rules-v1", notes)


# --- LLM ------------------------------------------------------------------------------
def extraction_messages(caption: str) -> list[dict[str, Any]]:
    """The chat messages of one extraction request (caption fenced as data)."""
    text = load_prompt(PROMPT).render(caption=caption, schema=dumps_schema(CaptionFields))
    return [{"role": "user", "content": text}]


def _from_llm(
    fields_model: Any, chat: OpenAIChat, m: Measurements | None, tags: Tags | None
) -> Extraction:
    """Finish an LLM extraction: measured numbers, tag genre if the caption had none."""
    notes: list[str] = []
    fields = fields_model.model_dump()
    if fields["genre"] is None and tags is not None and (g := genre_from_tag(tags.genre)):
        fields["genre"] = g
        notes.append("genre from the file's genre tag")
    summary = _with_measurements(fields, m, notes)
    return Extraction(summary, "llm", chat.model, load_prompt(PROMPT).version, notes)


def _fallback(caption, m, tags, chat: OpenAIChat | None, error: Exception | None) -> Extraction:
    """Rules extraction with a note saying why the LLM was not used."""
    result = rules_summary(caption, m, tags)
    why = "no extraction LLM configured" if chat is None else f"LLM extraction failed: {error}"
    result.notes.insert(0, f"extraction fell back to rules ({why})")
    return result


def extract_summary(
    caption: str,
    measurements: Measurements | None = None,
    tags: Tags | None = None,
    chat: OpenAIChat | None = None,
) -> Extraction:
    """Turn ``caption`` into a TrackSummary, by LLM when ``chat`` is given, else by rules.

    LLM failures (server down, reply invalid after repair) fall back to rules; the
    returned ``Extraction`` records that in ``method`` and ``notes``.
    """
    if chat is None:
        return _fallback(caption, measurements, tags, None, None)
    try:
        fields = chat.chat(extraction_messages(caption), schema=CaptionFields, max_tokens=800)
    except (BackendUnavailable, LLMReplyError) as e:
        return _fallback(caption, measurements, tags, chat, e)
    return _from_llm(fields, chat, measurements, tags)


async def aextract_summary(
    caption: str,
    measurements: Measurements | None = None,
    tags: Tags | None = None,
    chat: OpenAIChat | None = None,
    client: Any = None,
) -> Extraction:
    """Async ``extract_summary`` (shares ``client`` with the caller's other requests)."""
    if chat is None:
        return _fallback(caption, measurements, tags, None, None)
    try:
        fields = await chat.achat(
            extraction_messages(caption), schema=CaptionFields, max_tokens=800, client=client
        )
    except (BackendUnavailable, LLMReplyError) as e:
        return _fallback(caption, measurements, tags, chat, e)
    return _from_llm(fields, chat, measurements, tags)
