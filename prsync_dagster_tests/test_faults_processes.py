"""Processes that die, hold the DuckDB file, or sync the same repository at once (points 5-7).

The simulator runs in the test process; syncs run in child processes over real HTTP, writing real
DuckDB files and a real Postgres database.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest
import yaml
from github_api_simulator import GitHubSimulator

from prsync_dagster.errors import WarehouseLockedError
from prsync_dagster.warehouse import open_warehouse, parse_warehouse_url
from prsync_dagster.warehouse.base import Warehouse
from prsync_dagster_tests.fault_helpers import REPO_ROOT, cursor_problems, snapshot, subprocess_env
from prsync_dagster_tests.sync_helpers import differences, run_sync

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL and fork-free DuckDB locks")

#: One repository of 1,500 PRs: 15 GraphQL pages, 30 batches of 50 PRs.
BIG = "custom:repos=1,prs_per_repo=1500,reviews_per_pr=2"
BIG_REPO = "Bench/Repo-001"

# A sync in its own process, as a Dagster run process does it; prints the engine's progress.
SYNC_SCRIPT = """
import sys
from prsync_dagster.github.client import ClientSettings, GitHubClient, GitHubCredentials
from prsync_dagster.sync import SyncOptions, sync_repository
from prsync_dagster.warehouse import open_warehouse

url, api, token, repo, strategy, batch_size = sys.argv[1:]
warehouse = open_warehouse(url, lock_timeout_s=60)
warehouse.migrate()
settings = ClientSettings(api_url=api, backoff_factor=0.05)
report = sync_repository(
    repo,
    lambda owner: GitHubClient(GitHubCredentials(token=token), settings, owner),
    warehouse,
    SyncOptions(strategy=strategy, batch_size=int(batch_size)),
    log=lambda message: print(message, flush=True),
)
print("done", report.pull_requests, flush=True)
"""

HOLD_SCRIPT = """
import sys, time
import duckdb
connection = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""

# Holds the file until told to let go (a line on stdin), so a test decides when the lock ends.
HOLD_UNTIL_TOLD_SCRIPT = """
import sys
import duckdb
connection = duckdb.connect(sys.argv[1])
print("locked", flush=True)
sys.stdin.readline()
"""


def start_sync(
    sim: GitHubSimulator, url: str, repo: str, strategy: str = "graphql", batch_size: int = 50
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", SYNC_SCRIPT, url, sim.url, sim.token, repo, strategy, str(batch_size)],
        cwd=REPO_ROOT,
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        text=True,
    )


def wait_for_line(process: subprocess.Popen[str], predicate: Callable[[str], bool]) -> str:
    assert process.stdout is not None
    for line in process.stdout:
        if predicate(line):
            return line
    raise AssertionError(f"the sync ended (exit {process.wait()}) before the expected output")


def writing(url: str) -> Callable[[], bool]:
    """Whether the child is inside a write right now, seen from outside."""
    target = parse_warehouse_url(url)
    if target.kind == "postgres":

        def in_transaction() -> bool:
            with psycopg.connect(target.target, autocommit=True) as connection:
                row = connection.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND application_name = 'prsync' AND xact_start IS NOT NULL"
                    " AND pid <> pg_backend_pid()"
                ).fetchone()
            return bool(row and row[0])

        return in_transaction

    def file_locked() -> bool:
        try:
            duckdb.connect(target.target).close()  # brief: the child waits for it, never fails
        except duckdb.IOException as exc:
            if "Could not set lock" in str(exc):
                return True
            raise
        return False

    return file_locked


def kill_while_writing(process: subprocess.Popen[str], url: str) -> None:
    """SIGKILL the child inside a batch write that follows a committed one."""
    wait_for_line(process, lambda line: "stored" in line)  # the first batch has landed
    busy = writing(url)
    deadline = time.monotonic() + 30
    while not busy():
        assert time.monotonic() < deadline and process.poll() is None, "never caught the child writing"
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    assert process.returncode == -signal.SIGKILL


# -- 5. kill -9 in the middle of writing ---------------------------------------------------------


