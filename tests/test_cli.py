"""The `studio` command as a user runs it: real subprocesses, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "night_train.fountain"
FIXTURES = ROOT / "tests" / "fixtures" / "fountain"


def studio(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    e = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "studio_kit.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd or ROOT, env=e, timeout=300)


@pytest.fixture(scope="module")
def ray_env(shared_ray) -> dict[str, str]:
    """RAY_ADDRESS naming the test session's Ray: a command run with it joins that Ray (as a user's
    command joins a running cluster) instead of starting a local one of its own."""
    return {"RAY_ADDRESS": shared_ray.address}


def test_help_lists_commands():
    r = studio("--help")
    assert r.returncode == 0
    for cmd in ("parse", "ingest", "scenes", "pdf", "export", "demo"):
        assert cmd in r.stdout


def test_parse_json_shape():
    r = studio("parse", FIXTURES / "afterwriting-test.fountain", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["title_page"]["Credit"] == "written by"
    assert {"type", "text", "line"} <= set(data["elements"][0])
    assert len(data["scenes"]) == 11
    s = data["scenes"][0]
    for key in ("number", "heading", "int_ext", "location", "time_of_day", "speaking", "eighths", "eighths_exact",
                "page_start"):
        assert key in s
    assert data["statistics"]["pages"] == data["pages"] >= 3


def test_bad_file_gives_clear_error_not_traceback(tmp_path):
    p = tmp_path / "bad.fountain"
    p.write_bytes(b"INT. A - DAY\n\ncaf\xe9\n")
    r = studio("parse", p)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert f"{p}:3" in r.stderr and "--encoding" in r.stderr


def test_ingest_scenes_versions_and_one_writer(tmp_path):
    store = tmp_path / "s.duckdb"
    r = studio("ingest", FIXTURES / "afterwriting-test.fountain", "-p", "tests", "--store", store)
    assert r.returncode == 0, r.stderr
    assert "version 1" in r.stdout
    r = studio("ingest", FIXTURES / "afterwriting-test.fountain", "-p", "tests", "--store", store)
    assert "unchanged" in r.stdout
    r = studio("scenes", "-p", "tests", "--store", store, "--csv")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].startswith("ordinal,number")
    assert len(r.stdout.splitlines()) == 12
    r = studio("versions", "-p", "tests", "--store", store)
    assert r.returncode == 0 and "screenplay-title" in r.stdout


def test_export_round_trip_and_pdf(tmp_path):
    fdx = tmp_path / "s.fdx"
    assert studio("export", FIXTURES / "nyousefi-FountainTests" / "Simple.fountain", "-o", fdx).returncode == 0
    back = tmp_path / "back.fountain"
    r = studio("export", fdx, "-o", back)
    assert r.returncode == 0, r.stderr
    assert "INT. OFFICE - MORNING" in back.read_text()
    pdf = tmp_path / "s.pdf"
    r = studio("pdf", FIXTURES / "Cyber_Bob_ep00001.fountain", "-o", pdf, "--paper", "a4")
    assert r.returncode == 0, r.stderr
    assert pdf.read_bytes().startswith(b"%PDF")


@pytest.mark.skipif(not SAMPLE.exists(), reason="sample screenplay not yet in data/sample")
def test_demo_writes_everything(tmp_path, ray_env):
    r = studio("demo", "--out", tmp_path / "out")  # as `make demo` runs it: a local Ray of its own
    assert r.returncode == 0, r.stderr
    for rel in ("screenplay/night_train.pdf", "screenplay/scene_report.html", "screenplay/statistics.json",
                "screenplay/scenes.csv", "screenplay/night_train.fdx", "studio.duckdb"):
        assert (tmp_path / "out" / rel).exists(), rel
    assert "database:" in r.stdout and "screenplay PDF:" in r.stdout
    again = studio("demo", "--out", tmp_path / "out", env=ray_env)  # idempotent (on a running cluster)
    assert again.returncode == 0, again.stderr


def test_talent_json_for_researchers():
    r = studio("talent", ROOT / "tests" / "fixtures" / "talent" / "minizinc-benchmarks" / "film105.dzn", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert (out["total_cost"], out["idle_cost"], out["optimal"]) == (849, 110, True)
    assert out["lower_bound"] == 849 and sorted(out["order"]) == list(range(1, 19))
    bad = studio("talent", ROOT / "README.md")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_shots_boards_and_animatic_commands(tmp_path, ray_env):
    """The writing commands on a short script: shot lists made and exported, characters locked, boards
    with a PDF, an animatic; a scene without a board is a clear error, not a traceback. They join the
    session's Ray through RAY_ADDRESS."""
    store = tmp_path / "s.duckdb"
    common = ("-p", "cli", "--store", store)
    assert studio("ingest", FIXTURES / "afterwriting-test.fountain", *common, env=ray_env).returncode == 0
    r = studio("shots", "--make", "--scene", "1", "-o", tmp_path / "shots.csv", *common, env=ray_env)
    assert r.returncode == 0, r.stderr
    assert "1 shot lists stored" in r.stdout
    rows = (tmp_path / "shots.csv").read_text().strip().splitlines()
    n_shots = int(r.stdout.split("(")[1].split()[0])
    assert len(rows) == 1 + n_shots
    assert studio("characters", "create", *common, env=ray_env).returncode == 0
    assert studio("characters", "lock", "--all", *common, env=ray_env).returncode == 0
    r = studio("boards", "--scene", "1", "-o", tmp_path / "boards.pdf", *common, env=ray_env)
    assert r.returncode == 0, r.stderr + r.stdout
    assert f"{n_shots} frames" in r.stdout and (tmp_path / "boards.pdf").read_bytes()[:5] == b"%PDF-"
    r = studio("animatic", "--scene", "1", "-o", tmp_path / "a.mp4", "--size", "320x180", "--fps", "12", *common,
               env=ray_env)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "a.mp4").stat().st_size > 1000 and (tmp_path / "a.otio").exists()
    r = studio("animatic", "--scene", "2", "-o", tmp_path / "b.mp4", *common, env=ray_env)
    assert r.returncode != 0 and "scene 2 has no board yet" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "b.mp4").exists()


def test_develop_command_writes_a_script_version(tmp_path, ray_env):
    """`studio develop` on the offline writer: a run in template mode, its script stored as versions
    (after the scenes and after the dialogue pass) that `studio scenes` lists; a bad re-run is a
    clear error. It joins the session's Ray through RAY_ADDRESS."""
    store = tmp_path / "s.duckdb"
    common = ("-p", "dev", "--store", store)
    r = studio("develop", "--logline", "When harbour pilot ODA finds a stowaway named KIT on the ferry, she must "
               "hide him from the coast guard.", "--title", "Ferry", "--pages", "4", *common, env=ray_env)
    assert r.returncode == 0, r.stderr
    assert "(template): stored beats v1, outline v1, scenes v1, dialogue v1" in r.stdout
    script_id = r.stdout.split("script ", 1)[1].split()[0]
    assert f"script {script_id} v2 after dialogue" in r.stdout
    r = studio("scenes", "--script", script_id, "--csv", *common, env=ray_env)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.strip().splitlines()) == 1 + 3  # header + three scenes (at least three in template mode)
    r = studio("develop", "--run", "nope", *common, env=ray_env)
    assert r.returncode != 0 and "no development run 'nope'" in r.stderr and "Traceback" not in r.stderr
