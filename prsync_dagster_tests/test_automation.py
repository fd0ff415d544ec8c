"""The schedule, the repository-registry sensor and the per-repository freshness check."""

from datetime import UTC, datetime, timedelta

from dagster import (
    Definitions,
    SensorResult,
    SkipReason,
    build_schedule_context,
    build_sensor_context,
)

from prsync_dagster.automation import (
    daily_github_sync,
    evaluate_freshness,
    every_repository_synced_within_24h,
    freshness_check_job,
    tracked_repositories,
    weekly_review_sweep,
)
from prsync_dagster.daily import sync_run_requests
from prsync_dagster.definitions import defs
from prsync_dagster.partitions import repositories
from prsync_dagster.resources import WarehouseResource
from prsync_dagster.warehouse import open_warehouse
from prsync_dagster.warehouse.base import SyncCommit, SyncState

NOW = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)


def test_definitions_expose_the_contract_names() -> None:
    assert defs.resolve_schedule_def("daily_github_sync").cron_schedule == "0 4 * * *"
    assert defs.resolve_schedule_def("daily_github_sync").execution_timezone == "UTC"
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"github/pull_requests", "github/pull_request_reviews", "github/pull_request_timeline"} <= keys
    assert defs.resolve_job_def("github_sync").partitions_def == repositories
    assert repositories.name == "repositories"


def test_daily_schedule_requests_one_probe_run(instance) -> None:
    """The tick stays cheap whatever the number of repositories (issue 11: the daemon gives a
    schedule evaluation 60 s); the probe run it requests decides which repositories sync."""
    instance.add_dynamic_partitions("repositories", ["acme/widgets", "acme/gadgets", "bad name"])
    context = build_schedule_context(
        instance=instance, scheduled_execution_time=NOW, repository_def=defs.get_repository_def()
    )
    (request,) = daily_github_sync.evaluate_tick(context).run_requests or []
    assert request.run_key == "probe@2026-11-28"
    assert request.tags["prsync/day"] == "2026-11-28"
    assert defs.resolve_schedule_def("daily_github_sync").job_name == "probe_repositories"


def test_without_the_probe_every_registered_repository_gets_one_run(instance) -> None:
    """What ``sync_after_probe_failure`` asks for: one run per repository, deterministic run keys
    (Dagster de-duplicates by run_key), invalid keys left out."""
    instance.add_dynamic_partitions("repositories", ["acme/widgets", "acme/gadgets", "bad name"])
    requests = sync_run_requests(instance, "probe run failed", "2026-11-28")
    assert [r.partition_key for r in requests] == ["acme/gadgets", "acme/widgets"]
    assert [r.run_key for r in requests] == ["acme/gadgets@2026-11-28", "acme/widgets@2026-11-28"]
    assert {r.tags["prsync/reason"] for r in requests} == {"probe run failed"}


def test_weekly_sweep_rereads_recent_reviews_of_every_repository(instance) -> None:
    """Every registered repository once, whatever the spelling of its partition key: the run must
    target the key as registered (Dagster refuses an unknown partition key), deduplicated by the
    normalized name like the daily schedule."""
    keys = ["acme/widgets", "Octo-Org/Hello-World", "acme/x", "Acme/X"]
    instance.add_dynamic_partitions("repositories", keys)
    context = build_schedule_context(
        instance=instance, scheduled_execution_time=NOW, repository_def=defs.get_repository_def()
    )
    requests = list(weekly_review_sweep.evaluate_tick(context).run_requests or [])
    assert sorted(r.partition_key for r in requests) == ["Octo-Org/Hello-World", "acme/widgets", "acme/x"]
    assert sorted(r.run_key for r in requests) == [
        "sweep:acme/widgets@2026-11-28",
        "sweep:acme/x@2026-11-28",
        "sweep:octo-org/hello-world@2026-11-28",
    ]
    registered = set(instance.get_dynamic_partitions("repositories"))
    assert {r.partition_key for r in requests} <= registered
    sweep = {"ops": {"sync_github_repository": {"config": {"review_sweep_days": 14}}}}
    assert [request.run_config for request in requests] == [sweep] * 3


def test_keys_in_github_spelling_are_synced_once(instance) -> None:
    """The UI's "Add partition" takes any spelling; the asset lower-cases, so must the schedule."""
    instance.add_dynamic_partitions("repositories", ["Octo-Org/Hello-World", "acme/x", "Acme/X"])
    # the probe names repositories by normalized name; the run targets the key as registered
    reasons = {"octo-org/hello-world": "changed", "acme/x": "never synced", "gone/since-the-probe": "changed"}
    requests = sync_run_requests(instance, reasons, "2026-11-28")
    assert sorted(r.partition_key for r in requests) == ["Octo-Org/Hello-World", "acme/x"]
    assert sorted(r.run_key for r in requests) == ["acme/x@2026-11-28", "octo-org/hello-world@2026-11-28"]


