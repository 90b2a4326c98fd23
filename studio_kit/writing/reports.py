"""Scene reports a producer reads: one row per scene with its length in eighths and its cast."""

from __future__ import annotations

import html

import polars as pl

from ..screenplay.analysis import ScriptAnalysis
from ..screenplay.model import format_eighths


def scene_table(analysis: ScriptAnalysis) -> pl.DataFrame:
    """The scenes as a Polars table (the same columns the store keeps)."""
    return pl.DataFrame(
        [
            {
                "number": s.number, "int_ext": s.int_ext, "location": s.location, "time_of_day": s.time_of_day,
                "day_night": s.day_night, "page": s.page_start, "eighths": s.eighths,
                "length": format_eighths(s.eighths), "eighths_exact": round(s.eighths_exact, 3),
                "speaking": ", ".join(s.speaking), "also_present": ", ".join(s.non_speaking),
                "synopsis": s.synopsis, "heading": s.heading, "line": s.line,
            }
            for s in analysis.scenes
        ],
        infer_schema_length=None,
    )


def scene_report_html(analysis: ScriptAnalysis) -> str:
    """A printable scene report: totals first, then the scene list."""
    st = analysis.stats
    title = html.escape(analysis.screenplay.title or analysis.screenplay.source)
    rows = []
    for s in analysis.scenes:
        rows.append(
            "<tr>" + "".join(
                f"<td>{html.escape(str(v))}</td>"
                for v in (s.number, s.int_ext, s.location, s.day_night or s.time_of_day, s.page_start,
                          format_eighths(s.eighths), ", ".join(s.speaking), ", ".join(s.non_speaking), s.synopsis)
            ) + "</tr>"
        )
    chars = "".join(
        f"<tr><td>{html.escape(c.name)}</td><td>{c.speeches}</td><td>{c.lines}</td><td>{c.words}</td>"
        f"<td>{len(c.scenes)}</td><td>{html.escape(', '.join(c.scenes))}</td></tr>"
        for c in st.characters
    )
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Scene report: {title}</title>
<style>
 body {{ font-family: Helvetica, Arial, sans-serif; margin: 2em; color: #222; }}
 table {{ border-collapse: collapse; margin: 1em 0; font-size: 13px; }}
 th, td {{ border: 1px solid #ccc; padding: 3px 7px; text-align: left; vertical-align: top; }}
 th {{ background: #333; color: #fff; }} tr:nth-child(even) td {{ background: #f6f6f6; }}
 .totals td:first-child {{ font-weight: bold; }}
</style></head><body>
<h1>Scene report: {title}</h1>
<table class="totals">
<tr><td>Pages</td><td>{st.pages} ({analysis.pagination.layout.name}), about {st.minutes:.0f} minutes</td></tr>
<tr><td>Scenes</td><td>{st.scenes}, {format_eighths(st.eighths)} pages in eighths</td></tr>
<tr><td>INT / EXT</td><td>{html.escape(str(st.by_int_ext))}</td></tr>
<tr><td>Day / Night</td><td>{html.escape(str(st.by_day_night))}</td></tr>
<tr><td>Dialogue / action</td><td>{st.dialogue_share:.0%} / {st.action_share:.0%} of printed lines</td></tr>
<tr><td>Locations</td><td>{len(st.locations)}</td></tr>
</table>
<h2>Scenes</h2>
<table><tr><th>#</th><th>I/E</th><th>Set</th><th>D/N</th><th>Page</th><th>Length</th><th>Speaking</th>
<th>Also present</th><th>Synopsis</th></tr>
{''.join(rows)}
</table>
<h2>Characters</h2>
<table><tr><th>Character</th><th>Speeches</th><th>Lines</th><th>Words</th><th>Scenes</th><th>Scene numbers</th></tr>
{chars}
</table>
</body></html>
"""
