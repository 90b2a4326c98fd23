"""Storyboards: one frame per shot, made by the image backend with the characters' locked
identities, scored for consistency, and laid out as boards (PDF) with each shot's dialogue.

The pure part builds each shot's :class:`ImageRequest` (size, angle, set, the locked identity of
every character in frame, a seed stable per shot) and lays out the PDFs. The edge part
(:func:`make_boards`) has the frames made as generation jobs (the Ray runner in the Studio), scores
every character in every frame against its lock in one embedding call, and records the board in
one transaction. A shot that names a character without a lock, or whose job fails, is reported by
scene and shot and the rest of the board is made.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..characters import service as characters
from ..characters.bible import identity
from ..common.errors import Invalid, NotFound
from ..generation.base import Identity, ImageRequest, request_to_json
from ..screenplay.model import Scene
from ..store import ProjectScope, StoreError
from . import shots_store
from .options import BoardOptions
from .shots import Cut, Shot, ShotList, cut_scene, scene_beats, scene_seconds

#: Board frames are 16:9 (both sides multiples of 8 for the diffusion backends).
#: The default frame size (writing.options.BoardOptions).
BOARD_SIZE = BoardOptions().size

_MOODS = {"angry": "angry", "furious": "angry", "shouting": "angry", "yelling": "angry", "smiling": "happy",
          "laughing": "happy", "grinning": "happy", "happy": "happy", "crying": "sad", "sad": "sad",
          "quietly": "sad", "tearful": "sad", "surprised": "surprised", "shocked": "surprised",
          "startled": "surprised", "scared": "afraid", "afraid": "afraid", "terrified": "afraid",
          "whispering": "afraid", "nervous": "afraid"}


def expression_for(cuts: Sequence[Cut], shot: Shot) -> str:
    """The face a single should wear: from the parenthetical of the subject's first line on this
    shot (``(angry)``, ``(smiling)``...), neutral otherwise."""
    for c in cuts:
        if c.shot != shot.number:
            continue
        for b in c.dialogue:
            for word in b.parenthetical.strip("()").lower().replace(",", " ").split():
                if word in _MOODS:
                    return _MOODS[word]
    return "neutral"


def in_frame(shot: Shot) -> tuple[str, ...]:
    """Characters whose faces the frame shows: an over-the-shoulder shows its subject (the other
    is a shoulder), an insert shows nobody."""
    if shot.kind == "insert" or shot.size == "INSERT":
        return ()
    if shot.kind == "ots":
        return tuple(c for c in shot.characters if c == shot.subject.upper())[:1] or shot.characters[:1]
    return shot.characters


def frame_seed(script_id: str, scene_uid: str, shot: str) -> int:
    return int(hashlib.sha256(f"board:{script_id}:{scene_uid}:{shot}".encode()).hexdigest()[:8], 16)


def frame_request(shot: Shot, scene: Scene, identities: Sequence[Identity], *, seed: int,
                  expression: str = "neutral", size: tuple[int, int] = BOARD_SIZE) -> ImageRequest:
    """The image request of one board frame (pure)."""
    view = "three_quarter" if shot.kind in ("ots", "reaction", "two-shot") else "front"
    words = f"{shot.kind} shot, {shot.size}, {shot.angle} angle, {shot.movement}"
    return ImageRequest(
        prompt=f"storyboard frame, {words}: {shot.description or shot.subject}",
        negative_prompt="text, watermark, blurry",
        width=size[0], height=size[1], seed=seed, characters=tuple(identities), shot_size=shot.size,
        angle=shot.angle, set_name=scene.location, int_ext=scene.int_ext,
        time_of_day=scene.day_night or scene.time_of_day, view=view, expression=expression,
        caption=f"{shot.number}  {shot.size}  {shot.description}"[:90])


@dataclass
class BoardFrame:
    """One made frame of a board, with its consistency scores (character id -> score)."""

    scene_uid: str
    scene_number: str
    shot: Shot
    job_id: str
    artifact: str
    path: str
    scores: dict[str, float]
    thresholds: dict[str, float]
    drift: list[str]


@dataclass
class BoardRun:
    """A board run's frames and one message per shot that could not be made (the rest were)."""

    frames: list[BoardFrame] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def min_score(self) -> float | None:
        scores = [s for f in self.frames for s in f.scores.values()]
        return min(scores) if scores else None


def check_size(size: tuple[int, int]) -> tuple[int, int]:
    """A board frame size the image backends take (positive multiples of 8), or an error saying so."""
    return BoardOptions(size=tuple(size)).size


