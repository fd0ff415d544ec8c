"""Issue 9 (engine and asset side): interrupts, unreachable GitHub, GraphQL error answers, storage
errors no retry can fix, and the retry policy's frozen clock.

In-process: the engine and the asset against the simulator over real HTTP, real DuckDB/Postgres.
"""

from __future__ import annotations

import copy
import socket
from typing import Any

import pytest
import requests
from dagster import (
    DagsterEventType,
    DagsterExecutionInterruptedError,
    DagsterInstance,
    ExecuteInProcessResult,
    materialize,
)
from github_api_simulator import GitHubSimulator

from prsync_dagster.assets import PULL_REQUESTS, sync_github_repository
from prsync_dagster.errors import (
    GitHubUnreachableError,
    GraphQLPartialDataError,
    WarehouseError,
    is_permanent,
)
from prsync_dagster.github.client import ClientSettings, GitHubClient, GitHubCredentials
from prsync_dagster.resources import GitHubResource, WarehouseResource
from prsync_dagster.retrying import RetryPolicy, Transient
from prsync_dagster.sync import ClientFactory, SyncOptions, SyncProgress, sync_repository
from prsync_dagster.warehouse import open_warehouse
from prsync_dagster.warehouse.base import Warehouse
from prsync_dagster_tests.fault_helpers import DUCKDB_ONLY, cursor_problems, snapshot
from prsync_dagster_tests.sync_helpers import differences, run_sync

REPO = "acme/widgets"
GITHUB_TIMEOUT = (
    "Something went wrong while executing your query. This may be the result of a timeout, or it "
    "could be a GitHub bug. Please include `E2A1:3B4C:1234` when reporting this issue."
)
SAML = (
    "Resource protected by organization SAML enforcement. You must grant your Personal Access "
    "token access to this organization."
)


