"""Script breakdown: every element a first AD tags, scene by scene, as plain data.

The tagger is a pure function of the analysed script (plus an optional lexicon, embedder and
language model), so a breakdown can be recomputed for every script version; people's
corrections are separate :class:`Edit` records keyed on stable scene ids and element names,
replayed over each new automatic breakdown by :func:`apply_edits`.

How elements are found, in order of trust (an earlier finding claims its text span):
1. cast from character cues, then from names seen in action (introductions in CAPS with an age,
   and later mentions of any known character); a CONTINUOUS scene that cuts back to a set
   carries over the people left on it (source "continuity");
2. background from crowd words, with the head count the text gives ("a dozen passengers");
3. animals, including named ones ("BRUNO, an old German shepherd");
4. the curated lexicon (data/breakdown/lexicon.csv) on action text, plural tolerant, longest
   phrase first; ALL-CAPS sound cues;
5. sentence embeddings for CAPS words and noun phrases the lexicon lacks (optional);
6. a language model through :class:`TagModel` (optional), every quote checked against the text.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from ..common.errors import Invalid
from ..screenplay.model import ElementType, split_cue, strip_notes
from .categories import (
    ANIMALS,
    BACKGROUND,
    CAST,
    CATEGORIES,
    CUSTOM_BASE,
    SOUND,
    CategoryError,
    category,
    category_name,
)

if TYPE_CHECKING:
    import polars as pl

    from ..screenplay.analysis import ScriptAnalysis

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "breakdown"
LEXICON_PATH = DATA_DIR / "lexicon.csv"
PROTOTYPES_PATH = DATA_DIR / "prototypes.csv"

#: The nearest category must beat the next one by this much: "a rack" is near everything and nothing.
EMBED_MARGIN = 0.05
SOURCES = ("cue", "action-name", "continuity", "crowd", "lexicon", "embedding", "llm", "manual")


class BreakdownError(Invalid):
    """Bad breakdown input: a malformed lexicon or gold file, an impossible edit."""


# ---------------------------------------------------------------------------------------------
# The data
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Span:
    """Where a tag was read: element index in ``screenplay.elements``, character range in that
    element's text, and the exact text quoted. Manual tags have ``element == -1``."""

    element: int
    start: int
    end: int
    text: str


@dataclass(slots=True)
class Tag:
    scene_uid: str
    scene_number: str
    category_id: int
    #: Canonical element name, upper case ("REVOLVER", "MARA", "PASSENGERS").
    name: str
    span: Span | None = None
    confidence: float = 1.0
    source: str = "cue"
    #: Head count for background ("a dozen passengers" -> 12); None when the text gives none.
    count: int | None = None

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.scene_uid, self.category_id, self.name)

    @property
    def quote(self) -> str:
        return self.span.text if self.span else ""


@dataclass(slots=True)
class SceneInfo:
    """The strip fields a breakdown sheet heads with (UCI scene fields 0-6 live here)."""

    uid: str
    number: str
    index: int
    heading: str = ""
    int_ext: str = ""
    location: str = ""
    day_night: str = ""
    time_of_day: str = ""
    eighths: int = 0
    page_start: int = 0
    synopsis: str = ""


@dataclass(slots=True)
class ElementSummary:
    category_id: int
    name: str
    scene_uids: list[str]
    scene_numbers: list[str]
    max_count: int | None = None


@dataclass
class Breakdown:
    scenes: list[SceneInfo]
    tags: list[Tag]
    title: str = ""
    #: Messages about what was left out: LLM quotes not found in the text, edits whose scene or
    #: element no longer exists in this version.
    notes: list[str] = field(default_factory=list)
    #: Edits that could not be applied to this breakdown, with the reason.
    unapplied: list[tuple[Edit, str]] = field(default_factory=list)
    #: Whether these tags are the version's stored ones (False: computed for a read, not stored yet).
    stored: bool = True

    def scene(self, uid: str) -> SceneInfo:
        for s in self.scenes:
            if s.uid == uid:
                return s
        raise KeyError(uid)

    def by_scene(self) -> dict[str, list[Tag]]:
        """Tags grouped by scene uid, in script order, each list ordered by category then name."""
        out: dict[str, list[Tag]] = {s.uid: [] for s in self.scenes}
        for t in self.tags:
            out.setdefault(t.scene_uid, []).append(t)
        for tags in out.values():
            tags.sort(key=lambda t: (t.category_id, t.name))
        return out

    def for_scene_number(self, number: str) -> list[Tag]:
        return [t for t in self.tags if t.scene_number == number]

    def names(self, number: str, category_id: int) -> set[str]:
        """Element names of one category in one scene (by printed scene number)."""
        return {t.name for t in self.tags if t.scene_number == number and t.category_id == category_id}

    def elements(self) -> list[ElementSummary]:
        """Unique (category, name) with the scenes they appear in, in script order."""
        order = {s.uid: k for k, s in enumerate(self.scenes)}
        acc: dict[tuple[int, str], ElementSummary] = {}
        for t in sorted(self.tags, key=lambda t: order.get(t.scene_uid, len(order))):
            e = acc.setdefault((t.category_id, t.name), ElementSummary(t.category_id, t.name, [], []))
            if t.scene_uid not in e.scene_uids:
                e.scene_uids.append(t.scene_uid)
                e.scene_numbers.append(t.scene_number)
            if t.count is not None:
                e.max_count = max(e.max_count or 0, t.count)
        return sorted(acc.values(), key=lambda e: (e.category_id, e.name))

    def to_frame(self) -> pl.DataFrame:
        import polars as pl

        order = {s.uid: k for k, s in enumerate(self.scenes)}
        rows = sorted(self.tags, key=lambda t: (order.get(t.scene_uid, len(order)), t.category_id, t.name))
        return pl.DataFrame(
            {
                "scene_number": [t.scene_number for t in rows],
                "scene_uid": [t.scene_uid for t in rows],
                "category_id": [t.category_id for t in rows],
                "category": [_cat_name(t.category_id) for t in rows],
                "name": [t.name for t in rows],
                "count": [t.count for t in rows],
                "quote": [t.quote for t in rows],
                "element": [t.span.element if t.span else None for t in rows],
                "char_start": [t.span.start if t.span else None for t in rows],
                "char_end": [t.span.end if t.span else None for t in rows],
                "confidence": [float(t.confidence) for t in rows],
                "source": [t.source for t in rows],
            },
            schema_overrides={"count": pl.Int64, "element": pl.Int64, "char_start": pl.Int64, "char_end": pl.Int64},
        )


