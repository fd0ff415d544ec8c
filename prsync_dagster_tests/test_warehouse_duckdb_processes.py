"""DuckDB's one-process-per-file lock, exercised with real second processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from prsync_dagster.errors import WarehouseLockedError
from prsync_dagster.warehouse import open_warehouse
from prsync_dagster.warehouse.duckdb import DuckDBWarehouse
from prsync_dagster_tests.plugins.warehouse import T0

REPO_ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.processes

HOLD_SCRIPT = """
import sys, time
import duckdb
connection = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


def _hold_lock(path: str, seconds: float) -> subprocess.Popen[str]:
    """Start a process that keeps the DuckDB file open for ``seconds``; returns once it holds it."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_SCRIPT, path, str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    return holder


@pytest.fixture
def duckdb_warehouse(duckdb_url: str) -> DuckDBWarehouse:
    wh = open_warehouse(duckdb_url, lock_timeout_s=20)
    assert isinstance(wh, DuckDBWarehouse)
    wh.migrate()
    return wh


def test_waits_for_the_other_process_then_succeeds(duckdb_warehouse: DuckDBWarehouse) -> None:
    holder = _hold_lock(str(duckdb_warehouse.path), 1.5)
    started = time.monotonic()
    try:
        duckdb_warehouse.start_attempt("a/b", T0)  # a write
        assert duckdb_warehouse.counts("a/b") == (0, 0)  # and a read
    finally:
        holder.wait(10)
    waited = time.monotonic() - started
    assert 0.8 < waited < 10
    state = duckdb_warehouse.get_state("a/b")
    assert state is not None and state.status == "running"


def test_gives_up_after_the_timeout_with_a_clear_message(duckdb_url: str) -> None:
    wh = open_warehouse(duckdb_url, lock_timeout_s=1.0)
    assert isinstance(wh, DuckDBWarehouse)
    wh.migrate()
    holder = _hold_lock(str(wh.path), 60)
    try:
        started = time.monotonic()
        with pytest.raises(WarehouseLockedError) as caught:
            wh.get_state("a/b")  # reads need the lock too
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait(10)
    assert 0.9 < waited < 5
    message = str(caught.value)
    assert str(wh.path) in message
    assert f"PID {holder.pid}" in message
    assert "locked by another process" in message
    assert "waited 1." in message
    assert "lock_timeout_s" in message
    assert "\n" not in message
    # Once the holder is gone the file is usable again.
    assert wh.get_state("a/b") is None


TURN_SCRIPT = """
import sys, time
from prsync_dagster.warehouse import open_warehouse
with open_warehouse("duckdb://" + sys.argv[1]) as wh, wh._session("hold the file"):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_another_prsync_process_s_session_is_waited_for_through_the_turn_lock(duckdb_url: str) -> None:
    """prsync processes queue on FILE.lock (warehouse/duckdb.py ``_turn``) instead of meeting
    DuckDB's lock: past ``lock_timeout_s`` the error names the lock file, and the wait is queueing,
    not a retry (``lock_retries`` stays 0)."""
    wh = open_warehouse(duckdb_url, lock_timeout_s=0.5)
    assert isinstance(wh, DuckDBWarehouse)
    wh.migrate()
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}

    def hold(seconds: float) -> subprocess.Popen[str]:
        holder = subprocess.Popen(
            [sys.executable, "-c", TURN_SCRIPT, str(wh.path), str(seconds)],
            cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        return holder

    holder = hold(60)
    try:
        with pytest.raises(WarehouseLockedError) as caught:
            wh.get_state("a/b")
    finally:
        holder.kill()
        holder.wait(10)
    message = str(caught.value)
    assert f"in use by another prsync process (it holds {wh.path}.lock); waited 0." in message, message
    assert wh.lock_retries == 0

    wh.lock_timeout_s = 20
    holder = hold(1.0)
    try:
        assert wh.get_state("a/b") is None  # waits for the holder's session, then reads
    finally:
        holder.wait(10)
    assert wh.lock_retries == 0


WRITER_SCRIPT = """
import sys, time
from datetime import timedelta
from prsync_dagster.warehouse import open_warehouse
from prsync_dagster.warehouse.base import SyncCommit
from prsync_dagster_tests.plugins.warehouse import T0, make_batch

url, repo, start_at = sys.argv[1], sys.argv[2], float(sys.argv[3])
while time.time() < start_at:
    time.sleep(0.001)
with open_warehouse(url, lock_timeout_s=60) as wh:
    for round_ in range(5):
        cursor = T0 + timedelta(days=round_)
        commit = SyncCommit(repo=repo, repo_id=1, full_name=repo, cursor=cursor, etag=None, probe_url=None,
                            success_at=cursor, strategy="rest", report={"round": round_})
        wh.start_attempt(repo, cursor)
        wh.write_batch(repo, make_batch(repo, 20, 3, first=round_ * 20 + 1), cursor, commit)
print("done")
"""


def test_four_processes_write_different_repositories_into_one_file(duckdb_warehouse: DuckDBWarehouse) -> None:
    repos = [f"owner{i}/repo" for i in range(4)]
    start_at = str(time.time() + 1.5)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER_SCRIPT, f"duckdb://{duckdb_warehouse.path}", repo, start_at],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for repo in repos
    ]
    for writer in writers:
        out, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
        assert out.strip() == "done"

    for repo in repos:
        assert duckdb_warehouse.counts(repo) == (100, 300)
        state = duckdb_warehouse.get_state(repo)
        assert state is not None
        assert (state.status, state.cursor, state.last_report) == ("ok", T0 + timedelta(days=4), {"round": 4})
    assert len(duckdb_warehouse.list_states()) == 4
