"""The one Dagster entry point: ``defs`` (loaded by ``workspace.yaml`` and ``dagster dev``)."""

from __future__ import annotations

from dagster import Definitions, in_process_executor

from prsync_dagster import assets, automation, daily, resources
from prsync_dagster.metrics import assets as metrics

defs = Definitions(
    assets=[assets.sync_github_repository, metrics.pull_request_metrics, metrics.review_metrics_weekly],
    asset_checks=[automation.every_repository_synced_within_24h],
    jobs=[
        automation.github_sync_job,
        daily.probe_repositories,
        automation.freshness_check_job,
        metrics.review_metrics_weekly_job,
    ],
    schedules=[
        automation.daily_github_sync,
        automation.weekly_review_sweep,
        automation.hourly_freshness_check,
        metrics.daily_review_metrics,
    ],
    sensors=[
        automation.tracked_repositories,
        automation.requeue_failed_batch_partitions,
        automation.sync_after_probe,
        automation.sync_after_probe_failure,
    ],
    resources={"github": resources.github_from_env(), "warehouse": resources.warehouse_from_env()},
    # A run is one sync of one repository: one step. Running it inside the run worker saves a
    # second Python process (and its Dagster import) per run; retries and pools still apply.
    executor=in_process_executor,
)
