"""The daily sync's first step: one run probes every repository, sync runs only for what needs one.

Why a run and not the schedule itself (issue 11): the daemon evaluates a schedule over gRPC with a
60 s timeout (``DAGSTER_SCHEDULE_GRPC_TIMEOUT_SECONDS``); probing and recording 1,000 repositories
took minutes, so an in-tick probe would launch nothing at organisation size. So the 04:00 tick of
``daily_github_sync`` only requests one run of the ``probe_repositories`` job (cheap to evaluate),
and that run, in its own process, for every registered repository either

- records that GitHub verified it unchanged (a ``304`` to the stored ETag,
  :mod:`prsync_dagster.fleet`): ``sync_state.last_success_at`` moves
  (:meth:`~prsync_dagster.warehouse.base.Warehouse.mark_verified`) and each sync asset gets a
  materialization on that partition with ``verified_unchanged: true`` and 0 points, the event a
  sync run answered by the same 304 would have written. Dagster's freshness policy and the UI's
  partition status read materializations only
  (``dagster/_core/definitions/freshness_evaluator.py``), so an observation would let an idle
  repository look stale; or
- names it, with the reason, in the run's output metadata ``needs_run`` (changed, never synced,
  last sync not ``ok``, no reusable ETag, probe failed).

The ``sync_after_probe`` sensor (:mod:`prsync_dagster.automation`) then requests one
``github_sync`` run per named repository (``run_key`` = repository + day, as before the probe
existed), so retries, isolation and the failed partition in the UI are those of a run per
repository; when the probe run fails, ``sync_after_probe_failure`` requests a run for every
repository: a broken probe never means a silent day.
"""

import time
from collections import Counter
from datetime import UTC, datetime
from itertools import pairwise

import dagster as dg
from dagster._core.definitions.metadata import RawMetadataValue
from pydantic import Field

from prsync_dagster.assets import SYNC_ASSET_KEYS
from prsync_dagster.fleet import DEFAULT_PROBE_CONCURRENCY, probe_fleet
from prsync_dagster.partitions import registered_repositories
from prsync_dagster.resources import GitHubResource, WarehouseResource
from prsync_dagster.settings import Settings

PROBE_JOB_NAME = "probe_repositories"
#: Tag on the probe run: the UTC day (``YYYY-MM-DD``) its sync runs belong to (their run keys).
DAY_TAG = "prsync/day"
#: Output metadata of the probe: normalized ``owner/name`` -> why it needs a sync run.
NEEDS_RUN = "needs_run"


class ProbeConfig(dg.Config):
    """Run config of the probe (``ops: probe_registered_repositories: config: ...``)."""

    concurrency: int = Field(
        default=DEFAULT_PROBE_CONCURRENCY,
        ge=1,
        le=64,
        description="Probes in flight at once (GitHub allows at most 100 concurrent requests).",
    )


@dg.op(
    name="probe_registered_repositories",
    description="Probe every registered repository with its stored ETag (free 304s when unchanged); "
    "record the unchanged ones as verified materializations; name the others in `needs_run`.",
)
def probe_registered_repositories(
    context: dg.OpExecutionContext, config: ProbeConfig, github: GitHubResource, warehouse: WarehouseResource
) -> dg.Output[dict[str, str]]:
    """Output: normalized name -> reason, for every repository that needs a sync run today.

    Raises (failing the run, hence a run for every repository) when the probe cannot run at all:
    no credentials, warehouse unreachable. One repository's probe error is that repository's
    ``probe failed`` reason, never the run's failure.
    """
    registered = registered_repositories(context.instance)
    settings = Settings.from_env()
    seconds = [time.monotonic()]  # where the time goes: probes, warehouse, asset events
    with warehouse.open() as store:
        states = {state.repo: state for state in store.list_states()}
        decisions, requests, points = probe_fleet(
            registered, states, github.client_factory(settings), github.sync_strategy(settings),
            concurrency=config.concurrency,
        )  # fmt: skip
        at = datetime.now(UTC)
        seconds.append(time.monotonic())
        verified = store.mark_verified(
            [(d.repo, d.etag or "", d.probe_url or "") for d in decisions if not d.needs_run], at
        )
    seconds.append(time.monotonic())
    metadata: dict[str, RawMetadataValue] = {
        "verified_unchanged": True, "changed": False, "not_modified_304": 1, "rate_limit_points": 0,
        "verified_at": at.isoformat(),
    }  # fmt: skip
    for name in verified:
        for asset_key in SYNC_ASSET_KEYS:
            context.log_event(
                dg.AssetMaterialization(asset_key, partition=registered[name], metadata=metadata)
            )
    seconds.append(time.monotonic())
    done = set(verified)
    # unchanged but not recorded: synced or failed since the probe read its state; a run settles it
    needs_run = {
        d.repo: (f"{d.reason}: {d.detail}"[:200] if d.detail else d.reason)
        if d.needs_run
        else "changed since the probe"
        for d in decisions
        if d.repo not in done
    }
    counts: dict[str, int] = dict(Counter(d.reason for d in decisions))
    context.log.info(
        f"{len(needs_run)} repositories need a sync run, {len(done)} verified unchanged: {counts}"
    )
    timings = [round(b - a, 2) for a, b in pairwise(seconds)]
    return dg.Output(
        needs_run,
        metadata={
            NEEDS_RUN: needs_run,
            "repositories": len(decisions),
            "verified_unchanged": len(done),
            "reasons": counts,
            "github_requests": requests,
            "rate_limit_points": points,
            "seconds": dict(zip(("probe", "warehouse", "events"), timings, strict=True)),
        },
    )


@dg.job(
    name=PROBE_JOB_NAME,
    description="The daily sync's first step (04:00 UTC): probe every registered repository; "
    "the sync_after_probe sensor then starts one github_sync run per repository that needs one.",
)
def probe_repositories() -> None:
    probe_registered_repositories()


def probe_outcome(instance: dg.DagsterInstance, run_id: str) -> dict[str, str] | None:
    """The ``needs_run`` output of a probe run, or ``None`` when it has none (treat as failed)."""
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_OUTPUT).records
    for record in records:
        event = record.event_log_entry.dagster_event
        value = event.step_output_data.metadata.get(NEEDS_RUN) if event is not None else None
        if value is not None and isinstance(value.value, dict):
            return {str(name): str(reason) for name, reason in value.value.items()}
    return None


def sync_run_requests(
    instance: dg.DagsterInstance, reasons: dict[str, str] | str, day: str
) -> list[dg.RunRequest]:
    """One ``github_sync`` run request per registered repository named in ``reasons`` (normalized
    name -> reason), or per registered repository when ``reasons`` is one reason for all."""
    registered = registered_repositories(instance)
    wanted = {name: reasons for name in registered} if isinstance(reasons, str) else reasons
    return [
        dg.RunRequest(
            run_key=f"{name}@{day}",
            partition_key=registered[name],
            tags={"prsync/trigger": "daily", "prsync/reason": reason},
        )
        for name, reason in sorted(wanted.items())
        if name in registered  # unregistered since the probe: nothing to run
    ]
