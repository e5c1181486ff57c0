"""Offline reading of playlist edits and track references in a chat turn.

``RulesReasoner.understand`` reads *what music* a turn asks for; a conversation also
edits what is already there ("swap #3 for something calmer", "make it 10", "no vocals
from now on", "export it as M3U") and points at tracks in many ways ("#3", "the third
one", "that last one", "it", "the one with strings", "my track"). This module reads
those, without resolving them: references come back as tokens the agent resolves
against the thread's playlist and uploads (``agent/refs.py``):

    "#3"            third playlist entry ("#-1": the last one)
    "it"            the track last referred to in the thread
    "with:strings"  a playlist entry whose instruments, genre or caption say "strings"
    "upload"        the audio file the listener sent

Two edits act on the whole playlist rather than on named entries: "undo" / "go back to
the previous list" (op ``undo``; the agent restores the list from the thread's
checkpointed history), and a remove or swap by condition ("remove the fast ones", "drop
everything above 90 bpm", "swap every track with vocals"), read as ``keep``: the
constraints an entry must satisfy to stay, so the agent judges entries with the same
``violations`` rule that filters picks.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

from linernotes.tools.reason import rules_vocab as vocab
from linernotes.tools.schemas import Constraints

NEEDS_A_TRACK = re.compile(
    rf"(?:don'?t|do not|doesn'?t) (?:like|love|want|fit)|hate|not a fan of|not feeling|"
    rf"{vocab.VERDICT_BAD}|instead of",
    re.I,
)
"""``SWAP`` words that are an edit only when they point at a playlist entry: dislike ("I
don't want #3"; "I don't want anything faster than 100" asks for music) and "instead of"
("#3 instead of #5"; "piano instead of guitar" is a wish and what it replaces)."""

PlaylistOp = Literal[
    "more",
    "swap",
    "remove",
    "resize",
    "sticky",
    "forget",
    "export",
    "show",
    "undo",
    "reset",
    "order",
    "query",
    "move",
]
"""What a message can do to the playlist as it stands (the planner's ops, ``state.Op``)."""
EditOp = Literal[PlaylistOp, "different", "again", "surprise"]
"""Plus "different": planned as a fresh list (``Op`` "new") away from the current one; and
"again": "even more" repeats the standing relative wish ("calmer") against the playlist,
or, when there is none, adds tracks as "more" does; and "surprise": "surprise me", a varied
sample of the catalog (``ops.sample_catalog``) instead of a search for words."""
_REF = (
    r"(?:#\s*\d{1,3}|(?:number|no\.?|track)\s+\d{1,3}|the\s+[a-z]+\s+(?:one|track|song|pick)|"
    r"\d{1,3}(?!\s*(?:bpm|min|sec|%)))"
)
EXCHANGE = re.compile(
    rf"\b(?:swap|switch|exchange|flip|trade)\s+(?:the\s+(?:places|order)\s+of\s+)?{_REF}\s+"
    rf"(?:and|with|&)\s+{_REF}\s*(?:around|round|places|over)?\W*$",
    re.I,
)
""""swap #2 and #3", "swap 1 and 2", "switch the first one with the third one": they trade
places (not replaced: "swap #3 for something calmer" still replaces)."""
KEEP_ONLY = re.compile(
    r"\b(?:keep|leave|retain)\s+(?:only|just)\b|\b(?:only|just)\s+(?:keep|leave|retain)\b|"
    r"^\W*(?:ok(?:ay)?\W+)?(?:keep|leave)\s+(?:the\s+)?(?:first|top|last|final|#|\d)|"
    r"^\W*(?:(?:ok(?:ay)?|hmm+|actually)\W+)*(?:only|just)\s+(?:the\s+)?(?:first|top|last|final)"
    rf"(?:\s+{vocab.NUM})?(?:\s+(?:ones?|tracks?|songs?|picks?))?(?:\s+(?:please|pls|then))*\W*$",
    re.I,
)
""""keep only the first three", "just keep 1-3", "keep #1, #2 and #5": the rest go."""
_SPAN = re.compile(r"(?<![\d#])#?(\d{1,2})\s*(?:-|–|to|through|thru)\s*#?(\d{1,2})(?!\d)", re.I)
_BARE = re.compile(r"(?<![\w.])#?\s*(\d{1,2})(?![\w.:])")
ALL_OF_THEM = re.compile(
    r"\b(?:replace|swap|change|redo|refresh|switch)\s+(?:out\s+)?(?:them\s+all|all\s+(?:of\s+)?"
    r"(?:them|these|those|the\s+(?:tracks|songs|picks))|every(?:thing|\s+(?:one|track|song|pick))|"
    r"the\s+(?:whole|entire)\s+(?:list|playlist|thing)|(?:the\s+)?(?:list|playlist))\b|"
    r"^\W*(?:(?:ok(?:ay)?|hmm+|no|nah|meh|nope)\W+)*(?:(?:give me|show me|i want|try|can i (?:get|"
    r"have)|got any|any)\s+)?(?:some\s+)?(?:other|different|new|fresh)\s+(?:ones|tracks|songs|"
    r"picks)(?:\s+(?:please|pls|instead|then))*\W*$|^\W*(?:some\s+)?others(?:\s+please)?\W*$",
    re.I,
)
""""replace them all", "other ones please", "different songs": every entry swapped for a
new pick of the same request (a fresh search of the same words returned the same list)."""
MOVE = re.compile(
    r"\b(?:move|put|place|bump|shift|make)\b.*?\b(?:to\s+|at\s+|in\s+|as\s+)?(?:the\s+)?"
    r"(?P<where>end|bottom|back|last(?:\s+(?:one|place|spot))?|top|start|front|beginning|"
    r"first(?:\s+(?:one|place|spot))?|(?:position|spot|place|number|no\.?)\s*#?(?P<n>\d{1,3})|"
    r"#\s*(?P<h>\d{1,3}))(?:\s+(?:of|on|in)\s+the\s+(?:list|playlist))?\W*$"
    r"|\b(?:should\s+(?:be|go|come)|goes|go|comes?)\s+"
    r"(?P<where2>first|last|at the (?:end|top|start))\W*$",
    re.I,
)
""""move #1 to the end", "put the third one first", "#4 should go last": a new place."""
SHRINK = re.compile(
    r"\b(?:make|get)\s+(?:it|this|the\s+(?:list|playlist|mix))\s+(?:a\s+(?:bit|little)\s+)?"
    r"(?:shorter|smaller)\b|\b(?:a\s+)?(?:shorter|smaller)\s+(?:list|playlist|mix)\b|"
    r"\b(?:shorten|trim|cut down)\s+(?:it|this|the\s+(?:list|playlist|mix))\s*\W*$",
    re.I,
)
""""make the playlist shorter" with no size: asked how many to keep, never guessed."""
LAST_N = re.compile(
    r"\bthe\s+(?P<end>last|final|bottom|first|top)\s+(?P<n>two|three|four|five|six|\d{1,2})"
    r"(?:\s+(?:ones|tracks|songs|picks|of them))?\b",
    re.I,
)
""""remove the last two", "drop the first three songs": that many from one end."""
ADD_LIKE = re.compile(
    rf"\b(?:add|throw in|give me|get me|find|append)\s+(?:me\s+)?(?:{vocab.NUM}\s+)?"
    rf"(?:more|others?|tracks?|songs?)\s+(?:more\s+)?like\b",
    re.I,
)
""""add two more like #1": tracks added to the list, found from #1 (not a new list)."""
QUERY = re.compile(
    r"^\W*(?:(?:so|and|ok|okay|hmm|also)\W+)?(?:which|what)\s+(?:one|ones|track|tracks|song|"
    r"songs|pick|picks|of (?:them|these|those|the (?:picks|songs|tracks)))\b(?!\s+(?:do|does) you)"
    r"|\bhow long is (?:the|this|my|our|that) (?:playlist|list|mix)\b"
    r"|\b(?:total|combined|overall) (?:length|duration|time|runtime|play ?time)\b"
    r"|\bhow long (?:does|will|would) (?:it|the playlist|this|the list|that) "
    r"(?:last|run|play|take)\b"
    r"|\bhow many (?:tracks|songs|picks) (?:are|is) (?:on|in) (?:it|the playlist|the list|this|"
    r"there)\b"
    r"|\bhow many (?:(?:tracks|songs|picks) )?(?:are|is) (?:left|still there|on it|in it|on the "
    r"(?:list|playlist))\b|\bhow many (?:(?:tracks|songs|picks) )?(?:now|left)\W*$"
    r"|\bhow many (?:tracks|songs|picks) (?:does|do) (?:it|the (?:list|playlist)|we) have\b",
    re.I,
)
"""A question about the list as it stands ("which one is the fastest?", "which ones have
vocals?", "how long is the playlist?"): answered, never a new search."""
SURPRISE = re.compile(
    r"\bsurprise me\b|\b(?:something|anything|stuff|songs?|tracks?|music)\s+(?:at\s+)?random\b|"
    r"\brandom\s+(?:songs?|tracks?|music|stuff|picks?|selection|mix)\b|\bdealer'?s choice\b|"
    r"\byour (?:call|choice|pick)\b|\byou (?:pick|choose|decide)\b|\b(?:whatever|anything) you "
    r"(?:like|want|fancy|think|choose)\b|\bplay (?:me )?(?:anything|whatever)(?: you like)?\W*$|"
    r"^\W*(?:i don'?t (?:know|mind|care)\W+)?(?:just )?(?:anything|whatever)(?: (?:goes|is fine|"
    r"works))?\W*$",
    re.I,
)
Order = Literal["shuffle", "reverse", "tempo", "energy"]
"""How "shuffle them", "reverse the order", "sort by tempo" rearrange the playlist."""
SHUFFLE = re.compile(
    r"\b(?:re)?shuffle\b(?!\s+(?:the\s+)?(?:catalog|library|everything))|\brandomi[sz]e\b|"
    r"\b(?:mix|switch) up the order\b|\bin (?:a )?random order\b",
    re.I,
)
REVERSE = re.compile(r"\breverse\b|\bbackwards\b|\bthe other way (?:round|around)\b", re.I)
SORT = re.compile(
    r"\b(?:sort|order|arrange|rank|reorder)\b(?:\s+(?:them|it|the (?:list|playlist|tracks|songs)"
    r"|these|those))?\s+(?:by|in order of|according to|from)\b|"
    r"\bput (?:them|it|the (?:list|playlist|tracks|songs)|these|those) in order\b|"
    r"\b(?:slowest|calmest|quietest|softest|fastest|loudest|most energetic|mellowest)\s+"
    r"(?:ones?\s+|tracks?\s+|songs?\s+)?(?:first|last|to)\b|"
    r"\b(?:build(?:s|ing)? up|ramp(?:s|ing)? up|wind(?:s|ing)? down|cool(?:s|ing)? down)\b",
    re.I,
)
_BY_TEMPO = re.compile(r"\b(?:tempo|bpm|speed|pace|slow\w*|fast\w*|quick\w*)\b", re.I)
_DOWN = re.compile(
    r"\b(?:descending|high(?:est)? (?:to low|first)|(?:fast(?:est)?|loud(?:est)?|most energetic)"
    r" (?:ones? |tracks? |songs? )?(?:to|first)|"
    r"(?:energetic|intense|upbeat) to (?:calm|chill|mellow|slow)|"
    r"wind(?:s|ing)? down|cool(?:s|ing)? down|slowest (?:ones? |tracks? |songs? )?last|"
    r"calmest (?:ones? |tracks? |songs? )?last|quietest (?:ones? |tracks? |songs? )?last)\b",
    re.I,
)


def read_order(text: str) -> tuple[Order, bool] | None:
    """A new order for the playlist this message asks for, and whether high comes first."""
    if SHUFFLE.search(text):
        return "shuffle", False
    if SORT.search(text):
        return ("tempo" if _BY_TEMPO.search(text) else "energy"), bool(_DOWN.search(text))
    if REVERSE.search(text) and re.search(r"\b(?:order|list|playlist|them|it)\b", text, re.I):
        return "reverse", False
    return None


# The whole message is "even more", "further", "a bit more": again what the last turn asked
AGAIN = re.compile(
    r"^\W*(?:(?:and|ok(?:ay)?|yes|yeah|nice|good|great|hmm+|now)\W+)*(?:(?:(?:even|still|yet|a "
    r"(?:bit|little|touch|notch)|slightly|much)\s+more(?:\s+so)?|more\s+still|(?:go\s+|push\s+it"
    r"\s+|take\s+it\s+|even\s+|a\s+bit\s+|a\s+little\s+)?further(?:\s+still)?|another\s+notch"
    r"|keep\s+going\s+(?:in\s+)?that\s+direction))(?:\s+(?:please|pls))?\W*$",
    re.I,
)
# "something totally different", "mix it up": away from what the playlist holds
DIFFERENT = re.compile(
    r"\b(?:something|anything|stuff|songs?|tracks?|music|ones?)\s+(?:(?:completely|totally|"
    r"entirely|really|very|quite|a bit|a little)\s+)?different\b|\bsomething\s+else\b"
    r"|\b(?:mix|switch|change|shake) (?:it|things) up\b|\bsomething new for a change\b",
    re.I,
)
# The whole message asks to begin again; "start over with jazz" is a fresh request instead.
RESET = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|please|let'?s|can we|could we|i want to|i'?d like to)[\s,]+)*"
    r"(?:start(?:\s+(?:over|again|afresh|from scratch))|begin again|reset(?:\s+(?:everything|"
    r"it all|the (?:playlist|list|conversation|chat)))?|clear (?:the |my |this )?(?:playlist|"
    r"list|everything)|(?:a |start a )?(?:new|fresh) (?:playlist|start|list)|scrap (?:that|"
    r"this|it|everything)|wipe (?:it|the (?:playlist|list)))(?:\s+please)?\W*$",
    re.I,
)

