"""From logline to shooting script: the LLM-assisted development pipeline of the Writing engine.

Steps, each a typed model stored as a new version (JSON) so a writer can inspect it, edit it in a
notebook and re-run from the next step::

    premise -> beats (Save the Cat, 15 beats with page targets) -> outline (numbered scenes)
            -> scenes (one Fountain scene each) -> dialogue (a pass per character voice)

After ``scenes`` and again after ``dialogue`` the scenes are assembled into one Fountain script
with a title page and stored as a script version with :func:`studio_kit.scripts.ingest`,
so breakdown, shot lists and boards read it like any other script.

Two modes, chosen from the backend (``mode=`` forces one):

- ``structured`` (transformers, endpoint: models that follow instructions): prompts ask for JSON
  (beats, outline, dialogue lines) or one Fountain scene; answers are parsed forgivingly (code
  fences, prose around JSON), validated, and an invalid answer is asked again with the fault fed
  back, ``max_attempts`` times in all; then that item fails with a message naming the step, the
  scene and why, and the rest of the run goes on.
- ``template`` (the offline n-gram writer, which cannot follow instructions): the code owns the
  structure (the beat template and page targets, the scene count from the target length,
  headings from the premise's locations, cast from the premise) and the model only fills text
  slots (beat descriptions, scene summaries, action, dialogue lines). Honest placeholder quality:
  the words are recombined sample-script phrases that do not know the story; the structure is
  real and every engine downstream can run on it.

Both modes produce the same models and both go through the same validation. Every scene is
parsed with our Fountain parser and must be exactly one scene that starts with its heading and
holds action or dialogue. A speaking character who is in neither the premise's cast nor the
outline scene's characters is a *warning* kept on the scene (walk-ons such as a CONDUCTOR are
normal screenwriting), not an error.

Storage: a step's output is written in one transaction with the script version it produces, so a
failed step stores nothing for that step (earlier steps stay). A step whose items partly failed
stores the items that passed and lists the failures in its payload (``Draft.failures``); a
failed scene is re-run alone with ``run(..., start_at="scenes", scenes=[3])``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Protocol, TypeVar, runtime_checkable

import polars as pl

from ..common.clock import utc_now
from ..common.errors import Invalid, NotFound
from ..generation.base import TextBackend, TextRequest
from ..generation.text import TextBackendError
from ..screenplay import ElementType, ScreenplayError, analyze, parse_fountain
from ..screenplay.model import character_name
from ..screenplay.scenes import extract_scenes, parse_heading
from ..scripts import IngestReport, ingest, script_id_for
from ..store import Migration, ProjectScope
from . import develop_prompts as prompts
from .develop_prompts import BEAT_NAMES, SAVE_THE_CAT, beat_pages, extract_json, strip_fences
from .options import DEVELOP_MODES, DevelopOptions

STEPS: tuple[str, ...] = ("beats", "outline", "scenes", "dialogue")
MODES: tuple[str, ...] = DEVELOP_MODES

#: New tokens per request, per step (structured mode answers whole JSON documents or scenes).
DEFAULT_TOKENS: dict[str, int] = {"beats": 1500, "outline": 2000, "scenes": 1200, "dialogue": 800}
#: New tokens per text slot in template mode.
TEMPLATE_TOKENS: dict[str, int] = {"beat": 30, "summary": 30, "action": 40, "line": 18}

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "development",
        1,
        "development runs (logline to script) and their versioned step outputs",
        """
        CREATE TABLE development_run (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            run_id VARCHAR NOT NULL, title VARCHAR NOT NULL, logline VARCHAR NOT NULL,
            premise JSON NOT NULL, backend VARCHAR NOT NULL, model VARCHAR NOT NULL,
            mode VARCHAR NOT NULL, script_id VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL,
            PRIMARY KEY (tenant_id, project_id, run_id)
        );
        CREATE TABLE development_step (
            tenant_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
            run_id VARCHAR NOT NULL, step VARCHAR NOT NULL, version INTEGER NOT NULL,
            payload JSON NOT NULL, note VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL,
            PRIMARY KEY (tenant_id, project_id, run_id, step, version)
        );
        """,
        scoped=("development_run", "development_step"),
    ),
)


class DevelopError(Invalid):
    """A development run cannot go on: a bad premise, a missing earlier step, an unknown scene."""


# -- models ----------------------------------------------------------------------------------------

T = TypeVar("T")


def _from_dict(cls: type[T], data: Mapping[str, Any], what: str) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise DevelopError(f"{what} must be a JSON object, got {type(data).__name__}")
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    unknown = set(data) - known
    if unknown:
        raise DevelopError(f"{what} has unknown fields {sorted(unknown)}; fields are {sorted(known)}")
    return dict(data)


class _Json:
    """JSON round trip for the step models: ``to_json()`` / ``Cls.from_json(text)``."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Any:
        return cls.from_dict(json.loads(text))  # type: ignore[attr-defined]


@dataclass(frozen=True)
class CharacterSpec(_Json):
    name: str
    description: str = ""
    voice: str = ""  # how the character talks ("clipped, dry, railway slang")

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", character_name(self.name).strip())
        if not self.name:
            raise DevelopError("a character needs a name")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CharacterSpec:
        return cls(**_from_dict(cls, data, "character"))


_STOP = {"a", "an", "the", "when", "after", "before", "while", "as", "in", "on", "at", "and", "but", "or", "if",
         "his", "her", "their", "its", "with", "from", "to", "of", "for", "one", "two", "during", "until", "into",
         "near", "she", "he", "they", "must", "who", "that", "this", "is", "finds", "him", "them"}
_PLACE_WORDS = {"in", "on", "at", "aboard", "inside", "across", "through", "to", "into", "near"}
_TOKEN_RE = re.compile(r"[A-Za-z][A-Za-z'\-]*|[^\sA-Za-z]")