def _cat_name(cid: int) -> str:
    try:
        return category_name(cid)
    except CategoryError:
        return f"Custom {cid}"


# ---------------------------------------------------------------------------------------------
# The lexicon
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LexiconEntry:
    term: str
    category_id: int
    name: str
    #: "" any occurrence; "caps": only written in CAPS (sound cues); "noun": not where it reads
    #: as a verb ("keys the radio", "Mara watches").
    match: str = ""


_LEXICON_COLUMNS = ("term", "category_id")


def read_csv_checked(path: str | Path, required: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV with (line number, row); a missing column or a short row names file and line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise BreakdownError(f"{p}: cannot read: {exc.strerror or exc}") from None
    reader = csv.reader(text.splitlines())
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise BreakdownError(f"{p}:1: empty file; expected a header with columns {', '.join(required)}") from None
    missing = [c for c in required if c not in header]
    if missing:
        raise BreakdownError(f"{p}:1: missing column(s) {', '.join(missing)}; the header must name {', '.join(required)}")
    out = []
    for lineno, row in enumerate(reader, start=2):
        if not row or all(not c.strip() for c in row) or row[0].lstrip().startswith("#"):
            continue
        if len(row) < len(header) and any(header.index(c) >= len(row) for c in required):
            raise BreakdownError(f"{p}:{lineno}: row has {len(row)} field(s), expected {len(header)} ({', '.join(header)})")
        rec = {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header)}
        for c in required:
            if not rec[c]:
                raise BreakdownError(f"{p}:{lineno}: empty {c!r}")
        out.append((lineno, rec))
    return out


def _parse_category(value: str, where: str) -> int:
    try:
        cid = int(value)
    except ValueError:
        raise BreakdownError(f"{where}: category_id {value!r} is not a number") from None
    if cid not in CATEGORIES and cid < CUSTOM_BASE:
        raise BreakdownError(f"{where}: unknown category_id {cid}; use 100-124 or a custom id from {CUSTOM_BASE}")
    return cid


class Lexicon:
    """Terms to categories, compiled to one plural-tolerant, longest-first regular expression."""

    def __init__(self, entries: Iterable[LexiconEntry]) -> None:
        self.entries = list(entries)
        self._forms: dict[str, list[LexiconEntry]] = {}
        for e in self.entries:
            for form in _forms(e.term):
                bucket = self._forms.setdefault(form, [])
                if e not in bucket:
                    bucket.append(e)
        alts = sorted(self._forms, key=len, reverse=True)
        self.pattern = re.compile(r"(?<![\w'\-])(" + "|".join(map(re.escape, alts)) + r")(?![\w\-])", re.I) if alts else None

    @classmethod
    def load(cls, path: str | Path | None = None) -> Lexicon:
        p = Path(path) if path else LEXICON_PATH
        entries = []
        for lineno, rec in read_csv_checked(p, _LEXICON_COLUMNS):
            where = f"{p}:{lineno}"
            cid = _parse_category(rec["category_id"], where)
            match = rec.get("match", "").lower()
            if match not in ("", "caps", "noun"):
                raise BreakdownError(f"{where}: match must be empty, 'caps' or 'noun', not {match!r}")
            term = rec["term"].lower()
            entries.append(LexiconEntry(term, cid, (rec.get("name") or "").upper() or term.upper(), match))
        return cls(entries)

    def lookup(self, text: str) -> list[LexiconEntry]:
        """Entries for a matched form; within a category the entry spelled exactly so wins
        ("barks" -> BARKING, not also BARK)."""
        t = text.lower()
        entries = self._forms.get(t, [])
        exact = {e.category_id for e in entries if e.term == t}
        return [e for e in entries if e.term == t or e.category_id not in exact]

    def by_category(self, category_id: int) -> list[LexiconEntry]:
        return [e for e in self.entries if e.category_id == category_id]


def _forms(term: str) -> set[str]:
    """The term and its plural (or singular) spellings: rivet/rivets, glass/glasses, pastry/pastries."""
    forms = {term}
    head, _, last = term.rpartition(" ")
    pre = head + " " if head else ""
    if last.endswith("y") and len(last) > 2 and last[-2] not in "aeiou":
        forms.add(pre + last[:-1] + "ies")
    elif last.endswith(("s", "x", "ch", "sh")):
        forms.add(pre + last + "es")
    else:
        forms.add(pre + last + "s")
    if last.endswith("s") and not last.endswith("ss") and len(last) > 3:
        forms.add(pre + _singular(last))
    return forms


_PLURAL_ONLY = {"clothes", "glasses", "lens", "trousers", "jeans", "pyjamas", "pajamas", "scissors", "binoculars",
                "news", "series", "species", "overalls", "handcuffs", "cuffs", "headphones", "tongs", "pliers"}


_IRREGULAR = {"knives": "knife", "wives": "wife", "lives": "life", "leaves": "leaf", "loaves": "loaf",
              "men": "man", "women": "woman", "feet": "foot", "teeth": "tooth", "mice": "mouse", "geese": "goose"}


