"""What runs without anyone clicking: the daily sync, the repository registry, freshness checks.

All of it is on by default, so a fresh deployment with the daemon running syncs every tracked
repository daily and says, per repository, when one falls behind.
"""

from collections.abc import Collection, Iterator, Mapping
from datetime import UTC, datetime, timedelta

import dagster as dg

from prsync_dagster.assets import PULL_REQUESTS, SYNC_ASSET_KEYS
from prsync_dagster.batch import batch_run_requests, settle_failed_batch
from prsync_dagster.daily import DAY_TAG, probe_outcome, probe_repositories, sync_run_requests
from prsync_dagster.metrics.assets import PULL_REQUEST_METRICS
from prsync_dagster.partitions import (
    checked_name,
    invalid_partition_keys,
    registered_repositories,
    repositories,
)
from prsync_dagster.resources import WarehouseResource, github_from_env, warehouse_from_env
from prsync_dagster.settings import Settings
from prsync_dagster.tracking import tracked
from prsync_dagster.warehouse.base import SyncState

IN_PROGRESS = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]
MAX_AGE = timedelta(hours=24)

github_sync_job = dg.define_asset_job(
    "github_sync",
    selection=dg.AssetSelection.assets(*SYNC_ASSET_KEYS, PULL_REQUEST_METRICS).without_checks(),
    description="Sync one repository partition: pull requests, reviews and timeline events changed since "
    "its last sync, then that repository's review metrics.",
)


def repositories_syncing(instance: dg.DagsterInstance) -> set[str]:
    """Normalized names of repositories with a run in progress (queued, starting or started)."""
    runs = instance.get_runs(dg.RunsFilter(statuses=IN_PROGRESS))
    names = {checked_name(run.tags.get("dagster/partition") or "") for run in runs}
    return {name for name in names if isinstance(name, str)}


