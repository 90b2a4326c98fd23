"""What changed between two drafts, scene by scene, with identities that survive the rewrite.

Scene numbers are unreliable (writers renumber, or never number) and headings change, so scenes
are matched by content: exact fingerprints first, then by similarity of heading and body. Moves
are the matched scenes outside the longest run kept in order, so moving one scene reports one
move, not a cascade.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from uuid import uuid4

from ..common.errors import Invalid
from .model import NON_PRINTING, Scene, Screenplay, strip_notes

_WS_RE = re.compile(r"\s+")
_EMPH_RE = re.compile(r"(?<!\\)[*_]")
_WORD_RE = re.compile(r"\w+")


@dataclass(frozen=True)
class SceneFingerprint:
    heading: str
    body: str
    number: str
    digest: str


def _norm(text: str) -> str:
    return _WS_RE.sub(" ", _EMPH_RE.sub("", strip_notes(text))).strip()


def fingerprint(screenplay: Screenplay, scene: Scene) -> SceneFingerprint:
    els = screenplay.elements
    body = "\n".join(
        _norm(e.text) for e in els[scene.first + (1 if scene.heading else 0) : scene.last + 1]
        if e.type not in NON_PRINTING
    )
    heading = _norm(scene.heading).upper()
    digest = hashlib.sha256(f"{heading}\n{body}".encode()).hexdigest()
    return SceneFingerprint(heading, body, scene.number, digest)


@dataclass
class SceneChange:
    kind: str  # unchanged | changed | moved | moved+changed | added | removed
    uid: str
    old_index: int | None
    new_index: int | None
    old_number: str | None = None
    new_number: str | None = None
    old_heading: str | None = None
    new_heading: str | None = None
    similarity: float = 1.0
    heading_changed: bool = False


@dataclass
class ScriptDiff:
    changes: list[SceneChange] = field(default_factory=list)

    def _of(self, *kinds: str) -> list[SceneChange]:
        return [c for c in self.changes if c.kind in kinds]

    def added(self) -> list[SceneChange]:
        return self._of("added")

    def removed(self) -> list[SceneChange]:
        return self._of("removed")

    def moved(self) -> list[SceneChange]:
        return self._of("moved", "moved+changed")

    def changed(self) -> list[SceneChange]:
        return self._of("changed", "moved+changed")

    def summary(self) -> dict[str, int]:
        kinds = ("unchanged", "changed", "moved", "moved+changed", "added", "removed")
        return {k: sum(1 for c in self.changes if c.kind == k) for k in kinds}

    def uid_map(self) -> dict[int, str]:
        return {c.new_index: c.uid for c in self.changes if c.new_index is not None}


def _similarity(a: SceneFingerprint, b: SceneFingerprint, wa: set[str], wb: set[str]) -> float:
    """Body similarity dominates; the heading helps tell apart scenes at the same set."""
    if not wa and not wb:
        body = 1.0 if a.body == b.body else 0.0
    else:
        jac = len(wa & wb) / len(wa | wb)
        if jac < 0.2:
            body = jac
        else:  # word sequences: as telling as characters for prose, and ~50x cheaper to align
            sm = SequenceMatcher(None, a.body.split(), b.body.split(), autojunk=False)
            body = sm.ratio() if sm.real_quick_ratio() > 0.3 and sm.quick_ratio() > 0.3 else jac
    head = 1.0 if a.heading == b.heading else SequenceMatcher(None, a.heading, b.heading).ratio()
    return 0.8 * body + 0.2 * head


def diff_scenes(old: list[SceneFingerprint], old_uids: list[str], new: list[SceneFingerprint], *,
                threshold: float = 0.5, new_uid: Callable[[], str] = lambda: uuid4().hex) -> ScriptDiff:
    if len(old) != len(old_uids):
        raise Invalid("old fingerprints and uids differ in length")
    match: dict[int, int] = {}  # new index -> old index
    sim: dict[int, float] = {}
    by_digest: dict[str, list[int]] = defaultdict(list)
    for i, fp in enumerate(old):
        by_digest[fp.digest].append(i)
    for j, fp in enumerate(new):
        bucket = by_digest.get(fp.digest)
        if bucket:
            match[j] = bucket.pop(0)
            sim[j] = 1.0
    free_old = [i for i in range(len(old)) if i not in set(match.values())]
    free_new = [j for j in range(len(new)) if j not in match]
    if free_old and free_new:
        words_old = {i: set(_WORD_RE.findall(old[i].body.lower())) for i in free_old}
        words_new = {j: set(_WORD_RE.findall(new[j].body.lower())) for j in free_new}
        pairs = []
        n_old, n_new = max(1, len(old)), max(1, len(new))
        for j in free_new:
            for i in free_old:
                s = _similarity(old[i], new[j], words_old[i], words_new[j])
                if s >= threshold:
                    rank = s + (0.02 if old[i].number and old[i].number == new[j].number else 0.0)
                    rank -= 0.05 * abs(i / n_old - j / n_new)  # prefer the nearby one among equals
                    pairs.append((rank, s, j, i))
        pairs.sort(reverse=True)
        used_old: set[int] = set()
        for _, s, j, i in pairs:
            if j in match or i in used_old:
                continue
            match[j] = i
            used_old.add(i)
            sim[j] = s
    # Moves: matched scenes outside the longest increasing run of old positions.
    seq = sorted(match)  # new indexes in order
    keep = _lis([match[j] for j in seq])
    stay = {seq[k] for k in keep}
    changes_by_new: dict[int, SceneChange] = {}
    for j in range(len(new)):
        if j in match:
            i = match[j]
            changed = old[i].digest != new[j].digest
            moved = j not in stay
            kind = ("moved+changed" if changed else "moved") if moved else ("changed" if changed else "unchanged")
            changes_by_new[j] = SceneChange(kind, old_uids[i], i, j, old[i].number, new[j].number, old[i].heading,
                                            new[j].heading, 1.0 if not changed else round(sim[j], 4),
                                            old[i].heading != new[j].heading)
        else:
            changes_by_new[j] = SceneChange("added", new_uid(), None, j, None, new[j].number, None, new[j].heading, 0.0)
    matched_old = set(match.values())
    out: list[SceneChange] = []
    removed_after: dict[int, list[SceneChange]] = defaultdict(list)
    # Place each removed scene after the new position of its nearest kept predecessor.
    old_to_new = {i: j for j, i in match.items()}
    for i in range(len(old)):
        if i in matched_old:
            continue
        prev = max((old_to_new[p] for p in range(i) if p in old_to_new), default=-1)
        removed_after[prev].append(SceneChange("removed", old_uids[i], i, None, old[i].number, None, old[i].heading,
                                               None, 0.0))
    out.extend(removed_after.get(-1, []))
    for j in range(len(new)):
        out.append(changes_by_new[j])
        out.extend(removed_after.get(j, []))
    return ScriptDiff(out)


def _lis(values: list[int]) -> list[int]:
    """Indexes of one longest strictly increasing subsequence (patience sorting, O(n log n))."""
    tails: list[int] = []
    tails_idx: list[int] = []
    prev = [-1] * len(values)
    for k, v in enumerate(values):
        pos = bisect.bisect_left(tails, v)
        if pos == len(tails):
            tails.append(v)
            tails_idx.append(k)
        else:
            tails[pos] = v
            tails_idx[pos] = k
        prev[k] = tails_idx[pos - 1] if pos else -1
    out = []
    k = tails_idx[-1] if tails_idx else -1
    while k >= 0:
        out.append(k)
        k = prev[k]
    return out[::-1]
