"""The main job on the bundled sample: what `make demo` runs. It grows with every engine."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from .common.files import atomic_write
from .preproduction.options import ScheduleOptions
from .screenplay.io import save_script
from .screenplay.pagination import layout_for
from .screenplay.pdf import render_pdf
from .settings import Settings
from .studio import Studio
from .writing.options import AnimaticOptions
from .writing.reports import scene_report_html, scene_table

SAMPLE = "sample/night_train.fountain"
SAMPLE_REVISION = "sample/night_train_rev2.fountain"


def data_path(rel: str, settings: Settings) -> Path:
    """A bundled data file: the configured data folder first, then the repository's."""
    return settings.data_file(rel)


@dataclass
class DemoResult:
    out: Path
    store: Path
    files: dict[str, Path] = field(default_factory=dict)
    summary: dict = field(default_factory=dict)


def run_demo(out: Path, settings: Settings | None = None, script: Path | None = None, quiet: bool = False) -> DemoResult:
    settings = settings or Settings.from_env()
    t0 = time.perf_counter()
    out = Path(out)
    sp_dir = out / "screenplay"
    sp_dir.mkdir(parents=True, exist_ok=True)
    script = Path(script) if script else data_path(SAMPLE, settings)
    revision = None if script != data_path(SAMPLE, settings) else data_path(SAMPLE_REVISION, settings)
    # The demo owns its own store inside the output folder, rebuilt each run, so it is repeatable.
    store_path = settings.store_path or out / "studio.duckdb"
    if settings.store_path is None:
        for f in (store_path, store_path.with_name(store_path.name + ".wal")):
            f.unlink(missing_ok=True)
    res = DemoResult(out=out, store=store_path)
    project = settings.project if settings.project != "default" else "night-train"
    with Studio.open(settings, project=project, store_path=store_path) as studio:
        report = studio.ingest_script(script)
        analysis = studio.analyze_file(script)
        stem = script.stem
        res.files["pdf"] = render_pdf(analysis.screenplay, sp_dir / f"{stem}.pdf", pagination=analysis.pagination,
                                      scene_numbers=True)
        a4 = studio.analyze_file(script, paper="a4")
        res.files["pdf_a4"] = render_pdf(a4.screenplay, sp_dir / f"{stem}_a4.pdf", layout=layout_for("a4"),
                                         pagination=a4.pagination, scene_numbers=True)
        table = scene_table(analysis)
        res.files["scenes_csv"] = sp_dir / "scenes.csv"
        table.write_csv(res.files["scenes_csv"])
        res.files["scene_report"] = atomic_write(sp_dir / "scene_report.html", scene_report_html(analysis))
        res.files["stats"] = atomic_write(sp_dir / "statistics.json",
                                          json.dumps(analysis.stats.to_dict(), indent=1, ensure_ascii=False))
        res.files["fdx"] = save_script(analysis.screenplay, sp_dir / f"{stem}.fdx")
        res.files["fountain"] = save_script(analysis.screenplay, sp_dir / f"{stem}_export.fountain")
        res.summary = {
            "title": analysis.screenplay.title, "pages": analysis.stats.pages, "pages_a4": a4.stats.pages,
            "scenes": analysis.stats.scenes, "characters": len(analysis.stats.characters),
            "script_id": report.script_id, "version": report.version,
        }
        if revision is not None:
            rev = studio.ingest_script(revision, script_id=report.script_id)
            res.files["changes"] = atomic_write(sp_dir / "changes_v2.json",
                                                json.dumps(studio.changes(report.script_id, rev.version), indent=1))
            res.summary["revision"] = {"version": rev.version, **rev.summary()}
        res.summary["stored_versions"] = studio.script_versions(report.script_id).height
        _preproduction(studio, report.script_id, out / "preproduction", res)
    res.summary["seconds"] = round(time.perf_counter() - t0, 2)
    if not quiet:
        _print(res, analysis)
    return res


#: The demo's shoot starts on a fixed Monday so its calendar (and DOOD) is the same every run.
DEMO_START = date(2027, 3, 1)


