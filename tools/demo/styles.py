"""The demo's style table: what each style plays, how fast, how loud and with what.

Each style is a list of layers (drums, bass, chords, pads, lead...). A layer names the
pattern it plays (per energy level where that matters) and a *choice* of General MIDI
programs, so two tracks of one style rarely share a timbre: a system has to hear tempo,
rhythm, harmony and production, not one instrument, to group them. Program numbers are
0-based GM programs; for drum layers they are GM drum-kit presets (bank 128).

GM voice-like programs (52 Choir Aahs, 53 Voice Oohs, 54 Synth Voice, 85 Solo Vox,
91 Space Voice, 94 Halo Pad) appear only in :data:`VOICE_DOUBLES`, used on tracks that
also have the formant-synthesised singer, so ``has_voice=0`` tracks hold nothing a voice
detector could rightly hear as a voice.
"""

from __future__ import annotations

from dataclasses import dataclass

ENERGIES: tuple[str, ...] = ("low", "medium", "high")

VOICE_DOUBLES: tuple[int, ...] = (52, 53, 54, 85)
"""GM programs that may double the sung line at a low level (only when has_voice=1)."""


@dataclass(frozen=True)
class Layer:
    """One part of an arrangement.

    Attributes:
        role: what the part does: drums, bass, chords, pad, arp, lead, perc.
        programs: GM programs (or drum kits) to choose from, one per track.
        pattern: pattern name, or a mapping energy -> pattern name (missing = silent).
        center: MIDI pitch the part's register is centred on.
        gain_db: mix level before the per-track jitter.
        pan: largest pan (0 centre .. 1 hard side); the side is drawn per track.
        send: reverb send 0..1.
        prob: chance the layer is in a given track (instrumentation variety).
        drive: tanh saturation amount (0 = clean).
        lowpass_hz: a low-pass on the part (guitar cabinet, filtered synths), or None.
        solo_only: the layer is an instrumental lead, dropped when the track has a singer.
    """

    role: str
    programs: tuple[int, ...]
    pattern: str | dict[str, str]
    center: int = 60
    gain_db: float = 0.0
    pan: float = 0.0
    send: float = 0.2
    prob: float = 1.0
    drive: float = 0.0
    lowpass_hz: float | None = None
    solo_only: bool = False

    def pattern_for(self, energy: str) -> str | None:
        """Pattern played at ``energy``, or None when the layer sits that level out."""
        if isinstance(self.pattern, str):
            return self.pattern
        return self.pattern.get(energy)


@dataclass(frozen=True)
class Style:
    """A style: tempo range, energy mix, harmony family, layers and production.

    Attributes:
        name: the style's name, also written as the genre tag.
        bpm: inclusive tempo range.
        energy: share of the style's tracks at each energy level.
        minor: share of tracks in a minor key.
        voice: share of tracks with a singer.
        harmony: progression family (see ``theory.PROGRESSIONS``).
        chord_bars: bars per chord (2 at fast tempos keeps harmony readable).
        swing: delay of off-beat eighths, as a fraction of a sixteenth.
        humanize_s: timing jitter of played (not sequenced) styles.
        reverb: (send scale, RT60 seconds) of the room.
        lowpass_hz: master low-pass range (lo-fi's dull tape), or None.
        vinyl: add vinyl crackle and hiss.
        master_drive: bus saturation at high energy (density, brightness).
        voice_center: range of the singer's register centre (MIDI pitches).
        layers: the arrangement.
    """

    name: str
    bpm: tuple[int, int]
    energy: dict[str, float]
    minor: float
    voice: float
    harmony: str
    layers: tuple[Layer, ...]
    chord_bars: int = 1
    swing: float = 0.0
    humanize_s: float = 0.0
    reverb: tuple[float, float] = (0.25, 1.5)
    lowpass_hz: tuple[float, float] | None = None
    vinyl: bool = False
    master_drive: float = 0.0
    voice_center: tuple[int, int] = (57, 67)