def _singular(word: str) -> str:
    """A conservative singular for canonical names and matching (not a full lemmatiser)."""
    w = word
    head, _, last = w.rpartition(" ")
    pre = head + " " if head else ""
    lw = last.lower()
    if lw in _PLURAL_ONLY:
        return w
    if lw in _IRREGULAR or lw.endswith(("lves", "rves", "smen", "emen")):
        one = _IRREGULAR.get(lw) or (lw[:-3] + "f" if lw.endswith("ves") else lw[:-3] + "man")
        return pre + (one.upper() if last.isupper() else one)
    if lw.endswith("ies") and len(lw) > 4:
        return pre + last[:-3] + ("Y" if last.isupper() else "y")
    if lw.endswith(("sses", "shes", "ches", "xes")):
        return pre + last[:-2]
    if lw.endswith("s") and not lw.endswith(("ss", "us", "is")) and len(lw) > 3:
        return pre + last[:-1]
    return w


def normalise_name(name: str) -> str:
    """The comparison key of an element name: upper case, no leading article, singular last word,
    straight apostrophes, single spaces ("The Rivets" == "RIVET")."""
    n = re.sub(r"\s+", " ", name.replace("\u2019", "'").replace("*", "").replace("_", " ")).strip().upper()
    n = re.sub(r"^(THE|A|AN)\s+", "", n)
    return _singular(n).upper() if n else n


# ---------------------------------------------------------------------------------------------
# Language-model hook
# ---------------------------------------------------------------------------------------------
@runtime_checkable
class TagModel(Protocol):
    """Any callable that reads one scene's text and proposes (category id, name, quoted text)."""

    def __call__(self, scene_text: str) -> Iterable[tuple[int, str, str]]: ...


# ---------------------------------------------------------------------------------------------
# The tagger
# ---------------------------------------------------------------------------------------------
_DETERMINERS = {"a", "an", "the", "his", "her", "their", "its", "my", "your", "our", "this", "that", "these",
                "those", "some", "one", "two", "three", "four", "five", "six", "every", "no", "any", "of", "with",
                "each", "another", "old", "new", "small", "big", "heavy", "little", "whose"}
_SUBJECTS = {"he", "she", "it", "they", "i", "we", "you", "who", "to", "will", "can", "must", "and", "then", "'ll"}
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
            "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
            "fifty": 50, "hundred": 100, "a hundred": 100, "a dozen": 12, "dozen": 12, "half a dozen": 6,
            "a couple of": 2, "a pair of": 2, "a few": 3, "several": 4, "a single": 1, "a": 1, "an": 1}
_COUNT_RE = re.compile(
    r"\b(?:(\d+)|(half a dozen|a dozen|a hundred|a couple of|a pair of|a few|a single|"
    + "|".join(k for k in _NUMBERS if " " not in k) + r"))\s+(?:[\w\-']+\s+){0,2}$", re.I)
_OF_COUNT_RE = re.compile(r"^\s+of\s+(\d+|" + "|".join(k for k in _NUMBERS if " " not in k) + r")\b", re.I)
_GENERIC_BACKGROUND = {"CROWD", "PEOPLE", "EVERYONE", "ONLOOKER"}
_CAPS_RUN_RE = re.compile(r"(?<![\w'])[A-Z][A-Z'\-]+(?:[ ][A-Z][A-Z'\-]+)*(?![\w'])")
_CAPS_STOP = {"INSERT", "BACK", "TO", "SCENE", "CONT'D", "V.O.", "O.S.", "OK", "TV", "ID", "CCTV", "SUV", "POV",
              "YES", "NO", "THE", "A", "AN", "AND", "OF", "CUT", "FADE", "INT", "EXT", "MORE"}
_NP_RE = re.compile(r"\b(?:a|an|the|his|her|their|its)\s+((?:[a-z][a-z\-]+\s+)?[a-z][a-z\-]{2,})\b")
_NP_STOP = {"way", "moment", "time", "end", "side", "middle", "rest", "same", "other", "first", "last", "top",
            "bottom", "edge", "back", "front", "air", "light", "dark", "one", "man", "woman", "people", "floor",
            "wall", "room", "door", "window", "table", "line", "world", "night", "day", "morning", "thing",
            "word", "name", "voice", "head", "hand", "hands", "face", "eyes", "arm", "arms", "feet", "foot",
            "knees", "fingers", "shoulder", "mouth", "nose", "ear", "ears", "breath", "weight", "body", "hair",
            "chair", "seat", "stairs", "steps", "ground", "distance", "sound", "silence", "dog", "train", "bridge",
            "river", "water", "rain", "road", "street", "track", "tracks", "rails", "rail", "sky", "city",
            "railway", "forest", "yard", "station", "platform", "corridor", "office", "kitchen", "house", "flat",
            "fist", "forehead", "knuckles", "wrist", "skin", "lap", "heel", "jaw", "teeth", "lips", "cheek", "chest",
            "bell", "rhythm", "note", "story", "truth", "job", "shift", "fault", "signal", "span", "girder", "pier"}
_FUNCTION_WORDS = {"beside", "behind", "under", "over", "into", "onto", "from", "with", "across", "along", "through",
                   "toward", "towards", "before", "after", "around", "against", "between", "down", "up", "out",
                   "off", "back", "away", "again", "still", "now", "then", "shut", "open", "closed", "once", "twice",
                   "and", "or", "but", "for", "as", "to", "of", "in", "on", "at", "by", "is", "are", "was", "change",
                   "changes"}
_ANIMAL_INTRO_RE = re.compile(r"\b([A-Z][A-Z'\-]{1,})\b,?\s+(?:an?|the|his|her)\s+((?:[\w\-]+\s+){0,4}[\w\-]+)")


@dataclass
class _Finding:
    category_id: int
    name: str
    span: Span
    confidence: float
    source: str
    count: int | None = None


@dataclass
class _SceneText:
    """One scene's action paragraphs with the parts that are text on screen masked out."""

    scene_index: int
    action: list[tuple[int, str]]  # (element index, text)
    cues: list[tuple[int, str]]
    all_text: str