def closed_port_url() -> str:
    """A loopback URL nobody listens on (the port was bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def factory(url: str, token: str, **settings: Any) -> ClientFactory:
    options = ClientSettings(api_url=url, backoff_factor=0.01, **settings)
    return lambda owner: GitHubClient(GitHubCredentials(token=token), options, owner)


def materialize_key(
    instance: DagsterInstance, github: GitHubResource, warehouse_url: str, key: str = REPO
) -> ExecuteInProcessResult:
    instance.add_dynamic_partitions("repositories", [key])
    return materialize(
        [sync_github_repository],
        partition_key=key,
        instance=instance,
        resources={"github": github, "warehouse": WarehouseResource(url=warehouse_url)},
        raise_on_error=False,
    )


def step_failure(result: ExecuteInProcessResult) -> str:
    (failure,) = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    data = failure.step_failure_data
    assert data.user_failure_data is not None, data.error
    return str(data.user_failure_data.description)


def retried(result: ExecuteInProcessResult) -> bool:
    return any(e.event_type == DagsterEventType.STEP_UP_FOR_RETRY for e in result.all_events)


# -- 9.2 connection-level failures ----------------------------------------------------------------


@DUCKDB_ONLY
def test_closed_port_fails_fast_with_url_and_cause_in_one_line(warehouse: Warehouse) -> None:
    url = closed_port_url()
    waits: list[float] = []
    with pytest.raises(GitHubUnreachableError) as failure:
        sync_repository(REPO, factory(url, "ghp_x", connect_retry_s=2.0, sleep=waits.append), warehouse)
    message = str(failure.value)
    assert message == (
        f"could not reach GitHub at {url}/repos/{REPO}/pulls: connection refused (retried for 2 s)"
    )
    assert "\n" not in message
    assert waits and sum(waits) <= 2.0, "the retry time for connection failures is bounded"
    state = warehouse.get_state(REPO)
    assert state is not None and (state.status, state.last_error) == ("error", message)


@DUCKDB_ONLY
def test_unknown_host_fails_fast_naming_dns(warehouse: Warehouse) -> None:
    url = "http://prsync-test.invalid"  # .invalid never resolves (RFC 2606)
    waits: list[float] = []
    with pytest.raises(GitHubUnreachableError) as failure:
        sync_repository(REPO, factory(url, "ghp_x", connect_retry_s=0.5, sleep=waits.append), warehouse)
    assert str(failure.value) == (
        f"could not reach GitHub at {url}/repos/{REPO}/pulls: DNS lookup failed (no such host) "
        "(retried for 0.5 s)"
    )
    assert sum(waits) <= 0.5


@DUCKDB_ONLY
def test_tls_failure_is_not_retried(simulator: GitHubSimulator, warehouse: Warehouse) -> None:
    """https to a plain-HTTP port: the TLS handshake fails, which no repeat can fix."""
    url = simulator.url.replace("http://", "https://")
    waits: list[float] = []
    with pytest.raises(GitHubUnreachableError, match=r"^could not reach GitHub at https://.*: TLS failed"):
        sync_repository(REPO, factory(url, "ghp_x", sleep=waits.append), warehouse)
    assert waits == []


@DUCKDB_ONLY
def test_closed_port_fails_the_asset_at_once_with_the_same_reason(
    instance: DagsterInstance, warehouse_url: str
) -> None:
    url = closed_port_url()
    github = GitHubResource(token="ghp_x", api_url=url, connect_retry_s=0.2)
    result = materialize_key(instance, github, warehouse_url)
    assert not result.success
    description = step_failure(result)
    assert description.startswith(f"could not reach GitHub at {url}/repos/{REPO}/pulls: connection refused")
    assert not retried(result), "no step retry: another attempt cannot make a closed port listen"
    with open_warehouse(warehouse_url) as warehouse:
        state = warehouse.get_state(REPO)
    assert state is not None and state.last_error == description


@DUCKDB_ONLY
def test_5xx_answers_keep_their_retries(compact_simulator: GitHubSimulator, warehouse: Warehouse) -> None:
    waits: list[float] = []
    compact_simulator.fail_next("GET */pulls", status=503, times=3)
    report = sync_repository(
        REPO, factory(compact_simulator.url, compact_simulator.token, sleep=waits.append), warehouse
    )
    assert report.retries == 3 and len(waits) == 3
    assert differences(compact_simulator, warehouse, REPO) == []


# -- the retry policy: frozen clock, interrupts -----------------------------------------------------


@DUCKDB_ONLY
def test_rate_limit_reset_is_waited_out_on_the_injected_clock(
    compact_simulator: GitHubSimulator, warehouse: Warehouse
) -> None:
    """No real sleeping: the injected sleep records the wait and refills the budget."""
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        compact_simulator.set_rate_limit("core", remaining=5000)

    compact_simulator.set_rate_limit("core", remaining=3, reset_in=120)
    settings = {"sleep": sleep, "max_rate_limit_wait_s": 300}
    clients = factory(compact_simulator.url, compact_simulator.token, **settings)
    report = sync_repository(REPO, clients, warehouse, SyncOptions(strategy="rest"))
    assert report.retries == 1
    assert len(waits) == 1 and 100 <= waits[0] <= 122, waits
    assert differences(compact_simulator, warehouse, REPO) == []


def test_concurrent_syncs_sharing_a_token_wait_for_the_reset_instead_of_failing(
    compact_simulator: GitHubSimulator, warehouse: Warehouse
) -> None:
    """Issue 11.6: runs share one token's budget (GitHub counts per token, not per run). When it
    runs out under several syncs at once, each of them waits for the same reset (within
    ``max_rate_limit_wait_s``; beyond it the asset reschedules the attempt after the reset, see
    test_faults_dagster) and completes; none fails. Virtual clock: the injected sleep records the
    wait and is where the reset happens."""
    from concurrent.futures import ThreadPoolExecutor

    repos = ["acme/widgets", "acme/gadget-service", "jdoe-dev/sprocket.js"]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        compact_simulator.set_rate_limit("core", remaining=5000)

    compact_simulator.set_rate_limit("core", remaining=4, reset_in=120)  # less than the three syncs need
    shared = factory(compact_simulator.url, compact_simulator.token, sleep=sleep, max_rate_limit_wait_s=300)
    with ThreadPoolExecutor(len(repos)) as pool:
        reports = list(
            pool.map(lambda r: sync_repository(r, shared, warehouse, SyncOptions(strategy="rest")), repos)
        )
    assert all(report.changed for report in reports)
    assert waits and all(0 < wait <= 122 for wait in waits), waits  # the reset, never more
    assert sum(report.retries for report in reports) == len(waits)
    for repo in repos:
        assert differences(compact_simulator, warehouse, repo) == []


def test_an_interrupt_is_never_retried() -> None:
    calls: list[int] = []

    def interrupted() -> None:
        calls.append(1)
        raise KeyboardInterrupt

    policy = RetryPolicy(sleep=lambda _s: pytest.fail("must not wait"))
    with pytest.raises(KeyboardInterrupt):
        policy.call(interrupted)
    assert calls == [1]

    def transient_then_interrupt() -> None:
        calls.append(1)
        if len(calls) < 3:
            raise Transient("server", RuntimeError("5xx"))
        raise DagsterExecutionInterruptedError()

    calls.clear()
    with pytest.raises(DagsterExecutionInterruptedError):
        RetryPolicy(sleep=lambda _s: None).call(transient_then_interrupt)
    assert len(calls) == 3


# -- 9.1 interrupted sync: status, data and cursor --------------------------------------------------


def test_interrupt_mid_sync_leaves_state_interrupted_and_data_consistent(
    compact_simulator: GitHubSimulator, warehouse: Warehouse
) -> None:
    run_sync(compact_simulator, warehouse, REPO, strategy="rest")
    compact_simulator.mutate_repo("Acme/Widgets", seed=5, updated_fraction=1.0, new_prs=10)
    before = snapshot(warehouse, REPO)

    def interrupt_after_first_batch(event: SyncProgress) -> None:
        if event.stage == "stored":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sync_repository(
            REPO,
            factory(compact_simulator.url, compact_simulator.token),
            warehouse,
            SyncOptions(strategy="rest", batch_size=20),
            progress=interrupt_after_first_batch,
        )
    state = warehouse.get_state(REPO)
    assert state is not None and state.status == "interrupted"
    assert state.last_error == (
        "interrupted (KeyboardInterrupt); rows and cursor are as of the last committed batch"
    )
    assert state.cursor == before.state.cursor if before.state else False
    assert len(warehouse.pull_requests(REPO)) >= len(before.pull_requests)  # one batch landed
    assert cursor_problems(compact_simulator, warehouse, REPO) == []
    run_sync(compact_simulator, warehouse, REPO, strategy="rest")
    assert differences(compact_simulator, warehouse, REPO) == []


class InterruptingGitHub(GitHubResource):
    """Stands in for Dagster terminating the run while the step talks to GitHub."""

    def client_factory(self, settings: Any = None) -> ClientFactory:
        def build(owner: str) -> GitHubClient:
            raise DagsterExecutionInterruptedError()

        return build


@DUCKDB_ONLY
def test_terminated_run_is_not_retried_and_says_interrupted(
    instance: DagsterInstance, simulator: GitHubSimulator, warehouse_url: str
) -> None:
    github = InterruptingGitHub(token=simulator.token, api_url=simulator.url)
    result = materialize_key(instance, github, warehouse_url)
    assert not result.success
    assert not retried(result)
    with open_warehouse(warehouse_url) as warehouse:
        state = warehouse.get_state(REPO)
    assert state is not None and state.status == "interrupted"
    assert state.last_error is not None and state.last_error.startswith(
        "interrupted (DagsterExecutionInterruptedError)"
    )


# -- 9.4 GraphQL error answers ----------------------------------------------------------------------


@DUCKDB_ONLY
def test_graphql_timeout_in_a_200_answer_shrinks_the_page(
    simulator: GitHubSimulator, warehouse: Warehouse
) -> None:
    simulator.script_responses(
        "POST /graphql", [{"status": 200, "body": {"data": None, "errors": [{"message": GITHUB_TIMEOUT}]}}]
    )
    queries_before = simulator.stats()["graphql_queries"]
    report = run_sync(simulator, warehouse, REPO, strategy="graphql")
    assert report.retries == 1
    # 120 PRs: a timeout, then pages of 50 (3 queries) and one more-reviews query; unshrunk: 2 pages
    assert simulator.stats()["graphql_queries"] - queries_before >= 4
    assert differences(simulator, warehouse, REPO) == []


def _first_page(sim: GitHubSimulator, first: int = 100) -> dict[str, Any]:
    """A real first page of the product's query, as the simulator answers it."""
    from prsync_dagster.github.graphql import PULL_REQUESTS_QUERY

    variables = {"owner": "Acme", "name": "Widgets", "first": first, "after": None}
    answer: dict[str, Any] = requests.post(
        f"{sim.url}/graphql",
        json={"query": PULL_REQUESTS_QUERY, "variables": variables},
        headers={"Authorization": f"bearer {sim.token}"},
        timeout=30,
    ).json()
    return answer