def _preproduction(studio: Studio, script_id: str, out: Path, res: DemoResult) -> None:
    """Breakdown, an optimised schedule and the Day Out of Days of the latest draft."""
    from .preproduction.sheets import export, write_sheets

    bd = studio.tag_breakdown(script_id)
    res.files["breakdown_pdf"] = write_sheets(bd, out / "breakdown_sheets.pdf", studio.category_colours())
    res.files["breakdown_html"] = write_sheets(bd, out / "breakdown_sheets.html", studio.category_colours())
    res.files["breakdown_csv"] = export(bd, out / "breakdown_elements.csv")
    stored = studio.plan_schedule(script_id, start=DEMO_START, options=ScheduleOptions(time_limit_s=10.0), label="demo")
    board = studio.stripboard(script_id, stored.version)
    res.files["stripboard_csv"] = out / "stripboard.csv"
    atomic_write(res.files["stripboard_csv"], board.with_columns(
        pl.col("cast_ids").cast(pl.List(pl.Utf8)).list.join(",")).write_csv())
    dood = studio.dood(script_id, stored.version, categories=(103, 108))
    res.files["dood_xlsx"] = dood.write_xlsx(out / "day_out_of_days.xlsx", title=f"{bd.title} - Day Out of Days")
    res.files["dood_csv"] = dood.write_csv(out / "day_out_of_days.csv")
    res.files["shoot_ics"] = dood.write_ical(out / "shoot_days.ics", bd.title)
    from .preproduction import budget as bud
    from .preproduction.callsheet import write_all

    _characters(studio, script_id, out.parent / "characters", res)  # before the budget: it prices their jobs
    _writing(studio, script_id, out.parent / "writing", res)
    _review_round(studio, res)
    result = studio.plan_budget(script_id, stored.version)
    res.files["budget_pdf"] = bud.write_pdf(result, out / "budget.pdf")
    res.files["budget_xlsx"] = bud.write_xlsx(result, out / "budget.xlsx")
    res.files["budget_csv"] = bud.write_csv(result, out / "budget_top_sheet.csv")
    if script_id == "night-train":
        records = studio.settings.data_file("sample/night_train_production.toml")
        written = write_all(studio.call_sheets(records, script_id=script_id, schedule_version=stored.version),
                            out / "callsheets")
        res.files["callsheets_pdf"] = next(p for p in written if p.suffix == ".pdf")
        res.summary["callsheets"] = len(written) - 1
    res.summary["budget"] = {"total": result.grand_total, "atl": result.atl, "btl": result.btl}
    sch = stored.schedule
    res.summary["breakdown"] = {"tags": len(bd.tags), "elements": len(bd.elements())}
    res.summary["schedule"] = {"version": stored.version, "days": stored.shoot_days, "cost": sch.cost.total,
                               "lower_bound": sch.lower_bound, "gap": sch.gap, "optimal": sch.optimal,
                               "seconds": round(sch.seconds, 1), "first": stored.dates()[0].isoformat(),
                               "last": stored.dates()[-1].isoformat()}


def _characters(studio: Studio, script_id: str, out: Path, res: DemoResult) -> None:
    """The cast as characters: draft bibles from the script, identity locked from reference
    images, and a turnaround + expression sheet each, all made as generation jobs on Ray."""
    from .characters.sheets import sheet_pdf

    studio.create_characters(script_id)
    chars = studio.characters()
    sheets = []
    for cid in chars["character_id"]:
        if studio.character_version(cid).lock is None:
            studio.lock_character(cid)
        sheets.append(studio.character_sheet(cid, out.parent))
    res.files["character_sheets_pdf"] = sheet_pdf([(f"{r.character_id} v{r.version}", r.image) for r in sheets],
                                                  out / "character_sheets.pdf")
    res.files["character_sheet_png"] = sheets[0].png
    images = studio.character_images()
    jobs = studio.jobs()
    res.summary["character_engine"] = {
        "count": chars.height, "images": images.height, "drift": int(images["drift"].sum()),
        "min_score": float(images["score"].min()), "mean_score": float(images["score"].mean()),
        "jobs": jobs.height, "nodes": jobs["node_id"].n_unique()}


#: Scenes the demo boards and plays as an animatic (every scene gets a shot list).
DEMO_BOARD_SCENES = ("1", "2", "3")


