"""Helpers the sync tests share: run the engine against a simulator, compare with its truth."""

from __future__ import annotations

from typing import Any

import pytest
from dagster import DagsterInstance, RunRequest, build_run_status_sensor_context, build_schedule_context
from github_api_simulator import GitHubSimulator

from prsync_dagster.github.client import ClientSettings, GitHubClient, GitHubCredentials
from prsync_dagster.sync import ClientFactory, SyncOptions, SyncReport, sync_repository
from prsync_dagster.verify import compare_with_truth
from prsync_dagster.warehouse.base import Warehouse


def client_factory(sim: GitHubSimulator, token: str | None = None, **settings: Any) -> ClientFactory:
    credentials = GitHubCredentials(token=token or sim.token)
    options = ClientSettings(api_url=sim.url, backoff_factor=0.05, **settings)
    return lambda owner: GitHubClient(credentials, options, owner)


def run_sync(
    sim: GitHubSimulator, warehouse: Warehouse, repo: str, token: str | None = None, **options: Any
) -> SyncReport:
    return sync_repository(repo, client_factory(sim, token), warehouse, SyncOptions(**options))


def differences(sim: GitHubSimulator, warehouse: Warehouse, repo: str) -> list[str]:
    """Every way the warehouse copy of ``repo`` differs from the simulator's truth (empty: equal)."""
    return compare_with_truth(sim.truth(repo), warehouse, repo).problems()


def daily_sync_requests(
    instance: DagsterInstance, warehouse_url: str, monkeypatch: pytest.MonkeyPatch, day: str = "2026-11-28"
) -> list[RunRequest]:
    """The daily chain as the daemon runs it, in-process: the ``daily_github_sync`` tick's request,
    the ``probe_repositories`` run it asks for, then the run status sensor for that run's outcome
    (``sync_after_probe`` or ``sync_after_probe_failure``): the sync runs it requests."""
    from datetime import UTC, datetime

    from prsync_dagster.automation import daily_github_sync, sync_after_probe, sync_after_probe_failure
    from prsync_dagster.daily import PROBE_JOB_NAME
    from prsync_dagster.definitions import defs

    monkeypatch.setenv("PRSYNC_WAREHOUSE_URL", warehouse_url)
    at = datetime.fromisoformat(day).replace(hour=4, tzinfo=UTC)
    tick = daily_github_sync.evaluate_tick(
        build_schedule_context(
            instance=instance, scheduled_execution_time=at, repository_def=defs.get_repository_def()
        )
    )
    (request,) = tick.run_requests or []
    assert request.run_key == f"probe@{day}"
    job = defs.resolve_job_def(PROBE_JOB_NAME)
    result = job.execute_in_process(instance=instance, tags=request.tags, raise_on_error=False)
    sensor, event = (
        (sync_after_probe, result.get_run_success_event())
        if result.success
        else (sync_after_probe_failure, result.get_run_failure_event())
    )
    context = build_run_status_sensor_context(
        sensor_name=sensor.name, dagster_event=event, dagster_instance=instance,
        dagster_run=result.dagster_run,
    )  # fmt: skip
    return list(sensor(context))  # type: ignore[call-overload, arg-type]