UNDO = re.compile(
    r"^\W*(?:please\s+)?(?:undo|revert)\b|\b(?:undo|revert) (?:that|this|it|the last\b)|"
    r"\b(?:go|get|going) back to (?:the |my )?(?:previous|last|earlier|old|other|former) "
    r"(?:list|playlist|one|version|selection)\b|"
    r"\b(?:bring|put|give me) (?:back )?the (?:previous|last|earlier|old|former) "
    r"(?:list|playlist)(?: back)?\b|^\W*(?:no,?\s+)?go back\W*$|\btake (?:that|it) back\b",
    re.I,
)
FAST_BPM = 110.0
"""'The fast ones' are those at or above the 'fast' tempo class (tools/analysis/measure.py)."""
SLOW_BPM = 80.0
"""'The slow ones' are those below the 'moderate' tempo class."""
_BPM = r"(\d{2,3})\s*(?:bpm|beats(?: per minute)?)?"
CONDITIONS: tuple[tuple[re.Pattern[str], dict[str, object] | str], ...] = (
    (re.compile(rf"\b(?:above|over|faster than|more than|higher than|past)\s+{_BPM}", re.I),
     "max_bpm"),
    (re.compile(rf"\b(?:below|under|slower than|less than|lower than)\s+{_BPM}", re.I),
     "min_bpm"),
    (re.compile(r"\binstrumentals?\b|\b(?:without|with no|no) (?:vocals?|voices?|singing)\b",
                re.I), {"vocals_only": True}),
    (re.compile(r"\b(?:with|that have|having|has|have)\s+(?:vocals?|voices?|singing|lyrics|"
                r"a singer|a voice)\b|\b(?:sung|vocal|singing)\s+(?:ones|tracks|songs)\b", re.I),
     {"no_vocals": True}),
    (re.compile(r"\b(?:fast|faster|quick|up-?tempo|speedy)\s+(?:ones|tracks|songs|stuff)\b",
                re.I), {"max_bpm": FAST_BPM}),
    (re.compile(r"\b(?:slow|slower|sluggish)\s+(?:ones|tracks|songs|stuff)\b", re.I),
     {"min_bpm": SLOW_BPM}),
    (re.compile(r"\b(?:loud|energetic|intense|high[- ]energy|banging|aggressive|busy)\s+"
                r"(?:ones|tracks|songs|stuff)\b", re.I), {"max_energy": "medium"}),
    (re.compile(r"\b(?:calm|quiet|soft|low[- ]energy|mellow|sleepy|chill)\s+"
                r"(?:ones|tracks|songs|stuff)\b", re.I), {"min_energy": "medium"}),
)  # fmt: skip
"""Condition phrase -> the constraint an entry must meet to stay ('above 90 bpm' ->
max_bpm 90); a string names the field that the phrase's number fills."""
WHOLE = re.compile(
    r"\b(?:every(?:thing|one)?|all|any(?:thing)?|each)\b|\b(?:ones|tracks|songs|stuff)\b", re.I
)
REPLACEMENT = re.compile(
    r"\b(?:with|for|by|into)\s+(?:something|some|an?|one|ones|tracks? that|calmer|faster|"
    r"slower|quieter|louder)\b|\binstead\b",
    re.I,
)