def make_boards(scope: ProjectScope, jobs: Any, embedder: Any, stored: Any, scene_uids: Sequence[str], *,
                size: tuple[int, int] = BOARD_SIZE) -> BoardRun:
    """Make the boards of these scenes from their latest shot lists (``stored`` is a
    ``scripts.StoredScript``). All frames go to ``jobs.render`` as one batch (the runner
    spreads them over its workers); the board is recorded in one transaction."""
    check_size(size)
    a = stored.analysis
    by_uid = dict(zip(stored.scene_uids, a.scenes, strict=True))
    run = BoardRun()
    requests: list[ImageRequest] = []
    keys: list[str] = []
    meta: list[tuple[str, Scene, int, int, Shot, tuple[str, ...]]] = []
    cast: dict[str, tuple[Any, Any]] = {}  # name -> (character, locked version): looked up once a board

    def locked(name: str) -> tuple[Any, Any]:
        if name not in cast:
            try:
                ch = characters.character_for(scope, name)
            except NotFound as exc:
                raise characters.CharacterError(
                    f"{name} is not a character of this project ({exc}); create the characters "
                    "from the script first (Studio.create_characters)") from exc
            cast[name] = characters.require_lock(scope, ch.character_id)
        return cast[name]

    for uid in scene_uids:
        if uid not in by_uid:
            run.errors.append(f"scene {uid}: not in script {stored.script_id!r} v{stored.version}")
            continue
        scene = by_uid[uid]
        try:
            sl, slv = shots_store.load_shot_list(scope, stored.script_id, uid)
        except (NotFound, StoreError) as exc:
            run.errors.append(f"scene {scene.number}: {exc}")
            continue
        cuts = cut_scene(sl, scene_beats(a.screenplay, scene), scene_seconds(scene))
        for ordinal, shot in enumerate(sl.shots):
            where = f"scene {scene.number}, shot {shot.number}"
            try:
                ids: list[str] = []
                idents: list[Identity] = []
                for name in in_frame(shot):
                    character, version = locked(name)
                    ids.append(character.character_id)
                    idents.append(identity(character, version, shot_index=ordinal))
                req = frame_request(shot, scene, idents, seed=frame_seed(stored.script_id, uid, shot.number),
                                    expression=expression_for(cuts, shot), size=size)
            except (characters.CharacterError, ValueError) as exc:
                run.errors.append(f"{where}: {exc}")
                continue
            digest = hashlib.sha256(request_to_json(req).encode()).hexdigest()[:16]
            requests.append(req)
            keys.append(f"board:{stored.script_id}:{uid}:{shot.number}:{digest}")
            meta.append((uid, scene, slv, ordinal, shot, tuple(ids)))
    if not requests:
        return run
    rendered = jobs.render(requests, keys)
    done = []
    for r, req, m in zip(rendered, requests, meta, strict=True):
        if r.status != "done" or r.image is None:
            run.errors.append(f"scene {m[1].number}, shot {m[4].number}: the frame's job {r.job_id} "
                              f"{r.status}: {r.error or 'no image'}")
            continue
        done.append((r, req, m))
    with scope.transaction():
        scores = characters.score_frames(scope, embedder, [(r, req, m[5]) for r, req, m in done], kind="board",
                                         labels=[m[4].number for _, _, m in done],
                                         scenes=[m[1].number for _, _, m in done])
        rows = []
        for (r, _req, (uid, scene, slv, ordinal, shot, _ids)), sc in zip(done, scores, strict=True):
            values = {cid: round(s.score, 4) for cid, s in sc.items()}
            frame = BoardFrame(uid, scene.number, shot, r.job_id, r.artifact, r.path, values,
                               {cid: s.threshold for cid, s in sc.items()}, [c for c, s in sc.items() if s.drift])
            run.frames.append(frame)
            rows.append({"scene_uid": uid, "shot_list_version": slv, "shot": shot.number, "ordinal": ordinal,
                         "job_id": r.job_id, "artifact": r.artifact, "path": r.path, "scores": values,
                         "min_score": min(values.values()) if values else None, "drift": bool(frame.drift)})
        shots_store.save_frames(scope, stored.script_id, rows)
    return run


# -- PDFs ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BoardPanel:
    """What a board page shows for one shot: the frame, the shot's line and its dialogue."""

    scene_heading: str
    shot: Shot
    image_path: str
    dialogue: tuple[str, ...] = ()
    scores: Mapping[str, float] = field(default_factory=dict)


