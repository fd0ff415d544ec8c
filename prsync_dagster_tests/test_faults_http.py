"""GitHub misbehaving over HTTP: 5xx storms, primary and secondary rate limits (issue 5, points 1-3).

After each fault the warehouse equals the simulator's truth once a sync succeeds, or keeps its
data and cursor when the sync fails; the cursor is never ahead of the stored rows.
"""

from __future__ import annotations

from typing import Any

import pytest
from github_api_simulator import GitHubSimulator

from prsync_dagster.errors import GitHubApiError, RateLimitedError
from prsync_dagster.github.client import ClientSettings, GitHubClient, GitHubCredentials
from prsync_dagster.sync import SyncOptions, SyncReport, sync_repository
from prsync_dagster.warehouse.base import Warehouse
from prsync_dagster_tests.fault_helpers import (
    DUCKDB_ONLY,
    STRATEGIES,
    across_backends,
    cursor_problems,
    snapshot,
)
from prsync_dagster_tests.plugins.clock import VirtualClock
from prsync_dagster_tests.sync_helpers import client_factory, differences, run_sync


def sync(
    sim: GitHubSimulator,
    warehouse: Warehouse,
    repo: str,
    strategy: str,
    batch_size: int = 500,
    **settings: Any,
) -> SyncReport:
    options = SyncOptions(strategy=strategy, batch_size=batch_size)  # type: ignore[arg-type]
    return sync_repository(repo, client_factory(sim, **settings), warehouse, options)


def rate_resource(strategy: str) -> str:
    """The budget the bulk of a strategy's requests spends."""
    return "core" if strategy == "rest" else "graphql"


# -- 1. 502/503 storms ----------------------------------------------------------------------------


@across_backends({"strategy": STRATEGIES})
def test_ten_percent_5xx_sync_completes_correctly_and_counts_retries(
    simulator: GitHubSimulator, warehouse: Warehouse, strategy: str, virtual_clock: VirtualClock
) -> None:
    # The failures are a fixed sequence (one seeded draw per request, and a strategy's requests are
    # deterministic); this seed gives every strategy both 502s and 503s.
    # Two of the three repositories: the one with a 120-review PR (paged reviews) and a plain one;
    # the claim does not depend on the third (REST costs ~3 requests per PR).
    repos = simulator.repos()[:2]
    simulator.set_error_rate(0.1, [502, 503], seed=25)
    reports = [run_sync(simulator, warehouse, repo, strategy=strategy) for repo in repos]
    for repo in repos:
        simulator.mutate_repo(repo, seed=1, updated_fraction=0.2)
        reports.append(run_sync(simulator, warehouse, repo, strategy=strategy))
    for repo in repos:
        assert differences(simulator, warehouse, repo) == []
        assert cursor_problems(simulator, warehouse, repo) == []
        state = warehouse.get_state(repo.lower())
        assert state is not None and state.status == "ok"
    stats = simulator.stats()
    faults = stats["faults_injected"]
    assert set(stats["faults_by_kind"]) == {"502", "503"}, "the world changed: pick another seed"
    # every injected failure was retried, and counted, exactly once
    assert sum(report.retries for report in reports) == faults


@DUCKDB_ONLY
def test_5xx_beyond_the_retry_budget_fails_cleanly(
    simulator: GitHubSimulator, warehouse: Warehouse, virtual_clock: VirtualClock
) -> None:
    repo = simulator.repos()[0]
    run_sync(simulator, warehouse, repo, strategy="rest")
    simulator.mutate_repo(repo, seed=2, updated_fraction=0.3)
    before = snapshot(warehouse, repo)
    simulator.fail_next("GET */reviews", status=503, times=50)
    with pytest.raises(Exception, match=r"GitHub kept failing for .* after retries \(last status 503\)"):
        sync(simulator, warehouse, repo, "rest", max_retries=2)
    assert snapshot(warehouse, repo).data_and_cursor() == before.data_and_cursor()
    simulator.clear_faults()
    run_sync(simulator, warehouse, repo, strategy="rest")
    assert differences(simulator, warehouse, repo) == []


# -- 2. primary rate limit ------------------------------------------------------------------------

PRIMARY = [
    pytest.param("rest", 403, id="rest-403"),
    pytest.param("rest", 429, id="rest-429"),
    pytest.param("graphql", None, id="graphql-RATE_LIMITED"),
    pytest.param("auto", None, id="auto-RATE_LIMITED"),
]