def tag_script(analysis: ScriptAnalysis, *, lexicon: Lexicon | None = None, embedder: Any = None,
               llm: TagModel | None = None, scene_uids: Sequence[str] | None = None,
               embed_threshold: float = 0.6, phrase_threshold: float = 0.7,
               prototypes: dict[int, list[str]] | None = None,
               custom_categories: dict[int, str] | None = None) -> Breakdown:
    """Tag every scene of an analysed script. Offline unless ``llm`` calls out.

    ``scene_uids`` are the stable scene ids the store gave this version (in scene order); without
    them a scene is known by its index. ``embedder`` is anything with ``encode(list[str]) ->
    ndarray`` of unit vectors (e.g. :class:`studio_kit.generation.embeddings.SentenceEmbedder`);
    CAPS words need ``embed_threshold`` similarity and plain noun phrases ``phrase_threshold``.
    ``custom_categories`` (id from 500 -> name) are the project's own categories a model may use.
    """
    sp = analysis.screenplay
    scenes = analysis.scenes
    if scene_uids is not None and len(scene_uids) != len(scenes):
        raise BreakdownError(f"{len(scene_uids)} scene uids given for {len(scenes)} scenes")
    uids = [str(u) for u in scene_uids] if scene_uids is not None else [str(s.index) for s in scenes]
    lex = lexicon or Lexicon.load()
    infos = [SceneInfo(uid=uids[k], number=s.number, index=s.index, heading=s.heading, int_ext=s.int_ext,
                       location=s.location, day_night=s.day_night, time_of_day=s.time_of_day, eighths=s.eighths,
                       page_start=s.page_start, synopsis=s.synopsis) for k, s in enumerate(scenes)]
    texts = [_scene_text(sp.elements, s) for s in scenes]
    cast_names = _known_cast(sp.elements, scenes)
    cast_re = _names_regex(cast_names)
    animals = _named_animals(texts, lex, set(cast_names))
    animal_re = _names_regex(list(animals))
    per_scene: list[list[_Finding]] = []
    for k in range(len(scenes)):
        claimed: dict[int, list[tuple[int, int]]] = {}
        found = _cast_findings(texts[k], cast_re, claimed)
        found += _animal_findings(texts[k], animal_re, animals, claimed)
        found += _lexicon_findings(texts[k], lex, animals, claimed, cast_names)
        per_scene.append(found)
    _carry_continuity(scenes, sp.elements, per_scene)
    notes: list[str] = []
    if embedder is not None:
        _embedding_findings(texts, per_scene, embedder, set(cast_names) | set(animals),
                            prototypes or load_prototypes(), embed_threshold, phrase_threshold, lex)
    if llm is not None:
        for k, s in enumerate(scenes):
            per_scene[k] += _llm_findings(sp.elements, s, llm, notes, custom_categories or {})
    tags: list[Tag] = []
    for k, found in enumerate(per_scene):
        best: dict[tuple[int, str], Tag] = {}
        for f in found:
            key = (f.category_id, f.name)
            t = best.get(key)
            if t is None:
                best[key] = Tag(uids[k], scenes[k].number, f.category_id, f.name, f.span, round(f.confidence, 3),
                                f.source, f.count)
            else:
                if f.count is not None:
                    t.count = max(t.count or 0, f.count)
                if f.confidence > t.confidence:
                    t.confidence, t.span, t.source = round(f.confidence, 3), f.span, f.source
        for c, n in list(best):
            # "a paper bag ... the bag": the short name is the long one said again
            if c not in (CAST, BACKGROUND, ANIMALS) and any(o.endswith(" " + n) for cc, o in best if cc == c):
                best.pop((c, n))
        crowd = [n for c, n in best if c == BACKGROUND]
        for n in crowd:
            # "the crowd" beside named groups, "the BAND" after "a BRASS BAND": one group, not two
            wider = [o for o in crowd if o != n and o.endswith(" " + n)]
            if wider or (n in _GENERIC_BACKGROUND and any(o not in _GENERIC_BACKGROUND for o in crowd)):
                t = best.pop((BACKGROUND, n))
                if wider and t.count is not None:
                    best[(BACKGROUND, wider[0])].count = max(best[(BACKGROUND, wider[0])].count or 0, t.count)
        tags.extend(best.values())
    return Breakdown(infos, tags, title=sp.title, notes=notes)


def _scene_text(elements: list, scene: Any) -> _SceneText:
    """Action and cue paragraphs of a scene; INSERT ... BACK TO SCENE blocks are text on screen."""
    action: list[tuple[int, str]] = []
    cues: list[tuple[int, str]] = []
    in_insert = False
    parts = []
    for i in range(scene.first, scene.last + 1):
        e = elements[i]
        if e.type is ElementType.ACTION:
            raw = e.text
            up = raw.strip().upper()
            if up.startswith("INSERT"):
                in_insert = True
                continue
            if up.startswith("BACK TO SCENE"):
                in_insert = False
                continue
            text = _mask_notes(raw)
            parts.append(text)
            action.append((i, "" if in_insert else text))
        elif e.type is ElementType.CHARACTER:
            cues.append((i, e.text))
            parts.append(e.text)
        elif e.type in (ElementType.DIALOGUE, ElementType.PARENTHETICAL, ElementType.LYRICS,
                        ElementType.SCENE_HEADING, ElementType.TRANSITION, ElementType.CENTERED):
            parts.append(e.text)
    return _SceneText(scene.index, action, cues, "\n".join(parts))


def _mask_notes(text: str) -> str:
    """Blank out notes/boneyard but keep offsets, so spans index the element's own text."""
    stripped = strip_notes(text)
    if stripped == text:
        return text
    out = list(text)
    for m in re.finditer(r"\[\[.*?\]\]|/\*.*?\*/", text, re.S):
        for j in range(m.start(), m.end()):
            out[j] = " "
    return "".join(out)


def _known_cast(elements: list, scenes: Sequence[Any]) -> list[str]:
    """Everyone with a cue, plus people introduced in action with an age (silent bits)."""
    names: list[str] = []
    for e in elements:
        if e.type is ElementType.CHARACTER:
            n = _cue_name(e.text)
            if n and n not in names:
                names.append(n)
    for s in scenes:
        for n in s.non_speaking:
            if n not in names:
                names.append(n)
    return names


