"""A language model as the breakdown's last tagger, behind :class:`~.breakdown.TagModel`.

The model reads one scene and answers a JSON array of ``{"category_id", "name", "quote"}``;
this module only builds the prompt and reads the answer. It never trusts the model:
:func:`~.breakdown.tag_script` keeps a proposal only when its quote is in the scene's text and
its category is a known element category. Answers come back in every shape (fenced, wrapped in
prose, half broken), so parsing is forgiving; a scene whose answer cannot be read gives no tags
and a line in :attr:`LLMTagModel.problems` rather than stopping the breakdown of the script.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..common.errors import Invalid
from ..generation.text import TextBackendError
from .categories import CUSTOM_BASE, element_categories


class ChatModel(Protocol):
    """Anything that answers chat messages with text (:class:`~studio_kit.generation.text.ChatEndpoint`)."""

    def complete(self, messages: list[dict[str, Any]]) -> str: ...


SYSTEM_PROMPT = (
    "You are a first assistant director breaking down a screenplay scene for scheduling and budgeting. "
    "List every element a department must provide, using the Universal Category Identification ids below. "
    "Answer with a JSON array only, no prose. Each item is an object "
    '{"category_id": <id>, "name": "<ELEMENT NAME IN CAPS>", "quote": "<text copied verbatim from the scene>"}. '
    "The quote must be an exact substring of the scene (same words, same spelling) showing where the element "
    "is; do not paraphrase. Use one item per element; skip anything you cannot quote. "
    "If the scene needs nothing, answer []."
)


def categories_prompt(custom: Mapping[int, str] | None = None) -> str:
    """The category list the model chooses from: UCI elements 100-124 and the project's own."""
    lines = [f"{c.id}: {c.name}" for c in element_categories()]
    lines += [f"{cid}: {name}" for cid, name in sorted((custom or {}).items()) if cid >= CUSTOM_BASE]
    return "Categories:\n" + "\n".join(lines)


def build_messages(scene_text: str, custom: Mapping[int, str] | None = None) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": SYSTEM_PROMPT + "\n\n" + categories_prompt(custom)},
        {"role": "user", "content": "Scene:\n<<<\n" + scene_text + "\n>>>\n\nJSON array of elements:"},
    ]


@dataclass
class ParsedAnswer:
    items: list[tuple[int, str, str] | tuple[int, str, str, float]]
    #: Why an item (or the whole answer) was skipped.
    problems: list[str] = field(default_factory=list)


_FENCE_RE = re.compile(r"```[ \t]*(?:json|JSON)?[ \t]*\n?(.*?)```", re.S)


def _candidates(answer: str) -> list[str]:
    """Texts that may hold the JSON: fenced blocks first, then the widest bracketed span."""
    out = [m.group(1).strip() for m in _FENCE_RE.finditer(answer)]
    out.append(answer.strip())
    for open_, close in (("[", "]"), ("{", "}")):
        a, b = answer.find(open_), answer.rfind(close)
        if 0 <= a < b:
            out.append(answer[a:b + 1])
    return out


def _decode(answer: str) -> Any:
    """The first JSON value found in the answer, or raise ValueError."""
    dec = json.JSONDecoder()
    for text in _candidates(answer):
        with suppress(json.JSONDecodeError):  # not pure JSON: look for it inside the prose below
            return json.loads(text)
        for k, ch in enumerate(text):  # prose before the JSON: try from each bracket
            if ch in "[{":
                try:
                    return dec.raw_decode(text, k)[0]
                except json.JSONDecodeError:
                    continue
    raise Invalid("no JSON array in the answer")


def parse_answer(answer: str) -> ParsedAnswer:
    """Read a model's answer into (category_id, name, quote[, confidence]) items.

    Accepts a bare array, an array inside ```json fences or prose, or an object holding the
    array under any key ({"elements": [...]}). Items missing a field, with a non-numeric
    category or empty name/quote are skipped with the reason."""
    try:
        value = _decode(answer)
    except ValueError as exc:
        return ParsedAnswer([], [f"{exc}: {_short(answer)}"])
    if isinstance(value, dict):
        lists = [v for v in value.values() if isinstance(v, list)]
        if len(lists) == 1:
            value = lists[0]
        elif {"category_id", "name", "quote"} <= set(value):
            value = [value]
    if not isinstance(value, list):
        return ParsedAnswer([], [f"answer is JSON {type(value).__name__}, not an array of elements: {_short(answer)}"])
    items: list[Any] = []
    problems: list[str] = []
    for k, raw in enumerate(value):
        where = f"item {k}"
        if not isinstance(raw, dict):
            problems.append(f"{where}: {_short(json.dumps(raw))} is not an object; skipped")
            continue
        missing = [f for f in ("category_id", "name", "quote") if raw.get(f) in (None, "")]
        if missing:
            problems.append(f"{where}: missing {', '.join(missing)} in {_short(json.dumps(raw))}; skipped")
            continue
        try:
            cid = int(str(raw["category_id"]).strip())
        except ValueError:
            problems.append(f"{where}: category_id {raw['category_id']!r} is not a number; skipped")
            continue
        name, quote = str(raw["name"]).strip(), str(raw["quote"])
        if not name or not quote.strip():
            problems.append(f"{where}: empty name or quote; skipped")
            continue
        conf = raw.get("confidence")
        if isinstance(conf, (int, float)) and not isinstance(conf, bool) and 0.0 <= conf <= 1.0:
            items.append((cid, name, quote, float(conf)))
        else:
            items.append((cid, name, quote))
    return ParsedAnswer(items, problems)


class LLMTagModel:
    """A :class:`~.breakdown.TagModel` over a chat model: one request per scene.

    Unreadable answers and failed requests for a scene are recorded in :attr:`problems` and the
    scene gets no model tags. A request the server refuses outright (4xx other than 429: wrong
    key, wrong model) raises at once, since every scene would fail the same way; after
    ``max_failed_scenes`` scenes that got no answer (timeouts, 5xx) the next failure raises too,
    so a dead server costs a few bounded requests, not one per scene."""

    def __init__(self, chat: ChatModel, *, custom_categories: Mapping[int, str] | None = None,
                 max_failed_scenes: int = 3) -> None:
        self.chat = chat
        self.custom = dict(custom_categories or {})
        self.max_failed_scenes = max_failed_scenes
        self.problems: list[str] = []
        self.requests = 0
        self._failed = 0

    def __call__(self, scene_text: str) -> list[tuple[int, str, str] | tuple[int, str, str, float]]:
        where = _scene_label(scene_text)
        self.requests += 1
        try:
            answer = self.chat.complete(build_messages(scene_text, self.custom))
        except TextBackendError as exc:
            if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
                raise
            self._failed += 1
            if self._failed > self.max_failed_scenes:
                raise TextBackendError(f"{exc} ({self._failed} scenes got no answer; stopping)",
                                       url=exc.url, status=exc.status) from exc
            self.problems.append(f"{where}: no model answer ({exc}); no model tags for this scene")
            return []
        parsed = parse_answer(answer)
        self.problems += [f"{where}: {p}" for p in parsed.problems]
        return list(parsed.items)


def _scene_label(scene_text: str) -> str:
    first = scene_text.strip().splitlines()[0] if scene_text.strip() else "(empty scene)"
    return f"scene {first[:60]!r}"


def _short(text: str, limit: int = 120) -> str:
    t = " ".join(text.split())
    return repr(t if len(t) <= limit else t[:limit] + "...")
