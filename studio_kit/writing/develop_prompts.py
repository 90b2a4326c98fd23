"""Prompts, the Save the Cat template and forgiving JSON extraction for the development pipeline.

Kept apart from :mod:`studio_kit.writing.develop` so the words a model sees can be read (and
changed) in one place. Everything here is pure: strings in, strings or data out.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..common.errors import Invalid

#: Save the Cat's 15 beats: (name, act, where it starts as a fraction of the running time, guidance).
SAVE_THE_CAT: tuple[tuple[str, int, float, str], ...] = (
    ("Opening Image", 1, 0.00, "a snapshot of the hero's world before the story"),
    ("Theme Stated", 1, 0.045, "someone states what the story is really about"),
    ("Set-Up", 1, 0.05, "the hero's life, wants and flaws"),
    ("Catalyst", 1, 0.11, "the event that upsets the hero's world"),
    ("Debate", 1, 0.11, "the hero hesitates: should I go?"),
    ("Break into Two", 2, 0.23, "the hero chooses and enters the new world"),
    ("B Story", 2, 0.27, "a relationship that carries the theme"),
    ("Fun and Games", 2, 0.27, "the promise of the premise"),
    ("Midpoint", 2, 0.50, "a false victory or false defeat raises the stakes"),
    ("Bad Guys Close In", 2, 0.50, "pressure from outside and doubt from inside"),
    ("All Is Lost", 2, 0.68, "the lowest point; something dies"),
    ("Dark Night of the Soul", 2, 0.68, "the hero mourns and finds the lesson"),
    ("Break into Three", 3, 0.77, "the solution, from A and B stories together"),
    ("Finale", 3, 0.77, "the hero applies the lesson and changes the world"),
    ("Final Image", 3, 0.99, "the opposite of the opening image: proof of change"),
)
BEAT_NAMES: tuple[str, ...] = tuple(b[0] for b in SAVE_THE_CAT)


def beat_pages(target_pages: int) -> list[int]:
    """The page each beat starts on for a script of ``target_pages`` (1-based, non-decreasing)."""
    pages: list[int] = []
    for _, _, frac, _ in SAVE_THE_CAT:
        p = max(1, min(target_pages, 1 + int(frac * target_pages)))
        pages.append(max(p, pages[-1]) if pages else p)
    return pages


# -- forgiving JSON --------------------------------------------------------------------------------

_FENCE_RE = re.compile(r"```[A-Za-z0-9_-]*\s*\n?(.*?)```", re.S)


def strip_fences(text: str) -> str:
    """The inside of the first code fence when the answer has one, else the answer trimmed."""
    m = _FENCE_RE.search(text)
    if m:
        return m.group(1).strip()
    t = text.strip()
    if t.startswith("```"):  # an unclosed fence (the model ran out of tokens)
        t = t.split("\n", 1)[1] if "\n" in t else ""
    return t.strip()


def extract_json(text: str) -> Any:
    """The first JSON object or array in a model's answer: fenced, bare, or inside prose.

    Raises ValueError saying what was wrong (no JSON at all, or JSON that does not parse)."""
    if not text or not text.strip():
        raise Invalid("the answer is empty")
    candidates = [strip_fences(text), text]
    decoder = json.JSONDecoder()
    last_error = ""
    for cand in candidates:
        for m in re.finditer(r"[\[{]", cand):
            try:
                value, _ = decoder.raw_decode(cand, m.start())
            except json.JSONDecodeError as exc:
                last_error = exc.msg
                continue
            if isinstance(value, dict | list):
                return value
    snippet = text.strip().replace("\n", " ")[:120]
    if last_error:
        raise Invalid(f"the answer's JSON does not parse ({last_error}): {snippet!r}")
    raise Invalid(f"the answer holds no JSON object or array: {snippet!r}")


# -- prompts (structured mode) ---------------------------------------------------------------------

SYSTEM = ("You are an experienced screenwriter and story editor. You follow the requested output format "
          "exactly and write nothing else.")


def premise_block(premise: Any) -> str:
    lines = [f"Title: {premise.title}", f"Logline: {premise.logline}", f"Genre: {premise.genre}",
             f"Target length: {premise.target_pages} pages"]
    if premise.characters:
        lines.append("Characters:")
        lines += [f"- {c.name}: {c.description or 'no description'}" + (f" (voice: {c.voice})" if c.voice else "")
                  for c in premise.characters]
    if premise.locations:
        lines.append("Locations: " + "; ".join(premise.locations))
    return "\n".join(lines)


def beats_prompt(premise: Any) -> str:
    pages = beat_pages(premise.target_pages)
    rows = "\n".join(f"{i + 1}. {name} (act {act}, page {p}): {hint}"
                     for i, ((name, act, _, hint), p) in enumerate(zip(SAVE_THE_CAT, pages, strict=True)))
    return (f"{premise_block(premise)}\n\nWrite the Save the Cat beat sheet of this film: exactly these 15 beats, "
            f"in this order, with the act and the page target given:\n{rows}\n\n"
            'Answer with JSON only: {"beats": [{"number": 1, "name": "Opening Image", "act": 1, "page": 1, '
            '"description": "one or two sentences of what happens"}, ...]}')


def outline_prompt(premise: Any, beats: Any, n_scenes: int) -> str:
    sheet = "\n".join(f"{b.number}. {b.name} (act {b.act}, p. {b.page}): {b.description}" for b in beats.beats)
    return (f"{premise_block(premise)}\n\nBeat sheet:\n{sheet}\n\nBreak the story into about {n_scenes} numbered "
            "scenes. Each scene has a heading `INT. LOCATION - TIME` or `EXT. LOCATION - TIME`, a one or two "
            "sentence summary, the characters in it (names in capitals), and the beat it serves (one of the beat "
            "names above).\n\nAnswer with JSON only: {\"scenes\": [{\"number\": 1, \"heading\": "
            "\"INT. KITCHEN - NIGHT\", \"summary\": \"...\", \"characters\": [\"MAYA\"], \"beat\": \"Opening Image\"}, "
            "...]}")


def scene_prompt(premise: Any, outline: Any, scene: Any, voices: dict[str, str]) -> str:
    before = [s for s in outline.scenes if s.number < scene.number][-1:]
    after = [s for s in outline.scenes if s.number > scene.number][:1]
    context = "".join(f"Previous scene: {s.heading}: {s.summary}\n" for s in before) + \
        "".join(f"Next scene: {s.heading}: {s.summary}\n" for s in after)
    cast = "\n".join(f"- {name}: {voices.get(name, '') or 'no voice notes'}" for name in scene.characters)
    return (f"{premise_block(premise)}\n\n{context}\nWrite scene {scene.number} in Fountain screenplay format.\n"
            f"Heading: {scene.heading}\nBeat: {scene.beat}\nWhat happens: {scene.summary}\n"
            f"Characters in the scene:\n{cast}\n\nRules: start with the heading line exactly as given, then a blank "
            "line; action paragraphs; dialogue as a character name in capitals on its own line followed by the "
            "line of dialogue; exactly one scene; no title page, no scene numbers, no commentary, no JSON.")


def dialogue_prompt(scene_heading: str, lines: list[tuple[str, str]], voices: dict[str, str]) -> str:
    voice_notes = "\n".join(f"- {name}: {voices.get(name) or 'no voice notes'}"
                            for name in dict.fromkeys(n for n, _ in lines))
    numbered = "\n".join(f"{i + 1}. {name}: {text}" for i, (name, text) in enumerate(lines))
    return (f"Dialogue pass on the scene {scene_heading}. Rewrite each line of dialogue so it sounds like its "
            f"speaker, keeping what it means and what it does in the scene.\nVoices:\n{voice_notes}\n\n"
            f"Lines:\n{numbered}\n\nAnswer with JSON only: {{\"lines\": [\"rewritten line 1\", ...]}} with exactly "
            f"{len(lines)} strings, in the same order, without the speaker names.")


def retry_prompt(prompt: str, answer: str, error: str) -> str:
    """The same request again, with the rejected answer's fault fed back."""
    shown = answer.strip()[:600]
    return (f"{prompt}\n\nYour previous answer was rejected: {error}\nPrevious answer (start):\n{shown}\n\n"
            "Answer again, following the format exactly.")
