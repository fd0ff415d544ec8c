"""Issue 9.3 (Dagster side): every tick survives any registered key, and keys in another spelling
resolve to the same repository; invalid keys are named with a one-line reason."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from dagster import (
    DagsterInstance,
    SensorResult,
    build_schedule_context,
    build_sensor_context,
)

from prsync_dagster.automation import tracked_repositories, weekly_review_sweep
from prsync_dagster.daily import sync_run_requests
from prsync_dagster.definitions import defs
from prsync_dagster_tests.plugins.dagster_home import NewInstance

NOW = datetime(2026, 11, 29, 5, 0, tzinfo=UTC)
KEYS = ["a/b/c", "jDoe-Dev/sprocket.js", "jdoe-dev/sprocket.js", "Octo-Org/Hello-World"]


@pytest.fixture
def instance(new_instance: NewInstance) -> Iterator[DagsterInstance]:
    with new_instance() as instance:
        instance.add_dynamic_partitions("repositories", KEYS)
        yield instance


@pytest.mark.parametrize("trigger", ["daily", "weekly_review_sweep"])
def test_every_schedule_runs_existing_keys_once_per_repository(
    instance: DagsterInstance, trigger: str
) -> None:
    context = build_schedule_context(
        instance=instance, scheduled_execution_time=NOW, repository_def=defs.get_repository_def()
    )
    if trigger == "daily":  # what the daily probe's sensors request when every repository needs a run
        requests = sync_run_requests(instance, "probe run failed", "2026-11-29")
    else:
        requests = list(weekly_review_sweep.evaluate_tick(context).run_requests or [])
    # a partition key that exists (the tick would fail otherwise), one run per repository
    assert sorted(r.partition_key for r in requests) == ["Octo-Org/Hello-World", "jdoe-dev/sprocket.js"]
    assert all(r.run_key and r.run_key == r.run_key.lower() for r in requests)


def test_sensor_takes_pasted_urls_and_registers_only_new_repositories(
    instance: DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "PRSYNC_REPOS",
        "https://github.com/jDoe-Dev/sprocket.js, git@github.com:Octo-Org/Hello-World.git, "
        "https://github.com/New-Org/Repo/pull/12, a/b/c",
    )
    result = tracked_repositories(build_sensor_context(instance=instance))
    assert isinstance(result, SensorResult)
    added = [key for request in result.dynamic_partitions_requests for key in request.partition_keys]
    assert added == ["new-org/repo"]


def test_freshness_check_names_invalid_keys_with_their_reason(
    instance: DagsterInstance, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setenv("PRSYNC_WAREHOUSE_URL", f"duckdb://{tmp_path.as_posix()}/fresh.duckdb")
    result = defs.resolve_job_def("repository_freshness_check").execute_in_process(instance=instance)
    assert result.success
    (evaluation,) = result.get_asset_check_evaluations()
    assert not evaluation.passed
    description = evaluation.description or ""
    assert "a/b/c (invalid key: invalid repository 'a/b/c': expected exactly one '/' (OWNER/NAME))" in (
        description
    )
    assert "jdoe-dev/sprocket.js (never synced)" in description
    assert "3 of 3 repositories stale" in description
