"""How the agent words things: track facts, constraints, pick lists and help.

Kept in one place so the offline replies, the tool results a model reads and the
chat command say the same things the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from linernotes.tools.analysis.scales import likely_voiced
from linernotes.tools.catalog.filters import TEMPO_STEP
from linernotes.tools.clip import GENRE_SHOWN, clip, counted
from linernotes.tools.judge.facts import facts
from linernotes.tools.judge.notes import key_words, tempo_words
from linernotes.tools.reason.bounds import duration_words, length_words
from linernotes.tools.reason.normalise import LANGUAGE_NAMES
from linernotes.tools.schemas import Constraints, Levels, Pick, Request, Track

HELP = (
    "I pick music from your catalog and explain why. Try: “more like <title> but for "
    "studying”, “something to read to”, “give me five calmer ones under 100 bpm”, "
    "“why #2?”, “swap #3 for something calmer”, “no vocals from now on”, “make it 10”, "
    "“describe #1” or “export the playlist as m3u”."
)
USAGE = (
    "To add your music, run `linernotes ingest ~/Music` (any folders or files; it resumes if "
    "stopped and skips what is already in). Here in the chat you can also send a clip and ask "
    "for “more like this”. Then ask for music in your words: “calm piano for studying”, "
    "“upbeat, no vocals, 120-140 bpm”, “why #2?”, “swap #3 for something calmer”."
)
PLAYBACK = (
    "I pick and explain music; I don't play it. Play the picks in the app's players, or "
    "say “export the playlist as m3u” and open the file in your music player."
)
THANKS = "You're welcome. Ask for more music whenever you like."
OFF_TOPIC = (
    "I can't help with that: I only recommend and explain music from this catalog "
    "(try “calm piano for studying” or “punk rock for a road trip”)."
)


def honesty_lines(request: Request) -> list[str]:
    """What the request was read as, and what was not understood or cannot be honoured."""
    lines = []
    if request.language:
        lang = LANGUAGE_NAMES.get(request.language, request.language)
        lines.append(f"I read English; from your {lang} message I picked up what I could.")
    if request.understood:
        lines.append("I read: " + "; ".join(request.understood) + ".")
    if request.unclear:
        lines.append("Not understood or not possible here: " + "; ".join(request.unclear) + ".")
    if request.did_you_mean:
        lines.append("Did you mean " + " or ".join(f"“{t}”" for t in request.did_you_mean) + "?")
    return lines


def absent_reply(request: Request) -> str:
    """The answer to a request the catalog cannot serve: absent names, unknown words."""
    lines = []
    if request.absent:
        names = " and ".join(f"“{n}”" for n in request.absent)
        verb = "is" if len(request.absent) == 1 else "are"
        lines.append(
            f"{names} {verb} not in this catalog, so I picked nothing; offline I only know "
            "the catalog's own tracks."
        )
    unclear = [u for u in request.unclear if "not in this catalog (" not in u]
    if unclear:
        lines.append("I picked nothing: " + "; ".join(unclear) + ".")
    if request.did_you_mean:
        lines.append("Did you mean " + " or ".join(f"“{t}”" for t in request.did_you_mean) + "?")
    return "\n".join(lines)


def describe_track(track: Track) -> str:
    """A short factual line about a track: genre, tempo, key, energy, vocals.

    Tempo and key are hedged as in the liner notes (``tools/judge/notes.py``): "about 83
    BPM", "85 BPM (or double time, 170)", "an uncertain key".
    """
    s, m = track.summary, track.measurements
    f = facts(track)
    genre = s.genre or track.genre_tag
    parts = [clip(genre, GENRE_SHOWN) if genre else None, tempo_words(f), key_words(f)]
    if s.energy_level:
        parts.append(f"{s.energy_level.replace('_', ' ')} energy")
    parts.append("vocals" if likely_voiced(m.voice_probability) else "instrumental")
    return ", ".join(p for p in parts if p)


def constraint_words(c: Constraints, than: Levels | None = None) -> list[str]:
    """Constraints as the listener would say them ("instrumental only", "at most 100 BPM").

    With ``than`` (what "calmer/faster" was held to) the wish says against what and where
    the line is: "calmer than the playlist (energy under 0.21)".
    """
    words = []
    if c.no_vocals:
        words.append("instrumental only")
    if c.vocals_only:
        words.append("with vocals")
    for flag, text, bound in (
        ("calmer", "calmer", "energy under {e:.2f}"),
        ("more_energetic", "more energetic", "energy over {e:.2f}"),
        ("faster", "faster", "over {b:.0f} BPM"),
        ("slower", "slower", "under {b:.0f} BPM"),
        ("shorter", "shorter", "under {d}"),
        ("longer", "longer", "over {d}"),
    ):
        if getattr(c, flag):
            if than is not None:
                bpm = than.tempo_bpm * (1 + (TEMPO_STEP if flag == "faster" else -TEMPO_STEP))
                d = duration_words(than.duration_s) if than.duration_s else "?"
                text += f" than {than.label} ({bound.format(e=than.energy, b=bpm, d=d)})"
            words.append(text)
    if c.min_bpm is not None:
        words.append(f"at least {c.min_bpm:.0f} BPM")
    if c.max_bpm is not None:
        words.append(f"at most {c.max_bpm:.0f} BPM")
    if c.avoid_bpm_from is not None and c.avoid_bpm_to is not None:
        words.append(f"not {c.avoid_bpm_from:.0f}-{c.avoid_bpm_to:.0f} BPM")
    if length := length_words(c.min_duration_s, c.max_duration_s):
        words.append(length)
    lowest = c.max_energy == "low" and c.min_energy in (None, "low")
    highest = c.min_energy == "very_high" and c.max_energy in (None, "very_high")
    if lowest or highest or (c.max_energy and c.max_energy == c.min_energy):
        level = "low" if lowest else "very high" if highest else str(c.max_energy)
        words.append(f"{level.replace('_', ' ')} energy only")
    else:
        if c.max_energy:
            words.append(f"energy up to {c.max_energy.replace('_', ' ')}")
        if c.min_energy:
            words.append(f"energy from {c.min_energy.replace('_', ' ')}")
    if c.key:
        words.append(f"in {c.key}{' ' + c.mode if c.mode else ''}")
    return words


def limit_words(c: Constraints) -> list[str]:
    """Every limit a pick must meet, in words.

    Genres, instruments, ``constraint_words``, exclusions: "punk rock, with piano or
    strings, energy up to medium, no metal" (what a no-picks answer names).
    """
    joined = " or " if c.any_instrument else ", with "
    words = [*c.genres, *([f"with {joined.join(c.instruments)}"] if c.instruments else [])]
    words += constraint_words(c)
    return words + [f"no {x}" for x in (*c.exclude_genres, *c.exclude_instruments)]


def intro(
    request: Request, anchor: Track | None, profile: Any, n: int, than: Levels | None = None
) -> str:
    """One line naming what the picks answer: anchor, context, constraints."""
    what = counted(n, "pick")
    if anchor is not None:
        what += f" like “{anchor.title}” ({describe_track(anchor)})"
    elif request.text_query:
        what += f" for “{request.text_query}”"
    if profile is not None:
        what += f"{',' if anchor is not None or request.text_query else ''} for {profile.label}"
    words = constraint_words(request.constraints, than)
    if words:
        what += f"; {', '.join(words)}"
    return what + ":"


def pick_lines(picks: Sequence[Pick]) -> list[str]:
    """Numbered lines "3. Title — explanation", numbered by playlist position."""
    return [f"{p.rank}. {p.title} — {p.explanation}" for p in picks]


def explanation(pick: Pick, position: int | None) -> str:
    """Why a track is on the playlist: its liner note, shared traits and differences."""
    where = f"#{position} " if position else ""
    text = f"{where}{pick.title}: {pick.explanation}"
    if pick.shared:
        text += f"\nShared: {', '.join(pick.shared)}."
    if pick.differences:
        text += f"\nDifferences: {', '.join(pick.differences)}."
    return text


def rank_line(position: int, size: int, scores: dict[int, float]) -> str | None:
    """Why an entry sits where it does: its judge score beside its neighbours' scores.

    "why is it first?" asks about the order, which the liner note alone does not answer.
    Scores are known for entries the judge placed in this thread; none known, no line.
    """
    own = scores.get(position)
    if own is None:
        return None
    line = f"Place {position} of {size}: the judge scored it {own:.2f}"
    if len(scores) > 1 and own >= max(scores.values()):
        line += ", the highest on the list"
    elif len(scores) > 1 and own <= min(scores.values()):
        line += ", the lowest on the list"
    near = [f"#{p} {scores[p]:.2f}" for p in (position - 1, position + 1) if p in scores]
    return f"{line} ({', '.join(near)})." if near else f"{line}."


def catalog_reply(overview: dict[str, Any]) -> str:
    """The catalog's size, genres and voices in a line ("how many tracks do you have?")."""
    n = overview["tracks"]
    if not n:
        return "The catalog is empty: add music with “linernotes ingest <folder>”."
    genres = {g or "untagged": k for g, k in overview["genres"].items()}
    named = ", ".join(f"{clip(g, GENRE_SHOWN)} {k}" for g, k in list(genres.items())[:12])
    more = f" and {len(genres) - 12} more" if len(genres) > 12 else ""
    voice = overview["voice"]
    sung = voice.get("True", 0)  # counts keep booleans as their str()
    line = f"The catalog holds {n} tracks in {len(genres)} genres ({named}{more})."
    if voice:
        line += f" {sung} have vocals, {n - sung} are instrumental (as measured)."
    return line + " Ask for a mood, an activity or a track to start from."
