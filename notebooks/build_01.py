"""Builds notebooks/01_screenplay.ipynb (kept as code so the tour is easy to review and edit)."""

from pathlib import Path

import nbformat as nbf

md = nbf.v4.new_markdown_cell
code = nbf.v4.new_code_cell

cells = [
    md("""# 01 · The screenplay, as data

A guided tour of studio_kit's screenplay core. We will

1. parse a Fountain screenplay (the bundled sample, *Night Train*, or your own),
2. paginate it the way the industry does (Courier 12, 55 lines per US Letter page) and measure every scene in page eighths,
3. look at the script's statistics and plot them with HoloViews,
4. store it in the project's DuckDB database, ingest a revised draft and see which scenes changed,
5. write the paginated PDF.

Everything here is what `studio parse`, `studio ingest` and `make demo` do; the notebook just lets you look inside.
Run it top to bottom, or with papermill and your own parameters:

```
papermill notebooks/01_screenplay.ipynb out/01.ipynb -p script_path my_script.fountain -p paper a4
```"""),
    code("""# Parameters (papermill overrides these)
script_path = "data/sample/night_train.fountain"
revision_path = "data/sample/night_train_rev2.fountain"  # "" to skip the revision step
project = "night-train"
paper = "letter"  # or "a4"
out_dir = "out/notebook_01"
""", metadata={"tags": ["parameters"]}),
    code("""from pathlib import Path

# Paths are relative to the repository root, wherever the notebook runs from.
ROOT = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "pyproject.toml").exists())
script = (ROOT / script_path) if not Path(script_path).is_absolute() else Path(script_path)
out = (ROOT / out_dir) if not Path(out_dir).is_absolute() else Path(out_dir)
out.mkdir(parents=True, exist_ok=True)
print(script.name)"""),
    md("""## 1. Parse

`load_script` reads Fountain (or Final Draft `.fdx`) into a `Screenplay`: a title page and a flat list of typed elements.
Every element remembers the line it came from, so errors and breakdown tags can point back to the source."""),
    code("""from collections import Counter
from studio_kit.screenplay.analysis import load_script

screenplay = load_script(script)
print("Title page:")
for key, value in screenplay.title_page.entries:
    print(f"  {key}: {value!r}")
print()
print(Counter(e.type.value for e in screenplay.elements).most_common())"""),
    code("""# The first few elements, as the parser sees them
for e in screenplay.elements[:12]:
    print(f"{e.line:>4}  {e.type.value:<14} {e.text[:60]!r}")"""),
    md("""## 2. Paginate and measure scenes in eighths

A page is split into eight one-inch parts; a scene's length is its share of the printed page, rounded to the nearest eighth
(at least 1/8). The unrounded value is kept too: the rounded lengths never add up exactly to the page count."""),
    code("""from studio_kit.screenplay.analysis import analyze
from studio_kit.screenplay.pagination import layout_for

analysis = analyze(screenplay, layout_for(paper))
print(f"{analysis.pagination.page_count} pages on {paper}, {len(analysis.scenes)} scenes")
print("sum of rounded eighths:", sum(s.eighths for s in analysis.scenes),
      "| sum of exact eighths:", round(sum(s.eighths_exact for s in analysis.scenes), 2))"""),
    code("""import polars as pl
from studio_kit.writing.reports import scene_table

scenes = scene_table(analysis)
scenes.select("number", "int_ext", "location", "day_night", "page", "length", "speaking").head(15)"""),
    md("""## 3. Statistics

Dialogue versus action is measured on the printed page (lines), the way a reader feels the script."""),
    code("""st = analysis.stats
print(f"{st.pages} pages ≈ {st.minutes:.0f} minutes · INT/EXT {st.by_int_ext} · D/N {st.by_day_night}")
print(f"dialogue {st.dialogue_share:.0%} / action {st.action_share:.0%} of printed lines · {st.words} words")
chars = pl.DataFrame([{"character": c.name, "speeches": c.speeches, "lines": c.lines, "words": c.words,
                       "scenes": len(c.scenes)} for c in st.characters])
chars.head(10)"""),
    code("""import holoviews as hv
hv.extension("bokeh")

lengths = hv.Bars(scenes.select("number", "eighths").to_pandas(), "number", "eighths").opts(
    title="Scene length (eighths of a page)", width=800, height=260, xrotation=90, color="#4c72b0", tools=["hover"])
speech = hv.Bars(chars.head(12).to_pandas(), "character", "speeches").opts(
    title="Speeches per character", width=800, height=260, xrotation=45, color="#dd8452", tools=["hover"])
mix = scenes.group_by("int_ext", "day_night").agg(pl.len().alias("scenes")).to_pandas()
grid = hv.HeatMap(mix, ["int_ext", "day_night"], "scenes").opts(
    title="Scenes by INT/EXT and day/night", width=400, height=220, colorbar=True, tools=["hover"])
(lengths + speech + grid).cols(1)"""),
    md("""## 4. Store it, then revise it

The project's DuckDB database keeps every version. Ingesting the revised draft reports which scenes were added, removed,
moved or changed, and each scene keeps a stable id across versions so breakdowns and generated shots survive rewrites."""),
    code("""from studio_kit.settings import Settings
from studio_kit.studio import Studio

store_file = out / "notebook.duckdb"
for f in (store_file, Path(str(store_file) + ".wal")):
    f.unlink(missing_ok=True)
studio = Studio.open(Settings(), project=project, store_path=store_file)
first = studio.ingest_script(script)
print(f"stored {first.script_id!r} v{first.version}: {first.pages} pages, {first.scenes} scenes")
studio.scenes(first.script_id).select("number", "location", "day_night", "eighths", "characters").head(8)"""),
    code("""if revision_path:
    rev = studio.ingest_script(ROOT / revision_path, script_id=first.script_id)
    print(f"version {rev.version}:", {k: v for k, v in rev.summary().items() if v})
    changed = pl.DataFrame(studio.changes(first.script_id)["changes"])
else:
    changed = pl.DataFrame()
changed"""),
    code("""studio.versions().select("script_id", "version", "pages", "scenes", "changes")"""),
    md("""## 5. The PDF

Courier 12, industry margins, `(MORE)` / `(CONT'D)` across page breaks, dual dialogue side by side, scene numbers in both
margins. The same file `make demo` writes."""),
    code("""import json
from studio_kit.screenplay.pdf import render_pdf

pdf = render_pdf(screenplay, out / f"{script.stem}.pdf", layout=layout_for(paper),
                 pagination=analysis.pagination, scene_numbers=True)
summary = {"script": script.name, "paper": paper, "pages": analysis.pagination.page_count,
           "scenes": len(analysis.scenes), "pdf": str(pdf)}
(out / "summary.json").write_text(json.dumps(summary, indent=1))
studio.close()
print(json.dumps({k: v for k, v in summary.items() if k != "pdf"}))"""),
    md("""### Where next

* `notebooks/` will grow a tour per engine: breakdown and scheduling, budgets and call sheets, characters, storyboards.
* From a terminal: `studio parse FILE --json`, `studio ingest FILE -p PROJECT`, `studio pdf FILE`."""),
]

nb = nbf.v4.new_notebook(cells=cells)
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
nb.metadata["language_info"] = {"name": "python"}
out = Path(__file__).with_name("01_screenplay.ipynb")
nbf.write(nb, out)
print(out)