@pytest.mark.processes
@pytest.mark.parametrize("first_sync", [True, False], ids=["first-sync", "incremental"])
def test_sigkill_while_writing_heals_on_the_next_run(
    simulator_factory: Callable[..., GitHubSimulator],
    warehouse: Warehouse,
    warehouse_url: str,
    first_sync: bool,
) -> None:
    sim = simulator_factory(BIG)
    if not first_sync:
        run_sync(sim, warehouse, BIG_REPO, strategy="graphql")
        sim.mutate_repo(BIG_REPO, seed=1, updated_fraction=0.6, new_prs=20, dismissals=5)
    before = snapshot(warehouse, BIG_REPO)
    sim.set_latency(20)  # a page per ~20 ms: the sync takes seconds, the kill lands inside it

    child = start_sync(sim, warehouse_url, BIG_REPO, batch_size=50)
    kill_while_writing(child, warehouse_url)
    sim.set_latency(0)

    after = snapshot(warehouse, BIG_REPO)
    assert after.state is not None and after.state.status == "running", "killed: nobody recorded an end"
    assert after.data_and_cursor()[2] == before.data_and_cursor()[2], "the cursor did not move"
    assert cursor_problems(sim, warehouse, BIG_REPO) == []
    old = {pr.number: pr for pr in before.pull_requests}
    written = [pr for pr in after.pull_requests if old.get(pr.number) != pr]
    assert written and len(written) % 50 == 0, "whole committed batches only"
    numbers = [pr.number for pr in after.pull_requests]
    assert len(numbers) == len(set(numbers))

    report = run_sync(sim, warehouse, BIG_REPO, strategy="graphql")
    assert report.changed
    assert differences(sim, warehouse, BIG_REPO) == []
    assert cursor_problems(sim, warehouse, BIG_REPO) == []
    state = warehouse.get_state(BIG_REPO.lower())
    assert state is not None and state.status == "ok"
    assert state.cursor == max(pr["updated_at"] for pr in sim.truth(BIG_REPO)["pull_requests"])


# -- 6. DuckDB file held by another process ------------------------------------------------------


def hold_lock(path: str, seconds: float) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_SCRIPT, path, str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    return holder


def hold_until_told(path: str) -> subprocess.Popen[str]:
    """A process holding the DuckDB file until :func:`let_go` (returns once it holds it)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_UNTIL_TOLD_SCRIPT, path],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    return holder


def let_go(holder: subprocess.Popen[str]) -> None:
    assert holder.stdin is not None
    with suppress(BrokenPipeError):
        holder.stdin.write("release\n")
        holder.stdin.flush()


@dataclass
class LockRefusals:
    """Every time this process was refused the DuckDB file lock (the real ``duckdb.connect`` runs;
    this only watches it). On the first refusal the holder is told to let go, so the waiting is
    certain to happen and certain to end."""

    holders: list[subprocess.Popen[str]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        real_connect = duckdb.connect

        def connect(*args: Any, **kwargs: Any) -> duckdb.DuckDBPyConnection:
            try:
                return real_connect(*args, **kwargs)
            except duckdb.IOException as exc:
                if "Could not set lock" in str(exc):
                    self.messages.append(str(exc))
                    if len(self.messages) == 1:
                        let_go(self.holders[0])
                raise

        monkeypatch.setattr(duckdb, "connect", connect)


@pytest.mark.processes
def test_duckdb_held_at_start_waits_within_the_cap(
    simulator: GitHubSimulator, duckdb_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = open_warehouse(duckdb_url, lock_timeout_s=20)
    warehouse.migrate()
    refusals = LockRefusals()
    refusals.install(monkeypatch)
    refusals.holders.append(hold_until_told(duckdb_url.removeprefix("duckdb://")))
    run_sync(simulator, warehouse, "Acme/Widgets")
    refusals.holders[0].wait(10)
    # the sync met the other process's lock, waited, and then went through
    assert refusals.messages, "the sync never met the lock"
    assert f"PID {refusals.holders[0].pid}" in refusals.messages[0]
    assert differences(simulator, warehouse, "Acme/Widgets") == []


@pytest.mark.processes
def test_duckdb_held_mid_sync_waits_within_the_cap(
    simulator: GitHubSimulator, duckdb_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Taken while the sync is fetching: its first write waits for the file, then goes through."""
    warehouse = open_warehouse(duckdb_url, lock_timeout_s=20)
    warehouse.migrate()
    refusals = LockRefusals()
    refusals.install(monkeypatch)

    def grab_the_file(method: str, path: str, query: dict[str, str]) -> None:
        if not refusals.holders:
            refusals.holders.append(hold_until_told(duckdb_url.removeprefix("duckdb://")))

    simulator.on_request(grab_the_file)
    report = run_sync(simulator, warehouse, "Acme/Widgets", strategy="rest", batch_size=30)
    refusals.holders[0].wait(10)
    assert refusals.messages, "the sync never met the lock"
    assert f"PID {refusals.holders[0].pid}" in refusals.messages[0]
    assert report.changed
    assert differences(simulator, warehouse, "Acme/Widgets") == []


