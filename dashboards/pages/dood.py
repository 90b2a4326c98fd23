"""The DOOD page: the latest schedule's Day Out of Days grid, one row per cast member (then vehicles
and animals), one column per calendar date, the codes coloured as in the printed grid."""

from __future__ import annotations

import html

import panel as pn

from studio_kit.preproduction.dood import CODE_COLOURS, LEGEND, DayOutOfDays
from studio_kit.studio import Studio

from .common import kpi, no_schedule

#: DOOD cell colours by code, the same as the printed grid.
DOOD_COLOURS: dict[str, str] = CODE_COLOURS
#: The DOOD totals shown right of the grid: store column -> header.
DOOD_TOTALS: dict[str, str] = {"work": "Work", "hold": "Hold", "paid_days": "Paid"}
#: Breakdown categories booked on the DOOD beside the cast: vehicles (103) and animals (108).
DOOD_CATEGORIES: tuple[int, ...] = (103, 108)


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
        return no_schedule(studio, script_id)
    version = int(versions["version"][-1])
    dood = studio.dood(script_id, version, categories=DOOD_CATEGORIES)
    cast = sum(r.element.category == "cast" for r in dood.rows)
    paid = sum(r.totals.paid_days for r in dood.rows if r.element.category == "cast")
    holds = sum(r.totals.hold for r in dood.rows if r.element.category == "cast")
    return pn.Column(
        pn.pane.Markdown(f"## Day Out of Days\nSchedule {version} of `{script_id}` · {dood.shoot_days} shoot days · "
                         f"{len(dood.columns)} calendar days", margin=(0, 10)),
        pn.Row(kpi("Cast", str(cast)), kpi("Cast paid days", str(paid)), kpi("Hold days", str(holds)),
               kpi("Other elements", str(len(dood.rows) - cast)), margin=(0, 10)),
        pn.pane.HTML(dood_html(dood), sizing_mode="stretch_width", css_classes=["dood-grid"]),
        sizing_mode="stretch_width",
    )
