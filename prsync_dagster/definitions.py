"""The one Dagster entry point: ``defs`` (loaded by ``workspace.yaml`` and ``dagster dev``)."""

from __future__ import annotations

from dagster import Definitions, in_process_executor

from prsync_dagster.assets import sync_github_repository
from prsync_dagster.automation import (
    daily_github_sync,
    every_repository_synced_within_24h,
    freshness_check_job,
    github_sync_job,
    hourly_freshness_check,
    requeue_failed_batch_partitions,
    sync_after_probe,
    sync_after_probe_failure,
    tracked_repositories,
    weekly_review_sweep,
)
from prsync_dagster.daily import probe_repositories
from prsync_dagster.metrics.assets import (
    daily_review_metrics,
    pull_request_metrics,
    review_metrics_weekly,
    review_metrics_weekly_job,
)
from prsync_dagster.resources import github_from_env, warehouse_from_env

defs = Definitions(
    assets=[sync_github_repository, pull_request_metrics, review_metrics_weekly],
    asset_checks=[every_repository_synced_within_24h],
    jobs=[github_sync_job, probe_repositories, freshness_check_job, review_metrics_weekly_job],
    schedules=[daily_github_sync, weekly_review_sweep, hourly_freshness_check, daily_review_metrics],
    sensors=[
        tracked_repositories,
        requeue_failed_batch_partitions,
        sync_after_probe,
        sync_after_probe_failure,
    ],
    resources={"github": github_from_env(), "warehouse": warehouse_from_env()},
    # A run is one sync of one repository: one step. Running it inside the run worker saves a
    # second Python process (and its Dagster import) per run; retries and pools still apply.
    executor=in_process_executor,
)
