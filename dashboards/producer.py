"""The producer dashboard: what is in the script, how long it runs, who is in it, what changed.

Serve it with ``panel serve dashboards/producer.py`` (``STUDIO_STORE``, ``STUDIO_TENANT`` and
``STUDIO_PROJECT`` choose what it reads), or show ``build_app(studio)`` in a notebook.

It never writes and never holds the store: DuckDB keeps a writer out while any other process has
the file open, so each read opens the store read-only, copies what the page needs into memory and
closes it again. While a writer owns the store, point ``STUDIO_STORE`` at a snapshot
(``Store.snapshot(path)`` / ``studio snapshot``) instead.

Pages are plain functions ``(studio, script_id) -> viewable`` in :data:`PAGES`; a page reads
everything it shows while it is called (the studio is closed afterwards).
"""

from __future__ import annotations

import calendar as pycal
import functools
import html
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import duckdb
import holoviews as hv
import pandas as pd
import panel as pn
import param
import polars as pl
from bokeh.models import NumeralTickFormatter

from studio_kit.preproduction.calendar import ShootCalendar
from studio_kit.preproduction.callsheet import to_html
from studio_kit.preproduction.dood import CODE_COLOURS, LEGEND, DayOutOfDays
from studio_kit.preproduction.schedule import Strip
from studio_kit.screenplay.model import format_eighths
from studio_kit.settings import Settings
from studio_kit.store import Store, StoreError
from studio_kit.studio import ALL_MIGRATIONS, AccessDenied, Studio

hv.extension("bokeh", logo=False)
pn.extension("tabulator", notifications=False)

#: A dashboard page: given a Studio bound to the chosen project and a script id, the page's content.
PageBuilder = Callable[[Studio, str], pn.viewable.Viewable]

#: Colours of the set types, shared by every chart that splits INT from EXT.
INT_EXT_COLOURS: dict[str, str] = {"INT": "#3b6ea8", "EXT": "#e07b39", "INT/EXT": "#5a9e6f"}
_OTHER_COLOUR = "#9a9a9a"
CHART_HEIGHT = 420
#: The scene table scrolls beyond this many pixels.
TABLE_HEIGHT = 400
#: The longest cast chart; smaller parts are left off (the scene table still lists them).
CAST_CHART_LIMIT = 24

# -- pure shaping of store frames -----------------------------------------------------------------


def pages_label(eighths: int) -> str:
    """Page length the way a breakdown sheet writes it: ``3/8``, ``1``, ``2 5/8``."""
    if eighths < 0:
        raise ValueError(f"a length in eighths cannot be negative (got {eighths})")
    whole, rest = divmod(int(eighths), 8)
    if not rest:
        return str(whole)
    return f"{whole} {rest}/8" if whole else f"{rest}/8"


def scene_rows(scenes: pl.DataFrame) -> pd.DataFrame:
    """The scene table as a producer reads it: number, heading, set, time, length, cast, change."""
    if scenes.is_empty():
        return pd.DataFrame(columns=["Sc.", "Heading", "I/E", "Set", "D/N", "Page", "Pages", "Cast", "Change"])
    frame = scenes.select(
        pl.col("number").alias("Sc."),
        pl.col("heading").alias("Heading"),
        pl.col("int_ext").alias("I/E"),
        pl.col("location").alias("Set"),
        pl.col("day_night").alias("D/N"),
        pl.col("page_start").alias("Page"),
        pl.col("eighths").map_elements(pages_label, return_dtype=pl.Utf8).alias("Pages"),
        pl.col("characters").fill_null([]).list.join(", ").alias("Cast"),
        pl.col("change").alias("Change"),
    )
    return frame.to_pandas()


def scenes_per_character(scenes: pl.DataFrame) -> pl.DataFrame:
    """Scenes each character appears in (speaking or not), most first; ties by name."""
    if scenes.is_empty():
        return pl.DataFrame(schema={"character": pl.Utf8, "scenes": pl.UInt32})
    return (
        scenes.select(pl.col("characters").fill_null([]))
        .explode("characters")
        .drop_nulls()
        .group_by("characters")
        .len(name="scenes")
        .rename({"characters": "character"})
        .sort(["scenes", "character"], descending=[True, False])
    )


def change_summary(changes: str | Mapping[str, int] | None) -> str:
    """``{"unchanged": 39, "changed": 5, ...}`` as ``39 unchanged, 5 changed``; zero counts left out."""
    if changes is None or changes == "":
        return ""
    counts = json.loads(changes) if isinstance(changes, str) else dict(changes)
    if not isinstance(counts, dict):
        raise ValueError(f"a version's change summary must be a JSON object, got {changes!r}")
    return ", ".join(f"{n} {kind}" for kind, n in counts.items() if n)


def version_rows(versions: pl.DataFrame) -> pd.DataFrame:
    frame = versions.select(
        pl.col("version").alias("Version"),
        pl.col("source_name").alias("Source"),
        pl.col("pages").alias("Pages"),
        pl.col("scenes").alias("Scenes"),
        pl.col("ingested_at").dt.strftime("%Y-%m-%d %H:%M").alias("Stored"),
        pl.col("changes").map_elements(change_summary, return_dtype=pl.Utf8).alias("Changes"),
    )
    return frame.sort("Version", descending=True).to_pandas()


# -- page parts ---------------------------------------------------------------------------------------


def eighths_chart(scenes: pl.DataFrame) -> hv.Bars:
    """Length of every scene in eighths, in script order, coloured INT/EXT: where the long days hide."""
    data = scenes.select(
        pl.col("number").alias("scene"),
        pl.col("eighths"),
        pl.col("int_ext"),
        pl.col("heading"),
        pl.col("eighths").map_elements(pages_label, return_dtype=pl.Utf8).alias("pages"),
    ).to_pandas()
    colours = {k: INT_EXT_COLOURS.get(k, _OTHER_COLOUR) for k in data["int_ext"].unique()}
    return hv.Bars(data, kdims=[("scene", "Scene")], vdims=[("eighths", "Eighths"), "int_ext", "heading", "pages"]).opts(
        color="int_ext", cmap=colours, show_legend=True, legend_position="right",
        tools=["hover"], xrotation=90, responsive=True, height=CHART_HEIGHT, line_color=None,
        title="Eighths per scene", fontsize={"xticks": 7}, default_tools=["save", "reset"],
    )


def cast_chart(scenes: pl.DataFrame) -> hv.Bars:
    """How many scenes each character is in: the size of every part, a first look at cast days."""
    counts = scenes_per_character(scenes).head(CAST_CHART_LIMIT).to_pandas()
    height = max(CHART_HEIGHT, 16 * len(counts) + 80)
    return hv.Bars(counts, kdims=[("character", "Character")], vdims=[("scenes", "Scenes")]).opts(
        invert_axes=True, invert_yaxis=True, color="#6b5b95", line_color=None, tools=["hover"],
        responsive=True, height=height, title="Scenes per character", default_tools=["save", "reset"],
    )


def _kpi(name: str, value: str) -> pn.indicators.String:
    return pn.indicators.String(label=name, value=value, default_color="#2b2b2b", font_size="26pt",
                                title_size="10pt", margin=(0, 28, 0, 0))


def script_page(studio: Studio, script_id: str) -> pn.viewable.Viewable:
    """The latest version's scenes, two charts of length and cast, and every stored version."""
    versions = studio.versions(script_id)
    if versions.is_empty():
        return pn.pane.Alert(f"Script {script_id!r} has no stored version yet.", alert_type="warning")
    latest = versions.row(-1, named=True)
    scenes = studio.scenes(script_id, int(latest["version"]))
    total = int(scenes["eighths"].sum()) if not scenes.is_empty() else 0
    night = scenes.filter(pl.col("day_night") == "NIGHT").height
    cast = scenes_per_character(scenes).height
    header = pn.pane.Markdown(
        f"## {latest['title']}\n"
        f"Version {latest['version']} of `{script_id}` · {scenes.height} scenes · {latest['pages']} pages",
        css_classes=["script-header"], margin=(0, 10),
    )
    kpis = pn.Row(
        _kpi("Scenes", str(scenes.height)), _kpi("Pages", str(latest["pages"])),
        _kpi("Eighths (pages)", pages_label(total)), _kpi("Characters", str(cast)),
        _kpi("Night scenes", str(night)), _kpi("Versions", str(versions.height)),
        margin=(0, 10),
    )
    table = pn.widgets.Tabulator(
        scene_rows(scenes), disabled=True, show_index=False, layout="fit_data_stretch",
        height=min(TABLE_HEIGHT, 90 + 24 * scenes.height),
        header_filters={"Heading": {"type": "input", "func": "like", "placeholder": "filter"},
                        "Set": {"type": "input", "func": "like", "placeholder": "filter"},
                        "Cast": {"type": "input", "func": "like", "placeholder": "filter"}},
        sizing_mode="stretch_width", css_classes=["scene-table"],
    )
    history = pn.widgets.Tabulator(
        version_rows(versions), disabled=True, show_index=False, layout="fit_data_stretch",
        sizing_mode="stretch_width", css_classes=["version-table"],
    )
    charts = pn.Row(
        pn.pane.HoloViews(eighths_chart(scenes), sizing_mode="stretch_width", css_classes=["eighths-chart"]),
        pn.pane.HoloViews(cast_chart(scenes), sizing_mode="stretch_width", css_classes=["cast-chart"]),
        sizing_mode="stretch_width",
    )
    return pn.Column(
        header, kpis, pn.pane.Markdown("### Scenes", margin=(10, 10, 0, 10)), table, charts,
        pn.pane.Markdown("### Version history", margin=(10, 10, 0, 10)), history,
        sizing_mode="stretch_width",
    )


# -- the stripboard and the Day Out of Days --------------------------------------------------------

#: Strip colours by set type and time of day, the paper-stripboard convention (background, text).
STRIP_COLOURS: dict[tuple[str, str], tuple[str, str]] = {
    ("INT", "D"): ("#ffffff", "#111111"),
    ("EXT", "D"): ("#fff27a", "#111111"),
    ("INT", "N"): ("#7fa7e0", "#0b1a33"),
    ("EXT", "N"): ("#8fd18b", "#0d2b0b"),
}
#: DOOD cell colours by code, the same as the printed grid.
DOOD_COLOURS: dict[str, str] = CODE_COLOURS
#: The DOOD totals shown right of the grid: store column -> header.
DOOD_TOTALS: dict[str, str] = {"work": "Work", "hold": "Hold", "paid_days": "Paid"}
DAY_CHART_HEIGHT = 300
#: Breakdown categories booked on the DOOD beside the cast: vehicles (103) and animals (108).
DOOD_CATEGORIES: tuple[int, ...] = (103, 108)


def strip_colour(int_ext: str | None, day_night: str | None) -> tuple[str, str]:
    """(background, text) of a strip. INT/EXT strips are coloured as exteriors (weather and light
    rule the day), and a strip with no time of day as day."""
    ie = "INT" if (int_ext or "").upper() == "INT" else "EXT"
    dn = "N" if (day_night or "").upper() in ("N", "NIGHT") else "D"
    return STRIP_COLOURS[(ie, dn)]


