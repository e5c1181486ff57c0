"""The offline listener: a TrackSummary and caption written from measurements and tags.

No model hears the audio here. Following LLark's recipe (measured tempo, key and tags
turned into text by templates), every sentence is derived from a measurement or quotes a
file tag, and the caption says so at the start. What cannot be measured stays empty:
the genre comes only from the genre tag, instruments only from tags that name them,
and vocals stay null when the voice estimate is in its unsure band.

Tags are data written by whoever made the file: they are cleaned (no quotes, brackets or
markup) and quoted as tags, so their text can never read as an instruction to a model
that later reads the caption.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from linernotes.tools.listen.base import ListenResult
from linernotes.tools.listen.factcheck import check_result
from linernotes.tools.listen.labels import (
    clean_tag_text,
    dominant_feature,
    energy_level,
    genre_from_tag,
    has_vocals,
    instruments_in,
    measured_tempo_class,
    mood_for,
    usages_for,
    vocals_label,
)
from linernotes.tools.schemas import Measurements, Tags, TrackSummary

PROMPT_VERSION = "mir-v2"
CAPTION_PREFIX = "[Written from signal measurements; no model listened to this track.]"

_ENERGY_WORDS = {
    "low": "low-energy",
    "medium": "medium-energy",
    "high": "high-energy",
    "very_high": "very high-energy",
}
_TEMPO_WORDS = {"slow": "slow", "moderate": "moderate", "fast": "fast", "very_fast": "very fast"}
_FEATURE_WORDS = {
    "driving_drums": "driving drums",
    "steady_beat": "a steady beat",
    "intense_energy": "sheer intensity",
    "prominent_vocals": "prominent vocals",
    "busy_rhythm": "a busy rhythm",
    "sparse_texture": "a sparse texture",
    "bright_timbre": "a bright timbre",
    "dark_timbre": "a dark, warm timbre",
    "wide_dynamics": "wide dynamics",
}


def _texture_sentence(m: Measurements) -> str:
    """Describe texture and percussiveness from onset rate and percussive share."""
    if m.onset_rate < 2.0:
        density = f"sparse, with few note onsets ({m.onset_rate:.1f} per second)"
    elif m.onset_rate < 5.0:
        density = f"moderately busy ({m.onset_rate:.1f} onsets per second)"
    else:
        density = f"dense and busy ({m.onset_rate:.1f} onsets per second)"
    if m.percussiveness >= 0.6:
        perc = "strongly percussive"
    elif m.percussiveness >= 0.35:
        perc = "moderately percussive"
    else:
        perc = "mostly sustained rather than percussive"
    return f"The texture is {density} and {perc} (percussive share {m.percussiveness:.2f})."


def _timbre_sentence(m: Measurements) -> str:
    """Describe brightness, loudness and dynamics."""
    if m.brightness_hz >= 2800:
        tone = "bright"
    elif m.brightness_hz >= 1400:
        tone = "balanced"
    else:
        tone = "dark and warm"
    dyn = "wide" if m.dynamics_db > 14 else "moderate" if m.dynamics_db > 7 else "narrow"
    return (
        f"The timbre is {tone} (spectral centroid about {m.brightness_hz:,.0f} Hz), the "
        f"loudness is {m.loudness_db:.1f} dBFS and the dynamic range is {dyn} "
        f"({m.dynamics_db:.1f} dB)."
    )


def _vocals_sentence(m: Measurements) -> str:
    """Say what the voice estimate supports, hedging in the unsure band."""
    voiced = has_vocals(m)
    p = m.voice_probability
    if voiced is True:
        return f"A singing voice is likely present (voice probability {p:.2f})."
    if voiced is False:
        return f"It is most likely instrumental (voice probability {p:.2f})."
    return f"Whether it has vocals is unclear (voice probability {p:.2f})."


def _tag_sentence(tags: Tags, genre: str | None, instruments: list[str]) -> str | None:
    """Quote the tags that were used, marked as file tags (data, not claims we measured)."""
    parts = []
    if genre:
        parts.append(f"genre tag \u201c{genre}\u201d")
    title = clean_tag_text(tags.title)
    artist = clean_tag_text(tags.artist)
    if title:
        parts.append(f"title tag \u201c{title}\u201d")
    if artist:
        parts.append(f"artist tag \u201c{artist}\u201d")
    if instruments:
        parts.append("instruments named in the tags: " + ", ".join(instruments))
    if not parts:
        return None
    return "File tags (quoted as data): " + "; ".join(parts) + "."


class MirListener:
    """Offline captioner: measurements + tags -> TrackSummary and an LLark-style caption.

    It never opens the audio (the measurements already describe it), so it is fast and
    deterministic: the same measurements and tags always give the same text.
    """

    name = "mir"
    model: str | None = None
    prompt_version = PROMPT_VERSION

    def summarise(self, m: Measurements, tags: Tags) -> TrackSummary:
        """Fill every TrackSummary field the measurements and tags support; leave the rest."""
        level = energy_level(m)
        tempo = measured_tempo_class(m)
        vocals = vocals_label(m)
        genre = genre_from_tag(tags.genre)
        instruments = instruments_in(" ".join(filter(None, [tags.genre, tags.comment])))
        feature = dominant_feature(m)
        mood = mood_for(m)
        return TrackSummary(
            description=self._description(m, level, tempo, vocals, genre, feature),
            dominant_feature=feature,
            energy_level=level,
            genre=genre,
            instruments=instruments,
            mood=mood,
            suitable_usages=usages_for(m),
            tempo=tempo,
            vocals=vocals,
            vocal_language=None,
            tempo_bpm=round(m.tempo_bpm, 1),
            key=f"{m.key} {m.mode}",
            loudness_db=round(m.loudness_db, 1),
            energy=round(m.energy, 3),
        )

    @staticmethod
    def _description(m, level, tempo, vocals, genre, feature) -> str:
        """One sentence: tempo, energy, vocals, genre (tagged) and the dominant feature."""
        words = [_TEMPO_WORDS[tempo]] if tempo else []
        words.append(_ENERGY_WORDS[level])
        kind = {"instrumental": "instrumental", "lead vocals": "track with vocals"}.get(
            vocals or "", "track"
        )
        if genre:
            kind = f"{genre} {kind}" if kind != "track" else f"{genre} track"
        article = "An" if words[0][0] in "aeiou" else "A"
        return (
            f"{article} {', '.join(words)} {kind} in {m.key} {m.mode} "
            f"at about {m.tempo_bpm:.0f} BPM, marked by {_FEATURE_WORDS[feature]}."
        )

    def caption(self, m: Measurements, tags: Tags, summary: TrackSummary) -> str:
        """An LLark-style paragraph: every statement from a measurement or a quoted tag."""
        tempo = summary.tempo
        sure = "" if m.key_confidence >= 0.5 else "probably "
        tempo_words = (
            f"a {_TEMPO_WORDS[tempo]} tempo of about {m.tempo_bpm:.0f} BPM"
            if tempo
            else f"an uncertain tempo (estimate {m.tempo_bpm:.0f} BPM)"
        )
        level = summary.energy_level or "medium"
        sentences = [
            CAPTION_PREFIX,
            f"This {_length(m.duration_s)} piece has {tempo_words} "
            f"and is {sure}in {m.key} {m.mode}.",
            f"Its energy is {level.replace('_', ' ')} ({m.energy:.2f} on a 0-1 scale) "
            f"and its mood reads as {summary.mood}.",
            _texture_sentence(m),
            _timbre_sentence(m),
            _vocals_sentence(m),
        ]
        if summary.dominant_feature:
            sentences.append(
                f"The most salient feature is {_FEATURE_WORDS[summary.dominant_feature]}."
            )
        tag_text = _tag_sentence(tags, summary.genre, summary.instruments)
        if tag_text:
            sentences.append(tag_text)
        if summary.suitable_usages:
            sentences.append("It suits " + ", ".join(summary.suitable_usages) + ".")
        return " ".join(sentences)

    def listen(self, path: Path, measurements: Measurements, tags: Tags) -> ListenResult:
        """Write the summary and caption; ``path`` is not opened (measurements suffice).

        The result is fact-checked like any other listener's, so every caption in the
        catalog carries a consistency score of the same kind.
        """
        summary = self.summarise(measurements, tags)
        result = ListenResult(
            summary=summary,
            caption=self.caption(measurements, tags, summary),
            listener=self.name,
            model=self.model,
            prompt_version=self.prompt_version,
        )
        return check_result(result, measurements)  # 1.0 by construction; recorded all the same


def _length(seconds: float) -> str:
    """A track length as people say it: '24-second', '3.5-minute'."""
    if seconds < 90:
        return f"{seconds:.0f}-second"
    return f"{seconds / 60:.1f}-minute"


def from_settings(settings: Any) -> MirListener:
    """The registry's ``mir`` factory (measurement needs no settings)."""
    return MirListener()