STYLES: tuple[Style, ...] = (
    Style(
        "lo-fi hip-hop",
        (70, 92),
        {"low": 0.5, "medium": 0.5},
        minor=0.6,
        voice=0.2,
        harmony="jazz",
        swing=0.45,
        humanize_s=0.006,
        reverb=(0.25, 1.2),
        lowpass_hz=(2800, 4800),
        vinyl=True,
        layers=(
            Layer("drums", (0, 8, 25), {"low": "boom_bap_soft", "medium": "boom_bap"}),
            Layer("bass", (33, 32, 38), "lofi_bass", center=40, gain_db=-2),
            Layer("chords", (4, 0, 5, 26), {"low": "pad", "medium": "comp"}, gain_db=-3, pan=0.3),
            Layer(
                "lead",
                (73, 11, 65, 4, 59),
                "melody",
                center=72,
                gain_db=-4,
                pan=0.2,
                prob=0.8,
                solo_only=True,
                send=0.35,
            ),
        ),
    ),
    Style(
        "ambient",
        (70, 92),
        {"low": 1.0},
        minor=0.5,
        voice=0.2,
        harmony="modal",
        chord_bars=2,
        reverb=(0.6, 3.5),
        voice_center=(60, 69),
        layers=(
            Layer("pad", (89, 88, 92, 95, 49, 50), "pad", center=60, gain_db=-2, send=0.7),
            Layer("bass", (89, 49, 50, 32), "drone", center=40, gain_db=-4, send=0.5),
            Layer(
                "arp",
                (8, 10, 46, 11, 108, 12),
                "arp_quarters",
                center=72,
                gain_db=1,
                pan=0.3,
                send=0.3,
            ),
            Layer(
                "lead",
                (75, 73, 0, 11),
                "sparse",
                center=72,
                gain_db=-6,
                pan=0.3,
                prob=0.6,
                solo_only=True,
                send=0.7,
            ),
        ),
    ),
    Style(
        "techno",
        (122, 135),
        {"medium": 0.3, "high": 0.7},
        minor=0.8,
        voice=0.1,
        harmony="modal",
        chord_bars=2,
        reverb=(0.2, 1.5),
        master_drive=1.6,
        layers=(
            Layer(
                "drums", (24, 25, 0), {"medium": "four_floor_min", "high": "four_floor"}, gain_db=1
            ),
            Layer("bass", (38, 39), "offbeat_bass", center=38, gain_db=-2),
            Layer(
                "chords",
                (81, 80, 62, 90, 4),
                "stabs",
                center=62,
                gain_db=-5,
                pan=0.3,
                send=0.35,
                lowpass_hz=2200.0,
            ),
            Layer("pad", (89, 90, 50), "pad", center=60, gain_db=-6, send=0.5),
            Layer(
                "arp",
                (80, 81, 84),
                {"high": "arp16"},
                center=72,
                gain_db=-8,
                pan=0.5,
                prob=0.6,
                lowpass_hz=3000.0,
            ),
        ),
    ),
    Style(
        "punk rock",
        (150, 178),
        {"high": 1.0},
        minor=0.3,
        voice=0.7,
        harmony="rock",
        reverb=(0.1, 0.8),
        master_drive=2.0,
        voice_center=(57, 66),
        layers=(
            Layer("drums", (0, 16, 8), "punk", gain_db=0),
            Layer("bass", (34, 33), "root_eighths", center=40, gain_db=-2, drive=1.5),
            Layer(
                "chords",
                (29, 30),
                "power8",
                center=52,
                gain_db=-1,
                pan=0.6,
                drive=1.5,
                lowpass_hz=5000.0,
            ),
            Layer(
                "chords",
                (29, 30, 27),
                "strum8",
                center=60,
                gain_db=-4,
                pan=0.6,
                drive=1.2,
                prob=0.7,
                lowpass_hz=5000.0,
            ),
            Layer("lead", (29, 30, 56), "melody", center=67, gain_db=-3, solo_only=True, drive=1.5),
        ),
    ),
    Style(
        "acoustic folk",
        (80, 128),
        {"low": 0.4, "medium": 0.6},
        minor=0.3,
        voice=0.6,
        harmony="folk",
        humanize_s=0.008,
        reverb=(0.25, 1.6),
        layers=(
            Layer(
                "chords",
                (25, 24),
                {"low": "fingerpick", "medium": "strum"},
                center=57,
                gain_db=-1,
                pan=0.3,
            ),
            Layer(
                "bass",
                (32,),
                {"low": "root_half", "medium": "root_fifth"},
                center=40,
                gain_db=-5,
                prob=0.6,
            ),
            Layer(
                "arp",
                (105, 46, 15, 21),
                {"medium": "arp8"},
                center=69,
                gain_db=-8,
                pan=0.6,
                prob=0.5,
            ),
            Layer("drums", (40, 0), {"medium": "folk_perc"}, gain_db=-6, prob=0.8),
            Layer(
                "lead", (110, 22, 73, 74), "melody", center=72, gain_db=-3, pan=0.2, solo_only=True
            ),
        ),
    ),
    Style(
        "string quartet",
        (60, 110),
        {"low": 0.6, "medium": 0.4},
        minor=0.5,
        voice=0.0,
        harmony="classical",
        humanize_s=0.006,
        reverb=(0.35, 1.8),
        layers=(
            Layer("bass", (42, 45), "cello", center=43, gain_db=-1, pan=0.4),
            Layer("chords", (41,), "line1", center=60, gain_db=-4, pan=0.3),
            Layer("chords", (40,), "line2", center=67, gain_db=-4, pan=0.5),
            Layer("lead", (40,), "melody", center=74, gain_db=-1, pan=0.5),
        ),
    ),
    Style(
        "jazz piano trio",
        (90, 150),
        {"low": 0.5, "medium": 0.5},
        minor=0.4,
        voice=0.3,
        harmony="jazz",
        swing=1.33,
        humanize_s=0.007,
        reverb=(0.25, 1.4),
        layers=(
            Layer("drums", (32, 40), {"low": "jazz_brush", "medium": "jazz_swing"}, gain_db=-3),
            Layer("bass", (32,), "walking", center=40, gain_db=-1, pan=0.2),
            Layer("chords", (0, 1, 4), "comp", center=62, gain_db=-3, pan=0.3),
            Layer(
                "lead",
                (0, 65, 66, 56, 11, 26),
                "melody",
                center=72,
                gain_db=-2,
                pan=0.2,
                solo_only=True,
            ),
        ),
    ),
    Style(
        "drum and bass",
        (164, 176),
        {"medium": 0.2, "high": 0.8},
        minor=0.8,
        voice=0.3,
        harmony="modal",
        chord_bars=2,
        reverb=(0.25, 2.0),
        master_drive=1.6,
        layers=(
            Layer("drums", (24, 0, 25), "dnb", gain_db=1),
            Layer("bass", (38, 39, 87), "sub", center=36, gain_db=-1, drive=1.2),
            Layer("pad", (89, 50, 92, 48), "pad", center=62, gain_db=-7, send=0.6),
            Layer(
                "chords", (81, 62, 80), {"high": "stabs"}, center=64, gain_db=-7, pan=0.4, prob=0.5
            ),
            Layer(
                "lead",
                (80, 81, 0, 11),
                "melody",
                center=74,
                gain_db=-5,
                pan=0.2,
                prob=0.6,
                solo_only=True,
                send=0.4,
            ),
        ),
    ),
    Style(
        "orchestral",
        (64, 132),
        {"low": 0.3, "medium": 0.3, "high": 0.4},
        minor=0.5,
        voice=0.2,
        harmony="classical",
        reverb=(0.45, 2.5),
        voice_center=(60, 69),
        layers=(
            Layer("chords", (48, 49, 50), {"low": "pad"}, center=62, gain_db=-3, pan=0.3),
            Layer("chords", (48, 45), {"medium": "eighths"}, center=62, gain_db=-2, pan=0.3),
            Layer("chords", (48, 44), {"high": "tremolo"}, center=62, gain_db=-2, pan=0.3),
            Layer(
                "bass",
                (42, 43, 45),
                {"low": "root_quarters", "medium": "root_quarters", "high": "root_eighths"},
                center=38,
                gain_db=-2,
                pan=0.2,
            ),
            Layer(
                "pad",
                (60, 61, 57),
                {"medium": "half", "high": "quarters"},
                center=55,
                gain_db=-3,
                pan=0.4,
            ),
            Layer(
                "lead",
                (73, 68, 71, 60, 56),
                "melody",
                center=74,
                gain_db=-2,
                pan=0.2,
                solo_only=True,
            ),
            Layer("bass", (47,), {"medium": "timpani", "high": "timpani"}, center=40, gain_db=-3),
            Layer("drums", (48,), {"high": "orch_perc"}, gain_db=-2),
            Layer("perc", (116,), {"high": "taiko"}, center=48, gain_db=-3, prob=0.6),
            Layer("arp", (46, 45, 8), {"low": "arp_quarters"}, center=67, gain_db=-3, pan=0.4),
        ),
    ),
    Style(
        "synth-pop",
        (100, 128),
        {"medium": 0.5, "high": 0.5},
        minor=0.4,
        voice=0.8,
        harmony="pop",
        reverb=(0.3, 1.6),
        master_drive=1.2,
        layers=(
            Layer("drums", (24, 25, 0), {"medium": "pop", "high": "four_floor"}),
            Layer("bass", (38, 39), "octave_eighths", center=40, gain_db=-2),
            Layer(
                "chords",
                (90, 81, 4, 62, 50, 5),
                {"medium": "pad", "high": "eighths"},
                center=62,
                gain_db=-5,
                pan=0.3,
                send=0.35,
            ),
            Layer("arp", (80, 81, 8, 98), "arp16", center=74, gain_db=-9, pan=0.5, prob=0.6),
            Layer("lead", (80, 81, 84), "melody", center=72, gain_db=-3, solo_only=True),
        ),
    ),
    Style(
        "metal",
        (100, 150),
        {"high": 1.0},
        minor=0.9,
        voice=0.4,
        harmony="metal",
        reverb=(0.15, 1.0),
        master_drive=2.2,
        voice_center=(55, 64),
        layers=(
            Layer("drums", (16, 0, 8), "metal", gain_db=0),
            Layer("bass", (34, 33), "riff_bass", center=40, gain_db=-5),
            Layer("chords", (30, 29), "riff", center=50, gain_db=-4, pan=0.7, lowpass_hz=4000.0),
            Layer("chords", (30,), "riff", center=50, gain_db=-5, pan=0.7, lowpass_hz=4000.0),
            Layer("pad", (48, 50, 19), "pad", center=62, gain_db=0, send=0.4),
            Layer(
                "lead", (30, 29), "melody", center=69, gain_db=-3, solo_only=True, lowpass_hz=3000.0
            ),
        ),
    ),
    Style(
        "reggae",
        (66, 90),
        {"medium": 1.0},
        minor=0.4,
        voice=0.6,
        harmony="pop",
        humanize_s=0.004,
        reverb=(0.3, 1.8),
        layers=(
            Layer("drums", (0, 8, 32), "one_drop", gain_db=-1),
            Layer("bass", (33, 32, 38), "reggae_bass", center=38, gain_db=0),
            Layer("chords", (27, 28, 4), "skank", center=62, gain_db=-4, pan=0.4),
            Layer("pad", (16, 17, 18), "bubble", center=57, gain_db=-8, pan=0.4, prob=0.6),
            Layer(
                "lead", (65, 56, 22, 16), "melody", center=70, gain_db=-3, pan=0.2, solo_only=True
            ),
        ),
    ),
)

STYLE_BY_NAME: dict[str, Style] = {s.name: s for s in STYLES}