def strip_kind(int_ext: str | None, day_night: str | None) -> str:
    """The CSS class naming a strip's colour: ``strip-int-day``, ``strip-ext-night``..."""
    ie = "int" if (int_ext or "").upper() == "INT" else "ext"
    return f"strip-{ie}-{'night' if (day_night or '').upper() in ('N', 'NIGHT') else 'day'}"


def day_totals(strips: pl.DataFrame, dates: Sequence[date] = ()) -> pl.DataFrame:
    """Eighths and scenes per shoot day, in day order. ``dates`` (day 1 first) are the board's shoot
    days: a day the board leaves empty is still a paid day, so it shows with 0 eighths."""
    schema = {"day": pl.Int32, "shoot_date": pl.Date, "eighths": pl.Int64, "scenes": pl.UInt32}
    found = (strips.group_by("day", "shoot_date").agg(pl.col("eighths").sum().cast(pl.Int64), pl.len().alias("scenes"))
             .select(pl.col("day").cast(pl.Int32), "shoot_date", "eighths", pl.col("scenes").cast(pl.UInt32))
             if not strips.is_empty() else pl.DataFrame(schema=schema))
    every = pl.DataFrame({"day": range(1, len(dates) + 1), "shoot_date": list(dates)},
                         schema={"day": pl.Int32, "shoot_date": pl.Date})
    empty = every.join(found.select("day"), on="day", how="anti").with_columns(
        pl.lit(0, pl.Int64).alias("eighths"), pl.lit(0, pl.UInt32).alias("scenes"))
    return pl.concat([found, empty]).sort("day")


def day_break_label(day: int, when: date, eighths: int) -> str:
    """The black bar under a day's strips: ``End of Day 3 — Wed Mar 3, 2027 — 4 5/8 pages``."""
    pages = f"{format_eighths(eighths)} pages" if eighths else "no scenes"
    return f"End of Day {day} — {when:%a %b} {when.day}, {when.year} — {pages}"


_STRIPBOARD_CSS = """
<style>
table.stripboard { border-collapse: separate; border-spacing: 0 2px; width: 100%; font: 13px/1.25 'Helvetica Neue',
  Arial, sans-serif; }
table.stripboard th { text-align: left; background: #23395b; color: #fff; padding: 6px 8px; position: sticky; top: 0;
  font-weight: 600; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
table.stripboard tr.strip td { padding: 5px 8px; border-top: 1px solid #555; border-bottom: 1px solid #555;
  white-space: nowrap; }
table.stripboard tr.strip td:first-child { border-left: 1px solid #555; }
table.stripboard tr.strip td:last-child { border-right: 1px solid #555; white-space: normal; }
table.stripboard td.sb-scene { font-weight: 700; font-size: 15px; text-align: center; }
table.stripboard td.sb-set { font-weight: 600; text-transform: uppercase; }
table.stripboard td.sb-pages, table.stripboard td.sb-day { text-align: right; }
table.stripboard tr.day-break td { background: #111; color: #fff; font-weight: 700; text-align: center;
  padding: 6px 8px; letter-spacing: .03em; }
.sb-legend span { display: inline-block; padding: 2px 10px; margin-right: 6px; border: 1px solid #555;
  font: 12px Arial, sans-serif; }
</style>
"""


