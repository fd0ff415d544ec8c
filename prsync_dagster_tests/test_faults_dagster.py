"""Faults as Dagster runs see them: retries rescheduled after a rate-limit reset, permanent errors
failing at once, warnings in the event log, run config for the review sweep (points 2, 9, 10, 11)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from dagster import (
    DagsterEventType,
    DagsterInstance,
    ExecuteInProcessResult,
    materialize,
)
from github_api_simulator import GitHubSimulator

from prsync_dagster.assets import sync_github_repository
from prsync_dagster.resources import GitHubResource, WarehouseResource
from prsync_dagster.warehouse import open_warehouse
from prsync_dagster_tests.fault_helpers import DUCKDB_ONLY, across_backends, cursor_problems
from prsync_dagster_tests.plugins.clock import VirtualClock
from prsync_dagster_tests.sync_helpers import differences


def run(
    instance: DagsterInstance,
    sim: GitHubSimulator,
    warehouse_url: str,
    key: str,
    github: GitHubResource | None = None,
    **config: Any,
) -> ExecuteInProcessResult:
    """Materialize one repository partition the way the schedule does, with real resources."""
    instance.add_dynamic_partitions("repositories", [key])
    return materialize(
        [sync_github_repository],
        partition_key=key,
        instance=instance,
        resources={
            "github": github or GitHubResource(token=sim.token, api_url=sim.url),
            "warehouse": WarehouseResource(url=warehouse_url),
        },
        run_config={"ops": {"sync_github_repository": {"config": config}}} if config else None,
        raise_on_error=False,
    )


def events(result: ExecuteInProcessResult, kind: DagsterEventType) -> list[Any]:
    return [event for event in result.all_events if event.event_type == kind]


def warnings_logged(instance: DagsterInstance, result: ExecuteInProcessResult) -> list[str]:
    return [
        entry.user_message for entry in instance.all_logs(result.run_id) if entry.level == logging.WARNING
    ]


def failure_description(result: ExecuteInProcessResult) -> str:
    (failure,) = events(result, DagsterEventType.STEP_FAILURE)
    data = failure.step_failure_data
    return str(data.user_failure_data.description if data.user_failure_data else data.error.message)


def exhaust_after(sim: GitHubSimulator, requests: int, resource: str, status: int | None) -> None:
    """Exhaust ``resource`` right after the ``requests``-th API request, until a minute from then
    (with ``virtual_clock`` the wait costs no real time; a minute is long enough that a slow
    machine still meets the limit).

    A hook rather than a budget set up front: the run starts after Dagster's own set-up, whose
    duration would otherwise decide whether the limit is met at all.
    """
    seen: list[str] = []

    def hook(method: str, path: str, query: dict[str, str]) -> None:
        seen.append(path)
        if len(seen) == requests:
            sim.set_rate_limit(resource, remaining=0, reset_in=60, exhausted_status=status)

    sim.on_request(hook)


# -- 2. rate limit beyond the cap: RetryRequested, and the retry completes ------------------------


@across_backends(
    {
        "strategy,resource,status": [
            pytest.param("rest", "core", 403, id="rest-403"),
            pytest.param("rest", "core", 429, id="rest-429"),
            pytest.param("graphql", "graphql", None, id="graphql-RATE_LIMITED"),
        ]
    }
)
def test_rate_limit_beyond_the_cap_reschedules_the_step_and_the_retry_completes(
    instance: DagsterInstance,
    compact_simulator: GitHubSimulator,
    warehouse_url: str,
    strategy: str,
    resource: str,
    status: int | None,
    virtual_clock: VirtualClock,
) -> None:
    key = "acme/widgets"
    exhaust_after(compact_simulator, 3 if strategy == "rest" else 1, resource, status)
    github = GitHubResource(
        token=compact_simulator.token,
        api_url=compact_simulator.url,
        strategy=strategy,
        max_rate_limit_wait_s=0.5,
    )
    result = run(instance, compact_simulator, warehouse_url, key, github=github)

    assert result.success
    (retry,) = events(result, DagsterEventType.STEP_UP_FOR_RETRY)
    assert 30 < retry.event_specific_data.seconds_to_wait <= 62
    assert len(events(result, DagsterEventType.STEP_RESTARTED)) == 1
    # Dagster waited for the reset before the retry (on the virtual clock: no real seconds)
    assert virtual_clock.slept >= retry.event_specific_data.seconds_to_wait
    assert any(
        "rate limit exhausted" in w and "rescheduled after the reset" in w
        for w in warnings_logged(instance, result)
    )
    # one materialization per sync asset: pull requests, reviews, timeline
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert materialized == set(sync_github_repository.keys)
    with open_warehouse(warehouse_url) as warehouse:
        assert differences(compact_simulator, warehouse, key) == []
        assert cursor_problems(compact_simulator, warehouse, key) == []
        state = warehouse.get_state(key)
        assert state is not None and state.status == "ok"


# -- 9. rename warning, deleted repository --------------------------------------------------------


@DUCKDB_ONLY
def test_rename_is_followed_and_a_dagster_warning_suggests_renaming_the_partition(
    instance: DagsterInstance, simulator: GitHubSimulator, warehouse_url: str
) -> None:
    key = "acme/widgets"
    assert run(instance, simulator, warehouse_url, key).success
    simulator.rename_repo("Acme/Widgets", "Gizmos")
    simulator.update_pull("Acme/Gizmos", 4, title="changed after the rename")
    result = run(instance, simulator, warehouse_url, key)
    assert result.success
    assert any(
        "acme/widgets is now Acme/Gizmos" in w and "prsync repos add acme/gizmos" in w
        for w in warnings_logged(instance, result)
    )
    materialization = result.get_asset_materialization_events()[0].materialization
    assert materialization.partition == key
    assert materialization.metadata["github_full_name"].value == "Acme/Gizmos"
    with open_warehouse(warehouse_url) as warehouse:
        state = warehouse.get_state(key)
        assert state is not None and state.full_name == "Acme/Gizmos"
        assert warehouse.counts(key)[0] == 120 and warehouse.counts("acme/gizmos") == (0, 0)


@DUCKDB_ONLY
def test_deleted_repository_fails_without_retries_and_other_partitions_run(
    instance: DagsterInstance, compact_simulator: GitHubSimulator, warehouse_url: str
) -> None:
    gone, other = "acme/widgets", "acme/gadget-service"
    for key in (gone, other):
        assert run(instance, compact_simulator, warehouse_url, key).success
    with open_warehouse(warehouse_url) as warehouse:
        counts = warehouse.counts(gone)
    compact_simulator.delete_repo("Acme/Widgets")

    failed = run(instance, compact_simulator, warehouse_url, gone)
    assert not failed.success
    assert failure_description(failed).startswith("repository not found or no access")
    assert events(failed, DagsterEventType.STEP_UP_FOR_RETRY) == [], "no retries of a permanent error"
    assert run(instance, compact_simulator, warehouse_url, other).success
    with open_warehouse(warehouse_url) as warehouse:
        assert warehouse.counts(gone) == counts, "no data deleted"
        state = warehouse.get_state(gone)
        assert state is not None and state.status == "error"
        assert "repository not found or no access" in (state.last_error or "")
        other_state = warehouse.get_state(other)
        assert other_state is not None and other_state.status == "ok"


# -- 10. the review sweep through run config ------------------------------------------------------


def test_review_sweep_run_config_catches_a_silent_dismissal(
    instance: DagsterInstance, compact_simulator: GitHubSimulator, warehouse_url: str
) -> None:
    key = "acme/widgets"
    assert run(instance, compact_simulator, warehouse_url, key).success
    truth = compact_simulator.truth(key)
    review = next(r for r in truth["reviews"] if r["state"] == "APPROVED")
    pr = next(p for p in truth["pull_requests"] if p["number"] == review["pr_number"])
    compact_simulator.dismiss_review(key, pr["number"], review["id"], touch_pr=False)

    assert run(instance, compact_simulator, warehouse_url, key).success
    with open_warehouse(warehouse_url) as warehouse:
        assert differences(compact_simulator, warehouse, key) == [
            f"review {review['id']} state: stored 'APPROVED', truth 'DISMISSED'"
        ]
    days = (datetime.now(UTC) - pr["updated_at"]).days + 1
    assert run(instance, compact_simulator, warehouse_url, key, review_sweep_days=days).success
    with open_warehouse(warehouse_url) as warehouse:
        assert differences(compact_simulator, warehouse, key) == []


# -- 11. bad input through the asset --------------------------------------------------------------


@DUCKDB_ONLY
def test_invalid_partition_key_fails_at_once_without_retries(
    instance: DagsterInstance, readonly_simulator: GitHubSimulator, warehouse_url: str
) -> None:
    """One Dagster run per backend: the step fails at once, without retries, GitHub or warehouse
    rows. Which names are invalid is the name rule's business (test_repos.py covers them)."""
    requests_before = readonly_simulator.stats()["total_requests"]
    result = run(instance, readonly_simulator, warehouse_url, "../not a repo")
    assert not result.success
    assert failure_description(result).startswith("invalid repository '../not a repo'")
    assert events(result, DagsterEventType.STEP_UP_FOR_RETRY) == []
    assert readonly_simulator.stats()["total_requests"] == requests_before
    with open_warehouse(warehouse_url) as warehouse:
        warehouse.migrate()
        assert warehouse.list_states() == []


