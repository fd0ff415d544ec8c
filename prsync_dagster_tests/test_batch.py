"""Issue 11: several repository partitions per run, and a failure still shown on its own partition.

In-process: the real ``github_sync`` job on a real instance, PyGithub over HTTP to the simulator,
a DuckDB warehouse.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from dagster import AssetKey, DagsterInstance, instance_for_test
from github_api_simulator import GitHubSimulator, SimulatorControl

from prsync_dagster.batch import BATCH_MIN, batch_run_requests, range_tags, settle_failed_batch
from prsync_dagster.definitions import defs
from prsync_dagster.resources import WarehouseResource
from prsync_dagster.warehouse import open_warehouse
from prsync_dagster_tests.sync_helpers import differences

REPOS = ["acme/widgets", "acme/gadget-service", "jdoe-dev/sprocket.js"]
PULL_REQUESTS = AssetKey(["github", "pull_requests"])


@pytest.fixture
def instance():
    with instance_for_test() as instance:
        yield instance


@pytest.fixture
def environment(monkeypatch, simulator: GitHubSimulator, duckdb_url: str) -> str:
    monkeypatch.delenv("GITHUB_APP_ID", raising=False)
    monkeypatch.setenv("GITHUB_TOKEN", simulator.token)
    monkeypatch.setenv("GITHUB_API_URL", simulator.url)
    monkeypatch.setenv("PRSYNC_WAREHOUSE_URL", duckdb_url)
    return duckdb_url


def run_range(instance: DagsterInstance, keys: list[str]):
    job = defs.resolve_job_def("github_sync")
    return job.execute_in_process(instance=instance, tags=range_tags(keys), raise_on_error=False)


def materialized(instance: DagsterInstance) -> set[str]:
    return {str(k) for k in instance.get_materialized_partitions(PULL_REQUESTS)}


def test_one_run_syncs_several_repositories(instance, simulator: GitHubSimulator, environment: str) -> None:
    instance.add_dynamic_partitions("repositories", REPOS)
    result = run_range(instance, REPOS)
    assert result.success
    assert materialized(instance) == set(REPOS)
    with open_warehouse(environment) as warehouse:
        for repo in REPOS:
            assert differences(simulator, warehouse, repo) == []


def test_a_failed_repository_in_a_batch_is_requeued_alone(
    instance, simulator: GitHubSimulator, simulator_control: SimulatorControl, environment: str
) -> None:
    instance.add_dynamic_partitions("repositories", REPOS)
    simulator_control.delete_repo("Acme/gadget-Service")
    result = run_range(instance, REPOS)
    assert not result.success  # Dagster cannot fail single partitions of a run (issues 17836, 18123)

    record = instance.get_run_record_by_id(result.run_id)
    assert record is not None
    started = datetime.fromtimestamp(record.start_time, UTC) if record.start_time else None
    requests = settle_failed_batch(
        instance, result.run_id, dict(result.dagster_run.tags), started, WarehouseResource(url=environment)
    )
    # the failed repository alone gets its own run; the others are recorded as synced by the batch
    assert [(r.partition_key, r.run_key) for r in requests] == [
        ("acme/gadget-service", f"requeue:{result.run_id}:acme/gadget-service")
    ]
    assert materialized(instance) == {"acme/widgets", "jdoe-dev/sprocket.js"}
    with open_warehouse(environment) as warehouse:
        state = warehouse.get_state("acme/gadget-service")
        assert state is not None and state.status == "error"
        assert differences(simulator, warehouse, "acme/widgets") == []


def test_registering_many_repositories_asks_for_ranges_few_for_single_runs() -> None:
    many = [f"org/repo-{i:03d}" for i in range(60)]
    requests = batch_run_requests(many, "first-sync", {"prsync/trigger": "registered"})
    ranges = [
        (r.tags.get("dagster/asset_partition_range_start"), r.tags.get("dagster/asset_partition_range_end"))
        for r in requests
    ]
    assert ranges == [
        ("org/repo-000", "org/repo-024"),
        ("org/repo-025", "org/repo-049"),
        ("org/repo-050", "org/repo-059"),
    ]
    few = many[: BATCH_MIN - 1]
    assert [r.partition_key for r in batch_run_requests(few, "first-sync", {})] == few


def test_the_requeue_sensor_requeues_the_failed_repository_of_a_failed_batch_run(
    instance, simulator: GitHubSimulator, simulator_control: SimulatorControl, environment: str
) -> None:
    from dagster import DagsterEventType, build_run_status_sensor_context

    from prsync_dagster.automation import requeue_failed_batch_partitions

    instance.add_dynamic_partitions("repositories", REPOS)
    simulator_control.delete_repo("jDoe-Dev/sprocket.js")
    result = run_range(instance, REPOS)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type == DagsterEventType.RUN_FAILURE)
    context = build_run_status_sensor_context(
        sensor_name="requeue_failed_batch_partitions",
        dagster_event=failure,
        dagster_instance=instance,
        dagster_run=result.dagster_run,
    )
    requests = list(requeue_failed_batch_partitions(context) or [])
    assert [r.partition_key for r in requests] == ["jdoe-dev/sprocket.js"]
    assert materialized(instance) == {"acme/widgets", "acme/gadget-service"}