def _name_groups(logline: str) -> list[tuple[str, str, bool]]:
    """(group of capitalised words, the word before it, starts a sentence) in a logline."""
    tokens = _TOKEN_RE.findall(logline)
    groups: list[tuple[str, str, bool]] = []
    k = 0
    while k < len(tokens):
        w = tokens[k]
        if w[0].isalpha() and w[0].isupper() and w.lower() not in _STOP:
            j = k
            while j < len(tokens) and tokens[j][0].isalpha() and tokens[j][0].isupper() and \
                    tokens[j].lower() not in _STOP:
                j += 1
            before = tokens[k - 1] if k else ""
            start = k == 0 or before in {".", "!", "?", ";", ":"}
            groups.append((" ".join(tokens[k:j]), before.lower(), start and not w.isupper()))
            k = j
        else:
            k += 1
    return groups


def derive_characters(logline: str) -> tuple[CharacterSpec, ...]:
    """Names in a logline: runs of capitalised words that do not start a sentence, are no common
    word and do not follow a place word ("to Hollin" is a place). Falls back to one PROTAGONIST."""
    names: list[str] = []
    for group, before, sentence_start in _name_groups(logline):
        if sentence_start or before in _PLACE_WORDS:
            continue
        if group.upper() not in names:
            names.append(group.upper())
    return tuple(CharacterSpec(n) for n in names[:8]) or (CharacterSpec("PROTAGONIST"),)


def derive_locations(logline: str) -> tuple[str, ...]:
    """Places in a logline: the words after a place word ("on the last train" -> LAST TRAIN,
    "to Hollin" -> HOLLIN) up to a common word or punctuation; a default pair when none."""
    places: list[str] = []
    words = _TOKEN_RE.findall(logline)
    for k, w in enumerate(words[:-1]):
        if w.lower() not in _PLACE_WORDS:
            continue
        rest = words[k + 1:k + 5]
        if rest and rest[0].lower() in ("a", "an", "the"):
            rest = rest[1:]
        phrase = []
        for x in rest[:3]:
            if not x[0].isalpha() or x.lower() in _STOP or x.lower() in _PLACE_WORDS:
                break
            phrase.append(x)
        if phrase and " ".join(phrase).upper() not in places:
            places.append(" ".join(phrase).upper())
    return tuple(places[:6]) or ("HOME", "STREET")


@dataclass(frozen=True)
class Premise(_Json):
    """What the film is. ``locations`` are set names, optionally with INT./EXT. and a time
    (``"EXT. KESSEL BRIDGE - DAWN"``); plain names become interiors."""

    title: str
    logline: str
    genre: str = "drama"
    target_pages: int = DevelopOptions().target_pages
    characters: tuple[CharacterSpec, ...] = ()
    locations: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.title.strip():
            raise DevelopError("a premise needs a title")
        if not self.logline.strip():
            raise DevelopError("a premise needs a logline")
        if not isinstance(self.target_pages, int) or not 1 <= self.target_pages <= 180:
            raise DevelopError(f"target_pages must be a whole number of pages 1..180, got {self.target_pages!r}")
        names = [c.name for c in self.characters]
        if len(set(names)) != len(names):
            raise DevelopError(f"characters are named twice: {names}")

    @classmethod
    def make(cls, title: str, logline: str, *, genre: str = "drama",
             target_pages: int = DevelopOptions().target_pages,
             characters: Iterable[CharacterSpec | str | Mapping[str, Any]] | None = None,
             locations: Iterable[str] | None = None) -> Premise:
        """A premise; characters and locations come from the logline when not given."""
        chars = tuple(c if isinstance(c, CharacterSpec) else CharacterSpec(c) if isinstance(c, str)
                      else CharacterSpec.from_dict(c) for c in (characters or ()))
        return cls(title.strip(), " ".join(logline.split()), genre, target_pages,
                   chars or derive_characters(logline),
                   tuple(locations or ()) or derive_locations(logline))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Premise:
        d = _from_dict(cls, data, "premise")
        d["characters"] = tuple(CharacterSpec.from_dict(c) for c in d.get("characters", ()))
        d["locations"] = tuple(d.get("locations", ()))
        return cls(**d)

    @property
    def cast(self) -> set[str]:
        return {c.name for c in self.characters}


@dataclass(frozen=True)
class Beat(_Json):
    number: int
    name: str
    act: int
    page: int
    description: str


