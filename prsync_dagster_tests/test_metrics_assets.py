"""The review-metrics assets through Dagster: real engine, simulator over HTTP, real warehouses."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from dagster import (
    AssetKey,
    DagsterInstance,
    build_schedule_context,
    materialize,
)
from github_api_simulator import GitHubSimulator

from prsync_dagster.assets import (
    PULL_REQUEST_REVIEWS,
    PULL_REQUEST_TIMELINE,
    PULL_REQUESTS,
    sync_github_repository,
)
from prsync_dagster.definitions import defs
from prsync_dagster.metrics import assets as metrics_assets
from prsync_dagster.metrics.assets import (
    PULL_REQUEST_METRICS,
    REVIEW_METRICS_WEEKLY,
    daily_review_metrics,
    pull_request_metrics,
    review_metrics_weekly,
)
from prsync_dagster.metrics.sql import pull_request_metrics as metric_rows
from prsync_dagster.metrics.sql import weekly_metrics
from prsync_dagster.resources import GitHubResource, WarehouseResource
from prsync_dagster.warehouse import open_warehouse

FIGURE_KEYS = [
    "prs_opened_30d",
    "median_hours_to_first_review_30d",
    "median_hours_pickup_30d",
    "prs_merged_30d",
    "median_hours_to_merge_30d",
    "median_size_30d",
    "share_merged_without_review_30d",
]


def sync_and_metrics(instance: DagsterInstance, sim: GitHubSimulator, warehouse_url: str, key: str):
    """One run, as the github_sync job runs it: the sync multi-asset, then the partition's metrics."""
    instance.add_dynamic_partitions("repositories", [key])
    return materialize(
        [sync_github_repository, pull_request_metrics],
        partition_key=key,
        instance=instance,
        resources={
            "github": GitHubResource(token=sim.token, api_url=sim.url),
            "warehouse": WarehouseResource(url=warehouse_url),
        },
    )


def test_the_sync_job_materializes_the_metrics_in_the_same_run() -> None:
    job = defs.resolve_job_def("github_sync")
    keys = set(job.asset_layer.selected_asset_keys)
    assert {PULL_REQUESTS, PULL_REQUEST_REVIEWS, PULL_REQUEST_TIMELINE, PULL_REQUEST_METRICS} <= keys
    assert REVIEW_METRICS_WEEKLY not in keys  # all repositories: not part of a repository's run
    graph = defs.resolve_asset_graph()
    assert graph.get(PULL_REQUEST_METRICS).parent_keys == {
        PULL_REQUESTS,
        PULL_REQUEST_REVIEWS,
        PULL_REQUEST_TIMELINE,
    }
    assert graph.get(REVIEW_METRICS_WEEKLY).parent_keys == {PULL_REQUEST_METRICS}
    assert graph.get(PULL_REQUEST_METRICS).partitions_def == graph.get(PULL_REQUESTS).partitions_def
    assert graph.get(REVIEW_METRICS_WEEKLY).partitions_def is None


def test_metrics_materialization_carries_the_30_day_figures(
    instance: DagsterInstance,
    simulator_factory,
    warehouse_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim = simulator_factory("tiny")
    key = sim.repos()[0].lower()
    monkeypatch.setattr(metrics_assets, "clock", lambda: datetime(2025, 7, 1, tzinfo=UTC))

    first = sync_and_metrics(instance, sim, warehouse_url, key)
    events = {e.asset_key: e.materialization for e in first.get_asset_materialization_events()}
    assert set(events) == {PULL_REQUESTS, PULL_REQUEST_REVIEWS, PULL_REQUEST_TIMELINE, PULL_REQUEST_METRICS}
    metrics = events[PULL_REQUEST_METRICS]
    truth = sim.truth(key)
    assert metrics.partition == key
    assert metrics.metadata["dagster/row_count"].value == len(truth["pull_requests"])
    for name in FIGURE_KEYS:
        assert name in metrics.metadata, name
    assert "| PRs opened |" in metrics.metadata["summary"].value
    # the tiny world ends 2025-06-30: PRs opened in the 30 days before the frozen clock
    since = datetime(2025, 7, 1, tzinfo=UTC) - timedelta(days=30)
    opened = sum(1 for pr in truth["pull_requests"] if pr["created_at"] >= since)
    assert metrics.metadata["prs_opened_30d"].value == opened


def test_a_new_first_review_changes_first_review_at(
    instance: DagsterInstance, simulator_factory, warehouse_url: str
) -> None:
    sim = simulator_factory("tiny")
    key = sim.repos()[0].lower()
    assert sync_and_metrics(instance, sim, warehouse_url, key).success
    opened = sim.open_pull(key, title="Metrics follow the sync", author="writer")
    number = opened["pull_request"]["number"]
    assert sync_and_metrics(instance, sim, warehouse_url, key).success
    with open_warehouse(warehouse_url) as warehouse:
        row = {r["number"]: r for r in metric_rows(warehouse, key)}[number]
    assert row["first_review_at"] is None and row["hours_to_first_review"] is None

    # GitHub's timestamps have whole seconds: a review in the same second as the PR's last update
    # leaves the updated-sorted list byte-identical (same ETag, a 304) until the weekly sweep. This
    # test is about the metrics following a sync that sees the review, so let the second pass.
    opened_at = datetime.fromisoformat(str(opened["pull_request"]["updated_at"]).replace("Z", "+00:00"))
    while datetime.now(UTC).replace(microsecond=0) <= opened_at:
        time.sleep(0.05)
    sim.add_review(key, number, state="APPROVED", author="reader")
    (review,) = [r for r in sim.truth(key)["reviews"] if r["pr_number"] == number]
    assert sync_and_metrics(instance, sim, warehouse_url, key).success
    with open_warehouse(warehouse_url) as warehouse:
        row = {r["number"]: r for r in metric_rows(warehouse, key)}[number]
    assert row["first_review_at"] == review["submitted_at"]
    assert row["first_approval_at"] == review["submitted_at"]
    assert row["review_count"] == 1 and row["reviewer_count"] == 1


def test_weekly_asset_and_its_daily_schedule(
    instance: DagsterInstance, simulator_factory, warehouse_url: str
) -> None:
    sim = simulator_factory("tiny")
    key = sim.repos()[0].lower()
    assert sync_and_metrics(instance, sim, warehouse_url, key).success
    result = materialize(
        [review_metrics_weekly],
        instance=instance,
        resources={"warehouse": WarehouseResource(url=warehouse_url)},
    )
    (event,) = result.get_asset_materialization_events()
    assert event.asset_key == AssetKey(["github", "review_metrics_weekly"])
    with open_warehouse(warehouse_url) as warehouse:
        weekly = weekly_metrics(warehouse)
    assert event.materialization.metadata["dagster/row_count"].value == len(weekly) > 0
    assert {row["repo"] for row in weekly} == {key}
    assert sum(row["prs_opened"] for row in weekly) == len(sim.truth(key)["pull_requests"])

    schedule = defs.resolve_schedule_def("daily_review_metrics")
    assert schedule.cron_schedule == "0 6 * * *" and schedule.execution_timezone == "UTC"
    assert schedule.job_name == "review_metrics_weekly"
    context = build_schedule_context(
        instance=instance, scheduled_execution_time=datetime(2026, 11, 28, 6, tzinfo=UTC)
    )
    (request,) = daily_review_metrics.evaluate_tick(context).run_requests or []
    assert request.run_key == "review-metrics@2026-11-28"
