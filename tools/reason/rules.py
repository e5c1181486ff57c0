"""Deterministic offline reasoner: a chat turn -> ``Request`` with rules, data and embeddings.

The offline default must understand the requests the README promises ("more like X but
for studying", "something to read to", "give me five calmer ones under 100 bpm") without
a language model. Each part of the request has one small extractor: intent (keywords),
anchor (quotes, paths, "track <id>", "more like <title>" resolved against catalog titles
exactly or by prefix; a near miss is only offered back as "did you mean"), listening
context (the phrase after "for"/"while"/"to", mapped to a known context by sentence
similarity in ``tools.reason.contexts.match_context`` so unseen phrasings
map too); what music is asked for (negations, tempo bounds, genres, instruments, feels,
counts) is read by ``tools.reason.reading`` from the vocabulary in
``tools/data/request_vocab.yaml``, and ``tools.reason.honesty`` says back what was and
was not understood. Nothing here calls a network; a warm call costs one
short sentence embedding (a few milliseconds).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from linernotes.tools.catalog.lexical import lexical_for
from linernotes.tools.errors import LinernotesError
from linernotes.tools.reason import rules_vocab as vocab
from linernotes.tools.reason.bounds import COMPARE, LENGTH, duration_words
from linernotes.tools.reason.easing import without_eased
from linernotes.tools.reason.honesty import honesty
from linernotes.tools.reason.names import Names, _is_words, find_names
from linernotes.tools.reason.reading import EITHER_WAY, MAX_COUNT, Reading, read_request
from linernotes.tools.reason.vocabulary import grounding_for, load_vocabulary
from linernotes.tools.schemas import Constraints, Intent, Quota, Request

RELATIVE = ("calmer", "more_energetic", "faster", "slower", "shorter", "longer")
RELATIVE_WORDS = re.compile(
    "|".join(f"(?:{p.pattern})" for name, p in vocab.RULES if name in RELATIVE), re.I
)


def _cut_at(text: str, stop: re.Pattern[str]) -> int:
    """Index of the first stop marker in ``text`` (its length if none)."""
    m = stop.search(text)
    return m.start() if m else len(text)


def _recase(original: str, read: str) -> str:
    """The reader's text (English, typos fixed, lower case) with the original's casing.

    Words the reader left unchanged keep their capitals, so names stay names ("Kid A").
    """
    if original.lower() == read:
        return original
    words, got = original.split(), read.split()
    if len(words) != len(got):
        return read
    return " ".join(w if w.lower() == g else g for w, g in zip(words, got, strict=True))


NOT_DOING = re.compile(
    r"\b(?:not|never|no longer)\s+(?:for\s+|while\s+|to\s+|when\s+|at\s+)?"
    r"(?:a\s+|an\s+|the\s+|my\s+)?(?P<word>[a-z]+)\b",
    re.I,
)


def _not_a_context(text: str) -> str:
    """``text`` without a situation it says is not the one.

    "not for studying, for a party", "i'm not studying": a negated context keyword must
    not name the context.
    """
    from linernotes.tools.reason.contexts import keyword_words

    words = keyword_words()
    return NOT_DOING.sub(lambda m: " " if m["word"].lower() in words else m.group(0), text)


def _cut(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` without the character spans (names already handled)."""
    for a, b in sorted(spans, reverse=True):
        text = text[:a] + " " + text[b:]
    return " ".join(text.split())


def _no_picks_asked(text: str) -> bool:
    """A question about the catalog, about using linernotes, or a player control: no picks."""
    return any(p.search(text) for p in (vocab.CATALOG_QUESTION, vocab.USAGE, vocab.PLAYBACK))


def _leftover(text: str) -> str:
    """The words of ``text`` that are not constraints, counts, positions or filler."""
    for _, pattern in vocab.RULES:
        text = pattern.sub(" ", text)
    for pattern in (vocab.BPM, vocab.COUNT, vocab.POSITION, vocab.FILLER):
        text = pattern.sub(" ", text)
    words = re.findall(r"[a-z']+", text.lower())
    stop = {"more", "like", "the", "and", "for", "with", "but", "that", "this", "one", "ones"}
    # particles stay: "break up" is heartbreak, "break" alone a pause ("work out", "chill out")
    return " ".join(w for w in words if (len(w) > 2 or w in PARTICLES) and w not in stop)