def panels_for(shot_list: ShotList, cuts: Sequence[Cut], frames: Mapping[str, str],
               scores: Mapping[str, Mapping[str, float]] | None = None) -> list[BoardPanel]:
    """Panels in shot order with the dialogue the edit plays on each shot (``frames``: shot -> image path)."""
    lines: dict[str, list[str]] = {}
    for c in cuts:
        for b in c.dialogue:
            lines.setdefault(c.shot, []).append(f"{b.character}: {b.text}")
    return [BoardPanel(shot_list.heading, s, frames[s.number], tuple(lines.get(s.number, ())),
                       dict((scores or {}).get(s.number, {})))
            for s in shot_list.shots if s.number in frames]


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    out: list[str] = []
    line = ""
    for w in text.split():
        trial = f"{line} {w}".strip()
        if stringWidth(trial, font, size) <= width or not line:
            line = trial
        else:
            out.append(line)
            line = w
    if line:
        out.append(line)
    return out


def boards_pdf(panels: Sequence[BoardPanel], *, title: str = "Storyboards") -> bytes:
    """Boards as a PDF: landscape Letter, six panels a page (3 x 2), each with its frame, the shot
    line (number, size, angle, movement, seconds), the description, the dialogue and the
    consistency scores."""
    from reportlab.lib.pagesizes import landscape, letter
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    if not panels:
        raise Invalid("no board panels to lay out: make the boards first (Studio.make_boards)")
    buf = io.BytesIO()
    W, H = landscape(letter)
    c = canvas.Canvas(buf, pagesize=(W, H))
    c.setTitle(title)
    margin, cols, rows_ = 30.0, 3, 2
    cell_w = (W - 2 * margin) / cols
    cell_h = (H - 2 * margin - 24) / rows_
    img_w = cell_w - 14
    img_h = img_w * 9 / 16
    per_page = cols * rows_
    pages = (len(panels) + per_page - 1) // per_page
    for p in range(pages):
        c.setFont("Helvetica-Bold", 11)
        c.drawString(margin, H - margin, title)
        c.setFont("Helvetica", 8)
        c.drawRightString(W - margin, H - margin, f"page {p + 1} of {pages}")
        for k, panel in enumerate(panels[p * per_page:(p + 1) * per_page]):
            col, row = k % cols, k // cols
            x = margin + col * cell_w + 7
            top = H - margin - 18 - row * cell_h
            c.setFont("Helvetica-Bold", 7.5)
            c.drawString(x, top - 9, panel.scene_heading[:70])
            y_img = top - 12 - img_h
            c.drawImage(ImageReader(panel.image_path), x, y_img, img_w, img_h)
            c.rect(x, y_img, img_w, img_h)
            s = panel.shot
            c.setFont("Helvetica-Bold", 9)
            c.drawString(x, y_img - 11, f"{s.number}")
            c.setFont("Helvetica", 8)
            c.drawString(x + 30, y_img - 11, f"{s.size} · {s.angle} · {s.movement} · {s.kind} · {s.seconds:.1f}s")
            y = y_img - 22
            for line in _wrap(s.description, "Helvetica", 7.5, img_w)[:2]:
                c.setFont("Helvetica", 7.5)
                c.drawString(x, y, line)
                y -= 9
            for d in panel.dialogue:
                for line in _wrap(d, "Courier", 7, img_w):
                    if y < top - cell_h + 14:
                        break
                    c.setFont("Courier", 7)
                    c.drawString(x, y, line)
                    y -= 8.5
            if panel.scores:
                c.setFont("Helvetica-Oblique", 6.5)
                c.drawString(x, top - cell_h + 6, "consistency " + ", ".join(
                    f"{k}: {v:.2f}" for k, v in panel.scores.items()))
        c.showPage()
    c.save()
    return buf.getvalue()


