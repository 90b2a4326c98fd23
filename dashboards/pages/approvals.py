"""The Approvals page: the sign-off state of every published version, filterable, with one version's
sign-off history and comments."""

from __future__ import annotations

import holoviews as hv
import pandas as pd
import panel as pn
import param

from studio_kit.studio import Studio

from .common import DAY_CHART_HEIGHT, TABLE_HEIGHT, kpi

#: Colours of a version's final sign-off state, shared by the KPI chart and the table.
APPROVAL_COLOURS: dict[str, str] = {"pending": "#b9770e", "approved": "#1e8449", "rejected": "#c0392b"}
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
    for asset in studio.assets().iter_rows(named=True):
        asset_id = asset["asset_id"]
        for version in studio.asset_versions(asset_id)["version"]:
            state = studio.approval_state(asset_id, version)
            picks = studio.candidates(asset_id, version)["decision"].to_list()
            said = studio.comments(asset_id, version)
            signed = [s for s in state.steps if s.decision != "pending"]
            last = max(signed, key=lambda s: s.index) if signed else None
            key = f"{asset_id}@v{version}"
            rows.append({"Asset": asset_id, "Name": asset["name"], "Version": version, "Status": state.final,
                         "Signed": len(signed), "Steps": len(state.steps), "Next step": state.next_step or "",
                         "Last signed by": last.signed_by if last else "",
                         "Last signed at": _when(last.signed_at) if last else "",
                         "Validated": picks.count("validated"), "Rejected": picks.count("rejected"),
                         "Neutral": picks.count("neutral"), "Comments": said.height})
            history[key] = pd.DataFrame(
                [{"Step": s.index + 1, "Name": s.name, "Signer": s.person or s.role, "Decision": s.decision,
                  "By": s.signed_by, "At": _when(s.signed_at)} for s in state.steps],
                columns=["Step", "Name", "Signer", "Decision", "By", "At"])
            notes[key] = pd.DataFrame(
                [{"When": _when(c["created_at"]), "Author": c["author"], "Note": c["text"],
                  "Client": "yes" if c["client_visible"] else ""} for c in said.iter_rows(named=True)],
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
    kpis = pn.Row(*(kpi(s.title(), str(int(counts.get(s, 0)))).clone(css_classes=[f"kpi-{s}"])
                    for s in APPROVAL_COLOURS),
                  kpi("Versions", str(len(table))), kpi("Comments", str(int(table["Comments"].sum()))),
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
