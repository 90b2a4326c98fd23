"""The Stripboard page: a schedule version as a paper stripboard (coloured strips, a black bar ending
each shoot day), its cost figures, eighths per shoot day and the shoot as a month calendar."""

from __future__ import annotations

import calendar as pycal
import html
from collections.abc import Mapping, Sequence
from datetime import date, timedelta

import holoviews as hv
import panel as pn
import polars as pl

from studio_kit.preproduction.calendar import ShootCalendar
from studio_kit.screenplay.model import format_eighths
from studio_kit.studio import Studio

from .common import DAY_CHART_HEIGHT, kpi, no_schedule

#: Strip colours by set type and time of day, the paper-stripboard convention (background, text).
STRIP_COLOURS: dict[tuple[str, str], tuple[str, str]] = {
    ("INT", "D"): ("#ffffff", "#111111"),
    ("EXT", "D"): ("#fff27a", "#111111"),
    ("INT", "N"): ("#7fa7e0", "#0b1a33"),
    ("EXT", "N"): ("#8fd18b", "#0d2b0b"),
}


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
        kpi("Shoot days", str(stored.shoot_days)), kpi("Total cost", f"${cost['total']:,.0f}"),
        kpi("Lower bound", f"${sched.lower_bound:,.0f}"), kpi("Gap", f"{100 * sched.gap:.1f}%"),
        kpi("Optimal", "yes" if sched.optimal else "no"), kpi("Company moves", str(cost["company_moves"])),
        kpi("D/N switches", str(cost["day_night_switches"])),
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
        return no_schedule(studio, script_id)
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
