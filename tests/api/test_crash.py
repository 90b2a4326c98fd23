"""Crash consistency: kill -9 the writer in the middle of a batch of writes; the store opens again,
every write the writer reported committed is there, and no partial write is.

Each write is one script ingest through the Studio (a script, its version and its scenes, in one
transaction); the child prints the script id and scene count after each commit (flushed), so
what it printed is a lower bound on what must survive.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from studio_kit.store import Store
from studio_kit.studio import ALL_MIGRATIONS

CHILD = r'''
import sys, tempfile
from pathlib import Path
from studio_kit.studio import ALL_MIGRATIONS
from studio_kit.settings import Settings
from studio_kit.store import Store
from studio_kit.studio import Studio

store = Store.open(sys.argv[1], migrations=ALL_MIGRATIONS)
studio = Studio(store, "acme", "film", Settings(store_path=Path(sys.argv[1])))
tmp = Path(tempfile.mkdtemp())
print("ready", flush=True)
i = 0
while True:
    n = 2 + i % 5
    text = "Title: Crash %d\n\n" % i + "".join(
        "INT. ROOM %d-%d - DAY\n\nWrite %d, scene %d happens.\n\n" % (i, s, i, s) for s in range(n))
    path = tmp / "s.fountain"
    path.write_text(text)
    r = studio.ingest_script(path, script_id="crash-%d" % i)
    print("committed", r.script_id, r.scenes, flush=True)
    i += 1
'''


def test_kill_9_mid_batch_loses_nothing_committed_and_leaves_nothing_partial(tmp_path: Path) -> None:
    db = tmp_path / "studio.duckdb"
    Store.open(db, migrations=ALL_MIGRATIONS).close()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(db)], stdout=subprocess.PIPE, text=True, env=env,
                             cwd=Path(__file__).parents[2])
    committed: dict[str, int] = {}
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 60
        while len(committed) < 25 and time.monotonic() < deadline:  # let it get well into the batch
            line = child.stdout.readline()
            if not line:
                break
            _, sid, scenes = line.split()
            committed[sid] = int(scenes)
        os.kill(child.pid, signal.SIGKILL)  # mid-write: it is always inside the next ingest by now
        child.wait(timeout=30)
        for line in child.stdout.read().splitlines():  # reported after we stopped reading, before the kill
            if line.startswith("committed"):
                _, sid, scenes = line.split()
                committed[sid] = int(scenes)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert len(committed) >= 5, "the writer never got going"

    with Store.open(db, migrations=ALL_MIGRATIONS) as store:  # opens (replays its WAL) after the crash
        scope = store.scope("acme", "film")
        versions = dict(scope.rows("SELECT script_id, count(*) FROM {script_version} GROUP BY 1"))
        scenes = dict(scope.rows("SELECT script_id, count(*) FROM {scene} GROUP BY 1"))
        scripts = {r[0] for r in scope.rows("SELECT script_id FROM {script}")}
    for sid, n in committed.items():  # every reported commit is there, whole
        assert versions.get(sid) == 1, sid
        assert scenes.get(sid) == n, (sid, scenes.get(sid), n)
    for sid in scripts | set(versions) | set(scenes):  # nothing partial: any write present is complete
        i = int(sid.rsplit("-", 1)[1])
        assert versions.get(sid) == 1 and scenes.get(sid) == 2 + i % 5, (sid, versions.get(sid), scenes.get(sid))
    assert set(scripts) >= set(committed)
