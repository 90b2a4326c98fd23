"""Real-browser fixtures: a store built from the sample, `panel serve` on 127.0.0.1, Debian's Chromium.

Nothing here reaches beyond 127.0.0.1: the server binds loopback, and the browser context aborts
every request to any other host (the tests then check none was attempted).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from studio_kit.demo import run_demo
from studio_kit.preproduction.options import ScheduleOptions
from studio_kit.screenplay.synthetic import write_synthetic
from studio_kit.settings import Settings
from studio_kit.studio import Studio

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "dashboards" / "producer.py"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TENANT = "local"
MAIN_PROJECT = "night-train"
#: A second project with a different (short, synthetic) script, so switching projects changes every page.
SECOND_PROJECT = "second-unit"
SERVER_START_TIMEOUT_S = 45.0
#: Playwright's default for every wait, in milliseconds.
BROWSER_TIMEOUT_MS = 20_000


@dataclass(frozen=True)
class ProjectFacts:
    """What the store holds for one project's latest script version, read straight from the store."""

    title: str
    script_id: str
    headings: tuple[str, ...]
    pages: int


@dataclass(frozen=True)
class ScheduleFacts:
    """The night-train schedule as the store holds it: strips in shooting order, days, the DOOD."""

    version: int
    numbers: tuple[str, ...]
    #: (day, shoot date, eighths) per shoot day, in order (an empty day has 0 eighths).
    days: tuple[tuple[int, date, int], ...]
    #: (int_ext, day_night) per strip, in shooting order.
    kinds: tuple[tuple[str, str], ...]
    #: element name -> {ISO date: code} for every non-blank cell of the DOOD.
    dood: dict[str, dict[str, str]]
    #: schedule version -> its scene numbers in shooting order, for every stored version.
    boards: dict[int, tuple[str, ...]]


@dataclass(frozen=True)
class BudgetFacts:
    """The latest night-train schedule's budget and call sheets as the studio computes them."""

    grand_total: float
    #: top-sheet accounts that carry money, in chart order.
    accounts: tuple[str, ...]
    #: account -> its detail lines' descriptions, in order.
    detail: dict[str, tuple[str, ...]]
    #: per call sheet (day 1 first): (day, date, total days, first scene number).
    call_sheets: tuple[tuple[int, date, int, str], ...]


@dataclass(frozen=True)
class DashboardStore:
    path: Path
    projects: dict[str, ProjectFacts]
    schedule: ScheduleFacts
    budget: BudgetFacts


@dataclass
class DashboardServer:
    url: str
    log: Path


@dataclass
class BrowserPage:
    page: object
    #: Requests the browser tried to send anywhere but 127.0.0.1 (all were aborted).
    outside: list[str] = field(default_factory=list)


#: The shoot starts on a Monday, so the board and the DOOD are the same on every run.
SCHEDULE_START = date(2027, 3, 1)


def _schedule_facts(store_path: Path) -> ScheduleFacts:
    with Studio.open(Settings(), store_path=store_path, project=MAIN_PROJECT, tenant=TENANT, read_only=True) as studio:
        sid = studio.scripts()["script_id"][-1]
        version = int(studio.schedules(sid)["version"][-1])
        strips = studio.stripboard(sid, version)
        dates = studio.schedule(sid, version).dates()
        frame = studio.dood(sid, version, categories=(103, 108)).to_frame()
        boards = {int(v): tuple(studio.stripboard(sid, int(v))["number"].to_list())
                  for v in studio.schedules(sid)["version"]}
    grid = [c for c in frame.columns if c[:1].isdigit()]
    dood = {r["name"]: {d: r[d] for d in grid if r[d]} for r in frame.iter_rows(named=True)}
    eighths = dict(strips.group_by("day").agg(pl.col("eighths").sum()).iter_rows())
    return ScheduleFacts(version, tuple(strips["number"].to_list()),
                         tuple((d, w, int(eighths.get(d, 0))) for d, w in enumerate(dates, start=1)),
                         tuple(zip(strips["int_ext"].to_list(), strips["day_night"].to_list(), strict=True)), dood,
                         boards)


def _budget_facts(store_path: Path) -> BudgetFacts:
    with Studio.open(Settings(), store_path=store_path, project=MAIN_PROJECT, tenant=TENANT, read_only=True) as studio:
        sid = studio.scripts()["script_id"][-1]
        result = studio.plan_budget(sid)
        sheets = studio.call_sheets(REPO / "data" / "sample" / "night_train_production.toml", script_id=sid)
    top = result.top_sheet.filter(pl.col("total") != 0)
    detail = {a: tuple(result.detail.filter(pl.col("account") == a)["description"].to_list())
              for a in top["account"]}
    return BudgetFacts(result.grand_total, tuple(top["account"].to_list()), detail,
                       tuple((s.day, s.date, s.total_days, s.scenes[0].number) for s in sheets))


