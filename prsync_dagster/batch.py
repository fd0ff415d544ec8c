"""First syncs at scale (issue 11): several repository partitions per run, failures still per repository.

Why: every Dagster run is a fresh process that imports Dagster and the project (seconds of CPU)
and writes its own events; registering hundreds of repositories meant as many processes, which
is what limited a first sync of an organisation (``benchmarks/scale.py``). So the asset has a
``BackfillPolicy.multi_run(max_partitions_per_run=BATCH_SIZE)``: a backfill ("Materialize all"),
and the ``tracked_repositories`` sensor when it registers many repositories, run up to
``BATCH_SIZE`` contiguous partitions per run. Such a run syncs its repositories one by one in a
couple of threads (:data:`BATCH_CONCURRENCY`), each with the engine's usual transaction rules;
one repository's error never stops the others.

Dagster cannot mark single partitions of a multi-partition run as failed (dagster-io/dagster
issues 17836 and 18123), so a batch never pretends: when every repository succeeded, the run
materializes its partition range; when any failed, the run fails (without step retries) naming
them, and the ``requeue_failed_batch_partitions`` sensor then, per partition of that range,
records the success of the repositories that did sync (a runless materialization, written after
the run's failure so the partition shows materialized) and re-queues each failed repository as a
single-partition run, which has the usual retry policy and, if it fails again, is the only
partition shown failed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from prsync_dagster.partitions import REPOSITORIES, checked_name
from prsync_dagster.repos import normalize_repo
from prsync_dagster.resources import GitHubResource, WarehouseResource
from prsync_dagster.settings import Settings
from prsync_dagster.sync import SyncOptions, SyncReport, describe_error, sync_repository

#: Partitions per run of a backfill or of a registration of many repositories.
BATCH_SIZE = 25
#: Repositories synced at once inside one batch run (the run holds one ``github_api`` pool slot;
#: GitHub's secondary limits punish concurrency, so few).
BATCH_CONCURRENCY = 2
#: Fewer new repositories than this get one run each (the usual retry and isolation, no batching).
BATCH_MIN = 5
#: Tag on batch runs (for people and the re-queue sensor's logs).
BATCH_TAG = "prsync/batch"


def range_tags(keys: Sequence[str]) -> dict[str, str]:
    """Run tags that make a run of ``github_sync`` materialize the partitions ``keys[0]..keys[-1]``
    (they must be contiguous in the ``repositories`` partition order)."""
    return {ASSET_PARTITION_RANGE_START_TAG: keys[0], ASSET_PARTITION_RANGE_END_TAG: keys[-1], BATCH_TAG: "1"}


def batch_run_requests(keys: Sequence[str], run_key_prefix: str, tags: dict[str, str]) -> list[dg.RunRequest]:
    """Run requests for newly added (hence contiguous, in this order) partitions: ranges of
    :data:`BATCH_SIZE`; a single-partition run each when fewer than :data:`BATCH_MIN` keys."""
    size = BATCH_SIZE if len(keys) >= BATCH_MIN else 1
    chunks = [keys[start : start + size] for start in range(0, len(keys), size)]
    return [
        dg.RunRequest(run_key=f"{run_key_prefix}:{chunk[0]}", partition_key=chunk[0], tags=tags)
        if len(chunk) == 1
        else dg.RunRequest(
            run_key=f"{run_key_prefix}:{chunk[0]}..{chunk[-1]}", tags={**tags, **range_tags(chunk)}
        )
        for chunk in chunks
    ]


def sync_batch(
    context: dg.AssetExecutionContext,
    keys: Sequence[str],
    full_refresh: bool,
    github: GitHubResource,
    warehouse: WarehouseResource,
) -> Iterator[dg.MaterializeResult]:
    """Sync every partition of a ranged run (see the module docstring); raise :class:`Failure`
    naming the failed repositories if any failed, else materialize the range."""
    from prsync_dagster.assets import stored_rows, sync_results

    settings = Settings.from_env()
    options = SyncOptions(strategy=github.sync_strategy(settings), full_refresh=full_refresh)
    factory = github.client_factory(settings)
    reports: dict[str, SyncReport] = {}
    failures: dict[str, str] = {}

    def one(key: str) -> None:
        try:
            reports[key] = sync_repository(normalize_repo(key), factory, store, options, log=context.log.info)
        except Exception as exc:  # recorded in sync_state by the engine; re-queued by the sensor
            failures[key] = describe_error(exc)
            context.log.warning(f"{key}: {failures[key]}")

    with warehouse.open() as store:
        with ThreadPoolExecutor(BATCH_CONCURRENCY, thread_name_prefix="prsync-batch") as pool:
            list(pool.map(one, keys))
        stored = [stored_rows(store, normalize_repo(key)) for key in reports]
    if failures:
        raise dg.Failure(
            description=f"{len(failures)} of {len(keys)} repositories failed (re-queued as single-partition "
            "runs): " + "; ".join(f"{key}: {why}" for key, why in sorted(failures.items()))[:1500],
            allow_retries=False,
        )
    common: dict[str, Any] = {
        "repositories": len(keys),
        "full_refresh": full_refresh,
        "github_requests": sum(r.requests for r in reports.values()),
        "rate_limit_points": sum(r.points for r in reports.values()),
        "per_repository": {
            key: {"changed": r.changed, "pull_requests": r.pull_requests, "points": r.points}
            for key, r in reports.items()
        },
    }
    yield from sync_results([sum(column) for column in zip(*stored, strict=True)], reports.values(), common)


def settle_failed_batch(
    instance: dg.DagsterInstance,
    run_id: str,
    tags: dict[str, str],
    run_started_at: datetime | None,
    warehouse: WarehouseResource,
) -> list[dg.RunRequest]:
    """After a ranged run failed: record each partition that synced in it, re-queue the others.

    A partition synced in the run when its ``sync_state`` is ``ok`` with ``last_success_at`` at or
    after the run's start; anything else (failed, interrupted, never reached) gets a
    single-partition run (``run_key`` = ``requeue:<run id>:<key>``).
    """
    from prsync_dagster.assets import SYNC_ASSET_KEYS

    start, end = tags.get(ASSET_PARTITION_RANGE_START_TAG), tags.get(ASSET_PARTITION_RANGE_END_TAG)
    if not start or not end:
        return []
    keys = list(instance.get_dynamic_partitions(REPOSITORIES))  # the range's keys, in partition order
    keys = keys[keys.index(start) : keys.index(end) + 1] if start in keys and end in keys else []
    with warehouse.open() as store:
        states = {state.repo: state for state in store.list_states()}
    requests = []
    for key in keys:
        name = checked_name(key)
        state = states.get(name) if isinstance(name, str) else None
        synced = (
            state is not None
            and state.status == "ok"
            and state.last_success_at is not None
            and (run_started_at is None or state.last_success_at >= run_started_at)
        )
        if synced:
            metadata = {"synced_in_batch_run": run_id}
            for asset_key in SYNC_ASSET_KEYS:
                instance.report_runless_asset_event(
                    dg.AssetMaterialization(asset_key=asset_key, partition=key, metadata=metadata)
                )
        else:
            requests.append(
                dg.RunRequest(
                    run_key=f"requeue:{run_id}:{key}", partition_key=key, tags={"prsync/trigger": "requeue"}
                )
            )
    return requests
