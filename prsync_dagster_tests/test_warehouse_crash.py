"""A writer killed with SIGKILL in the middle of a batch leaves the last committed state behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
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
BIG_PRS = 500  # more than the baseline: the batch rewrites it and adds rows

pytestmark = [
    pytest.mark.processes,
    pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL"),
]

# Builds a batch that rewrites every baseline PR and adds more, then writes it. Once the batch's
# first statement (the upsert of its pull requests) has run inside the open transaction, it prints
# "wrote" and waits on stdin, so the parent kills it provably mid-batch. It only watches the
# backend's executor (the real statements run); the transaction is the backend's own.
WRITER = """
import sys
from contextlib import contextmanager
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
session = wh._session


class Watched:
    def __init__(self, executor):
        self._executor = executor

    def execute(self, sql, params=None):
        rows = self._executor.execute(sql, params)
        if sql.lstrip().startswith("INSERT INTO github.pull_requests"):
            print("wrote", flush=True)
            sys.stdin.readline()  # never answered: the parent kills this process here
        return rows


@contextmanager
def watched_session(what):
    with session(what) as executor:
        yield Watched(executor)


wh._session = watched_session
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
        [sys.executable, "-c", WRITER, warehouse_url, REPO, str(BIG_PRS)],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == "wrote", "the writer ended before writing"
    if warehouse.kind == "postgres":  # seen from outside too: its transaction is open
        assert _in_transaction(warehouse_url)
    writer.send_signal(signal.SIGKILL)
    rest = writer.stdout.read()
    writer.wait(10)
    assert writer.returncode == -signal.SIGKILL
    assert "done" not in rest

    _assert_baseline(warehouse)

    # The next write (from this process) goes through, and sees no leftovers of the killed one.
    warehouse.write_batch(REPO, make_batch(REPO, 3, 1, title="after", first=BASELINE_PRS + 1), T0, _commit(2))
    assert warehouse.counts(REPO) == (BASELINE_PRS + 3, BASELINE_PRS * 2 + 3)
    state = warehouse.get_state(REPO)
    assert state is not None and state.cursor == T0 + timedelta(days=2)
    with open_warehouse(warehouse_url) as fresh:
        assert fresh.counts(REPO) == (BASELINE_PRS + 3, BASELINE_PRS * 2 + 3)