def _partial_answer(sim: GitHubSimulator) -> dict[str, Any]:
    """A real first page from the simulator with one PR replaced by null and a FORBIDDEN error."""
    partial = copy.deepcopy(_first_page(sim))
    partial["data"]["repository"]["pullRequests"]["nodes"][3] = None
    partial["errors"] = [
        {"type": "FORBIDDEN", "path": ["repository", "pullRequests", "nodes", 3], "message": SAML}
    ]
    return partial


@DUCKDB_ONLY
def test_partial_graphql_data_makes_auto_fetch_over_rest(
    compact_simulator: GitHubSimulator, warehouse: Warehouse
) -> None:
    body = _partial_answer(compact_simulator)
    compact_simulator.script_responses("POST /graphql", [{"status": 200, "body": body}] * 3)
    report = run_sync(compact_simulator, warehouse, REPO, strategy="auto")
    assert report.fetched_with == "rest"
    assert any("FORBIDDEN" in warning and "over REST" in warning for warning in report.warnings)
    assert differences(compact_simulator, warehouse, REPO) == []


@DUCKDB_ONLY
def test_partial_data_on_a_later_page_refetches_over_rest_and_counts_each_pr_once(
    compact_simulator: GitHubSimulator, warehouse: Warehouse
) -> None:
    """The fallback restarts from the same ``since``, rewriting PRs already stored from GraphQL."""
    first, partial = _first_page(compact_simulator, first=21), _partial_answer(compact_simulator)
    compact_simulator.script_responses(
        "POST /graphql", [{"status": 200, "body": first}, {"status": 200, "body": partial}]
    )
    report = run_sync(compact_simulator, warehouse, REPO, strategy="auto", batch_size=10)
    assert report.fetched_with == "rest"
    truth = compact_simulator.truth(REPO)
    assert report.pull_requests == len(truth["pull_requests"]) == 30
    assert report.reviews == len(truth["reviews"])
    assert differences(compact_simulator, warehouse, REPO) == []


