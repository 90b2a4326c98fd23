"""Shot lists: how a scene will be covered, shot by shot.

A shot list is what a director and DP agree before the day: for each scene, numbered shots (3A,
3B, ... - letters skip I and O so they are never read as 1 and 0) with size, angle, movement,
subject, the characters in frame, a description and an estimated screen time. The default is
drawn by rules from the scene's own content - the coverage a first AD expects on any set:

- an establishing shot when the scene opens on a new location (always for exteriors),
- a master that holds the whole scene,
- a two-shot and over-the-shoulder pair for a two-hander, singles for every other speaker,
- a reaction for a present character who never speaks,
- an insert for each key prop the breakdown names in the scene's action.

An LLM-assisted mode asks a text model for the list as JSON and validates every shot (sizes and
angles a producer knows, characters who are really in the scene); a bad shot is reported by
number and the rest of the list stands. Everything here is pure: the store and the models are at
the edges (``shots_store``, ``boards`` and the Studio).

``cut_scene`` turns coverage into an edit: the scene's paragraphs in script order, each shown on
the shot that covers it (a speech on its speaker's single, an action naming a prop on the
insert, the rest on the master). Boards and the animatic play that edit.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ..common.errors import Invalid
from ..generation.base import SHOT_SIZES
from ..screenplay.model import Element, ElementType, Scene, Screenplay, character_name

#: Camera heights the boards can draw (the generation interface's angles).
ANGLES = ("eye", "high", "low", "overhead")
#: Camera movements, as written on a shot list.
MOVEMENTS = ("static", "pan", "tilt", "push in", "pull out", "dolly", "tracking", "handheld", "crane", "zoom")
#: What the shot is for in the coverage.
KINDS = ("establishing", "master", "two-shot", "ots", "single", "reaction", "insert", "cutaway")

#: One page of script is about a minute of screen time.
SECONDS_PER_EIGHTH = 7.5
#: Speech runs at about 2.5 words a second (150 wpm) when read as temp dialogue.
WORDS_PER_SECOND = 2.5

_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O

# Words that say how a shot is written on other shot lists, mapped to our codes.
_SIZE_WORDS = {
    "extreme wide": "EWS", "extreme wide shot": "EWS", "ews": "EWS", "els": "EWS", "extreme long shot": "EWS",
    "wide": "WS", "wide shot": "WS", "ws": "WS", "long shot": "WS", "ls": "WS", "establishing": "WS",
    "full": "FS", "full shot": "FS", "fs": "FS", "medium wide": "FS", "mws": "FS", "cowboy": "FS",
    "medium": "MS", "medium shot": "MS", "ms": "MS", "mid shot": "MS", "two shot": "MS", "2-shot": "MS",
    "medium close": "MCU", "medium close-up": "MCU", "medium close up": "MCU", "mcu": "MCU",
    "over the shoulder": "MCU", "ots": "MCU", "close": "CU", "close-up": "CU", "close up": "CU", "cu": "CU",
    "extreme close-up": "ECU", "extreme close up": "ECU", "ecu": "ECU", "xcu": "ECU",
    "insert": "INSERT", "insert shot": "INSERT",
}
_ANGLE_WORDS = {"eye": "eye", "eye level": "eye", "eye-level": "eye", "high": "high", "high angle": "high",
                "low": "low", "low angle": "low", "overhead": "overhead", "top": "overhead", "bird's eye": "overhead",
                "birds eye": "overhead", "top down": "overhead"}
_ACTION_WORDS = re.compile(r"\b(run|runs|running|chase|chases|chasing|fight|fights|falls?|jumps?|races?|"
                           r"sprints?|struggles?|grabs?|lunges?|flees?|bolts?)\b", re.I)


class ShotListError(Invalid):
    """A shot list cannot be made or read; the message names the scene, the shot and what to fix."""


@dataclass(frozen=True)
class Shot:
    """One shot of a scene's coverage."""

    number: str  # "12A": the scene number and a letter
    size: str  # one of generation.base.SHOT_SIZES
    angle: str = "eye"
    movement: str = "static"
    kind: str = "master"
    subject: str = ""  # what the frame is about: a character, a prop, the location
    characters: tuple[str, ...] = ()  # names as the script writes them, upper case
    description: str = ""
    seconds: float = 0.0  # estimated screen time
    props: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        where = f"shot {self.number or '?'}"
        if not self.number:
            raise ShotListError("a shot needs a number (e.g. 3A)")
        if self.size not in SHOT_SIZES:
            raise ShotListError(f"{where}: size {self.size!r} is not one of {', '.join(SHOT_SIZES)}")
        if self.angle not in ANGLES:
            raise ShotListError(f"{where}: angle {self.angle!r} is not one of {', '.join(ANGLES)}")
        if self.movement not in MOVEMENTS:
            raise ShotListError(f"{where}: movement {self.movement!r} is not one of {', '.join(MOVEMENTS)}")
        if self.kind not in KINDS:
            raise ShotListError(f"{where}: kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if not (isinstance(self.seconds, int | float) and math.isfinite(self.seconds) and self.seconds >= 0):
            raise ShotListError(f"{where}: seconds must be a finite number >= 0, got {self.seconds!r}")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["characters"] = list(self.characters)
        d["props"] = list(self.props)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Shot:
        known = set(cls.__dataclass_fields__)
        unknown = set(d) - known
        if unknown:
            raise ShotListError(f"shot {d.get('number', '?')}: unknown fields {sorted(unknown)}; "
                                f"fields are {sorted(known)}")
        kw = dict(d)
        kw["characters"] = tuple(kw.get("characters") or ())
        kw["props"] = tuple(kw.get("props") or ())
        kw["seconds"] = float(kw.get("seconds") or 0.0)
        return cls(**kw)


@dataclass(frozen=True)
class ShotList:
    """The coverage of one scene. ``scene_uid`` is the stable scene identity, so a shot list
    survives script revisions; ``source`` is rules, llm or edited."""

    scene_uid: str
    scene_number: str
    heading: str
    shots: tuple[Shot, ...]
    source: str = "rules"
    characters: tuple[str, ...] = ()  # who is in the scene (validation of edits)

    @property
    def seconds(self) -> float:
        return round(sum(s.seconds for s in self.shots), 2)

    def shot(self, number: str) -> Shot:
        for s in self.shots:
            if s.number == number:
                return s
        raise ShotListError(f"scene {self.scene_number}: no shot {number!r} (shots: "
                            f"{', '.join(s.number for s in self.shots)})")

    def to_json(self) -> str:
        return json.dumps({"scene_uid": self.scene_uid, "scene_number": self.scene_number, "heading": self.heading,
                           "source": self.source, "characters": list(self.characters),
                           "shots": [s.to_dict() for s in self.shots]})

    @classmethod
    def from_json(cls, text: str) -> ShotList:
        d = json.loads(text)
        return cls(d["scene_uid"], d["scene_number"], d["heading"], tuple(Shot.from_dict(s) for s in d["shots"]),
                   d.get("source", "rules"), tuple(d.get("characters", ())))

    def edited(self, shots: Iterable[Shot]) -> ShotList:
        """A new list with these shots (validated against the scene's characters)."""
        new = replace(self, shots=tuple(shots), source="edited")
        validate(new)
        return new


def shot_number(scene_number: str, k: int) -> str:
    """The k-th (0-based) shot's number: 12A ... 12Z (no I, O), then 12AA, 12AB, ..."""
    if k < len(_LETTERS):
        return f"{scene_number}{_LETTERS[k]}"
    return f"{scene_number}{_LETTERS[k // len(_LETTERS) - 1]}{_LETTERS[k % len(_LETTERS)]}"


def validate(shot_list: ShotList, known: Iterable[str] = ()) -> None:
    """Raise naming the shot when a shot names a character who is not in the scene (or ``known``)
    or when numbers repeat."""
    allowed = {c.upper() for c in (*shot_list.characters, *known)}
    seen: set[str] = set()
    for s in shot_list.shots:
        if s.number in seen:
            raise ShotListError(f"scene {shot_list.scene_number}: shot number {s.number} is used twice")
        seen.add(s.number)
        unknown = [c for c in s.characters if c.upper() not in allowed]
        if unknown and allowed:
            raise ShotListError(f"scene {shot_list.scene_number}, shot {s.number}: {', '.join(unknown)} "
                                f"{'is' if len(unknown) == 1 else 'are'} not in this scene (characters: "
                                f"{', '.join(sorted(allowed))}); fix the name or add the character to the scene")


# -- the scene's content --------------------------------------------------------------------------

@dataclass(frozen=True)
class Beat:
    """One paragraph of a scene in script order: an action or a speech."""

    kind: str  # "action" or "dialogue"
    text: str
    character: str = ""  # the speaker of a speech
    parenthetical: str = ""

    @property
    def words(self) -> int:
        return len(self.text.split())


def scene_beats(screenplay: Screenplay, scene: Scene) -> list[Beat]:
    """The scene's action paragraphs and speeches, in order (parentheticals kept with the speech)."""
    els: list[Element] = screenplay.elements[scene.first:scene.last + 1]
    beats: list[Beat] = []
    speaker = ""
    paren = ""
    lines: list[str] = []

    def flush() -> None:
        nonlocal lines, paren
        if speaker and lines:
            beats.append(Beat("dialogue", " ".join(lines), speaker, paren))
        lines, paren = [], ""

    for e in els:
        if e.type == ElementType.CHARACTER:
            flush()
            speaker = character_name(e.text)
        elif e.type == ElementType.PARENTHETICAL and speaker:
            if lines:  # a mid-speech parenthetical starts a new beat of the same speech
                flush()
            paren = e.text.strip()
        elif e.type == ElementType.DIALOGUE and speaker:
            lines.append(" ".join(e.text.split()))
        else:
            flush()
            speaker = ""
            if e.type == ElementType.ACTION and e.text.strip():
                beats.append(Beat("action", " ".join(e.text.split())))
    flush()
    return beats


def scene_seconds(scene: Scene) -> float:
    """Estimated screen time from page eighths (a page a minute); at least 5 s."""
    eighths = scene.eighths_exact or scene.eighths
    return max(5.0, round(eighths * SECONDS_PER_EIGHTH, 1))


def _title(text: str) -> str:
    """Names and places as a sentence writes them (``ILSE'S OFFICE`` -> ``Ilse's Office``)."""
    return string.capwords(text)


def _mentions(text: str, word: str) -> bool:
    return re.search(rf"\b{re.escape(word)}s?\b", text, re.I) is not None


# -- rule-based coverage ----------------------------------------------------------------------------

def default_shot_list(screenplay: Screenplay, scene: Scene, *, scene_uid: str = "",
                      props: Sequence[str] = (), previous_location: str | None = None,
                      max_inserts: int = 3) -> ShotList:
    """The coverage a first AD would pencil in, from the scene's own content (see module doc).

    ``props`` are the scene's props from the breakdown; those named in the action become inserts.
    ``previous_location`` is the location of the scene before (None: this is the first scene)."""
    beats = scene_beats(screenplay, scene)
    action_text = " ".join(b.text for b in beats if b.kind == "action")
    speakers: list[str] = []
    for b in beats:
        if b.kind == "dialogue" and b.character not in speakers:
            speakers.append(b.character)
    present = list(dict.fromkeys([*speakers, *(c.upper() for c in scene.characters)]))
    silent = [c for c in present if c not in speakers]
    night = scene.day_night in ("NIGHT", "DUSK") or "NIGHT" in scene.time_of_day
    exterior = scene.int_ext.startswith("EXT")
    place = scene.location or scene.heading
    physical = bool(_ACTION_WORDS.search(action_text))
    plan: list[dict[str, Any]] = []

    if exterior or previous_location is None or previous_location != scene.location:
        plan.append(dict(size="EWS" if exterior else "WS", angle="high" if exterior else "eye",
                         movement="crane" if exterior and not night else ("pan" if exterior else "static"),
                         kind="establishing", subject=place, characters=(),
                         description=f"Establish {_title(place)}{' at night' if night else ''}."))
    plan.append(dict(size="WS" if len(present) != 1 else "FS", angle="eye",
                     movement="handheld" if physical else "static", kind="master",
                     subject=", ".join(present) or place, characters=tuple(present),
                     description=("Master: " + (", ".join(_title(c) for c in present) or "the action")
                                  + f" in {_title(place)}" + (", following the action." if physical else "."))))
    if len(speakers) == 2:
        a, b = speakers
        plan.append(dict(size="MS", kind="two-shot", subject=f"{a} and {b}", characters=(a, b),
                         description=f"Two-shot: {_title(a)} and {_title(b)}."))
        for me, other in ((a, b), (b, a)):
            plan.append(dict(size="MCU", kind="ots", subject=me, characters=(me, other),
                             description=f"Over {_title(other)}'s shoulder on {_title(me)}."))
    else:
        for s in speakers:
            lines = sum(1 for b in beats if b.kind == "dialogue" and b.character == s)
            plan.append(dict(size="CU" if len(speakers) == 1 and lines > 2 else "MCU", kind="single", subject=s,
                             characters=(s,), movement="push in" if len(speakers) == 1 and lines > 2 else "static",
                             description=f"Single on {_title(s)}."))
    for s in silent[:2]:  # a reaction to what is said; in a silent scene, a single that follows them
        if speakers:
            plan.append(dict(size="MCU", kind="reaction", subject=s, characters=(s,),
                             description=f"{_title(s)} reacts."))
        else:
            plan.append(dict(size="MS", kind="single", subject=s, characters=(s,),
                             movement="tracking" if physical else "static",
                             description=f"On {_title(s)}" + (", tracking with them." if physical else ".")))
    named = [p for p in dict.fromkeys(props) if p and _mentions(action_text, p.split()[-1])]
    for p in named[:max_inserts]:
        plan.append(dict(size="INSERT", angle="overhead" if len(p) < 40 else "high", kind="insert",
                         subject=p, characters=(), props=(p,), description=f"Insert: the {p.lower()}."))

    shots = [Shot(number=shot_number(scene.number, k), **{"angle": "eye", "movement": "static", **d})
             for k, d in enumerate(plan)]
    sl = ShotList(scene_uid or scene.number, scene.number, scene.heading, tuple(shots), "rules", tuple(present))
    return time_shots(sl, screenplay, scene)


def time_shots(shot_list: ShotList, screenplay: Screenplay, scene: Scene) -> ShotList:
    """Share the scene's estimated screen time over its shots by what the edit shows on each: every
    beat's share of the scene goes to the shot ``cut_scene`` puts it on; an establishing shot gets
    3 s. The shots' seconds add up to the scene's estimate."""
    total = scene_seconds(scene)
    cuts = cut_scene(shot_list, scene_beats(screenplay, scene), total)
    per: dict[str, float] = {}
    for c in cuts:
        per[c.shot] = per.get(c.shot, 0.0) + c.seconds
    shots = tuple(replace(s, seconds=round(per.get(s.number, 0.0), 2)) for s in shot_list.shots)
    return replace(shot_list, shots=shots)


# -- the edit: beats on shots -------------------------------------------------------------------------

@dataclass(frozen=True)
class Cut:
    """One stretch of the edit: a shot on screen for some beats of the scene."""

    shot: str
    seconds: float
    beats: tuple[Beat, ...] = ()

    @property
    def dialogue(self) -> tuple[Beat, ...]:
        return tuple(b for b in self.beats if b.kind == "dialogue")


def _speaker_shot(character: str, shots: Sequence[Shot], master: Shot) -> Shot:
    for kind in ("single", "ots", "reaction"):
        for s in shots:
            if s.kind == kind and s.subject.upper() == character:
                return s
    for s in shots:
        if character in s.characters and s.kind not in ("establishing", "insert"):
            return s
    return master


def cut_scene(shot_list: ShotList, beats: Sequence[Beat], seconds: float) -> list[Cut]:
    """The scene as an edit over its coverage, in script order (see module doc).

    Establishing shots open the scene (3 s each); the first beat plays on the master; the first
    line of a two-hander after that on the two-shot; every other speech on its speaker's single or
    over-the-shoulder; an action that names an insert's prop cuts to the insert (several props:
    one cut each); each silent character's reaction is cut in after the next beat. ``seconds`` (the
    scene's estimate) is shared over the beats by their words; consecutive beats on one shot make
    one cut."""
    shots = list(shot_list.shots)
    if not shots:
        return []
    establishing = [s for s in shots if s.kind == "establishing"]
    master = next((s for s in shots if s.kind == "master"), None) or next(
        (s for s in shots if s.kind != "establishing"), shots[0])
    lead = min(3.0 if establishing else 0.0, seconds / 3)
    body = max(0.0, seconds - lead * len(establishing))
    if not beats:
        return [Cut(s.number, round(lead, 2)) for s in establishing] + [Cut(master.number, round(body, 2))]
    weight = [max(1, b.words) for b in beats]
    total_w = sum(weight)
    two_shot = next((s for s in shots if s.kind == "two-shot"), None)
    reactions = [s for s in shots if s.kind == "reaction"]
    inserts = [s for s in shots if s.kind == "insert"]
    speaking = {b.character for b in beats if b.kind == "dialogue"}
    singles = [s for s in shots if s.kind == "single" and s.subject.upper() not in speaking]
    used: set[str] = set()
    plan: list[tuple[Shot, float, Beat | None]] = [(s, lead, None) for s in establishing]
    for k, (b, w) in enumerate(zip(beats, weight, strict=True)):
        share = body * w / total_w
        hits = [s for s in inserts if s.number not in used and s.props
                and _mentions(b.text, s.props[0].split()[-1])] if b.kind == "action" else []
        if b.kind == "action":  # a silent character's single, when the action names them
            hits = [s for s in singles if s.number not in used and _mentions(b.text, s.subject)] + hits
        if k == 0:  # the master opens the scene; props it names are cut in after it
            keep = share / 2 if hits else share
            plan.append((master, keep, b))
            for s in hits:
                used.add(s.number)
                plan.append((s, (share - keep) / len(hits), None))
        elif b.kind == "dialogue":
            if two_shot is not None and two_shot.number not in used and b.character in two_shot.characters:
                used.add(two_shot.number)
                plan.append((two_shot, share, b))
            else:
                plan.append((_speaker_shot(b.character, shots, master), share, b))
        elif not hits:
            plan.append((master, share, b))
        else:
            for n, s in enumerate(hits):
                used.add(s.number)
                plan.append((s, share / len(hits), b if n == 0 else None))
        pending = [r for r in reactions if r.number not in used]
        if pending:  # a silent character's reaction is cut in after the beat
            r = pending[0]
            used.add(r.number)
            take = min(1.5, plan[-1][1] / 2)
            plan[-1] = (plan[-1][0], plan[-1][1] - take, plan[-1][2])
            plan.append((r, take, None))
    cuts: list[Cut] = []
    for shot, secs, beat in plan:
        if cuts and cuts[-1].shot == shot.number:
            last = cuts[-1]
            cuts[-1] = Cut(last.shot, last.seconds + secs, last.beats + ((beat,) if beat else ()))
        else:
            cuts.append(Cut(shot.number, secs, (beat,) if beat else ()))
    return [Cut(c.shot, round(c.seconds, 2), c.beats) for c in cuts]


# -- LLM-assisted mode ----------------------------------------------------------------------------------

SHOT_LIST_SYSTEM = ("You are a film director and director of photography writing a shot list. Answer with a "
                    "JSON array only, no prose.")


def shot_list_prompt(scene_text: str, scene: Scene, characters: Sequence[str], props: Sequence[str] = ()) -> str:
    """The request for the LLM-assisted mode: the scene as written, who is in it, the key props, and
    the exact JSON shape wanted."""
    return (
        f"Scene {scene.number}: {scene.heading}\n"
        f"Characters in the scene: {', '.join(characters) or 'none'}\n"
        f"Key props: {', '.join(props) or 'none'}\n"
        f"Estimated screen time: {scene_seconds(scene):.0f} seconds\n\n"
        f"{scene_text.strip()}\n\n"
        "Write the coverage of this scene as a JSON array of shots in shooting order. Each shot is an object "
        "with keys: size (one of EWS, WS, FS, MS, MCU, CU, ECU, INSERT), angle (eye, high, low, overhead), "
        "movement (static, pan, tilt, push in, pull out, dolly, tracking, handheld, crane, zoom), kind "
        "(establishing, master, two-shot, ots, single, reaction, insert, cutaway), subject, characters "
        "(names exactly as above), description (one sentence), seconds (estimated screen time). "
        "Use only the characters listed."
    )


def _json_array(text: str) -> list[Any]:
    """The JSON array of shots in a model's answer (code fences and prose around it are allowed; an
    object wrapping the array under one key is unwrapped)."""
    from .develop_prompts import extract_json

    try:
        value = extract_json(text)
    except ValueError as exc:
        raise ShotListError(f"the model's answer holds no JSON array of shots: {exc}") from None
    if isinstance(value, dict):
        arrays = [v for v in value.values() if isinstance(v, list)]
        if len(arrays) != 1:
            raise ShotListError(f"the model's answer holds no JSON array of shots: an object with keys "
                                f"{sorted(value)[:6]}")
        value = arrays[0]
    return value


def _norm(value: Any, table: Mapping[str, str], allowed: Sequence[str], what: str, where: str) -> str:
    raw = str(value or "").strip()
    if raw.upper() in allowed:
        return raw.upper()
    if raw.lower() in allowed:
        return raw.lower()
    key = raw.lower().replace("_", " ")
    if key in table:
        return table[key]
    raise ShotListError(f"{where}: {what} {raw!r} is not one of {', '.join(allowed)}")


def parse_llm_shots(text: str, scene: Scene, characters: Sequence[str], *, scene_uid: str = ""
                    ) -> tuple[ShotList, list[str]]:
    """The model's answer as a validated shot list, and one message per shot that was dropped
    (unknown character, unknown size...). No valid shot at all is an error naming the scene."""
    try:
        items = _json_array(text)
    except ShotListError as exc:
        raise ShotListError(f"scene {scene.number}: {exc}") from None
    known = {c.upper(): c.upper() for c in characters}
    shots: list[Shot] = []
    problems: list[str] = []
    for k, item in enumerate(items):
        where = f"scene {scene.number}, shot {k + 1} of the model's list"
        try:
            if not isinstance(item, dict):
                raise ShotListError(f"{where}: expected an object, got {type(item).__name__}")
            names = item.get("characters") or []
            if isinstance(names, str):
                names = [n for n in re.split(r"[,&]| and ", names) if n.strip()]
            chars: list[str] = []
            for n in names:
                name = character_name(str(n))
                if name not in known:
                    raise ShotListError(f"{where}: {name} is not in this scene (characters: "
                                        f"{', '.join(known) or 'none'})")
                chars.append(name)
            kind = str(item.get("kind") or "master").strip().lower().replace("over the shoulder", "ots")
            kind = {"2-shot": "two-shot", "two shot": "two-shot", "close-up": "single", "wide": "master"}.get(kind, kind)
            shots.append(Shot(
                number=shot_number(scene.number, len(shots)),
                size=_norm(item.get("size"), _SIZE_WORDS, SHOT_SIZES, "size", where),
                angle=_norm(item.get("angle") or "eye", _ANGLE_WORDS, ANGLES, "angle", where),
                movement=_norm(item.get("movement") or "static", {}, MOVEMENTS, "movement", where),
                kind=_norm(kind, {}, KINDS, "kind", where),
                subject=str(item.get("subject") or ", ".join(chars)).strip(),
                characters=tuple(chars),
                description=" ".join(str(item.get("description") or "").split()),
                seconds=max(0.0, float(item.get("seconds") or 0.0)),
            ))
        except (ShotListError, TypeError, ValueError) as exc:
            problems.append(str(exc) if str(exc).startswith("scene ") else f"{where}: {exc}")
    if not shots:
        raise ShotListError(f"scene {scene.number}: the model gave no usable shot"
                            + (f" ({problems[0]})" if problems else ""))
    return ShotList(scene_uid or scene.number, scene.number, scene.heading, tuple(shots), "llm",
                    tuple(known)), problems


# -- exports ------------------------------------------------------------------------------------------------

COLUMNS = ("scene", "shot", "size", "angle", "movement", "kind", "subject", "characters", "description", "seconds")


def rows(shot_lists: Iterable[ShotList]) -> list[dict[str, Any]]:
    return [{"scene": sl.scene_number, "shot": s.number, "size": s.size, "angle": s.angle, "movement": s.movement,
             "kind": s.kind, "subject": s.subject, "characters": ", ".join(s.characters),
             "description": s.description, "seconds": s.seconds}
            for sl in shot_lists for s in sl.shots]


def to_csv(shot_lists: Iterable[ShotList]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows(shot_lists))
    return buf.getvalue()


@dataclass
class ShotListRun:
    """What a run over several scenes gave: the lists made and one message per scene or shot that
    failed (the run goes on past them)."""

    shot_lists: list[ShotList] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=dict)  # scene_uid -> stored version
