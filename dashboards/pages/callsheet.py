"""The Call sheet page: the latest schedule's call sheets, one shoot day at a time, from the
production records (contacts, locations, crew calls) kept beside the sample."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import panel as pn

from studio_kit.preproduction.callsheet import to_html
from studio_kit.studio import Studio

from .common import no_schedule

#: Where the sample's production records live; ``records_for`` looks here.
SAMPLE_DIR = Path(__file__).resolve().parents[2] / "data" / "sample"


def records_for(script_id: str) -> Path | None:
    """The production records (contacts, locations, crew calls) of a script, by the sample's naming:
    ``data/sample/<script id, - as _>_production.toml``; None when there are none."""
    path = SAMPLE_DIR / f"{script_id.replace('-', '_')}_production.toml"
    return path if path.is_file() else None


def day_label(day: int, when: date) -> str:
    """The call sheet picker's entry: ``Day 1 — Mon Mar 1``."""
    return f"Day {day} — {when:%a %b} {when.day}"


def callsheet_page(studio: Studio, script_id: str) -> pn.viewable.Viewable:
    """The latest schedule's call sheets, one shoot day at a time."""
    versions = studio.schedules(script_id)
    if versions.is_empty():
        return no_schedule(studio, script_id)
    records = records_for(script_id)
    if records is None:
        expected = SAMPLE_DIR / f"{script_id.replace('-', '_')}_production.toml"
        return pn.pane.Alert(
            f"No production records for `{script_id}`: call sheets need contacts, locations and crew calls. "
            f"Write them to `{expected}` (see `data/sample/night_train_production.toml`), then press Reload.",
            alert_type="info", css_classes=["no-records"])
    version = int(versions["version"][-1])
    sheets = studio.call_sheets(records, script_id=script_id, schedule_version=version)
    pages = {day_label(s.day, s.date): to_html(s) for s in sheets}
    if not pages:
        return pn.pane.Alert(f"Schedule {version} of `{script_id}` has no shoot days.", alert_type="info",
                             css_classes=["no-schedule"])
    picker = pn.widgets.Select(name="Shoot day", options=list(pages), width=260, css_classes=["callsheet-picker"])
    sheet = pn.pane.HTML(pages[picker.value], sizing_mode="stretch_width", css_classes=["callsheet"])
    picker.param.watch(lambda e: setattr(sheet, "object", pages[e.new]), "value")
    return pn.Column(
        pn.pane.Markdown(f"## Call sheets\nSchedule {version} of `{script_id}` · {len(sheets)} shoot days · "
                         f"records from `{records.name}`", margin=(0, 10)),
        picker, sheet, sizing_mode="stretch_width",
    )
