"""The fact-checker flags captions that contradict measurements and passes honest ones."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from factories import measurements

from linernotes.tools.listen.factcheck import check_result, fact_check
from linernotes.tools.listen.labels import energy_level, has_vocals, measured_tempo_class
from linernotes.tools.listen.mir import MirListener
from linernotes.tools.schemas import Measurements, Tags, TrackSummary

PUNK = measurements(
    duration_s=150,
    tempo_bpm=176,
    tempo_confidence=0.85,
    key="E",
    key_confidence=0.6,
    loudness_db=-7,
    energy=0.94,
    brightness_hz=3600,
    percussiveness=0.72,
    dynamics_db=5,
    onset_rate=7.5,
    voice_probability=0.9,
)


def random_measurements(rng: random.Random) -> Measurements:
    """Measurement sets spanning the whole space, unsure estimates included."""
    return Measurements(
        duration_s=rng.uniform(30, 400),
        tempo_bpm=rng.uniform(50, 200),
        tempo_confidence=rng.uniform(0, 1),
        key=rng.choice(["C", "D", "F#", "A", "Bb"]),
        mode=rng.choice(["major", "minor"]),
        key_confidence=rng.uniform(0, 1),
        loudness_db=rng.uniform(-30, -5),
        energy=rng.uniform(0, 1),
        brightness_hz=rng.uniform(500, 5000),
        percussiveness=rng.uniform(0, 1),
        dynamics_db=rng.uniform(2, 25),
        onset_rate=rng.uniform(0, 10),
        voice_probability=rng.uniform(0, 1),
    )


def wrong_claims(m: Measurements) -> list[str]:
    """Deliberately wrong sentences, one per dimension the measurements can settle."""
    out = []
    tempo = measured_tempo_class(m)
    if tempo in ("slow", "moderate"):
        out.append("A very fast, breakneck tune")
    elif tempo:
        out.append("A slow, unhurried tune")
    if energy_level(m) in ("low", "medium"):
        out.append("A very high-energy, explosive anthem built for the gym")
    else:
        out.append("A calm, low-energy lullaby, ideal for sleep")
    voiced = has_vocals(m)
    if voiced is True:
        out.append("A purely instrumental piece with no vocals")
    elif voiced is False:
        out.append("Led by a female singer whose vocals float over the mix")
    if m.key_confidence >= 0.5:
        out.append(f"Written in {'C major' if m.mode == 'minor' else 'A minor'}")
    return out


def test_slow_synth_pop_for_fast_punk_is_flagged():
    fc = fact_check(PUNK, caption="A slow synth pop song with soft, calm vocals, great for sleep.")
    assert fc.flagged and fc.consistency is not None and fc.consistency < 0.5
    assert any("'slow'" in c and "176 BPM" in c for c in fc.contradictions)
    assert any(c.startswith("usage:") and "sleep" in c for c in fc.contradictions)


def test_wrong_summary_fields_are_flagged():
    s = TrackSummary(
        description="A song.",
        tempo="slow",
        energy_level="low",
        vocals="instrumental",
        key="C major",
        suitable_usages=["sleep"],
    )
    fc = fact_check(PUNK, summary=s)
    dims = {c.split(":")[0] for c in fc.contradictions}
    assert dims == {"tempo", "energy", "vocals", "mode", "usage"}
    assert fc.consistency == 0.0


def test_correct_caption_passes_with_half_time_tolerated_when_unsure():
    fc = fact_check(
        PUNK,
        caption="A very fast, aggressive punk song with shouted vocals and "
        "pounding drums, in E minor at 176 BPM, made for running.",
    )
    assert not fc.flagged and fc.consistency == 1.0
    unsure = PUNK.model_copy(update={"tempo_confidence": 0.3})
    assert not fact_check(unsure, caption="A mid-tempo groove at 88 BPM.").flagged
    assert fact_check(PUNK, caption="A mid-tempo groove.").flagged


def test_quoted_tags_and_hedges_are_not_claims():
    quiet = PUNK.model_copy(update={"energy": 0.1, "tempo_bpm": 70, "voice_probability": 0.5})
    text = 'Title tag "Very Fast Loud Party" \u201cgym\u201d. Whether it has vocals is unclear.'
    assert fact_check(quiet, caption=text).consistency is None


def test_drums_against_percussiveness():
    pad = PUNK.model_copy(update={"percussiveness": 0.03, "onset_rate": 0.5})
    assert fact_check(pad, caption="Pounding drums drive it.").flagged
    assert fact_check(PUNK, caption="A beatless drone without drums.").flagged


def test_nothing_checkable_gives_none():
    assert fact_check(PUNK, caption="A song about love.").consistency is None


@pytest.mark.parametrize("seed", [0, 1])
def test_flags_wrong_captions_and_passes_own_captions(seed):
    rng = random.Random(seed)
    mir = MirListener()
    n_wrong = flagged_wrong = n_own = flagged_own = 0
    for _ in range(400):
        m = random_measurements(rng)
        own = mir.listen(Path("x.wav"), m, Tags())
        n_own += 1
        flagged_own += fact_check(m, own.summary, own.caption).flagged
        for claim in wrong_claims(m):
            n_wrong += 1
            flagged_wrong += fact_check(m, caption=f"{claim}, with a memorable melody.").flagged
    assert flagged_wrong / n_wrong >= 0.9, (flagged_wrong, n_wrong)
    assert flagged_own / n_own <= 0.1, (flagged_own, n_own)


def test_captions_of_other_tracks_are_flagged():
    """A caption written for a clearly different track (the 'other song' failure)."""
    calm = PUNK.model_copy(
        update={
            "tempo_bpm": 68,
            "energy": 0.12,
            "voice_probability": 0.05,
            "percussiveness": 0.05,
            "onset_rate": 0.8,
            "mode": "major",
        }
    )
    mir = MirListener()
    for a, b in [(PUNK, calm), (calm, PUNK)]:
        other = mir.listen(Path("x.wav"), b, Tags())
        fc = fact_check(a, other.summary, other.caption)
        assert fc.flagged and fc.consistency is not None and fc.consistency <= 0.25


def test_check_result_fills_listen_result():
    r = check_result(MirListener().listen(Path("x.wav"), PUNK, Tags()), PUNK)
    assert r.consistency == 1.0 and r.contradictions == []


@pytest.fixture(scope="module")
def demo_measurements(tmp_path_factory):
    """Measurements of a few rendered demo tracks (realistic values, not synthetic)."""
    from linernotes.tools.analysis.measure import analyse_file
    from linernotes.tools.demo import build_demo

    manifest = build_demo(tmp_path_factory.mktemp("demo"), n_tracks=8, seed=3, progress=False)
    paths = sorted(p for p in manifest.parent.iterdir() if p.suffix in (".flac", ".wav"))
    return [analyse_file(p)[0].measurements for p in paths]


def test_demo_catalog_own_captions_pass_and_wrong_ones_are_flagged(demo_measurements):
    mir = MirListener()
    own = [mir.listen(Path("x"), m, Tags()) for m in demo_measurements]
    assert sum(
        fact_check(m, r.summary, r.caption).flagged
        for m, r in zip(demo_measurements, own, strict=True)
    ) <= 0.1 * len(own)
    wrong = [(m, c) for m in demo_measurements for c in wrong_claims(m)]
    flagged = sum(fact_check(m, caption=c + ".").flagged for m, c in wrong)
    assert flagged >= 0.9 * len(wrong), (flagged, len(wrong))