@dg.schedule(
    name="daily_github_sync",
    cron_schedule="0 4 * * *",
    execution_timezone="UTC",
    job=probe_repositories,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="04:00 UTC: one run of probe_repositories, which probes every registered repository "
    "with its stored ETag and records the unchanged ones fresh; the sync_after_probe sensor then starts "
    "one github_sync run per repository that changed, never synced, last failed or could not be probed "
    "(issue 11: idle repositories cost no run; the probe runs outside the tick's 60 s limit).",
)
def daily_github_sync(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    scheduled = context.scheduled_execution_time or datetime.now(UTC)
    day = scheduled.astimezone(UTC).strftime("%Y-%m-%d")
    if not registered_repositories(context.instance):
        return dg.SkipReason("no registered repositories")
    return dg.RunRequest(run_key=f"probe@{day}", tags={DAY_TAG: day, "prsync/trigger": "daily"})


def _sync_after_probe(status: dg.DagsterRunStatus, description: str) -> dg.RunStatusSensorDefinition:
    """The sensor that turns a finished probe run into sync runs (``run_key`` = repository@day):
    on success, one per repository its output names; otherwise (failed run, missing output), one
    per registered repository, as before the probe existed."""
    succeeded = status == dg.DagsterRunStatus.SUCCESS

    @dg.run_status_sensor(
        name="sync_after_probe" if succeeded else "sync_after_probe_failure",
        run_status=status,
        monitored_jobs=[probe_repositories],
        request_job=github_sync_job,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=description,
        # the daily syncs wait for this sensor (Dagster's default is 30 s); an evaluation that
        # finds no finished probe run reads one cursor and returns
        minimum_interval_seconds=10,
    )
    def after_probe(context: dg.RunStatusSensorContext) -> list[dg.RunRequest]:
        run = context.dagster_run
        day = run.tags.get(DAY_TAG) or datetime.now(UTC).strftime("%Y-%m-%d")
        reasons = probe_outcome(context.instance, run.run_id) if succeeded else None
        fallback = "probe output missing" if succeeded else "probe run failed"
        return sync_run_requests(context.instance, fallback if reasons is None else reasons, day)

    return after_probe


sync_after_probe = _sync_after_probe(
    dg.DagsterRunStatus.SUCCESS,
    "After the daily probe run: one github_sync run per repository it named in needs_run.",
)
sync_after_probe_failure = _sync_after_probe(
    dg.DagsterRunStatus.FAILURE,
    "When the daily probe run failed: one github_sync run per registered repository "
    "(a broken probe never means a silent day).",
)


#: How far back the weekly sweep re-reads reviews.
SWEEP_DAYS = 14


@dg.schedule(
    name="weekly_review_sweep",
    cron_schedule="0 5 * * 0",
    execution_timezone="UTC",
    job=github_sync_job,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description=f"Sundays 05:00 UTC: also re-read reviews of PRs updated in the last {SWEEP_DAYS} days. "
    "GitHub does not promise that dismissing a review bumps the PR's updated_at, so an incremental "
    "sync alone could miss a dismissal; this sweep catches it within a week.",
)
def weekly_review_sweep(context: dg.ScheduleEvaluationContext) -> Iterator[dg.RunRequest]:
    scheduled = context.scheduled_execution_time or datetime.now(UTC)
    day = scheduled.astimezone(UTC).strftime("%Y-%m-%d")
    run_config = {"ops": {"sync_github_repository": {"config": {"review_sweep_days": SWEEP_DAYS}}}}
    for name, key in registered_repositories(context.instance).items():
        yield dg.RunRequest(
            run_key=f"sweep:{name}@{day}",
            partition_key=key,
            run_config=run_config,
            tags={"prsync/trigger": "sweep"},
        )


@dg.sensor(
    name="tracked_repositories",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    job=github_sync_job,
    description="Keeps the repositories listed in PRSYNC_REPOS (owner/name or pasted GitHub URLs) "
    "registered (never removes any) and starts the first sync of each repository it adds.",
)
def tracked_repositories(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    # issue 11: owner/* entries are discovered on GitHub (prsync_dagster/tracking.py)
    found = tracked(Settings.from_env(), github_from_env(), context.cursor)
    for problem in found.problems:
        context.log.warning(problem)
    registered = registered_repositories(context.instance)
    new = sorted(set(found.keys) - set(registered))
    gone = [registered[name] for name in found.disappeared if name in registered]
    requests: list[dg.AddDynamicPartitionsRequest | dg.DeleteDynamicPartitionsRequest] = []
    if new:
        context.log.info(f"registering {', '.join(new)}")
        requests.append(repositories.build_add_request(new))
    if gone:
        context.log.warning(
            f"no longer found on GitHub by PRSYNC_REPOS patterns, unregistered (rows kept): {', '.join(gone)}"
        )
        requests.append(repositories.build_delete_request(gone))
    if not requests:
        context.update_cursor(found.cursor)
        return dg.SkipReason("every repository in PRSYNC_REPOS is registered")
    # issue 11: first syncs of many new repositories share runs (ranges of the new, contiguous keys)
    return dg.SensorResult(
        dynamic_partitions_requests=requests,
        run_requests=batch_run_requests(new, "first-sync", {"prsync/trigger": "registered"}),
        cursor=found.cursor,
    )


@dg.run_status_sensor(
    name="requeue_failed_batch_partitions",
    run_status=dg.DagsterRunStatus.FAILURE,
    # every job of this code location: a UI backfill runs as Dagster's implicit asset job
    # (__ASSET_JOB), not as github_sync; runs without a partition range are ignored
    request_job=github_sync_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After a run of several repository partitions failed: records the repositories "
    "that synced in it and re-queues each failed one as a single-partition run, so a failure "
    "shows on its own partition (Dagster cannot fail single partitions of a run, issue 11).",
)
def requeue_failed_batch_partitions(context: dg.RunStatusSensorContext) -> list[dg.RunRequest]:
    run = context.dagster_run
    record = context.instance.get_run_record_by_id(run.run_id)
    started = datetime.fromtimestamp(record.start_time, UTC) if record and record.start_time else None
    return settle_failed_batch(context.instance, run.run_id, dict(run.tags), started, warehouse_from_env())


@dg.asset_check(
    asset=PULL_REQUESTS,
    name="every_repository_synced_within_24h",
    description="Fails when any registered repository's last successful sync is older than 24 h or "
    "never happened. Dagster's freshness policy is judged per asset, not per repository; this is "
    "the per-repository view.",
    blocking=False,
)
def every_repository_synced_within_24h(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> dg.AssetCheckResult:
    names = sorted(registered_repositories(context.instance))
    syncing = repositories_syncing(context.instance)
    with warehouse.open() as store:
        states = {state.repo: state for state in store.list_states()}
    invalid = invalid_partition_keys(context.instance)
    return evaluate_freshness(names, states, datetime.now(UTC), syncing=syncing, invalid=invalid)


def evaluate_freshness(
    keys: list[str],
    states: dict[str, SyncState],
    now: datetime,
    syncing: Collection[str] = (),
    invalid: Mapping[str, str] | None = None,
) -> dg.AssetCheckResult:
    """The check's verdict, separate from Dagster so it is easy to reason about (and to test).

    A repository whose first sync is running (e.g. in the same backfill that runs this check) has
    not fallen behind yet; it is reported as pending, not stale. Registered keys that are no
    repository name (``invalid``: key -> reason) fail the check, each named with its reason: such a
    partition can never sync, and the check must not call it fine (issue 9.3).
    """
    invalid = invalid or {}
    stale = {key: f"invalid key: {reason}" for key, reason in invalid.items()}
    pending: list[str] = []
    for key in keys:
        state = states.get(key)
        last_success = state.last_success_at if state else None
        if last_success is None and key in syncing:
            pending.append(key)
        elif last_success is None:
            stale[key] = "never synced"
        elif now - last_success > MAX_AGE:
            stale[key] = f"last success {format_lag(now - last_success)} ago"
    total = len(keys) + len(invalid)
    description = (
        f"{len(keys) - len(pending)} repositories synced within 24 h"
        if not stale
        else f"{len(stale)} of {total} repositories stale: "
        + "; ".join(f"{key} ({why})" for key, why in stale.items())
    )
    if pending:
        description += f"; first sync in progress: {', '.join(pending)}"
    return dg.AssetCheckResult(
        passed=not stale,
        severity=dg.AssetCheckSeverity.ERROR,
        description=description[:2000],
        metadata={
            "repositories": total,
            "stale": len(stale),
            "stale_repositories": stale,
            "first_sync_in_progress": pending,
        },
    )


def format_lag(lag: timedelta) -> str:
    hours, rest = divmod(int(lag.total_seconds()), 3600)
    if hours >= 48:
        return f"{hours // 24}d {hours % 24}h"
    return f"{hours}h {rest // 60}m"


freshness_check_job = dg.define_asset_job(
    "repository_freshness_check",
    selection=dg.AssetSelection.checks(every_repository_synced_within_24h),
    description="Runs the per-repository freshness check.",
)

#: Hourly, so that a repository that falls behind shows within the hour of passing 24 h.
hourly_freshness_check = dg.ScheduleDefinition(
    name="hourly_freshness_check",
    cron_schedule="0 * * * *",
    execution_timezone="UTC",
    job=freshness_check_job,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
