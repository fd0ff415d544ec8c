"""The review-metrics assets: ``github/pull_request_metrics`` and ``github/review_metrics_weekly``.

``github/pull_request_metrics`` shares the ``repositories`` partitions with the sync assets and
sits downstream of them; the sync job selects it too, so each repository's run syncs and then
recomputes that repository's metrics (issue 10: "a run per repository keeps syncing and metrics
together"). Its materialization metadata carries the last 30 days' headline figures as plain
numbers, which Dagster's Plots view draws over time and across partitions.

``github/review_metrics_weekly`` covers every repository (not partitioned) and is refreshed by the
``daily_review_metrics`` schedule at 06:00 UTC, two hours after ``daily_github_sync`` (04:00 UTC)
starts, and from the UI ("Materialize") at any time.

The SQL lives in :mod:`prsync_dagster.metrics.sql`; these assets only time-stamp, call it, and
report what it wrote.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import dagster as dg

from prsync_dagster.assets import GROUP, PULL_REQUEST_REVIEWS, PULL_REQUEST_TIMELINE, PULL_REQUESTS, iso_text
from prsync_dagster.batch import BATCH_SIZE
from prsync_dagster.metrics.sql import (
    FIGURES,
    recent_figures,
    refresh_pull_request_metrics,
    refresh_weekly_metrics,
    weekly_metrics,
)
from prsync_dagster.partitions import repositories
from prsync_dagster.repos import normalize_repo
from prsync_dagster.resources import WarehouseResource

PULL_REQUEST_METRICS = dg.AssetKey(["github", "pull_request_metrics"])
REVIEW_METRICS_WEEKLY = dg.AssetKey(["github", "review_metrics_weekly"])

#: The window of the headline figures in each partition's metadata, in days (issue 10).
RECENT_DAYS = 30

#: The clock the assets read (tests replace it to freeze time).
clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def figures_markdown(repo: str, figures: dict[str, Any], days: int = RECENT_DAYS) -> str:
    """A short markdown table of the headline figures (shown on the materialization in the UI)."""
    lines = [f"**{repo}**, last {days} days", "", "| figure | value |", "|---|---:|"]
    for key, (label, unit) in FIGURES.items():
        value = figures.get(key)
        if value is None:
            text = "–"
        elif key == "share_merged_without_review":
            text = f"{value:.0%}"
        elif isinstance(value, float):
            text = f"{value:.1f}{' ' + unit if unit else ''}"
        else:
            text = str(value)
        lines.append(f"| {label} | {text} |")
    return "\n".join(lines)


@dg.asset(
    key=PULL_REQUEST_METRICS,
    deps=[PULL_REQUESTS, PULL_REQUEST_REVIEWS, PULL_REQUEST_TIMELINE],
    partitions_def=repositories,
    group_name=GROUP,
    kinds={"sql"},
    metadata={"dagster/table_name": "github.pull_request_metrics"},
    # the same runs as the sync assets it follows (issue 11: several partitions per backfill run)
    backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=BATCH_SIZE),
    description="Per-PR review metrics of each repository (table github.pull_request_metrics): time to "
    "first review, pickup after a review request, time to approval and merge, size, review counts. "
    "Recomputed in the warehouse in the same run as the repository's sync.",
)
def pull_request_metrics(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Replace this repository's metric rows; report the last 30 days' figures as metadata."""
    # several keys: a batch run of several repositories (issue 11, prsync_dagster/batch.py)
    repos = [normalize_repo(key) for key in context.partition_keys]
    now = clock()
    with warehouse.open() as store:
        rows = sum(refresh_pull_request_metrics(store, repo, now) for repo in repos)
        if len(repos) > 1:
            return dg.MaterializeResult(metadata={"dagster/row_count": rows, "repositories": len(repos)})
        repo = repos[0]
        figures = recent_figures(store, repo, now, RECENT_DAYS)
    context.log.info(f"{repo}: {rows} pull requests' review metrics recomputed")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            # a figure without a value is Dagster's null metadata, so the Plots view shows a gap
            **{f"{key}_{RECENT_DAYS}d": figures[key] for key in FIGURES},
            "summary": dg.MetadataValue.md(figures_markdown(repo, figures)),
        }
    )


@dg.asset(
    key=REVIEW_METRICS_WEEKLY,
    deps=[PULL_REQUEST_METRICS],
    group_name=GROUP,
    kinds={"sql"},
    metadata={"dagster/table_name": "github.review_metrics_weekly"},
    description="Weekly review metrics per repository and ISO week (Monday, UTC) across all repositories "
    "(table github.review_metrics_weekly): PRs opened and merged, median and p90 hours to first review, "
    "median hours to merge, median size. Refreshed daily at 06:00 UTC by daily_review_metrics.",
)
def review_metrics_weekly(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Recompute the whole weekly table from ``github.pull_request_metrics``."""
    with warehouse.open() as store:
        rows = refresh_weekly_metrics(store, clock())
        weekly = weekly_metrics(store)
    repos = sorted({row["repo"] for row in weekly})
    latest = max((row["week"] for row in weekly), default=None)
    context.log.info(f"{rows} weekly rows for {len(repos)} repositories")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "repositories": len(repos),
            "latest_week": iso_text(latest),
        }
    )


review_metrics_weekly_job = dg.define_asset_job(
    "review_metrics_weekly",
    selection=dg.AssetSelection.assets(REVIEW_METRICS_WEEKLY),
    description="Recompute github.review_metrics_weekly from every repository's per-PR metrics.",
)


@dg.schedule(
    name="daily_review_metrics",
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    job=review_metrics_weekly_job,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="06:00 UTC, two hours after daily_github_sync: the weekly review metrics of every "
    "repository, from the per-PR metrics each repository's sync run recomputed.",
)
def daily_review_metrics(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    scheduled = context.scheduled_execution_time or datetime.now(UTC)
    day = scheduled.astimezone(UTC).strftime("%Y-%m-%d")
    return dg.RunRequest(run_key=f"review-metrics@{day}", tags={"prsync/trigger": "daily"})
