"""The ``github/pull_requests``, ``github/pull_request_reviews`` and ``github/pull_request_timeline``
assets, one run per repository.

All three come from one sync of a repository partition, so they are one multi-asset: a run
materializes all or none. The asset is thin: it reads config and resources, calls the sync
engine, and reports the engine's figures as materialization metadata.
"""

import warnings
from collections.abc import Collection, Iterator, Sequence
from datetime import date, timedelta
from typing import Any

import dagster as dg
from pydantic import Field

from prsync_dagster.batch import BATCH_SIZE, sync_batch
from prsync_dagster.errors import RateLimitedError, is_permanent
from prsync_dagster.observability import report_sync_error
from prsync_dagster.partitions import repositories
from prsync_dagster.repos import normalize_repo
from prsync_dagster.resources import GitHubResource, WarehouseResource
from prsync_dagster.settings import Settings
from prsync_dagster.sync import SyncOptions, SyncReport, describe_error, sync_repository
from prsync_dagster.warehouse.base import Warehouse

PULL_REQUESTS = dg.AssetKey(["github", "pull_requests"])
PULL_REQUEST_REVIEWS = dg.AssetKey(["github", "pull_request_reviews"])
PULL_REQUEST_TIMELINE = dg.AssetKey(["github", "pull_request_timeline"])
#: The assets one sync materializes (a runless event for a partition covers all of them).
SYNC_ASSET_KEYS = (PULL_REQUESTS, PULL_REQUEST_REVIEWS, PULL_REQUEST_TIMELINE)
GROUP = "github"
#: GitHub's secondary limits punish concurrency: steps that call GitHub share this pool.
GITHUB_POOL = "github_api"

#: No repository's data may be older than a day.
FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=24), warn_window=timedelta(hours=12))

#: Shown in the UI. The warehouse backend (DuckDB or Postgres) is a run-time setting, so it is not
#: a kind: kinds are fixed when the code location loads (the run's metadata names the backend).
KINDS = {"github", "sql"}


class SyncConfig(dg.Config):
    """Run config of a sync (the same for every partition of a run)."""

    full_refresh: bool = Field(
        default=False, description="Ignore the cursor and refetch every pull request of the repository."
    )
    review_sweep_days: int = Field(
        default=0,
        ge=0,
        description="Also refetch reviews of PRs updated in the last N days (catches dismissals "
        "that did not bump the PR's updated_at). 0 = off.",
    )


def _spec(key: dg.AssetKey, description: str, **kwargs: Any) -> dg.AssetSpec:
    """A sync asset: its table is ``github.<last part of the key>``, its freshness :data:`FRESHNESS`."""
    metadata = {"dagster/table_name": f"github.{key.path[-1]}"}
    return dg.AssetSpec(
        key, description=description, kinds=KINDS, freshness_policy=FRESHNESS, metadata=metadata, **kwargs
    )


# Dagster 1.13 marks an asset's backfill_policy as beta and warns once per process; the batching
# of issue 11 needs it, and the warning would otherwise precede every `prsync` command's output.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)