PARTICLES = frozenset({"up", "out", "off"})


MISSPELT = 0.8
"""A lower-case phrase this close (difflib ratio) to a catalog name is a misspelt name."""


class RulesReasoner:
    """Understands a turn with rules; the ``rules`` reasoner backend.

    Args:
        text_embedder: sentence embedder used to map a context phrase to a known context
            by similarity. Without it, only the literal phrase is kept (no ``context_name``).
        context_matcher: override of ``tools.reason.contexts.match_context`` (tests); called as
            ``matcher(phrase, text_embedder)``, returning an object with ``name`` or None.
    """

    name = "rules"

    def __init__(self, text_embedder: Any = None, context_matcher: Any = None) -> None:
        self.text_embedder = text_embedder
        self._matcher = context_matcher
        # (catalog identity and size, title -> id, titles longest first)
        self._index: tuple[tuple[int, int], dict[str, str], list[str]] | None = None

    # -- public ----------------------------------------------------------------------
    def understand(self, text: str, *, catalog: Any = None) -> Request:
        """Turn one message into a ``Request``.

        Args:
            text: the message as typed.
            catalog: when given, names are looked up in it (exactly or by prefix; a
                near miss is only offered as "did you mean"), and genre and instrument
                words are honoured only where its tracks can satisfy them.

        Returns:
            The request; ``anchor`` is a track id when resolved, ``#N`` for "the Nth pick
            of the previous answer", else the raw phrase (a path or an unresolved title).
        """
        original = " ".join(text.split())
        voc = load_vocabulary()
        ground = grounding_for(catalog, voc) if catalog is not None else None
        reading = read_request(original, voc, ground, relative=RELATIVE_WORDS)
        clean = _recase(original, reading.text)
        names = Names()
        if catalog is not None and not vocab.CHAT.search(clean):
            names = find_names(clean, lexical_for(catalog), voc)
            clean = _cut(clean, names.spans)
        intent = self._intent(clean)
        anchor, rest = self._anchor(clean, catalog, intent)
        if catalog is not None and anchor and not self._is_ref(anchor, catalog):
            words = _is_words(anchor, voc)  # "something like chill jazz": words, not a name
            near = [] if words else lexical_for(catalog).near(anchor, n=2)
            if words:
                anchor, rest = None, clean
            elif anchor == anchor.lower() and all(r < MISSPELT for _, r in near):
                # "sounds like rain", "like a rainy sunday": typed without capitals, and no
                # title or artist close to it ("neon rian" is one): a description
                names.described.append(anchor)
                anchor, rest = None, clean
            else:  # a name the catalog lacks: said, never replaced by a near miss
                names.absent.append(anchor)
                names.did_you_mean += [value for value, _ in near]
                anchor = None
        if names.anchor and anchor is None:
            anchor = names.anchor
        if " ".join(rest.lower().split()) != reading.text:
            # Words inside a title or a name are not requests ("more like Pop 1" asks
            # for no pop): read again what is left, keeping the first reading's preface.
            again = read_request(rest, voc, ground, relative=RELATIVE_WORDS)
            again.preface, again.language = reading.preface, reading.language
            reading = again
        constraints = self._constraints(rest, reading)
        count = reading.count or self._count_for_length(reading, catalog)
        about_catalog = _no_picks_asked(clean)
        if (
            intent == "chat"
            and not about_catalog
            and (count or constraints != Constraints() or reading.music or reading.released)
        ):
            intent = "recommend"  # "instrumental, under 100 bpm" is a request, not chat
        context, context_name = self._context(
            _not_a_context(EITHER_WAY.sub(" ", rest)),  # "either is fine for vocals"
            guess=intent in ("recommend", "refine"),
            negated=reading.negated_words,
        )
        text_query = None
        if anchor is None and intent in ("recommend", "refine"):
            text_query = self._text_query(reading, names, rest, context)
        keyword_context = bool(context) and self._match_context(context or "", framed=None)
        honest = honesty(
            reading,
            names,
            context,
            context_name,
            rest,
            anchored=anchor is not None,
            keyword_context=bool(keyword_context),
        )
        dropped = bool(context) and not context_name  # a situation nothing here knows
        cannot = bool(names.absent or reading.unclear or dropped) and not honest.usable
        if about_catalog:  # "what's in my library?" is about music, with no picks wanted
            honest.off_topic = False
        if honest.off_topic or (cannot and intent == "recommend"):
            intent, text_query = "chat", None  # no picks: the answer says why
        return Request(
            text=text,
            intent=intent,
            anchor=anchor,
            context=context,
            context_name=context_name,
            text_query=text_query,
            constraints=constraints,
            count=count,
            quotas=[Quota(genres=g, count=n) for g, n in reading.quotas],
            understood=honest.understood,
            unclear=honest.unclear,
            off_topic=honest.off_topic,
            absent=names.absent,
            did_you_mean=names.did_you_mean,
            language=reading.language,
            released=sorted(reading.released),
            eased=sorted(reading.eased),
        )

    @staticmethod
    def _count_for_length(reading: Reading, catalog: Any) -> int | None:
        """Picks that fill "an hour of music": the length over the catalog's median track."""
        if reading.total_s is None:
            return None
        typical = catalog.typical_length() if catalog is not None else None
        asked = duration_words(reading.total_s)
        if not typical:
            reading.unclear.append(f"“{asked} of music”: no track lengths to fill it with")
            return None
        count = max(1, min(MAX_COUNT, round(reading.total_s / typical)))
        capped = (
            f", at most {MAX_COUNT} per answer" if reading.total_s / typical > MAX_COUNT else ""
        )
        reading.understood.append(
            f"about {asked} of music → {count} picks (a track here lasts "
            f"{duration_words(typical)} on median{capped})"
        )
        return count

    @staticmethod
    def _text_query(reading: Reading, names: Names, rest: str, context: str | None) -> str | None:
        """The words a text search should look for.

        The music words asked for (never a negated one: "no metal" must not search for
        metal), artists found, and words nothing else read ("dark techno for a run" ->
        "dark techno").
        """
        rest_words = set(re.findall(r"[a-z][a-z'-]+", rest.lower()))
        rest_words -= set(re.findall(r"[a-z][a-z'-]+", (context or "").lower()))
        unknown = [w for w in reading.leftover if w in rest_words and len(w) > 3]
        described = [re.sub(r"^(?:a|an|the)\s+", "", d) for d in names.described]
        words = [*names.artists, *described, *reading.query_words, *unknown]
        return " ".join(dict.fromkeys(" ".join(words).split())) or None

    def _is_ref(self, anchor: str, catalog: Any) -> bool:
        """A resolved track id, a position ("#2"), a reference word or an audio path."""
        if anchor.startswith("#") or vocab.PATH.fullmatch(anchor):
            return True
        if re.fullmatch(r"(this|that|it|these|those|them)( one| track| song)?", anchor, re.I):
            return True
        return bool(catalog.existing_ids([anchor]))

    # -- parts -----------------------------------------------------------------------
    @staticmethod
    def _intent(text: str) -> Intent:
        """Explain, describe and refine are checked first: they reuse recommend's words."""
        if _no_picks_asked(text):
            return "chat"  # answered from the catalog's counts or with how to, not with picks
        if vocab.ABOUT_ME.search(text):
            return "chat"  # about linernotes, not a track to describe
        if vocab.EXPLAIN.search(text) and not re.search(r"\bwhy not\b", text, re.I):
            return "explain"
        if vocab.DESCRIBE.search(text):
            return "describe"
        if vocab.REFINE.search(text):
            return "refine"
        if vocab.RECOMMEND.search(text) or vocab.CONTEXT_LEADS.search(text):
            return "recommend"
        if vocab.CHAT.search(text) or not _leftover(text):
            return "chat"
        return "recommend"  # plain style words ("jazz with trumpet") ask for music

    def _anchor(self, text: str, catalog: Any, intent: Intent) -> tuple[str | None, str]:
        """Find the track the request starts from; return it and the text without it."""
        for pattern, kind in (
            (vocab.QUOTED, "title"),
            (vocab.PATH, "path"),
            (vocab.TRACK_ID, "id"),
        ):
            m = pattern.search(text)
            if m:
                ref = next(g for g in m.groups() if g)
                rest = (text[: m.start()] + " " + text[m.end() :]).strip()
                if kind == "title" and catalog is not None:
                    ref = self._resolve_title(ref, catalog, exact_prefix=False) or ref
                elif kind == "id" and catalog is not None:
                    ref = self._resolve_id(ref, catalog) or ref
                return ref, rest
        lead = vocab.LEADS.search(text)
        if lead:
            tail = text[lead.end() :]
            position = vocab.POSITION.match(tail)
            if position and not self._titled(tail, catalog):
                return self._position(position), text[: lead.start()] + tail[position.end() :]
            if catalog is not None:
                hit = self._resolve_title(tail, catalog, exact_prefix=True)
                if hit:
                    track_id, length = hit
                    return track_id, text[: lead.start()] + " " + tail[length:]
            end = _cut_at(tail, vocab.STOP)
            phrase = tail[:end].strip(" '\"")
            if phrase and not re.fullmatch(r"(this|that|it|these|those|them)", phrase, re.I):
                if catalog is not None:
                    phrase = self._resolve_title(phrase, catalog, exact_prefix=False) or phrase
                return phrase, text[: lead.start()] + " " + tail[end:]
        position = vocab.POSITION.search(text)
        titled = position is not None and self._titled(text[position.start() :], catalog)
        if titled and position is not None:  # "describe Track 1": the title, not #1
            track_id, length = titled
            return track_id, text[: position.start()] + text[position.start() + length :]
        if position and (intent in ("explain", "refine", "describe") or "track" in position[0]):
            return self._position(position), text[: position.start()] + text[position.end() :]
        ranked = vocab.RANKED.search(text) if intent == "explain" else None
        if ranked:  # "why is it first?": the entry at that place, not the word "it"
            num, word = ranked.group("num"), (ranked.group("ord") or "first").lower()
            at = f"#{int(num)}" if num else f"#{vocab.ORDINALS[word]}"
            return at, text[: ranked.start()] + text[ranked.end() :]
        if catalog is not None:
            found = self._title_in_text(text, catalog)
            if found:
                track_id, start, end = found
                return track_id, text[:start] + " " + text[end:]
        return None, text

    @staticmethod
    def _position(m: re.Match[str]) -> str:
        """'#2', 'number 2', 'the second one' -> '#2' (a position in the previous picks)."""
        digits = m.group(1) or m.group(2)
        return f"#{int(digits) if digits else vocab.ORDINALS[m.group(3).lower()]}"

    def _context(
        self, text: str, *, guess: bool, negated: Sequence[str] = ()
    ) -> tuple[str | None, str | None]:
        """The listening-context phrase and the known context it maps to.

        With ``guess``, a message without a "for ..." phrase still has its leftover
        words matched ("gym playlist"); explain/describe/chat turns are never guessed.
        """
        m = vocab.CONTEXT_LEADS.search(text)
        phrase = None
        if m:
            found = m.group("a") or m.group("b") or m.group("c") or ""
            phrase = found[: _cut_at(found, vocab.CONTEXT_STOP)].strip(" '\"")
            phrase = re.sub(r"^(?:a|an|the|my|some)\s+", "", phrase, flags=re.I) or None
            if phrase is not None and not _leftover(phrase):
                phrase = None  # "for something calmer" is a constraint, not a situation
        if phrase is not None:
            named = self._match_context(phrase, framed=None)
            if named:
                return phrase, named
            # A keyword elsewhere beats a guess from the phrase: "bedtime music for kids"
            # is sleep music, whatever "kids" resembles.
            elsewhere = self._keyword_context(text, negated) if guess else None
            if elsewhere:
                return elsewhere
            if vocab.AUDIENCE.fullmatch(phrase):  # a person, not a situation: no guess
                return phrase, None
            # Framed like the contexts' example phrases ("music to read to"): a bare
            # "read to" is too short for sentence similarity to place reliably.
            lead = (m.group("lead") if m else None) or "to"
            framed = f"music {lead.lower()} {phrase}"
            return phrase, self._match_context(phrase, framed=framed, keywords=False)
        if guess:
            return self._keyword_context(text, negated) or (None, None)
        return None, None

    def _keyword_context(self, text: str, negated: Sequence[str]) -> tuple[str, str] | None:
        """A context named by a keyword among the message's leftover words, or None.

        Once the constraint words are gone ("gym playlist", "bedtime tunes"). Only
        keywords: a style ("dark ambient with piano") is not a context.
        """
        probe = _leftover(text)
        for word in negated:  # "nothing sad" asks for no heartbreak music
            probe = re.sub(rf"\b{re.escape(word)}\b", " ", probe, flags=re.I)
        probe = " ".join(probe.split())
        name = self._match_context(probe, framed=None) if probe else None
        return (probe, name) if name else None

    def _match_context(
        self, phrase: str, *, framed: str | None, keywords: bool = True
    ) -> str | None:
        """Map a phrase to a known context name, or None.

        Keywords of the phrase itself first (unless ``keywords`` is False: already tried);
        then, if ``framed`` is given and an embedder is available, sentence similarity of
        the framed phrase.
        """
        matcher = self._matcher
        if matcher is None:
            from linernotes.tools.reason.contexts import match_context

            matcher = match_context
        match = matcher(phrase, None) if keywords else None
        if match is None and framed is not None and self.text_embedder is not None:
            match = matcher(framed, self.text_embedder)
        return match.name if match is not None else None

    @staticmethod
    def _constraints(text: str, reading: Reading) -> Constraints:
        """What the reading found, plus relative wishes (calmer, faster than the anchor)."""
        values: dict[str, Any] = dict(reading.constraints)
        # "faster than 120 bpm", "no longer than 5 minutes": bounds, not wishes
        plain = without_eased(LENGTH.sub(" ", COMPARE.sub(" ", text)))  # "faster is ok": room
        for name, pattern in vocab.RULES:
            if name in RELATIVE and pattern.search(plain):
                values[name] = True
        return Constraints(**values)

    def _titled(self, tail: str, catalog: Any) -> Any:
        """``(id, chars)`` of a title typed with a capital where a position could be read.

        "Track 1", "Song 2" are titles in untagged rips; "track 1" in lower case stays the
        playlist's #1. None when no title starts ``tail`` exactly.
        """
        if catalog is None or not tail[:1].isupper():
            return None
        return self._resolve_title(tail, catalog, exact_prefix=True)

    # -- catalog resolution ----------------------------------------------------------
    def _titles(self, catalog: Any) -> tuple[dict[str, str], list[str]]:
        """Lower-cased titles -> ids, and titles longest first; built once per catalog."""
        key = (id(catalog), len(catalog))
        if self._index is None or self._index[0] != key:
            titles = {t.title.lower().strip(): t.id for t in catalog.tracks() if t.title}
            self._index = (key, titles, sorted(titles, key=len, reverse=True))
        return self._index[1], self._index[2]

    def _resolve_id(self, ref: str, catalog: Any) -> str | None:
        """A full id or an id prefix (>= 6 hex digits) -> the track id, else None."""
        try:
            return catalog.resolve(ref).id
        except LinernotesError:  # a refusal simply means "not an id"
            return None

    def _resolve_title(self, phrase: str, catalog: Any, *, exact_prefix: bool) -> Any:
        """Match ``phrase`` to a catalog title exactly or by prefix, never fuzzily.

        With ``exact_prefix`` the phrase is the whole tail after "more like": a title it
        starts with wins (longest first, so titles containing "for" survive). Returns
        ``(id, chars used)`` in that mode, the id otherwise, or None.
        """
        titles, ordered = self._titles(catalog)
        low = phrase.lower()
        if exact_prefix:
            for title in ordered:
                if low.startswith(title) and (
                    len(low) == len(title) or not low[len(title)].isalnum()
                ):
                    return titles[title], len(title)
            return None
        if low.strip() in titles:
            return titles[low.strip()]
        hits = lexical_for(catalog).lookup(low.strip(), "title")
        if hits:
            return hits[0].track_id
        hexid = re.fullmatch(r"[0-9a-f]{6,}", low.strip())
        return self._resolve_id(low.strip(), catalog) if hexid else None

    def _title_in_text(self, text: str, catalog: Any) -> tuple[str, int, int] | None:
        """A catalog title (6+ chars) written anywhere in the text, longest first."""
        low = text.lower()
        titles, ordered = self._titles(catalog)
        for title in ordered:
            if len(title) < 6:
                break
            if title not in low:
                continue
            m = re.search(rf"(?<!\w){re.escape(title)}(?!\w)", low)
            if m:
                return titles[title], m.start(), m.end()
        return None


def from_settings(settings: Any, text_embedder: Any = None) -> RulesReasoner:
    """The registry's ``rules`` reasoner: offline, matching contexts with ``text_embedder``."""
    return RulesReasoner(text_embedder)
