"""Say what a request was understood as, and what was not understood or cannot be honoured.

An answer that silently drops "flute", "a dozen" or "by Queen" looks like a wrong answer;
one that says "no track here is known to have a flute" is a right one. This module turns
a reading (``tools.reason.reading``) and the names found (``tools.reason.names``) into
the ``understood`` / ``unclear`` lines of a ``Request`` and decides whether the message
is about music at all (off-topic messages get no picks).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from linernotes.tools.reason.names import Names
from linernotes.tools.reason.reading import Reading
from linernotes.tools.reason.rules_vocab import AUDIENCE

QUESTION = re.compile(
    r"^\W*(?:what|who|whom|where|when|which|how|can|could|will|would|is|are|do|does|tell me|"
    r"explain|calculate|translate|write|book|order|find me a|remind)\b|\?\s*$",
    re.I,
)

ARITHMETIC = re.compile(
    r"(?<![\w.])\d+(?:\.\d+)?\s*(?:[+*/×^=]|x(?=\s*\d)|times|plus|minus|divided by|"
    r"multiplied by|to the power of)\s*\d+(?:\.\d+)?(?!\s*(?:bpm|beats|min|sec|songs?|tracks?))",
    re.I,
)
"""A sum ("what's 2+2", "12 times 7"): no music in it, so no picks either."""
HOW_TO = re.compile(r"^\W*how (?:do|can|should|would|to|does one)\b", re.I)
"""A how-to question with an off-topic word ("how do I cook pasta") is off-topic even
when a word also names a listening situation ("cook": dinner music)."""


@dataclass
class Honesty:
    """The lines an answer says about its request, and what the planner needs to know."""

    understood: list[str]
    unclear: list[str]
    off_topic: bool
    usable: bool  # something besides absent names can be searched for


def honesty(
    reading: Reading,
    names: Names,
    context: str | None,
    context_name: str | None,
    rest: str,
    *,
    anchored: bool,
    keyword_context: bool = True,
) -> Honesty:
    """The understood/unclear lines of one request and whether it is off-topic.

    ``keyword_context``: the context was named by a keyword ("gym"), not only guessed by
    sentence similarity; a guessed context ("recipe for pancakes" -> dinner) does not make
    an off-topic message musical.
    """
    understood = [*reading.preface, *reading.understood]
    if context_name:
        understood.append(f"“{context}” → {context_name.replace('_', ' ')}")
    understood += [f"by {a}" for a in names.artists]
    understood += [
        f"“{d}” → searched for as a description (no title or artist of that name here)"
        for d in names.described
    ]
    usable = anchored or bool(
        context_name or reading.constraints or names.artists or names.described
    )
    unclear = list(reading.unclear)
    if context and not context_name:  # "for my little brother" was dropped without a word
        if not AUDIENCE.fullmatch(context):
            unclear.append(f"“{context}”: not a listening situation I know")
        elif usable:
            unclear.append(f"“{context}”: who the music is for is not something I can hear")
        else:
            unclear.append(
                f"“{context}”: who the music is for does not tell me how it should sound; "
                "name an activity or a mood (“for a road trip”, “something calm”)"
            )
    if reading.negated_unknown:  # searching for them would fetch exactly what was refused
        words = ", ".join(f"“{w}”" for w in dict.fromkeys(reading.negated_unknown))
        unclear.append(f"not {words}: not something I can tell apart, so nothing avoids it")
    for name in names.absent:
        line = f"“{name}” is not in this catalog (offline I only know the catalog's own tracks)"
        if usable:
            line += ", so I went by the rest of your words"
        unclear.append(line)
    skip = set(
        re.findall(
            r"[a-z]+",
            " ".join([*names.absent, *names.artists, *names.described, context or ""]).lower(),
        )
    )
    rest_words = set(re.findall(r"[a-z][a-z'-]+", rest.lower()))
    unknown = [w for w in reading.leftover if w in rest_words and w not in skip and len(w) > 2]
    named = bool(context_name) and keyword_context
    signal = (
        reading.music or anchored or bool(named or names.absent or names.artists or names.described)
    )
    off_topic = (
        (reading.off_topic and not signal)
        or (not signal and bool(unknown) and bool(QUESTION.search(reading.text)))
        or (not (signal or reading.constraints) and bool(ARITHMETIC.search(reading.text)))
        or (reading.off_topic and not reading.music and bool(HOW_TO.search(reading.text)))
    )
    if unknown and not off_topic:
        words = ", ".join(f"“{w}”" for w in dict.fromkeys(unknown))
        unclear.append(f"not understood: {words} (searched as plain words)")
    return Honesty(understood, unclear, off_topic, usable)
