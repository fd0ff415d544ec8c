"""What runs without anyone clicking: the daily sync, the repository registry, freshness checks.

All of it is on by default, so a fresh deployment with the daemon running syncs every tracked
repository daily and says, per repository, when one falls behind.
"""

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    MetadataValue,
    RunRequest,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    asset_check,
    define_asset_job,
    schedule,
    sensor,
)

from prsync_dagster.assets import PULL_REQUEST_REVIEWS, PULL_REQUESTS
from prsync_dagster.errors import InvalidRepositoryName
from prsync_dagster.partitions import REPOSITORIES, normalize_repo, repositories
from prsync_dagster.resources import WarehouseResource
from prsync_dagster.warehouse.base import SyncState

SYNC_JOB_NAME = "github_sync"
MAX_AGE = timedelta(hours=24)

github_sync_job = define_asset_job(
    SYNC_JOB_NAME,
    selection=AssetSelection.assets(PULL_REQUESTS, PULL_REQUEST_REVIEWS).without_checks(),
    description="Sync one repository partition: pull requests and reviews changed since its last sync.",
)


def registered_repositories(instance: object) -> list[str]:
    """Registered partition keys that are valid repository names (others are skipped, not run)."""
    keys = instance.get_dynamic_partitions(REPOSITORIES)  # type: ignore[attr-defined]
    valid = []
    for key in keys:
        try:
            valid.append(normalize_repo(key))
        except InvalidRepositoryName:
            continue
    return sorted(set(valid) & set(keys))


@schedule(
    name="daily_github_sync",
    cron_schedule="0 4 * * *",
    execution_timezone="UTC",
    job=github_sync_job,
    default_status=DefaultScheduleStatus.RUNNING,
    description="04:00 UTC: one run per registered repository, so one failure never blocks another.",
)
def daily_github_sync(context: ScheduleEvaluationContext) -> Iterator[RunRequest]:
    scheduled = context.scheduled_execution_time or datetime.now(UTC)
    day = scheduled.astimezone(UTC).strftime("%Y-%m-%d")
    for key in registered_repositories(context.instance):
        yield RunRequest(run_key=f"{key}@{day}", partition_key=key, tags={"prsync/trigger": "daily"})


#: How far back the weekly sweep re-reads reviews.
SWEEP_DAYS = 14


@schedule(
    name="weekly_review_sweep",
    cron_schedule="0 5 * * 0",
    execution_timezone="UTC",
    job=github_sync_job,
    default_status=DefaultScheduleStatus.RUNNING,
    description=f"Sundays 05:00 UTC: also re-read reviews of PRs updated in the last {SWEEP_DAYS} days. "
    "GitHub does not promise that dismissing a review bumps the PR's updated_at, so an incremental "
    "sync alone could miss a dismissal; this sweep catches it within a week.",
)
def weekly_review_sweep(context: ScheduleEvaluationContext) -> Iterator[RunRequest]:
    scheduled = context.scheduled_execution_time or datetime.now(UTC)
    day = scheduled.astimezone(UTC).strftime("%Y-%m-%d")
    run_config = {"ops": {"sync_github_repository": {"config": {"review_sweep_days": SWEEP_DAYS}}}}
    for key in registered_repositories(context.instance):
        yield RunRequest(
            run_key=f"sweep:{key}@{day}",
            partition_key=key,
            run_config=run_config,
            tags={"prsync/trigger": "sweep"},
        )


@sensor(
    name="tracked_repositories",
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    job=github_sync_job,
    description="Keeps the repositories listed in PRSYNC_REPOS registered (never removes any) and "
    "starts the first sync of each repository it adds.",
)
def tracked_repositories(context: SensorEvaluationContext) -> SensorResult | SkipReason:
    wanted: list[str] = []
    for raw in os.environ.get("PRSYNC_REPOS", "").split(","):
        if not raw.strip():
            continue
        try:
            wanted.append(normalize_repo(raw))
        except InvalidRepositoryName as exc:
            context.log.warning(f"PRSYNC_REPOS: {exc}")
    existing = set(context.instance.get_dynamic_partitions(REPOSITORIES))
    new = sorted(set(wanted) - existing)
    if not new:
        return SkipReason("every repository in PRSYNC_REPOS is registered")
    context.log.info(f"registering {', '.join(new)}")
    return SensorResult(
        dynamic_partitions_requests=[repositories.build_add_request(new)],
        run_requests=[
            RunRequest(run_key=f"first-sync:{key}", partition_key=key, tags={"prsync/trigger": "registered"})
            for key in new
        ],
    )


@asset_check(
    asset=PULL_REQUESTS,
    name="every_repository_synced_within_24h",
    description="Fails when any registered repository's last successful sync is older than 24 h or "
    "never happened. Dagster's freshness policy is judged per asset, not per repository; this is "
    "the per-repository view.",
    blocking=False,
)
def every_repository_synced_within_24h(
    context: AssetCheckExecutionContext, warehouse: WarehouseResource
) -> AssetCheckResult:
    keys = registered_repositories(context.instance)
    with warehouse.open() as store:
        states = {state.repo: state for state in store.list_states()}
    return evaluate_freshness(keys, states, datetime.now(UTC))


def evaluate_freshness(keys: list[str], states: dict[str, SyncState], now: datetime) -> AssetCheckResult:
    """The check's verdict, separate from Dagster so it is easy to reason about (and to test)."""
    stale: dict[str, str] = {}
    for key in keys:
        state = states.get(key)
        if state is None or state.last_success_at is None:
            stale[key] = "never synced"
            continue
        lag = now - state.last_success_at
        if lag > MAX_AGE:
            stale[key] = f"last success {format_lag(lag)} ago"
    description = (
        f"{len(keys)} repositories synced within 24 h"
        if not stale
        else f"{len(stale)} of {len(keys)} repositories stale: "
        + "; ".join(f"{key} ({why})" for key, why in stale.items())
    )
    return AssetCheckResult(
        passed=not stale,
        severity=AssetCheckSeverity.ERROR,
        description=description[:2000],
        metadata={
            "repositories": len(keys),
            "stale": len(stale),
            "stale_repositories": MetadataValue.json(stale),
        },
    )


def format_lag(lag: timedelta) -> str:
    hours, rest = divmod(int(lag.total_seconds()), 3600)
    if hours >= 48:
        return f"{hours // 24}d {hours % 24}h"
    return f"{hours}h {rest // 60}m"


freshness_check_job = define_asset_job(
    "repository_freshness_check",
    selection=AssetSelection.checks(every_repository_synced_within_24h),
    description="Runs the per-repository freshness check.",
)


@schedule(
    name="hourly_freshness_check",
    cron_schedule="0 * * * *",
    execution_timezone="UTC",
    job=freshness_check_job,
    default_status=DefaultScheduleStatus.RUNNING,
)
def hourly_freshness_check(context: ScheduleEvaluationContext) -> RunRequest:
    return RunRequest(run_key=None)