class Edit(BaseModel):
    """A playlist operation read from a turn, with unresolved track references."""

    op: EditOp | None = Field(None, description="What to do to the playlist, if anything.")
    refs: list[str] = Field(default_factory=list, description="Reference tokens, in order.")
    count: int | None = Field(None, description="Tracks to add ('two more').")
    size: int | None = Field(None, description="Playlist length asked for ('make it 10').")
    fmt: str | None = Field(None, description="Export format (m3u, m3u8, xspf, json).")
    path: str | None = Field(None, description="Export file, if named.")
    sticky: bool = Field(False, description="The turn's constraints hold from now on.")
    order: Order | None = Field(None, description="A new order: shuffle, reverse, tempo, energy.")
    descending: bool = Field(False, description="Tempo/energy order from high to low.")
    bare: bool = Field(False, description="The message only points at a track ('#3?').")
    invert: bool = Field(False, description="Keep only the referenced entries; the rest go.")
    to: int | None = Field(None, description="A move's new place, 1-based; -1 is the end.")
    keep: Constraints | None = Field(
        None,
        description="A remove or swap by condition: what an entry must satisfy to stay "
        "('drop everything above 90 bpm' keeps max_bpm 90).",
    )


def _number(token: str) -> int | None:
    token = token.lower().strip()
    if token.isdigit():
        return int(token)
    return vocab.NUMBER_WORDS.get(token)


