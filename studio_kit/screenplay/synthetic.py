"""Long synthetic screenplays for scale tests and benchmarks, deterministic per seed.

The mix follows feature scripts: a scene every page or so at a pool of recurring sets, a cast
whose presence falls off like a power law, action paragraphs of one to six lines, speeches with
occasional parentheticals and extensions, transitions, dual dialogue, notes, sections and emphasis.
Page counts are planned with the industry grid (55 lines a page, action 61 and dialogue 36
characters wide) and land within a few percent of the request.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

_FIRST = ("MARA JONAS ILSE TOMAS PETRA VIKTOR NADIA OSKAR LENA RUDI GRETA MILO SABINE KARL ANYA FELIX "
          "DORA EMIL HANNA BRUNO ZOFIA LUDO VERA ANTON IRIS").split()
_EXTRAS = ["CONDUCTOR", "GUARD", "DRIVER", "NURSE", "WAITER", "CLERK", "OFFICER", "PORTER"]
_SETS = ("SIGNAL BOX|TRAIN - DINING CAR|TRAIN - SLEEPER CAR|CENTRAL STATION - PLATFORM 9|MARA'S FLAT|"
         "POLICE STATION - INTERVIEW ROOM|BORDER CROSSING|HOTEL BRISTOL - LOBBY|RIVER BRIDGE|"
         "RAIL YARD|HOSPITAL - CORRIDOR|CAFE EUROPA|FOREST ROAD|TUNNEL MOUTH|ARCHIVE - STACKS|"
         "CONTROL ROOM|ROOFTOP|TRAM DEPOT|CUSTOMS HALL|SAFE HOUSE - KITCHEN").split("|")
_TIMES = ["DAY"] * 5 + ["NIGHT"] * 4 + ["DAWN", "DUSK", "CONTINUOUS", "LATER", "MORNING"]
_SUBJECTS = ("the train|rain|a lamp|the signal|her coat|the suitcase|a ledger|the radio|snow|the crowd|"
             "a revolver|the timetable|steam|the door|his hands|the map|a photograph|the lever").split("|")
_VERBS = ("hammers against|drifts past|flickers over|slides across|rattles|hangs above|spills onto|"
          "catches on|glints beside|waits by|swings toward|sinks into").split("|")
_OBJECTS = ("the window|the platform|the tracks|the table|the dark carriage|the frozen river|the old map|"
            "the iron gate|the station clock|the empty corridor|the signal lamp|the ticket booth").split("|")
_ADVERBS = ["slowly", "without a sound", "for a moment", "again", "at last", "in the half-light", "too fast"]
_LINES = ("We don't have much time.|You said the line would close by spring.|Nobody leaves this train "
          "until we know.|I kept the ledger. Every name.|Then we go tonight.|It was never about the money.|"
          "Listen to me. Just once, listen.|The signal changed. I saw it.|Who sent you?|Put the gun down.|"
          "The border closes at six.|I remember the river. I remember all of it.|Don't look back.|"
          "You're late.|They know about the archive.|It's colder than last winter.|Give me the key.|"
          "We were children then.|How many passengers?|Stay with the luggage.").split("|")
_PARENS = ["(quietly)", "(beat)", "(not looking up)", "(into the radio)", "(to Jonas)", "(smiling)", "(re: the map)"]


def _wrapped_lines(text: str, width: int) -> int:
    words, lines, cur = text.split(), 0, 0
    for w in words:
        if cur and cur + 1 + len(w) > width:
            lines += 1
            cur = len(w)
        else:
            cur += (1 if cur else 0) + len(w)
    return lines + (1 if cur else 0)


def synthetic_script(pages: int, seed: int = 0) -> str:
    """Fountain text of about ``pages`` US Letter pages."""
    if pages < 1:
        raise ValueError("pages must be at least 1")
    rng = random.Random(seed)
    n_cast = min(len(_FIRST), max(6, int(8 + pages / 12)))
    cast = _FIRST[:n_cast]
    weights = [1 / (k + 1) ** 1.1 for k in range(n_cast)]  # a few leads, a long tail
    sets = _SETS[: max(6, min(len(_SETS), 6 + pages // 15))]
    target = pages * 55 - 4  # printed rows; the last page is rarely full
    out = ["Title: Synthetic Feature", f"Credit: generated (seed {seed})", "Author: studio_kit", "Draft date: 2026",
           ""]
    rows = 0
    scene = 0
    act = 0

    def sentence() -> str:
        s = f"{rng.choice(_SUBJECTS).capitalize()} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}"
        if rng.random() < 0.4:
            s += f" {rng.choice(_ADVERBS)}"
        if rng.random() < 0.08:
            s = f"*{s}*"
        return s + "."

    while rows < target:
        if scene % max(1, int(pages / 3)) == 0 and act < 3:
            act += 1
            out += [f"# ACT {'I' * act}", ""]
        scene += 1
        int_ext = rng.choice(["INT.", "INT.", "EXT.", "INT./EXT."])
        out += [f"{int_ext} {rng.choice(sets)} - {rng.choice(_TIMES)} #{scene}#", ""]
        rows += 2 if rows % 55 else 1
        if rng.random() < 0.15:
            out += [f"= {sentence()}", ""]
        # Mostly the leads (power-law weights); now and then a random group from the whole cast.
        in_scene = rng.sample(cast, k=min(len(cast), rng.choice([1, 2, 2, 3, 3, 4]))) \
            if rng.random() < 0.1 else list(dict.fromkeys(rng.choices(cast, weights=weights, k=3)))
        budget = rng.randint(12, 75)  # rows in this scene
        used = 0
        while used < budget and rows + used < target:
            kind = rng.random()
            if kind < 0.38:
                para = " ".join(sentence() for _ in range(rng.randint(1, 4)))
                if rng.random() < 0.12:
                    extra = rng.choice(_EXTRAS)
                    para = f"A {extra} ({rng.randint(20, 60)}s) appears. " + para
                out += [para, ""]
                used += _wrapped_lines(para, 61) + 1
            elif kind < 0.93:
                who = rng.choice(in_scene)
                cue = who + (rng.choice([" (O.S.)", " (V.O.)", " (CONT'D)"]) if rng.random() < 0.1 else "")
                lines = [cue]
                if rng.random() < 0.2:
                    lines.append(rng.choice(_PARENS))
                speech = " ".join(rng.choice(_LINES) for _ in range(rng.randint(1, 4)))
                lines.append(speech)
                out += lines + [""]
                used += len(lines) - 1 + _wrapped_lines(speech, 36) + 1
                if rng.random() < 0.03 and len(in_scene) > 1:
                    other = next(c for c in in_scene if c != who)
                    out += [f"{other} ^", rng.choice(_LINES), ""]
            elif kind < 0.96:
                out += [f"[[{rng.choice(['check continuity', 'music cue here', 'VFX: sky replacement'])}]]", ""]
            else:
                out += [rng.choice(["CUT TO:", "DISSOLVE TO:", "SMASH CUT TO:"]), ""]
                used += 2
        rows += used
    out += ["> THE END <", ""]
    return "\n".join(out)


def write_synthetic(pages: int, path: str | Path, seed: int = 0) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(synthetic_script(pages, seed))
    return p


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 120
    dest = sys.argv[2] if len(sys.argv) > 2 else f"synthetic_{n}.fountain"
    print(write_synthetic(n, dest, seed=int(sys.argv[3]) if len(sys.argv) > 3 else 0))
