"""The assets through Dagster's own APIs, with real resources: the simulator and real warehouses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, instance_for_test, materialize
from github_api_simulator import GitHubSimulator
from github_api_simulator.scenarios import custom

from prsync_dagster.assets import (
    PULL_REQUEST_REVIEWS,
    PULL_REQUEST_TIMELINE,
    PULL_REQUESTS,
    sync_github_repository,
)
from prsync_dagster.resources import GitHubResource, WarehouseResource
from prsync_dagster.warehouse import open_warehouse
from prsync_dagster_tests.sync_helpers import differences

REPO_ROOT = Path(__file__).resolve().parent.parent


def resources(sim: GitHubSimulator, warehouse_url: str, **github: object) -> dict[str, object]:
    return {
        "github": GitHubResource(token=sim.token, api_url=sim.url, **github),
        "warehouse": WarehouseResource(url=warehouse_url),
    }


def materialize_partition(
    instance: DagsterInstance, sim: GitHubSimulator, warehouse_url: str, key: str, **config: object
):
    instance.add_dynamic_partitions("repositories", [key])
    return materialize(
        [sync_github_repository],
        partition_key=key,
        instance=instance,
        resources=resources(sim, warehouse_url),
        run_config={"ops": {"sync_github_repository": {"config": config}}} if config else None,
        raise_on_error=False,
    )


def test_materialization_reports_the_sync_figures(
    instance: DagsterInstance, shared_simulator: GitHubSimulator, warehouse_url: str
) -> None:
    key = shared_simulator.repos()[0].lower()
    result = materialize_partition(instance, shared_simulator, warehouse_url, key)
    assert result.success
    events = {event.asset_key: event for event in result.get_asset_materialization_events()}
    assert set(events) == {PULL_REQUESTS, PULL_REQUEST_REVIEWS, PULL_REQUEST_TIMELINE}
    prs = events[PULL_REQUESTS].materialization
    reviews = events[PULL_REQUEST_REVIEWS].materialization
    timeline = events[PULL_REQUEST_TIMELINE].materialization
    assert prs.partition == key and reviews.partition == key and timeline.partition == key
    truth = shared_simulator.truth(key)
    assert prs.metadata["dagster/row_count"].value == len(truth["pull_requests"])
    assert reviews.metadata["dagster/row_count"].value == len(truth["reviews"])
    assert prs.metadata["pull_requests_upserted"].value == len(truth["pull_requests"])
    assert reviews.metadata["reviews_upserted"].value == len(truth["reviews"])
    assert timeline.metadata["dagster/row_count"].value == len(truth["timeline"])
    assert timeline.metadata["timeline_events_upserted"].value == len(truth["timeline"])
    assert prs.metadata["refetch_reason"].value == "none"
    for name in (
        "github_requests", "not_modified_304", "rate_limit_points", "rate_limit_remaining_core",
        "rate_limit_remaining_graphql", "cursor_before", "cursor_after", "duration_s", "strategy",
    ):  # fmt: skip
        assert name in prs.metadata, name
    assert prs.metadata["strategy"].value == "auto"
    assert prs.metadata["cursor_before"].value == "none"
    assert prs.metadata["github_requests"].value >= 2
    with open_warehouse(warehouse_url) as warehouse:
        assert differences(shared_simulator, warehouse, key) == []

    # a second materialization: incremental, free
    again = materialize_partition(instance, shared_simulator, warehouse_url, key)
    second = {e.asset_key: e for e in again.get_asset_materialization_events()}[PULL_REQUESTS].materialization
    assert second.metadata["rate_limit_points"].value == 0
    assert second.metadata["not_modified_304"].value == 1
    assert second.metadata["cursor_before"].value == prs.metadata["cursor_after"].value
    # the asset records one materialization per partition in the instance
    latest = instance.get_latest_materialization_event(AssetKey(["github", "pull_requests"]))
    assert latest is not None and latest.dagster_event is not None


def test_full_refresh_config(
    instance: DagsterInstance, shared_simulator: GitHubSimulator, duckdb_url: str
) -> None:
    key = shared_simulator.repos()[1].lower()
    assert materialize_partition(instance, shared_simulator, duckdb_url, key).success
    result = materialize_partition(instance, shared_simulator, duckdb_url, key, full_refresh=True)
    assert result.success
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["full_refresh"].value is True
    assert meta["pull_requests_upserted"].value == 120


@pytest.mark.processes
def test_four_partitions_at_once_in_separate_processes_share_one_duckdb_file(
    tmp_path: Path, simulator_factory
) -> None:
    """Four `dagster asset materialize` processes, one per partition, write one DuckDB file at once."""
    sim = simulator_factory(custom(repos=4, prs_per_repo=80, reviews_per_pr=2.0), 7)
    keys = [name.lower() for name in sim.repos()]
    assert len(keys) == 4
    home = tmp_path / "home"
    home.mkdir()
    url = f"duckdb://{tmp_path / 'shared.duckdb'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "PRSYNC_", "DAGSTER_"))}
    env.update(
        DAGSTER_HOME=str(home), GITHUB_API_URL=sim.url, GITHUB_TOKEN=sim.token, PRSYNC_WAREHOUSE_URL=url
    )
    with instance_for_test(temp_dir=str(home)) as instance:
        instance.add_dynamic_partitions("repositories", keys)
    dagster = str(Path(sys.executable).with_name("dagster"))
    commands = [
        [dagster, "asset", "materialize", "-m", "prsync_dagster.definitions",
         "--select", "github/pull_requests,github/pull_request_reviews,github/pull_request_timeline",
         "--partition", key]
        for key in keys
    ]  # fmt: skip
    processes = [
        subprocess.Popen(
            cmd, env=env, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for cmd in commands
    ]
    outputs = [process.communicate(timeout=300)[0] for process in processes]
    for process, output in zip(processes, outputs, strict=True):
        assert process.returncode == 0, output[-3000:]
    with open_warehouse(url) as warehouse:
        for key in keys:
            assert differences(sim, warehouse, key) == []
            state = warehouse.get_state(key)
            assert state is not None and state.status == "ok"