def references(text: str) -> list[str]:
    """Reference tokens in order of appearance; "it" only when nothing more specific."""
    found: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []

    def add(m: re.Match[str], token: str) -> None:
        if any(a < m.end() and m.start() < b for a, b in taken):
            return
        taken.append((m.start(), m.end()))
        found.append((m.start(), token))

    for m in vocab.ORDINAL_LIST.finditer(text):  # "the second and third ones"
        for word in re.findall(r"[a-z]+", m.group(1).lower()):
            if word in vocab.ORDINALS:
                found.append((m.start(), f"#{vocab.ORDINALS[word]}"))
        taken.append((m.start(), m.end()))
    for m in vocab.POSITION.finditer(text):
        digits = m.group(1) or m.group(2)
        n = int(digits) if digits else vocab.ORDINALS[m.group(3).lower()]
        add(m, f"#{n}")
    for m in vocab.LAST_ONE.finditer(text):
        add(m, "#-1")
    for m in vocab.UPLOAD_REF.finditer(text):
        add(m, "upload")
    for m in vocab.WITH_REF.finditer(text):
        words = (m.group("w") or m.group("s") or "").lower()
        first = words.split()[0] if words else ""
        superlative = first in vocab.SUPERLATIVES
        if words and first not in vocab.NOT_A_STYLE and not first.isdigit() and not superlative:
            add(m, f"with:{words}")  # "the happiest song" asks the catalog, not the list
    if not found:
        for m in vocab.PRONOUN.finditer(vocab.IDIOM_IT.sub(lambda i: " " * len(i[0]), text)):
            add(m, "it")
            break
    return [token for _, token in sorted(found, key=lambda f: f[0])]


