"""The Budget page: the latest schedule's budget with its top sheet, each account's detail lines,
cost by account and the linked cost of each shoot day."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import date

import holoviews as hv
import pandas as pd
import panel as pn
import param
import polars as pl
from bokeh.models import NumeralTickFormatter

from studio_kit.preproduction.schedule import Strip
from studio_kit.studio import Studio

from .common import CHART_HEIGHT, DAY_CHART_HEIGHT, kpi, no_schedule

#: The stacks of the cost-by-shoot-day chart, bottom first, with their colours.
DAY_COST_KINDS: dict[str, str] = {"Cast": "#6b5b95", "Background": "#5a9e6f", "Locations": "#e07b39",
                                  "Crew & equipment": "#3b6ea8"}


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
        return no_schedule(studio, script_id)
    version = int(versions["version"][-1])
    stored = studio.schedule(script_id, version)
    result = studio.plan_budget(script_id, version)
    cast_pay = {str(k): float(v) for k, v in stored.request.get("cast_pay", {}).items()}
    per_day = cost_by_shoot_day(stored.schedule.days, cast_pay, result.detail, result.globals.get("SHOOT_WEEKS", 0.0))
    kpis = pn.Row(
        kpi("Above the line", money(result.atl)), kpi("Below the line", money(result.btl)),
        kpi(f"Contingency {result.budget.contingency_pct:g}%", money(result.contingency)),
        kpi("Grand total", money(result.grand_total)),
        kpi("Shoot days", str(stored.shoot_days)),
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
