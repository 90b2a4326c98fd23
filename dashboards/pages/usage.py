"""The Usage page: metered usage this month and last, the GPU quota, GPU-seconds by model and GPU
kind, the issued invoices and this month's draft."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import holoviews as hv
import panel as pn
import polars as pl

from studio_kit.platform.billing import BillingError, Period
from studio_kit.studio import Studio

from .common import DAY_CHART_HEIGHT, kpi


def billing_periods(now: date | None = None) -> tuple[str, str]:
    """The current and the previous billing period (calendar months, UTC) as ``YYYY-MM``."""
    current = Period.of(now or datetime.now(UTC))
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
    current, previous = billing_periods()
    frames = [studio.usage_report(p).with_columns(pl.lit(p).alias("period")) for p in (current, previous)]
    usage = pl.concat(frames).select(pl.col("period").alias("Period"), pl.col("project_id").alias("Project"),
                                     pl.col("meter").alias("Meter"), pl.col("quantity").round(2).alias("Quantity"))
    quota = studio.quota_status()
    invoices = studio.invoices()
    by_model = studio.gpu_usage()
    if usage.is_empty() and invoices.is_empty() and by_model.is_empty():
        return pn.pane.Alert("No usage recorded yet: generation jobs meter their GPU-seconds as they finish.",
                             alert_type="info")
    used = quota.used + quota.reserved
    kpis = pn.Row(kpi("Used GPU-s", f"{quota.used:,.1f}"), kpi("Reserved GPU-s", f"{quota.reserved:,.1f}"),
                  kpi("Quota GPU-s", "none" if quota.quota is None else f"{quota.quota:,.0f}"),
                  kpi("Invoices", str(invoices.height)), margin=(0, 10), css_classes=["usage-kpis"])
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
