"""Vocabulary of the rules reasoner: the word lists and regular expressions it reads with.

Kept apart from ``tools/reason/rules.py`` so the logic reads on one screen and the
phrasings it understands can be extended in one place. Every pattern is compiled once
at import, case-insensitive.
"""

from __future__ import annotations

import re

from linernotes.tools.audio import AUDIO_EXTENSIONS

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "a dozen": 12, "dozen": 12, "half a dozen": 6, "a couple of": 2, "a couple": 2,
    "a pair of": 2, "a few": 3, "a handful of": 5, "a single": 1, "thirty": 30, "forty": 40,
    "fifty": 50, "a hundred": 100, "hundred": 100,
}  # fmt: skip
"""Counts in words, for requests ("a dozen calm songs") and edits ("make it twenty")."""
ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
    "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "last": -1,
}  # fmt: skip
# up to four digits ("1000 songs" is capped, not ignored), never a year ("1995 songs")
NUM = (
    r"(\d{1,3}(?!\d)|\d{4}(?<!19\d\d)(?<!20\d\d)|"
    + "|".join(sorted(map(re.escape, NUMBER_WORDS), key=len, reverse=True))
    + ")"
)
UNIT = r"(?:tracks?|songs?|picks?|pieces?|tunes?|recommendations?|suggestions?|options?|ones?)"