@DUCKDB_ONLY
def test_missing_token_is_a_clear_failure(
    instance: DagsterInstance, simulator: GitHubSimulator, warehouse_url: str
) -> None:
    result = run(
        instance, simulator, warehouse_url, "acme/widgets", github=GitHubResource(api_url=simulator.url)
    )
    assert not result.success
    assert failure_description(result) == (
        "no GitHub credentials: set GITHUB_TOKEN (or GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY)"
    )
    assert events(result, DagsterEventType.STEP_UP_FOR_RETRY) == []
    assert simulator.stats()["total_requests"] == 0


@DUCKDB_ONLY
def test_missing_token_env_var_fails_the_run_naming_it(
    instance: DagsterInstance, simulator: GitHubSimulator, warehouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deployed definitions read GITHUB_TOKEN through an EnvVar when a run starts."""
    from prsync_dagster.definitions import defs

    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GITHUB_APP_ID", raising=False)
    monkeypatch.setenv("GITHUB_API_URL", simulator.url)
    monkeypatch.setenv("PRSYNC_WAREHOUSE_URL", warehouse_url)
    instance.add_dynamic_partitions("repositories", ["acme/widgets"])
    # the run fails at once, naming the variable (no retry can set it)
    result = defs.resolve_job_def("github_sync").execute_in_process(
        partition_key="acme/widgets", instance=instance, raise_on_error=False
    )
    assert not result.success
    assert failure_description(result) == (
        "no GitHub credentials: set GITHUB_TOKEN (or GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY)"
    )
    assert events(result, DagsterEventType.STEP_UP_FOR_RETRY) == []
    assert simulator.stats()["total_requests"] == 0