def test_a_first_sync_in_progress_is_pending_not_stale() -> None:
    result = evaluate_freshness(["a/new", "b/old"], {}, NOW, syncing={"a/new"})
    assert not result.passed
    assert result.metadata["stale_repositories"].value == {"b/old": "never synced"}
    assert result.metadata["first_sync_in_progress"].value == ["a/new"]
    assert evaluate_freshness(["a/new"], {}, NOW, syncing={"a/new"}).passed


def test_schedule_with_no_repositories_requests_nothing(instance) -> None:
    context = build_schedule_context(
        instance=instance, scheduled_execution_time=NOW, repository_def=defs.get_repository_def()
    )
    result = daily_github_sync.evaluate_tick(context)
    assert list(result.run_requests or []) == []
    assert result.skip_message == "no registered repositories"


def test_sensor_registers_prsync_repos_and_starts_their_first_sync(instance, monkeypatch) -> None:
    instance.add_dynamic_partitions("repositories", ["acme/widgets"])
    monkeypatch.setenv("PRSYNC_REPOS", "Acme/Widgets, acme/gadgets,,not a repo, octo/Docs")
    result = tracked_repositories(build_sensor_context(instance=instance))
    assert isinstance(result, SensorResult)
    added = [key for request in result.dynamic_partitions_requests for key in request.partition_keys]
    assert added == ["acme/gadgets", "octo/docs"]
    assert [r.partition_key for r in result.run_requests] == ["acme/gadgets", "octo/docs"]
    instance.add_dynamic_partitions("repositories", added)
    # nothing new the second time; and it never deletes
    monkeypatch.setenv("PRSYNC_REPOS", "octo/docs")
    assert isinstance(tracked_repositories(build_sensor_context(instance=instance)), SkipReason)
    assert set(instance.get_dynamic_partitions("repositories")) == {
        "acme/widgets",
        "acme/gadgets",
        "octo/docs",
    }


def _state(repo: str, last_success_at: datetime | None) -> SyncState:
    return SyncState(repo=repo, status="ok" if last_success_at else "error", last_success_at=last_success_at)


def test_freshness_verdict_names_each_stale_repository_and_its_lag() -> None:
    keys = ["a/fresh", "b/stale", "c/never", "d/failed"]
    states = {
        "a/fresh": _state("a/fresh", NOW - timedelta(hours=2)),
        "b/stale": _state("b/stale", NOW - timedelta(hours=30)),
        "d/failed": _state("d/failed", None),
    }
    result = evaluate_freshness(keys, states, NOW)
    assert not result.passed
    assert "b/stale (last success 30h 0m ago)" in (result.description or "")
    assert "c/never (never synced)" in (result.description or "")
    assert "d/failed (never synced)" in (result.description or "")
    assert "a/fresh" not in (result.description or "")
    assert evaluate_freshness(["a/fresh"], states, NOW).passed


def _commit(repo: str, at: datetime) -> SyncCommit:
    return SyncCommit(
        repo=repo, repo_id=1, full_name=repo, cursor=at, etag=None, probe_url=None,
        success_at=at, strategy="auto", report={},
    )  # fmt: skip


def test_freshness_check_runs_through_dagster(instance, duckdb_url) -> None:
    now = datetime.now(UTC)
    with open_warehouse(duckdb_url) as warehouse:
        warehouse.migrate()
        warehouse.write_batch("acme/fresh", [], now, _commit("acme/fresh", now - timedelta(hours=1)))
        warehouse.write_batch("acme/stale", [], now, _commit("acme/stale", now - timedelta(hours=25)))
    instance.add_dynamic_partitions("repositories", ["acme/fresh", "acme/stale", "acme/never"])
    check_defs = Definitions(
        asset_checks=[every_repository_synced_within_24h],
        jobs=[freshness_check_job],
        resources={"warehouse": WarehouseResource(url=duckdb_url)},
    )
    result = check_defs.resolve_job_def("repository_freshness_check").execute_in_process(instance=instance)
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == 1
    evaluation = evaluations[0]
    assert not evaluation.passed
    stale = evaluation.metadata["stale_repositories"].value
    assert set(stale) == {"acme/stale", "acme/never"}
    assert stale["acme/never"] == "never synced"
    assert stale["acme/stale"].startswith("last success 25h")
