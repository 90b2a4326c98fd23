"""Scene diff: identities survive moves, edits, renames; inserts and deletes are reported."""

from __future__ import annotations

import random
import time

from studio_kit.screenplay.diff import diff_scenes, fingerprint
from studio_kit.screenplay.fountain import parse_fountain
from studio_kit.screenplay.scenes import extract_scenes


def fps(text):
    sp = parse_fountain(text)
    return [fingerprint(sp, s) for s in extract_scenes(sp)]


def script(scenes):
    return "\n\n".join(f"{h}\n\n{b}" for h, b in scenes) + "\n"


BASE = [
    ("INT. KITCHEN - DAY", "Mara makes tea.\n\nMARA\nSit down."),
    ("EXT. STATION - NIGHT", "A train arrives in the rain."),
    ("INT. KITCHEN - DAY", "Jonas burns the toast.\n\nJONAS\nNot again."),
    ("INT. TRAIN - NIGHT", "The carriage sways. A lamp swings."),
    ("EXT. BRIDGE - DAWN", "Mist on the river."),
]


def uids(n):
    return [f"u{k}" for k in range(n)]


def test_identical_versions_are_unchanged():
    d = diff_scenes(fps(script(BASE)), uids(5), fps(script(BASE)))
    assert [c.kind for c in d.changes] == ["unchanged"] * 5
    assert d.uid_map() == {k: f"u{k}" for k in range(5)}


def test_one_scene_moved_reports_one_move():
    new = BASE[1:] + BASE[:1]
    d = diff_scenes(fps(script(BASE)), uids(5), fps(script(new)))
    assert [(c.kind, c.uid) for c in d.moved()] == [("moved", "u0")]
    assert d.summary()["unchanged"] == 4


def test_renamed_heading_keeps_identity():
    new = list(BASE)
    new[3] = ("INT. NIGHT TRAIN - SLEEPER - NIGHT", BASE[3][1])
    d = diff_scenes(fps(script(BASE)), uids(5), fps(script(new)))
    c = d.changes[3]
    assert (c.kind, c.uid, c.heading_changed) == ("changed", "u3", True)


def test_same_set_scenes_swapped_and_edited_pair_correctly():
    new = [BASE[2], BASE[1], (BASE[0][0], BASE[0][1] + " She spills it."), BASE[3], BASE[4]]
    d = diff_scenes(fps(script(BASE)), uids(5), fps(script(new)))
    assert d.uid_map()[0] == "u2" and d.uid_map()[2] == "u0"
    assert d.changes[2].kind in ("changed", "moved+changed")


def test_insert_delete_and_duplicates():
    dup = BASE + [BASE[4]]
    new = [BASE[0], ("INT. CELLAR - NIGHT", "Something new and completely different here."), BASE[2], BASE[3],
           BASE[4], BASE[4]]
    d = diff_scenes(fps(script(dup)), uids(6), fps(script(new)))
    assert [c.old_index for c in d.removed()] == [1]
    assert [c.new_index for c in d.added()] == [1]
    assert d.uid_map()[4] == "u4" and d.uid_map()[5] == "u5"


def test_large_synthetic_revision():
    rng = random.Random(5)
    words = "rain train lamp signal river bridge coat ledger door map steam platform clock key".split()
    scenes = [(f"INT. SET {k % 40} - {'DAY' if k % 3 else 'NIGHT'}",
               " ".join(rng.choice(words) for _ in range(rng.randint(30, 120))) + ".") for k in range(300)]
    new = list(scenes)
    edited = rng.sample(range(300), 15)
    for k in edited:
        h, b = new[k]
        ws = b.split()
        ws[rng.randrange(len(ws))] = "EDITED"
        new[k] = (h, " ".join(ws))
    deleted = sorted(rng.sample([k for k in range(300) if k not in edited], 4), reverse=True)
    for k in deleted:
        del new[k]
    moved = [new.pop(10), new.pop(100), new.pop(200)]
    new.insert(250, moved[0])
    new.insert(20, moved[1])
    new.insert(150, moved[2])
    for k in (5, 55, 155, 255):
        new.insert(k, (f"EXT. NEW PLACE {k} - DAY", f"Brand new scene number {k} with fresh words only here."))
    t0 = time.perf_counter()
    d = diff_scenes(fps(script(scenes)), uids(300), fps(script(new)))
    print(f"300-scene diff: {time.perf_counter() - t0:.3f} s")
    assert len(d.added()) == 4 and len(d.removed()) == 4
    assert sorted(c.old_index for c in d.removed()) == sorted(deleted)
    assert len(d.moved()) == 3
    assert {c.old_index for c in d.changed()} == set(edited)
