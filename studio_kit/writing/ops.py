"""The Writing engine's facade on the Studio: scripts and their versions, development from a
logline, shot lists, storyboards and animatics.

One checked line of intent per operation (``management.access.operation``), then the engine's
functions (``studio_kit.scripts`` for stored scripts, ``writing.service`` and ``writing.develop``
for the rest). Defaults come from ``writing.options``. Frames and text are jobs of the generation
facade; characters' locks come through the Character facade below this one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from .. import scripts
from ..characters import store as character_store
from ..characters.ops import CharacterOps
from ..management.access import operation
from ..preproduction import service as preproduction
from ..screenplay.analysis import ScriptAnalysis, analyze, load_script
from ..screenplay.errors import ScreenplayError
from ..screenplay.pagination import layout_for
from ..store import StoreError
from . import develop, service, shots_store
from .options import AnimaticOptions, BoardOptions, DevelopOptions, ShotListOptions
from .service import Scenes

MIGRATIONS = (*scripts.MIGRATIONS, *shots_store.MIGRATIONS, *develop.MIGRATIONS)


class WritingOps(CharacterOps):
    """Mixed into :class:`studio_kit.studio.Studio`; boards draw locked characters (Character facade)."""

    # -- scripts ------------------------------------------------------------------------------------
    def analyze_file(self, path: str | Path, *, encoding: str = "utf-8", paper: str | None = None) -> ScriptAnalysis:
        """Parse and paginate a script file (the caller's own file: nothing stored, nothing read from
        the store, so no permission is asked)."""
        sp = load_script(path, encoding=encoding, max_bytes=self.settings.max_script_mb * 1024 * 1024)
        return analyze(sp, layout_for(paper or self.settings.paper))

    @operation("script.write")
    def ingest_script(self, path: str | Path, *, script_id: str | None = None, encoding: str = "utf-8",
                      paper: str | None = None) -> scripts.IngestReport:
        """Parse, paginate and store a script as a new version (or nothing, if unchanged)."""
        p = Path(path)
        analysis = self.analyze_file(p, encoding=encoding, paper=paper)
        raw = p.read_bytes()
        fmt = "fdx" if p.suffix.lower() == ".fdx" else "fountain"
        try:
            text = raw.decode("utf-8-sig") if fmt == "fdx" else raw.decode(encoding).lstrip("\ufeff")
        except UnicodeDecodeError as exc:  # the parser accepted it with another encoding
            raise ScreenplayError(f"cannot store the source text: {exc}", str(p)) from None
        return scripts.ingest(self.scope, analysis, text, source_name=p.name, source_format=fmt, script_id=script_id)

    @operation("project.read")
    def scripts(self) -> pl.DataFrame:
        return scripts.scripts_frame(self.scope)

    @operation("project.read")
    def script_versions(self, script_id: str | None = None) -> pl.DataFrame:
        """Stored versions (of one script, or of every script of the project) and what changed."""
        return scripts.versions_frame(self.scope, script_id)

    @operation("project.read")
    def scenes(self, script_id: str | None = None, script_version: int | None = None) -> pl.DataFrame:
        return scripts.scenes_frame(self.scope, scripts.script_id_or_only(self.scope, script_id), script_version)

    @operation("project.read")
    def script_id(self, script_id: str | None = None) -> str:
        """The named script, or the project's only one."""
        return scripts.script_id_or_only(self.scope, script_id)

    @operation("project.read")
    def stored_script(self, script_id: str | None = None, script_version: int | None = None) -> scripts.StoredScript:
        return scripts.load(self.scope, script_id, script_version)

    @operation("project.read")
    def changes(self, script_id: str | None = None, script_version: int | None = None) -> dict:
        """What changed in a version against the one before, scene by scene."""
        return scripts.changes(self.scope, scripts.script_id_or_only(self.scope, script_id), script_version)

    # -- development: logline to shooting script ---------------------------------------------------------
    @operation("script.write")
    def develop(self, premise: develop.Premise | str, *, start_at: str = "beats", stop_after: str = "dialogue",
                scenes: list[int] | None = None, options: DevelopOptions | None = None,
                progress: bool = False) -> develop.DevelopResult:
        """Logline -> beat sheet -> outline -> Fountain scenes -> dialogue pass with the profile's text
        model (jobs on the runner). ``premise`` starts a new run; a run id re-runs one from
        ``start_at`` (earlier steps: their latest stored, possibly edited, versions; ``scenes``: only
        those outline scenes). Written scenes are stored as versions of the run's script."""
        options = options or DevelopOptions()
        spec = self.model_profile().spec("text")
        if not isinstance(premise, develop.Premise):
            develop.run_info(self.scope, premise)  # an unknown run id is named before anything starts
        jobs = self._text_jobs("develop", progress)  # the runner first: a run is recorded only once it can run
        run_id = (develop.new_run(self.scope, premise, backend=spec.backend, model=spec.model)
                  if isinstance(premise, develop.Premise) else premise)
        names = {c.name.upper() for c in develop.load_premise(self.scope, run_id).characters}
        bibles = {}
        if names:
            for row in character_store.characters_frame(self.scope).iter_rows(named=True):
                if row["name"].upper() in names:
                    bibles[row["name"]] = character_store.get_version(self.scope, row["character_id"]).bible
        return develop.run(self.scope, run_id, jobs, mode=options.mode, start_at=start_at, stop_after=stop_after,
                           scenes=scenes, max_attempts=options.max_attempts,
                           voices=develop.voices_from_bibles(bibles) if bibles else None, seed=options.seed,
                           author=self.user.person_id)

    @operation("project.read")
    def development_runs(self) -> pl.DataFrame:
        return develop.runs(self.scope)

    @operation("project.read", target="{run_id}")
    def development_step(self, run_id: str, step: str, version: int | None = None) -> Any:
        """A step's stored output as its model (BeatSheet, Outline, Draft), latest by default."""
        return develop.load_step(self.scope, run_id, step, version)

    @operation("script.write", target="{run_id}")
    def save_development_step(self, run_id: str, step: str, value: Any, *, note: str = "edited") -> int:
        """Store an edited step (validated like the pipeline's own output) as its next version."""
        return develop.save_step(self.scope, run_id, step, value, note=note)

    # -- shot lists ------------------------------------------------------------------------------------
    @operation("script.write")
    def make_shot_lists(self, scenes: Scenes = None, *, script_id: str | None = None,
                        script_version: int | None = None, options: ShotListOptions | None = None,
                        note: str = "", progress: bool = False):
        """Shot lists for these scenes (default: all), stored as each scene's next version.

        ``options.mode="rules"``: the coverage rules of ``writing.shots`` over the scene's content and
        the breakdown's props. ``"llm"``: the profile's text model writes each list as JSON (as jobs
        on the runner); shots naming characters not in the scene are dropped with a message, a scene
        the model gave nothing usable for is reported and keeps its earlier version."""
        options = options or ShotListOptions()
        stored = scripts.load(self.scope, script_id, script_version)
        uids = service.scene_uids(stored, scenes)
        bd = preproduction.breakdown_for_planning(self.scope, self.settings, stored)
        return service.make_shot_lists(self.scope, stored, bd, uids, options, note=note,
                                       text_jobs=lambda: self._text_jobs(f"shots:{stored.script_id}", progress))

    @operation("project.read", target="{scene}")
    def shot_list(self, scene: str, *, version: int | None = None, script_id: str | None = None):
        """A scene's stored shot list (by printed number or uid; default the latest version)."""
        index = scripts.scene_index(self.scope, script_id)
        (uid,) = service.scene_uids(index, [scene])
        return shots_store.load_shot_list(self.scope, index.script_id, uid, version)[0]

    @operation("project.read")
    def shot_lists(self, script_id: str | None = None) -> pl.DataFrame:
        return shots_store.shot_lists_frame(self.scope, scripts.script_id_or_only(self.scope, script_id))

    @operation("script.write")
    def save_shot_list(self, shot_list, *, note: str = "edited", script_id: str | None = None) -> int:
        """Store an edited shot list (``ShotList.edited(...)``) as its scene's next version."""
        return service.save_edited_shot_list(self.scope, scripts.scene_index(self.scope, script_id), shot_list, note)

    @operation("project.read")
    def export_shot_lists(self, out: str | Path, scenes: Scenes = None, *, script_id: str | None = None) -> Path:
        """The latest shot lists as CSV or PDF (by the file's suffix)."""
        index = scripts.scene_index(self.scope, script_id)
        return service.export_shot_lists(self.scope, index, service.scene_uids(index, scenes), Path(out))

    # -- boards and animatics ----------------------------------------------------------------------------
    @operation("generation.submit")
    def make_boards(self, scenes: Scenes = None, *, script_id: str | None = None,
                    options: BoardOptions | None = None):
        """Storyboard frames for every shot of these scenes' latest shot lists (scenes without one get
        the rules' list first), made as jobs on the runner with each character's locked identity and
        scored for consistency; returns the run (frames and per-shot errors)."""
        from . import boards

        options = options or BoardOptions()
        stored = scripts.load(self.scope, script_id)
        uids = service.scene_uids(stored, scenes)
        missing = service.missing_shot_lists(self.scope, stored, uids)
        if missing:
            self._require("script.write", f"shot lists of {len(missing)} scene(s)",
                          "boarding a scene without a shot list writes its list first; ask someone who may "
                          "write the script to make the shot lists (`studio shots --make`)")
        image_jobs = self._image_jobs()  # the runner before any write: nothing is written unless frames can be made
        if missing:
            bd = preproduction.breakdown_for_planning(self.scope, self.settings, stored)
            service.make_shot_lists(self.scope, stored, bd, missing, ShotListOptions())
        return boards.make_boards(self.scope, image_jobs, self._embedder(), stored, uids, size=options.size)

    @operation("project.read")
    def board_frames(self, scene: str | None = None, *, script_id: str | None = None) -> pl.DataFrame:
        index = scripts.scene_index(self.scope, script_id)
        uid = service.scene_uids(index, [scene])[0] if scene is not None else None
        return shots_store.frames_frame(self.scope, index.script_id, uid)

    @operation("project.read")
    def export_boards(self, out: str | Path, scenes: Scenes = None, *, script_id: str | None = None) -> Path:
        """The boards of these scenes (default: every scene with a board) as one PDF."""
        stored = scripts.load(self.scope, script_id)
        return service.export_boards(self.scope, stored, service.scene_uids(stored, scenes), Path(out),
                                     named=scenes is not None)

    @operation("generation.submit")
    def make_animatic(self, scenes: Scenes = None, out: str | Path | None = None, *, script_id: str | None = None,
                      options: AnimaticOptions | None = None, progress: bool = True):
        """An animatic MP4 of these scenes (default: every scene with a board): each scene's edit played
        on its board frames, timed from the page eighths (stretched where the temp dialogue needs
        longer), every speech spoken by the profile's speech backend with a pace and pitch per
        character (the bible's voice field can set them: ``speaker=3 pitch=+4 speed=0.9``) and
        burnt in as a caption. Writes ``out`` (and an .otio of the cut beside it) atomically, keeps a
        content-addressed copy and records it. Returns ``writing.animatic.AnimaticResult``."""
        from ..generation.profile import load_backend

        if self.store.read_only:
            raise StoreError("this Studio opened the store read-only; an animatic is recorded in the store, so make it "
                             "in the process that owns the store (the notebook, `studio` command or API server)")
        stored = scripts.load(self.scope, script_id)
        uids = service.boarded(self.scope, stored, service.scene_uids(stored, scenes), named=scenes is not None)
        cast = [(row["name"], character_store.get_version(self.scope, row["character_id"]).bible)
                for row in character_store.characters_frame(self.scope).iter_rows(named=True)]
        out = Path(out) if out else service.default_animatic_path(self.settings.out_dir, stored, uids)
        speech = load_backend(self.model_profile().spec("speech"))
        return service.make_animatic(self.scope, stored, uids, service.temp_voices(cast), speech, out,
                                     self.assets_dir, options or AnimaticOptions(), progress=progress)

    @operation("project.read")
    def animatics(self, script_id: str | None = None) -> pl.DataFrame:
        return shots_store.animatics_frame(self.scope, scripts.script_id_or_only(self.scope, script_id))


__all__ = ["MIGRATIONS", "WritingOps"]
