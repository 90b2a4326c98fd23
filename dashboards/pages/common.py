"""What several pages share: the KPI figure, the "no schedule yet" notice, inlined images, chart sizes."""

from __future__ import annotations

import base64
import html
from pathlib import Path

import holoviews.plotting.bokeh  # noqa: F401  the Bokeh backend, which the pages' chart options need
import panel as pn

from studio_kit.studio import Studio

#: The colour of a category a chart has no colour for.
OTHER_COLOUR = "#9a9a9a"
CHART_HEIGHT = 420
#: Tables scroll beyond this many pixels.
TABLE_HEIGHT = 400
DAY_CHART_HEIGHT = 300


def kpi(name: str, value: str) -> pn.indicators.String:
    """One headline figure: its name over its value."""
    return pn.indicators.String(label=name, value=value, default_color="#2b2b2b", font_size="26pt",
                                title_size="10pt", margin=(0, 28, 0, 0))


def no_schedule(studio: Studio, script_id: str) -> pn.viewable.Viewable:
    """What a schedule page shows before the project has a schedule: how to make one."""
    return pn.pane.Alert(f"No schedule for `{script_id}` in project {studio.project!r} yet. Make one with "
                         f"`studio schedule -p {studio.project}`, then press Reload.",
                         alert_type="info", css_classes=["no-schedule"])


def img_tag(path: str | None, width: int, title: str, base: Path | None = None) -> str:
    """An <img> with the artifact inlined (the browser never reaches the asset folder itself); a
    relative ``path`` is taken from ``base`` (``Studio.media_root``)."""
    if not path:
        return ""
    p = Path(path)
    if not p.is_absolute() and base is not None:
        p = base / p
    try:
        data = base64.b64encode(p.read_bytes()).decode()
    except OSError:
        return f"<div class='missing' style='width:{width}px'>missing {html.escape(p.name)}</div>"
    return (f"<img src='data:image/png;base64,{data}' width='{width}' title='{html.escape(title)}' "
            f"style='border:1px solid #ccc;margin:2px'>")