@across_backends({"strategy,status": PRIMARY})
def test_primary_limit_within_the_cap_is_waited_out(
    simulator: GitHubSimulator,
    warehouse: Warehouse,
    strategy: str,
    status: int | None,
    virtual_clock: VirtualClock,
) -> None:
    repo = simulator.repos()[0]
    # A few requests into the sync, the budget runs out until a minute from now. On the virtual
    # clock a minute's wait costs nothing, and it is long enough that a slow machine still meets
    # the limit before the window ends on its own.
    simulator.set_rate_limit(rate_resource(strategy), remaining=2, reset_in=60, exhausted_status=status)
    report = sync(simulator, warehouse, repo, strategy, max_rate_limit_wait_s=120)
    assert 30 <= virtual_clock.slept <= 120, "it waited for the reset, within the cap"
    assert report.retries >= 1
    assert differences(simulator, warehouse, repo) == []
    assert cursor_problems(simulator, warehouse, repo) == []


@across_backends({"strategy,status": PRIMARY})
def test_primary_limit_beyond_the_cap_fails_cleanly_then_the_next_attempt_completes(
    simulator: GitHubSimulator, warehouse: Warehouse, strategy: str, status: int | None
) -> None:
    repo = simulator.repos()[0]
    run_sync(simulator, warehouse, repo, strategy=strategy)
    simulator.mutate_repo(repo, seed=3, updated_fraction=1.0, new_prs=10)
    before = snapshot(warehouse, repo)
    resource = rate_resource(strategy)
    # 130 changed PRs. REST: 60 are written (3 whole batches of 20) before the budget runs out;
    # GraphQL: the first page (100 PRs, 5 batches) is written and the second query is refused
    simulator.set_rate_limit(
        resource, remaining=65 if resource == "core" else 1, reset_in=60, exhausted_status=status
    )
    with pytest.raises(RateLimitedError, match="rate limit exhausted") as failure:
        sync(simulator, warehouse, repo, strategy, batch_size=20, max_rate_limit_wait_s=2)
    assert 50 <= failure.value.seconds_to_wait <= 62
    after = snapshot(warehouse, repo)
    assert after.state is not None and before.state is not None
    assert after.state.status == "error" and "rate limit" in (after.state.last_error or "")
    assert after.data_and_cursor()[2] == before.data_and_cursor()[2], "cursor, ETag and success time kept"
    # only whole committed batches: every changed row is GitHub's current version, in batches of 20
    old = {pr.number: pr for pr in before.pull_requests}
    truth = {pr["number"]: pr for pr in simulator.truth(repo)["pull_requests"]}
    changed = [pr for pr in after.pull_requests if old.get(pr.number) != pr]
    assert len(changed) % 20 == 0
    assert all(pr.updated_at == truth[pr.number]["updated_at"] for pr in changed)
    assert cursor_problems(simulator, warehouse, repo) == []

    simulator.set_rate_limit(resource, remaining=5000, reset_in=3600)
    sync(simulator, warehouse, repo, strategy, batch_size=20, max_rate_limit_wait_s=2)
    assert differences(simulator, warehouse, repo) == []
    assert cursor_problems(simulator, warehouse, repo) == []


def test_graphql_rate_limited_answer_is_waited_out_by_the_client(
    simulator: GitHubSimulator, virtual_clock: VirtualClock
) -> None:
    """GitHub says RATE_LIMITED with HTTP 200, which no HTTP retry sees; the client waits for it."""
    client = GitHubClient(
        GitHubCredentials(token=simulator.token),
        ClientSettings(api_url=simulator.url, backoff_factor=0.05, max_rate_limit_wait_s=120),
        "Acme",
    )
    simulator.set_rate_limit("graphql", remaining=0, reset_in=60)
    data = client.graphql("query { viewer { login } rateLimit { cost remaining } }", {})
    assert data["viewer"]["login"] == "prsync-sim"
    assert 30 <= virtual_clock.slept <= 120, "it waited for the reset, within the cap"
    assert client.stats.retries == 1 and client.stats.requests == 2
    simulator.set_rate_limit("graphql", remaining=0, reset_in=600)
    with pytest.raises(
        RateLimitedError, match=r"GitHub GraphQL rate limit exhausted .*; reset in"
    ) as failure:
        client.graphql("query { viewer { login } }", {})
    assert 500 <= failure.value.seconds_to_wait <= 602
    client.close()