def _cue_name(text: str) -> str:
    name, _ = split_cue(strip_notes(text).replace("^", "").strip())
    return name.upper().strip()


def _names_regex(names: Sequence[str]) -> tuple[re.Pattern[str] | None, dict[str, str]]:
    variants: dict[str, str] = {}
    for n in names:
        if len(n) < 2 or n in {"ALL", "BOTH", "EVERYONE", "VOICE"}:
            continue
        variants[n] = n
        variants.setdefault(n.title(), n)
    if not variants:
        return None, {}
    alt = "|".join(map(re.escape, sorted(variants, key=len, reverse=True)))
    return re.compile(r"(?<![\w'])(" + alt + r")(?![\w])"), variants


def _overlaps(claimed: dict[int, list[tuple[int, int]]], el: int, a: int, b: int) -> bool:
    return any(a < y and x < b for x, y in claimed.get(el, ()))


def _claim(claimed: dict[int, list[tuple[int, int]]], el: int, a: int, b: int) -> None:
    claimed.setdefault(el, []).append((a, b))


def _is_screen_text(text: str, a: int, b: int) -> bool:
    """CAPS words that are part of a sign, label or caption ("MARA VOSS - HOLLIN SIGNAL BOX")."""
    run_start, run_end = a, b
    for m in _CAPS_RUN_RE.finditer(text):
        if m.start() <= a and m.end() >= b:
            run_start, run_end = m.start(), m.end()
            break
    before = text[max(0, run_start - 6):run_start]
    after = text[run_end:run_end + 4]
    if ":" in before[-3:] or re.match(r"\s*[-\u2013\u2014]\s+[A-Z0-9]", after) or re.search(r"[A-Z0-9]\s+[-\u2013]\s+$", before):
        return True
    if re.match(r"\s*[?/]", after) or len(text[run_start:run_end].split()) >= 4:
        return True
    return False


def _cast_findings(st: _SceneText, cast_re: tuple[re.Pattern[str] | None, dict[str, str]],
                   claimed: dict[int, list[tuple[int, int]]]) -> list[_Finding]:
    found: list[_Finding] = []
    for i, text in st.cues:
        name = _cue_name(text)
        if not name:
            continue
        start = text.upper().find(name)
        start = max(start, 0)
        found.append(_Finding(CAST, name, Span(i, start, start + len(name), text[start:start + len(name)]), 1.0, "cue"))
    pattern, variants = cast_re
    if pattern is None:
        return found
    have = {f.name for f in found}
    for i, text in st.action:
        for m in pattern.finditer(text):
            name = variants[m.group(1)]
            a, b = m.start(1), m.end(1)
            _claim(claimed, i, a, b)
            if name in have or _is_screen_text(text, a, b):
                continue
            if text[b:b + 2] in ("'s", "\u2019s"):
                continue  # "Viktor's capitals": a possession, not a presence
            found.append(_Finding(CAST, name, Span(i, a, b, m.group(1)), 0.9 if m.group(1).isupper() else 0.85,
                                  "action-name"))
            have.add(name)
    return found


def _named_animals(texts: list[_SceneText], lex: Lexicon, cast: set[str]) -> dict[str, str]:
    """Animals introduced by name in CAPS: ``BRUNO, an old German shepherd`` -> {"BRUNO": "DOG"}."""
    out: dict[str, str] = {}
    for st in texts:
        for _, text in st.action:
            for m in _ANIMAL_INTRO_RE.finditer(text):
                name = m.group(1)
                if name in cast or name in _CAPS_STOP:
                    continue
                words = m.group(2).lower().split()
                for n in (3, 2, 1):
                    for j in range(len(words) - n + 1):
                        entries = [e for e in lex.lookup(" ".join(words[j:j + n])) if e.category_id == ANIMALS]
                        if entries:
                            out.setdefault(name, entries[0].name)
                            break
                    if name in out:
                        break
    return out


def _animal_findings(st: _SceneText, animal_re: tuple[re.Pattern[str] | None, dict[str, str]],
                     animals: dict[str, str], claimed: dict[int, list[tuple[int, int]]]) -> list[_Finding]:
    pattern, variants = animal_re
    found: list[_Finding] = []
    if pattern is None:
        return found
    for i, text in st.action:
        for m in pattern.finditer(text):
            a, b = m.start(1), m.end(1)
            if _overlaps(claimed, i, a, b):
                continue
            _claim(claimed, i, a, b)
            found.append(_Finding(ANIMALS, variants[m.group(1)], Span(i, a, b, m.group(1)), 0.9, "action-name"))
    return found


def _reads_as_verb(text: str, a: int, b: int, matched: str, cast_names: set[str]) -> bool:
    before = re.findall(r"[\w'\-]+", text[max(0, a - 40):a])
    after = re.findall(r"[\w'\-]+", text[b:b + 20])
    prev = [w.lower() for w in before[-2:]]
    if not prev or not any(w in _DETERMINERS or w.endswith("'s") for w in prev):
        return True
    if before and (before[-1].lower() in _SUBJECTS or before[-1].upper() in cast_names):
        return True
    inflected = matched.lower().endswith("s") and not matched.lower().endswith("ss")
    if inflected and before and not (prev[-1] in _DETERMINERS or prev[-1].endswith("'s")):
        return True  # "each wagon passes", "the phone rings"
    return bool(matched.lower().endswith("s") and after and after[0].lower() in {"the", "a", "an", "him", "her", "them"})


def _names_someone(text: str, a: int, b: int, cast_words: set[str]) -> bool:
    for m in _CAPS_RUN_RE.finditer(text):
        if m.start() <= a and m.end() >= b:
            others = set(text[m.start():a].split()) | set(text[b:m.end()].split())
            return bool(others & cast_words)
    return False