@DUCKDB_ONLY
def test_partial_graphql_data_fails_the_graphql_strategy_without_storing_it(
    simulator: GitHubSimulator, warehouse: Warehouse
) -> None:
    body = _partial_answer(simulator)
    simulator.script_responses("POST /graphql", [{"status": 200, "body": body}])
    with pytest.raises(GraphQLPartialDataError, match="partial data and errors \\(FORBIDDEN\\)"):
        run_sync(simulator, warehouse, REPO, strategy="graphql")
    assert warehouse.pull_requests(REPO) == []
    assert is_permanent(GraphQLPartialDataError("x"))


# -- 9.6 storage errors no retry can fix ------------------------------------------------------------


def test_a_value_the_database_refuses_fails_the_asset_at_once(
    instance: DagsterInstance, simulator: GitHubSimulator, warehouse_url: str
) -> None:
    """A PR number beyond the column's INTEGER range: DuckDB ConversionException / Postgres DataError."""
    page = requests.get(
        f"{simulator.url}/repos/Acme/Widgets/pulls",
        params={"state": "all", "sort": "updated", "direction": "desc", "per_page": 100},
        headers={"Authorization": f"token {simulator.token}"},
        timeout=30,
    ).json()
    page[0]["number"] = 3_000_000_000
    simulator.script_responses("GET /repos/*/pulls", [{"status": 200, "body": page}])
    simulator.script_responses("GET /repos/*/pulls/3000000000/reviews", [{"status": 200, "body": []}])
    github = GitHubResource(token=simulator.token, api_url=simulator.url, strategy="rest")
    result = materialize_key(instance, github, warehouse_url)
    assert not result.success
    description = step_failure(result)
    # the first statement that meets the number refuses it (a read of review ETags, or the write)
    assert description.startswith("could not ") and "out of range" in description, description
    assert not retried(result), "no 3 x backoff for a value the database refuses"
    with open_warehouse(warehouse_url) as warehouse:
        state = warehouse.get_state(REPO)
        assert state is not None and (state.status, state.last_error) == ("error", description)
        assert warehouse.pull_requests(REPO) == []


def test_storage_errors_are_classified_through_the_wrapping() -> None:
    import duckdb

    def wrapped(sql: str) -> WarehouseError:
        try:
            try:
                duckdb.connect().execute(sql)
            except duckdb.Error as exc:
                raise WarehouseError("could not write") from exc
        except WarehouseError as error:
            return error
        raise AssertionError("no error")

    assert is_permanent(wrapped("SELECT 3000000000::INTEGER"))  # ConversionException
    assert is_permanent(wrapped("CREATE TABLE t (a INT PRIMARY KEY); INSERT INTO t VALUES (1), (1)"))
    assert not is_permanent(wrapped("SELECT * FROM no_such_table"))  # CatalogException: a bug, retry
    assert not is_permanent(WarehouseError("locked"))


# -- 9.7 no placeholders in metadata ----------------------------------------------------------------


@DUCKDB_ONLY
def test_a_304_only_sync_shows_no_placeholder_figures(
    instance: DagsterInstance, compact_simulator: GitHubSimulator, warehouse_url: str
) -> None:
    github = GitHubResource(token=compact_simulator.token, api_url=compact_simulator.url)
    assert materialize_key(instance, github, warehouse_url).success
    again = materialize_key(instance, github, warehouse_url)
    (event,) = [e for e in again.get_asset_materialization_events() if e.asset_key == PULL_REQUESTS]
    metadata = event.materialization.metadata
    assert metadata["not_modified_304"].value == 1
    assert "rate_limit_remaining_graphql" not in metadata
    assert all(getattr(value, "value", None) != -1 for value in metadata.values())
