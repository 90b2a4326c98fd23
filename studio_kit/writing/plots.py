"""HoloViews plots of the script analytics (bokeh backend), for the writing notebook.

Each builder takes a :class:`ScriptAnalysis` and returns a HoloViews object the notebook shows
as is. HoloViews is imported inside the functions, so importing this module costs nothing.

    from studio_kit.writing import plots
    plots.pacing_plot(a)          # Layout: Bars (eighths per scene) over Curve (cumulative pages)
    plots.presence_heatmap(a)     # HeatMap characters x scenes, coloured by words spoken
    plots.relationship_graph(a)   # Overlay: Graph (circular layout) * Labels
    plots.balance_plot(a)         # stacked Bars: dialogue vs action words per scene
"""

from __future__ import annotations

import math
from typing import Any

import polars as pl

from studio_kit.screenplay import ScriptAnalysis

from ..common.errors import Invalid
from . import analytics

#: Fixed colours, so the same category always gets the same colour across plots.
INT_EXT_COLORS = {"INT": "#4c72b0", "EXT": "#55a868", "INT/EXT": "#8172b2", "": "#999999"}
DAY_NIGHT_COLORS = {"DAWN": "#f4a261", "DAY": "#e9c46a", "DUSK": "#e76f51", "NIGHT": "#264653", "": "#999999"}
BALANCE_COLORS = {"dialogue": "#4c72b0", "action": "#c44e52"}


def _hv() -> Any:
    import holoviews as hv

    if "bokeh" not in hv.Store.renderers:
        hv.extension("bokeh", logo=False)
    return hv


def _records(df: pl.DataFrame) -> list[tuple]:
    return list(df.iter_rows())


def pacing_plot(analysis: ScriptAnalysis, color_by: str = "day_night") -> Any:
    """Scene lengths in eighths in script order, coloured by ``"day_night"`` or ``"int_ext"``,
    above the cumulative page count; the hover shows heading, story day and start page."""
    if color_by not in ("day_night", "int_ext"):
        raise Invalid(f"color_by must be 'day_night' or 'int_ext', not {color_by!r}")
    hv = _hv()
    df = analytics.pacing(analysis)
    colors = DAY_NIGHT_COLORS if color_by == "day_night" else INT_EXT_COLORS
    vdims = ["eighths", "heading", "day_night", "int_ext", "story_day", "page_start", "length"]
    bars_df = df.select(["scene", *vdims])
    bars = hv.Bars(_records(bars_df), kdims=["scene"], vdims=vdims).opts(
        color=hv.dim(color_by).categorize(colors, default="#999999"),
        tools=["hover"], width=900, height=260, xrotation=90, ylabel="eighths",
        title=f"Scene length by scene (coloured by {color_by.replace('_', '/')})",
    )
    curve = hv.Curve(_records(df.select("scene", "cumulative_pages", "story_day")), kdims=["scene"],
                     vdims=["cumulative_pages", "story_day"]).opts(
        tools=["hover"], width=900, height=200, xrotation=90, ylabel="pages", title="Cumulative pages",
        color="#333333",
    )
    return (bars + curve).cols(1)


def presence_heatmap(analysis: ScriptAnalysis, value: str = "words") -> Any:
    """Characters (rows, most words first) x scenes (script order); a cell per scene a character
    is in, coloured by ``value`` ("words", "speeches" or "dialogue_lines"); silent presence is 0."""
    if value not in ("words", "speeches", "dialogue_lines"):
        raise Invalid(f"value must be 'words', 'speeches' or 'dialogue_lines', not {value!r}")
    hv = _hv()
    p = analytics.presence(analysis)
    order = analytics.character_totals(analysis)["character"].to_list()
    others = [c for c in ("words", "speeches", "dialogue_lines") if c != value]
    data = p.select("scene", "character", value, *others, "speaking")
    heat = hv.HeatMap(_records(data), kdims=["scene", "character"], vdims=[value, *others, "speaking"])
    scenes = [s.number for s in analysis.scenes]
    return heat.redim.values(scene=scenes, character=list(reversed(order))).opts(
        tools=["hover"], cmap="viridis", colorbar=True, width=900, height=max(200, 22 * len(order) + 80),
        xrotation=90, title=f"Who is in which scene ({value})",
    )


def circular_layout(names: list[str], radius: float = 1.0) -> dict[str, tuple[float, float]]:
    """Positions on a circle, first name at the top, going clockwise (deterministic)."""
    n = len(names)
    out = {}
    for i, name in enumerate(names):
        angle = math.pi / 2 - 2 * math.pi * i / n if n else 0.0
        out[name] = (round(radius * math.cos(angle), 9), round(radius * math.sin(angle), 9))
    return out


def relationship_graph(analysis: ScriptAnalysis, speaking_only: bool = False, min_shared: int = 1) -> Any:
    """Characters on a circle (most scenes first) sized by scenes, joined by edges whose width
    is the number of scenes they share (pairs sharing fewer than ``min_shared`` are left out)."""
    hv = _hv()
    totals = analytics.character_totals(analysis)
    if speaking_only:
        totals = totals.filter(pl.col("speaking_scenes") > 0).with_columns(pl.col("speaking_scenes").alias("scenes"))
    totals = totals.sort(["scenes", "character"], descending=[True, False])
    names = totals["character"].to_list()
    pos = circular_layout(names)
    pairs = analytics.shared_scenes(analysis, speaking_only=speaking_only).filter(
        pl.col("shared_scenes") >= min_shared)
    nodes = hv.Nodes(
        [(pos[n][0], pos[n][1], n, s, w) for n, s, w in totals.select("character", "scenes", "words").iter_rows()],
        kdims=["x", "y", "character"], vdims=["scenes", "words"],
    )
    edges = [(a, b, w) for a, b, w in pairs.select("a", "b", "shared_scenes").iter_rows()]
    graph = hv.Graph((edges, nodes), kdims=["source", "target"], vdims=["shared_scenes"])
    biggest = max(totals["scenes"].to_list(), default=1) or 1
    graph = graph.opts(
        node_size=hv.dim("scenes") * (30 / biggest) + 8, node_color="#4c72b0",
        edge_line_width=hv.dim("shared_scenes") * 1.5, edge_alpha=0.6, edge_color="#888888",
        tools=["hover"], width=650, height=650, xaxis=None, yaxis=None, padding=0.25,
        title="Who shares scenes with whom",
    )
    labels = hv.Labels([(x * 1.12, y * 1.12, n) for n, (x, y) in pos.items()], kdims=["x", "y"],
                       vdims=["character"]).opts(text_font_size="9pt")
    return graph * labels


def balance_plot(analysis: ScriptAnalysis) -> Any:
    """Stacked bars per scene: words of dialogue and of action."""
    hv = _hv()
    b = analytics.dialogue_action_balance(analysis)
    rows = []
    for scene, dialogue, action in b.select("scene", "dialogue_words", "action_words").iter_rows():
        rows.append((scene, "dialogue", dialogue))
        rows.append((scene, "action", action))
    return hv.Bars(rows, kdims=["scene", "kind"], vdims=["words"]).opts(
        stacked=True, tools=["hover"], width=900, height=300, xrotation=90,
        color=hv.dim("kind").categorize(BALANCE_COLORS), title="Dialogue vs action words per scene",
    )


__all__ = [
    "BALANCE_COLORS", "DAY_NIGHT_COLORS", "INT_EXT_COLORS", "balance_plot", "circular_layout", "pacing_plot",
    "presence_heatmap", "relationship_graph",
]