def shot_list_pdf(shot_lists: Sequence[ShotList], *, title: str = "Shot list") -> bytes:
    """The shot lists as a PDF table, one block per scene, as a 1st AD prints them."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import landscape, letter
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if not shot_lists:
        raise Invalid("no shot lists to print: make them first (Studio.make_shot_lists)")
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=7.5, leading=9)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(letter), leftMargin=30, rightMargin=30, topMargin=30,
                            bottomMargin=30, title=title)
    story: list[Any] = [Paragraph(title, styles["Title"])]
    header = ["Shot", "Size", "Angle", "Movement", "Kind", "Subject", "Characters", "Description", "Sec"]
    for sl in shot_lists:
        story.append(Paragraph(f"<b>Scene {sl.scene_number}</b> &nbsp; {sl.heading} &nbsp; "
                               f"<font size=7>({len(sl.shots)} shots, {sl.seconds:.0f} s, {sl.source})</font>",
                               styles["Heading4"]))
        data = [header] + [[s.number, s.size, s.angle, s.movement, s.kind, Paragraph(s.subject, small),
                            Paragraph(", ".join(s.characters), small), Paragraph(s.description, small),
                            f"{s.seconds:.1f}"] for s in sl.shots]
        t = Table(data, colWidths=[34, 40, 44, 56, 58, 100, 100, 270, 30], repeatRows=1)
        t.setStyle(TableStyle([("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
                               ("FONT", (0, 1), (-1, -1), "Helvetica", 8),
                               ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story += [t, Spacer(1, 8)]
    doc.build(story)
    return buf.getvalue()


# -- animatic: the edit played on the boards ------------------------------------------------------------

#: Temp voices from one single-speaker voice: each speaking character, in cast order, gets its own
#: (pace, pitch in semitones) so two people in a scene are told apart. No gender is guessed from
#: the script; a bible's voice field says what a character should sound like (``voice_spec``).
TEMP_VOICES = ((1.0, 0.0), (0.95, 4.0), (1.05, -3.0), (1.0, 7.0), (0.9, -5.0), (1.1, 2.0), (0.95, -1.5),
               (1.05, 5.5))
_AGE = re.compile(r"\b(\d{1,2})(?:s)?\b")


@dataclass(frozen=True)
class TempVoice:
    """How a character's temp dialogue is spoken: the backend's voice id, pace and pitch."""

    voice: str = ""
    speed: float = 1.0
    pitch: float = 0.0


def voice_spec(text: str) -> dict[str, Any]:
    """A bible's voice field read as settings: ``"3"`` (a multi-speaker voice's speaker id) or
    ``"speaker=3 pitch=+4 speed=0.9"``; anything else is a casting note and sets nothing.
    Bad numbers name the field."""
    text = (text or "").strip()
    if text.isdigit():
        return {"voice": text}
    out: dict[str, Any] = {}
    pairs = re.findall(r"\b(speaker|pitch|speed)\s*=\s*([^\s,;]+)", text)
    for key, value in pairs:
        if key == "speaker":
            if not value.isdigit():
                raise Invalid(f"voice {text!r}: speaker must be a whole number, got {value!r}")
            out["voice"] = value
            continue
        try:
            out[key] = float(value)
        except ValueError:
            raise Invalid(f"voice {text!r}: {key} must be a number, got {value!r}") from None
    return out


def temp_voices(names: Sequence[str], voices: Mapping[str, str] | None = None,
                ages: Mapping[str, str] | None = None) -> dict[str, TempVoice]:
    """Character -> TempVoice: the bible's voice settings where it gives them, else the next
    (pace, pitch) of :data:`TEMP_VOICES` in cast order, a child (under 13) a few semitones higher."""
    voices, ages = voices or {}, ages or {}
    out = {}
    for k, n in enumerate(names):
        speed, pitch = TEMP_VOICES[k % len(TEMP_VOICES)]
        age = _AGE.search(ages.get(n, ""))
        if age and int(age.group(1)) < 13:
            pitch = max(pitch, 0.0) + 5.0
        spec = voice_spec(voices.get(n, ""))
        out[n] = TempVoice(spec.get("voice", ""), float(spec.get("speed", speed)),
                           float(min(12.0, max(-12.0, spec.get("pitch", pitch)))))
    return out


def animatic_panels(scene: Scene, shot_list: ShotList, cuts: Sequence[Cut], images: Mapping[str, bytes],
                    voices: Mapping[str, TempVoice]) -> tuple[list[Any], list[str]]:
    """One animatic panel per cut (the shot's board frame held for the cut's time, its speeches as
    temp dialogue); cuts whose shot has no frame are skipped and named."""
    from .animatic import AnimaticLine, AnimaticPanel

    panels = []
    missing = []
    for c in cuts:
        if c.shot not in images:
            missing.append(f"scene {scene.number}, shot {c.shot}: no board frame (make the boards first)")
            continue
        shot = shot_list.shot(c.shot)
        who = f" · {shot.subject}" if shot.subject and shot.kind != "establishing" else ""
        lines = []
        for b in c.dialogue:
            v = voices.get(b.character, TempVoice())
            lines.append(AnimaticLine(b.character, b.text, v.voice, v.speed, v.pitch))
        panels.append(AnimaticPanel(images[c.shot], max(c.seconds, 0.5),
                                    f"Sc {scene.number} · {shot.number} · {shot.size}{who}"[:80], tuple(lines),
                                    scene.number, shot.number))
    return panels, missing
