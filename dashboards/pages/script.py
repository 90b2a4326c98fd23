"""The Script page: the latest version's scene table, eighths per scene, scenes per character and
the version history with what changed in each."""

from __future__ import annotations

import json
from collections.abc import Mapping

import holoviews as hv
import pandas as pd
import panel as pn
import polars as pl

from studio_kit.studio import Studio

from .common import CHART_HEIGHT, OTHER_COLOUR, TABLE_HEIGHT, kpi

#: Colours of the set types, shared by every chart that splits INT from EXT.
INT_EXT_COLOURS: dict[str, str] = {"INT": "#3b6ea8", "EXT": "#e07b39", "INT/EXT": "#5a9e6f"}
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
    colours = {k: INT_EXT_COLOURS.get(k, OTHER_COLOUR) for k in data["int_ext"].unique()}
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




def script_page(studio: Studio, script_id: str) -> pn.viewable.Viewable:
    """The latest version's scenes, two charts of length and cast, and every stored version."""
    versions = studio.script_versions(script_id)
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
        kpi("Scenes", str(scenes.height)), kpi("Pages", str(latest["pages"])),
        kpi("Eighths (pages)", pages_label(total)), kpi("Characters", str(cast)),
        kpi("Night scenes", str(night)), kpi("Versions", str(versions.height)),
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
