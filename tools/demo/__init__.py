"""The synthetic, labelled demo catalog: ``build_demo(folder, n_tracks=120, seed=0)``.

Tracks are composed as MIDI in twelve styles, rendered with a General MIDI SoundFont
(plus a formant-synthesised singer), mixed and mastered in numpy, and written as tagged
22.05 kHz stereo FLAC with a ``manifest.csv`` of labels that are true of the audio,
because they are the parameters the audio was made from.

Manifest columns: path (relative to the manifest), title, style (also the genre tag),
bpm, key, mode, energy, has_voice, instruments (``;``-separated), study_ok, workout_ok,
artist, album, duration_s. Label definitions:

- ``bpm``: the sequenced tempo; drums, bass or chords play every beat.
- ``key``, ``mode``: the key all harmony is diatonic to (sharps: ``C#``, ``F#``...);
  progressions start on the tonic, cadence (V-I, or VII-i in modal minor) and end on it.
- ``energy``: ``low`` = soft (mastered to -27..-23 dBFS RMS), sparse, no or quiet drums;
  ``medium`` = -19..-16 dBFS, full groove; ``high`` = -13..-10.5 dBFS, dense drums with
  crashes and fills, saturated bus, distorted guitars or bright synths.
- ``has_voice``: 1 when a sung line (formant singer with vibrato and syllables) carries
  the melody. GM voice presets appear only on such tracks.
- ``study_ok``: ``has_voice == 0 and (energy == low or (energy == medium and bpm <= 110))``.
- ``workout_ok``: ``energy == high or (energy == medium and bpm >= 120 and not swung)``
  (swung = lo-fi hip-hop and jazz piano trio).
"""

from linernotes.tools.demo.build import MANIFEST_COLUMNS, build_demo, read_manifest
from linernotes.tools.demo.plan import TrackSpec, plan_catalog
from linernotes.tools.demo.styles import STYLES

__all__ = ["MANIFEST_COLUMNS", "STYLES", "TrackSpec", "build_demo", "plan_catalog", "read_manifest"]