def condition(text: str) -> Constraints | None:
    """What entries must satisfy to stay, read from a playlist-wide remove or swap.

    Only the object of the edit is read: "replace every track over 120 bpm with something
    calmer" reads "every track over 120 bpm". None when the message names no condition or
    does not speak of several tracks ("every", "all", "the ... ones").
    """
    obj = REPLACEMENT.split(text, maxsplit=1)[0]
    if not WHOLE.search(obj):
        return None
    found: dict[str, object] = {}
    for pattern, meaning in CONDITIONS:
        m = pattern.search(obj)
        if m is None:
            continue
        if isinstance(meaning, str):
            found[meaning] = float(m.group(1))
        else:
            found.update(meaning)
    if found.get("no_vocals") and found.get("vocals_only"):
        return None  # "with and without vocals" names no condition
    return Constraints.model_validate(found) if found else None


def read_edit(text: str) -> Edit:
    """Read the playlist operation and track references of one message.

    Operations are checked most specific first: forgetting constraints, exporting,
    showing, resizing, swapping, removing, "more", then a bare sticky constraint.
    """
    clean = " ".join(text.split())
    refs = references(clean)
    sticky = bool(vocab.STICKY.search(clean))
    if UNDO.search(clean):
        return Edit(op="undo")
    if RESET.search(clean):
        return Edit(op="reset")
    if AGAIN.search(clean):
        return Edit(op="again")
    if vocab.FORGET.search(clean):
        return Edit(op="forget", refs=refs)
    if vocab.EXPORT.search(clean) and (
        vocab.EXPORT_FORMAT.search(clean) or re.search(r"\bplaylist\b", clean, re.I)
    ):
        path_m = vocab.EXPORT_PATH.search(clean)
        path = (path_m.group(1) or path_m.group(2)) if path_m else None
        fmt_m = vocab.EXPORT_FORMAT.search(clean)
        fmt = fmt_m.group(1).lower() if fmt_m else None
        if path and "." in path:
            fmt = fmt if fmt and not path.lower().endswith(f".{fmt}") else None
        return Edit(op="export", refs=[], fmt=fmt, path=path)
    if QUERY.search(clean) and not vocab.LEADS.search(clean) and not refs:
        return Edit(op="query")
    places = [r for r in refs if r.startswith("#")]
    exchange = EXCHANGE.search(clean)
    if exchange and len(places) != 2:  # "swap 1 and 2": bare numbers are places here
        places = [f"#{n}" for n in re.findall(r"\d{1,3}", exchange.group(0))]
    if exchange and len(places) == 2:
        return Edit(op="move", refs=places)
    if KEEP_ONLY.search(clean):
        kept = _kept(clean) or refs
        if kept:
            return Edit(op="remove", refs=kept, invert=True)
    if ALL_OF_THEM.search(clean) and not places and condition(clean) is None:
        return Edit(op="swap", refs=["all"])  # "replace every track with vocals" is by condition
    move = MOVE.search(clean)
    if move and places:
        return Edit(op="move", refs=places[:1], to=_place(move))
    if vocab.SHOW.search(clean):
        return Edit(op="show", refs=refs)
    order = read_order(clean)
    if order is not None and not [r for r in refs if r.startswith("#")]:  # "reverse it" is fine
        return Edit(op="order", order=order[0], descending=order[1])
    m = vocab.RESIZE.search(clean)
    if m:
        size = _number(next(g for g in m.groups() if g))
        if size and 1 <= size <= 100:
            return Edit(op="resize", refs=refs, size=size, sticky=sticky)
    if SHRINK.search(clean):
        return Edit(op="resize", size=None)
    wide = condition(clean) if not [r for r in refs if r.startswith("#")] else None
    swap = vocab.SWAP.search(clean)
    if swap and (refs or not NEEDS_A_TRACK.fullmatch(swap[0])):
        if wide is not None:
            return Edit(op="swap", keep=wide, sticky=sticky)
        return Edit(op="swap", refs=refs, sticky=sticky)
    if vocab.REMOVE.search(clean) and not sticky:
        return Edit(op="remove", refs=[] if wide else _ends(clean) or refs, keep=wide)
    m = vocab.MORE.search(clean)
    like = re.search(r"\bmore\s+like\s+(?!these|those|them|this|that)", clean, re.I)
    if m and (not like or (ADD_LIKE.search(clean) and refs)):
        token = next((g for g in m.groups() if g), None)
        count = _number(token) if token else None
        if count is None and re.search(r"\b(another|one more)\b", clean, re.I):
            count = 1
        return Edit(op="more", refs=refs, count=count, sticky=sticky)
    if DIFFERENT.search(clean) and not refs:  # "swap #3 for something different" swaps
        return Edit(op="different")
    if SURPRISE.search(clean) and not refs:
        return Edit(op="surprise")
    if sticky:
        return Edit(op="sticky", refs=refs, sticky=True)
    # "the one with strings?", "is #1 sung?": a question about a track, not a request
    asks = bool(vocab.QUESTION.search(clean)) and not vocab.LEADS.search(clean)
    return Edit(refs=refs, bare=bool(refs) and (asks or _only_references(clean)))