def _writing(studio: Studio, script_id: str, out: Path, res: DemoResult) -> None:
    """Shot lists for every scene (coverage rules over the breakdown's props), storyboards of the
    first scenes as Ray jobs with the locked characters, the boards PDF and an animatic with temp
    dialogue."""
    t = time.perf_counter()
    lists = studio.make_shot_lists(script_id=script_id)
    res.files["shot_list_pdf"] = studio.export_shot_lists(out / "shot_list.pdf", script_id=script_id)
    res.files["shot_list_csv"] = studio.export_shot_lists(out / "shot_list.csv", script_id=script_id)
    run = studio.make_boards(list(DEMO_BOARD_SCENES), script_id=script_id)
    if run.errors:
        raise RuntimeError("storyboards: " + "; ".join(run.errors[:3]))
    res.files["boards_pdf"] = studio.export_boards(out / "storyboards.pdf", list(DEMO_BOARD_SCENES),
                                                   script_id=script_id)
    anim = studio.make_animatic(list(DEMO_BOARD_SCENES), out / "animatic.mp4", script_id=script_id,
                                options=AnimaticOptions(size=(960, 540)), progress=False)
    res.files["animatic"] = anim.path
    res.files["animatic_otio"] = anim.path.with_suffix(".otio")
    res.summary["writing"] = {
        "scenes": len(lists.shot_lists), "shots": sum(len(sl.shots) for sl in lists.shot_lists),
        "boarded_scenes": len(DEMO_BOARD_SCENES), "frames": len(run.frames),
        "min_consistency": run.min_score, "animatic_seconds": round(anim.seconds, 1),
        "animatic_lines": len(anim.timeline.lines), "render_seconds": round(anim.timings.get("total", 0.0), 1),
        "seconds": round(time.perf_counter() - t, 1)}


#: The demo's crew: person id -> (name, role in the project, department).
DEMO_CREW = {
    "ana": ("Ana Artist", "artist", "art"), "sam": ("Sam Supervisor", "supervisor", "art"),
    "dora": ("Dora Director", "supervisor", ""), "pete": ("Pete Producer", "production_manager", ""),
    "cleo": ("Cleo Client", "client", ""),
}


def _review_round(studio: Studio, res: DemoResult) -> None:
    """One review round on the generated character sheets, each person through their own Studio (so
    every step passes the permission checks): sheets published as asset versions, a design task per
    character, notes, candidate validation, the sign-off chain supervisor -> director -> producer,
    a retake, and a client playlist."""
    from .management import access

    store, tenant, project = studio.store, studio.tenant, studio.project
    known = set(studio.people()["person_id"])
    for pid, (name, role, dept) in DEMO_CREW.items():
        if pid in known:
            continue
        studio.add_person(pid, name, f"{pid}@example.com")
        studio.set_role(pid, role, department=dept)
    crew = {pid: Studio(store, tenant, project, studio.settings, user=access.principal(store, tenant, pid))
            for pid in DEMO_CREW}
    crew["pete"].set_signoff_chain([{"name": "supervisor", "role": "supervisor"},
                                    {"name": "director", "person": "dora"},
                                    {"name": "producer", "role": "production_manager"}])
    sheets = studio.character_sheets()
    chars = studio.characters()
    playlist = crew["pete"].create_playlist("Character designs for the client", for_client=True)
    approved = rejected = 0
    for k, row in enumerate(chars.iter_rows(named=True)):
        cid = row["character_id"]
        mine = sheets.filter(sheets["character_id"] == cid)
        if mine.is_empty():
            continue
        asset = crew["sam"].create_asset(f"{row['name']} character sheet", "character_sheet", entity_type="character",
                                         entity_id=cid, asset_id=f"sheet-{cid}")
        version = crew["ana"].publish_artifact(asset.asset_id, mine["artifact"][0], "png",
                                               note=f"turnaround and expressions, lock v{mine['version'][0]}")
        task = crew["sam"].create_task("character-design", "asset", asset.asset_id, name=f"Design {row['name']}",
                                       task_id=f"design-{cid}", estimate_days=2)
        crew["ana"].assign_task(task.task_id, "ana")
        crew["ana"].set_task_status(task.task_id, "wip")
        crew["ana"].set_task_status(task.task_id, "waiting_for_approval")
        sha = version.representations[0].sha256
        if k < 3:  # the leads: through the whole chain
            crew["sam"].comment(asset.asset_id, version.version, "Silhouette reads well; palette matches the bible.")
            crew["sam"].validate_candidate(asset.asset_id, version.version, sha, "validated")
            for who, step in (("sam", "supervisor"), ("dora", "director"), ("pete", "producer")):
                crew[who].sign_off(asset.asset_id, version.version, step, "approved")
            crew["sam"].set_task_status(task.task_id, "done")
            crew["pete"].add_to_playlist(playlist.playlist_id, asset.asset_id, version.version)
            crew["cleo"].comment(asset.asset_id, version.version, "Love it.", client_visible=True)
            approved += 1
        elif k == 3:  # one sent back
            crew["sam"].comment(asset.asset_id, version.version, "Wardrobe too close to the lead's; new coat please.")
            crew["sam"].validate_candidate(asset.asset_id, version.version, sha, "rejected")
            crew["sam"].sign_off(asset.asset_id, version.version, "supervisor", "rejected")
            crew["sam"].set_task_status(task.task_id, "retake")
            rejected += 1
    res.summary["review"] = {"versions": len(studio.assets(kind="character_sheet")), "approved": approved,
                             "rejected": rejected, "crew": len(DEMO_CREW),
                             "audit_events": studio.audit_log().height}


