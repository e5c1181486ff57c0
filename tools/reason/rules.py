"""Deterministic offline reasoner: a chat turn -> ``Request`` with regex, difflib and embeddings.

The offline default must understand the requests the README promises ("more like X but
for studying", "something to read to", "give me five calmer ones under 100 bpm") without
a language model. Each part of the request has one small extractor: intent (keywords),
anchor (quotes, paths, "track <id>", "more like <title>" resolved against catalog titles
with difflib), listening context (the phrase after "for"/"while"/"to", mapped to a known
context by sentence similarity in ``tools.reason.contexts.match_context`` so unseen phrasings
map too), constraints and count. Nothing here calls a network; a warm call costs one
short sentence embedding (a few milliseconds).
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from linernotes.tools.errors import LinernotesError
from linernotes.tools.reason import rules_vocab as vocab
from linernotes.tools.schemas import Constraints, Intent, Request


def _number(token: str) -> int:
    """Read '12' or 'a dozen' as an int."""
    token = token.lower().strip()
    return int(token) if token.isdigit() else vocab.NUMBER_WORDS[token]


def _cut_at(text: str, stop: re.Pattern[str]) -> int:
    """Index of the first stop marker in ``text`` (its length if none)."""
    m = stop.search(text)
    return m.start() if m else len(text)


def _leftover(text: str) -> str:
    """The words of ``text`` that are not constraints, counts, positions or filler."""
    for _, pattern in vocab.RULES:
        text = pattern.sub(" ", text)
    for pattern in (vocab.BPM, vocab.COUNT, vocab.POSITION, vocab.FILLER):
        text = pattern.sub(" ", text)
    words = re.findall(r"[a-z']+", text.lower())
    stop = {"more", "like", "the", "and", "for", "with", "but", "that", "this", "one", "ones"}
    return " ".join(w for w in words if len(w) > 2 and w not in stop)


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
            catalog: when given, anchor phrases are resolved to track ids by fuzzy title
                matching (difflib), so a misspelt title still anchors.

        Returns:
            The request; ``anchor`` is a track id when resolved, ``#N`` for "the Nth pick
            of the previous answer", else the raw phrase (a path or an unresolved title).
        """
        clean = " ".join(text.split())
        intent = self._intent(clean)
        anchor, rest = self._anchor(clean, catalog, intent)
        constraints = self._constraints(rest)
        count = self._count(rest)
        if intent == "chat" and (count or constraints != Constraints()):
            intent = "recommend"  # "instrumental, under 100 bpm" is a request, not chat
        context, context_name = self._context(rest, guess=intent in ("recommend", "refine"))
        text_query = None
        if anchor is None and intent in ("recommend", "refine"):
            # What is left once the context phrase is gone describes the music itself
            # ("dark techno for a run" -> "dark techno"); nothing left -> no text query.
            style = rest
            if context_name and context:
                m = vocab.CONTEXT_LEADS.search(rest)
                style = rest[: m.start()] if m else rest.replace(context, " ")
            query = vocab.FILLER.sub(" ", vocab.BPM.sub(" ", vocab.COUNT.sub(" ", style)))
            if not _leftover(query):
                query = ""
            query = " ".join(query.split()).strip(" ,.;!?")
            text_query = query or None
        return Request(
            text=text,
            intent=intent,
            anchor=anchor,
            context=context,
            context_name=context_name,
            text_query=text_query,
            constraints=constraints,
            count=count,
        )

    # -- parts -----------------------------------------------------------------------
    @staticmethod
    def _intent(text: str) -> Intent:
        """Explain, describe and refine are checked first: they reuse recommend's words."""
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
            if position:
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
        if position and (intent in ("explain", "refine", "describe") or "track" in position[0]):
            return self._position(position), text[: position.start()] + text[position.end() :]
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

    def _context(self, text: str, *, guess: bool) -> tuple[str | None, str | None]:
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
            # Framed like the contexts' example phrases ("music to read to"): a bare
            # "read to" is too short for sentence similarity to place reliably.
            lead = (m.group("lead") if m else None) or "to"
            return phrase, self._match_context(phrase, framed=f"music {lead.lower()} {phrase}")
        if guess:
            # No "for ..." phrase: the leftover words may still name a context by a
            # keyword ("gym playlist", "bedtime tunes") once the constraint words are
            # gone. Only keywords: a style ("dark ambient with piano") is not a context.
            probe = _leftover(text)
            if probe:
                name = self._match_context(probe, framed=None)
                if name:
                    return probe, name
        return None, None

    def _match_context(self, phrase: str, *, framed: str | None) -> str | None:
        """Map a phrase to a known context name, or None.

        Keywords of the phrase itself first; then, if ``framed`` is given and an
        embedder is available, sentence similarity of the framed phrase.
        """
        matcher = self._matcher
        if matcher is None:
            from linernotes.tools.reason.contexts import match_context

            matcher = match_context
        match = matcher(phrase, None)
        if match is None and framed is not None and self.text_embedder is not None:
            match = matcher(framed, self.text_embedder)
        return match.name if match is not None else None

    @staticmethod
    def _constraints(text: str) -> Constraints:
        """Vocals, relative moves (calmer/faster), tempo bounds and loudness ceilings."""
        hits = {name for name, pattern in vocab.RULES if pattern.search(text)}
        values: dict[str, Any] = {k: True for k in hits if k in Constraints.model_fields}
        if "no_vocals" in hits:
            values.pop("vocals_only", None)
        if "quiet" in hits:
            values["max_energy"] = "medium"
        if "loud" in hits and "quiet" not in hits:
            values["min_energy"] = "high"
        for m in vocab.BPM.finditer(text):
            below, above, around, value, low, high = m.groups()
            if low and high:
                values["min_bpm"], values["max_bpm"] = sorted((float(low), float(high)))
            elif below:
                values["max_bpm"] = float(value)
            elif above:
                values["min_bpm"] = float(value)
            elif around:
                values["min_bpm"], values["max_bpm"] = float(value) - 8, float(value) + 8
        return Constraints(**values)

    @staticmethod
    def _count(text: str) -> int | None:
        """'10 tracks', 'give me five', 'top 3', 'a dozen songs' -> the number (1-100)."""
        for m in vocab.COUNT.finditer(text):
            token = next(g for g in m.groups() if g)
            value = _number(token)
            if 1 <= value <= 100:
                return value
        return None

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
        """Fuzzy-match ``phrase`` to a catalog title.

        With ``exact_prefix`` the phrase is the whole tail after "more like": a title it
        starts with wins (longest first, so titles containing "for" survive), else the
        best difflib match over the tail's first 1-8 words. Returns ``(id, chars used)``
        in that mode, the id otherwise, or None.
        """
        titles, ordered = self._titles(catalog)
        low = phrase.lower()
        if exact_prefix:
            for title in ordered:
                if low.startswith(title) and (
                    len(low) == len(title) or not low[len(title)].isalnum()
                ):
                    return titles[title], len(title)
            words = list(re.finditer(r"\S+", phrase))[:8]
            best: tuple[float, int, str] | None = None
            for i in range(len(words)):
                end = words[i].end()
                cand = low[:end].strip(" ,.;!?'\"")
                for title in difflib.get_close_matches(cand, titles, n=1, cutoff=0.8):
                    score = difflib.SequenceMatcher(None, cand, title).ratio()
                    if best is None or (score, end) > (best[0], best[1]):
                        best = (score, end, title)
            return (titles[best[2]], best[1]) if best else None
        if low.strip() in titles:
            return titles[low.strip()]
        close = difflib.get_close_matches(low.strip(), titles, n=1, cutoff=0.75)
        if close:
            return titles[close[0]]
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