def _kept(text: str) -> list[str]:
    """Places a "keep only ..." names: "the first three", "1-3", "1, 2 and 5"."""
    ends = _ends(text)
    if ends:
        return ends
    span = _SPAN.search(text)
    if span:
        a, b = sorted((int(span[1]), int(span[2])))
        return [f"#{n}" for n in range(a, b + 1)] if a >= 1 else []
    verb = re.search(r"\b(?:keep|leave|retain)\b", text, re.I)
    after = text[verb.end() :] if verb else text
    return [f"#{n}" for n in _BARE.findall(after) if int(n) >= 1]


def _place(m: re.Match[str]) -> int:
    """The new place a MOVE match names: 1-based, -1 for the end."""
    where = (m["where"] or m["where2"] or "").lower()
    digits = m["n"] or m["h"]
    if digits:
        return int(digits)
    return 1 if where.startswith(("top", "start", "front", "beginning", "first", "at the top",
                                  "at the start")) else -1  # fmt: skip


def _ends(text: str) -> list[str]:
    """References of "the last two" (#-2, #-1) or "the first three" (#1, #2, #3)."""
    m = LAST_N.search(text)
    if m is None:
        return []
    n = _number(m["n"]) or 0
    if m["end"].lower() in ("first", "top"):
        return [f"#{i}" for i in range(1, n + 1)]
    return [f"#{-i}" for i in range(n, 0, -1)]