def _print(res: DemoResult, analysis) -> None:
    s = res.summary
    st = analysis.stats
    print(f"\nstudio_kit demo: {s['title']!r}")
    print(f"  {s['pages']} pages US Letter ({s['pages_a4']} A4), {s['scenes']} scenes, {s['characters']} characters, "
          f"dialogue {st.dialogue_share:.0%} of printed lines")
    leads = sorted(st.characters, key=lambda c: -c.speeches)[:5]
    top = ", ".join(f"{c.name} ({c.speeches})" for c in leads)
    print(f"  most speeches: {top}")
    if "revision" in s:
        r = s["revision"]
        parts = ", ".join(f"{k} {v}" for k, v in r.items() if k != "version" and v)
        print(f"  revised draft stored as version {r['version']}: {parts}")
    if "schedule" in s:
        b, sc = s["breakdown"], s["schedule"]
        proof = "proven optimal" if sc["optimal"] else f"{sc['gap']:.0%} above the lower bound {sc['lower_bound']:,.0f}"
        print(f"  breakdown: {b['tags']} tags, {b['elements']} elements")
        print(f"  schedule v{sc['version']}: {sc['days']} shoot days {sc['first']} .. {sc['last']}, "
              f"cost {sc['cost']:,.0f} ({proof}, {sc['seconds']} s)")
        bu = s["budget"]
        print(f"  budget: {bu['total']:,.2f} (above the line {bu['atl']:,.0f}, below {bu['btl']:,.0f})"
              + (f"; {s['callsheets']} call sheets" if "callsheets" in s else ""))
    if "character_engine" in s:
        c = s["character_engine"]
        print(f"  characters: {c['count']} locked, {c['images']} images from {c['jobs']} Ray jobs; consistency "
              f"mean {c['mean_score']:.3f}, lowest {c['min_score']:.3f}, {c['drift']} flagged as drift")
    if "writing" in s:
        w = s["writing"]
        low = f"{w['min_consistency']:.3f}" if w["min_consistency"] is not None else "n/a"
        print(f"  shot lists: {w['shots']} shots over {w['scenes']} scenes; boards of {w['boarded_scenes']} scenes "
              f"({w['frames']} frames, lowest consistency {low}); animatic {w['animatic_seconds']} s with "
              f"{w['animatic_lines']} spoken lines, rendered in {w['render_seconds']} s")
    if "review" in s:
        r = s["review"]
        print(f"  review round: {r['versions']} sheet versions published, {r['approved']} approved through "
              f"supervisor -> director -> producer, {r['rejected']} sent back for a retake; "
              f"{r['audit_events']} audit events")
    print(f"\n  database:         {res.store}  (project night-train, {s['stored_versions']} versions)")
    for label, key in [("screenplay PDF", "pdf"), ("A4 PDF", "pdf_a4"), ("scene report", "scene_report"),
                       ("scenes CSV", "scenes_csv"), ("statistics", "stats"), ("Final Draft", "fdx"),
                       ("Fountain export", "fountain"), ("revision diff", "changes"),
                       ("breakdown sheets", "breakdown_pdf"), ("breakdown HTML", "breakdown_html"),
                       ("elements CSV", "breakdown_csv"), ("stripboard", "stripboard_csv"),
                       ("Day Out of Days", "dood_xlsx"), ("DOOD CSV", "dood_csv"), ("shoot calendar", "shoot_ics"),
                       ("budget PDF", "budget_pdf"), ("budget XLSX", "budget_xlsx"), ("top sheet CSV", "budget_csv"),
                       ("call sheets", "callsheets_pdf"), ("character sheets", "character_sheets_pdf"),
                       ("a sheet (PNG)", "character_sheet_png"), ("shot list", "shot_list_pdf"),
                       ("shot list CSV", "shot_list_csv"), ("storyboards", "boards_pdf"),
                       ("animatic", "animatic"), ("animatic (OTIO)", "animatic_otio")]:
        if key in res.files:
            print(f"  {label + ':':<18}{res.files[key]}")
    print(f"\n  done in {s['seconds']} s\n")


__all__ = ["run_demo", "DemoResult", "data_path"]