@dg.multi_asset(
    name="sync_github_repository",
    specs=[
        _spec(
            PULL_REQUESTS,
            "Pull requests of each tracked repository (table github.pull_requests), "
            "kept current incrementally.",
        ),
        _spec(
            PULL_REQUEST_REVIEWS,
            "Reviews of those pull requests (table github.pull_request_reviews); a changed PR's reviews "
            "are replaced, so dismissals and deletions are captured.",
            deps=[PULL_REQUESTS],
        ),
        _spec(
            PULL_REQUEST_TIMELINE,
            "Review-request and draft timeline events of those pull requests (table "
            "github.pull_request_timeline: review_requested, review_request_removed, ready_for_review, "
            "convert_to_draft); a changed PR's events are replaced.",
            deps=[PULL_REQUESTS],
        ),
    ],
    group_name=GROUP,
    partitions_def=repositories,
    can_subset=False,
    retry_policy=dg.RetryPolicy(
        max_retries=3, delay=30, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
    ),
    pool=GITHUB_POOL,
    # issue 11: a backfill runs up to BATCH_SIZE partitions per run (see prsync_dagster/batch.py)
    backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=BATCH_SIZE),
)
def sync_github_repository(
    context: dg.AssetExecutionContext,
    config: SyncConfig,
    github: GitHubResource,
    warehouse: WarehouseResource,
) -> Iterator[dg.MaterializeResult]:
    """Fetch what changed on GitHub since this repository's last successful sync and upsert it.

    Failures carry the engine's one-line reason (the same text as ``sync_state.last_error`` and
    the CLI): errors no retry can fix (:func:`prsync_dagster.errors.is_permanent`) fail at once,
    others are retried by the ``RetryPolicy``; a rate limit beyond the wait cap reschedules the
    attempt after the reset; interrupts (run termination) are never retried. A run of several
    partitions (a backfill, a registration of many repositories) syncs each of them, see
    :func:`prsync_dagster.batch.sync_batch`.
    """
    if context.has_partition_key_range and len(context.partition_keys) > 1:
        yield from sync_batch(context, context.partition_keys, config.full_refresh, github, warehouse)
        return
    try:
        repo = normalize_repo(context.partition_key)
        settings = Settings.from_env()
        options = SyncOptions(
            strategy=github.sync_strategy(settings),
            full_refresh=config.full_refresh,
            review_sweep_days=config.review_sweep_days,
        )
        client_factory = github.client_factory(settings)
        with warehouse.open() as store:
            report = sync_repository(repo, client_factory, store, options, log=context.log.info)
            rows = stored_rows(store, repo)
    except RateLimitedError as exc:
        context.log.warning(f"{exc}; the attempt is rescheduled after the reset")
        raise dg.RetryRequested(max_retries=3, seconds_to_wait=exc.seconds_to_wait) from None
    except (dg.DagsterExecutionInterruptedError, KeyboardInterrupt) as exc:
        # Dagster turns an interrupt into a retry when the op has a RetryPolicy (its
        # op_execution_error_boundary); a run someone stopped must stop (issue 9.1).
        raise dg.Failure(description=describe_error(exc), allow_retries=False) from None
    except Exception as exc:
        report_sync_error(exc, repo=context.partition_key, run_id=context.run.run_id)
        raise dg.Failure(description=describe_error(exc), allow_retries=not is_permanent(exc)) from exc
    for warning in report.warnings:
        context.log.warning(warning)
    yield from sync_results(rows, [report], report_metadata(report))


def stored_rows(store: Warehouse, repo: str) -> tuple[int, int, int]:
    """Rows stored for ``repo``: pull requests, reviews, timeline events (the sync assets' order)."""
    return (*store.counts(repo), store.timeline_count(repo))


def sync_results(
    rows: Sequence[int], reports: Collection[SyncReport], common: dict[str, Any]
) -> Iterator[dg.MaterializeResult]:
    """One materialization per sync asset: rows now stored (:func:`stored_rows`) and rows the
    ``reports`` upserted (``pull_requests_upserted`` ...), with the sync's ``common`` figures."""
    for asset_key, kind, count in zip(
        SYNC_ASSET_KEYS, ("pull_requests", "reviews", "timeline_events"), rows, strict=True
    ):
        upserted = sum(getattr(report, kind) for report in reports)
        yield dg.MaterializeResult(
            asset_key=asset_key, metadata={"dagster/row_count": count, f"{kind}_upserted": upserted, **common}
        )


def report_metadata(report: SyncReport) -> dict[str, Any]:
    """The figures of a sync as they appear on every materialization in the UI.

    ``rate_limit_remaining_core`` / ``_graphql`` appear only when GitHub reported them during this
    sync (a sync answered by a 304 alone never touches the GraphQL budget): no placeholder values
    (issue 9.7).
    """
    remaining = {
        f"rate_limit_remaining_{resource}": value
        for resource, value in sorted(report.rate_limit_remaining.items())
        if resource in ("core", "graphql")
    }
    return {
        "strategy": report.strategy,
        "fetched_with": report.fetched_with,
        "changed": report.changed,
        "full_refresh": report.full_refresh,
        "github_requests": report.requests,
        "not_modified_304": report.not_modified,
        "retries": report.retries,
        "rate_limit_points": report.points,
        "rest_points": report.rest_points,
        "graphql_points": report.graphql_points,
        "cursor_before": iso_text(report.cursor_before),
        "cursor_after": iso_text(report.cursor_after),
        "github_full_name": report.full_name,
        "duration_s": report.seconds,
        # why a repository with a cursor was refetched in full (migration 0002), or "none"
        "refetch_reason": dg.MetadataValue.text(report.refetch_reason or "none"),
        **remaining,
    }


def iso_text(value: date | None) -> dg.MetadataValue:
    """A date or datetime as ISO text metadata, ``none`` when there is none."""
    return dg.MetadataValue.text(value.isoformat() if value else "none")
