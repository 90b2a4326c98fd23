"""`studio`: the workbench from a terminal. Thin commands over Studio methods and pure functions."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .screenplay.errors import ScreenplayError
from .settings import Settings
from .store import StoreError

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
  studio talent film103.dzn --json          solve a talent-scheduling benchmark instance

settings come from the environment: STUDIO_STORE (database file), STUDIO_DATA_DIR, STUDIO_OUT,
STUDIO_TENANT, STUDIO_PROJECT, STUDIO_PAPER (letter/a4), RAY_ADDRESS, STUDIO_MODEL_PROFILE.
"""


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        store_path=getattr(args, "store", None), tenant=getattr(args, "tenant", None),
        project=getattr(args, "project", None), paper=getattr(args, "paper", None),
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
        sid = args.script or _only_script(studio)
        df = studio.scenes(sid, args.version).with_columns(pl.col("characters").list.join(", "))
        if args.csv:
            df.write_csv(sys.stdout)
        else:
            with pl.Config(tbl_rows=-1, tbl_cols=-1, fmt_str_lengths=40, tbl_width_chars=160):
                print(df.select("number", "int_ext", "location", "day_night", "page_start", "eighths", "characters"))
    return 0


def cmd_versions(args: argparse.Namespace) -> int:
    import polars as pl

    with _studio(args, read_only=True) as studio, pl.Config(tbl_rows=-1, fmt_str_lengths=80, tbl_width_chars=160):
        print(studio.versions(args.script))
    return 0


def _only_script(studio) -> str:
    ids = studio.scripts()["script_id"].to_list()
    if len(ids) != 1:
        raise StoreError(f"project {studio.project!r} has {len(ids)} scripts ({', '.join(ids) or 'none'}); name one with --script")
    return ids[0]


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
    from .preproduction.sheets import export, write_sheets

    with _studio(args) as studio:
        sid = studio.script_id(args.script)
        bd = (studio.tag_breakdown(sid, args.version, embeddings=args.embeddings) if args.retag or args.embeddings
              else studio.breakdown(sid, args.version))
        counts: dict[int, set[str]] = {}
        for t in bd.tags:
            counts.setdefault(t.category_id, set()).add(t.name)
        print(f"{bd.title or sid}: {len(bd.scenes)} scenes, {len(bd.tags)} tags, {len(bd.elements())} elements")
        for cid in sorted(counts):
            names = sorted(counts[cid])
            more = f", ... (+{len(names) - 6})" if len(names) > 6 else ""
            print(f"  {cid:>3} {category_name(cid):<20} {len(names):>4}  {', '.join(names[:6])}{more}")
        for edit, why in bd.unapplied:
            print(f"  edit not applied: {edit.kind} {edit.name!r}: {why}")
        for path in args.sheets or []:
            print(f"  breakdown sheets: {write_sheets(bd, path)}")
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
                raise ValueError(f"scene {args.scene!r} is not in the latest version of {sid!r}; see `studio scenes`")
            uid = hit["scene_uid"][0]
        edit = Edit(args.kind, args.category, args.name.upper(), scene_uid=uid,
                    target_name=args.into.upper() if args.into else None, new_category=args.to_category,
                    count=args.count, note=args.note or "")
        eid = studio.edit_breakdown(edit, sid)
        print(f"edit {eid} stored: {args.kind} {edit.name!r} "
              f"({'scene ' + args.scene if args.scene else 'every scene'}); it applies to every later draft too")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    run_demo(Path(args.out), settings=_settings(args), script=args.script)
    return 0


def build_parser() -> argparse.ArgumentParser:
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
    sp.add_argument("--version", type=int, help="version number (default: latest)")
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
    sp.add_argument("--version", type=int, help="version number (default: latest)")
    sp.add_argument("--retag", action="store_true", help="tag again even if this version has a breakdown")
    sp.add_argument("--embeddings", action="store_true",
                    help="also use sentence embeddings (bundled MiniLM) for words the lexicon lacks")
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
    except (ScreenplayError, StoreError, ValueError, OSError) as exc:
        print(f"studio: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("studio: interrupted; nothing half-written was kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
