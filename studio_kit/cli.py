"""`studio`: the workbench from a terminal. Thin commands over Studio methods and pure functions."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .common.errors import Invalid, StudioError
from .settings import Settings

EPILOG = """
examples:
  studio demo                               run the whole sample production into ./out
  studio parse script.fountain --json       the parsed screenplay as JSON
  studio ingest script.fountain -p my-film  store a new version, report changed scenes
  studio scenes -p my-film                  the scene list of the latest version
  studio pdf script.fountain -o script.pdf  a paginated PDF (Courier 12, industry margins)
  studio export script.fountain -o s.fdx    convert between Fountain and Final Draft
  studio breakdown -p my-film --sheets b.pdf tag every scene's elements; breakdown sheets
  studio tag merge GUN --into REVOLVER --category 104 -p my-film   correct the breakdown
  studio schedule -p my-film --start 2027-03-01   optimised shooting schedule (stored as a version)
  studio dood -p my-film -o dood.xlsx -o shoot.ics Day Out of Days and the shoot calendar
  studio budget -p my-film -o budget.pdf     the budget of the latest schedule (top sheet, PDF/XLSX/CSV)
  studio callsheets -p my-film --records prod.toml   a call sheet per shoot day
  studio characters create -p my-film       the cast as characters with draft bibles
  studio characters lock --all -p my-film   lock every character's identity (reference images)
  studio characters sheets --all -p my-film turnaround + expression sheets, scored for consistency
  studio jobs -p my-film                    generation jobs: status, node, GPU, time
  studio develop --logline "..." -p my-film  logline -> beats -> outline -> Fountain scenes -> dialogue
  studio shots --make -o shots.pdf -p my-film   shot lists for every scene (coverage rules)
  studio boards --scene 1 -o boards.pdf -p my-film   storyboard frames with locked characters
  studio animatic --scene 1 -o a.mp4 -p my-film      the boards played with temp dialogue
  studio serve api                          the HTTP API on 127.0.0.1:8765 (the store's one writer)
  studio talent film103.dzn --json          solve a talent-scheduling benchmark instance

settings come from the environment: STUDIO_STORE (database file), STUDIO_DATA_DIR, STUDIO_OUT,
STUDIO_TENANT, STUDIO_PROJECT, STUDIO_PAPER (letter/a4), RAY_ADDRESS, STUDIO_MODEL_PROFILE,
STUDIO_LLM_API_KEY (for --llm-endpoint).
"""


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        store_path=getattr(args, "store", None), tenant=getattr(args, "tenant", None),
        project=getattr(args, "project", None), paper=getattr(args, "paper", None),
        model_profile=getattr(args, "profile", None),
    )


def _studio(args: argparse.Namespace, read_only: bool = False):
    from .studio import Studio

    return Studio.open(_settings(args), read_only=read_only)


def cmd_parse(args: argparse.Namespace) -> int:
    from .screenplay.analysis import analyze, load_script
    from .screenplay.pagination import layout_for

    a = analyze(load_script(args.file, encoding=args.encoding), layout_for(args.paper or "letter"))
    if args.json:
        json.dump(a.to_dict(), sys.stdout, ensure_ascii=False, indent=None if args.compact else 1)
        sys.stdout.write("\n")
    else:
        _print_summary(a)
    return 0


def _print_summary(a) -> None:
    st = a.stats
    print(f"{a.screenplay.title or a.screenplay.source}: {st.pages} pages (~{st.minutes:.0f} min), {st.scenes} scenes")
    print(f"  INT/EXT {st.by_int_ext}   D/N {st.by_day_night}")
    print(f"  dialogue {st.dialogue_share:.0%} / action {st.action_share:.0%} of printed lines, {st.words} words")
    print("  characters (speeches, scenes):")
    for c in st.characters[:12]:
        print(f"    {c.name:<24} {c.speeches:>4} {len(c.scenes):>4}")


def cmd_ingest(args: argparse.Namespace) -> int:
    with _studio(args) as studio:
        r = studio.ingest_script(args.file, script_id=args.script_id, encoding=args.encoding)
        if not r.created:
            print(f"{args.file}: unchanged, already version {r.version} of {r.script_id!r}; nothing stored")
            return 0
        print(f"{args.file}: stored {r.script_id!r} version {r.version} in project {studio.project!r} "
              f"({r.pages} pages, {r.scenes} scenes) -> {studio.store.path}")
        if r.version > 1 and r.diff:
            print("  changes:", ", ".join(f"{k} {v}" for k, v in r.diff.summary().items() if v))
            for c in r.diff.changes:
                if c.kind != "unchanged":
                    print(f"    {c.kind:<14} {c.old_number or '-':>5} -> {c.new_number or '-':<5} "
                          f"{c.new_heading or c.old_heading}")
    return 0


def cmd_scenes(args: argparse.Namespace) -> int:
    import polars as pl

    with _studio(args, read_only=True) as studio:
        df = studio.scenes(args.script, args.version).with_columns(pl.col("characters").list.join(", "))
        if args.csv:
            df.write_csv(sys.stdout)
        else:
            with pl.Config(tbl_rows=-1, tbl_cols=-1, fmt_str_lengths=40, tbl_width_chars=160):
                print(df.select("number", "int_ext", "location", "day_night", "page_start", "eighths", "characters"))
    return 0


def cmd_versions(args: argparse.Namespace) -> int:
    import polars as pl

    with _studio(args, read_only=True) as studio, pl.Config(tbl_rows=-1, fmt_str_lengths=80, tbl_width_chars=160):
        print(studio.script_versions(args.script))
    return 0


def cmd_pdf(args: argparse.Namespace) -> int:
    from .screenplay.analysis import load_script
    from .screenplay.pagination import layout_for, paginate
    from .screenplay.pdf import render_pdf

    sp = load_script(args.file, encoding=args.encoding)
    layout = layout_for(args.paper or "letter")
    out = Path(args.output or Path(args.file).with_suffix(".pdf"))
    pag = paginate(sp, layout)
    render_pdf(sp, out, layout=layout, pagination=pag, scene_numbers=args.scene_numbers)
    print(f"{out}: {pag.page_count} pages ({layout.name})")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from .screenplay.analysis import load_script
    from .screenplay.io import save_script

    sp = load_script(args.file, encoding=args.encoding)
    out = save_script(sp, args.output)
    print(f"{out}: written ({len(sp.elements)} elements)")
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    from .screenplay.synthetic import write_synthetic

    out = write_synthetic(args.pages, args.output, seed=args.seed)
    print(f"{out}: synthetic script of about {args.pages} pages (seed {args.seed})")
    return 0


def cmd_snapshot(args: argparse.Namespace) -> int:
    from .store import Store
    from .studio import ALL_MIGRATIONS

    s = _settings(args)
    with Store.open(s.store, migrations=ALL_MIGRATIONS) as store:
        out = store.snapshot(args.output)
    print(f"{out}: snapshot of {s.store}; open it read-only from any number of processes")
    return 0


def cmd_talent(args: argparse.Namespace) -> int:
    from .preproduction.talent import read_instance, solve

    inst = read_instance(args.file)
    sol = solve(inst, time_limit=args.time_limit)
    result = {
        "instance": inst.name, "scenes": inst.scenes, "actors": inst.actors,
        "total_cost": sol.cost, "idle_cost": sol.cost - inst.fixed_cost(), "lower_bound": sol.lower_bound,
        "optimal": sol.optimal, "gap": round(sol.gap, 6), "order": [i + 1 for i in sol.order],
        "seconds": round(sol.seconds, 4), "method": sol.method, "merged_scenes": sol.merged_scenes,
    }
    if args.json:
        print(json.dumps(result))
    else:
        status = "proven optimal" if sol.optimal else f"gap {sol.gap:.1%} to lower bound {sol.lower_bound}"
        print(f"{inst.name}: cost {sol.cost} ({status}), {sol.seconds:.3f} s, {sol.method}")
        print("  order:", " ".join(map(str, result["order"])))
    return 0


def cmd_breakdown(args: argparse.Namespace) -> int:
    from .preproduction.categories import category_name
    from .preproduction.options import BreakdownOptions
    from .preproduction.sheets import export, write_sheets

    with _studio(args) as studio:
        sid = studio.script_id(args.script)
        if args.retag or args.embeddings or args.llm_endpoint:
            bd = studio.tag_breakdown(sid, args.version, options=BreakdownOptions(
                embeddings=args.embeddings, llm_endpoint=args.llm_endpoint, llm_model=args.llm_model))
        else:
            bd = studio.breakdown(sid, args.version)
            if not bd.stored:  # never tagged: tag it now and store the tags
                bd = studio.tag_breakdown(sid, args.version)
        counts: dict[int, set[str]] = {}
        for t in bd.tags:
            counts.setdefault(t.category_id, set()).add(t.name)
        print(f"{bd.title or sid}: {len(bd.scenes)} scenes, {len(bd.tags)} tags, {len(bd.elements())} elements")
        for cid in sorted(counts):
            names = sorted(counts[cid])
            more = f", ... (+{len(names) - 6})" if len(names) > 6 else ""
            print(f"  {cid:>3} {category_name(cid):<20} {len(names):>4}  {', '.join(names[:6])}{more}")
        for note in bd.notes:
            print(f"  note: {note}")
        for edit, why in bd.unapplied:
            print(f"  edit not applied: {edit.kind} {edit.name!r}: {why}")
        for path in args.sheets or []:
            print(f"  breakdown sheets: {write_sheets(bd, path, studio.category_colours())}")
        for path in args.export or []:
            print(f"  elements: {export(bd, path)}")
    return 0


def cmd_tag(args: argparse.Namespace) -> int:
    from .preproduction.breakdown import Edit

    with _studio(args) as studio:
        sid = studio.script_id(args.script)
        uid = None
        if args.scene:
            scenes = studio.scenes(sid)
            hit = scenes.filter(scenes["number"] == args.scene)
            if hit.is_empty():
                raise Invalid(f"scene {args.scene!r} is not in the latest version of {sid!r}; see `studio scenes`")
            uid = hit["scene_uid"][0]
        edit = Edit(args.kind, args.category, args.name.upper(), scene_uid=uid,
                    target_name=args.into.upper() if args.into else None, new_category=args.to_category,
                    count=args.count, note=args.note or "")
        eid = studio.edit_breakdown(edit, script_id=sid)
        print(f"edit {eid} stored: {args.kind} {edit.name!r} "
              f"({'scene ' + args.scene if args.scene else 'every scene'}); it applies to every later draft too")
    return 0


def _dates(values: list[str] | None, what: str) -> list:
    from datetime import date

    out = []
    for v in values or []:
        try:
            out.append(date.fromisoformat(v))
        except ValueError:
            raise Invalid(f"{what}: {v!r} is not a date; write it as YYYY-MM-DD") from None
    return out


def _weekdays(text: str) -> tuple[int, ...]:
    parts = [p.strip() for p in text.split(",")]
    if not all(p.isdigit() for p in parts):
        raise Invalid(f"--weekdays {text!r}: give day numbers 0 (Monday) .. 6 (Sunday), e.g. 0,1,2,3,4")
    return tuple(int(p) for p in parts)


def cmd_schedule(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from .preproduction.calendar import ShootCalendar
    from .preproduction.options import ScheduleOptions
    from .screenplay.model import format_eighths

    unavailable: dict[str, list] = {}
    for spec in args.unavailable or []:
        name, _, days = spec.partition("=")
        if not days:
            raise Invalid(f"--unavailable {spec!r}: write NAME=YYYY-MM-DD[,YYYY-MM-DD...]")
        unavailable.setdefault(name.strip().upper(), []).extend(_dates(days.split(","), f"--unavailable {name}"))
    places: dict[str, list] = {}
    for spec in args.location_unavailable or []:
        name, _, days = spec.rpartition("=")
        if not name or not days:
            raise Invalid(f"--location-unavailable {spec!r}: write LOCATION=YYYY-MM-DD[,YYYY-MM-DD...]")
        places.setdefault(name.strip().upper(), []).extend(_dates(days.split(","), f"--location-unavailable {name}"))
    fixed = {}
    for spec in args.fix or []:
        number, _, day = spec.partition("=")
        fixed[number.strip()] = _dates([day], f"--fix {number}")[0]
    start = _dates([args.start], "--start")[0]
    weekdays = _weekdays(args.weekdays) if args.weekdays else ScheduleOptions().weekdays
    cal = ShootCalendar(start, weekdays, set(_dates(args.holiday, "--holiday")))
    with _studio(args) as studio:
        weights = replace(studio.schedule_weights(), **{k: v for k, v in {
            "shoot_day": args.day_cost, "company_move": args.move_cost,
            "day_night_switch": args.day_night_cost, "overtime_hour": args.overtime_cost,
        }.items() if v is not None})
        options = ScheduleOptions(capacity_eighths=args.capacity, capacity_hours=args.hours,
                                  time_limit_s=args.time_limit, weekdays=weekdays, drop_pickup=args.drop_pickup,
                                  weights=weights)
        st = studio.plan_schedule(args.script, start=start, calendar=cal, options=options, unavailable=unavailable,
                                  fixed=fixed, location_unavailable=places, label=args.label or "")
        sch, c = st.schedule, st.schedule.cost
        proof = "proven optimal" if sch.optimal else f"gap {sch.gap:.1%} to lower bound {sch.lower_bound:,.0f}"
        print(f"{st.script_id}: schedule version {st.version}: {st.shoot_days} shoot days from {st.dates()[0]}, "
              f"cost {c.total:,.0f} ({proof}; {sch.seconds:.1f} s)")
        print(f"  shoot days {c.day_cost:,.0f}, cast pay {c.cast_pay:,.0f} ({c.hold_days} hold days), "
              f"{c.company_moves} company moves "
              f"({c.move_cost:,.0f}), {c.day_night_switches} day/night switches, {c.overtime_hours:g} h overtime")
        for d, (day, when) in enumerate(zip(sch.days, st.dates(), strict=True), start=1):
            eighths = sum(s.eighths for s in day)
            print(f"  Day {d:>2} {when:%a %d %b}: {format_eighths(eighths):>6} pp  "
                  + " ".join(f"{s.number}{'N' if s.day_night == 'N' else ''}" for s in day))
    return 0


def cmd_schedules(args: argparse.Namespace) -> int:
    import polars as pl

    with _studio(args, read_only=True) as studio, pl.Config(tbl_rows=-1, tbl_width_chars=160):
        if args.compare:
            a, b = args.compare
            diff = studio.compare_schedules(a, b, script_id=args.script)
            print(f"schedule {a} -> {b}")
            for term, v in diff["terms"].items():
                if v["delta"]:
                    print(f"  {term:<20} {v['a']:>12,.1f} {v['b']:>12,.1f} {v['delta']:>+12,.1f}")
            for uid, (da, db) in list(diff["moved_scenes"].items())[:40]:
                print(f"  scene {uid[:8]} moved from day {da} to day {db}")
        else:
            print(studio.schedules(args.script))
    return 0


def cmd_dood(args: argparse.Namespace) -> int:
    with _studio(args, read_only=True) as studio:
        stored = studio.schedule(args.script, args.version)
        dood = studio.dood(args.script, args.version, categories=tuple(args.category or ()))
        for row in dood.rows:
            t = row.totals
            print(f"  {row.element.element_id:>4} {row.element.name:<22} work {t.work:>3} hold {t.hold:>3} "
                  f"paid {t.paid_days:>3}  day {t.start_day} -> {t.finish_day}")
        title = stored.script_id
        for path in args.output or []:
            suffix = path.suffix.lower()
            if suffix == ".csv":
                dood.write_csv(path)
            elif suffix == ".xlsx":
                dood.write_xlsx(path, title=f"{title} - Day Out of Days")
            elif suffix == ".ics":
                dood.write_ical(path, title)
            else:
                raise Invalid(f"{path}: write .csv, .xlsx or .ics")
            print(f"  written: {path}")
    return 0


def cmd_budget(args: argparse.Namespace) -> int:
    from .preproduction import budget as bud
    from .preproduction.options import BudgetOptions

    options = BudgetOptions(prep_weeks=args.prep_weeks, wrap_weeks=args.wrap_weeks, contingency_pct=args.contingency,
                            overhead_pct=args.overhead, bond_pct=args.bond)
    with _studio(args, read_only=not args.save) as studio:
        res = studio.plan_budget(args.script, args.version, options=options)
        print(f"{res.budget.title}: budget of schedule {studio.schedule(args.script, args.version).version}")
        if args.save:
            saved = studio.save_budget(args.script, args.version, options=options, label=args.save)
            print(f"  stored as budget version {saved.version} ({saved.label})")
        for acc in res.top_sheet.filter(res.top_sheet["total"] != 0).iter_rows(named=True):
            print(f"  {acc['account']:>5} {acc['name']:<28} {acc['total']:>14,.2f}")
        for label, amount in res.summary().iter_rows():
            print(f"  {label:<34} {amount:>14,.2f}")
        if args.compare is not None:
            other = studio.plan_budget(args.script, args.compare, options=options)
            d = bud.diff(other, res)
            print(f"  compared with schedule {args.compare}:")
            for line in bud.explain(d, studio.budget_inputs(args.script, args.compare, options=options),
                                    studio.budget_inputs(args.script, args.version, options=options)):
                print(f"    {line}")
        for path in args.output or []:
            suffix = path.suffix.lower()
            writer = {".pdf": bud.write_pdf, ".xlsx": bud.write_xlsx, ".csv": bud.write_csv}.get(suffix)
            if writer is None:
                raise Invalid(f"{path}: write .pdf, .xlsx or .csv")
            print(f"  written: {writer(res, path)}")
        for path in args.detail_csv or []:
            print(f"  detail lines: {bud.write_detail_csv(res, path)}")
    return 0


def cmd_budgets(args: argparse.Namespace) -> int:
    import polars as pl

    with _studio(args, read_only=True) as studio, pl.Config(tbl_rows=-1, tbl_width_chars=160):
        if args.compare:
            d, notes = studio.compare_budgets(*args.compare, script_id=args.script)
            print(d.filter(pl.col("delta") != 0))
            for n in notes:
                print(f"  {n}")
        else:
            print(studio.budgets(args.script))
    return 0


def cmd_callsheets(args: argparse.Namespace) -> int:
    from .preproduction.callsheet import write_all

    with _studio(args, read_only=True) as studio:
        sheets = studio.call_sheets(args.records, script_id=args.script, schedule_version=args.version)
        for path in write_all(sheets, args.out):
            print(f"  {path}")
        print(f"{len(sheets)} call sheets written to {args.out}")
    return 0


def cmd_characters(args: argparse.Namespace) -> int:
    import polars as pl

    from .characters.options import LockOptions
    from .characters.sheets import sheet_pdf

    read_only = args.action == "list"
    with _studio(args, read_only=read_only) as studio, pl.Config(tbl_rows=-1, tbl_width_chars=160):
        if args.action == "create":
            added = studio.create_characters(args.script)
            print(f"{len(added)} new character(s): {', '.join(added) or '-'}")
            print(studio.characters())
            return 0
        if args.action == "list":
            print(studio.characters())
            return 0
        names = args.names or ([] if not args.all else studio.characters()["character_id"].to_list())
        if not names:
            print("name one or more characters (or --all)", file=sys.stderr)
            return 2
        if args.action == "lock":
            for n in names:
                v = studio.lock_character(n, options=LockOptions(seed=args.seed, seed_policy=args.seed_policy,
                                                                 threshold=args.threshold))
                print(f"{v.character_id}: version {v.version} locked (seed {v.lock.seed}, threshold "
                      f"{v.lock.threshold:.2f}, {len(v.lock.reference_images)} reference images)")
            return 0
        if args.action == "sheets":
            out = Path(args.out)
            results = [studio.character_sheet(n, out) for n in names]
            for r in results:
                low = min(r.scores.values())
                print(f"  {r.png}  (v{r.version}, lowest consistency {low:.3f}"
                      f"{', drift: ' + ', '.join(r.drift) if r.drift else ''})")
            pdf = sheet_pdf([(f"{r.character_id} v{r.version}", r.image) for r in results], out / "character_sheets.pdf")
            print(f"  {pdf}")
            return 0
        if args.action == "edit":
            changes = {}
            for kv in args.set or []:
                key, _, value = kv.partition("=")
                if not _:
                    print(f"--set {kv!r}: use FIELD=VALUE", file=sys.stderr)
                    return 2
                changes[key] = value.split(",") if key == "palette" else (_number(value, kv) if key == "height" else value)
            for n in names:
                v = studio.edit_character(n, note=args.note or "edited", **changes)
                print(f"{v.character_id}: version {v.version} (draft; lock it to use it)")
            return 0
    return 2


def _number(text: str, option: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise Invalid(f"--set {option!r}: {text!r} is not a number") from None


def _size(text: str, option: str) -> tuple[int, int]:
    """WIDTHxHEIGHT as two whole numbers, or an error naming the option and the form wanted."""
    parts = text.lower().split("x")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise Invalid(f"{option} {text!r}: give WIDTHxHEIGHT in pixels, e.g. 1280x720")
    return int(parts[0]), int(parts[1])


def cmd_develop(args: argparse.Namespace) -> int:
    from .writing.develop import Premise
    from .writing.options import DevelopOptions

    with _studio(args) as studio:
        if args.run:
            target = args.run
        else:
            if not args.logline:
                print("give a logline (--logline) to start a run, or --run RUN_ID to re-run one", file=sys.stderr)
                return 2
            target = Premise.make(args.title or "Untitled", args.logline, target_pages=args.pages)
        res = studio.develop(target, start_at=args.start_at, scenes=args.scene or None,
                             options=DevelopOptions(target_pages=args.pages, mode=args.mode), progress=True)
        print(f"run {res.run_id} ({res.mode}): stored " + ", ".join(f"{k} v{v}" for k, v in res.stored.items()))
        for step, rep in res.scripts.items():
            print(f"  script {rep.script_id} v{rep.version} after {step}")
        for m in res.messages() + res.warnings:
            print(f"  ! {m}")
        return 0 if res.stopped_at is None else 1


def cmd_shots(args: argparse.Namespace) -> int:
    import polars as pl

    from .writing import shots as shots_mod
    from .writing.options import ShotListOptions

    with _studio(args, read_only=not args.make) as studio, pl.Config(tbl_rows=-1, tbl_width_chars=180):
        if args.make:
            run = studio.make_shot_lists(args.scene or None, script_id=args.script,
                                         options=ShotListOptions(mode=args.mode), progress=True)
            print(f"{len(run.shot_lists)} shot lists stored ({sum(len(sl.shots) for sl in run.shot_lists)} shots)")
            for e in run.errors:
                print(f"  ! {e}")
        for out in args.output or []:
            print(f"  {studio.export_shot_lists(out, args.scene or None, script_id=args.script)}")
        if not args.make and not args.output:
            if args.scene:
                for n in args.scene:
                    print(pl.DataFrame(shots_mod.rows([studio.shot_list(n, script_id=args.script)])))
            else:
                print(studio.shot_lists(args.script))
    return 0


def cmd_boards(args: argparse.Namespace) -> int:
    from .writing.options import BoardOptions

    with _studio(args) as studio:
        run = studio.make_boards(args.scene or None, script_id=args.script,
                                 options=BoardOptions(size=_size(args.size, "--size")))
        low = f"{run.min_score:.3f}" if run.min_score is not None else "n/a"
        drift = sum(1 for f in run.frames if f.drift)
        print(f"{len(run.frames)} frames, lowest consistency {low}, {drift} with drift")
        for e in run.errors:
            print(f"  ! {e}")
        if args.output and run.frames:
            scenes = sorted({f.scene_number for f in run.frames}, key=lambda n: (len(n), n))
            print(f"  {studio.export_boards(args.output, scenes, script_id=args.script)}")
        return 0 if not run.errors else 1


def cmd_animatic(args: argparse.Namespace) -> int:
    from .writing.options import AnimaticOptions

    with _studio(args) as studio:
        res = studio.make_animatic(args.scene or None, args.output, script_id=args.script,
                                   options=AnimaticOptions(fps=args.fps, size=_size(args.size, "--size")))
        t = res.timings.get("total", 0.0)
        print(f"{res.path}: {res.seconds:.1f} s, {res.frames} frames, {len(res.timeline.lines)} spoken lines, "
              f"rendered in {t:.1f} s ({res.seconds / t if t else 0:.1f}x real time)")
        print(f"  {res.path.with_suffix('.otio')}")
    return 0


def cmd_jobs(args: argparse.Namespace) -> int:
    import polars as pl

    with _studio(args, read_only=not args.cancel) as studio, pl.Config(tbl_rows=-1, tbl_width_chars=160):
        if args.cancel:
            for j in args.cancel:
                print(f"{j}: {studio.cancel_job(j)}")
            return 0
        jobs = studio.jobs(args.status)
        cols = [c for c in ("job_id", "task", "model", "status", "attempts", "node_id", "gpu_kind", "seconds",
                            "error") if c in jobs.columns]
        print(jobs.select(cols))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .api.serve import main as serve_api

    rest = ["--host", args.host, "--port", str(args.port)] + (["--store", str(args.store)] if args.store else [])
    return serve_api(rest)


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    run_demo(Path(args.out), settings=_settings(args), script=args.script)
    return 0


def build_parser() -> argparse.ArgumentParser:
    # Every default below comes from the engines' options objects (one home per default).
    from .characters.options import SEED_POLICIES, LockOptions
    from .preproduction.options import BudgetOptions, ScheduleOptions
    from .writing.options import (
        DEVELOP_MODES,
        SHOT_LIST_MODES,
        AnimaticOptions,
        BoardOptions,
        DevelopOptions,
        ShotListOptions,
    )

    sched, budget, lock = ScheduleOptions(), BudgetOptions(), LockOptions()
    board, anim, dev = BoardOptions(), AnimaticOptions(), DevelopOptions()
    p = argparse.ArgumentParser(
        prog="studio",
        description="studio_kit: an open workbench for making films with AI.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, func, help: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help, description=help)
        sp.set_defaults(func=func)
        return sp

    def store_opts(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("-p", "--project", help="project id, e.g. night-train (default: $STUDIO_PROJECT or 'default')")
        sp.add_argument("--tenant", help="tenant (company) id (default: $STUDIO_TENANT or 'local')")
        sp.add_argument("--store", type=Path, help="DuckDB file (default: $STUDIO_STORE or data/store/studio.duckdb)")
        sp.add_argument("--profile", type=Path, help="model profile (.toml/.yaml) naming the backend and model per task "
                        "(default: $STUDIO_MODEL_PROFILE or the embedded defaults); see data/profiles/")

    def file_opts(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("file", type=Path, help="a .fountain or .fdx screenplay")
        sp.add_argument("--encoding", default="utf-8", help="text encoding of a Fountain file (default utf-8)")

    sp = add("parse", cmd_parse, "parse a screenplay and print its scenes and statistics")
    file_opts(sp)
    sp.add_argument("--json", action="store_true", help="print the parsed screenplay as JSON")
    sp.add_argument("--compact", action="store_true", help="with --json: one line, no indentation")
    sp.add_argument("--paper", choices=["letter", "a4"], help="paper for pagination and eighths (default letter)")

    sp = add("ingest", cmd_ingest, "store a screenplay as a new version in the project database")
    file_opts(sp)
    store_opts(sp)
    sp.add_argument("--script-id", help="stable id of the script (default: from its title)")
    sp.add_argument("--paper", choices=["letter", "a4"])

    sp = add("scenes", cmd_scenes, "list the scenes of a stored script")
    store_opts(sp)
    sp.add_argument("--script", help="script id (needed when the project has several)")
    sp.add_argument("--script-version", "--version", dest="version", type=int, help="script version (default: latest)")
    sp.add_argument("--csv", action="store_true", help="print CSV instead of a table")

    sp = add("versions", cmd_versions, "list stored script versions and what changed")
    store_opts(sp)
    sp.add_argument("--script", help="only this script")

    sp = add("pdf", cmd_pdf, "write a paginated screenplay PDF")
    file_opts(sp)
    sp.add_argument("-o", "--output", type=Path, help="PDF path (default: next to the script)")
    sp.add_argument("--paper", choices=["letter", "a4"])
    sp.add_argument("--scene-numbers", action="store_true", help="print scene numbers in both margins")

    sp = add("export", cmd_export, "convert a screenplay: .fountain <-> .fdx (by the output suffix)")
    file_opts(sp)
    sp.add_argument("-o", "--output", type=Path, required=True, help="output path ending .fountain or .fdx")

    sp = add("synth", cmd_synth, "write a long synthetic screenplay for scale tests")
    sp.add_argument("pages", type=int, help="about how many pages")
    sp.add_argument("-o", "--output", type=Path, required=True)
    sp.add_argument("--seed", type=int, default=0)

    sp = add("snapshot", cmd_snapshot, "copy the store to a file that readers can open while you write")
    store_opts(sp)
    sp.add_argument("output", type=Path)

    sp = add("talent", cmd_talent, "solve a talent-scheduling instance (.dzn or .dat) for researchers")
    sp.add_argument("file", type=Path)
    sp.add_argument("--time-limit", type=float, default=10.0, help="seconds for boards too big to prove (default 10)")
    sp.add_argument("--json", action="store_true", help="print cost, lower bound, optimality, order, seconds as JSON")

    sp = add("breakdown", cmd_breakdown, "break a stored script down into elements (cast, props, vehicles, ...)")
    store_opts(sp)
    sp.add_argument("--script", help="script id (needed when the project has several)")
    sp.add_argument("--script-version", "--version", dest="version", type=int, help="script version (default: latest)")
    sp.add_argument("--retag", action="store_true", help="tag again even if this version has a breakdown")
    sp.add_argument("--embeddings", action="store_true",
                    help="also use sentence embeddings (bundled MiniLM) for words the lexicon lacks")
    sp.add_argument("--llm-endpoint", metavar="URL",
                    help="also ask an OpenAI-compatible chat endpoint (vLLM, llama.cpp server), e.g. "
                         "http://127.0.0.1:8000/v1 (key: $STUDIO_LLM_API_KEY); every quote is checked against the scene")
    sp.add_argument("--llm-model", metavar="NAME", help="model id the endpoint serves (needed with --llm-endpoint)")
    sp.add_argument("--sheets", action="append", type=Path, help="write breakdown sheets (.pdf or .html)")
    sp.add_argument("--export", action="append", type=Path, help="write every tagged element (.csv or .parquet)")

    sp = add("tag", cmd_tag, "correct the breakdown: add, remove, merge or recategorise an element")
    store_opts(sp)
    sp.add_argument("kind", choices=["add", "remove", "merge", "recategorise"])
    sp.add_argument("name", help="element name as tagged, e.g. GUN")
    sp.add_argument("--category", type=int, required=True, help="its category id, e.g. 104 for props")
    sp.add_argument("--scene", help="scene number (default: every scene; required for add)")
    sp.add_argument("--into", help="merge: the name it becomes, e.g. REVOLVER")
    sp.add_argument("--to-category", type=int, help="recategorise: the new category id")
    sp.add_argument("--count", type=int, help="add: head count (background)")
    sp.add_argument("--note", help="why (kept with the edit)")
    sp.add_argument("--script", help="script id (needed when the project has several)")

    sp = add("schedule", cmd_schedule, "plan an optimised shooting schedule (a new schedule version)")
    store_opts(sp)
    sp.add_argument("--script", help="script id (needed when the project has several)")
    sp.add_argument("--start", required=True, help="first possible shoot date, YYYY-MM-DD")
    sp.add_argument("--capacity", type=int, default=sched.capacity_eighths,
                    help=f"page eighths a day (default {sched.capacity_eighths} = {sched.capacity_eighths / 8:g} pages)")
    sp.add_argument("--hours", type=float, default=sched.capacity_hours, help="also cap estimated hours a day")
    sp.add_argument("--weekdays", help="shooting weekdays, 0=Mon..6=Sun (default "
                    f"{','.join(map(str, sched.weekdays))})")
    sp.add_argument("--holiday", action="append", help="a company holiday, YYYY-MM-DD (repeatable)")
    sp.add_argument("--unavailable", action="append", help="NAME=DATE[,DATE...]: a cast member's days off")
    sp.add_argument("--location-unavailable", action="append",
                    help="LOCATION=DATE[,DATE...]: a location's unavailable days (e.g. 'NIGHT TRAIN=2027-03-02')")
    sp.add_argument("--fix", action="append", help="SCENE=DATE: a scene that must shoot on that date")
    sp.add_argument("--day-cost", type=float, help="company cost of a shoot day (default: data/rates/schedule_weights.csv)")
    sp.add_argument("--move-cost", type=float, help="cost of a company move (default: the weights file)")
    sp.add_argument("--day-night-cost", type=float, help="cost of a day/night switch (default: the weights file)")
    sp.add_argument("--overtime-cost", type=float, help="cost of an overtime hour (default: the weights file)")
    sp.add_argument("--drop-pickup", action="store_true", default=sched.drop_pickup,
                    help="allow drop/pick-up across gaps over 10 days")
    sp.add_argument("--time-limit", type=float, default=sched.time_limit_s,
                    help=f"solver seconds (default {sched.time_limit_s:g})")
    sp.add_argument("--label", help="a name for this version, e.g. 'after Mara's dates'")

    sp = add("schedules", cmd_schedules, "list schedule versions, or compare two")
    store_opts(sp)
    sp.add_argument("--script", help="script id (needed when the project has several)")
    sp.add_argument("--compare", type=int, nargs=2, metavar=("A", "B"), help="compare versions A and B")

    sp = add("dood", cmd_dood, "Day Out of Days of a schedule (CSV, XLSX, iCal)")
    store_opts(sp)
    sp.add_argument("--script", help="script id (needed when the project has several)")
    sp.add_argument("--schedule-version", "--version", dest="version", type=int,
                    help="schedule version (default: latest)")
    sp.add_argument("--category", type=int, action="append", help="also elements of this breakdown category, e.g. 108")
    sp.add_argument("-o", "--output", type=Path, action="append", help="write .csv, .xlsx or .ics (repeatable)")

    sp = add("budget", cmd_budget, "the budget of a schedule: top sheet, totals, exports, what-if against another")
    store_opts(sp)
    sp.add_argument("--script", help="script id (needed when the project has several)")
    sp.add_argument("--schedule-version", "--version", dest="version", type=int,
                    help="schedule version (default: latest)")
    sp.add_argument("--compare", type=int, metavar="V", help="explain the difference from schedule version V")
    sp.add_argument("--prep-weeks", type=float, default=budget.prep_weeks)
    sp.add_argument("--wrap-weeks", type=float, default=budget.wrap_weeks)
    sp.add_argument("--contingency", type=float, default=budget.contingency_pct,
                    help=f"percent (default {budget.contingency_pct:g})")
    sp.add_argument("--overhead", type=float, default=budget.overhead_pct, help=f"percent (default {budget.overhead_pct:g})")
    sp.add_argument("--bond", type=float, default=budget.bond_pct,
                    help=f"completion bond percent (default {budget.bond_pct:g})")
    sp.add_argument("-o", "--output", type=Path, action="append", help="write .pdf, .xlsx or .csv (repeatable)")
    sp.add_argument("--detail-csv", type=Path, action="append", help="write every detail line as CSV")
    sp.add_argument("--save", metavar="LABEL", help="store this budget as a new budget version with a label")

    sp = add("budgets", cmd_budgets, "list stored budget versions, or compare two per account")
    store_opts(sp)
    sp.add_argument("--script", help="script id (needed when the project has several)")
    sp.add_argument("--compare", type=int, nargs=2, metavar=("A", "B"), help="compare budget versions A and B")

    sp = add("callsheets", cmd_callsheets, "write a call sheet for every shoot day (HTML per day and one PDF)")
    store_opts(sp)
    sp.add_argument("--records", type=Path, required=True,
                    help="production records (.toml): contacts, locations with coordinates, hospitals, crew")
    sp.add_argument("--script", help="script id (needed when the project has several)")
    sp.add_argument("--schedule-version", "--version", dest="version", type=int,
                    help="schedule version (default: latest)")
    sp.add_argument("--out", type=Path, default=Path("out/callsheets"), help="folder (default out/callsheets)")

    sp = add("develop", cmd_develop, "write with a model: logline -> beats -> outline -> Fountain scenes -> dialogue pass")
    store_opts(sp)
    sp.add_argument("--logline", help="the premise in one sentence (names in capitals become characters)")
    sp.add_argument("--title", help="working title")
    sp.add_argument("--pages", type=int, default=dev.target_pages,
                    help=f"target length in pages (default {dev.target_pages})")
    sp.add_argument("--run", help="re-run this development run instead of starting one")
    sp.add_argument("--start-at", default="beats", choices=["beats", "outline", "scenes", "dialogue"])
    sp.add_argument("--scene", type=int, action="append", help="with --start-at scenes/dialogue: only this scene")
    sp.add_argument("--mode", choices=DEVELOP_MODES, default=dev.mode, help="default: from the profile's text model")

    sp = add("shots", cmd_shots, "shot lists: make (rules or LLM), show, export as CSV/PDF")
    store_opts(sp)
    sp.add_argument("--script", help="script id (needed when the project has several)")
    sp.add_argument("--scene", action="append", help="scene number (repeatable; default all)")
    sp.add_argument("--make", action="store_true", help="make and store new shot list versions")
    sp.add_argument("--mode", default=ShotListOptions().mode, choices=SHOT_LIST_MODES,
                    help=f"with --make (default {ShotListOptions().mode})")
    sp.add_argument("-o", "--output", type=Path, action="append", help="write .csv or .pdf (repeatable)")

    sp = add("boards", cmd_boards, "storyboard frames for every shot (jobs on Ray, locked characters, consistency)")
    store_opts(sp)
    sp.add_argument("--script", help="script id (needed when the project has several)")
    sp.add_argument("--scene", action="append", help="scene number (repeatable; default all)")
    sp.add_argument("-o", "--output", type=Path, help="write the boards PDF")
    sp.add_argument("--size", default=f"{board.size[0]}x{board.size[1]}",
                    help=f"frame WIDTHxHEIGHT, multiples of 8 (default {board.size[0]}x{board.size[1]}; "
                         "e.g. 1024x576 for SDXL)")

    sp = add("animatic", cmd_animatic, "an animatic MP4 of the boards with temp dialogue and captions")
    store_opts(sp)
    sp.add_argument("--script", help="script id (needed when the project has several)")
    sp.add_argument("--scene", action="append", help="scene number (repeatable; default every boarded scene)")
    sp.add_argument("-o", "--output", type=Path, required=True, help="the .mp4 to write (an .otio beside it)")
    sp.add_argument("--fps", type=int, default=anim.fps)
    sp.add_argument("--size", default=f"{anim.size[0]}x{anim.size[1]}",
                    help=f"WIDTHxHEIGHT (default {anim.size[0]}x{anim.size[1]})")

    sp = add("characters", cmd_characters,
             "characters of the script: create from the cast, list, edit the bible, lock identity, make sheets")
    store_opts(sp)
    sp.add_argument("action", choices=["create", "list", "edit", "lock", "sheets"])
    sp.add_argument("names", nargs="*", help="character ids or names (e.g. mara or MARA)")
    sp.add_argument("--all", action="store_true", help="every character of the project")
    sp.add_argument("--script", help="create: script id (needed when the project has several)")
    sp.add_argument("--set", action="append", metavar="FIELD=VALUE",
                    help="edit: a bible field, e.g. wardrobe colours palette=#c68642,#2b1b0e,#1c1c1c,#dddddd,#c0392b")
    sp.add_argument("--note", help="edit: why (kept with the version)")
    sp.add_argument("--seed", type=int, default=lock.seed, help="lock: the seed every image of the character uses")
    sp.add_argument("--seed-policy", choices=SEED_POLICIES, default=lock.seed_policy)
    sp.add_argument("--threshold", type=float, default=lock.threshold,
                    help="lock: consistency below this is drift (default: the embedder's)")
    sp.add_argument("--out", default="out/characters", help="sheets: folder for PNG sheets and the PDF")

    sp = add("jobs", cmd_jobs, "generation jobs of the project (status, node, GPU, time), or cancel some")
    store_opts(sp)
    sp.add_argument("--status", choices=["queued", "running", "done", "failed", "cancelled"])
    sp.add_argument("--cancel", action="append", metavar="JOB_ID", help="cancel a queued or running job")

    sp = add("serve", cmd_serve, "run the HTTP API (OpenAPI docs at /docs); it becomes the store's one writer")
    sp.add_argument("what", choices=["api"])
    sp.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback only)")
    sp.add_argument("--port", type=int, default=8765)
    sp.add_argument("--store", type=Path, help="DuckDB file (default: $STUDIO_STORE or data/store/studio.duckdb)")

    sp = add("demo", cmd_demo, "run the main job on the bundled sample screenplay")
    store_opts(sp)
    sp.add_argument("--out", default="out", help="output folder (default ./out)")
    sp.add_argument("--script", type=Path, help="screenplay to use instead of the bundled sample")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except BrokenPipeError:  # `studio ... | head`: the reader left; not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (StudioError, OSError) as exc:  # anything else is a bug: its traceback is shown
        print(f"studio: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("studio: interrupted; nothing half-written was kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
