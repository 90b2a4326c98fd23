"""The Jobs page: generation jobs by state, where they ran and the GPU-seconds they recorded."""

from __future__ import annotations

import holoviews as hv
import panel as pn
import polars as pl

from studio_kit.studio import Studio

from .common import DAY_CHART_HEIGHT, TABLE_HEIGHT, kpi

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
    kpis = pn.Row(*(kpi(s.title(), str(counts.get(s, 0))) for s in JOB_STATUS_COLOURS), margin=(0, 10),
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
    """GPU-seconds recorded for the project's jobs, all models and GPU kinds together."""
    frame = studio.gpu_usage()
    return float(frame["gpu_seconds"].sum()) if not frame.is_empty() else 0.0