# -- 3. secondary rate limit ----------------------------------------------------------------------


@across_backends({"strategy": STRATEGIES})
def test_secondary_limit_with_retry_after_is_honoured(
    simulator: GitHubSimulator, warehouse: Warehouse, strategy: str, virtual_clock: VirtualClock
) -> None:
    repo = simulator.repos()[1]
    simulator.inject_secondary_rate_limit(match="*", retry_after=1, times=2)
    report = sync(simulator, warehouse, repo, strategy, max_rate_limit_wait_s=10)
    assert virtual_clock.slept >= 2.0, "waited Retry-After twice"
    assert report.retries == 2
    assert differences(simulator, warehouse, repo) == []


@pytest.mark.parametrize("status", [403, 429])
def test_secondary_limit_without_retry_after_waits_the_minimum_then_doubles(
    simulator: GitHubSimulator, status: int, virtual_clock: VirtualClock
) -> None:
    client = GitHubClient(
        GitHubCredentials(token=simulator.token),
        ClientSettings(
            api_url=simulator.url, backoff_factor=0.01, secondary_rate_wait_s=0.25, max_rate_limit_wait_s=5
        ),
        "Acme",
    )
    simulator.inject_secondary_rate_limit(match="GET /repos/*", retry_after=None, times=3, status=status)
    assert client.get("/repos/Acme/Widgets").status == 200
    assert client.stats.retries == 3 and client.stats.requests == 4
    pauses = virtual_clock.sleeps  # the client's pauses before each new attempt
    assert len(pauses) == 3
    for pause, minimum in zip(pauses, (0.25, 0.5, 1.0), strict=True):
        assert minimum <= pause < minimum + 1.0  # urllib3 adds up to 0.5 s of jitter
    client.close()


@DUCKDB_ONLY
def test_secondary_limit_beyond_the_cap_fails_cleanly(
    simulator: GitHubSimulator, warehouse: Warehouse, virtual_clock: VirtualClock
) -> None:
    repo = simulator.repos()[2]
    run_sync(simulator, warehouse, repo, strategy="rest")
    simulator.mutate_repo(repo, seed=4, updated_fraction=0.3)
    before = snapshot(warehouse, repo)
    # waits of 1 s and 2 s fit the 3 s cap; the third would be 4 s
    simulator.inject_secondary_rate_limit(match="GET */reviews", retry_after=None, times=3)
    with pytest.raises(RateLimitedError, match="secondary rate limit") as failure:
        sync(simulator, warehouse, repo, "rest", secondary_rate_wait_s=1, max_rate_limit_wait_s=3)
    assert failure.value.seconds_to_wait == 4
    assert snapshot(warehouse, repo).data_and_cursor() == before.data_and_cursor()
    simulator.inject_secondary_rate_limit(match="GET */reviews", retry_after=120, times=1)
    with pytest.raises(RateLimitedError) as failure:
        sync(simulator, warehouse, repo, "rest", max_rate_limit_wait_s=3)
    assert failure.value.seconds_to_wait == 120
    assert snapshot(warehouse, repo).data_and_cursor() == before.data_and_cursor()
    sync(simulator, warehouse, repo, "rest")
    assert differences(simulator, warehouse, repo) == []


@DUCKDB_ONLY
def test_forbidden_that_is_not_a_rate_limit_fails_at_once(
    simulator: GitHubSimulator, warehouse: Warehouse
) -> None:
    """A 403 without rate-limit signs (e.g. an App without the permission) is not retried."""
    repo = simulator.repos()[0]
    body = {
        "message": "Resource not accessible by integration",
        "documentation_url": "https://docs.github.com",
    }
    simulator.script_responses("GET */pulls", [{"status": 403, "body": body}])
    with pytest.raises(
        GitHubApiError, match="GitHub answered 403 for .*: Resource not accessible by integration"
    ):
        run_sync(simulator, warehouse, repo)
    assert simulator.stats()["total_requests"] == 1
    state = warehouse.get_state(repo.lower())
    assert state is not None and state.status == "error" and state.cursor is None
