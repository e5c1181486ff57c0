"""Building blocks of the demo's style table: ``Layer`` (one part) and ``Style``.

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