CATALOG_QUESTION = re.compile(
    r"\bhow (?:many|much) (?:tracks?|songs?|music|pieces?|tunes?|files?)\b|"
    r"\bhow (?:big|large) is (?:the|my|your|this) (?:catalog(?:ue)?|library|collection)\b|"
    r"\bwhat(?:'s| is| do you have) in (?:the|my|your|this) "
    r"(?:catalog(?:ue)?|library|collection)\b|"
    r"\bwhat (?:genres?|styles?|kinds? of music|sorts? of music|music) (?:do you have|is there|"
    r"are there|are in|have you got|does (?:the|my) (?:catalog(?:ue)?|library) (?:have|hold))\b|"
    r"\bwhat do you have\b|\bwhat (?:songs?|tracks?|music|artists?|albums?) (?:do you have|"
    r"have you got|are (?:there|in (?:the|my|your) (?:catalog(?:ue)?|library|collection)))\b",
    re.I,
)
""""how many tracks do you have?": a question about the catalog, answered from its counts."""
EXPLAIN = re.compile(r"\b(why|explain|how come|what makes|reason)\b", re.I)
DESCRIBE = re.compile(
    r"\b(describe|tell me about|what does .+ sound like|what is .+ like|details? (on|of|about))\b",
    re.I,
)
REFINE = re.compile(
    r"\b(swap|replace|remove|drop|get rid of|instead of|shuffle|reorder|"
    r"(add|give me) \w+ more|make (it|the playlist|them|these)|fewer|less of)\b",
    re.I,
)
RECOMMEND = re.compile(
    r"\b(like|similar|recommend|suggest|something|anything|some|music|tracks?|songs?|"
    r"play|find|give me|playlist|need|want|looking for|more|calmer|faster|slower|tunes?)\b",
    re.I,
)
PLAYBACK = re.compile(
    r"^\W*(?:(?:please|pls|can you|could you|now)\W+)*(?:(?:turn|crank|pump) (?:up|down) the "
    r"(?:volume|sound)|(?:volume|sound) (?:up|down)|(?:louder|quieter)(?: please)?\W*$|"
    r"(?:next|previous|prev|last) (?:song|track|one)\W*$|skip(?: (?:this|it|the song|the track|"
    r"ahead))?\W*$|pause(?: (?:it|the music|this))?\W*$|stop(?: (?:it|the music|playing|this))?"
    r"\W*$|resume(?: playing)?\W*$|unpause\W*$|mute\W*$|rewind\W*$|replay\W*$|"
    r"open (?:spotify|youtube|apple music|itunes|soundcloud|tidal|deezer)\b|"
    r"(?:play|put) (?:it|this|that|them|these|the (?:playlist|list|music)) on (?:spotify|youtube|"
    r"apple music|my speakers?|the speakers?)\b)",
    re.I,
)
"""Player controls ("next song", "turn up the volume", "pause"): linernotes picks music, it
does not play it; answered with where the picks can be played, never with picks."""
ABOUT_ME = re.compile(r"^\W*tell me about (?:yourself|you)\W*$", re.I)
"""About linernotes itself, not a track to describe: answered with what it does."""
USAGE = re.compile(
    r"\bhow (?:do|can|should|would) (?:i|we|you)\s+(?:\w+\s+){0,2}?(?:add|import|upload|load|"
    r"put|get|ingest|scan|index|bring)\b(?:\s+\w+){0,3}?\s+(?:music|songs?|tracks?|files?|"
    r"library|collection|folders?|albums?|mp3s?|audio)\b|"
    r"\bhow (?:does|do) (?:this|it|you|linernotes) work\b|"
    r"\bhow (?:do|can) (?:i|we) use (?:this|it|you|linernotes)\b",
    re.I,
)
"""A question about using linernotes itself ("how do I add my own music?"): answered with
how to, never with picks."""
CHAT = re.compile(
    r"^\W*(hi|hello|hey|yo|thanks?|thank you|cheers|ok(ay)?|cool|great|nice|bye|goodbye|see you|"
    r"cya|good ?night|that'?s all|i'?m done|"
    r"help|who are you|what are you|what can you do|how are you|good (morning|evening)|"
    r"yes|yeah|yep|yup|sure|lol|lmao|haha+|hehe+)\b|^\W*tell me about (?:yourself|you)\W*$",
    re.I,
)
LEADS = re.compile(
    r"(?:\bmore\s+like|\bsomething\s+like|\bsounds?\s+like|\bsimilar\s+to|\bin\s+the\s+style\s+of|"
    r"\bbased\s+on|\bdescribe|\btell\s+me\s+about|\bwhy\s+did\s+you\s+(?:pick|choose)|"
    r"(?<!'d )(?<!would )(?<!\bi )\blike)\s+"
    r"(?:the\s+(?:track|song)\s+|(?:track|song)\s+(?!#?\d{1,3}\b))?",
    re.I,
)
# Where an anchor phrase or a context phrase ends.
STOP = re.compile(
    r"\s+(?:but|for|while|whilst|when|during|with|without|that|and|under|below|over|above|"
    r"to|please|except|though|only)\b|[,.;!?]|\s+-\s+|\s+\d+\s*bpm",
    re.I,
)
CONTEXT_STOP = re.compile(
    r"[,.;!?]|\s+(?:but|with|without|and\s+(?:no|not|make|keep)|under|below|over|above|"
    r"please|that|which|not\s+too|no\s+vocals?|instrumental|at\s+(?:least|most))\b|"
    rf"\s+{NUM}\s+{UNIT}\b|\s+\d+\s*bpm",
    re.I,
)
CONTEXT_LEADS = re.compile(
    r"\b(?:but\s+)?(?P<lead>for|while|whilst|when|during)\s+(?!(?:track|song|#)\b)(?P<a>.+)|"
    r"\b(?:music|something|songs?|tracks?|tunes?|anything|stuff|playlist|sounds?)\s+"
    r"to\s+(?P<b>.+)|^\s*to\s+(?P<c>.+)",
    re.I,
)
POSITION = re.compile(
    r"(?:#\s*(\d{1,3})\b|\b(?:number|no\.?|pick|track)\s+#?(\d{1,3})\b|"
    r"\bthe\s+(" + "|".join(ORDINALS) + r")\s+(?:one|track|song|pick)\b)",
    re.I,
)
_SUBJECT = r"(?:it|this|that)(?:\s+(?:one|track|song|pick|tune))?"
RANKED = re.compile(
    rf"\b(?:(?:is|are|was|'s)\s+{_SUBJECT}|{_SUBJECT}(?:'s|\s+is|\s+was))\s+"
    r"(?:(?:ranked|placed|put|listed|picked)\s+)?(?:(?P<high>so\s+high(?:\s+up)?)|(?:in\s+)?"
    r"(?:(?P<ord>" + "|".join(ORDINALS) + r")|(?:number|no\.?|#)\s*(?P<num>\d{1,3})|"
    r"(?:at|on)\s+(?:the\s+)?top|top))\b",
    re.I,
)
""""why is it first?", "how come it's ranked so high": a question about a playlist place
(the top one unless a place is named)."""
AUDIENCE = re.compile(
    r"^(?:(?:my|our|your|his|her|their|a|the)\s+)?(?:(?:little|big|younger|older|baby|kid|"
    r"new|best|old|\d+[- ]?(?:year|yr)[- ]?old)\s+)*(?:brother|sister|sibling|mom|mum|mommy|"
    r"mother|dad|daddy|father|parent|grand(?:ma|pa|mother|father|parent)|granny|kid|child|"
    r"children|son|daughter|wife|husband|girlfriend|boyfriend|gf|bf|partner|fianc[eé]e?|friend|"
    r"buddy|boss|coworker|co-worker|colleague|teacher|student|toddler|family|guest|neighbou?r|"
    r"cousin|aunt|uncle|nephew|niece|roommate|flatmate|teenager|teen|someone|somebody)s?$",
    re.I,
)
""""for my little brother": who the music is for, which says nothing of how it sounds."""
TRACK_ID = re.compile(r"\b(?:track|id)\s+#?([0-9a-f]{6,64})\b", re.I)
QUOTED = re.compile(r"[\"“”«]([^\"“”«»]{2,}?)[\"“”»]|(?:^|\s)'([^']{2,}?)'(?=$|\s|[,.;!?])")
PATH = re.compile(
    r"((?:~|\.{0,2}/)?[\w./~-]*?\.(?:"
    + "|".join(sorted((e.lstrip(".") for e in AUDIO_EXTENSIONS), key=len, reverse=True))
    + r"))\b",
    re.I,
)
BPM = re.compile(
    r"\b(?:(under|below|less than|slower than|max(?:imum)?|at most|up to|<)|"
    r"(over|above|more than|faster than|min(?:imum)?|at least|>)|(around|about|~))\s*"
    r"(\d{2,3})\s*bpm\b|\b(\d{2,3})\s*(?:-|to|and)\s*(\d{2,3})\s*bpm\b",
    re.I,
)
COUNT = re.compile(
    rf"\b(?:give me|show me|pick|find|top|suggest|recommend|play|need|want)\s+(?:me\s+)?{NUM}\b"
    rf"(?!\s*bpm)|\b{NUM}\s+(?:more\s+|other\s+|\w+\s+)?{UNIT}\b",
    re.I,
)
FILLER = re.compile(
    r"\b(please|can you|could you|i'?d like|i want|i need|give me|find me|show me|play me|"
    r"play|find|some|something|anything|a few|tracks?|songs?|music|tunes?|stuff)\b",
    re.I,
)

