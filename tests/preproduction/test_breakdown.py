"""Script breakdown on the sample screenplay: cast, background counts, lexicon elements with
their quoted spans, the model hook, corrections, bad input, and the embedding fallback."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from studio_kit.preproduction.breakdown import (
    Breakdown,
    BreakdownError,
    Edit,
    Lexicon,
    LexiconEntry,
    apply_edits,
    load_gold,
    normalise_name,
    score,
    tag_script,
)
from studio_kit.preproduction.categories import (
    BACKGROUND,
    CAST,
    PROPS,
    SOUND,
    VEHICLES,
    CategoryColours,
    CategoryError,
    category_name,
)
from studio_kit.screenplay.analysis import analyze, load_script, parse_text

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data/sample/night_train.fountain"
GOLD = ROOT / "data/sample/night_train_breakdown_gold.csv"


@pytest.fixture(scope="module")
def analysis():
    return analyze(load_script(SAMPLE))


@pytest.fixture(scope="module")
def bd(analysis) -> Breakdown:
    return tag_script(analysis)


def tiny(text: str):
    return analyze(parse_text(text))


# -- cast --------------------------------------------------------------------------------------
def test_cast_recall_is_complete_against_the_gold(bd):
    per, _, detail = score(bd, load_gold(GOLD), categories=[CAST])
    assert per[CAST].recall == 1.0, [d for d in detail if d.startswith("missed")]
    assert per[CAST].precision == 1.0, [d for d in detail if d.startswith("extra")]


def test_cast_per_scene(bd):
    assert bd.names("1", CAST) == {"VIKTOR"}
    # Mara is only named as Jonas's sister ("Mara's older brother"): not in the scene
    assert bd.names("5", CAST) == {"JONAS", "PETRA"}
    # silent bits introduced in CAPS with an age, and later mentions of them
    assert {"MINISTER", "BANDLEADER", "MARA", "JONAS", "PETRA"} <= bd.names("21", CAST)
    assert "MINISTER" in bd.names("37", CAST)
    assert bd.names("19", CAST) == {"MARA", "LOTTE", "SECURITY GUARD", "DIETER"}
    # a byline inside an INSERT is text on screen, not Nadia in the ward
    assert bd.names("44", CAST) == {"VIKTOR", "MARA", "NURSE"}
    # the name on an envelope is not Mara in the cottage
    assert bd.names("7", CAST) == {"VIKTOR"}


def test_continuous_scene_keeps_the_people_left_on_the_set(bd):
    relief = [t for t in bd.for_scene_number("35") if t.name == "RELIEF SIGNALMAN"]
    assert len(relief) == 1 and relief[0].source == "continuity" and relief[0].confidence < 0.9
    # a move from the EXT. to the INT. of one place carries nobody: Viktor stays outside
    assert bd.names("9", CAST) == {"OSKAR"}


def test_cue_tag_quotes_the_cue(bd, analysis):
    t = next(t for t in bd.for_scene_number("4") if t.name == "JONAS")
    el = analysis.screenplay.elements[t.span.element]
    assert t.source == "cue" and el.text.startswith("JONAS") and t.span.text == "JONAS"


# -- background, animals, lexicon ----------------------------------------------------------------
def test_background_counts(bd):
    counts = {(t.scene_number, t.name): t.count for t in bd.tags if t.category_id == BACKGROUND}
    assert counts[("6", "CONTROLLERS")] == 12  # A DOZEN CONTROLLERS
    assert counts[("28", "CONTROLLERS")] == 6  # HALF A DOZEN CONTROLLERS
    assert counts[("21", "PASSENGERS")] == 20
    assert counts[("21", "BRASS BAND")] == 6  # A BRASS BAND of six (and "the BAND" is the same band)
    assert ("21", "BAND") not in counts
    assert counts[("42", "UNIFORMED OFFICERS")] == 2
    assert counts[("14A", "LUNCH CUSTOMERS")] == 12


def test_background_from_plain_text():
    a = tiny("INT. STATION - DAY\n\nA dozen commuters wait. TWO GUARDS watch them. The guard yawns.\n")
    bd = tag_script(a)
    got = {t.name: t.count for t in bd.tags if t.category_id == BACKGROUND}
    assert got == {"COMMUTERS": 12, "GUARDS": 2}


def test_named_dog_is_an_animal_everywhere(bd):
    for n in ("1", "11", "13", "46"):
        assert "BRUNO" in bd.names(n, 108), n
    assert "BRUNO" not in {t.name for t in bd.tags if t.category_id == CAST}


def test_prop_tagged_with_its_span(bd, analysis):
    rev = next(t for t in bd.for_scene_number("20") if t.category_id == PROPS and t.name == "REVOLVER")
    el = analysis.screenplay.elements[rev.span.element]
    assert el.text[rev.span.start:rev.span.end] == rev.span.text == "revolver"
    assert "butt of a revolver" in el.text and rev.source == "lexicon"
    assert "REVOLVER" in bd.names("31", PROPS) and "LEDGER" in bd.names("15", PROPS)
    # "a paper bag of pastries ... offers the bag": one bag, named the first, fuller way
    assert "PAPER BAG" in bd.names("12", PROPS) and "BAG" not in bd.names("12", PROPS)


def test_caps_sound_cues_and_verbs_left_alone(bd):
    assert "BOOM" in bd.names("15", SOUND)
    assert "SCREAM" in bd.names("36", SOUND)
    assert {"FIRE ENGINE", "POLICE CAR"} <= bd.names("42", VEHICLES)
    # "Mara smiles and keys the radio": a verb, not a prop KEY
    assert "KEY" not in bd.names("4", PROPS) and "RADIO" in bd.names("4", PROPS)


def test_plural_and_article_normalisation():
    assert normalise_name("the Rivets") == normalise_name("RIVET") == "RIVET"
    assert normalise_name("Pastries") == "PASTRY"
    assert normalise_name("shelves") == "SHELF" and normalise_name("FIREMEN") == "FIREMAN"
    assert normalise_name("glasses") == "GLASSES"
    lex = Lexicon([LexiconEntry("pastry", PROPS, "PASTRY")])
    a = tiny("INT. CAFE - DAY\n\nTwo pastries on a plate.\n")
    assert tag_script(a, lexicon=lex).names("1", PROPS) == {"PASTRY"}


def test_frame_and_elements(bd):
    df = bd.to_frame()
    assert df.height == len(bd.tags)
    assert set(df.columns) >= {"scene_number", "scene_uid", "category_id", "category", "name", "count", "quote",
                               "confidence", "source"}
    bruno = next(e for e in bd.elements() if e.category_id == 108 and e.name == "BRUNO")
    assert bruno.scene_numbers[0] == "1" and len(bruno.scene_numbers) > 10
    assert list(bd.by_scene())[0] == bd.scenes[0].uid


def test_scene_uids_are_used(analysis):
    uids = [f"uid-{k}" for k in range(len(analysis.scenes))]
    bd = tag_script(analysis, scene_uids=uids)
    assert {t.scene_uid for t in bd.tags} <= set(uids)
    with pytest.raises(BreakdownError, match="scene uids"):
        tag_script(analysis, scene_uids=uids[:3])


# -- the language-model hook --------------------------------------------------------------------
def toy_model(scene_text: str):
    """A deterministic stand-in for a model: reads the text the way a model would be asked to."""
    out = []
    if "toy locomotive" in scene_text:
        out.append((PROPS, "Toy Locomotive", "a toy locomotive"))
        out.append((PROPS, "Unicorn", "a unicorn on the luggage rack"))  # not in the text: dropped
        out.append((999, "Thing", "toy locomotive"))  # unknown category: dropped
    return out


def test_llm_hook_tags_are_checked_against_the_text(analysis):
    bd = tag_script(analysis, llm=toy_model)
    got = [t for t in bd.for_scene_number("21A") if t.source == "llm"]
    assert [(t.category_id, t.name) for t in got] == [(PROPS, "TOY LOCOMOTIVE")]
    el = analysis.screenplay.elements[got[0].span.element]
    assert el.text[got[0].span.start:got[0].span.end] == "a toy locomotive"
    assert any("UNICORN" in n.upper() and "not in the scene" in n for n in bd.notes)
    assert any("unknown category 999" in n for n in bd.notes)


# -- corrections --------------------------------------------------------------------------------
def test_edits_merge_remove_add_recategorise(bd):
    uid20 = next(s.uid for s in bd.scenes if s.number == "20")
    uid35 = next(s.uid for s in bd.scenes if s.number == "35")
    assert "GUN" in bd.names("35", PROPS)
    out = apply_edits(bd, [
        Edit("merge", PROPS, "GUN", target_name="REVOLVER"),
        Edit("remove", 106, "COAT", scene_uid=uid20),
        Edit("add", 116, "SECURITY DETAIL", scene_uid=uid20, quote="Oskar", count=2),
        Edit("recategorise", 114, "KETTLE", new_category=PROPS),
    ])
    assert "GUN" not in {t.name for t in out.tags if t.category_id == PROPS}
    assert [t.name for t in out.tags if t.scene_uid == uid35 and t.name in ("GUN", "REVOLVER")] == ["REVOLVER"]
    assert "COAT" not in out.names("20", 106) and "COAT" in out.names("21", 106)
    added = next(t for t in out.tags if t.category_id == 116)
    assert (added.source, added.confidence, added.count, added.scene_number) == ("manual", 1.0, 2, "20")
    assert "KETTLE" in out.names("4", PROPS) and not any(t.name == "KETTLE" and t.category_id == 114 for t in out.tags)
    assert "GUN" in bd.names("35", PROPS)  # the input is untouched
    assert out.unapplied == []


def test_edit_for_a_missing_scene_is_reported(bd):
    out = apply_edits(bd, [Edit("remove", PROPS, "LEDGER", scene_uid="no-such-scene"),
                           Edit("remove", PROPS, "UNICORN")])
    reasons = [r for _, r in out.unapplied]
    assert "not in this script version" in reasons[0] and "no Props element 'UNICORN'" in reasons[1]
    assert len(out.tags) == len(bd.tags)


def test_bad_edits_are_refused():
    with pytest.raises(CategoryError, match="unknown breakdown category id 777"):
        Edit("add", 777, "THING", scene_uid="x")
    with pytest.raises(ValueError, match="target_name"):
        Edit("merge", PROPS, "GUN")
    with pytest.raises(ValueError, match="new_category"):
        Edit("recategorise", PROPS, "GUN")
    with pytest.raises(CategoryError):
        Edit("recategorise", PROPS, "GUN", new_category=42)
    with pytest.raises(BreakdownError, match="kind 'rename'"):
        Edit("rename", PROPS, "GUN")


# -- data files ---------------------------------------------------------------------------------
def test_lexicon_missing_column_names_file_and_line(tmp_path):
    p = tmp_path / "lex.csv"
    p.write_text("term,name\nrevolver,REVOLVER\n")
    with pytest.raises(BreakdownError, match=r"lex\.csv:1: missing column\(s\) category_id"):
        Lexicon.load(p)
    p.write_text("term,category_id,name\nrevolver,104,REVOLVER\ncrate,lots,CRATE\n")
    with pytest.raises(BreakdownError, match=r"lex\.csv:3: category_id 'lots' is not a number"):
        Lexicon.load(p)


def test_gold_bad_rows_name_the_line(tmp_path):
    p = tmp_path / "gold.csv"
    p.write_text("scene_number,category_id\n1,100\n")
    with pytest.raises(BreakdownError, match=r"gold\.csv:1: missing column\(s\) name"):
        load_gold(p)
    p.write_text("scene_number,category_id,name\n1,100,MARA\n2,100,\n")
    with pytest.raises(BreakdownError, match=r"gold\.csv:3: empty 'name'"):
        load_gold(p)


def test_bundled_lexicon_is_broad():
    lex = Lexicon.load()
    assert len(lex.entries) >= 400
    cats = {e.category_id for e in lex.entries}
    assert {101, 102, 103, 104, 105, 106, 107, 108, 111, 112, 114, 117, 119, 120} <= cats


def test_colours_are_settings():
    c = CategoryColours({PROPS: "#123456"})
    assert c.colour(PROPS) == "#123456" and c.colour(CAST) == "#e53935"
    with pytest.raises(CategoryError):
        CategoryColours({3000: "#000000"})
    with pytest.raises(CategoryError, match="hex"):
        CategoryColours({PROPS: "purple"})
    assert category_name(112) == "Sound"


# -- embeddings ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def embedder():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from studio_kit.generation.embeddings import SentenceEmbedder

    e = SentenceEmbedder()
    e.encode(["warm-up"])
    return e


def test_embedder_gives_unit_vectors(embedder):
    v = embedder.encode(["a revolver", "a pistol", "a rainy sky"])
    assert v.shape == (3, embedder.dimension)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert float(v[0] @ v[1]) > float(v[0] @ v[2])


def test_embedding_fallback_finds_what_the_lexicon_lacks(embedder):
    a = tiny("INT. BARN - NIGHT\n\nMARA (30s) lifts a shotgun from the rack. A CHAINSAW roars outside.\n")
    empty = Lexicon([])
    assert [t for t in tag_script(a, lexicon=empty).tags if t.category_id != CAST] == []
    bd = tag_script(a, lexicon=empty, embedder=embedder)
    emb = {(t.category_id, t.name): t for t in bd.tags if t.source == "embedding"}
    assert (PROPS, "SHOTGUN") in emb
    t = emb[(PROPS, "SHOTGUN")]
    assert 0.6 <= t.confidence <= 1.0 and t.span.text == "shotgun"
    assert bd.names("1", CAST) == {"MARA"}


def test_missing_model_folder_is_a_clear_error(tmp_path):
    from studio_kit.generation.embeddings import EmbeddingModelError, SentenceEmbedder

    with pytest.raises(EmbeddingModelError, match="does not exist"):
        SentenceEmbedder(tmp_path / "nope").encode(["x"])