def stripboard_html(strips: pl.DataFrame, cast_names: Mapping[int, str] | None = None,
                    dates: Sequence[date] = ()) -> str:
    """The board as HTML: one coloured strip per scene in shooting order, a black bar ending each day
    (each of ``dates``, day 1 first, when given: an empty shoot day still gets its bar)."""
    names = cast_names or {}
    by_day = {int(d): g for (d, _), g in strips.group_by("day", "shoot_date", maintain_order=True)}
    days = day_totals(strips, dates)
    head = "".join(f"<th>{h}</th>" for h in ("Day", "Sc.", "I/E", "Set", "D/N", "Cast", "Pages", "Synopsis"))
    rows: list[str] = []
    for day, when, total, _ in days.iter_rows():
        group = by_day.get(day, strips.clear())
        for s in group.sort("position").iter_rows(named=True):
            bg, fg = strip_colour(s["int_ext"], s["day_night"])
            ids = [int(i) for i in (s["cast_ids"] or [])]
            cast_title = html.escape(", ".join(names.get(i, f"#{i}") for i in ids), quote=True)
            cells = [
                ("sb-day", str(day)), ("sb-scene", html.escape(s["number"])),
                ("sb-ie", html.escape(s["int_ext"] or "")),
                ("sb-set", html.escape(s["set_name"] or s["location"] or "")),
                ("sb-dn", html.escape(s["day_night"] or "")),
                ("sb-cast", ", ".join(str(i) for i in ids)), ("sb-pages", format_eighths(int(s["eighths"]))),
                ("sb-synopsis", html.escape(s["synopsis"] or "")),
            ]
            tds = "".join(f'<td class="{c}"' + (f' title="{cast_title}"' if c == "sb-cast" else "") + f">{v}</td>"
                          for c, v in cells)
            rows.append(f'<tr class="strip {strip_kind(s["int_ext"], s["day_night"])}" '
                        f'data-scene="{html.escape(s["number"], quote=True)}" '
                        f'style="background:{bg};color:{fg}">{tds}</tr>')
        rows.append(f'<tr class="day-break" data-day="{day}"><td colspan="8">'
                    f"{html.escape(day_break_label(int(day), when, total))}</td></tr>")
    legend = "".join(f'<span style="background:{strip_colour(ie, dn)[0]}">{ie} {"DAY" if dn == "D" else "NIGHT"}</span>'
                     for ie, dn in STRIP_COLOURS)
    return (f"{_STRIPBOARD_CSS}<div class='sb-legend'>{legend}</div>"
            f"<table class='stripboard'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def day_chart(totals: pl.DataFrame, capacity_eighths: int | None = None) -> hv.Overlay | hv.Bars:
    """Eighths per shoot day against the day's page capacity: which days are full, which light."""
    data = totals.select(
        pl.col("day").cast(pl.Utf8).alias("day"), pl.col("eighths"), pl.col("scenes"),
        pl.col("shoot_date").dt.strftime("%a %b %d").alias("date"),
        pl.col("eighths").map_elements(format_eighths, return_dtype=pl.Utf8).alias("pages"),
    ).to_pandas()
    bars = hv.Bars(data, kdims=[("day", "Shoot day")], vdims=[("eighths", "Eighths"), "pages", "scenes", "date"]).opts(
        color="#23395b", line_color=None, tools=["hover"], responsive=True, height=DAY_CHART_HEIGHT,
        title="Eighths per shoot day", default_tools=["save", "reset"],
    )
    if capacity_eighths:
        return bars * hv.HLine(capacity_eighths).opts(color="#c0392b", line_dash="dashed", line_width=2)
    return bars


def _no_schedule(studio: Studio, script_id: str) -> pn.viewable.Viewable:
    return pn.pane.Alert(f"No schedule for `{script_id}` in project {studio.project!r} yet. Make one with "
                         f"`studio schedule -p {studio.project}`, then press Reload.",
                         alert_type="info", css_classes=["no-schedule"])


_CAL_CSS = """
<style>
table.shoot-cal { border-collapse: collapse; font: 12px Arial, sans-serif; margin: 0 10px 12px 0; display: inline-table;
  vertical-align: top; }
table.shoot-cal caption { font-weight: 700; text-align: left; padding: 4px 0; }
table.shoot-cal th { background: #23395b; color: #fff; padding: 3px; width: 92px; }
table.shoot-cal td { border: 1px solid #c8ccd4; height: 58px; vertical-align: top; padding: 3px; }
table.shoot-cal td.shoot { background: #eef3fb; }
table.shoot-cal td.night { background: #dbe6f8; }
table.shoot-cal td.off { background: #f1f1f1; color: #8a8a8a; }
table.shoot-cal td.holiday { background: #e3e3e3; }
table.shoot-cal .cal-day { font-weight: 700; color: #23395b; }
</style>
"""


def calendar_html(calendar: ShootCalendar, days: Sequence[Sequence], dates: Sequence[date]) -> str:
    """The shoot as a month calendar: each shoot date shows its day number, pages and scenes;
    weekends, days off and holidays stay visible so a producer sees the shape of the shoot."""
    if not dates:
        return ""
    on = {d: (k + 1, day) for k, (d, day) in enumerate(zip(dates, days, strict=False))}
    first, last = dates[0].replace(day=1), dates[-1]
    out = [_CAL_CSS]
    month = first
    while month <= last:
        weeks = pycal.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month)
        rows = []
        for week in weeks:
            cells = []
            for d in week:
                if d.month != month.month:
                    cells.append("<td class='off'></td>")
                    continue
                if d in on:
                    n, day = on[d]
                    eighths = sum(st.eighths for st in day)
                    night = all(st.day_night == "N" for st in day) and day
                    scenes = " ".join(html.escape(st.number) for st in day)
                    cells.append(f"<td class='shoot{' night' if night else ''}' data-date='{d.isoformat()}'>"
                                 f"{d.day} <span class='cal-day'>Day {n}</span><br>"
                                 f"{html.escape(format_eighths(eighths))} pp<br><small>{scenes}</small></td>")
                else:
                    kind = "holiday" if d in calendar.holidays else "off"
                    note = " holiday" if kind == "holiday" else ""
                    cells.append(f"<td class='{kind}'>{d.day}{note}</td>")
            rows.append("<tr>" + "".join(cells) + "</tr>")
        head = "".join(f"<th>{w}</th>" for w in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"))
        out.append(f"<table class='shoot-cal'><caption>{month:%B %Y}</caption><tr>{head}</tr>{''.join(rows)}</table>")
        month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return "".join(out)


def _stripboard_view(studio: Studio, script_id: str, version: int) -> pn.viewable.Viewable:
    """One schedule version: figures, the board, the day chart (read now: the studio closes after)."""
    stored = studio.schedule(script_id, version)
    sched = stored.schedule
    cost = sched.cost.to_dict()
    strips = studio.stripboard(script_id, version)
    names = {int(i): c for i, c in studio.cast(script_id).select("cast_id", "character").iter_rows()}
    dates = stored.dates()
    when = f"{dates[0]:%a %b %d, %Y} to {dates[-1]:%a %b %d, %Y}" if dates else "no shoot days"
    kpis = pn.Row(
        _kpi("Shoot days", str(stored.shoot_days)), _kpi("Total cost", f"${cost['total']:,.0f}"),
        _kpi("Lower bound", f"${sched.lower_bound:,.0f}"), _kpi("Gap", f"{100 * sched.gap:.1f}%"),
        _kpi("Optimal", "yes" if sched.optimal else "no"), _kpi("Company moves", str(cost["company_moves"])),
        _kpi("D/N switches", str(cost["day_night_switches"])),
        margin=(0, 10), css_classes=["schedule-kpis"],
    )
    capacity = stored.request.get("capacity_eighths")
    cast_line = " · ".join(f"{i} {n}" for i, n in sorted(names.items()))
    label = f" ({stored.label})" if stored.label and stored.label != f"schedule {version}" else ""
    return pn.Column(
        pn.pane.Markdown(f"Schedule {version}{label} of `{script_id}` v{stored.script_version}"
                         f" · {strips.height} strips · {when}", margin=(0, 10)),
        kpis,
        pn.pane.HoloViews(day_chart(day_totals(strips, dates), capacity), sizing_mode="stretch_width",
                          css_classes=["stripboard-chart"]),
        pn.pane.HTML(calendar_html(stored.calendar, sched.days, dates), sizing_mode="stretch_width",
                     css_classes=["shoot-calendar"]),
        pn.pane.Markdown(f"**Cast:** {cast_line}", margin=(0, 10)),
        pn.pane.HTML(stripboard_html(strips, names, dates), sizing_mode="stretch_width", css_classes=["stripboard-board", f"stripboard-v{version}"]),
        sizing_mode="stretch_width",
    )


def stripboard_page(studio: Studio, script_id: str) -> pn.viewable.Viewable:
    """A schedule version (the latest by default) as a paper stripboard, with its cost figures."""
    versions = studio.schedules(script_id)
    if versions.is_empty():
        return _no_schedule(studio, script_id)
    labels = {f"{r['version']}: {r['label'] or 'schedule'} ({r['shoot_days']} days, ${r['total']:,.0f})":
              int(r["version"]) for r in versions.iter_rows(named=True)}
    views = {v: _stripboard_view(studio, script_id, v) for v in labels.values()}  # read every version now
    picker = pn.widgets.Select(name="Schedule version", options=labels, value=int(versions["version"][-1]),
                               width=360, css_classes=["schedule-picker"])
    return pn.Column(
        pn.pane.Markdown("## Stripboard", margin=(0, 10)), picker,
        pn.panel(pn.bind(views.__getitem__, picker), sizing_mode="stretch_width"),
        sizing_mode="stretch_width",
    )


_DOOD_CSS = """
<style>
table.dood { border-collapse: collapse; font: 12px Arial, sans-serif; }
table.dood th, table.dood td { border: 1px solid #9a9a9a; padding: 3px 6px; text-align: center; min-width: 30px; }
table.dood thead th { background: #23395b; color: #fff; font-weight: 600; }
table.dood thead tr.dood-dates th, table.dood thead tr.dood-weekdays th { background: #3b5277; font-weight: 400; }
table.dood th.off { background: #8a8a8a !important; }
table.dood td.dood-name { text-align: left; font-weight: 600; white-space: nowrap; }
table.dood td.dood-total { background: #f4f6fa; font-weight: 700; }
table.dood td.dood-code { font-weight: 600; }
.dood-legend span { display: inline-block; padding: 2px 8px; margin: 0 6px 4px 0; border: 1px solid #9a9a9a;
  font: 12px Arial, sans-serif; }
</style>
"""


def dood_html(dood: DayOutOfDays) -> str:
    """The DOOD grid: one row per element, one column per calendar date, coloured codes, totals."""
    cols = dood.columns
    total_heads = "".join(f"<th rowspan='3'>{h}</th>" for h in DOOD_TOTALS.values())

    def _cls(c) -> str:
        return "" if c.shoot_day is not None else " class='off'"

    days = "".join(f"<th{_cls(c)}>{html.escape(c.heading)}</th>" for c in cols)
    dates = "".join(f"<th{_cls(c)}>{c.date:%b} {c.date.day}</th>" for c in cols)
    weekdays = "".join(f"<th{_cls(c)}>{html.escape(c.weekday)}</th>" for c in cols)
    head = (f"<tr><th rowspan='3'>#</th><th rowspan='3'>Element</th><th>Shoot day</th>{days}{total_heads}</tr>"
            f"<tr class='dood-dates'><th>Date</th>{dates}</tr><tr class='dood-weekdays'><th></th>{weekdays}</tr>")
    body: list[str] = []
    for r in dood.rows:
        cells = "".join(
            f"<td class='dood-code' data-date='{c.date.isoformat()}' style='background:{DOOD_COLOURS[v]}'>"
            f"{html.escape(v)}</td>" if v in DOOD_COLOURS
            else f"<td data-date='{c.date.isoformat()}'>{html.escape(v)}</td>"
            for c, v in zip(cols, r.cells, strict=True))
        t = r.totals
        totals = {"work": t.work, "hold": t.hold, "paid_days": t.paid_days}
        tot = "".join(f"<td class='dood-total'>{totals[k]}</td>" for k in DOOD_TOTALS)
        category = "" if r.element.category == "cast" else f" <small>({html.escape(r.element.category)})</small>"
        body.append(f"<tr class='dood-row' data-element='{html.escape(r.element.element_id, quote=True)}'>"
                    f"<td>{html.escape(r.element.element_id if r.element.category == 'cast' else '')}</td>"
                    f"<td class='dood-name' colspan='2'>{html.escape(r.element.name)}{category}</td>{cells}{tot}</tr>")
    legend = "".join(f"<span style='background:{DOOD_COLOURS[c]}'><b>{html.escape(c)}</b> {html.escape(text)}</span>"
                     for c, text in LEGEND.items() if c in DOOD_COLOURS)
    return (f"{_DOOD_CSS}<div style='overflow-x:auto'><table class='dood'><thead>{head}</thead>"
            f"<tbody>{''.join(body)}</tbody></table></div><div class='dood-legend'>{legend}</div>")


def dood_page(studio: Studio, script_id: str) -> pn.viewable.Viewable:
    """The latest schedule's Day Out of Days: cast, plus vehicles and animals booked by the day."""
    versions = studio.schedules(script_id)
    if versions.is_empty():
        return _no_schedule(studio, script_id)
    version = int(versions["version"][-1])
    dood = studio.dood(script_id, version, categories=DOOD_CATEGORIES)
    cast = sum(r.element.category == "cast" for r in dood.rows)
    paid = sum(r.totals.paid_days for r in dood.rows if r.element.category == "cast")
    holds = sum(r.totals.hold for r in dood.rows if r.element.category == "cast")
    return pn.Column(
        pn.pane.Markdown(f"## Day Out of Days\nSchedule {version} of `{script_id}` · {dood.shoot_days} shoot days · "
                         f"{len(dood.columns)} calendar days", margin=(0, 10)),
        pn.Row(_kpi("Cast", str(cast)), _kpi("Cast paid days", str(paid)), _kpi("Hold days", str(holds)),
               _kpi("Other elements", str(len(dood.rows) - cast)), margin=(0, 10)),
        pn.pane.HTML(dood_html(dood), sizing_mode="stretch_width", css_classes=["dood-grid"]),
        sizing_mode="stretch_width",
    )


# -- the budget and the call sheets ------------------------------------------------------------------

#: The stacks of the cost-by-shoot-day chart, bottom first, with their colours.
DAY_COST_KINDS: dict[str, str] = {"Cast": "#6b5b95", "Background": "#5a9e6f", "Locations": "#e07b39",
                                  "Crew & equipment": "#3b6ea8"}
#: Where the sample's production records live; ``records_for`` looks here.
SAMPLE_DIR = Path(__file__).resolve().parents[1] / "data" / "sample"


def money(x: float) -> str:
    """Dollars as the top sheet prints them: ``$1,234,567``."""
    return f"${x:,.0f}"


def cost_by_shoot_day(days: Sequence[Sequence[Strip]], cast_pay: Mapping[str, float], detail: pl.DataFrame,
                      shoot_weeks: float) -> pl.DataFrame:
    """What each shoot day costs, from the lines the plan links to days (one row per day and kind).

    Cast: every performer working that day (on one of its strips) at their day rate, before fringes.
    Background: the ``background:Day N`` line's total on day N. Locations: a ``schedule:location:X``
    line's total split evenly over the days X shoots. Crew & equipment: ``schedule:shoot_days`` lines,
    plus the shoot-week share (``shoot_weeks`` of the line's weeks) of ``schedule:shoot_weeks`` lines,
    split evenly over the shoot days. Prep, wrap, post and flat lines belong to no day and are left out.
    """
    n = len(days)
    schema = {"day": pl.Int32, "kind": pl.Utf8, "amount": pl.Float64}
    if n == 0:
        return pl.DataFrame(schema=schema)
    cost = {(d, k): 0.0 for d in range(1, n + 1) for k in DAY_COST_KINDS}
    loc_days: dict[str, list[int]] = {}
    for d, strips in enumerate(days, start=1):
        for cast_id in sorted({i for s in strips for i in s.cast}):
            if str(cast_id) not in cast_pay:
                raise ValueError(f"cast {cast_id} works on shoot day {d} but the schedule has no day rate for "
                                 "them (request cast_pay); set one and plan the schedule again")
            cost[(d, "Cast")] += float(cast_pay[str(cast_id)])
        for loc in {s.location for s in strips if s.location}:
            loc_days.setdefault(loc, []).append(d)
    for line in detail.iter_rows(named=True):
        source, total = line["source"] or "", float(line["total"])
        if source.startswith("background:Day "):
            d = int(source.removeprefix("background:Day "))
            if 1 <= d <= n:
                cost[(d, "Background")] += total
        elif source.startswith("schedule:location:"):
            on = loc_days.get(source.removeprefix("schedule:location:"), [])
            for d in on:
                cost[(d, "Locations")] += total / len(on)
        elif source in ("schedule:shoot_days", "schedule:shoot_weeks"):
            share = 1.0 if source == "schedule:shoot_days" else (
                min(1.0, shoot_weeks / line["amount"]) if line["amount"] else 0.0)
            for d in range(1, n + 1):
                cost[(d, "Crew & equipment")] += total * share / n
    return pl.DataFrame([(d, k, round(v, 2)) for (d, k), v in cost.items()], schema=schema, orient="row")


def top_sheet_rows(top_sheet: pl.DataFrame) -> pd.DataFrame:
    """The top sheet as printed: every account that carries money, in chart order."""
    return top_sheet.filter(pl.col("total") != 0).select(
        pl.col("account").alias("Acct"), pl.col("name").alias("Account"), pl.col("section").alias("Section"),
        pl.col("subtotal").alias("Subtotal"), pl.col("fringes").alias("Fringes"), pl.col("total").alias("Total"),
    ).to_pandas()


def detail_rows(detail: pl.DataFrame, account: str) -> pd.DataFrame:
    """One account's detail lines: what was bought, how many, at what rate, and where the figure came from."""
    return detail.filter(pl.col("account") == account).select(
        pl.col("description").alias("Description"), pl.col("amount").round(2).alias("Amount"),
        pl.col("units").alias("Units"), pl.col("multiplier").round(2).alias("X"),
        pl.col("rate").alias("Rate"), pl.col("subtotal").alias("Subtotal"), pl.col("fringes").alias("Fringes"),
        pl.col("total").alias("Total"), pl.col("source").alias("Linked to"),
    ).to_pandas()


def account_chart(top_sheet: pl.DataFrame) -> hv.Bars:
    """Every account that carries money, largest first: where the budget goes."""
    data = top_sheet.filter(pl.col("total") > 0).sort("total", descending=True).select(
        (pl.col("account") + " " + pl.col("name")).alias("account"), pl.col("total"), pl.col("section"),
        pl.col("total").map_elements(money, return_dtype=pl.Utf8).alias("cost"),
    ).to_pandas()
    height = max(CHART_HEIGHT, 18 * len(data) + 80)
    return hv.Bars(data, kdims=[("account", "Account")], vdims=[("total", "Total ($)"), "section", "cost"]).opts(
        invert_axes=True, invert_yaxis=True, color="#23395b", line_color=None, tools=["hover"], responsive=True,
        height=height, title="Cost by account", xformatter=NumeralTickFormatter(format="$0a"),
        default_tools=["save", "reset"],
    )


def day_cost_chart(per_day: pl.DataFrame, dates: Sequence[date] = ()) -> hv.Bars:
    """Each shoot day's linked cost, stacked by kind: which days are expensive and why."""
    labels = {d: f"Day {d}" + (f" {dates[d - 1]:%b} {dates[d - 1].day}" if d <= len(dates) else "")
              for d in per_day["day"].unique().to_list()}
    data = per_day.with_columns(pl.col("day").replace_strict(labels, return_dtype=pl.Utf8).alias("label"),
                                pl.col("amount").map_elements(money, return_dtype=pl.Utf8).alias("cost"))
    frame = data.to_pandas()
    frame["label"] = pd.Categorical(frame["label"], categories=[labels[d] for d in sorted(labels)], ordered=True)
    frame["kind"] = pd.Categorical(frame["kind"], categories=list(DAY_COST_KINDS), ordered=True)
    frame = frame.sort_values(["label", "kind"])
    return hv.Bars(frame, kdims=[("label", "Shoot day"), ("kind", "Cost")], vdims=[("amount", "Cost ($)"), "cost"]).opts(
        stacked=True, cmap=DAY_COST_KINDS, color="kind", line_color=None, tools=["hover"], responsive=True,
        height=DAY_CHART_HEIGHT + 60, title="Linked cost per shoot day", yformatter=NumeralTickFormatter(format="$0,0"),
        xrotation=45,
        legend_position="right", default_tools=["save", "reset"],
    )


def budget_page(studio: Studio, script_id: str) -> pn.viewable.Viewable:
    """The latest schedule's budget: bottom-line figures, the top sheet with its detail lines, where the
    money goes by account and by shoot day."""
    versions = studio.schedules(script_id)
    if versions.is_empty():
        return _no_schedule(studio, script_id)
    version = int(versions["version"][-1])
    stored = studio.schedule(script_id, version)
    result = studio.budget(script_id, version)
    cast_pay = {str(k): float(v) for k, v in stored.request.get("cast_pay", {}).items()}
    per_day = cost_by_shoot_day(stored.schedule.days, cast_pay, result.detail, result.globals.get("SHOOT_WEEKS", 0.0))
    kpis = pn.Row(
        _kpi("Above the line", money(result.atl)), _kpi("Below the line", money(result.btl)),
        _kpi(f"Contingency {result.budget.contingency_pct:g}%", money(result.contingency)),
        _kpi("Grand total", money(result.grand_total)),
        _kpi("Shoot days", str(stored.shoot_days)),
        margin=(0, 10), css_classes=["budget-kpis"],
    )
    top = top_sheet_rows(result.top_sheet)
    money_cols = {c: {"type": "money", "symbol": "$", "precision": 0} for c in ("Subtotal", "Fringes", "Total")}
    table = pn.widgets.Tabulator(top, disabled=True, show_index=False, selectable=1, layout="fit_data_stretch",
                                 formatters=money_cols, sizing_mode="stretch_width", css_classes=["budget-top-sheet"])
    accounts = {f"{a} {n}": a for a, n in zip(top["Acct"], top["Account"], strict=True)}
    picker = pn.widgets.Select(name="Account detail", options=accounts, width=360,
                               css_classes=["budget-account-picker"])
    details = {a: detail_rows(result.detail, a) for a in accounts.values()}  # read now: the studio closes after

    def _detail(account: str) -> pn.widgets.Tabulator:
        rows = details[account]
        line_money = {c: {"type": "money", "symbol": "$", "precision": 2} for c in ("Rate", "Subtotal", "Fringes",
                                                                                     "Total")}
        return pn.widgets.Tabulator(rows, disabled=True, show_index=False, layout="fit_data_stretch",
                                    formatters=line_money, sizing_mode="stretch_width",
                                    css_classes=["budget-detail", f"budget-detail-{account}"])

    def _pick_row(event: param.parameterized.Event) -> None:
        if event.new:
            picker.value = str(top["Acct"].iloc[event.new[0]])

    table.param.watch(_pick_row, "selection")
    summary = "".join(f"<tr><td>{html.escape(label)}</td><td style='text-align:right'>{money(v)}</td></tr>"
                      for label, v in result.summary().iter_rows())
    return pn.Column(
        pn.pane.Markdown(f"## Budget\n{html.escape(result.budget.title)} · schedule {version} of `{script_id}` · "
                         f"{stored.shoot_days} shoot days · rates in force on {result.budget.on:%b %d, %Y}",
                         margin=(0, 10), css_classes=["budget-header"]),
        kpis,
        pn.pane.HTML(f"<table class='budget-summary'>{summary}</table>", margin=(0, 10),
                     stylesheets=["table.budget-summary { font: 13px Arial, sans-serif; border-collapse: "
                                  "collapse; } table.budget-summary td { padding: 3px 8px; "
                                  "border-bottom: 1px solid #ddd; } table.budget-summary tr:last-child td "
                                  "{ font-weight: 700; border-top: 2px solid #23395b; }"]),
        pn.pane.Markdown("### Top sheet\nSelect an account (or a row) to see its detail lines.", margin=(10, 10, 0, 10)),
        table, picker, pn.panel(pn.bind(_detail, picker), sizing_mode="stretch_width"),
        pn.Row(
            pn.pane.HoloViews(account_chart(result.top_sheet), sizing_mode="stretch_width",
                              css_classes=["budget-account-chart"]),
            pn.pane.HoloViews(day_cost_chart(per_day, stored.dates()), sizing_mode="stretch_width",
                              css_classes=["budget-day-chart"]),
            sizing_mode="stretch_width",
        ),
        sizing_mode="stretch_width",
    )


def records_for(script_id: str) -> Path | None:
    """The production records (contacts, locations, crew calls) of a script, by the sample's naming:
    ``data/sample/<script id, - as _>_production.toml``; None when there are none."""
    path = SAMPLE_DIR / f"{script_id.replace('-', '_')}_production.toml"
    return path if path.is_file() else None


def day_label(day: int, when: date) -> str:
    """The call sheet picker's entry: ``Day 1 — Mon Mar 1``."""
    return f"Day {day} — {when:%a %b} {when.day}"


def callsheet_page(studio: Studio, script_id: str) -> pn.viewable.Viewable:
    """The latest schedule's call sheets, one shoot day at a time."""
    versions = studio.schedules(script_id)
    if versions.is_empty():
        return _no_schedule(studio, script_id)
    records = records_for(script_id)
    if records is None:
        expected = SAMPLE_DIR / f"{script_id.replace('-', '_')}_production.toml"
        return pn.pane.Alert(
            f"No production records for `{script_id}`: call sheets need contacts, locations and crew calls. "
            f"Write them to `{expected}` (see `data/sample/night_train_production.toml`), then press Reload.",
            alert_type="info", css_classes=["no-records"])
    version = int(versions["version"][-1])
    sheets = studio.call_sheets(records, script_id, version)
    pages = {day_label(s.day, s.date): to_html(s) for s in sheets}
    if not pages:
        return pn.pane.Alert(f"Schedule {version} of `{script_id}` has no shoot days.", alert_type="info",
                             css_classes=["no-schedule"])
    picker = pn.widgets.Select(name="Shoot day", options=list(pages), width=260, css_classes=["callsheet-picker"])
    sheet = pn.pane.HTML(pages[picker.value], sizing_mode="stretch_width", css_classes=["callsheet"])
    picker.param.watch(lambda e: setattr(sheet, "object", pages[e.new]), "value")
    return pn.Column(
        pn.pane.Markdown(f"## Call sheets\nSchedule {version} of `{script_id}` · {len(sheets)} shoot days · "
                         f"records from `{records.name}`", margin=(0, 10)),
        picker, sheet, sizing_mode="stretch_width",
    )


#: The dashboard's pages, in tab order. Add a page by adding an entry (or pass ``pages=`` to build_app).
# -- characters and generation jobs --------------------------------------------------------------------

#: Tiles of a character card: the turnaround, then the expression row.
SHEET_ORDER = ("front", "three_quarter", "side", "back")
CONSISTENCY_CHART_HEIGHT = 320


def _img_tag(path: str | None, width: int, title: str, base: Path | None = None) -> str:
    """An <img> with the artifact inlined (the browser never reaches the asset folder itself)."""
    import base64

    if not path:
        return ""
    p = Path(path)
    if not p.is_absolute() and base is not None:
        p = base / p
    try:
        data = base64.b64encode(p.read_bytes()).decode()
    except OSError:
        return f"<div class='missing' style='width:{width}px'>missing {html.escape(p.name)}</div>"
    return (f"<img src='data:image/png;base64,{data}' width='{width}' title='{html.escape(title)}' "
            f"style='border:1px solid #ccc;margin:2px'>")


def score_badge(score: float | None, threshold: float | None, drift: bool, stale: bool) -> str:
    if score is None:
        return ""
    colour = "#c0392b" if drift else "#1e8449"
    flags = (" drift" if drift else "") + (" stale" if stale else "")
    return (f"<span class='score{flags}' style='color:{colour};font-weight:bold'>{score:.3f}</span>"
            f"<span style='color:#888'> / {threshold:.2f}{flags}</span>")


def character_card_html(row: Mapping, images: pl.DataFrame, base: Path | None = None) -> str:
    """One character: name, cast id, version and lock state, the locked sheet tiles with scores."""
    locked = row.get("locked_version")
    state = (f"<span class='lock locked'>locked v{locked}</span>" if locked
             else "<span class='lock draft'>draft (not locked)</span>")
    newer = row["version"] != locked if locked else False
    head = (f"<div class='card-head'><b>#{row['cast_id']} {html.escape(row['name'])}</b> · version {row['version']}"
            f" · {state}{' · newer draft v' + str(row['version']) if newer else ''} · {row['scenes']} scenes</div>")
    mine = images.filter(pl.col("character_id") == row["character_id"])
    sheet = mine.filter(pl.col("kind") == "sheet")
    if sheet.is_empty():
        sheet = mine.filter(pl.col("kind") == "reference")
    if not sheet.is_empty():
        newest = sheet["version"].max()
        sheet = sheet.filter(pl.col("version") == newest)
    tiles = []
    order = {v: k for k, v in enumerate(SHEET_ORDER)}
    for r in sorted(sheet.iter_rows(named=True), key=lambda r: (order.get(r["label"], 9), r["label"])):
        width = 96 if r["label"].startswith("expr:") else 110
        tiles.append(f"<div class='tile' style='display:inline-block;text-align:center'>"
                     f"{_img_tag(r['path'], width, r['label'], base)}<br><small>{html.escape(r['label'])}</small><br>"
                     f"{score_badge(r['score'], r['threshold'], r['drift'], r['stale'])}</div>")
    body = "".join(tiles) or "<i>no sheet yet: lock the character, then make its sheet</i>"
    return f"<div class='character-card' data-character='{html.escape(row['character_id'])}'>{head}{body}</div>"


def consistency_chart(images: pl.DataFrame) -> hv.Overlay | hv.Scatter:
    """Every scored image of every character against its lock's threshold (red: drift)."""
    if images.is_empty():
        return hv.Scatter([], "character", "score").opts(title="Consistency (no images yet)")
    frame = images.select("character_id", "score", "label", "kind", "drift").to_pandas()
    points = hv.Scatter(frame, "character_id", ["score", "label", "kind", "drift"]).opts(
        color="drift", cmap={False: "#1e8449", True: "#c0392b"}, size=7, jitter=0.3, tools=["hover"],
        responsive=True, height=CONSISTENCY_CHART_HEIGHT, title="Consistency of every image to the character's lock",
        xlabel="character", ylabel="cosine to the locked reference", xrotation=45)
    limit = float(images["threshold"].drop_nulls().min()) if images["threshold"].drop_nulls().len() else 0.0
    return points * hv.HLine(limit).opts(color="#c0392b", line_dash="dashed")


def characters_page(studio: Studio, script_id: str) -> pn.viewable.Viewable:
    """Character sheets gallery: versions, lock state and consistency per image."""
    chars = studio.characters()
    if chars.is_empty():
        return pn.pane.Alert("No characters yet: `studio characters create`, then `studio characters lock --all` and "
                             "`studio characters sheets` (or run `studio demo`).", alert_type="info")
    images = studio.character_images()
    base = studio.store.path.parent if studio.store.path else None
    locked = chars.filter(pl.col("locked_version").is_not_null()).height
    drift = int(images["drift"].sum()) if not images.is_empty() else 0
    stale = int(images["stale"].sum()) if not images.is_empty() else 0
    kpis = pn.Row(_kpi("Characters", str(chars.height)), _kpi("Locked", str(locked)),
                  _kpi("Images scored", str(images.height)), _kpi("Drift", str(drift)), _kpi("Stale", str(stale)),
                  margin=(0, 10), css_classes=["character-kpis"])
    picker = pn.widgets.Select(name="Character", options={f"#{r['cast_id']} {r['name']}": r["character_id"]
                                                          for r in chars.iter_rows(named=True)}, width=260,
                              css_classes=["character-picker"])
    cards = {r["character_id"]: character_card_html(r, images, base) for r in chars.iter_rows(named=True)}
    card = pn.pane.HTML(cards[picker.value], sizing_mode="stretch_width", css_classes=["character-sheet"])
    table_cols = ["character_id", "version", "kind", "label", "scene", "score", "threshold", "drift", "stale"]
    shots = pn.widgets.Tabulator(
        images.select(table_cols).to_pandas() if not images.is_empty() else pd.DataFrame(columns=table_cols),
        disabled=True, show_index=False, layout="fit_data_stretch", height=TABLE_HEIGHT,
        sizing_mode="stretch_width", css_classes=["consistency-table"])

    def pick(event: param.parameterized.Event) -> None:
        card.object = cards[event.new]
        sub = images.filter(pl.col("character_id") == event.new) if not images.is_empty() else images
        shots.value = sub.select(table_cols).to_pandas() if not sub.is_empty() else pd.DataFrame(columns=table_cols)

    picker.param.watch(pick, "value")
    gallery = pn.pane.HTML("".join(cards.values()), sizing_mode="stretch_width", css_classes=["character-gallery"])
    return pn.Column(
        pn.pane.Markdown("## Characters", margin=(0, 10)), kpis, picker, card,
        pn.pane.HoloViews(consistency_chart(images), sizing_mode="stretch_width", css_classes=["consistency-chart"]),
        pn.pane.Markdown("### Consistency per image", margin=(10, 10, 0, 10)), shots,
        pn.pane.Markdown("### All characters", margin=(10, 10, 0, 10)), gallery,
        sizing_mode="stretch_width")


JOB_STATUS_COLOURS = {"queued": "#7f8c8d", "running": "#2e64b5", "done": "#1e8449", "failed": "#c0392b",
                      "cancelled": "#b9770e"}


def jobs_page(studio: Studio, script_id: str) -> pn.viewable.Viewable:
    """Generation jobs: how many in each state, where they ran, what they cost in GPU-seconds."""
    jobs = studio.jobs()
    if jobs.is_empty():
        return pn.pane.Alert("No generation jobs in this project yet.", alert_type="info")
    counts = dict(jobs.group_by("status").len().iter_rows())
    done = counts.get("done", 0)
    total = jobs.height
    progress = pn.indicators.Progress(name="Done", value=int(100 * done / total), max=100, width=400,
                                      bar_color="success", css_classes=["jobs-progress"])
    kpis = pn.Row(*(_kpi(s.title(), str(counts.get(s, 0))) for s in JOB_STATUS_COLOURS), margin=(0, 10),
                  css_classes=["jobs-kpis"])
    usage = metering_usage(studio)
    cols = [c for c in ("job_id", "task", "model", "status", "attempts", "node_id", "gpu_kind", "seconds", "error",
                        "submitted_at", "finished_at") if c in jobs.columns]
    table = pn.widgets.Tabulator(jobs.select(cols).to_pandas(), disabled=True, show_index=False,
                                 layout="fit_data_stretch", height=TABLE_HEIGHT, sizing_mode="stretch_width",
                                 css_classes=["jobs-table"])
    by_node = (jobs.filter(pl.col("status") == "done").group_by("node_id").len().sort("node_id")
               .with_columns(pl.col("node_id").fill_null("?").str.slice(0, 12)))
    chart = hv.Bars(by_node.to_pandas(), "node_id", "len").opts(
        responsive=True, height=DAY_CHART_HEIGHT, title="Done jobs per node", xlabel="node", ylabel="jobs",
        color="#2e64b5", tools=["hover"])
    return pn.Column(pn.pane.Markdown(f"## Generation jobs · {total} in this project", margin=(0, 10)), kpis,
                     progress, pn.pane.HoloViews(chart, sizing_mode="stretch_width", css_classes=["jobs-chart"]),
                     pn.pane.Markdown(f"GPU-seconds recorded: **{usage:.1f}**", margin=(0, 10)), table,
                     sizing_mode="stretch_width")


def metering_usage(studio: Studio) -> float:
    from studio_kit.generation.metering import usage_by_model

    frame = usage_by_model(studio.scope)
    return float(frame["gpu_seconds"].sum()) if not frame.is_empty() else 0.0


# -- shot lists, storyboards and the animatic ------------------------------------------------------------

#: Width of one board frame on the page, in pixels.
BOARD_FRAME_WIDTH = 300
SHOT_TABLE_COLUMNS = ("shot", "size", "angle", "movement", "kind", "subject", "characters", "seconds",
                      "description")
CUT_TABLE_COLUMNS = ("scene", "shot", "start", "end", "seconds")


def latest_shot_lists(lists: pl.DataFrame) -> pl.DataFrame:
    """One row per scene: its latest shot list version (``Studio.shot_lists`` has every version)."""
    if lists.is_empty():
        return lists
    return lists.sort(["scene_uid", "version"]).group_by("scene_uid", maintain_order=True).last()


def board_scene_label(number: str, heading: str, frames: int) -> str:
    """How the scene picker names a scene: number, heading and its board's frame count."""
    board = f"{frames} frame{'s' if frames != 1 else ''}" if frames else "no board"
    return f"Sc. {number} · {heading} · {board}"


def board_scene_options(stored, lists: pl.DataFrame, frames: pl.DataFrame) -> dict[str, str]:
    """Picker label -> scene uid: the scenes with a board first (script order), then the scenes that
    have a shot list but no board yet."""
    counts = dict(frames.group_by("scene_uid").len().iter_rows()) if not frames.is_empty() else {}
    listed = set(lists["scene_uid"].to_list()) if not lists.is_empty() else set()
    scenes = list(zip(stored.analysis.scenes, stored.scene_uids, strict=True))
    boarded = [(sc, uid) for sc, uid in scenes if counts.get(uid)]
    rest = [(sc, uid) for sc, uid in scenes if uid in listed and not counts.get(uid)]
    return {board_scene_label(sc.number, sc.heading, counts.get(uid, 0)): uid for sc, uid in boarded + rest}


def shot_rows(shot_list) -> pd.DataFrame:
    """A shot list (``writing.shots.ShotList``) as the Boards page's table."""
    return pd.DataFrame([{"shot": s.number, "size": s.size, "angle": s.angle, "movement": s.movement, "kind": s.kind,
                          "subject": s.subject, "characters": ", ".join(s.characters), "seconds": s.seconds,
                          "description": s.description} for s in shot_list.shots], columns=list(SHOT_TABLE_COLUMNS))


def shot_line(shot) -> str:
    """One line naming a shot's framing: size, angle, movement, kind and subject."""
    parts = [shot.size, f"{shot.angle} angle", shot.movement, shot.kind]
    if shot.subject:
        parts.append(shot.subject)
    return " · ".join(parts) + f" · {shot.seconds:.1f} s"


def dialogue_per_shot(cuts) -> dict[str, list[str]]:
    """Shot number -> the speeches the edit (``writing.shots.cut_scene``) plays on it, in order."""
    lines: dict[str, list[str]] = {}
    for c in cuts:
        for b in c.dialogue:
            lines.setdefault(c.shot, []).append(f"{b.character}: {b.text}")
    return lines


def frame_score_html(character_id: str, score: float, threshold: float | None, drift: bool) -> str:
    flag = " drift" if drift else ""
    limit = f" / {threshold:.2f}" if threshold is not None else ""
    return (f"<span class='frame-score{flag}' data-character='{html.escape(character_id)}' "
            f"style='color:{'#c0392b' if drift else '#1e8449'};margin-right:10px'>{html.escape(character_id)} "
            f"<b class='score'>{score:.3f}</b><small style='color:#888'>{limit}{flag}</small></span>")


def board_panel_html(frame: Mapping, shot, dialogue: Sequence[str], checks: Mapping[str, tuple[float | None, bool]],
                     base: Path | None = None) -> str:
    """One board frame: the image, the shot line, the dialogue played on it and the consistency score
    of every character in it (``checks``: character id -> (threshold, drift) from the scoring)."""
    scores: dict[str, float] = json.loads(frame["scores"]) if frame["scores"] else {}
    badges = "".join(frame_score_html(cid, float(v), *checks.get(cid, (None, bool(frame["drift"]))))
                     for cid, v in sorted(scores.items()))
    drift = any(checks.get(cid, (None, bool(frame["drift"])))[1] for cid in scores)
    head = (f"<div class='shot-line'><b class='shot-number'>{html.escape(frame['shot'])}</b> · "
            f"{html.escape(shot_line(shot)) if shot is not None else 'shot not in the list'}</div>")
    desc = f"<div class='shot-description'>{html.escape(shot.description)}</div>" if shot is not None else ""
    said = "".join(f"<div class='dialogue-line'>{html.escape(line)}</div>" for line in dialogue)
    border = "#c0392b" if drift else "#d0d4dc"
    return (f"<div class='board-panel{' drift' if drift else ''}' data-shot='{html.escape(frame['shot'])}' "
            f"style='display:inline-block;vertical-align:top;width:{BOARD_FRAME_WIDTH + 12}px;margin:6px;padding:6px;"
            f"border:2px solid {border};border-radius:4px;background:#fff'>"
            f"{_img_tag(frame['path'], BOARD_FRAME_WIDTH, frame['shot'], base)}{head}{desc}"
            f"<div class='dialogue' style='font-style:italic;margin:4px 0'>{said}</div>"
            f"<div class='frame-scores'>{badges or '<i>no character in frame</i>'}</div></div>")


def cut_rows(cuts_json: str | None) -> pd.DataFrame:
    """An animatic's cut list (JSON [{scene, shot, start, end}]) as a table with each cut's length."""
    cuts = json.loads(cuts_json) if cuts_json else []
    return pd.DataFrame([{**{k: c.get(k) for k in ("scene", "shot", "start", "end")},
                          "seconds": round(float(c["end"]) - float(c["start"]), 3)} for c in cuts],
                        columns=list(CUT_TABLE_COLUMNS))


def _board_html(number: str, panels: list[tuple], base: Path | None) -> str:
    """One scene's board cards (frames inlined from the asset files: made when the scene is shown)."""
    board = "".join(board_panel_html(r, shot, said, checks, base) for r, shot, said, checks in panels) or (
        f"<i>No board for this scene yet: <code>studio boards --scene {html.escape(number)}</code></i>")
    return f"<div class='board' data-scene='{html.escape(number)}'>{board}</div>"


def _board_view(studio: Studio, stored, uid: str, frames: pl.DataFrame, checks: pl.DataFrame,
                base: Path | None) -> tuple[Callable[[], str], pd.DataFrame, str]:
    """The board (as a function making its HTML when shown, so only the scene on screen has its
    images inlined), the shot table and a caption for one scene; the store is read now, while open."""
    from studio_kit.writing.shots import cut_scene, scene_beats, scene_seconds

    sc = stored.analysis.scenes[stored.scene_uids.index(uid)]
    mine = frames.filter(pl.col("scene_uid") == uid).sort("ordinal")
    # the shot list the board was drawn from (a newer list has no frames until it is boarded)
    version = int(mine["shot_list_version"][0]) if mine.height else None
    shot_list = studio.shot_list(uid, version=version, script_id=stored.script_id)
    latest = int(studio.shot_lists(stored.script_id).filter(pl.col("scene_uid") == uid)["version"].max())
    cuts = cut_scene(shot_list, scene_beats(stored.analysis.screenplay, sc), scene_seconds(sc))
    said = dialogue_per_shot(cuts)
    by_shot = {s.number: s for s in shot_list.shots}
    check = {(r["job_id"], r["character_id"]): (r["threshold"], bool(r["drift"]))
             for r in checks.iter_rows(named=True)} if not checks.is_empty() else {}
    panels = []
    for r in mine.iter_rows(named=True):
        mine_checks = {cid: v for (job, cid), v in check.items() if job == r["job_id"]}
        panels.append((r, by_shot.get(r["shot"]), said.get(r["shot"], ()), mine_checks))
    caption = (f"### Scene {sc.number} · {sc.heading}\nShot list v{version or latest} ({shot_list.source}, "
               f"{len(shot_list.shots)} shots, {shot_list.seconds:.1f} s)"
               + (f" · a newer shot list v{latest} is not boarded yet" if version and latest > version else ""))
    return functools.partial(_board_html, sc.number, panels, base), shot_rows(shot_list), caption


def boards_page(studio: Studio, script_id: str) -> pn.viewable.Viewable:
    """Shot lists, storyboard frames with consistency per character, and the animatic."""
    lists = studio.shot_lists(script_id)
    if lists.is_empty():
        return pn.pane.Alert("No shot lists yet: `studio shots`, then `studio boards` and `studio animatic` "
                             "(or run `studio demo`).", alert_type="info")
    stored = studio.stored_script(script_id)
    frames = studio.board_frames(script_id=script_id)
    latest = latest_shot_lists(lists)
    checks = studio.character_images(kind="board")
    base = studio.store.path.parent if studio.store.path else None
    options = board_scene_options(stored, latest, frames)
    scores = [float(v) for s in frames["scores"].drop_nulls() for v in json.loads(s).values()] \
        if not frames.is_empty() else []
    drift = int(frames["drift"].sum()) if not frames.is_empty() else 0
    boarded = frames["scene_uid"].n_unique() if not frames.is_empty() else 0
    kpis = pn.Row(_kpi("Scenes with shot lists", str(latest.height)), _kpi("Shots", str(int(latest["shots"].sum()))),
                  _kpi("Boarded scenes", str(boarded)), _kpi("Frames", str(frames.height)),
                  _kpi("Lowest consistency", f"{min(scores):.3f}" if scores else "–"),
                  _kpi("Drift", str(drift)), margin=(0, 10), css_classes=["boards-kpis"])
    # every scene's board is read from the store now (it is closed once the page is built); images when shown
    views = {uid: _board_view(studio, stored, uid, frames, checks, base) for uid in options.values()}
    picker = pn.widgets.Select(name="Scene", options=options, width=520, css_classes=["board-picker"])
    caption = pn.pane.Markdown(views[picker.value][2], margin=(0, 10), css_classes=["board-caption"])
    table = pn.widgets.Tabulator(views[picker.value][1], disabled=True, show_index=False, layout="fit_data_stretch",
                                 sizing_mode="stretch_width", css_classes=["shot-table"])
    board = pn.pane.HTML(views[picker.value][0](), sizing_mode="stretch_width", css_classes=["board-frames"])

    def pick(event: param.parameterized.Event) -> None:
        make_html, rows, text = views[event.new]
        caption.object, table.value, board.object = text, rows, make_html()

    picker.param.watch(pick, "value")
    return pn.Column(pn.pane.Markdown("## Shot lists and boards", margin=(0, 10)), kpis, picker, caption,
                     pn.pane.Markdown("### Shot list", margin=(10, 10, 0, 10)), table,
                     pn.pane.Markdown("### Board", margin=(10, 10, 0, 10)), board,
                     _animatic_view(studio, script_id), sizing_mode="stretch_width")


def _animatic_view(studio: Studio, script_id: str) -> pn.viewable.Viewable:
    """The latest animatic: the video (embedded as a data URI), its length and its cut list."""
    animatics = studio.animatics(script_id)
    if animatics.is_empty():
        return pn.pane.Markdown("### Animatic\n*No animatic yet: `studio animatic` cuts one from the boards.*",
                                margin=(10, 10, 0, 10), css_classes=["animatic-missing"])
    a = animatics.row(-1, named=True)
    path = Path(a["path"])
    scenes = ", ".join(str(s) for s in json.loads(a["scenes"] or "[]"))
    head = pn.pane.Markdown(
        f"### Animatic\nScenes {scenes} · {a['seconds']:.1f} s · {a['frames']} frames · "
        f"temp dialogue {a['audio_seconds']:.1f} s · `{path.name}`", margin=(10, 10, 0, 10),
        css_classes=["animatic-header"])
    try:
        data = path.read_bytes()
    except OSError as exc:
        return pn.Column(head, pn.pane.Alert(f"The animatic's file cannot be read: {exc}", alert_type="warning"))
    # the bytes go inline (a data: URI): `panel serve` serves no asset folder, and the browser never reads files
    video = pn.pane.Video(data, width=640, height=360, loop=False, autoplay=False, css_classes=["animatic-video"])
    # no height: every cut is a row of the page (the table does not scroll its rows away)
    cuts = pn.widgets.Tabulator(cut_rows(a["cuts"]), disabled=True, show_index=False, layout="fit_data_stretch",
                                sizing_mode="stretch_width", css_classes=["cut-table"])
    return pn.Column(head, pn.Row(video, cuts, sizing_mode="stretch_width"), sizing_mode="stretch_width",
                     css_classes=["animatic"])


# -- operations: approvals, usage and invoices, the timeline ----------------------------------------

#: Colours of a version's final sign-off state, shared by the KPI chart and the table.
APPROVAL_COLOURS: dict[str, str] = {"pending": "#b9770e", "approved": "#1e8449", "rejected": "#c0392b"}
#: Colours of a task's status flag on the timeline; shoot days have their own.
FLAG_COLOURS: dict[str, str] = {"default": "#95a5a6", "wip": "#2e64b5", "waiting_for_approval": "#b9770e",
                                "retake": "#c0392b", "done": "#1e8449", "shoot": "#23395b"}
APPROVAL_COLUMNS = ["Asset", "Name", "Version", "Status", "Signed", "Steps", "Next step", "Last signed by",
                    "Last signed at", "Validated", "Rejected", "Neutral", "Comments"]


def _when(at: object) -> str:
    return at.strftime("%Y-%m-%d %H:%M") if hasattr(at, "strftime") else ""


def review_rows(studio: Studio) -> tuple[pd.DataFrame, dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """Every asset version the user may see with its sign-off state, candidate and comment counts;
    plus, per version key ``asset_id@vN``, its sign-off history and its comments."""
    rows: list[dict[str, object]] = []
    history: dict[str, pd.DataFrame] = {}
    notes: dict[str, pd.DataFrame] = {}
    for asset in studio.assets():
        for v in studio.asset_versions(asset.asset_id):
            state = studio.approval_state(asset.asset_id, v.version)
            picks = [c.decision for c in studio.candidates(asset.asset_id, v.version)]
            said = studio.comments(asset.asset_id, v.version)
            signed = [s for s in state.steps if s.decision != "pending"]
            last = max(signed, key=lambda s: s.index) if signed else None
            key = f"{asset.asset_id}@v{v.version}"
            rows.append({"Asset": asset.asset_id, "Name": asset.name, "Version": v.version, "Status": state.final,
                         "Signed": len(signed), "Steps": len(state.steps), "Next step": state.next_step or "",
                         "Last signed by": last.signed_by if last else "",
                         "Last signed at": _when(last.signed_at) if last else "",
                         "Validated": picks.count("validated"), "Rejected": picks.count("rejected"),
                         "Neutral": picks.count("neutral"), "Comments": len(said)})
            history[key] = pd.DataFrame(
                [{"Step": s.index + 1, "Name": s.name, "Signer": s.person or s.role, "Decision": s.decision,
                  "By": s.signed_by, "At": _when(s.signed_at)} for s in state.steps],
                columns=["Step", "Name", "Signer", "Decision", "By", "At"])
            notes[key] = pd.DataFrame(
                [{"When": _when(c.created_at), "Author": c.author, "Note": c.text,
                  "Client": "yes" if c.client_visible else ""} for c in said],
                columns=["When", "Author", "Note", "Client"])
    return pd.DataFrame(rows, columns=APPROVAL_COLUMNS), history, notes


def approvals_chart(table: pd.DataFrame) -> hv.Bars:
    """Versions per final state: how much is still waiting for a signature."""
    counts = pd.DataFrame({"status": list(APPROVAL_COLOURS),
                           "versions": [int((table["Status"] == s).sum()) for s in APPROVAL_COLOURS]})
    return hv.Bars(counts, kdims=[("status", "Status")], vdims=[("versions", "Versions")]).opts(
        color="status", cmap=APPROVAL_COLOURS, line_color=None, tools=["hover"], responsive=True,
        height=DAY_CHART_HEIGHT, title="Versions by sign-off state", default_tools=["save", "reset"])


def approvals_page(studio: Studio, script_id: str) -> pn.viewable.Viewable:
    """Sign-off state of every published version, filterable, with one version's notes and history."""
    table, history, notes = review_rows(studio)
    if table.empty:
        return pn.pane.Alert("No versions to review yet: publish an asset version (`studio assets publish`) or "
                             "run `studio demo`.", alert_type="info")
    counts = table["Status"].value_counts()
    kpis = pn.Row(*(_kpi(s.title(), str(int(counts.get(s, 0)))).clone(css_classes=[f"kpi-{s}"])
                    for s in APPROVAL_COLOURS),
                  _kpi("Versions", str(len(table))), _kpi("Comments", str(int(table["Comments"].sum()))),
                  margin=(0, 10), css_classes=["approvals-kpis"])
    status = pn.widgets.Select(name="Status", options=["all", *APPROVAL_COLOURS], value="all", width=160,
                               css_classes=["approvals-status"])
    grid = pn.widgets.Tabulator(
        table, disabled=True, show_index=False, layout="fit_data_stretch", height=min(TABLE_HEIGHT, 90 + 24 * len(table)),
        header_filters={"Asset": {"type": "input", "func": "like", "placeholder": "filter"},
                        "Name": {"type": "input", "func": "like", "placeholder": "filter"}},
        sizing_mode="stretch_width", css_classes=["approvals-table"])
    picker = pn.widgets.Select(name="Version", options=list(history), width=320, css_classes=["approval-picker"])
    steps = pn.widgets.Tabulator(history[picker.value], disabled=True, show_index=False, layout="fit_data_stretch",
                                 sizing_mode="stretch_width", css_classes=["signoff-table"])
    said = pn.widgets.Tabulator(notes[picker.value], disabled=True, show_index=False, layout="fit_data_stretch",
                                sizing_mode="stretch_width", css_classes=["comments-table"])
    heading = pn.pane.Markdown("", margin=(0, 10), css_classes=["approval-detail"])

    def show(key: str) -> None:
        row = table[(table["Asset"] + "@v" + table["Version"].astype(str)) == key].iloc[0]
        n = len(notes[key])
        heading.object = (f"### {key} · {row['Status']}\n{row['Signed']} of {row['Steps']} sign-offs · "
                          f"{n} comment{'s' if n != 1 else ''}" + ("" if n else " · no comments yet"))
        steps.value = history[key]
        said.value = notes[key]

    def refilter(event: param.parameterized.Event) -> None:
        grid.value = table if event.new == "all" else table[table["Status"] == event.new]

    show(picker.value)
    picker.param.watch(lambda e: show(e.new), "value")
    status.param.watch(refilter, "value")
    return pn.Column(
        pn.pane.Markdown(f"## Approvals · {len(table)} versions", margin=(0, 10)), kpis,
        pn.pane.HoloViews(approvals_chart(table), sizing_mode="stretch_width", css_classes=["approvals-chart"]),
        status, grid, pn.pane.Markdown("### One version", margin=(10, 10, 0, 10)), picker, heading,
        pn.pane.Markdown("#### Sign-off history", margin=(0, 10)), steps,
        pn.pane.Markdown("#### Comments", margin=(0, 10)), said, sizing_mode="stretch_width")


def billing_periods(now: date | None = None) -> tuple[str, str]:
    """The current and the previous billing period (calendar months, UTC) as ``YYYY-MM``."""
    from studio_kit.platform.billing import Period, _now

    current = Period.of(now or _now())
    previous = Period.of(current.start - timedelta(days=1))
    return str(current), str(previous)


def usage_chart(by_model: pl.DataFrame, project: str) -> hv.Bars:
    """GPU-seconds per model, stacked by GPU kind: which model costs what."""
    data = by_model.select("model", "gpu_kind", pl.col("gpu_seconds").cast(pl.Float64)).to_pandas()
    return hv.Bars(data, kdims=[("model", "Model"), ("gpu_kind", "GPU kind")],
                   vdims=[("gpu_seconds", "GPU-seconds")]).opts(
        stacked=True, tools=["hover"], responsive=True, height=DAY_CHART_HEIGHT, xrotation=30,
        title=f"GPU-seconds by model and GPU kind · {project}", default_tools=["save", "reset"])


def usage_page(studio: Studio, script_id: str) -> pn.viewable.Viewable:
    """Metered usage this and last month, the GPU quota, issued invoices and this month's draft."""
    from studio_kit.generation.metering import usage_by_model
    from studio_kit.platform.billing import BillingError

    current, previous = billing_periods()
    frames = [studio.usage_report(p).with_columns(pl.lit(p).alias("period")) for p in (current, previous)]
    usage = pl.concat(frames).select(pl.col("period").alias("Period"), pl.col("project_id").alias("Project"),
                                     pl.col("meter").alias("Meter"), pl.col("quantity").round(2).alias("Quantity"))
    quota = studio.quota_status()
    invoices = studio.invoices()
    by_model = usage_by_model(studio.scope)  # usage.read was checked by usage_report above
    if usage.is_empty() and invoices.is_empty() and by_model.is_empty():
        return pn.pane.Alert("No usage recorded yet: generation jobs meter their GPU-seconds as they finish.",
                             alert_type="info")
    used = quota.used + quota.reserved
    kpis = pn.Row(_kpi("Used GPU-s", f"{quota.used:,.1f}"), _kpi("Reserved GPU-s", f"{quota.reserved:,.1f}"),
                  _kpi("Quota GPU-s", "none" if quota.quota is None else f"{quota.quota:,.0f}"),
                  _kpi("Invoices", str(invoices.height)), margin=(0, 10), css_classes=["usage-kpis"])
    share = 0 if not quota.quota else min(100, round(100 * used / quota.quota))
    gauge = pn.indicators.Progress(name="Quota used", value=share, max=100, width=400,
                                   bar_color="danger" if share >= 90 else "success", css_classes=["quota-indicator"])
    quota_note = pn.pane.Markdown(
        f"Period {quota.period}: {quota.used:,.1f} used + {quota.reserved:,.1f} reserved of "
        + ("no quota (unlimited)" if quota.quota is None else f"{quota.quota:,.0f} GPU-seconds ({share}%)"),
        margin=(0, 10), css_classes=["quota-note"])
    usage_table = (pn.widgets.Tabulator(usage.to_pandas(), disabled=True, show_index=False, layout="fit_data_stretch",
                                        sizing_mode="stretch_width", css_classes=["usage-table"])
                   if not usage.is_empty() else
                   pn.pane.Alert(f"No usage in {previous} or {current}.", alert_type="info"))
    chart = (pn.pane.HoloViews(usage_chart(by_model, studio.project), sizing_mode="stretch_width", css_classes=["usage-chart"])
             if not by_model.is_empty() else
             pn.pane.Alert(f"No GPU usage recorded for project {studio.project!r} yet.", alert_type="info",
                           css_classes=["usage-empty"]))
    inv_table = (pn.widgets.Tabulator(
        invoices.select(pl.col("number").alias("Number"), pl.col("period").alias("Period"),
                        pl.col("plan_id").alias("Plan"), pl.col("currency").alias("Currency"),
                        pl.col("total").cast(pl.Float64).alias("Total"),
                        pl.col("issued_at").dt.strftime("%Y-%m-%d %H:%M").alias("Issued")).to_pandas(),
        disabled=True, show_index=False, layout="fit_data_stretch", sizing_mode="stretch_width",
        css_classes=["invoices-table"])
        if not invoices.is_empty() else pn.pane.Alert("No invoices issued yet.", alert_type="info"))
    try:
        draft = studio.draft_invoice(current)
    except BillingError as exc:
        draft_view: pn.viewable.Viewable = pn.pane.Alert(f"No draft invoice for {current}: {exc}", alert_type="info")
    else:
        draft_view = pn.Column(
            pn.pane.Markdown(f"Plan `{draft.plan_id}` · total **{draft.total:,.2f} {draft.currency}** so far",
                             margin=(0, 10), css_classes=["draft-total"]),
            pn.widgets.Tabulator(draft.lines_frame().to_pandas(), disabled=True, show_index=False,
                                 layout="fit_data_stretch", sizing_mode="stretch_width", css_classes=["draft-table"]),
            sizing_mode="stretch_width")
    return pn.Column(
        pn.pane.Markdown(f"## Usage · tenant {studio.tenant} · {current} and {previous}", margin=(0, 10)), kpis,
        gauge, quota_note,
        pn.pane.Markdown(f"### GPU-seconds by model and GPU kind · {studio.project}", margin=(10, 10, 0, 10)),
        chart, pn.pane.Markdown("### Usage by project and meter", margin=(10, 10, 0, 10)),
        usage_table, pn.pane.Markdown("### Invoices", margin=(10, 10, 0, 10)), inv_table,
        pn.pane.Markdown(f"### Draft invoice · {current}", margin=(10, 10, 0, 10)), draft_view,
        sizing_mode="stretch_width")


TIMELINE_COLUMNS = ["row", "task", "type", "status", "flag", "start", "end"]


def timeline_rows(tasks: Sequence[object], shoot_days: Sequence[date]) -> pd.DataFrame:
    """One bar per dated task and per shoot day. A task with one date gets its estimate (or a day)
    on the other side; an undated task has no bar. ``end`` is exclusive (the day after)."""
    rows: list[dict[str, object]] = []
    for t in tasks:
        days = timedelta(days=max(1.0, float(t.estimate_days or 1.0)))
        start = t.start_date or (t.due_date - days + timedelta(days=1) if t.due_date else None)
        if start is None:
            continue
        end = (t.due_date + timedelta(days=1)) if t.due_date else start + days
        rows.append({"row": f"{t.entity_id} · {t.type_id}", "task": t.name, "type": t.type_id,
                     "status": t.status_name or t.status_id, "flag": t.flag or "default",
                     "start": pd.Timestamp(start), "end": pd.Timestamp(end)})
    for n, d in enumerate(shoot_days, start=1):
        rows.append({"row": "Shoot", "task": f"Shoot day {n}", "type": "shoot", "status": f"day {n}",
                     "flag": "shoot", "start": pd.Timestamp(d), "end": pd.Timestamp(d + timedelta(days=1))})
    return pd.DataFrame(rows, columns=TIMELINE_COLUMNS)


def timeline_chart(rows: pd.DataFrame) -> hv.Rectangles:
    """A Gantt: one lane per task (entity · type), the shoot days on their own lane at the bottom."""
    lanes = [r for r in dict.fromkeys(rows["row"]) if r != "Shoot"] + (["Shoot"] if (rows["row"] == "Shoot").any()
                                                                         else [])
    index = {name: i for i, name in enumerate(lanes)}
    data = rows.assign(y0=[index[r] + 0.1 for r in rows["row"]], y1=[index[r] + 0.9 for r in rows["row"]],
                       first=rows["start"].dt.strftime("%Y-%m-%d"),
                       last=(rows["end"] - pd.Timedelta(days=1)).dt.strftime("%Y-%m-%d"))
    height = max(DAY_CHART_HEIGHT, 28 * len(lanes) + 90)
    return hv.Rectangles(data, kdims=["start", "y0", "end", "y1"],
                         vdims=["task", "row", "status", "flag", "first", "last"]).opts(
        color=hv.dim("flag").categorize(FLAG_COLOURS, default=_OTHER_COLOUR), line_color="white",
        tools=["hover"], responsive=True, height=height, invert_yaxis=True,
        yticks=[(i + 0.5, name) for name, i in index.items()], xlabel="date", ylabel="",
        title="Tasks and shoot days", default_tools=["save", "reset", "xwheel_zoom", "xpan"])


def timeline_page(studio: Studio, script_id: str) -> pn.viewable.Viewable:
    """Tasks from start to due date, coloured by status, beside the shoot days of the latest schedule."""
    tasks = studio.tasks()
    has_schedule = not studio.schedules(script_id).is_empty()
    shoot = studio.schedule(script_id).dates() if has_schedule else []
    rows = timeline_rows(tasks, shoot)
    if rows.empty:
        what = "tasks have no start or due dates" if tasks else "no tasks"
        return pn.pane.Alert(f"Nothing on the timeline yet: {what} and no shoot schedule for {script_id!r}. Create "
                             "tasks with dates (`studio tasks create ... --start --due`) or plan a schedule "
                             "(`studio schedule`).", alert_type="info")
    dated = rows[rows["row"] != "Shoot"]
    undated = len(tasks) - len(dated)
    kpis = pn.Row(_kpi("Tasks", str(len(tasks))), _kpi("On the timeline", str(len(dated))),
                  _kpi("Done", str(sum(1 for t in tasks if t.flag == "done"))), _kpi("Shoot days", str(len(shoot))),
                  margin=(0, 10), css_classes=["timeline-kpis"])
    first, last = rows["start"].min(), rows["end"].max() - pd.Timedelta(days=1)
    notes = [f"{first:%Y-%m-%d} .. {last:%Y-%m-%d}"]
    if undated:
        notes.append(f"{undated} task{'s' if undated != 1 else ''} without dates left off")
    if not has_schedule:
        notes.append(f"no shoot schedule for {script_id!r} yet")
    if not tasks:
        notes.append("no tasks yet")
    table = rows.assign(start=rows["start"].dt.strftime("%Y-%m-%d"),
                        end=(rows["end"] - pd.Timedelta(days=1)).dt.strftime("%Y-%m-%d")).rename(
        columns={"row": "Lane", "task": "Task", "type": "Type", "status": "Status", "flag": "Flag",
                 "start": "Start", "end": "Last day"})
    return pn.Column(
        pn.pane.Markdown(f"## Timeline · {' · '.join(notes)}", margin=(0, 10), css_classes=["timeline-header"]), kpis,
        pn.pane.HoloViews(timeline_chart(rows), sizing_mode="stretch_width", css_classes=["timeline-chart"]),
        pn.widgets.Tabulator(table, disabled=True, show_index=False, layout="fit_data_stretch", height=TABLE_HEIGHT,
                             sizing_mode="stretch_width", css_classes=["timeline-table"]),
        sizing_mode="stretch_width")


PAGES: dict[str, PageBuilder] = {"Script": script_page, "Stripboard": stripboard_page, "DOOD": dood_page,
                                 "Budget": budget_page, "Call sheet": callsheet_page,
                                 "Characters": characters_page, "Boards": boards_page, "Jobs": jobs_page,
                                 "Approvals": approvals_page, "Usage": usage_page, "Timeline": timeline_page}


# -- reading the store ----------------------------------------------------------------------------


class StoreReader:
    """Where the dashboard reads from: a store path opened read-only per read, or an open Studio.

    With a path, every read opens and closes the store, so the dashboard never keeps a writer out
    for longer than one page takes to read. With a Studio (a notebook that owns the store), reads go
    through that Studio's connection, which the reader never closes and never writes through.
    """

    def __init__(self, source: Studio | str | Path, tenant: str | None = None,
                 settings: Settings | None = None) -> None:
        self._studio = source if isinstance(source, Studio) else None
        if self._studio is not None:
            self.settings = self._studio.settings
            self.tenant = tenant or self._studio.tenant
            self.path = self._studio.store.path
        else:
            self.settings = settings or Settings.from_env()
            self.tenant = tenant or self.settings.tenant
            self.path = Path(source)

    @contextmanager
    def store(self) -> Iterator[Store]:
        if self._studio is not None:
            yield self._studio.store
            return
        store = Store.open(self.path, read_only=True, migrations=ALL_MIGRATIONS)
        try:
            yield store
        finally:
            store.close()

    def projects(self) -> list[str]:
        with self.store() as store:
            return store.projects(self.tenant)["project_id"].to_list()

    @contextmanager
    def studio(self, project: str) -> Iterator[Studio]:
        """A Studio on ``project`` for the length of one read."""
        with self.store() as store:
            if store.read_only:
                yield Studio(store, self.tenant, project, self.settings)
            else:  # the owner's Studio: rebind a copy to the project without the write Studio() would do
                base = self._studio
                assert base is not None
                if base.tenant == self.tenant and base.project == project:
                    yield base
                else:
                    yield base.for_project(project)

    def scripts(self, project: str) -> dict[str, str]:
        """Label -> script id for the project's scripts, the most recently created last."""
        with self.studio(project) as studio:
            frame = studio.scripts().sort(["created_at", "script_id"])
        return {f"{r['title']} ({r['script_id']})": r["script_id"] for r in frame.iter_rows(named=True)}


# -- the app ------------------------------------------------------------------------------------------

_READ_ERRORS = (StoreError, ValueError, duckdb.Error, AccessDenied)


class _Selection(param.Parameterized):
    #: (project, script_id); one value so that pages re-render once per change of either.
    current = param.Tuple(default=("", ""), length=2)


class ProducerDashboard:
    """Project and script pickers over tabs of pages; every page follows the pickers."""

    def __init__(self, reader: StoreReader, project: str | None = None,
                 pages: Mapping[str, PageBuilder] | None = None) -> None:
        self.reader = reader
        self.pages = dict(PAGES if pages is None else pages)
        if not self.pages:
            raise ValueError("the dashboard needs at least one page (pages={name: builder})")
        self.selection = _Selection()
        self._quiet = False
        self.message = pn.pane.Alert("", alert_type="danger", visible=False, sizing_mode="stretch_width")
        on_bar = ["label { color: #f4f6fa; }"]
        self.project_select = pn.widgets.Select(label="Project", options=[], width=220, stylesheets=on_bar)
        self.script_select = pn.widgets.Select(label="Script", options={}, width=260, stylesheets=on_bar)
        self.reload_button = pn.widgets.Button(label="Reload", width=90,
                                               align="end", description="read the store again")
        self.tabs = pn.Tabs(*((name, self._page_view(name)) for name in self.pages), dynamic=True,
                            sizing_mode="stretch_width")
        self.project_select.param.watch(self._on_project, "value")
        self.script_select.param.watch(self._on_script, "value")
        self.reload_button.on_click(self._on_reload)
        self._load_projects(project)

    def _page_view(self, name: str) -> pn.viewable.Viewable:
        # lazy: a page is read and built when its tab is first shown, not for every tab on every visit.
        return pn.param.ParamFunction(pn.bind(self._render, name=name, current=self.selection.param.current),
                                      lazy=True, loading_indicator=True, sizing_mode="stretch_width")

    def _render(self, name: str, current: tuple[str, str]) -> pn.viewable.Viewable:
        project, script_id = current
        if not project:
            return pn.pane.Alert(f"No projects for tenant {self.reader.tenant!r} in {self.reader.path}. "
                                 "Store a script first: `studio ingest SCRIPT.fountain -p PROJECT`.",
                                 alert_type="info")
        if not script_id:
            return pn.pane.Alert(f"Project {project!r} has no script yet: "
                                 f"`studio ingest SCRIPT.fountain -p {project}`.", alert_type="info")
        try:
            with self.reader.studio(project) as studio:
                return self.pages[name](studio, script_id)
        except _READ_ERRORS as exc:
            return pn.pane.Alert(f"The {name} page could not read project {project!r}: {exc}",
                                 alert_type="danger")

    def _show_error(self, exc: Exception | None) -> None:
        self.message.object = str(exc) if exc else ""
        self.message.visible = exc is not None

    def _load_projects(self, preferred: str | None) -> None:
        try:
            projects = self.reader.projects()
        except _READ_ERRORS as exc:
            self._show_error(exc)
            return
        self._show_error(None)
        keep = preferred if preferred in projects else (projects[0] if projects else None)
        self.project_select.options = projects
        if self.project_select.value == keep:
            self._select_project(keep)
        else:
            self.project_select.value = keep  # the watcher selects it

    def _select_project(self, project: str | None) -> None:
        if not project:
            self.selection.current = ("", "")
            return
        try:
            scripts = self.reader.scripts(project)
        except _READ_ERRORS as exc:
            self._show_error(exc)
            return
        ids = list(scripts.values())
        keep = self.script_select.value if self.script_select.value in ids else (ids[-1] if ids else None)
        self._quiet = True  # one re-render per project change, not one for the script too
        try:
            self.script_select.param.update(options=scripts, value=keep)
        finally:
            self._quiet = False
        self.selection.current = (project, keep or "")

    def _on_project(self, event: param.parameterized.Event) -> None:
        self._select_project(event.new)

    def _on_script(self, event: param.parameterized.Event) -> None:
        if self._quiet:
            return
        self.selection.current = (self.project_select.value or "", event.new or "")

    def _on_reload(self, _event: object) -> None:
        self._load_projects(self.project_select.value)
        self.selection.param.trigger("current")

    def view(self) -> pn.viewable.Viewable:
        bar = pn.Row(
            pn.pane.HTML("<div class='brand'><b>studio_kit</b> · Producer</div>",
                         styles={"font-size": "20px", "color": "white", "padding-top": "14px"}, width=260),
            self.project_select, self.script_select, self.reload_button,
            styles={"background": "#23395b", "padding": "4px 12px", "border-radius": "4px"},
            sizing_mode="stretch_width",
        )
        return pn.Column(bar, self.message, self.tabs, sizing_mode="stretch_width",
                         css_classes=["producer-dashboard"])


def build_app(studio_or_store_path: Studio | str | Path, *, tenant: str | None = None,
              project: str | None = None, pages: Mapping[str, PageBuilder] | None = None,
              settings: Settings | None = None) -> pn.viewable.Viewable:
    """The producer dashboard over an open Studio or a store path (opened read-only per read).

    ``project`` is the one shown first (default: the Studio's, or the tenant's first project);
    ``pages`` replaces :data:`PAGES`.
    """
    reader = StoreReader(studio_or_store_path, tenant=tenant, settings=settings)
    first = project or (studio_or_store_path.project if isinstance(studio_or_store_path, Studio) else None)
    return ProducerDashboard(reader, project=first, pages=pages).view()


def _served_app() -> pn.viewable.Viewable:
    s = Settings.from_env()
    return build_app(s.store, tenant=s.tenant, project=s.project, settings=s)


if pn.state.served:
    _served_app().servable(title="studio_kit · Producer")
