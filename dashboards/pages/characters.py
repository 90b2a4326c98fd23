"""The Characters page: the character sheets gallery, each character's version and lock state, and
the consistency of every scored image to the character's lock."""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path

import holoviews as hv
import pandas as pd
import panel as pn
import param
import polars as pl

from studio_kit.studio import Studio

from .common import TABLE_HEIGHT, img_tag, kpi

#: Tiles of a character card: the turnaround, then the expression row.
SHEET_ORDER = ("front", "three_quarter", "side", "back")
CONSISTENCY_CHART_HEIGHT = 320


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
                     f"{img_tag(r['path'], width, r['label'], base)}<br><small>{html.escape(r['label'])}</small><br>"
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
    base = studio.media_root
    locked = chars.filter(pl.col("locked_version").is_not_null()).height
    drift = int(images["drift"].sum()) if not images.is_empty() else 0
    stale = int(images["stale"].sum()) if not images.is_empty() else 0
    kpis = pn.Row(kpi("Characters", str(chars.height)), kpi("Locked", str(locked)),
                  kpi("Images scored", str(images.height)), kpi("Drift", str(drift)), kpi("Stale", str(stale)),
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
