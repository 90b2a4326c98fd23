"""Temp voices for the animatic: a pace and pitch per character from cast order, what a bible's
voice field sets, children higher; pure functions of writing.boards."""

from __future__ import annotations

import pytest

from studio_kit.writing.boards import TEMP_VOICES, TempVoice, temp_voices, voice_spec


def test_voice_spec_reads_settings_and_leaves_casting_notes_alone():
    assert voice_spec("3") == {"voice": "3"}
    assert voice_spec("speaker=2 pitch=+4 speed=0.9") == {"voice": "2", "pitch": 4.0, "speed": 0.9}
    assert voice_spec("pitch=-3, a gravelly baritone") == {"pitch": -3.0}
    assert voice_spec("a gravelly baritone") == {} and voice_spec("") == {}
    with pytest.raises(ValueError, match="pitch must be a number, got 'high'"):
        voice_spec("pitch=high")
    with pytest.raises(ValueError, match="speaker must be a whole number"):
        voice_spec("speaker=joe")


def test_cast_order_gives_distinct_voices_and_the_bible_overrides():
    names = ["MARA", "JONAS", "ILSE", "BOY", "VIKTOR"]
    voices = temp_voices(names, {"VIKTOR": "speaker=1 pitch=-6"}, {"BOY": "10", "MARA": "30s"})
    assert voices["MARA"] == TempVoice("", *TEMP_VOICES[0])
    assert len({(v.speed, v.pitch) for n, v in voices.items() if n in ("MARA", "JONAS", "ILSE")}) == 3
    assert voices["BOY"].pitch == max(TEMP_VOICES[3][1], 0.0) + 5.0  # a child: higher
    assert voices["VIKTOR"] == TempVoice("1", TEMP_VOICES[4][0], -6.0)
    assert temp_voices(["A"], {"A": "pitch=40"})["A"].pitch == 12.0  # clamped to an octave
