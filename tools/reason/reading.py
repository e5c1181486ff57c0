"""Read what music a whole request asks for: negation with scope, numbers, vocabulary.

The old reader fired the first regex that matched, so "nothing over 110 bpm" became "at
least 110" and "synth-pop, nothing with vocals" asked for vocals. Here a request is read
left to right as a stream of events:

- numbers: ranges ("150-180", "between 90 and 110 bpm"), comparisons ("under 100",
  "at least 120 beats per minute"), plain tempos ("90 bpm" -> 82-98);
- vocabulary terms from ``tools/data/request_vocab.yaml`` (genres, instruments, feels,
  vocals, negators), longest phrase first, in the text ``tools.reason.normalise`` made
  plain (other languages, emoji, shorthand, spelled-out numbers, typos);
- clause breaks (punctuation, "and", "but", "though", "I want");
- keys ("in D minor") and time signatures ("in 4/4"), from ``tools.reason.keys``.

A negator opens a "not" scope that covers the terms after it ("no vocals or drums") until
a clause break, or a "with" after the first term; an "and" or "," between two items of one
kind keeps it ("except metal and punk"); a negated comparison flips ("nothing under 125"
-> at least 125); a hedged one ("not too loud") gives way to an opposite wish. Every
term read is said back in ``understood``; a word the catalog cannot honour ("saxophone"
where no track has one) goes to ``unclear``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from linernotes.tools.analysis.scales import ENERGY_ORDER
from linernotes.tools.clip import counted
from linernotes.tools.reason.bounds import (
    TEMPO_RANGE,
    energy_bounds,
    feel_spans,
    flip,
    impossible_tempos,
    length_bounds,
    length_words,
    playlist_length,
    tempo_bounds,
)
from linernotes.tools.reason.easing import ROOM, read_eased
from linernotes.tools.reason.keys import (
    named_eras,
    named_keys,
    named_meters,
    named_popularity,
    voice_sex,
)
from linernotes.tools.reason.normalise import normalise
from linernotes.tools.reason.rules_vocab import NUM, NUMBER_WORDS, UNIT
from linernotes.tools.reason.solo import played_alone
from linernotes.tools.reason.vocabulary import (
    COMMON,
    Grounding,
    Vocabulary,
    load_vocabulary,
)

ENERGY = ENERGY_ORDER  # energy classes, lowest first (tools.analysis.scales)
BREAK = re.compile(
    r"[,.;!?]|\b(?:and|but|though|although|yet|however|plus|also|i want|i'd like|i need|"
    r"i prefer|instead|rather|ideally)\b",
    re.I,
)
WITH = re.compile(r"\bwith\b", re.I)
ASKING_WORDS = frozenset(
    {"recommend", "recommendation", "recommendations", "suggest", "suggestions", "play"}
)
"""Music words that only ask ("recommend a movie"): they make no message about music."""
EITHER_WAY = re.compile(
    r"\b(?:(?:i\s+)?(?:(?:don'?t|do not)\s+(?:mind|care about|hate)|wouldn'?t mind)|"
    r"(?:fine|ok|okay) with|open to)"
    r"\s+(?:some\s+|any\s+|a bit of\s+|the\s+)?(?P<a>[a-z'-]+)"
    r"|\b(?!(?:either|both)\b)(?P<b>[a-z'-]+)\s+(?:(?:don'?t|doesn'?t|do not|does not)\s+"
    r"matter|(?:are|is)\s+"
    r"(?:optional|fine|ok|okay)|optional|either way|or not|(?:is|are)\s*n'?t\s+(?:required|"
    r"needed|necessary|a must)|(?:is|are)\s+not\s+(?:required|needed|necessary))\b"
    r"|\bwith or without\s+(?:any\s+)?(?P<c>[a-z'-]+)"
    r"|\b(?:(?:either|both)(?:\s+ways?)?(?:\s+(?:is|are))?\s+(?:fine|ok|okay|good)|no\s+"
    r"preference|(?:i'?m\s+)?(?:easy|flexible))\s+(?:for|on|about|with|re)\s+(?:the\s+)?"
    r"(?P<d>[a-z'-]+)",
    re.I,
)
"""Indifference: "i don't mind vocals", "vocals don't matter", "either is fine for vocals",
"no preference on vocals" ask for neither way."""
OTHER_CHAT = re.compile(
    r"\b(?:(?:the|my|our)\s+)?(?:previous|last|earlier|other|yesterday'?s|old)\s+"
    r"(?:chat|conversation|session|thread)s?\b|\blast time\b|\byesterday\b",
    re.I,
)
"""A conversation other than this one ("the song from the previous chat"): not seen here."""
DIMENSIONS = {
    "length": r"(?:track |song )?(?:length|duration)|how long",
    "tempo": r"tempo|bpm|speed|pace",
    "energy": r"energy(?: level)?|intensity",
    "key": r"key|mode|major or minor",
    "genre": r"genres?|styles?",
    "instruments": r"instruments?|instrumentation",
}
"""Words for one dimension of a request, as people name it to lift it ("forget the tempo")."""
RELEASES = {
    "length": ("min_duration_s", "max_duration_s", "shorter", "longer"),
    "tempo": ("min_bpm", "max_bpm", "avoid_bpm_from", "avoid_bpm_to", "faster", "slower"),
    "energy": ("min_energy", "max_energy", "calmer", "more_energetic"),
    "key": ("key", "mode"),
    "genre": ("genres", "exclude_genres"),
    "instruments": ("instruments", "exclude_instruments", "any_instrument"),
}
"""The ``Constraints`` fields a lifted dimension frees."""
_DIM = "|".join(f"(?:{w})" for w in DIMENSIONS.values())
RELEASE = re.compile(
    rf"\b(?:forget(?:\s+about)?|never\s*mind|ignore|drop|lose|scrap|lift|remove)\s+"
    rf"(?:the\s+|that\s+|my\s+|any\s+)?(?P<a>{_DIM})(?:\s+(?:limits?|constraints?|filters?|"
    rf"rules?|requirements?|bits?|part))?\b"
    rf"|\b(?:any|whatever)\s+(?P<b>{_DIM})(?:\s+(?:is|are|works?|will do))?"
    rf"(?:\s+(?:is\s+)?(?:fine|ok|okay|good))?\b"
    rf"|\b(?:the\s+)?(?P<c>{_DIM})\s+(?:doesn'?t|does not|don'?t|do not)\s+matter\b"
    rf"|\b(?:i\s+)?(?:don'?t|do not)\s+care\s+(?:about\s+)?(?:the\s+)?(?P<d>{_DIM})\b"
    rf"|\bno\s+(?P<e>{_DIM})\s+(?:limits?|constraints?|filters?|requirements?)\b",
    re.I,
)
"""A dimension the listener no longer limits: the standing bounds on it are lifted."""
TEMPO_GIVE = 20.0
"""How far a hedged tempo bound gives way ("fast but not too fast": 120-140 BPM)."""
MAX_COUNT = 100
"""Most picks one answer holds (``Request.count``'s bound): "give me 500" gets 100, said."""
# "not too loud", "not very intense": a hedge after a negator. Alone it reads as the plain
# negation; against an opposite wish it gives way ("upbeat but not too loud" is lively).
HEDGE = re.compile(r"\s+(?:be\s+)?(?:too|very|overly|that|super|so)\b", re.I)
LENGTH_UNIT = r"(?:minutes?|mins?|seconds?|secs?|hours?|hrs?)\b"
_LEAD = r"(?:and|ok(?:ay)?|so|maybe|perhaps|hmm+|um+|uh|actually|then|yeah|yes)"
"""Words a follow-up may open with before its number ("and maybe 10 of them")."""
COUNT = re.compile(
    rf"\b(?:give me|show me|pick|find|top|suggest|recommend|play|need|want|just|only|"
    rf"exactly|list|get me|send me|queue up|queue)\s+(?:me\s+)?(?:like\s+)?{NUM}\b"
    rf"(?!\s*(?:bpm|beats|-|–|to\s+\d|minutes?|%))|"
    rf"\b{NUM}(?![\s-]*{LENGTH_UNIT})\s+(?:more\s+|other\s+|[\w-]+\s+|[\w-]+\s+[\w-]+\s+)?{UNIT}\b|"
    rf"^\s*(?:{_LEAD}\W+)*{NUM}\s+(?![\w-]*\s*(?:bpm|beats)|{LENGTH_UNIT})|"
    rf"^\s*(?:{_LEAD}\W+)*(?:maybe|perhaps|how about|what about|make (?:it|that))\s+{NUM}\W*$|"
    r"\b(?:give me|play|find|pick|recommend|suggest|need|want|get me|send me)\s+(?:me\s+)?(a)"
    r"\s+(?:song|track|tune|piece)\b",
    re.I,
)
SAY_FEEL = {
    "max_energy": "energy up to {v}",
    "min_energy": "energy from {v} up",
    "energy": "{v} energy only",  # "medium", or "medium to high"
    "min_bpm": "at least {v:.0f} BPM",
    "max_bpm": "at most {v:.0f} BPM",
    "mode": "{v} key",
}


@dataclass
class Reading:
    """What a request asks for, as read; ``constraints`` are ``Constraints`` fields."""

    text: str  # the request in English, typos fixed (what the other extractors read)
    constraints: dict[str, Any] = field(default_factory=dict)
    count: int | None = None
    total_s: float | None = None  # how long the whole playlist should play ("an hour of music")
    understood: list[str] = field(default_factory=list)
    preface: list[str] = field(default_factory=list)  # glosses and typo fixes, said first
    unclear: list[str] = field(default_factory=list)
    hedged: set[str] = field(default_factory=set)  # bounds from "not too ..." (give way first)
    language: str | None = None
    music: bool = False  # any word that shows the message is about music
    off_topic: bool = False  # an off-topic word and no music word
    genre_words: list[str] = field(default_factory=list)  # genre phrases as typed
    instrument_words: list[tuple[str, str]] = field(default_factory=list)  # (typed, family)
    leftover: list[str] = field(default_factory=list)  # words nothing read
    negated_words: list[str] = field(default_factory=list)  # terms in a "not" scope, as typed
    negated_unknown: list[str] = field(default_factory=list)  # unknown words in a "not" scope
    query_words: list[str] = field(default_factory=list)  # asked-for music words, in order
    allowed_genres: set[str] = field(default_factory=set)  # "metal is fine": never excluded
    released: set[str] = field(default_factory=set)  # "vocals are fine": lifts no_vocals
    eased: set[str] = field(default_factory=set)  # "a little faster is ok": max_bpm gives
    quotas: list[tuple[list[str], int]] = field(default_factory=list)  # "3 punk and 2 jazz"


@dataclass
class _Event:
    start: int
    end: int
    kind: str  # negator | break | with | term | bound
    value: Any = None
    typed: str = ""


def _number(token: str) -> int:
    token = token.lower().strip()
    if token == "a":  # "give me a song"
        return 1
    return int(token) if token.isdigit() else NUMBER_WORDS[token]


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for a, b in spans:
        for i in range(a, b):
            chars[i] = " "
    return "".join(chars)


ALL_OF = re.compile(
    r"\b(?P<all>all|every|each)(?:\s+(?:the|of\s+the|of\s+your|your))?\s+(?:[a-z-]+\s+){0,3}?"
    r"(?:songs?|tracks?|tunes|music|ones|stuff)?\s*(?=(?:that\s+)?(?:you(?:'ve)?\s+(?:have|got)|"
    r"there\s+(?:is|are)|in\s+(?:the|my|your)\s+(?:catalog(?:ue)?|library|collection))\b)",
    re.I,
)
""""all the jazz you have", "every punk song in the library": as many as fit (the cap)."""


def count_of(text: str) -> tuple[int | None, tuple[int, int] | None]:
    """'a dozen', 'just 4', 'five chill songs', 'top 3' -> the number asked and its span."""
    for m in COUNT.finditer(text):
        i = next(i for i, g in enumerate(m.groups(), start=1) if g)
        value = _number(m.group(i))
        if value >= 1:
            return value, m.span(i)  # only the number: "a dozen calm tracks" keeps "calm"
    return None, None


def read_request(
    text: str,
    vocab: Vocabulary | None = None,
    grounding: Grounding | None = None,
    relative: re.Pattern[str] | None = None,
) -> Reading:
    """Read one message.

    ``grounding`` (what the catalog holds) decides what is honoured; ``relative`` matches
    wishes relative to an anchor ("more energetic", "calmer") that are read elsewhere and
    must not also count as absolute feels.
    """
    vocab = vocab or load_vocabulary()
    if grounding is not None:
        vocab = vocab.with_genres(set(grounding.genres))
    plain = normalise(text, vocab)
    low, cased = plain.text, plain.cased
    reading = Reading(text=low, language=plain.language, preface=plain.preface)

    events: list[_Event] = []
    spans: list[tuple[int, int]] = []
    total = playlist_length(low)
    if total is not None:  # "an hour of music": the playlist's length, not a track's
        reading.total_s = total.values["total_s"]
        spans.append(total.span)
    for found in [
        *tempo_bounds(low),
        *length_bounds(low),
        *energy_bounds(low),
    ]:  # "under 3 minutes": a length
        if not any(a < found.span[1] and found.span[0] < b for a, b in spans):
            events.append(_Event(*found.span, "bound", found.values, found.typed))
            spans.append(found.span)
    for odd in impossible_tempos(_mask(low, spans)):
        spans.append(odd.span)
        lo, hi = TEMPO_RANGE
        reading.unclear.append(
            f"“{odd.typed}”: no music has that tempo (I read {lo:.0f}-{hi:.0f} BPM)"
        )
    for span, typed in named_eras(_mask(low, spans)):
        spans.append(span)
        reading.unclear.append(
            f"“{typed}”: when a track was made is not known here, only how it sounds"
        )
    for m in OTHER_CHAT.finditer(_mask(low, spans)):
        spans.append(m.span())
        reading.unclear.append(
            f"“{m.group(0)}”: other conversations are not visible here; name a title or send "
            "the file"
        )
    for span, typed in named_popularity(_mask(low, spans)):
        spans.append(span)
        reading.unclear.append(
            f"“{typed}”: how popular a track is is not known here (no play counts or charts), "
            "only how it sounds"
        )
    for span, typed in named_meters(_mask(low, spans)):
        spans.append(span)
        reading.unclear.append(
            f"“{typed}”: the time signature is not measured here (tempo, key, energy and voice are)"
        )
    sex = voice_sex(low)
    if sex:
        spans.append(sex[1])  # "female" is said back here, never "not understood" as well
        reading.unclear.append(
            f"“{sex[0]}”: whether a voice is female or male is not measured here, only "
            "whether there is one"
        )
    for key in named_keys(_mask(low, spans), low, cased):
        spans.append(key.span)
        reading.constraints["key"] = key.tonic
        if key.mode:
            reading.constraints["mode"] = key.mode
        reading.understood.append(f"“{key.typed}” → key {key.tonic} {key.mode or ''}".rstrip())
    count, cspan = count_of(_mask(low, spans))
    every = ALL_OF.search(_mask(low, spans)) if count is None else None
    if every is not None:  # "all the jazz you have": every track that fits, up to the cap
        reading.count = MAX_COUNT
        reading.understood.append(f"“{every.group(0).strip()}” → all that fit (up to {MAX_COUNT})")
        spans.append(every.span("all"))
    elif cspan and count is not None:
        reading.count = min(count, MAX_COUNT)
        said = f" (at most {MAX_COUNT} per answer)" if count > MAX_COUNT else ""
        reading.understood.append(f"{counted(reading.count, 'pick')}{said}")
        spans.append(cspan)
    for bound, wishes, span, typed in read_eased(_mask(low, spans)):  # "faster is ok"
        reading.eased.add(bound)
        reading.released |= set(wishes)
        reading.understood.append(f"“{typed}” → {ROOM}")
        spans.append(span)
    if relative is not None:
        spans += [m.span() for m in relative.finditer(_mask(low, spans))]
    for between in feel_spans(_mask(low, spans), vocab):  # "between chill and upbeat"
        _apply(reading, between.values, f"“{between.typed}”")
        spans.append(between.span)
    for m in RELEASE.finditer(_mask(low, spans)):  # "forget the length", "any tempo is fine"
        said = next(g for g in m.groups() if g)
        name = next(n for n, words in DIMENSIONS.items() if re.fullmatch(words, said))
        reading.released |= set(RELEASES[name])
        reading.understood.append(f"“{m.group(0).strip()}” → any {name}")
        spans.append(m.span())
    for m in EITHER_WAY.finditer(_mask(low, spans)):
        word = m["a"] or m["b"] or m["c"] or m["d"]
        if vocab.pattern.fullmatch(word):
            spans.append(m.span())
            reading.understood.append(f"“{m.group(0)}” → either way")
            term = vocab.terms[word]
            if term.kind == "genre":  # "no rock, but metal is fine": metal stays allowed
                held = grounding.genres_for(term.value, word, vocab) if grounding else []
                reading.allowed_genres |= {term.value, *held}
            elif term.kind in ("voice", "instrumental"):  # lifts an earlier "no vocals"
                reading.released |= {"no_vocals", "vocals_only"}
    masked = _mask(low, spans)
    for m in vocab.pattern.finditer(masked):
        term = vocab.terms[m.group(1)]
        kind = "negator" if term.kind == "negator" else "term"
        events.append(_Event(m.start(), m.end(), kind, term, m.group(1)))
        spans.append((m.start(), m.end()))
    masked = _mask(low, spans)
    for m in BREAK.finditer(masked):
        events.append(_Event(m.start(), m.end(), "break"))
    for m in WITH.finditer(masked):
        events.append(_Event(m.start(), m.end(), "with"))
    events.sort(key=lambda e: (e.start, e.end))

    negated, hedged, in_scope, last_kind, opened = False, False, 0, "", ""
    for i, e in enumerate(events):
        if e.kind == "negator":
            negated, in_scope, opened = True, 0, e.typed.strip()
            hedged = bool(HEDGE.match(low, e.end))
        elif e.kind == "break":
            same = _same_kind_list(low, e, events[i + 1 : i + 2], last_kind)
            if negated and same and not _correction(low, opened, e, events[i + 1 :]):
                continue  # "except metal and punk": the list shares the negation
            negated = False
        elif e.kind == "with":
            if in_scope:
                negated = False
        elif e.kind == "bound":
            values = flip(e.value) if negated else dict(e.value)
            in_scope += 1
            if not values:
                reading.unclear.append(
                    f"“{e.typed.strip()}” (negated): a band of lengths cannot be left out; "
                    "ask for shorter or longer than a length"
                )
                continue
            _apply(reading, values, f"“{e.typed.strip()}”" + (" (negated)" if negated else ""))
        else:
            if e.value.kind != "music":  # "no tracks with vocals": "tracks" is no item
                in_scope += 1
            searchable = e.value.kind in ("genre", "feel", "instrument")
            if not negated and searchable and not _only_length(e.value, vocab):
                reading.query_words.append(e.typed)  # "short songs" sounds like nothing
            if negated:
                reading.negated_words.append(e.typed)
                last_kind = e.value.kind
            before = list(reading.constraints.get("genres", []))
            _term(reading, e.value, e.typed, negated, vocab, grounding, hedged=hedged)
            if e.value.kind == "genre" and not negated:
                spans += _share(reading, low, e.start, before)
    spans += _alone(reading, low, vocab)
    if len(reading.constraints.get("instruments", [])) > 1 and _either(low, reading):
        reading.constraints["any_instrument"] = True  # "piano or strings": one of them will do
        each = {f"with {i}" for i in reading.constraints["instruments"]}
        reading.understood = [u for u in reading.understood if u not in each]
        reading.understood.append(f"with {' or '.join(reading.constraints['instruments'])}")
    _settle(reading)
    _quotas(reading)
    reading.understood = list(dict.fromkeys(reading.understood))  # "🔥🔥": said once
    rest = _mask(low, spans)
    for m in re.finditer(r"[a-z][a-z'-]+", rest):
        w = m.group(0)
        if w in COMMON or len(w) <= 2:
            continue
        # "happy but not cheesy": a word nothing knows, but negated: never searched for
        (reading.negated_unknown if _negated_at(events, m.start()) else reading.leftover).append(w)
    return reading


SHARE = re.compile(rf"(?:^|[\s,(])(?:of\s+(?:them|those)\s+)?{NUM}\s+(?:more\s+)?$", re.I)
"""A number just before a genre word: the "3" of "3 punk and 2 jazz"."""


def _share(reading: Reading, low: str, start: int, before: list[str]) -> list[tuple[int, int]]:
    """Note the genres a genre word added with the number typed before it; its span."""
    added = [g for g in reading.constraints.get("genres", []) if g not in before]
    m = SHARE.search(low[:start])
    if not (added and m):
        return []
    reading.quotas.append((added, int(_number(m.group(1)))))
    return [m.span(1)]


def _quotas(reading: Reading) -> None:
    """Two or more genres each with its number are shares of one list: count is their sum."""
    if len(reading.quotas) < 2:
        reading.quotas = []
        return
    reading.count = min(MAX_COUNT, sum(n for _, n in reading.quotas))
    shares = " + ".join(f"{n} {' or '.join(g)}" for g, n in reading.quotas)
    said = {" or ".join(g) for g, _ in reading.quotas}  # "punk rock" is in the share's words
    reading.understood = [u for u in reading.understood
                          if not re.fullmatch(r"\d+ picks?", u) and u not in said]  # fmt: skip
    reading.understood.append(f"{shares} → {reading.count} picks")


def _only_length(term: Any, vocab: Vocabulary) -> bool:
    """A feel that only bounds track length ("short songs"): nothing to search the sound for."""
    asked = vocab.feel(term.value)["asked"] if term.kind == "feel" else {}
    return bool(asked) and set(asked) <= {"min_duration_s", "max_duration_s"}


def _negated_at(events: list[_Event], pos: int) -> bool:
    """Whether a "not" scope is open at ``pos`` (a negator since the last break)."""
    negated = False
    for e in events:
        if e.start >= pos:
            break
        if e.kind == "negator":
            negated = True
        elif e.kind in ("break", "with"):
            negated = False
    return negated


def _apply(reading: Reading, values: dict[str, Any], said: str) -> None:
    c = reading.constraints
    for k, v in values.items():
        if k == "max_bpm" and c.get("max_bpm") is not None:
            v = min(v, c["max_bpm"])
        if k == "min_bpm" and c.get("min_bpm") is not None:
            v = max(v, c["min_bpm"])
        if k in ("min_energy", "max_energy") and c.get(k) is not None:  # one message: both hold
            pick = max if k == "min_energy" else min
            v = pick(v, c[k], key=ENERGY.index)
        c[k] = v
    if values.get("max_energy") == "low" or values.get("min_energy") == "very_high":
        values = {**values, "min_energy": values.get("min_energy", "low")}  # "low energy only"
        values["max_energy"] = values.get("max_energy", "very_high")
    if values.get("min_energy") and values.get("max_energy"):  # "medium energy", not a pair
        lo, hi = values["min_energy"], values["max_energy"]
        values = {**values, "energy": lo if lo == hi else f"{lo} to {hi}"}
        values = {k: v for k, v in values.items() if k not in ("min_energy", "max_energy")}
    words = [SAY_FEEL[k].format(v=v.replace("_", " ") if isinstance(v, str) else v)
             for k, v in values.items() if k in SAY_FEEL]  # fmt: skip
    if "avoid_bpm_from" in values:
        words.append(f"not {values['avoid_bpm_from']:.0f}-{values['avoid_bpm_to']:.0f} BPM")
    if length := length_words(values.get("min_duration_s"), values.get("max_duration_s")):
        words.append(length)
    if words:
        reading.understood.append(f"{said} → {', '.join(words)}")


def _add(c: dict[str, Any], key: str, value: str) -> None:
    if value not in c.setdefault(key, []):
        c[key].append(value)


def _correction(low: str, opened: str, brk: _Event, following: list[_Event]) -> bool:
    """A correction ("not punk, metal": metal is wanted), not a list of exclusions.

    Only "not", a comma, and one item closing the message ("no punk, metal" and "not
    punk, metal or techno" stay lists).
    """
    if opened != "not" or low[brk.start : brk.end].strip() != "," or not following:
        return False
    rest = low[following[0].end :]
    return not [e for e in following[1:] if e.kind == "term"] and not re.sub(
        r"\b(?:please|pls|instead|then|thanks|thank you|rather)\b|\W", "", rest
    )


def _same_kind_list(low: str, brk: _Event, following: list[_Event], kind: str) -> bool:
    """An "and" / "," that joins two items of one kind inside a negation ("no metal and punk").

    "no vocals and fast" joins a voice to a feel: the negation ends there, as before.
    """
    joined = low[brk.start : brk.end].strip() in (",", "and")
    nxt = following[0] if following else None
    # "less lofi, more jazz": a word between turns the list around ("no metal, punk" keeps it)
    between = low[brk.end : nxt.start].split() if nxt is not None else []
    return (
        joined
        and not [w for w in between if w not in ("or", "nor", "and", "the", "any", "no")]
        and kind in ("genre", "instrument")
        and nxt is not None
        and nxt.kind == "term"
        and nxt.value.kind == kind
    )


def _term(
    reading: Reading,
    term: Any,
    typed: str,
    negated: bool,
    vocab: Vocabulary,
    grounding: Grounding | None,
    *,
    hedged: bool = False,
) -> None:
    """Apply one vocabulary term, negated or not (``hedged``: "not too", "not very")."""
    c = reading.constraints
    if term.kind != "off_topic" and typed not in ASKING_WORDS:
        reading.music = True  # "recommend a movie": asking is not yet about music
    if term.kind == "off_topic":
        reading.off_topic = True
    elif term.kind in ("voice", "instrumental"):
        wants_voice = (term.kind == "voice") != negated
        c.pop("no_vocals" if wants_voice else "vocals_only", None)
        c["vocals_only" if wants_voice else "no_vocals"] = True
        reading.understood.append(
            f"“{typed}”{' (negated)' if negated else ''} → "
            + ("with vocals" if wants_voice else "instrumental only")
        )
    elif term.kind == "genre":
        held = grounding.genres_for(term.value, typed, vocab) if grounding else [term.value]
        if not held and negated:  # "anything but country" where none is: nothing to drop
            reading.understood.append(f"no {term.value} (none in this catalog anyway)")
            return
        if not held:
            reading.unclear.append(f"“{typed}”: no track in this catalog is tagged {term.value}")
            return
        if negated:  # "no rock, but metal is fine": metal is never left out
            held = [g for g in held if g not in reading.allowed_genres]
            if not held:
                return
        for g in held:
            _add(c, "exclude_genres" if negated else "genres", g)
        if not negated:
            reading.genre_words.append(typed)
        reading.understood.append(f"{'no ' if negated else ''}{' or '.join(held)}")
    elif term.kind == "instrument":
        if negated:
            _add(c, "exclude_instruments", term.value)
            reading.understood.append(f"no {term.value}")
        elif grounding is not None and term.value not in grounding.families:
            reading.unclear.append(
                f"“{typed}”: no track in this catalog is known to have {term.value}"
            )
        else:
            _add(c, "instruments", term.value)
            reading.instrument_words.append((typed, term.value))
            reading.understood.append(f"with {term.value}")
    elif term.kind == "feel":
        values = vocab.feel(term.value)["negated" if negated else "asked"]
        if negated and hedged:
            reading.hedged |= set(values)
        said = " (negated)" if negated and not hedged else " (not too)" if negated else ""
        _apply(reading, values, f"“{typed}”{said}")


def _alone(reading: Reading, low: str, vocab: Vocabulary) -> list[tuple[int, int]]:
    """Apply an instrument asked for alone ("piano only"); the spans of the words read."""
    solo = played_alone(reading.instrument_words, low, vocab)
    if solo is None:
        return []
    for other in solo.excluded:
        _add(reading.constraints, "exclude_instruments", other)
    reading.understood.append(f"“{solo.typed}” → {solo.asked} and no other instrument")
    return solo.spans


def _either(low: str, reading: Reading) -> bool:
    """Whether the instruments asked for were joined by "or" ("piano or strings")."""
    words = [w for _, w in reading.instrument_words]
    if len(words) < 2:
        return False
    start = low.find(words[0])
    end = low.find(words[-1], start + len(words[0]))
    return start >= 0 and end > start and bool(re.search(r"\bor\b", low[start:end]))


def _settle(reading: Reading) -> None:
    """Resolve contradictions the words left (a later word wins; a range stays a range)."""
    c = reading.constraints
    lo, hi = c.get("min_energy"), c.get("max_energy")
    gap = ENERGY.index(lo) - ENERGY.index(hi) if lo and hi else 0
    if gap == 1 and reading.hedged & {"min_energy", "max_energy"}:
        # "upbeat but not too loud": the hedged side gives way by one class
        if "max_energy" in reading.hedged:
            c["max_energy"] = lo
        else:
            c["min_energy"] = hi
        reading.understood.append(f"energy {c['min_energy'].replace('_', ' ')}, not beyond")
    elif gap > 0:
        c.pop("min_energy"), c.pop("max_energy")
        reading.unclear.append("asked both calm and energetic: energy left open")
    lo, hi = c.get("min_bpm"), c.get("max_bpm")
    if lo is not None and hi is not None and lo >= hi and reading.hedged & {"min_bpm", "max_bpm"}:
        # "fast but not too fast": the hedged side gives way by one tempo step
        if "max_bpm" in reading.hedged:
            c["max_bpm"] = lo + TEMPO_GIVE
            reading.understood.append(f"{lo:.0f}-{lo + TEMPO_GIVE:.0f} BPM, not beyond")
        else:
            c["min_bpm"] = max(TEMPO_RANGE[0], hi - TEMPO_GIVE)
            reading.understood.append(f"{c['min_bpm']:.0f}-{hi:.0f} BPM, not below")
    elif lo is not None and hi is not None and lo > hi:
        c.pop("min_bpm"), c.pop("max_bpm")
        reading.unclear.append("the tempo bounds contradict each other: tempo left open")
    both = set(c.get("genres", [])) & set(c.get("exclude_genres", []))
    if both:
        c["genres"] = [g for g in c["genres"] if g not in both]
    if not c.get("genres"):
        c.pop("genres", None)
