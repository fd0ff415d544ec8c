"""The daily tick's plan: probe first (:mod:`prsync_dagster.fleet`), run only what needs a run.

Used by the ``daily_github_sync`` schedule (:mod:`prsync_dagster.automation`). For every registered
repository the tick either

- requests one run (``run_key`` = repository + date, as before: changed, never synced, last sync
  not ``ok``, no reusable ETag, or the probe failed), so retries, isolation and the failed
  partition in the UI are exactly those of a run per repository; or
- records that GitHub verified it unchanged (a 304 to the stored ETag): ``sync_state`` moves
  ``last_success_at`` (:meth:`Warehouse.mark_verified`), and each sync asset gets a runless
  ``AssetMaterialization`` on that partition with ``verified_unchanged: true``, the same
  event a run answered by that 304 would have written (``changed: false``, 0 points). Dagster's
  freshness policy and the partition's status in the UI read materializations only
  (``dagster/_core/definitions/freshness_evaluator.py``), so an observation would let an idle
  repository look stale; the event's metadata says it came from the probe, not from a run.

If the probe cannot run at all (no credentials, warehouse unreachable), the tick falls back to one
run per repository, as before: a broken probe must never mean a silent day.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from dagster import AssetMaterialization, DagsterInstance, MetadataValue, RunRequest
from dagster._core.definitions.metadata import RawMetadataValue

from prsync_dagster.assets import SYNC_ASSET_KEYS
from prsync_dagster.fleet import DEFAULT_PROBE_CONCURRENCY, Decision, probe_fleet, summarize
from prsync_dagster.resources import GitHubResource, WarehouseResource
from prsync_dagster.settings import Settings
from prsync_dagster.sync import describe_error


@dataclass
class DailyPlan:
    """What one daily tick decided: runs to request, repositories verified, and why."""

    run_requests: list[RunRequest] = field(default_factory=list)
    verified: list[str] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    #: Set when the probe could not run and every repository got a run.
    fallback_reason: str | None = None

    def describe(self) -> str:
        if self.fallback_reason:
            return f"probe skipped ({self.fallback_reason}); {len(self.run_requests)} runs requested"
        counts = ", ".join(f"{reason}: {n}" for reason, n in sorted(summarize(self.decisions).items()))
        return (
            f"{len(self.run_requests)} runs requested, {len(self.verified)} repositories verified "
            f"unchanged without a run ({counts})"
        )


def plan_daily_sync(
    instance: DagsterInstance,
    registered: dict[str, str],
    day: str,
    github: GitHubResource,
    warehouse: WarehouseResource,
    now: datetime,
    *,
    concurrency: int = DEFAULT_PROBE_CONCURRENCY,
    log: Callable[[str], None] = lambda _message: None,
) -> DailyPlan:
    """Probe ``registered`` (normalized name -> partition key) and plan the day's runs.

    Writes the verifications (warehouse, then asset events) before returning; raises nothing for a
    repository's or the probe's failure (see the module docstring).
    """
    plan = DailyPlan()

    def run_for(name: str, reason: str) -> RunRequest:
        return RunRequest(
            run_key=f"{name}@{day}",
            partition_key=registered[name],
            tags={"prsync/trigger": "daily", "prsync/reason": reason},
        )

    try:
        settings = Settings.from_env()
        factory = github.client_factory(settings)
        strategy = github.sync_strategy(settings)
        with warehouse.open() as store:
            states = {state.repo: state for state in store.list_states()}
            plan.decisions = probe_fleet(list(registered), states, factory, strategy, concurrency=concurrency)
            unchanged = [d for d in plan.decisions if not d.needs_run]
            plan.verified = store.mark_verified(
                [(d.repo, d.etag or "", d.probe_url or "") for d in unchanged], now
            )
    except Exception as exc:
        plan.fallback_reason = describe_error(exc)
        log(f"probe before the daily sync failed, requesting a run per repository: {plan.fallback_reason}")
        plan.run_requests = [run_for(name, "probe unavailable") for name in registered]
        return plan

    verified = set(plan.verified)
    for decision in plan.decisions:
        if decision.repo in verified:
            continue
        # unchanged but not recorded (synced or failed since the probe): a run settles it
        reason = decision.reason if decision.needs_run else "changed since the probe"
        plan.run_requests.append(run_for(decision.repo, reason))
    record_verified(instance, [registered[name] for name in plan.verified], now)
    log(plan.describe())
    return plan


def record_verified(instance: DagsterInstance, partition_keys: Sequence[str], at: datetime) -> None:
    """One runless materialization per asset and partition verified unchanged (see module docstring)."""
    metadata: dict[str, RawMetadataValue] = {
        "verified_unchanged": True,
        "changed": False,
        "not_modified_304": 1,
        "rate_limit_points": 0,
        "verified_at": MetadataValue.text(at.isoformat()),
        "verified_by": MetadataValue.text("daily_github_sync probe (304 to the stored ETag)"),
    }
    for key in partition_keys:
        for asset_key in SYNC_ASSET_KEYS:
            instance.report_runless_asset_event(
                AssetMaterialization(asset_key=asset_key, partition=key, metadata=metadata)
            )
