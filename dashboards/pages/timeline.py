"""The Timeline page: tasks from start to due date, coloured by status, beside the shoot days of the
latest schedule."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import holoviews as hv
import pandas as pd
import panel as pn
import polars as pl

from studio_kit.studio import Studio

from .common import DAY_CHART_HEIGHT, OTHER_COLOUR, TABLE_HEIGHT, kpi

#: Colours of a task's status flag on the timeline; shoot days have their own.
FLAG_COLOURS: dict[str, str] = {"default": "#95a5a6", "wip": "#2e64b5", "waiting_for_approval": "#b9770e",
                                "retake": "#c0392b", "done": "#1e8449", "shoot": "#23395b"}


TIMELINE_COLUMNS = ["row", "task", "type", "status", "flag", "start", "end"]


def timeline_rows(tasks: pl.DataFrame, shoot_days: Sequence[date]) -> pd.DataFrame:
    """One bar per dated task (``Studio.tasks()``) and per shoot day. A task with one date gets its
    estimate (or a day) on the other side; an undated task has no bar. ``end`` is exclusive."""
    rows: list[dict[str, object]] = []
    for t in tasks.iter_rows(named=True):
        due = t["due_date"]
        days = timedelta(days=max(1.0, float(t["estimate_days"] or 1.0)))
        start = t["start_date"] or (due - days + timedelta(days=1) if due else None)
        if start is None:
            continue
        end = (due + timedelta(days=1)) if due else start + days
        rows.append({"row": f"{t['entity_id']} · {t['type_id']}", "task": t["name"], "type": t["type_id"],
                     "status": t["status_name"] or t["status_id"], "flag": t["flag"] or "default",
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
        color=hv.dim("flag").categorize(FLAG_COLOURS, default=OTHER_COLOUR), line_color="white",
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
        what = "tasks have no start or due dates" if tasks.height else "no tasks"
        return pn.pane.Alert(f"Nothing on the timeline yet: {what} and no shoot schedule for {script_id!r}. Create "
                             "tasks with dates (`studio tasks create ... --start --due`) or plan a schedule "
                             "(`studio schedule`).", alert_type="info")
    dated = rows[rows["row"] != "Shoot"]
    undated = tasks.height - len(dated)
    kpis = pn.Row(kpi("Tasks", str(tasks.height)), kpi("On the timeline", str(len(dated))),
                  kpi("Done", str((tasks["flag"] == "done").sum())), kpi("Shoot days", str(len(shoot))),
                  margin=(0, 10), css_classes=["timeline-kpis"])
    first, last = rows["start"].min(), rows["end"].max() - pd.Timedelta(days=1)
    notes = [f"{first:%Y-%m-%d} .. {last:%Y-%m-%d}"]
    if undated:
        notes.append(f"{undated} task{'s' if undated != 1 else ''} without dates left off")
    if not has_schedule:
        notes.append(f"no shoot schedule for {script_id!r} yet")
    if tasks.is_empty():
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