@dataclass(frozen=True)
class BeatSheet(_Json):
    beats: tuple[Beat, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BeatSheet:
        d = _from_dict(cls, data, "beat sheet")
        return cls(tuple(Beat(**_from_dict(Beat, b, "beat")) for b in d.get("beats", ())))

    def with_beat(self, number: int, **changes: Any) -> BeatSheet:
        """A copy with beat ``number`` edited (``description=...``)."""
        if number not in {b.number for b in self.beats}:
            raise DevelopError(f"no beat {number}; beats are 1..{len(self.beats)}")
        return BeatSheet(tuple(replace(b, **changes) if b.number == number else b for b in self.beats))


@dataclass(frozen=True)
class OutlineScene(_Json):
    number: int
    heading: str
    summary: str
    characters: tuple[str, ...]
    beat: str


@dataclass(frozen=True)
class Outline(_Json):
    scenes: tuple[OutlineScene, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Outline:
        d = _from_dict(cls, data, "outline")
        out = []
        for s in d.get("scenes", ()):
            sd = _from_dict(OutlineScene, s, "outline scene")
            sd["characters"] = tuple(sd.get("characters", ()))
            out.append(OutlineScene(**sd))
        return cls(tuple(out))

    def scene(self, number: int) -> OutlineScene:
        for s in self.scenes:
            if s.number == number:
                return s
        raise DevelopError(f"the outline has no scene {number}; scenes are {[s.number for s in self.scenes]}")

    def with_scene(self, number: int, **changes: Any) -> Outline:
        """A copy with scene ``number`` edited (``heading=...``, ``summary=...``)."""
        self.scene(number)
        if "characters" in changes:
            changes["characters"] = tuple(changes["characters"])
        return Outline(tuple(replace(s, **changes) if s.number == number else s for s in self.scenes))


@dataclass(frozen=True)
class WrittenScene(_Json):
    number: int
    heading: str
    fountain: str  # the scene's Fountain text, starting with its heading (no scene number)
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Failure(_Json):
    """One item that could not be made: which step, which scene (None: the whole step), why."""

    step: str
    scene: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.step}" + (f" scene {self.scene}" if self.scene is not None else "") + f": {self.message}"


@dataclass(frozen=True)
class Draft(_Json):
    """The ``scenes`` and ``dialogue`` steps' output: the scenes written, in outline order, and the
    scenes that failed (reported, never silently dropped)."""

    scenes: tuple[WrittenScene, ...]
    failures: tuple[Failure, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Draft:
        d = _from_dict(cls, data, "draft")
        scenes = []
        for s in d.get("scenes", ()):
            sd = _from_dict(WrittenScene, s, "written scene")
            sd["warnings"] = tuple(sd.get("warnings", ()))
            scenes.append(WrittenScene(**sd))
        return cls(tuple(scenes), tuple(Failure(**_from_dict(Failure, f, "failure")) for f in d.get("failures", ())))

    def scene(self, number: int) -> WrittenScene | None:
        return next((s for s in self.scenes if s.number == number), None)


STEP_MODELS: dict[str, type] = {"beats": BeatSheet, "outline": Outline, "scenes": Draft, "dialogue": Draft}


# -- validation (pure) -----------------------------------------------------------------------------

def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _items(payload: Any, key: str, what: str) -> list[Any]:
    if isinstance(payload, Mapping):
        if key not in payload or not isinstance(payload[key], list):
            raise Invalid(f"the JSON object has no {key!r} list (keys: {sorted(payload)})")
        return payload[key]
    if isinstance(payload, list | tuple):
        return list(payload)
    raise Invalid(f"{what} must be a JSON object or list")


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
        raise Invalid(f"{what} {value!r} is not a whole number")
    return int(value)


def validate_beats(payload: Any, premise: Premise) -> BeatSheet:
    """The model's beat sheet checked against the template: 15 beats in order, acts 1..3 that never
    go back, pages within the target length that never go back, a description each."""
    items = _items(payload, "beats", "the beat sheet")
    if len(items) != len(SAVE_THE_CAT):
        raise Invalid(f"expected {len(SAVE_THE_CAT)} beats, got {len(items)}")
    beats: list[Beat] = []
    for k, (item, name) in enumerate(zip(items, BEAT_NAMES, strict=True), start=1):
        if not isinstance(item, Mapping):
            raise Invalid(f"beat {k} is not an object")
        if _norm(str(item.get("name", ""))) != _norm(name):
            raise Invalid(f"beat {k} should be {name!r}, got {item.get('name')!r}")
        act = _int(item.get("act"), f"beat {k} act")
        page = _int(item.get("page"), f"beat {k} page")
        desc = item.get("description")
        if not isinstance(desc, str) or not desc.strip():
            raise Invalid(f"beat {k} ({name}) has no description")
        if not 1 <= act <= 3 or (beats and act < beats[-1].act):
            raise Invalid(f"beat {k} ({name}) act {act}: acts are 1..3 and never go back")
        if not 1 <= page <= premise.target_pages or (beats and page < beats[-1].page):
            raise Invalid(f"beat {k} ({name}) page {page}: pages run 1..{premise.target_pages} and never go back")
        beats.append(Beat(k, name, act, page, " ".join(desc.split())))
    return BeatSheet(tuple(beats))


def check_heading(heading: str) -> tuple[str, str, str]:
    ie, loc, tod = parse_heading(heading)
    if not heading.strip().upper().startswith(("INT", "EXT", "I/E", "EST")) or not ie or not loc:
        raise Invalid(f"heading {heading!r} is not INT./EXT. LOCATION - TIME")
    return ie, loc, tod


def validate_outline(payload: Any, beats: BeatSheet) -> Outline:
    """Numbered scenes 1..n with a valid heading, a summary, characters and a beat of the sheet."""
    items = _items(payload, "scenes", "the outline")
    if not 1 <= len(items) <= 200:
        raise Invalid(f"an outline needs 1..200 scenes, got {len(items)}")
    by_norm = {_norm(b.name): b.name for b in beats.beats}
    scenes: list[OutlineScene] = []
    for k, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            raise Invalid(f"scene {k} is not an object")
        if "number" in item and _int(item["number"], f"scene {k} number") != k:
            raise Invalid(f"scene numbers must run 1..{len(items)} in order; item {k} is {item['number']!r}")
        heading = " ".join(str(item.get("heading", "")).split()).upper()
        try:
            check_heading(heading)
        except ValueError as exc:
            raise Invalid(f"scene {k}: {exc}") from None
        summary = item.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            raise Invalid(f"scene {k} has no summary")
        chars = item.get("characters", [])
        if not isinstance(chars, list | tuple) or not all(isinstance(c, str) and c.strip() for c in chars):
            raise Invalid(f"scene {k} characters must be a list of names")
        beat = by_norm.get(_norm(str(item.get("beat", ""))))
        if beat is None:
            raise Invalid(f"scene {k} beat {item.get('beat')!r} is not a beat of the sheet")
        scenes.append(OutlineScene(k, heading, " ".join(summary.split()),
                                   tuple(dict.fromkeys(character_name(c) for c in chars)), beat))
    return Outline(tuple(scenes))


_HEADING_START = re.compile(r"^(INT|EXT|EST|INT\.?/EXT|I/E)[ .]", re.I)
_SCENE_NUMBER = re.compile(r"\s*#[^#\s]+#\s*$")


def validate_scene(answer: str, scene: OutlineScene, cast: Iterable[str]) -> WrittenScene:
    """One Fountain scene from a model's answer, or ValueError saying why not.

    Code fences are stripped; the text must not be JSON, must start with a scene heading whose
    INT/EXT matches the outline's, hold exactly one scene and at least one action or dialogue
    element. Speakers outside ``cast`` and the outline scene's characters become warnings."""
    text = strip_fences(answer or "")
    if not text:
        raise Invalid("the answer is empty")
    if text[0] in "{[":
        try:
            json.loads(text)
        except json.JSONDecodeError:
            pass  # not JSON after all: the heading check below says what is wrong
        else:
            raise Invalid("the answer is JSON, not a Fountain scene")
    lines = text.split("\n")
    first = lines[0].strip().lstrip(".")
    if not _HEADING_START.match(first):
        raise Invalid(f"does not start with a scene heading (INT./EXT. LOCATION - TIME); it starts {first[:60]!r}")
    lines[0] = _SCENE_NUMBER.sub("", lines[0]).rstrip()
    text = "\n".join(ln.rstrip() for ln in lines).strip() + "\n"
    try:
        sp = parse_fountain(text, source=f"scene {scene.number}")
    except ScreenplayError as exc:
        raise Invalid(f"is not valid Fountain: {exc}") from None
    if sp.title_page:
        raise Invalid("holds a title page; write the scene only")
    headings = [e for e in sp.elements if e.type == ElementType.SCENE_HEADING]
    printing = sp.printing_elements()
    if not headings or not printing or printing[0] is not headings[0]:
        raise Invalid("does not start with a scene heading")
    if len(headings) != 1:
        raise Invalid(f"holds {len(headings)} scene headings; write exactly one scene")
    if not any(e.type in (ElementType.ACTION, ElementType.DIALOGUE) for e in sp.elements):
        raise Invalid("has a heading but no action or dialogue")
    ie, loc, _ = parse_heading(headings[0].text)
    want_ie, want_loc, _ = parse_heading(scene.heading)
    if want_ie and ie != want_ie:
        raise Invalid(f"heading {headings[0].text!r} is {ie or 'neither INT nor EXT'}; the outline says "
                         f"{scene.heading!r}")
    warnings = []
    if want_loc and loc != want_loc:
        warnings.append(f"heading location {loc!r} differs from the outline's {want_loc!r}")
    known = set(cast) | set(scene.characters)
    speaking = extract_scenes(sp)[0].speaking
    strangers = [c for c in speaking if c not in known]
    if strangers:
        warnings.append(f"speaking characters not in the cast: {', '.join(strangers)}")
    return WrittenScene(scene.number, headings[0].text.strip(), text, tuple(warnings))


def dialogue_lines(written: WrittenScene) -> list[tuple[str, str, int]]:
    """(speaker, text, source line) of each dialogue element of a written scene."""
    sp = parse_fountain(written.fountain, source=f"scene {written.number}")
    out: list[tuple[str, str, int]] = []
    speaker = ""
    for e in sp.elements:
        if e.type == ElementType.CHARACTER:
            speaker = character_name(e.text)
        elif e.type == ElementType.DIALOGUE:
            out.append((speaker, e.text, e.line))
    return out


def apply_dialogue(written: WrittenScene, new_lines: Any, cast: Iterable[str]) -> WrittenScene:
    """The scene with each dialogue element replaced by the new line of the same index; the result
    is validated again (same number of dialogue lines, still one valid scene)."""
    old = dialogue_lines(written)
    if not isinstance(new_lines, list) or not all(isinstance(x, str) for x in new_lines):
        raise Invalid("lines must be a list of strings")
    if len(new_lines) != len(old):
        raise Invalid(f"expected {len(old)} lines back, got {len(new_lines)}")
    cleaned = []
    for k, line in enumerate(new_lines, start=1):
        one = " ".join(line.split())
        if not one:
            raise Invalid(f"line {k} is empty")
        speaker = old[k - 1][0]
        if one.upper().startswith(speaker + ":"):  # the model repeated the speaker's name
            one = one[len(speaker) + 1:].strip()
        cleaned.append(one)
    src = written.fountain.split("\n")
    for (_, text, line), new in sorted(zip(old, cleaned, strict=True), key=lambda p: -p[0][2]):
        start = line - 1
        src[start:start + text.count("\n") + 1] = [new]
    outline_scene = OutlineScene(written.number, written.heading, "", (), "")
    result = validate_scene("\n".join(src), outline_scene, cast)
    if len(dialogue_lines(result)) != len(old):
        raise Invalid("the new lines change the scene's structure (a line reads as a heading or a cue)")
    return replace(result, warnings=written.warnings)


# -- text jobs ---------------------------------------------------------------------------------------

@runtime_checkable
class TextJobs(Protocol):
    """Where the pipeline's text comes from: a backend in-process or the Ray runner. One call per
    step with all of the step's requests, answers in the same order."""

    def complete(self, requests: Sequence[TextRequest]) -> list[str]:
        ...


class BackendTextJobs:
    """:class:`TextJobs` over any :class:`TextBackend`, called in this process."""

    def __init__(self, backend: TextBackend) -> None:
        self.backend = backend
        self.model_id = getattr(backend, "model_id", "")
        self.calls = 0

    @classmethod
    def from_profile(cls, profile: Any) -> BackendTextJobs:
        """The text backend a :class:`~studio_kit.generation.profile.ModelProfile` names."""
        from ..generation.profile import load_backend

        return cls(load_backend(profile.spec("text")))

    @property
    def backend_name(self) -> str:
        spec = getattr(self.backend, "spec", None)
        return getattr(spec, "backend", type(self.backend).__name__)

    def complete(self, requests: Sequence[TextRequest]) -> list[str]:
        self.calls += 1
        return list(self.backend.complete(list(requests)))


def mode_for(jobs: Any) -> str:
    """``template`` for writers that cannot follow instructions (the n-gram), else ``structured``.
    A jobs object may say so itself with a boolean ``follows_instructions``."""
    flag = getattr(jobs, "follows_instructions", None)
    if isinstance(flag, bool):
        return "structured" if flag else "template"
    from ..generation.hf_text import NGramTextBackend

    backend = getattr(jobs, "backend", jobs)
    spec = getattr(backend, "spec", None)
    if isinstance(backend, NGramTextBackend) or getattr(spec, "backend", "") == "ngram":
        return "template"
    return "structured"


#: HTTP statuses that no retry or other item can fix: the whole run stops with the client's error.
FATAL_STATUSES = frozenset({400, 401, 403, 404})


@dataclass
class _Item:
    key: int | None  # scene number, or None for a whole-step item
    requests: list[TextRequest]
    parse: Callable[[list[str]], Any]


def _complete(jobs: TextJobs, requests: list[TextRequest]) -> list[str | TextBackendError]:
    """All answers in one call; when that call fails, one call per request so one stalled or
    refused request costs only its own item. Configuration errors (401, 404 ...) stop the run.
    Jobs that answer per request (the runner's ``outcomes``) need no second pass."""
    per_request = getattr(jobs, "outcomes", None)
    if callable(per_request):
        got = list(per_request(requests))
        if len(got) != len(requests):
            raise DevelopError(f"the text jobs answered {len(got)} times to {len(requests)} requests")
        return [a if isinstance(a, str | TextBackendError) else TextBackendError(str(a)) for a in got]
    try:
        answers = jobs.complete(requests)
    except TextBackendError as exc:
        if exc.status in FATAL_STATUSES or len(requests) == 1:
            if exc.status in FATAL_STATUSES:
                raise
            return [exc]
        out: list[str | TextBackendError] = []
        for r in requests:
            try:
                out.append(jobs.complete([r])[0])
            except TextBackendError as one:
                if one.status in FATAL_STATUSES:
                    raise
                out.append(one)
        return out
    if len(answers) != len(requests):
        raise DevelopError(f"the text jobs answered {len(answers)} times to {len(requests)} requests")
    return list(answers)


def _run_items(jobs: TextJobs, step: str, items: list[_Item], mode: str, max_attempts: int
               ) -> tuple[dict[int | None, Any], list[Failure]]:
    """Every item's requests in one batch; invalid answers are asked again with the fault fed back
    (template mode: with another seed) until ``max_attempts``; then the item fails."""
    results: dict[int | None, Any] = {}
    failures: dict[int | None, Failure] = {}
    pending = {it.key: it for it in items}
    for attempt in range(1, max_attempts + 1):
        if not pending:
            break
        batch = list(pending.values())
        flat = [r for it in batch for r in it.requests]
        answers = _complete(jobs, flat)
        pos = 0
        for it in batch:
            got = answers[pos:pos + len(it.requests)]
            pos += len(it.requests)
            errors = [a for a in got if isinstance(a, TextBackendError)]
            if errors:  # the client already retried what a retry can fix
                failures[it.key] = Failure(step, it.key, f"no answer from the model: {errors[0]}")
                del pending[it.key]
                continue
            texts = [str(a) for a in got]
            try:
                results[it.key] = it.parse(texts)
            except (ValueError, ScreenplayError) as exc:
                if attempt == max_attempts:
                    tries = f"{attempt} attempt{'s' if attempt > 1 else ''}"
                    failures[it.key] = Failure(step, it.key, f"{exc} (rejected after {tries})")
                    del pending[it.key]
                elif mode == "structured":
                    pending[it.key] = _Item(it.key, [replace(r, prompt=prompts.retry_prompt(r.prompt, t, str(exc)))
                                                     for r, t in zip(it.requests, texts, strict=True)], it.parse)
                else:
                    pending[it.key] = _Item(it.key, [replace(r, seed=r.seed + 1000) for r in it.requests], it.parse)
            else:
                del pending[it.key]
    return results, list(failures.values())


# -- the steps ---------------------------------------------------------------------------------------

def scene_count(target_pages: int) -> int:
    """Template mode's scene count: about two pages a scene, at least three."""
    return max(3, min(60, round(target_pages / 2)))


def _location_heading(location: str, k: int) -> str:
    loc = " ".join(location.split()).upper()
    if not _HEADING_START.match(loc):
        loc = "INT. " + loc
    ie, place, tod = parse_heading(loc)
    prefix = loc.split(" ", 1)[0]
    return f"{prefix} {place} - {tod or ('DAY', 'NIGHT')[k % 2]}"


def _slot(text: str) -> str:
    one = " ".join(text.split()).lstrip(" .,;:!?").rstrip(" ,;:")
    one = one[:1].upper() + one[1:] + ("" if one.endswith((".", "!", "?")) else ".")
    if one == ".":
        raise Invalid("the writer returned an empty text slot")
    return one


@dataclass
class _Ctx:
    premise: Premise
    jobs: TextJobs
    mode: str
    max_attempts: int
    voices: dict[str, str]
    tokens: dict[str, int]
    seed: int

    def req(self, prompt: str, step: str, seed: int = 0, *, slot: str | None = None) -> TextRequest:
        n = TEMPLATE_TOKENS[slot] if slot else self.tokens[step]
        system = "" if slot else prompts.SYSTEM
        return TextRequest(prompt, system=system, max_new_tokens=n, seed=self.seed + seed)


def _make_beats(c: _Ctx) -> tuple[BeatSheet | None, list[Failure]]:
    p = c.premise
    if c.mode == "structured":
        item = _Item(None, [c.req(prompts.beats_prompt(p), "beats")],
                     lambda t: validate_beats(extract_json(t[0]), p))
        got, fails = _run_items(c.jobs, "beats", [item], c.mode, c.max_attempts)
        return got.get(None), fails
    pages = beat_pages(p.target_pages)

    def build(texts: list[str]) -> BeatSheet:
        payload = [{"number": k + 1, "name": name, "act": act, "page": page,
                    "description": f"{hint[:1].upper()}{hint[1:]}: {_slot(t)}"}
                   for k, ((name, act, _, hint), page, t) in enumerate(zip(SAVE_THE_CAT, pages, texts, strict=True))]
        return validate_beats(payload, p)

    reqs = [c.req(f"{p.logline} {hint}", "beats", k, slot="beat") for k, (_, _, _, hint) in enumerate(SAVE_THE_CAT)]
    got, fails = _run_items(c.jobs, "beats", [_Item(None, reqs, build)], c.mode, c.max_attempts)
    return got.get(None), fails


def _make_outline(c: _Ctx, beats: BeatSheet) -> tuple[Outline | None, list[Failure]]:
    p = c.premise
    if c.mode == "structured":
        n = scene_count(p.target_pages)
        item = _Item(None, [c.req(prompts.outline_prompt(p, beats, n), "outline")],
                     lambda t: validate_outline(extract_json(t[0]), beats))
        got, fails = _run_items(c.jobs, "outline", [item], c.mode, c.max_attempts)
        return got.get(None), fails
    n = scene_count(p.target_pages)
    names = [ch.name for ch in p.characters]
    plan = []
    for k in range(n):
        page = 1 + k * p.target_pages / n
        beat = [b for b in beats.beats if b.page <= page][-1]
        heading = _location_heading(p.locations[k % len(p.locations)], k)
        cast = [names[0]] + ([names[1 + k % (len(names) - 1)]] if len(names) > 1 else [])
        plan.append({"number": k + 1, "heading": heading, "characters": cast, "beat": beat.name,
                     "lead": beat.description.split(":", 1)[0]})

    def build(texts: list[str]) -> Outline:
        payload = [{k: v for k, v in s.items() if k != "lead"} | {"summary": f"{s['lead']}. {_slot(t)}"}
                   for s, t in zip(plan, texts, strict=True)]
        return validate_outline(payload, beats)

    reqs = [c.req(f"{' and '.join(s['characters']).title()} {s['lead'].lower()}", "outline", k, slot="summary")
            for k, s in enumerate(plan)]
    got, fails = _run_items(c.jobs, "outline", [_Item(None, reqs, build)], c.mode, c.max_attempts)
    return got.get(None), fails


def _template_scene(scene: OutlineScene, texts: list[str]) -> str:
    action, lines = _slot(texts[0]), texts[1:]
    speakers = list(scene.characters) or ["PROTAGONIST"]
    parts = [scene.heading, action]
    for k, line in enumerate(lines):
        parts.append(f"{speakers[k % len(speakers)]}\n{_slot(line)}")
    return "\n\n".join(parts) + "\n"


def _make_scenes(c: _Ctx, outline: Outline, targets: list[OutlineScene]
                 ) -> tuple[dict[int, WrittenScene], list[Failure]]:
    cast = c.premise.cast
    items = []
    for s in targets:
        def parse(texts: list[str], s: OutlineScene = s) -> WrittenScene:
            answer = texts[0] if c.mode == "structured" else _template_scene(s, texts)
            return validate_scene(answer, s, cast)

        if c.mode == "structured":
            reqs = [c.req(prompts.scene_prompt(c.premise, outline, s, c.voices), "scenes", s.number)]
        else:
            speakers = list(s.characters) or ["PROTAGONIST"]
            reqs = [c.req(s.summary, "scenes", 100 * s.number, slot="action")]
            reqs += [c.req(f"{c.voices.get(speakers[k % len(speakers)], '')} {s.summary}".strip(), "scenes",
                           100 * s.number + k + 1, slot="line") for k in range(2 * len(speakers))]
        items.append(_Item(s.number, reqs, parse))
    got, fails = _run_items(c.jobs, "scenes", items, c.mode, c.max_attempts)
    return {k: v for k, v in got.items() if k is not None}, fails


def _make_dialogue(c: _Ctx, targets: list[WrittenScene]) -> tuple[dict[int, WrittenScene], list[Failure]]:
    cast = c.premise.cast
    items = []
    for w in targets:
        lines = dialogue_lines(w)
        if not lines:
            continue  # nothing to polish: the scene stays as written
        if c.mode == "structured":
            def parse(texts: list[str], w: WrittenScene = w) -> WrittenScene:
                return apply_dialogue(w, _items(extract_json(texts[0]), "lines", "the dialogue pass"), cast)

            reqs = [c.req(prompts.dialogue_prompt(w.heading, [(n, t) for n, t, _ in lines], c.voices), "dialogue",
                          w.number)]
        else:
            def parse(texts: list[str], w: WrittenScene = w) -> WrittenScene:
                return apply_dialogue(w, [_slot(t) for t in texts], cast)

            reqs = [c.req(f"{c.voices.get(n, '')} {t}".strip(), "dialogue", 100 * w.number + k, slot="line")
                    for k, (n, t, _) in enumerate(lines)]
        items.append(_Item(w.number, reqs, parse))
    got, fails = _run_items(c.jobs, "dialogue", items, c.mode, c.max_attempts)
    return {k: v for k, v in got.items() if k is not None}, fails


# -- assembling the script -------------------------------------------------------------------------

def assemble_script(premise: Premise, draft: Draft, *, author: str = "") -> str:
    """One Fountain script: a title page, then each written scene with its outline number."""
    title_page = [f"Title: {premise.title}", "Credit: Written by", f"Author: {author or 'studio_kit development'}",
                  f"Notes: {' '.join(premise.logline.split())}"]
    bodies = []
    for s in draft.scenes:
        lines = s.fountain.strip().split("\n")
        lines[0] = f"{_SCENE_NUMBER.sub('', lines[0]).rstrip()} #{s.number}#"
        bodies.append("\n".join(lines))
    return "\n".join(title_page) + "\n\n" + "\n\n".join(bodies) + "\n"


# -- the store ---------------------------------------------------------------------------------------

def new_run(scope: ProjectScope, premise: Premise, *, backend: str = "", model: str = "", mode: str = "",
            script_id: str | None = None) -> str:
    """Record a development run of a premise; returns its id. ``mode`` "" is chosen per run call."""
    if mode and mode not in MODES:
        raise DevelopError(f"mode {mode!r} is not one of {', '.join(MODES)}")
    run_id = uuid.uuid4().hex[:10]
    sid = script_id or f"{script_id_for(premise.title, 'draft')[:48]}-dev-{run_id[:6]}"
    scope.insert("development_run", [{
        "run_id": run_id, "title": premise.title, "logline": premise.logline, "premise": premise.to_json(),
        "backend": backend, "model": model, "mode": mode, "script_id": sid, "created_at": utc_now()}])
    return run_id


def run_info(scope: ProjectScope, run_id: str) -> dict[str, Any]:
    rows = scope.sql("SELECT * EXCLUDE (tenant_id, project_id) FROM {development_run} WHERE run_id = $r",
                     {"r": run_id}).to_dicts()
    if not rows:
        raise NotFound(f"no development run {run_id!r} in this project")
    return rows[0]


def load_premise(scope: ProjectScope, run_id: str) -> Premise:
    return Premise.from_json(run_info(scope, run_id)["premise"])


def runs(scope: ProjectScope) -> pl.DataFrame:
    return scope.sql("SELECT run_id, title, logline, backend, model, mode, script_id, created_at "
                     "FROM {development_run} ORDER BY created_at, run_id")


def step_history(scope: ProjectScope, run_id: str) -> pl.DataFrame:
    """Every stored version of every step of a run (payloads as JSON text)."""
    return scope.sql("SELECT step, version, note, created_at, payload FROM {development_step} WHERE run_id = $r "
                     "ORDER BY created_at, step, version", {"r": run_id})


def _check_step(step: str) -> None:
    if step not in STEPS:
        raise DevelopError(f"step {step!r} is not one of {', '.join(STEPS)}")


def load_step(scope: ProjectScope, run_id: str, step: str, version: int | None = None) -> Any:
    """A step's stored output (the latest version by default) as its model, or None."""
    _check_step(step)
    q = "SELECT payload FROM {development_step} WHERE run_id = $r AND step = $s"
    params: dict[str, Any] = {"r": run_id, "s": step}
    if version is not None:
        q += " AND version = $v"
        params["v"] = version
    row = scope.one(q + " ORDER BY version DESC LIMIT 1", params)
    return STEP_MODELS[step].from_json(row[0]) if row else None


def save_step(scope: ProjectScope, run_id: str, step: str, value: Any, *, note: str = "edited") -> int:
    """Store ``value`` as the step's next version (a notebook edit, or a step the pipeline made);
    validated as the pipeline validates that step. Returns the version."""
    _check_step(step)
    premise = load_premise(scope, run_id)
    if not isinstance(value, STEP_MODELS[step]):
        raise DevelopError(f"step {step!r} stores a {STEP_MODELS[step].__name__}, got {type(value).__name__}")
    try:
        if step == "beats":
            validate_beats(value.to_dict()["beats"], premise)
        elif step == "outline":
            beats = load_step(scope, run_id, "beats")
            if beats is None:
                raise DevelopError(f"run {run_id} has no beats to check the outline against")
            validate_outline(value.to_dict()["scenes"], beats)
    except ValueError as exc:
        if isinstance(exc, DevelopError):
            raise
        raise DevelopError(f"the edited {step} is not valid: {exc}") from None
    with scope.transaction():
        row = scope.one("SELECT max(version) FROM {development_step} WHERE run_id = $r AND step = $s",
                        {"r": run_id, "s": step})
        version = (row[0] or 0) + 1 if row else 1
        scope.insert("development_step", [{"run_id": run_id, "step": step, "version": version,
                                           "payload": value.to_json(), "note": note, "created_at": utc_now()}])
    return version


# -- running -------------------------------------------------------------------------------------------

@dataclass
class DevelopResult:
    run_id: str
    mode: str
    #: step -> the version this call stored
    stored: dict[str, int] = field(default_factory=dict)
    #: step -> the script version stored after it ("scenes", "dialogue")
    scripts: dict[str, IngestReport] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: the first step that stored nothing, when the run stopped early
    stopped_at: str | None = None

    @property
    def ok(self) -> bool:
        return not self.failures and self.stopped_at is None

    def messages(self) -> list[str]:
        return [str(f) for f in self.failures]


def length_warnings(analysis: Any, premise: Premise, *, tolerance: float = 0.5) -> list[str]:
    """A written script far from its target length (more than ``tolerance`` off, by page eighths):
    a producer plans from the page count, so say it rather than let it pass."""
    eighths = sum(s.eighths for s in analysis.scenes)
    target = premise.target_pages * 8
    if target and abs(eighths - target) > tolerance * target:
        pages = eighths / 8
        return [f"the script runs {pages:.1f} pages against a target of {premise.target_pages} "
                f"({'long' if eighths > target else 'short'} by {abs(pages - premise.target_pages):.1f}); "
                "edit the outline (fewer or more scenes) or the scenes and re-run"]
    return []


def voices_from_bibles(bibles: Mapping[str, Any]) -> dict[str, str]:
    """Voice notes per character from character bibles (``{name: Bible}``): the voice, then the
    description, so a dialogue pass knows who speaks how."""
    out = {}
    for name, bible in bibles.items():
        parts = [getattr(bible, "voice", ""), getattr(bible, "description", ""), getattr(bible, "age", "")]
        note = "; ".join(p for p in parts if p)
        if note:
            out[character_name(name)] = note
    return out


def run(scope: ProjectScope, run_id: str, jobs: TextJobs, *, mode: str | None = None, start_at: str = "beats",
        stop_after: str = "dialogue", scenes: Sequence[int] | None = None,
        max_attempts: int = DevelopOptions().max_attempts, voices: Mapping[str, str] | None = None,
        tokens: Mapping[str, int] | None = None, seed: int = DevelopOptions().seed, author: str = "") -> DevelopResult:
    """Run (or re-run) a development run from ``start_at`` to ``stop_after``.

    Earlier steps are the latest stored versions (edited ones included). ``scenes`` re-runs only
    those outline scenes (steps ``scenes``/``dialogue``), keeping the others of the latest draft.
    ``voices`` (e.g. :func:`voices_from_bibles`) override the premise's voice notes."""
    _check_step(start_at)
    _check_step(stop_after)
    if STEPS.index(stop_after) < STEPS.index(start_at):
        raise DevelopError(f"stop_after {stop_after!r} comes before start_at {start_at!r}")
    if scenes is not None and start_at not in ("scenes", "dialogue"):
        raise DevelopError("scenes=[...] re-runs scenes; start_at must be 'scenes' or 'dialogue'")
    if max_attempts < 1:
        raise DevelopError(f"max_attempts must be 1 or more, got {max_attempts}")
    info = run_info(scope, run_id)
    premise = Premise.from_json(info["premise"])
    chosen = mode or info["mode"] or mode_for(jobs)
    if chosen not in MODES:
        raise DevelopError(f"mode {chosen!r} is not one of {', '.join(MODES)}")
    all_voices = {c.name: "; ".join(x for x in (c.voice, c.description) if x) for c in premise.characters}
    all_voices.update({character_name(k): v for k, v in (voices or {}).items()})
    ctx = _Ctx(premise, jobs, chosen, max_attempts, all_voices, {**DEFAULT_TOKENS, **(tokens or {})}, seed)
    result = DevelopResult(run_id, chosen)
    todo = STEPS[STEPS.index(start_at):STEPS.index(stop_after) + 1]

    def earlier(step: str) -> Any:
        value = load_step(scope, run_id, step)
        if value is None:
            raise DevelopError(f"run {run_id} has no stored {step}; run from start_at={step!r} first")
        return value

    beats = earlier("beats") if "beats" not in todo else None
    outline = earlier("outline") if STEPS.index(start_at) > 1 else None
    draft = earlier("scenes") if start_at == "dialogue" else None
    note = f"{chosen} ({getattr(jobs, 'model_id', '') or type(jobs).__name__})"

    def store(step: str, value: Any, script: Draft | None = None) -> None:
        with scope.transaction():
            result.stored[step] = save_step(scope, run_id, step, value, note=note)
            if script is not None:
                text = assemble_script(premise, script, author=author)
                analysis = analyze(parse_fountain(text, source=f"{run_id}-{step}.fountain"))
                result.scripts[step] = ingest(scope, analysis, text, source_name=f"{run_id}-{step}.fountain",
                                              script_id=info["script_id"])
                result.warnings += length_warnings(analysis, premise)

    for step in todo:
        if step == "beats":
            beats, fails = _make_beats(ctx)
            result.failures += fails
            if beats is None:
                result.stopped_at = step
                return result
            store(step, beats)
        elif step == "outline":
            assert beats is not None
            outline, fails = _make_outline(ctx, beats)
            result.failures += fails
            if outline is None:
                result.stopped_at = step
                return result
            store(step, outline)
        elif step == "scenes":
            assert outline is not None
            targets = [outline.scene(n) for n in scenes] if scenes is not None else list(outline.scenes)
            base = (load_step(scope, run_id, "scenes") or Draft(())) if scenes is not None else Draft(())
            written, fails = _make_scenes(ctx, outline, targets)
            result.failures += fails
            if not written:
                result.stopped_at = step
                return result
            draft = _merge(outline, base, written, fails, {s.number for s in targets})
            result.warnings += [f"scene {s.number}: {w}" for s in written.values() for w in s.warnings]
            store(step, draft, draft)
        else:
            assert outline is not None and draft is not None
            wanted = set(scenes) if scenes is not None else {s.number for s in draft.scenes}
            targets = [s for s in draft.scenes if s.number in wanted]
            missing = wanted - {s.number for s in draft.scenes}
            if scenes is not None and missing:
                raise DevelopError(f"scenes {sorted(missing)} are not written yet; re-run them with "
                                   "start_at='scenes' first")
            base = load_step(scope, run_id, "dialogue") if scenes is not None else None
            base = _overlay(draft, base, skip={s.number for s in targets}) if base is not None else draft
            polished, fails = _make_dialogue(ctx, targets)
            result.failures += fails
            if not polished and fails:
                result.stopped_at = step
                return result
            merged = _merge(outline, base, polished, fails, {s.number for s in targets},
                            keep_failed=True)
            store(step, merged, merged)
    return result


def _overlay(draft: Draft, dialogue: Draft, *, skip: set[int] = frozenset()) -> Draft:
    """The latest dialogue pass over the current draft: polished scenes where there are, written
    ones elsewhere; the draft's failures. ``skip``: scenes being polished again now keep the
    draft's text (their old polish belongs to an older draft of the scene)."""
    by = {s.number: s for s in draft.scenes} | {s.number: s for s in dialogue.scenes
                                               if draft.scene(s.number) is not None and s.number not in skip}
    return Draft(tuple(by[n] for n in sorted(by)), draft.failures)


def _merge(outline: Outline, base: Draft, new: Mapping[int, WrittenScene], fails: list[Failure],
           targeted: set[int], *, keep_failed: bool = False) -> Draft:
    """``base`` with the new scenes in, in outline order; failures of the targeted scenes replaced
    by this call's. ``keep_failed``: a scene whose pass failed keeps its base text (dialogue)."""
    order = [s.number for s in outline.scenes]
    by = {s.number: s for s in base.scenes if s.number in order}
    for n in targeted:
        if n in new:
            by[n] = new[n]
        elif not keep_failed:
            by.pop(n, None)
    failures = [f for f in base.failures if f.scene not in targeted and f.scene in order] + list(fails)
    failures.sort(key=lambda f: (f.step, f.scene or 0))
    return Draft(tuple(by[n] for n in order if n in by), tuple(failures))


__all__ = [
    "DEFAULT_TOKENS", "MIGRATIONS", "MODES", "STEPS", "BackendTextJobs", "Beat", "BeatSheet", "CharacterSpec",
    "DevelopError", "DevelopResult", "Draft", "Failure", "Outline", "OutlineScene", "Premise", "TextJobs",
    "WrittenScene", "apply_dialogue", "assemble_script", "derive_characters", "derive_locations", "dialogue_lines",
    "load_premise", "load_step", "mode_for", "new_run", "run", "run_info", "runs", "save_step", "scene_count",
    "step_history", "validate_beats", "validate_outline", "validate_scene", "voices_from_bibles",
]