@pytest.mark.processes
@pytest.mark.parametrize("when", ["at-start", "mid-sync"])
def test_duckdb_held_beyond_the_cap_is_a_clear_error_and_changes_nothing(
    simulator: GitHubSimulator, duckdb_url: str, when: str
) -> None:
    path = duckdb_url.removeprefix("duckdb://")
    setup = open_warehouse(duckdb_url, lock_timeout_s=20)
    setup.migrate()
    run_sync(simulator, setup, "Acme/Widgets", strategy="rest")
    simulator.mutate_repo("Acme/Widgets", seed=2, updated_fraction=0.3)
    before = snapshot(setup, "Acme/Widgets")
    impatient = open_warehouse(duckdb_url, lock_timeout_s=0.5)
    holders: list[subprocess.Popen[str]] = []
    if when == "at-start":
        holders.append(hold_lock(path, 4))
    else:

        def grab_the_file(method: str, path_: str, query: dict[str, str]) -> None:
            if not holders:
                holders.append(hold_lock(path, 4))

        simulator.on_request(grab_the_file)
    started = time.monotonic()
    with pytest.raises(WarehouseLockedError) as failure:
        run_sync(simulator, impatient, "Acme/Widgets", strategy="rest")
    assert time.monotonic() - started < 3.5, "gave up after the cap, not after the holder"
    message = str(failure.value)
    assert f"the DuckDB file {path} is locked by another process (PID {holders[0].pid}" in message
    assert "\n" not in message
    holders[0].wait(10)
    assert snapshot(setup, "Acme/Widgets").data_and_cursor() == before.data_and_cursor()
    run_sync(simulator, setup, "Acme/Widgets", strategy="rest")
    assert differences(simulator, setup, "Acme/Widgets") == []


# -- 7. the same partition twice at once ---------------------------------------------------------


def test_instance_config_queues_a_second_run_of_the_same_partition(tmp_path: Path) -> None:
    from dagster import DagsterInstance
    from dagster._core.run_coordinator import QueuedRunCoordinator

    config = yaml.safe_load((REPO_ROOT / "dagster.yaml").read_text())
    limits = config["concurrency"]["runs"]["tag_concurrency_limits"]
    assert {"key": "dagster/partition", "value": {"applyLimitPerUniqueValue": True}, "limit": 1} in limits
    # and Dagster itself reads it so: the queue (what the daemon dequeues by) has that limit
    (tmp_path / "dagster.yaml").write_text((REPO_ROOT / "dagster.yaml").read_text())
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        queue = instance.get_concurrency_config().run_queue_config
        assert queue is not None
        assert {"key": "dagster/partition", "value": {"applyLimitPerUniqueValue": True}, "limit": 1} in (
            queue.tag_concurrency_limits
        )


@pytest.mark.processes
@pytest.mark.parametrize("first_sync", [True, False], ids=["first-sync", "incremental"])
def test_two_concurrent_syncs_of_one_repository_both_end_correct(
    simulator_factory: Callable[..., GitHubSimulator],
    warehouse: Warehouse,
    warehouse_url: str,
    first_sync: bool,
) -> None:
    """Should the queue limit be bypassed (two `prsync sync` at once), the result is still right."""
    sim = simulator_factory(BIG)
    if not first_sync:
        run_sync(sim, warehouse, BIG_REPO, strategy="graphql")
        sim.mutate_repo(BIG_REPO, seed=3, updated_fraction=0.5, new_prs=20, dismissals=5)
    sim.set_latency(5)
    children = [
        start_sync(sim, warehouse_url, BIG_REPO, strategy, batch_size=50) for strategy in ("graphql", "auto")
    ]
    outputs = [child.communicate(timeout=240)[0] for child in children]
    for child, output in zip(children, outputs, strict=True):
        assert child.returncode == 0, output
        assert "done" in output
    assert differences(sim, warehouse, BIG_REPO) == []
    assert cursor_problems(sim, warehouse, BIG_REPO) == []
    state = warehouse.get_state(BIG_REPO.lower())
    assert state is not None and state.status == "ok"
    assert state.cursor == max(pr["updated_at"] for pr in sim.truth(BIG_REPO)["pull_requests"])
