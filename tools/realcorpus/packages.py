"""Which Debian packages the real corpus is built from, and the fixed development/held-out split.

Every package below was checked (bookworm) to ship music: Ogg/FLAC/WAV/MP3/WavPack
files, tracker modules or MIDI. Checked and left out for holding none (only sound
effects, or archives without music): billard-gl-data, crack-attack, neverball-data,
openarena-data, trigger-rally-data, alienblaster-data. The split is by PACKAGE, so a
held-out package's composer, production and instruments were never seen when anything
was fitted: the acoustic-v3 space (``python -m linernotes.tools.realcorpus.fit``) reads
only the DEVELOPMENT packages, and ``bench/real.py`` reports both sets.
"""

from __future__ import annotations

# Fitting packages: orchestral (wesnoth), electronic (warzone2100), General MIDI
# (openttd-openmsx), game rock and pop (scorched3d, frozen-bubble...). Some hold no track
# long enough for the segment pairs (70 s) and add nothing to a fit.
DEVELOPMENT: tuple[str, ...] = (
    "wesnoth-1.16-music",
    "warzone2100-music",
    "scorched3d-data",
    "triplea",
    "lugaru-data",
    "cube2-data",
    "frozen-bubble-data",
    "lbreakout2-data",
    "openttd-openmsx",
    "solarwolf",
    "pokerth-data",
    "tuxfootball",
    "chromium-bsu-data",
)

# Never read by any fit: the figures that count. (The last ten were added while the
# first fit ran, and kept out of it, so the held-out set is the larger one.)
HELD_OUT: tuple[str, ...] = (
    "endless-sky-data",
    "blobwars-data",
    "seahorse-adventures",
    "holotz-castle-data",
    "funnyboat",
    "pax-britannica-data",
    "ceferino-data",
    "pangzero",
    "stormbaancoureur-data",
    "opencity-data",
    "kobodeluxe-data",
    "teeworlds-data",
    "hedgewars-data",
    "flare-game",
    "warmux-data",
    "extremetuxracer-data",
    "ri-li-data",
    "supertux-data",
    "freedroidrpg-data",
    "pingus-data",
    "xmoto-data",
    "powermanga-data",
)

PACKAGES: tuple[str, ...] = DEVELOPMENT + HELD_OUT


def split_of(package: str) -> str:
    """'dev' or 'heldout' for a corpus package.

    Raises:
        ValueError: the package is in neither list (a corpus built from other packages).
    """
    if package in DEVELOPMENT:
        return "dev"
    if package in HELD_OUT:
        return "heldout"
    raise ValueError(
        f"package {package!r} is in neither the DEVELOPMENT nor the HELD_OUT list of "
        "linernotes.tools.realcorpus.packages"
    )