def _inflected_verb(text: str, b: int, matched: str, term: str) -> bool:
    """"brushes the sugar", "files the story": a verb form of a noun term, followed by its object."""
    if matched.lower() == term or not matched.lower().endswith("s") or matched.isupper():
        return False
    nxt = re.match(r"\s+([\w']+)", text[b:b + 20])
    return bool(nxt and nxt.group(1).lower() in {"the", "a", "an", "his", "her", "him", "them", "its", "their", "it"})


def _background_name(text: str, a: int, b: int, entry: LexiconEntry) -> tuple[str, int, int]:
    """Widen a CAPS crowd word to its CAPS modifiers ("LUNCH CUSTOMERS") and name it in plural."""
    matched = text[a:b]
    if matched.isupper():
        for m in _CAPS_RUN_RE.finditer(text):
            if m.start() <= a and m.end() >= b:
                words = text[m.start():b].split()
                while words and words[0].lower() in _NUMBERS or (words and words[0] in {"HALF", "A", "DOZEN"}):
                    words = words[1:]
                if words:
                    name = " ".join(words).upper()
                    return name, b - len(" ".join(words)), b
    return (entry.name if entry.name != _singular(entry.term).upper() else matched.upper()), a, b


def _count_for(text: str, a: int, b: int, collective: bool = False) -> int | None:
    """Head count written around a crowd word: "TWENTY PASSENGERS", "a BAND of six", "A PARAMEDIC"."""
    m = _OF_COUNT_RE.match(text[b:b + 20])
    if m:
        w = m.group(1).lower()
        return int(w) if w.isdigit() else _NUMBERS.get(w)
    before = text[max(0, a - 40):a]
    m = _COUNT_RE.search(before)
    if m and not (collective and m.group(2) and m.group(2).lower() in ("a", "an")):
        if m.group(1):
            return int(m.group(1))
        word = m.group(2).lower()
        between = before[m.end(2):].strip().split()
        if word in ("a", "an") and (between or text[a:b].lower().endswith("s")):
            return None if text[a:b].lower().endswith("s") else 1
        return _NUMBERS.get(word)
    return None


def _lexicon_findings(st: _SceneText, lex: Lexicon, animals: dict[str, str],
                      claimed: dict[int, list[tuple[int, int]]], cast: Sequence[str]) -> list[_Finding]:
    if lex.pattern is None:
        return []
    cast_names = set(cast)
    cast_words = {w for n in cast for w in n.split()}
    kinds: dict[str, list[str]] = {}
    for n, kind in animals.items():
        kinds.setdefault(kind, []).append(n)
    found: list[_Finding] = []
    for i, text in st.action:
        for m in lex.pattern.finditer(text):
            a, b = m.start(1), m.end(1)
            if _overlaps(claimed, i, a, b):
                continue
            matched = m.group(1)
            if matched.isupper() and _is_screen_text(text, a, b):
                continue
            for entry in lex.lookup(matched):
                if entry.match == "caps" and not matched.isupper():
                    continue
                if entry.match == "noun" and not matched.isupper() and _reads_as_verb(text, a, b, matched, cast_names):
                    continue
                if " " not in entry.term and _inflected_verb(text, b, matched, entry.term):
                    continue
                if entry.category_id == BACKGROUND:
                    collective = entry.name == entry.term.upper()
                    if not (matched.isupper() or collective or matched.lower() != entry.term):
                        continue  # "the guard": a reference to someone, not a crowd
                    if matched.isupper() and _names_someone(text, a, b, cast_words):
                        continue  # "DETECTIVE TOMAS REIN (30s)": a title of a cast member
                    name, a2, b2 = _background_name(text, a, b, entry)
                    count = _count_for(text, a2, b2, collective)
                    found.append(_Finding(BACKGROUND, name, Span(i, a2, b2, text[a2:b2]), 0.85, "crowd", count))
                    _claim(claimed, i, a2, b2)
                    continue
                name = entry.name
                if entry.category_id == ANIMALS and len(kinds.get(name, ())) == 1:
                    name = kinds[name][0]  # "the dog" in a script with one named dog is that dog
                conf = 0.9 if " " in entry.term or entry.match else 0.8
                if entry.category_id == SOUND and matched.isupper():
                    conf = 0.9
                found.append(_Finding(entry.category_id, name, Span(i, a, b, matched), conf, "lexicon"))
                _claim(claimed, i, a, b)
    return found


def _set_key(location: str) -> str:
    return re.sub(r"\s*-\s*(MOVING|PARKED|STATIONARY)\b", "", location.upper()).strip(" -")


def _carry_continuity(scenes: Sequence[Any], elements: list, per_scene: list[list[_Finding]]) -> None:
    """A CONTINUOUS scene that cuts back to a set we left keeps the people still on it.

    Cutting between sets of one place (EXT. to INT. COTTAGE) is movement, not an intercut: the
    people who moved are named there, so nothing is carried."""
    for k, s in enumerate(scenes):
        if k == 0 or (s.time_of_day or "").upper() not in ("CONTINUOUS", "SAME", "SAME TIME"):
            continue
        here = _set_key(s.location)
        if not here or _set_key(scenes[k - 1].location) == here:
            continue
        prev = next((j for j in range(k - 1, -1, -1) if _set_key(scenes[j].location) == here), None)
        if prev is None:
            continue
        present = {f.name for f in per_scene[k] if f.category_id == CAST}
        head = elements[s.first]
        for f in per_scene[prev]:
            if f.category_id != CAST or f.name in present:
                continue
            if f.source == "cue":
                _, ext = split_cue(elements[f.span.element].text)
                if any(x.upper().replace(" ", "") in ("V.O.", "O.S.", "O.C.", "VO", "OS") for x in ext):
                    continue
            present.add(f.name)
            per_scene[k].append(_Finding(CAST, f.name, Span(s.first, 0, len(head.text), head.text),
                                         min(f.confidence, 0.6), "continuity"))


