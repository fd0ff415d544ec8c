"""A token revoked mid-run, and the token never leaking anywhere (point 4).

The token is looked for in everything a user, a log shipper or a warehouse reader could see: the
Dagster event log (with PyGithub's and urllib3's debug logging routed into it), captured Python
logging, materialization metadata, every column of every warehouse table, error messages, the
``prsync`` CLI's stdout and stderr, and every file under ``DAGSTER_HOME``.
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Iterator
from pathlib import Path

import duckdb
import psycopg
import pytest
from dagster import DagsterEventType, DagsterInstance, materialize
from dagster._serdes import serialize_value
from github_api_simulator import GitHubSimulator

from prsync_dagster.assets import sync_github_repository
from prsync_dagster.errors import GitHubAuthError
from prsync_dagster.resources import GitHubResource, WarehouseResource
from prsync_dagster.warehouse import open_warehouse, parse_warehouse_url
from prsync_dagster.warehouse.base import Warehouse
from prsync_dagster_tests.fault_helpers import (
    REPO_ROOT,
    STRATEGIES,
    across_backends,
    cursor_problems,
    prsync_command,
    snapshot,
    subprocess_env,
)
from prsync_dagster_tests.plugins.dagster_home import NewInstance
from prsync_dagster_tests.sync_helpers import run_sync

TOKEN = "ghp_pRsYnCsEcReT0kEn4f1e7c2d9b8a6e5f4c3b2a1d0"
MESSAGE = "GitHub rejected the token: 401 Bad credentials"
REPO = "acme/widgets"

#: Route PyGithub's and urllib3's debug logging into the Dagster event log.
DEBUG_LOGS = {"python_logs": {"managed_python_loggers": ["github", "urllib3"], "python_log_level": "DEBUG"}}


@pytest.fixture
def sim(simulator: GitHubSimulator) -> GitHubSimulator:
    simulator.add_token(TOKEN)
    return simulator


def revoke_after(sim: GitHubSimulator, requests: int) -> None:
    """Revoke the token once ``requests`` API requests have been answered (mid-sync)."""
    seen: list[str] = []

    def hook(method: str, path: str, query: dict[str, str]) -> None:
        seen.append(path)
        if len(seen) == requests:
            sim.revoke_token(TOKEN)

    sim.on_request(hook)


def leaks(text: str | bytes) -> bool:
    """Whether ``text`` holds the token (or its distinctive part, in case of a cut or a prefix)."""
    needles = (TOKEN, TOKEN[4:24])
    if isinstance(text, bytes):
        return any(needle.encode() in text for needle in needles)
    return any(needle in text for needle in needles)


def files_with_token(directory: Path) -> list[str]:
    return [str(path) for path in directory.rglob("*") if path.is_file() and leaks(path.read_bytes())]


def warehouse_dump(url: str) -> str:
    """Every row of every table of schema ``github``, as text."""
    target = parse_warehouse_url(url)
    tables = ("sync_state", "pull_requests", "pull_request_reviews", "pull_request_timeline")
    if target.kind == "duckdb":
        with duckdb.connect(target.target, read_only=True) as connection:
            rows = [connection.execute(f"SELECT * FROM github.{t}").fetchall() for t in tables]  # noqa: S608
    else:
        with psycopg.connect(target.target) as connection:
            rows = [connection.execute(f"SELECT * FROM github.{t}").fetchall() for t in tables]  # noqa: S608
    assert rows[0], "sync_state has rows to look at"
    return repr(rows)


# -- revoked mid-run -----------------------------------------------------------------------------


@across_backends({"strategy": STRATEGIES})
def test_token_revoked_mid_run_fails_with_the_specific_message_and_keeps_the_cursor(
    sim: GitHubSimulator, warehouse: Warehouse, strategy: str
) -> None:
    run_sync(sim, warehouse, REPO, token=TOKEN, strategy=strategy)
    sim.mutate_repo(REPO, seed=1, updated_fraction=1.0)
    before = snapshot(warehouse, REPO)
    revoke_after(sim, 2)
    with pytest.raises(GitHubAuthError) as failure:
        run_sync(sim, warehouse, REPO, token=TOKEN, strategy=strategy, batch_size=20)
    assert str(failure.value) == MESSAGE
    after = snapshot(warehouse, REPO)
    assert after.data_and_cursor()[2] == before.data_and_cursor()[2], "no cursor movement"
    assert after.state is not None and after.state.status == "error" and after.state.last_error == MESSAGE
    assert cursor_problems(sim, warehouse, REPO) == []


# -- the token appears nowhere -------------------------------------------------------------------


@pytest.fixture
def debug_instance(tmp_path: Path, new_instance: NewInstance) -> Iterator[DagsterInstance]:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with new_instance(DEBUG_LOGS, home=home) as instance:
        yield instance


def test_token_appears_nowhere_after_a_dagster_run_loses_it(
    sim: GitHubSimulator,
    warehouse_url: str,
    debug_instance: DagsterInstance,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("github", "urllib3"):
        caplog.set_level(logging.DEBUG, logger=name)
    debug_instance.add_dynamic_partitions("repositories", [REPO])
    resources = {
        # auto: the REST probe and GraphQL, a handful of requests, each logged at DEBUG with its
        # headers (the place a token would show); REST's request per PR adds only more of the same
        "github": GitHubResource(token=TOKEN, api_url=sim.url, strategy="auto"),
        "warehouse": WarehouseResource(url=warehouse_url),
    }
    ok = materialize(
        [sync_github_repository], partition_key=REPO, instance=debug_instance, resources=resources
    )
    assert ok.success
    sim.mutate_repo(REPO, seed=2, updated_fraction=0.5)
    revoke_after(sim, 1)  # the probe passes, the GraphQL query meets the revoked token
    failed = materialize(
        [sync_github_repository],
        partition_key=REPO,
        instance=debug_instance,
        resources=resources,
        raise_on_error=False,
    )
    assert not failed.success
    (step_failure,) = [e for e in failed.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    user_failure = step_failure.step_failure_data.user_failure_data
    assert user_failure is not None and user_failure.description == MESSAGE

    # PyGithub's debug lines really were captured, in both places
    assert "GET http://127.0.0.1" in caplog.text and "Authorization" in caplog.text
    entries = [entry for run in (ok, failed) for entry in debug_instance.all_logs(run.run_id)]
    assert any("GET http://127.0.0.1" in entry.user_message for entry in entries)

    places = {
        "captured Python logging": caplog.text,
        "Dagster event log": serialize_value(entries),
        "materialization metadata": serialize_value(ok.get_asset_materialization_events()),
        "failure events": serialize_value(failed.all_events),
        "warehouse tables": warehouse_dump(warehouse_url),
    }
    assert [where for where, text in places.items() if leaks(text)] == []
    assert files_with_token(tmp_path / "dagster_home") == []


@pytest.mark.processes
def test_token_appears_nowhere_in_cli_output_and_dagster_home(
    sim: GitHubSimulator, tmp_path: Path, duckdb_url: str
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text(
        "telemetry:\n  enabled: false\npython_logs:\n  managed_python_loggers: [github, urllib3]\n"
        "  python_log_level: DEBUG\n"
    )
    env = subprocess_env(
        GITHUB_TOKEN=TOKEN,
        GITHUB_API_URL=sim.url,
        PRSYNC_WAREHOUSE_URL=duckdb_url,
        DAGSTER_HOME=str(home),
        COLUMNS="200",
    )

    def prsync(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*prsync_command(), *args], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
        )

    first = prsync("sync", REPO)
    assert first.returncode == 0, first.stderr
    sim.mutate_repo(REPO, seed=3, updated_fraction=0.5)
    revoke_after(sim, 1)  # the probe passes, the GraphQL query meets the revoked token
    second = prsync("sync", REPO)
    status = prsync("status")
    assert second.returncode != 0
    last = second.stderr.splitlines()[-1]
    assert last.startswith(f"prsync: error: 1 of 1 syncs failed; {REPO}: ") and last.endswith(MESSAGE)
    assert "401 Bad" in status.stdout
    with open_warehouse(duckdb_url) as warehouse:
        state = warehouse.get_state(REPO)
    assert state is not None and state.status == "error" and state.last_error == MESSAGE
    outputs = {
        f"{name} {stream}": getattr(result, stream)
        for name, result in (("first sync", first), ("failed sync", second), ("status", status))
        for stream in ("stdout", "stderr")
    }
    assert [where for where, text in outputs.items() if leaks(text)] == []
    assert files_with_token(home) == []
    assert not leaks(warehouse_dump(duckdb_url))
    # the debug logs did reach Dagster's storage, so the scan above looked at them
    assert any(b"GET http://127.0.0.1" in path.read_bytes() for path in home.rglob("*") if path.is_file())