def _facts(store_path: Path, project: str) -> ProjectFacts:
    with Studio.open(Settings(), store_path=store_path, project=project, tenant=TENANT, read_only=True) as studio:
        sid = studio.scripts()["script_id"][-1]
        latest = studio.script_versions(sid).row(-1, named=True)
        scenes = studio.scenes(sid)
        return ProjectFacts(latest["title"], sid, tuple(scenes["heading"].to_list()), int(latest["pages"]))


@pytest.fixture(scope="session")
def dashboard_store(tmp_path_factory: pytest.TempPathFactory) -> DashboardStore:
    """The demo's store (Night Train, two versions, one schedule) plus a second project with a short
    synthetic script and no schedule."""
    out = tmp_path_factory.mktemp("dashboard_demo")
    result = run_demo(out, settings=Settings(), quiet=True)  # defaults: never the caller's STUDIO_STORE
    second = write_synthetic(6, out / "second_unit.fountain", seed=7)
    with Studio.open(Settings(), store_path=result.store, project=SECOND_PROJECT, tenant=TENANT) as studio:
        studio.ingest_script(second)
    with Studio.open(Settings(), store_path=result.store, project=MAIN_PROJECT, tenant=TENANT) as studio:
        studio.plan_schedule(start=SCHEDULE_START, options=ScheduleOptions(time_limit_s=3))
    projects = {p: _facts(result.store, p) for p in (MAIN_PROJECT, SECOND_PROJECT)}
    return DashboardStore(result.store, projects, _schedule_facts(result.store), _budget_facts(result.store))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_serving(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    last = "no answer yet"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"panel serve exited with {proc.returncode} before answering:\n{log.read_text()[-4000:]}")
        try:
            # One probe waits for its page: each request builds a whole session (every tab), and a
            # short timeout would pile new sessions onto a server still building the last one.
            with urllib.request.urlopen(url, timeout=max(1.0, deadline - time.monotonic())) as resp:
                if resp.status == 200:
                    return
                last = f"HTTP {resp.status}"
        except (urllib.error.URLError, OSError) as exc:
            last = str(exc)
        time.sleep(0.25)
    pytest.fail(f"panel serve did not answer {url} within {SERVER_START_TIMEOUT_S:.0f} s ({last}):\n"
                f"{log.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def dashboard_server(dashboard_store: DashboardStore, tmp_path_factory: pytest.TempPathFactory,
                     ) -> Iterator[DashboardServer]:
    port = _free_port()
    log = tmp_path_factory.mktemp("panel_serve") / "panel_serve.log"
    env = {**os.environ, "STUDIO_STORE": str(dashboard_store.path), "STUDIO_TENANT": TENANT,
           "STUDIO_PROJECT": MAIN_PROJECT, "BOKEH_ALLOW_WS_ORIGIN": f"127.0.0.1:{port}"}
    cmd = [sys.executable, "-m", "panel", "serve", str(APP), "--address", "127.0.0.1", "--port", str(port),
           "--allow-websocket-origin", f"127.0.0.1:{port}"]
    with log.open("wb") as sink:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/{APP.stem}"
    try:
        _wait_until_serving(url, proc, log)
        yield DashboardServer(url, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        pytest.fail(f"{CHROMIUM} is missing: the browser tests drive Debian's Chromium. "
                    "Install it with `apt-get update && apt-get install -y chromium`.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=BROWSER_TIMEOUT_MS)
        try:
            yield b
        finally:
            b.close()


def _loopback_only(outside: list[str]):
    def handle(route) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()
    return handle


@pytest.fixture
def page(browser) -> Iterator[BrowserPage]:
    """A fresh 1440x1000 page whose requests may go to 127.0.0.1 only."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, service_workers="block")
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    outside: list[str] = []
    context.route("**/*", _loopback_only(outside))
    result = BrowserPage(context.new_page(), outside)
    try:
        yield result
    finally:
        context.close()


#: The review round's task dates: design work in the weeks before the shoot (fixed, like the shoot).
REVIEW_START = date(2027, 1, 11)


def _png(seed: int) -> bytes:
    """A small distinct PNG per candidate: the published file's content is not what is reviewed here."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (32, 32), ((37 * seed) % 256, (91 * seed) % 256, (151 * seed) % 256)).save(buf, format="PNG")
    return buf.getvalue()


def _review_round(studio: Studio) -> None:
    """What a week of review leaves in the store: per locked character a design task (dated, in
    several states), its sheet published with two candidates, notes, and the sign-off chain run to
    approval for some, to a rejection for one, and left part-way for the rest; one client playlist."""
    chars = studio.characters().filter(pl.col("locked_version").is_not_null())["character_id"].to_list()
    playlist = studio.create_playlist("Client review", for_client=True)
    statuses = ["done", "done", "retake", "wfa", "wip"]
    for i, cid in enumerate(chars):
        start = REVIEW_START + timedelta(days=3 * i)
        task = studio.create_task("character-design", "asset", f"character_sheet-{cid}", name=f"Design {cid}",
                                  start_date=start, due_date=start + timedelta(days=4), estimate_days=5)
        studio.set_task_status(task.task_id, statuses[i % len(statuses)])
        asset = studio.create_asset(f"{cid} sheet", "character_sheet", entity_type="asset", entity_id=cid,
                                    task_id=task.task_id, asset_id=f"character_sheet-{cid}")
        v = studio.publish_asset(asset.asset_id, [(f"{cid}_a.png", _png(2 * i + 1)), (f"{cid}_b.png", _png(2 * i + 2))],
                                 note="first pass")
        studio.comment(asset.asset_id, v.version, f"{cid}: silhouette reads well")
        if i % 2:
            studio.comment(asset.asset_id, v.version, f"{cid}: warmer palette please", client_visible=True)
        first = studio.candidates(asset.asset_id, v.version).row(0, named=True)
        studio.validate_candidate(asset.asset_id, v.version, first["sha256"], "validated")
        chain = studio.signoff_chain()["name"].to_list()
        if i < 3:  # approved through the whole chain
            for step in chain:
                studio.sign_off(asset.asset_id, v.version, step, "approved")
            studio.add_to_playlist(playlist.playlist_id, asset.asset_id, v.version)
        elif i == 3:  # rejected by the second step
            studio.sign_off(asset.asset_id, v.version, chain[0], "approved")
            studio.sign_off(asset.asset_id, v.version, chain[1], "rejected", note="too close to another design")
        elif i % 2:  # one step signed, waiting for the next
            studio.sign_off(asset.asset_id, v.version, chain[0], "approved")


def _dated_tasks(studio: Studio) -> None:
    """Storyboard tasks with start and due dates on the first scenes, in several states, for the
    Timeline (the demo's design tasks carry an estimate only)."""
    sid = studio.scripts()["script_id"][-1]
    numbers = studio.scenes(sid)["number"].to_list()[:6]
    statuses = ["done", "done", "wip", "wfa", "retake", "todo"]
    for i, number in enumerate(numbers):
        start = REVIEW_START + timedelta(days=4 * i)
        task = studio.create_task("storyboard", "scene", f"scene-{number}".lower(), name=f"Boards sc. {number}",
                                  start_date=start, due_date=start + timedelta(days=5), estimate_days=4)
        if statuses[i] != "todo":
            studio.set_task_status(task.task_id, statuses[i])


def _last_month_usage(studio: Studio) -> None:
    """A price plan from last month on, last month's usage (as the metering would have recorded it)
    and its issued invoice, so the Usage page has two periods and one invoice to show. Call it on
    the second project: the main project's budget prices its own metering, which must not change."""
    from studio_kit.platform.billing import Period

    previous = Period.of(Period.of(datetime.now(UTC)).start - timedelta(days=1))
    studio.set_plan("studio", effective_from=previous.start.date(), gpu_quota=36_000)
    studio.scope.insert("usage_record", [
        {"idempotency_key": f"fixture-{previous}-{i}", "job_id": f"fixture-{i}", "model": model, "gpu_kind": kind,
         "gpu_seconds": seconds, "recorded_at": previous.start + timedelta(days=3 + i)}
        for i, (model, kind, seconds) in enumerate([("tiny-sd", "H100", 40_000.0), ("tiny-sd", "H100", 8_000.0),
                                                    ("tiny-tts", "A100", 450.0)])])
    studio.issue_invoice(previous)


@pytest.fixture(scope="session")
def operations_store(dashboard_store: DashboardStore) -> DashboardStore:
    """The dashboard store with a review round, dated tasks, a price plan, last month's usage and an
    invoice; each added only when the demo did not already make it (it makes the review round now). Request it before dashboard_server."""
    with Studio.open(Settings(), store_path=dashboard_store.path, project=MAIN_PROJECT, tenant=TENANT) as studio:
        if studio.assets().is_empty():
            _review_round(studio)
        tasks = studio.tasks()
        if tasks.filter(pl.col("start_date").is_not_null() | pl.col("due_date").is_not_null()).is_empty():
            _dated_tasks(studio)
        billed = not studio.invoices().is_empty()
    if not billed:
        with Studio.open(Settings(), store_path=dashboard_store.path, project=SECOND_PROJECT,
                         tenant=TENANT) as studio:
            _last_month_usage(studio)
    return dashboard_store