# "too loud" / "too slow" as a complaint about the picks asks for the opposite, relative to
# them ("not too loud" is a bound, read elsewhere).
_TOO = (
    r"(?<!not )(?<!nothing )(?<!isn't )(?<!isnt )(?<!anything )(?<!none )(?<!neither )(?<!nor )"
    r"(?<!aren't )(?<!arent )(?<!wasn't )(?<!weren't )(?<!not be )(?<!never )(?<!n't be )"
    r"(?<!nt be )(?<!cannot be )\btoo\s+"
)
_UP_VERBS = "pump|amp|turn|kick|crank|liven|spice|pick|perk|step|ramp|jazz"
"""Verbs of "X it up" that ask for more energy; their "it" is the music, never a track."""
_LIST = r"(?:list|playlist|mix|set|queue)"
_NOT_THE_LIST = "".join(
    f"(?<!{w} )" for w in ("list", "playlist", "mix", "set", "queue", "it", "this")
)
_NOT_A_LIST = rf"(?!\s+{_LIST}\b)"
"""A longer or shorter *list* ("make the list longer", "a longer playlist") is its size."""
RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("no_vocals", re.compile(
        r"\b(no|without|zero|minus|not? any|free of)\s+(vocals?|voices?|singing|lyrics|words)\b|"
        r"\binstrumentals?\b|\bvocal-?free\b|\bno one singing\b|\bwordless\b", re.I)),
    ("vocals_only", re.compile(
        r"\b(with|has|having|featuring)\s+(vocals?|voices?|singing|lyrics|a singer)\b|"
        r"\b(vocal|sung) (tracks?|songs?|music)\b", re.I)),
    ("calmer", re.compile(
        r"\b(calmer|mellower|softer|gentler|quieter|more relaxed|more relaxing|chiller|more chill|"
        r"less (?:intense|energetic|busy|aggressive)|more laid[- ]back|more peaceful|"
        r"(?:tone|turn|dial|bring|calm|take|wind) it (?:down|back)|chill it out|"
        rf"lower energy|{_TOO}(?:loud|intense|energetic|aggressive|heavy|hard|noisy|busy|"
        r"hectic|wild))\b", re.I)),
    ("more_energetic", re.compile(
        r"\b(more (?:energetic|energy|intense|upbeat|driving|punchy|aggressive|lively)|"
        rf"higher energy|punchier|harder|livelier|(?:{_UP_VERBS}) (?:it|things) up|liven up|"
        rf"{_TOO}(?:calm|quiet|soft|mellow|sleepy|boring|chill|chilled|dull|sedate))\b", re.I)),
    ("faster", re.compile(
        rf"\b(faster|quicker|higher tempo|more tempo|speed (?:it|things) up|"
        rf"pick up the (?:pace|tempo)|up the (?:pace|tempo)|{_TOO}slow)\b", re.I)),
    ("slower", re.compile(rf"\b(slower|lower tempo|slow it down|less fast|{_TOO}fast)\b", re.I)),
    ("shorter", re.compile(
        rf"{_NOT_THE_LIST}\b(shorter|briefer|less long|{_TOO}long|(?:cut|keep) them short)\b"
        rf"{_NOT_A_LIST}", re.I)),
    ("longer", re.compile(
        rf"{_NOT_THE_LIST}\b(longer|lengthier|{_TOO}short)\b{_NOT_A_LIST}", re.I)),
    ("quiet", re.compile(r"\b(not too loud|not loud|quiet|soft|background|low[- ]key)\b", re.I)),
    ("loud", re.compile(
        r"(?<!less )(?<!not )(?<!too )\b(high[- ]energy|intense|banging|bangers?|loud)\b", re.I)),
)  # fmt: skip