def load_prototypes(path: str | Path | None = None) -> dict[int, list[str]]:
    p = Path(path) if path else PROTOTYPES_PATH
    out: dict[int, list[str]] = {}
    for lineno, rec in read_csv_checked(p, ("category_id", "phrase")):
        out.setdefault(_parse_category(rec["category_id"], f"{p}:{lineno}"), []).append(rec["phrase"])
    return out


def _embedding_findings(texts: list[_SceneText], per_scene: list[list[_Finding]], embedder: Any,
                        names: set[str], prototypes: dict[int, list[str]], caps_threshold: float,
                        phrase_threshold: float, lex: Lexicon) -> None:
    """Nearest prototype set for CAPS words and noun phrases nothing else claimed."""
    import numpy as np

    cands: list[tuple[int, Span, str, bool]] = []  # scene, span, phrase, caps
    for k, st in enumerate(texts):
        spans = [(f.span.element, f.span.start, f.span.end) for f in per_scene[k]]
        seen_here = {f.name for f in per_scene[k]}

        for i, text in st.action:
            for m in _CAPS_RUN_RE.finditer(text):
                word = m.group(0)
                if word in names or word in _CAPS_STOP or len(word) < 3 or _is_screen_text(text, m.start(), m.end()):
                    continue
                if _free(spans, i, m.start(), m.end()) and word not in seen_here:
                    cands.append((k, Span(i, m.start(), m.end(), word), word.lower(), True))
            for m in _NP_RE.finditer(text):
                phrase = m.group(1)
                words = phrase.split()
                if len(words) == 2 and words[1] in _FUNCTION_WORDS:
                    phrase = words[0]
                last = phrase.split()[-1]
                if last in _NP_STOP or last.endswith(("ly", "ing", "ed")) or lex.lookup(phrase) or lex.lookup(last):
                    continue
                if _free(spans, i, m.start(1), m.start(1) + len(phrase)):
                    cands.append((k, Span(i, m.start(1), m.start(1) + len(phrase), phrase), phrase, False))
    if not cands:
        return
    cats = sorted(prototypes)
    proto_text = [p for c in cats for p in prototypes[c]]
    owner = np.array([c for c in cats for _ in prototypes[c]])
    pv = embedder.encode(proto_text)
    uniq = sorted({c[2] for c in cands})
    # prototypes read "a revolver"; a bare noun embeds further from its kind than the phrase does
    cv = embedder.encode([p if p.startswith(("a ", "an ")) else f"a {p}" for p in uniq])
    sims = cv @ pv.T
    best: dict[str, tuple[int, float, float]] = {}
    for r, phrase in enumerate(uniq):
        ranked = sorted(((float(np.max(sims[r, owner == c])), c) for c in cats), reverse=True)
        runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
        best[phrase] = (ranked[0][1], ranked[0][0], ranked[0][0] - runner_up)
    for k, span, phrase, caps in cands:
        cid, sim, margin = best[phrase]
        if sim < (caps_threshold if caps else phrase_threshold) or margin < EMBED_MARGIN or cid in (CAST, BACKGROUND):
            continue
        name = _singular(phrase).upper()
        per_scene[k].append(_Finding(cid, name, span, sim, "embedding"))


def _free(spans: list[tuple[int, int, int]], i: int, a: int, b: int) -> bool:
    return not any(e == i and a < y and x < b for e, x, y in spans)


def _llm_findings(elements: list, scene: Any, llm: TagModel, notes: list[str],
                  custom: dict[int, str]) -> list[_Finding]:
    """Ask the model about one scene; keep only proposals whose quote is in the scene's text."""
    idx = [i for i in range(scene.first, scene.last + 1)]
    scene_text = "\n\n".join(elements[i].text for i in idx)
    found: list[_Finding] = []
    for item in llm(scene_text) or ():
        try:
            cid, name, quote = int(item[0]), str(item[1]).strip(), str(item[2])
        except (TypeError, ValueError, IndexError):
            notes.append(f"scene {scene.number}: model output {item!r} is not (category_id, name, quote); dropped")
            continue
        conf = float(item[3]) if len(item) > 3 else 0.75
        if not ((cid in CATEGORIES and not CATEGORIES[cid].scene_field) or (cid >= CUSTOM_BASE and cid in custom)):
            notes.append(f"scene {scene.number}: model proposed unknown category {cid} for {name!r}; dropped")
            continue
        span = _locate(elements, idx, quote)
        if span is None or not name or not quote.strip():
            notes.append(f"scene {scene.number}: model quote {quote!r} for {name!r} is not in the scene; dropped")
            continue
        found.append(_Finding(cid, normalise_display(name), span, max(0.0, min(conf, 1.0)), "llm"))
    return found


