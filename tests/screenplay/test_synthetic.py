"""The synthetic script generator: deterministic, realistic mix, on-target length."""

from __future__ import annotations

import pytest

from studio_kit.screenplay.analysis import analyze
from studio_kit.screenplay.fountain import parse_fountain
from studio_kit.screenplay.model import ElementType
from studio_kit.screenplay.synthetic import synthetic_script, write_synthetic


def test_deterministic_per_seed():
    assert synthetic_script(20, seed=3) == synthetic_script(20, seed=3)
    assert synthetic_script(20, seed=3) != synthetic_script(20, seed=4)


@pytest.mark.parametrize("pages", [10, 60, 120])
def test_page_count_on_target_and_mix_realistic(pages):
    a = analyze(parse_fountain(synthetic_script(pages, seed=1)))
    assert abs(a.pagination.page_count - pages) <= max(1, 0.1 * pages)
    kinds = {e.type for e in a.screenplay.elements}
    assert {ElementType.SCENE_HEADING, ElementType.ACTION, ElementType.CHARACTER, ElementType.DIALOGUE} <= kinds
    assert 0.5 * pages <= len(a.scenes) <= 2 * pages
    assert len(a.stats.characters) >= 6
    assert 0.25 < a.stats.dialogue_share < 0.8


def test_write_and_bad_input(tmp_path):
    p = write_synthetic(5, tmp_path / "s.fountain", seed=2)
    assert p.read_text().startswith("Title: Synthetic Feature")
    with pytest.raises(ValueError):
        synthetic_script(0)
