"""Issue 11: the daily sync probes first; idle repositories cost no run and still count fresh.

In-process, the chain the daemon runs: the real schedule (``build_schedule_context``) requests one
probe run, that run executes (``execute_in_process`` on a real Dagster instance, PyGithub over HTTP
to the simulator, a real warehouse: DuckDB and Postgres), then the real run status sensor turns its
outcome into sync run requests.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from dagster import AssetKey, DagsterInstance, RunRequest, instance_for_test
from github_api_simulator import GitHubSimulator, SimulatorControl

from prsync_dagster.automation import evaluate_freshness
from prsync_dagster.fleet import probe_fleet
from prsync_dagster.warehouse import open_warehouse
from prsync_dagster_tests.sync_helpers import client_factory, daily_sync_requests, run_sync

NOW = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)
REPOS = ["acme/widgets", "acme/gadget-service", "jdoe-dev/sprocket.js"]


@pytest.fixture
def instance():
    with instance_for_test() as instance:
        yield instance


@pytest.fixture(autouse=True)
def environment(monkeypatch) -> pytest.MonkeyPatch:
    for name in ("GITHUB_TOKEN", "GITHUB_APP_ID", "GITHUB_API_URL", "PRSYNC_WAREHOUSE_URL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def tick(
    instance: DagsterInstance, sim: GitHubSimulator, warehouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> list[RunRequest]:
    """One daily tick, configured through the environment like a deployment: the sync runs requested."""
    monkeypatch.setenv("GITHUB_TOKEN", sim.token)
    monkeypatch.setenv("GITHUB_API_URL", sim.url)
    return daily_sync_requests(instance, warehouse_url, monkeypatch)


def first_sync_all(sim: GitHubSimulator, warehouse_url: str, repos: list[str]) -> None:
    with open_warehouse(warehouse_url) as warehouse:
        warehouse.migrate()
        for repo in repos:
            run_sync(sim, warehouse, repo)


def verified_partitions(instance: DagsterInstance, asset_key: AssetKey) -> set[str]:
    records = instance.fetch_materializations(asset_key, limit=100).records
    return {
        r.partition_key
        for r in records
        if r.partition_key and r.asset_materialization.metadata.get("verified_unchanged")
    }


def test_only_changed_and_never_synced_repositories_get_a_run(
    instance,
    simulator: GitHubSimulator,
    simulator_control: SimulatorControl,
    warehouse_url: str,
    environment: pytest.MonkeyPatch,
) -> None:
    instance.add_dynamic_partitions("repositories", [*REPOS, "acme/not-synced-yet"])
    first_sync_all(simulator, warehouse_url, REPOS)
    simulator_control.update_pull("Acme/Widgets", 10, title="changed today")
    simulator_control.reset_stats()

    requests = tick(instance, simulator, warehouse_url, environment)

    by_key = {r.partition_key: r for r in requests}
    assert sorted(by_key) == ["acme/not-synced-yet", "acme/widgets"]
    assert by_key["acme/widgets"].tags["prsync/reason"] == "changed"
    assert by_key["acme/not-synced-yet"].tags["prsync/reason"] == "never synced"
    assert by_key["acme/widgets"].run_key == "acme/widgets@2026-11-28"
    # the two unchanged repositories were answered 304: free
    stats = simulator_control.stats()
    assert stats["not_modified"] == 2
    # verified unchanged = fresh: an asset event on its partition (both assets) and sync_state
    for asset_key in (AssetKey(["github", "pull_requests"]), AssetKey(["github", "pull_request_reviews"])):
        assert verified_partitions(instance, asset_key) == {"acme/gadget-service", "jdoe-dev/sprocket.js"}
    with open_warehouse(warehouse_url) as warehouse:
        states = {s.repo: s for s in warehouse.list_states()}
    later = datetime.now(UTC)
    for repo in ("acme/gadget-service", "jdoe-dev/sprocket.js"):
        assert states[repo].last_success_at is not None
        assert abs((later - states[repo].last_success_at).total_seconds()) < 600
    verdict = evaluate_freshness(["acme/gadget-service", "jdoe-dev/sprocket.js"], states, later)
    assert verdict.passed


def test_a_repository_whose_probe_fails_gets_its_own_run(
    instance,
    simulator: GitHubSimulator,
    simulator_control: SimulatorControl,
    duckdb_url: str,
    environment: pytest.MonkeyPatch,
) -> None:
    instance.add_dynamic_partitions("repositories", REPOS)
    first_sync_all(simulator, duckdb_url, REPOS)
    simulator_control.delete_repo("jDoe-Dev/sprocket.js")

    requests = tick(instance, simulator, duckdb_url, environment)

    (request,) = requests
    assert request.partition_key == "jdoe-dev/sprocket.js"
    # the reason names the error, as the run's failure will
    assert request.tags["prsync/reason"].startswith("probe failed: "), request.tags
    assert "not found" in request.tags["prsync/reason"]
    assert verified_partitions(instance, AssetKey(["github", "pull_requests"])) == {
        "acme/widgets",
        "acme/gadget-service",
    }


def test_a_failed_last_sync_is_retried_even_when_github_says_unchanged(
    instance, simulator: GitHubSimulator, duckdb_url: str, environment: pytest.MonkeyPatch
) -> None:
    instance.add_dynamic_partitions("repositories", REPOS)
    first_sync_all(simulator, duckdb_url, REPOS)
    with open_warehouse(duckdb_url) as warehouse:
        warehouse.mark_error("acme/widgets", "boom", NOW)

    requests = tick(instance, simulator, duckdb_url, environment)

    assert [(r.partition_key, r.tags["prsync/reason"]) for r in requests] == [
        ("acme/widgets", "last sync failed")
    ]
    with open_warehouse(duckdb_url) as warehouse:
        state = warehouse.get_state("acme/widgets")
    assert state is not None and state.status == "error"  # the failure stays visible


def test_when_the_probe_run_fails_every_repository_gets_a_run(
    instance, tmp_path, environment: pytest.MonkeyPatch
) -> None:
    """A broken probe never means a silent day: here the warehouse cannot be opened."""
    instance.add_dynamic_partitions("repositories", REPOS)
    (tmp_path / "not-a-database.duckdb").write_text("garbage")
    requests = daily_sync_requests(
        instance, f"duckdb://{tmp_path.as_posix()}/not-a-database.duckdb", environment
    )
    assert sorted(r.partition_key for r in requests) == sorted(REPOS)
    assert {r.tags["prsync/reason"] for r in requests} == {"probe run failed"}
    assert {r.run_key for r in requests} == {f"{repo}@2026-11-28" for repo in REPOS}


def test_probes_run_concurrently_and_cost_nothing_when_unchanged(
    simulator: GitHubSimulator, simulator_control: SimulatorControl, duckdb_url: str
) -> None:
    first_sync_all(simulator, duckdb_url, REPOS)
    with open_warehouse(duckdb_url) as warehouse:
        states = {s.repo: s for s in warehouse.list_states()}
    simulator_control.reset_stats()
    decisions, requests, points = probe_fleet(REPOS, states, client_factory(simulator), "auto", concurrency=3)
    assert [d.reason for d in decisions] == ["unchanged"] * 3
    assert (requests, points) == (3, 0)
    assert simulator_control.stats()["not_modified"] == 3