def _only_references(text: str) -> bool:
    """True when nothing but references and small talk is left ("and the third one?")."""
    for pattern in (vocab.POSITION, vocab.LAST_ONE, vocab.UPLOAD_REF, vocab.WITH_REF):
        text = pattern.sub(" ", text)
    filler = {"what", "about", "how", "and", "then", "the", "one", "that", "this", "now"}
    return not [w for w in re.findall(r"[a-z]{3,}", text.lower()) if w not in filler]


FOLLOW_UP_WORDS = frozenset(
    """only just ones one them those these tracks track songs song stuff music please now but
    and also too instead same keep make it that this the a an some any more less with without
    no not nothing none vocals vocal voice voices singing sung instrumental instrumentals
    lyrics words calmer mellower softer quieter faster slower louder more energetic bpm
    beats per minute under over above below at least most than between to from please
    ok okay actually rather let's lets can could you give me want i'd id like prefer
    again then so""".split()  # noqa: SIM905
)
"""Words a follow-up may hold besides constraints ("only instrumental ones please"): a
request left with nothing else refines the standing one instead of starting afresh."""


def is_follow_up(leftover: str | None) -> bool:
    """True when the words the parser could not place are all follow-up words or numbers.

    "only instrumental ones please" after a workout list keeps the workout context; "punk
    rock for a road trip" does not (it names music of its own).
    """
    words = re.findall(r"[a-z']+", (leftover or "").lower())
    return all(w in FOLLOW_UP_WORDS or w.isdigit() for w in words)
