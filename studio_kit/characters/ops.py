"""The Character engine's facade on the Studio: characters from the script, bibles and their
versions, identity locks, sheets, and frames rendered with locked characters.

Images are made as jobs on the generation runner (``generation.ops`` below this facade) and every
character in every image is scored against its lock.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from .. import scripts
from ..generation.base import ImageRequest
from ..generation.ops import GenerationOps
from ..management.access import operation
from . import service
from . import store as character_store
from .bible import Character, CharacterVersion, edit_bible
from .options import LockOptions

MIGRATIONS = character_store.MIGRATIONS


class CharacterOps(GenerationOps):
    """Mixed into :class:`studio_kit.studio.Studio`; its images are jobs of the generation facade."""

    @operation("character.write")
    def create_characters(self, script_id: str | None = None, script_version: int | None = None) -> list[str]:
        """The script's cast as characters with a draft bible each; returns the ids added."""
        return service.create_characters(self.scope, scripts.load(self.scope, script_id, script_version))

    @operation("character.read")
    def characters(self) -> pl.DataFrame:
        return character_store.characters_frame(self.scope)

    @operation("character.read", target="{name_or_id}")
    def character(self, name_or_id: str) -> Character:
        """A character by id or by name as the script writes it (``MARA`` or ``mara``)."""
        return service.character_for(self.scope, name_or_id)

    @operation("character.read", target="{character_id}")
    def character_version(self, character_id: str, version: int | None = None) -> CharacterVersion:
        """A version of the character's bible (and lock), the latest by default."""
        return character_store.get_version(self.scope, self._character_id(character_id), version)

    @operation("character.read", target="{character_id}")
    def character_versions(self, character_id: str) -> pl.DataFrame:
        return character_store.versions_frame(self.scope, self._character_id(character_id))

    @operation("character.write", target="{character_id}")
    def edit_character(self, character_id: str, note: str = "edited", **changes: Any) -> CharacterVersion:
        """Change bible fields; a locked character gets a new draft version (its images are kept,
        and read back as stale once the new version is locked)."""
        cid = self._character_id(character_id)
        current = character_store.get_version(self.scope, cid)
        return character_store.save_bible(self.scope, cid, edit_bible(current.bible, **changes), note)

    @operation("character.write", target="{character_id}")
    def lock_character(self, character_id: str, *, options: LockOptions | None = None) -> CharacterVersion:
        """Lock the latest version: reference images rendered from its bible, embedded, and the
        seed, references, embedding, prompt, wardrobe and palette frozen."""
        return service.lock_character(self.scope, self._image_jobs(), self._embedder(),
                                      self._character_id(character_id), options or LockOptions())

    @operation("character.write", target="{character_id}")
    def character_sheet(self, character_id: str, out_dir: str | Path | None = None) -> service.SheetResult:
        """A turnaround + expression sheet of the locked version, scored for consistency and stored."""
        return service.make_sheet(self.scope, self._image_jobs(), self._embedder(), self._character_id(character_id),
                                  Path(out_dir or self.settings.out_dir) / "characters", self.assets_dir)

    @operation("character.read")
    def character_sheets(self, character_id: str | None = None) -> pl.DataFrame:
        """Stored sheets (content-addressed PNGs) per character version."""
        return character_store.sheets_frame(self.scope, self._character_id(character_id) if character_id else None)

    @operation("character.read")
    def character_images(self, character_id: str | None = None, kind: str | None = None) -> pl.DataFrame:
        """Every recorded image of the cast (references, sheets, shots) with its consistency score."""
        cid = self._character_id(character_id) if character_id else None
        return character_store.images_frame(self.scope, cid, kind)

    @operation("generation.submit")
    def render_character_shot(self, request: ImageRequest, character_ids: list[str], *, key: str, scene: str = "",
                              label: str = "shot", story_day: int | None = None,
                              shot_index: int = 0) -> tuple[service.Rendered, dict[str, float]]:
        """One frame with locked characters, scored per character (consistency) and recorded."""
        ids = [self._character_id(c) for c in character_ids]
        return service.render_shot(self.scope, self._image_jobs(), self._embedder(), request, ids, key=key,
                                   scene=scene, label=label, story_day=story_day, shot_index=shot_index)

    # -- resources for the engines above (not operations) ----------------------------------------------
    def _character_id(self, name_or_id: str) -> str:
        return service.character_for(self.scope, name_or_id).character_id

    def _image_jobs(self) -> service.RunnerImageJobs:
        return service.RunnerImageJobs(self._runner())


__all__ = ["MIGRATIONS", "CharacterOps"]
