"""Assets: publish chain, content addressing, idempotent re-publish, media metadata, vendor filtering."""

from __future__ import annotations

import hashlib

import pytest

from studio_kit.common.errors import NotFound
from studio_kit.management import assets
from studio_kit.management.access import AccessDenied
from studio_kit.store import artifacts

from .conftest import PROJECT, S, png_bytes, wav_bytes

_PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >> endobj\n"
        b"3 0 obj << /Type /Page /Parent 2 0 R >> endobj\n4 0 obj << /Type /Page /Parent 2 0 R >> endobj\n"
        b"trailer << /Root 1 0 R >>\n%%EOF\n")


@pytest.fixture
def board(world):
    pm = world.studio("pm")
    pm.create_task("storyboard", "shot", "12a", task_id="board-12a")
    return pm.create_asset("Board 12A", "board", entity_type="shot", entity_id="12a", task_id="board-12a")


def test_publish_chain_content_addressed_with_metadata(world, board, tmp_path):
    art = world.studio("art")
    img, snd = png_bytes(32, 18), wav_bytes(0.5, 8000)
    (tmp_path / "mix.wav").write_bytes(snd)
    v = art.publish_asset(board.asset_id, [("frame.png", img), tmp_path / "mix.wav", ("script.pdf", _PDF)], "first pass")
    assert (v.version, v.author, v.note, v.status) == (1, "art", "first pass", "pending")
    reps = {r.name: r for r in v.representations}
    assert set(reps) == {"frame.png", "mix.wav", "script.pdf"}
    png = reps["frame.png"]
    assert png.sha256 == hashlib.sha256(img).hexdigest() and png.size == len(img) and png.mime == "image/png"
    assert (png.width, png.height) == (32, 18)
    assert png.path == str(world.assets_dir / png.sha256[:2] / f"{png.sha256}.png")
    assert artifacts.verify(png.path)
    assert (reps["mix.wav"].sample_rate, reps["mix.wav"].duration_s) == (8000, 0.5)
    assert reps["script.pdf"].pages == 2 and reps["script.pdf"].mime == "application/pdf"
    assert art.asset_version(board.asset_id, 1) == v


def test_republish_identical_content_is_idempotent(world, board):
    art = world.studio("art")
    v1 = art.publish_asset(board.asset_id, [("a.png", png_bytes())])
    again = art.publish_asset(board.asset_id, [("a.png", png_bytes())], "retry")
    assert again.version == 1 and again.created_at == v1.created_at
    v2 = art.publish_asset(board.asset_id, [("a.png", png_bytes(colour=(0, 0, 255)))])
    assert v2.version == 2
    assert art.asset_versions(board.asset_id)["version"].to_list() == [1, 2]
    # the same file in two versions is stored once
    v3 = art.publish_asset(board.asset_id, [("a.png", png_bytes()), ("b.png", png_bytes(4, 4))])
    assert v3.version == 3 and v3.representations[0].path == v1.representations[0].path
    assert len(list(world.assets_dir.rglob("*.png"))) == 3


def test_publish_is_one_transaction(world, board):
    with pytest.raises(assets.AssetError, match="not a readable image"):
        world.studio("art").publish_asset(board.asset_id, [("ok.png", png_bytes()), ("bad.png", b"not an image")])
    assert world.studio("art").asset_versions(board.asset_id).is_empty()
    with pytest.raises(assets.AssetError, match="no extension"):
        world.studio("art").publish_asset(board.asset_id, [("README", b"x")])
    with pytest.raises(assets.AssetError, match="at least one file"):
        world.studio("art").publish_asset(board.asset_id, [])


def test_publish_artifact_registers_a_generated_output(world, board):
    data = png_bytes(16, 16)
    art = artifacts.put(world.assets_dir, data, "png")
    sheet = world.studio("sup").create_asset("Mara sheet", "character_sheet", entity_type="character",
                                             entity_id="mara")
    v = world.studio("sup").publish_artifact(sheet.asset_id, art.sha256, "png", "from job 42")
    assert v.version == 1 and v.representations[0].sha256 == art.sha256
    assert (v.representations[0].width, v.representations[0].height) == (16, 16)
    assert world.studio("sup").publish_artifact(sheet.asset_id, art.sha256, "png").version == 1
    with pytest.raises(assets.AssetError, match="is missing"):
        world.studio("sup").publish_artifact(sheet.asset_id, "0" * 64, "png")
    art.path.write_bytes(b"tampered")
    with pytest.raises(assets.AssetError, match="does not match"):
        world.studio("sup").publish_artifact(sheet.asset_id, art.sha256, "png", "again")
    assert world.studio("pm").assets(kind="character_sheet")["asset_id"].to_list() == [sheet.asset_id]


def test_bad_kind_and_unknown_task(world):
    with pytest.raises(assets.AssetError, match="kind 'poster'"):
        world.studio("pm").create_asset("x", "poster")
    with pytest.raises(assets.AssetError, match="task 'nope'"):
        world.studio("pm").create_asset("x", "image", task_id="nope")


def test_vendor_sees_only_assets_of_their_tasks_list_filters_like_detail(world, board):
    pm, ven = world.studio("pm"), world.studio("ven")
    pm.publish_asset(board.asset_id, [("a.png", png_bytes())])
    pm.create_task("mix", "scene", "4", task_id="mix-4")
    mix = pm.create_asset("Mix sc4", "mix", entity_type="scene", entity_id="4", task_id="mix-4")
    pm.create_task("character-design", "asset", mix.asset_id, task_id="design-on-asset")
    assert ven.assets().is_empty()
    with pytest.raises(AccessDenied, match="vendors see only assets"):
        ven.asset(board.asset_id)
    with pytest.raises(AccessDenied):
        ven.asset_versions(board.asset_id)
    with pytest.raises(AccessDenied):
        ven.publish_asset(board.asset_id, [("v.png", png_bytes(2, 2))])
    with pytest.raises(AccessDenied, match="only on a task assigned"):
        ven.create_asset("mine", "image")
    pm.assign_task("board-12a", "ven")
    pm.assign_task("design-on-asset", "ven")  # a task whose entity is the asset links it too
    listed = set(ven.assets()["asset_id"])
    assert listed == {board.asset_id, mix.asset_id}
    assert ven.asset_versions(board.asset_id)["version"].to_list() == [1]
    assert ven.publish_asset(board.asset_id, [("v.png", png_bytes(2, 2))]).version == 2
    for asset_id in pm.assets()["asset_id"]:
        assert ven.asset(asset_id).asset_id in listed
    assert world.audit("asset.read", "refused")[-1]["actor"] == "ven"


def test_clients_non_members_and_other_tenants_see_no_assets(world, board):
    with pytest.raises(AccessDenied, match="may not asset.read"):
        world.studio("cli").assets()
    with pytest.raises(AccessDenied, match="not a member"):
        world.studio("outsider").asset(board.asset_id)
    g = S(world.store, "globex", PROJECT, world.settings, user=world.who["spy"])
    assert g.assets().is_empty()
    with pytest.raises(NotFound, match="no asset"):
        g.asset(board.asset_id)
    with pytest.raises(AccessDenied, match="not a project of your tenant"):
        assets.list_assets(world.scope, world.who["spy"])