def normalise_display(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip().upper()


def _locate(elements: list, idx: Sequence[int], quote: str) -> Span | None:
    q = quote.strip()
    if not q:
        return None
    for exact in (True, False):
        for i in idx:
            text = elements[i].text
            pos = text.find(q) if exact else text.lower().find(q.lower())
            if pos >= 0:
                return Span(i, pos, pos + len(q), text[pos:pos + len(q)])
    return None


# ---------------------------------------------------------------------------------------------
# Corrections
# ---------------------------------------------------------------------------------------------
EditKind = Literal["add", "remove", "merge", "recategorise"]
EDIT_KINDS = ("add", "remove", "merge", "recategorise")


@dataclass(frozen=True)
class Edit:
    """One correction, as data. Keys on the stable scene uid and the element name, so it replays on
    every later script version; ``scene_uid=None`` means every scene (not allowed for ``add``)."""

    kind: str
    category_id: int
    name: str
    scene_uid: str | None = None
    #: merge: the name the element takes ("GUN" merged into "REVOLVER").
    target_name: str | None = None
    #: recategorise: the category it moves to.
    new_category: int | None = None
    #: add: head count (background) and the text quoted.
    count: int | None = None
    quote: str | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if self.kind not in EDIT_KINDS:
            raise BreakdownError(f"edit kind {self.kind!r} is not one of {', '.join(EDIT_KINDS)}")
        category(self.category_id)
        if not self.name or not self.name.strip():
            raise BreakdownError(f"{self.kind} edit needs an element name")
        if self.kind == "merge" and not (self.target_name and self.target_name.strip()):
            raise BreakdownError(f"merge edit of {self.name!r} needs target_name (the name to merge into)")
        if self.kind == "recategorise":
            if self.new_category is None:
                raise BreakdownError(f"recategorise edit of {self.name!r} needs new_category")
            category(self.new_category)
        if self.kind == "add" and not self.scene_uid:
            raise BreakdownError(f"add edit of {self.name!r} needs the scene_uid of the scene it belongs to")


def apply_edits(breakdown: Breakdown, edits: Iterable[Edit]) -> Breakdown:
    """Replay corrections in order over a breakdown; returns a new one, the input is untouched.

    An edit naming a scene this version lacks (cut in a revision), or an element no longer in
    its scene, is kept in ``unapplied`` with the reason instead of vanishing."""
    tags = [replace(t) for t in breakdown.tags]
    number_of = {s.uid: s.number for s in breakdown.scenes}
    unapplied: list[tuple[Edit, str]] = list(breakdown.unapplied)
    for ed in edits:
        name = normalise_display(ed.name)
        if ed.scene_uid is not None and ed.scene_uid not in number_of:
            unapplied.append((ed, f"scene {ed.scene_uid} is not in this script version"))
            continue

        def hit(t: Tag, ed: Edit = ed, n: str = name) -> bool:
            return t.category_id == ed.category_id and t.name == n and ed.scene_uid in (None, t.scene_uid)

        if ed.kind == "add":
            if any(hit(t) for t in tags):
                for t in tags:
                    if hit(t):
                        t.source, t.confidence = "manual", 1.0
                        t.count = ed.count if ed.count is not None else t.count
                continue
            span = Span(-1, -1, -1, ed.quote) if ed.quote else None
            tags.append(Tag(ed.scene_uid or "", number_of[ed.scene_uid or ""], ed.category_id, name, span, 1.0,
                            "manual", ed.count))
            continue
        matched = [t for t in tags if hit(t)]
        if not matched:
            where = f"scene {number_of[ed.scene_uid]}" if ed.scene_uid else "any scene"
            unapplied.append((ed, f"no {category_name(ed.category_id)} element {name!r} in {where}"))
            continue
        if ed.kind == "remove":
            tags = [t for t in tags if not hit(t)]
        elif ed.kind in ("merge", "recategorise"):
            new_name = normalise_display(ed.target_name) if ed.kind == "merge" and ed.target_name else name
            new_cat = ed.new_category if ed.kind == "recategorise" and ed.new_category is not None else ed.category_id
            keep: list[Tag] = []
            existing = {(t.scene_uid, t.category_id, t.name): t for t in tags if not hit(t)}
            for t in tags:
                if not hit(t):
                    keep.append(t)
                    continue
                other = existing.get((t.scene_uid, new_cat, new_name))
                if other is not None:  # already there: one element, keep the larger head count
                    if t.count is not None:
                        other.count = max(other.count or 0, t.count)
                    continue
                moved = replace(t, name=new_name, category_id=new_cat, source="manual" if t.source == "manual" else t.source)
                existing[(moved.scene_uid, new_cat, new_name)] = moved
                keep.append(moved)
            tags = keep
    return Breakdown(list(breakdown.scenes), tags, breakdown.title, list(breakdown.notes), unapplied)


# ---------------------------------------------------------------------------------------------
# Gold breakdowns and scoring (used by benchmarks/eval_breakdown.py and the tests)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GoldItem:
    scene_number: str
    category_id: int
    #: Accepted names, first is the preferred one ("RELIEF SIGNALMAN|MAN" lists two).
    names: tuple[str, ...]


def load_gold(path: str | Path) -> list[GoldItem]:
    p = Path(path)
    out = []
    for lineno, rec in read_csv_checked(p, ("scene_number", "category_id", "name")):
        cid = _parse_category(rec["category_id"], f"{p}:{lineno}")
        names = tuple(n.strip() for n in rec["name"].split("|") if n.strip())
        out.append(GoldItem(rec["scene_number"], cid, names))
    return out


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score(breakdown: Breakdown, gold: Sequence[GoldItem],
          categories: Iterable[int] | None = None) -> tuple[dict[int, Score], Score, list[str]]:
    """Per-category and overall scores on (scene number, category, normalised name).

    A gold item matches a predicted tag in the same scene and category whose normalised name
    equals any of the item's accepted names; each prediction matches at most one gold item.
    Returns also a list of misses and false alarms for reading."""
    cats = set(categories) if categories is not None else None
    pred: dict[tuple[str, int], set[str]] = {}
    for t in breakdown.tags:
        if cats is None or t.category_id in cats:
            pred.setdefault((t.scene_number, t.category_id), set()).add(normalise_name(t.name))
    per: dict[int, Score] = {}
    detail: list[str] = []
    used: dict[tuple[str, int], set[str]] = {}
    for g in gold:
        if cats is not None and g.category_id not in cats:
            continue
        s = per.setdefault(g.category_id, Score())
        key = (g.scene_number, g.category_id)
        avail = pred.get(key, set()) - used.get(key, set())
        hit = next((n for n in (normalise_name(x) for x in g.names) if n in avail), None)
        if hit:
            s.tp += 1
            used.setdefault(key, set()).add(hit)
        else:
            s.fn += 1
            detail.append(f"missed   {g.scene_number:>4} {g.category_id} {g.names[0]}")
    for key, names in pred.items():
        extra = names - used.get(key, set())
        s = per.setdefault(key[1], Score())
        s.fp += len(extra)
        detail.extend(f"extra    {key[0]:>4} {key[1]} {n}" for n in sorted(extra))
    total = Score(sum(s.tp for s in per.values()), sum(s.fp for s in per.values()), sum(s.fn for s in per.values()))
    return dict(sorted(per.items())), total, detail

