"""A writer killed with SIGKILL in the middle of a batch leaves the last committed state behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from prsync_dagster.warehouse import open_warehouse
from prsync_dagster.warehouse.base import SyncCommit, Warehouse
from prsync_dagster_tests.plugins.warehouse import T0, make_batch

REPO_ROOT = Path(__file__).resolve().parents[1]
REPO = "crash/test"
BASELINE_PRS = 200
BIG_PRS = 20_000

pytestmark = [
    pytest.mark.processes,
    pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL"),
]

# Builds a big batch that rewrites every baseline PR and adds many more, says so, then writes it.
BIG_WRITER = """
import sys
from datetime import timedelta
from prsync_dagster.warehouse import open_warehouse
from prsync_dagster.warehouse.base import SyncCommit
from prsync_dagster_tests.plugins.warehouse import T0, make_batch

url, repo, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
batch = make_batch(repo, count, 3, title="rewritten")
cursor = T0 + timedelta(days=99)
commit = SyncCommit(repo=repo, repo_id=1, full_name=repo, cursor=cursor, etag='"big"', probe_url=None,
                    success_at=cursor, strategy="rest", report={})
wh = open_warehouse(url, lock_timeout_s=30)
print("writing", flush=True)
wh.write_batch(repo, batch, cursor, commit)
print("done", flush=True)
"""


def _commit(cursor_days: int) -> SyncCommit:
    cursor = T0 + timedelta(days=cursor_days)
    return SyncCommit(
        repo=REPO, repo_id=1, full_name=REPO, cursor=cursor, etag=None, probe_url=None,
        success_at=cursor, strategy="rest", report={"days": cursor_days},
    )  # fmt: skip


def _in_transaction(url: str) -> bool:
    """Whether the writer's connection has a transaction open on the server (Postgres only)."""
    with psycopg.connect(url, autocommit=True) as connection:
        row = connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND application_name = 'prsync' AND xact_start IS NOT NULL AND pid <> pg_backend_pid()"
        ).fetchone()
    return bool(row and row[0])


def _assert_baseline(wh: Warehouse) -> None:
    assert wh.counts(REPO) == (BASELINE_PRS, BASELINE_PRS * 2)
    assert {pr.title for pr in wh.pull_requests(REPO)} == {"baseline"}
    state = wh.get_state(REPO)
    assert state is not None
    assert (state.status, state.cursor, state.etag) == ("ok", T0 + timedelta(days=1), None)


def test_sigkill_mid_batch_keeps_the_committed_state(warehouse: Warehouse, warehouse_url: str) -> None:
    warehouse.write_batch(REPO, make_batch(REPO, BASELINE_PRS, 2, title="baseline"), T0, _commit(1))
    _assert_baseline(warehouse)

    writer = subprocess.Popen(
        [sys.executable, "-c", BIG_WRITER, warehouse_url, REPO, str(BIG_PRS)],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == "writing"
    if warehouse.kind == "postgres":
        deadline = time.monotonic() + 10
        while not _in_transaction(warehouse_url) and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)  # well inside the statements that write 20,000 rows
    else:
        time.sleep(0.3)  # connected and inserting: the whole write takes seconds
    writer.send_signal(signal.SIGKILL)
    rest = writer.stdout.read()
    writer.wait(10)
    assert writer.returncode == -signal.SIGKILL
    assert "done" not in rest, "the batch finished before the kill; make it bigger"

    _assert_baseline(warehouse)

    # The next write (from this process) goes through, and sees no leftovers of the killed one.
    warehouse.write_batch(REPO, make_batch(REPO, 3, 1, title="after", first=BASELINE_PRS + 1), T0, _commit(2))
    assert warehouse.counts(REPO) == (BASELINE_PRS + 3, BASELINE_PRS * 2 + 3)
    state = warehouse.get_state(REPO)
    assert state is not None and state.cursor == T0 + timedelta(days=2)
    with open_warehouse(warehouse_url) as fresh:
        assert fresh.counts(REPO) == (BASELINE_PRS + 3, BASELINE_PRS * 2 + 3)