# -- playlist edits and references (tools/reason/rules_edits.py) ------------------------
STICKY = re.compile(
    r"\b(from now on|going forward|from here on|for the rest of (?:the|this) (?:session|chat|"
    r"playlist|conversation)|for now on|until i say otherwise|always|no more(?!\s+than))\b",
    re.I,
)
FORGET = re.compile(
    r"\b(forget (?:the|my|those|these|all|about the) (?:constraints?|rules?|preferences?|"
    r"filters?|limits?)|reset (?:the |my |all )?(?:constraints?|filters?|preferences?)|"
    r"anything goes)\b",
    re.I,
)
EXPORT = re.compile(r"\b(export|save|write|download|dump)\b", re.I)
EXPORT_FORMAT = re.compile(r"\b(m3u8|m3u|xspf|json)\b", re.I)
EXPORT_PATH = re.compile(
    r"[\"“']([^\"“”']+\.(?:m3u8|m3u|xspf|json))[\"”']|((?:~|\.{0,2}/)?[\w./~-]+\.(?:m3u8|m3u|xspf|json))\b",
    re.I,
)
SHOW = re.compile(
    r"\b(show|list|print|display|what'?s (?:in|on)|what is (?:in|on))\b.{0,20}\b(playlist|list)\b|"
    r"^\W*playlist\W*$",
    re.I,
)
RESIZE = re.compile(
    rf"\b(?:make|cut|trim|shorten|extend|grow|expand|bring)\s+(?:it|the playlist|the list|them|"
    rf"this|that|these)\s+(?:(?:down|up)\s+)?(?:to\s+)?(?:a\s+)?{NUM}(?:\s+{UNIT})?(?:\s+long)?\b|"
    rf"\b(?:shorter|longer)\b(?!\s+than\b)[^.?!]{{0,24}}?\b(?:to\s+)?{NUM}(?:\s+{UNIT})?\b"
    r"(?![\s-]*(?:minutes?|mins?|seconds?|secs?|hours?|hrs?|s|m|h|bpm)\b|:\d)|"
    rf"\b(?:i want|let'?s have|give me)\s+{NUM}\s+(?:{UNIT}\s+)?in total\b",
    re.I,
)
MORE = re.compile(
    r"(?:\b(?:make|get)\s+(?:it|this|the\s+(?:list|playlist|mix))\s+(?:a\s+(?:bit|little)\s+)?"
    r"(?:longer|bigger)\b|\b(?:a\s+)?(?:longer|bigger)\s+(?:list|playlist|mix)\b|"
    r"\b(?:extend|lengthen|expand)\s+(?:it|this|the\s+(?:list|playlist|mix))\b|"
    rf"\b{NUM}\s+more\b|\b(?:another|one more)\s*(?:{UNIT})?\b|"
    r"(?<!or )(?<!and )\bmore\b(?=\s*(?:$|[,.!?]|please|of (?:those|these|them|that)|"
    rf"(?:{UNIT})\b|like (?:these|those|them|this|that)\b)))"
    # "add a couple with piano", "throw in three that are calmer": more, with wishes
    rf"|\b(?:add|throw in|append)\s+(?:me\s+)?{NUM}\s+(?:more\s+)?(?:{UNIT}\s+)?"
    r"(?=(?:with|that|which|featuring|from|by)\b)",
    re.I,
)
VERDICT_BAD = (
    r"(?:is|was|'s|seems|sounds)\s+(?:(?:kinda|kind of|a bit|really|so|too|pretty|just)\s+)?"
    r"(?:bad|awful|terrible|boring|meh|trash|garbage|rubbish|lame|annoying|off|wrong|weak|"
    r"not (?:good|great|it|right|for me|my thing))|sucks|stinks|is a skip|isn'?t (?:good|it|right)"
)
"""Dislike said of a track ("#3 is bad", "the third one sucks"): an edit when it names one."""
SWAP = re.compile(
    r"\b(swap|replace|change|switch|exchange|substitute|instead of|(?:don'?t|do not|doesn'?t) "
    rf"(?:like|love|want|fit)|hate|not a fan of|not feeling|{VERDICT_BAD})\b",
    re.I,
)
REMOVE = re.compile(r"\b(remove|drop|delete|get rid of|take out|kick out|lose)\b", re.I)
ORDINAL_LIST = re.compile(
    r"\bthe\s+((?:"
    + "|".join(ORDINALS)
    + r")(?:\s*(?:,|and|&)\s*(?:the\s+)?(?:"
    + "|".join(ORDINALS)
    + r"))+)\s+(?:ones|tracks|songs|picks)\b",
    re.I,
)
QUESTION = re.compile(r"^\W*(?:is|are|does|do|what|how|who|which|has|was|can)\b|\?\s*$", re.I)
PRONOUN = re.compile(
    r"(?<!\bin )(?<!\bon )(?<!\bof )(?<!\bkeep )"
    r"\b(it|that one|this one|that track|this track|that song|this song)\b",
    re.I,
)
"""A reference by pronoun; "singing in it" and "keep it calm" point at nothing."""
# "tone it down", "speed it up", "mix it up": the "it" of a phrasal verb is the music as a
# whole, never one track.
IDIOM_IT = re.compile(
    rf"\b(?:tone|dial|bring|calm|take|wind|speed|slow|mix|switch|shake|chill|{_UP_VERBS})"
    r"\s+it\s+(?:down|up|back|out)\b"
    # "make it calmer", "make it a bit livelier": the list (never "make it 10")
    rf"|\bmake\s+it\s+(?!{NUM}\b|#)",
    re.I,
)
LAST_ONE = re.compile(
    r"\b(?:that|the|this)\s+(?:very\s+)?last\s+(?:one|track|song|pick)\b|"
    r"\bthe\s+last\s+(?:one|track|song|pick)\b",
    re.I,
)
WITH_REF = re.compile(
    r"\bthe\s+(?:one|track|song|pick|tune)\s+(?:with|that has|featuring|having)\s+"
    r"(?:the\s+|a\s+|an\s+|some\s+)?(?P<w>[\w'-]+(?:\s+[\w'-]+)?)"
    r"(?=\s*$|\s*[,.;!?]|\s+(?:for|with|and|but|to|instead|in|from|on)\b)|"
    r"\bthe\s+(?P<s>[\w-]+(?:\s+[\w-]+)?)\s+(?:one|track|song|tune)\b",
    re.I,
)
SUPERLATIVES = frozenset(
    """most least happiest saddest fastest slowest calmest quietest loudest softest mellowest
    chillest darkest brightest heaviest gentlest quickest gloomiest moodiest sunniest best
    coolest weirdest strangest oldest newest longest shortest""".split()  # noqa: SIM905
)
""""the happiest song you have" asks the catalog for its extreme, not a playlist entry."""
NOT_A_STYLE = frozenset(
    {*ORDINALS, "other", "new", "next", "previous", "same", "very", "latest", "that", "this",
     "best", "top", "only", "each", "every", "whole", "second-to-last", "final"}
)  # fmt: skip
UPLOAD_REF = re.compile(
    r"\bmy\s+(?:own\s+)?(?:track|song|file|upload|recording|tune|demo|audio)\b|"
    r"\bthe\s+(?:file|upload|recording|audio|clip)\b(?!\s+(?:from|of|in)\b)|"
    r"\bthe\s+(?:file|track|song|audio)\s+i\s+(?:sent|uploaded|shared|gave you)\b|"
    r"\b(?:uploaded|my)\s+(?:file|track|song)\b",
    re.I,
)
WORD_FAMILIES: dict[str, tuple[str, ...]] = {
    "strings": ("string", "violin", "viola", "cello", "strings", "quartet", "orchestral"),
    "piano": ("piano", "keys", "keyboard", "rhodes"),
    "guitar": ("guitar", "guitars"),
    "drums": ("drums", "drum", "percussive", "beat"),
    "vocals": ("vocals", "voice", "singing", "singer", "sung"),
    "synth": ("synth", "synthesizer", "electronic", "techno"),
    "brass": ("brass", "trumpet", "horn", "horns", "trombone", "orchestral"),
    "bass": ("bass",),
}
"""Words a listener uses for an instrument -> words a summary or caption may use."""
