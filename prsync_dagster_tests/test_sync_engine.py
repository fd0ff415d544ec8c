"""The incremental sync core, through PyGithub over HTTP against the simulator, on both backends.

Every test here runs for each fetch strategy (``auto``: REST probe then GraphQL; ``graphql``;
``rest``), because all three must fill the same tables identically and correctly. What the
warehouse does with the rows (upsert, the cursor's transaction, full refresh) runs on both backends
for every strategy; claims about GitHub's side alone (request and point counts, paging, errors
before anything is stored) run each strategy once, the backends alternating (``across_backends``).
"""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from github_api_simulator import GitHubSimulator

from prsync_dagster.errors import GitHubAuthError, RepositoryNotFound
from prsync_dagster.github.graphql import PAGE_SIZES
from prsync_dagster.warehouse.base import Warehouse
from prsync_dagster_tests.fault_helpers import DUCKDB_ONLY, STRATEGIES, across_backends
from prsync_dagster_tests.sync_helpers import differences, run_sync


@pytest.fixture(params=STRATEGIES)
def strategy(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def some_pr(sim: GitHubSimulator, repo: str) -> int:
    """A pull request number of ``repo`` (plain issues share the number sequence)."""
    return int(sorted(pr["number"] for pr in sim.truth(repo)["pull_requests"])[3])


def sync_all(sim: GitHubSimulator, warehouse: Warehouse, strategy: str, **options: object) -> list:
    return [run_sync(sim, warehouse, repo, strategy=strategy, **options) for repo in sim.repos()]


def test_first_sync_equals_truth(
    shared_simulator: GitHubSimulator, warehouse: Warehouse, strategy: str
) -> None:
    reports = sync_all(shared_simulator, warehouse, strategy)
    for repo, report in zip(shared_simulator.repos(), reports, strict=True):
        assert differences(shared_simulator, warehouse, repo) == []
        truth = shared_simulator.truth(repo)
        assert report.pull_requests == len(truth["pull_requests"]) == 120
        assert report.reviews == len(truth["reviews"])
        state = warehouse.get_state(repo.lower())
        assert state is not None and state.status == "ok"
        # the cursor is the newest stored updated_at, never the wall clock
        assert state.cursor == max(pr["updated_at"] for pr in truth["pull_requests"])
        assert state.repo_id == truth["repo_id"]
        assert state.full_name == repo


@across_backends({"strategy": STRATEGIES})
def test_first_sync_cost(shared_simulator: GitHubSimulator, warehouse: Warehouse, strategy: str) -> None:
    """GraphQL: one 1-point query per 21 PRs (+ probe, + overflowing connections); REST: the list
    pages, then per PR its full object, its review pages and its timeline pages."""
    for repo in shared_simulator.repos():
        truth = shared_simulator.truth(repo)
        prs = truth["pull_requests"]
        reviews_of = {
            pr["number"]: sum(1 for r in truth["reviews"] if r["pr_number"] == pr["number"]) for pr in prs
        }
        shared_simulator.reset_stats()
        report = run_sync(shared_simulator, warehouse, repo, strategy=strategy)
        if strategy == "rest":
            pages = math.ceil(len(prs) / 100)
            review_pages = sum(max(1, math.ceil(count / 100)) for count in reviews_of.values())
            by_route = shared_simulator.stats()["by_route"]
            timeline_pages = sum(count for route, count in by_route.items() if route.endswith("/timeline"))
            assert timeline_pages >= len(prs)  # at least one timeline request per PR
            assert report.requests == pages + review_pages + len(prs) + timeline_pages
            assert report.points == report.requests
        else:
            pages = math.ceil(len(prs) / PAGE_SIZES[0])
            events_of = {
                pr["number"]: sum(1 for e in truth["timeline"] if e["pr_number"] == pr["number"])
                for pr in prs
            }
            overflow = sum(
                max(0, math.ceil(count / 100) - 1) for count in [*reviews_of.values(), *events_of.values()]
            ) + sum(
                max(0, math.ceil(len(pr[name]) / 100) - 1) for pr in prs for name in ("labels",)
            )  # fmt: skip
            assert report.requests == 1 + pages + overflow  # the probe, then GraphQL
            # GitHub's formula: 1 + 7 x 21 = 148 requests -> 1 point a page; follow-ups 1 point
            assert report.points == report.requests


def mutate_everything(sim: GitHubSimulator, repo: str) -> set[int]:
    """Updated, new, closed and merged PRs; new reviews; a dismissed review. Returns touched PRs."""
    truth = sim.truth(repo)
    old = sorted(truth["pull_requests"], key=lambda pr: pr["updated_at"])
    open_prs = [pr["number"] for pr in old if pr["state"] == "open" and not pr["draft"]]
    touched = {old[0]["number"], old[5]["number"], open_prs[0], open_prs[1], open_prs[2]}
    sim.update_pull(repo, old[0]["number"], title="Retitled after a long time")
    sim.update_pull(repo, old[5]["number"], body="new description")
    sim.close_pull(repo, open_prs[0])
    sim.merge_pull(repo, open_prs[1])
    sim.add_review(repo, open_prs[2], state="CHANGES_REQUESTED", author="carol")
    new = sim.open_pull(repo, title="Brand new", author="dave")
    touched.add(new["pull_request"]["number"])
    reviewed = next(r for r in truth["reviews"] if r["state"] in ("APPROVED", "CHANGES_REQUESTED"))
    sim.dismiss_review(repo, reviewed["pr_number"], reviewed["id"])
    touched.add(reviewed["pr_number"])
    sim.add_review(repo, new["pull_request"]["number"], state="APPROVED", author="erin")
    touched |= mutate_review_metrics(sim, repo)
    return touched


def mutate_review_metrics(sim: GitHubSimulator, repo: str) -> set[int]:
    """Touch every review-metrics field (issue 13's acceptance): a label added, a user and a team
    review requested then one removed, an assignee, a draft made ready for review, another
    converted to draft, commits pushed, a comment, and a PR merged by someone other than its author."""
    truth = sim.truth(repo)
    open_prs = [pr["number"] for pr in truth["pull_requests"] if pr["state"] == "open" and not pr["draft"]]
    labelled, requested, pushed, merged, drafted = open_prs[-5:]
    sim.add_label(repo, labelled, "needs-review")
    sim.assign(repo, labelled, "frank")
    sim.request_review(repo, requested, reviewer="grace")
    if sim.world.resolve(repo).owner.type == "Organization":  # GitHub: teams exist in organizations
        sim.request_review(repo, requested, team="platform")
    sim.remove_review_request(repo, requested, reviewer="grace")
    sim.push_commits(repo, pushed, commits=2, additions=40, deletions=3, changed_files=2)
    sim.add_comment(repo, pushed)
    author = next(pr["author_login"] for pr in truth["pull_requests"] if pr["number"] == merged)
    sim.merge_pull(repo, merged, merged_by="heidi" if author != "heidi" else "ivan")
    sim.convert_to_draft(repo, drafted)
    touched = {labelled, requested, pushed, merged, drafted}
    draft = next(
        (pr["number"] for pr in truth["pull_requests"] if pr["state"] == "open" and pr["draft"]), None
    )
    if draft is not None:
        sim.mark_ready_for_review(repo, draft)
        touched.add(draft)
    return touched


def test_incremental_sync_after_mutations_equals_truth_and_is_cheap(
    simulator: GitHubSimulator, warehouse: Warehouse, strategy: str
) -> None:
    sync_all(simulator, warehouse, strategy)
    for repo in simulator.repos():
        before = warehouse.get_state(repo.lower())
        touched = mutate_everything(simulator, repo)
        report = run_sync(simulator, warehouse, repo, strategy=strategy)
        assert differences(simulator, warehouse, repo) == []
        assert report.changed and report.pull_requests >= len(touched)
        # REST: list pages + 3 per changed PR (full PR, reviews, timeline); GraphQL far fewer
        changed_pages = math.ceil(report.pull_requests / 100)
        assert report.requests <= changed_pages + 3 * report.pull_requests
        if strategy != "rest":
            assert report.requests <= 1 + math.ceil(report.pull_requests / PAGE_SIZES[0])
            assert report.points <= 1 + math.ceil(report.pull_requests / PAGE_SIZES[0])
        after = warehouse.get_state(repo.lower())
        assert before and after and after.cursor and before.cursor
        assert after.cursor > before.cursor
        assert after.cursor == max(pr["updated_at"] for pr in simulator.truth(repo)["pull_requests"])


@across_backends({"strategy": STRATEGIES})
def test_sync_without_change_costs_zero_points(
    simulator: GitHubSimulator, warehouse: Warehouse, strategy: str
) -> None:
    repo = simulator.repos()[0]
    run_sync(simulator, warehouse, repo, strategy=strategy)
    simulator.reset_stats()
    report = run_sync(simulator, warehouse, repo, strategy=strategy)
    assert not report.changed
    assert report.points == 0 and report.not_modified == 1 and report.requests == 1
    stats = simulator.stats()
    assert stats["points_used"] == {"core": 0, "graphql": 0}
    assert stats["not_modified"] == 1
    # ... and the next change is seen again
    simulator.update_pull(repo, some_pr(simulator, repo), title="changed after the 304")
    report = run_sync(simulator, warehouse, repo, strategy=strategy)
    assert report.changed and differences(simulator, warehouse, repo) == []


@across_backends({"strategy": STRATEGIES})
def test_pr_updated_while_paging_is_not_lost(
    simulator: GitHubSimulator, warehouse: Warehouse, strategy: str
) -> None:
    """A PR updated between two page requests is never skipped for good: the cursor stays behind it."""
    repo = simulator.repos()[0]
    oldest = min(simulator.truth(repo)["pull_requests"], key=lambda pr: pr["updated_at"])["number"]
    fired: list[str] = []

    def mutate_after_first_page(method: str, path: str, query: dict[str, str]) -> None:
        is_page = (method == "GET" and path.endswith("/pulls") and query.get("per_page") == "100") or (
            method == "POST" and path == "/graphql"
        )
        if is_page and not fired:
            fired.append(path)
            simulator.update_pull(repo, oldest, title="updated while the sync was paging")

    simulator.on_request(mutate_after_first_page)
    run_sync(simulator, warehouse, repo, strategy=strategy)
    assert fired
    state = warehouse.get_state(repo.lower())
    moved = next(pr for pr in simulator.truth(repo)["pull_requests"] if pr["number"] == oldest)
    assert state and state.cursor and state.cursor <= moved["updated_at"]
    run_sync(simulator, warehouse, repo, strategy=strategy)
    assert differences(simulator, warehouse, repo) == []


def test_same_sync_twice_leaves_identical_tables_and_full_refresh_keeps_cursor(
    shared_simulator: GitHubSimulator, warehouse: Warehouse, strategy: str
) -> None:
    repo = shared_simulator.repos()[1]
    run_sync(shared_simulator, warehouse, repo, strategy=strategy, full_refresh=True)
    prs, reviews = warehouse.pull_requests(repo.lower()), warehouse.reviews(repo.lower())
    cursor = warehouse.get_state(repo.lower()).cursor  # type: ignore[union-attr]
    report = run_sync(shared_simulator, warehouse, repo, strategy=strategy, full_refresh=True)
    assert report.pull_requests == 120
    assert warehouse.pull_requests(repo.lower()) == prs
    assert warehouse.reviews(repo.lower()) == reviews
    assert warehouse.get_state(repo.lower()).cursor == cursor  # type: ignore[union-attr]


def test_full_refresh_never_moves_the_cursor_backwards(
    shared_simulator: GitHubSimulator, warehouse: Warehouse, strategy: str
) -> None:
    from datetime import UTC, datetime

    from prsync_dagster.warehouse.base import SyncCommit

    repo = shared_simulator.repos()[2]
    future = datetime(2030, 1, 1, tzinfo=UTC)
    warehouse.write_batch(
        repo.lower(), [], future,
        SyncCommit(repo.lower(), None, None, future, None, None, future, "auto", {}),
    )  # fmt: skip
    report = run_sync(shared_simulator, warehouse, repo, strategy=strategy, full_refresh=True)
    assert report.pull_requests == 120
    assert warehouse.get_state(repo.lower()).cursor == future  # type: ignore[union-attr]


def test_overlap_refetches_the_boundary(
    compact_simulator: GitHubSimulator, warehouse: Warehouse, strategy: str
) -> None:
    repo = compact_simulator.repos()[0]
    run_sync(compact_simulator, warehouse, repo, strategy=strategy)
    report = run_sync(compact_simulator, warehouse, repo, strategy=strategy, overlap=timedelta(days=3650))
    assert not report.changed  # the probe says nothing changed, whatever the overlap
    compact_simulator.update_pull(repo, some_pr(compact_simulator, repo), title="now something changed")
    report = run_sync(compact_simulator, warehouse, repo, strategy=strategy, overlap=timedelta(days=3650))
    assert report.pull_requests == len(compact_simulator.truth(repo)["pull_requests"]) == 30  # all read again


def test_failed_sync_records_the_error_and_keeps_data_and_cursor(
    compact_simulator: GitHubSimulator, warehouse: Warehouse, strategy: str
) -> None:
    repo = compact_simulator.repos()[0]
    run_sync(compact_simulator, warehouse, repo, strategy=strategy)
    before = warehouse.get_state(repo.lower())
    prs = warehouse.pull_requests(repo.lower())
    compact_simulator.update_pull(repo, some_pr(compact_simulator, repo), title="not yet seen")
    compact_simulator.revoke_token(compact_simulator.token)
    with pytest.raises(GitHubAuthError, match="GitHub rejected the token: 401 Bad credentials"):
        run_sync(compact_simulator, warehouse, repo, strategy=strategy)
    after = warehouse.get_state(repo.lower())
    assert after and before
    assert after.status == "error" and after.last_error == "GitHub rejected the token: 401 Bad credentials"
    assert after.cursor == before.cursor and after.etag == before.etag
    assert after.last_success_at == before.last_success_at
    assert warehouse.pull_requests(repo.lower()) == prs
    assert compact_simulator.token not in (after.last_error or "")


@across_backends({"strategy": STRATEGIES})
def test_unknown_repository_is_a_clear_error(
    shared_simulator: GitHubSimulator, warehouse: Warehouse, strategy: str
) -> None:
    with pytest.raises(RepositoryNotFound, match="repository not found or no access"):
        run_sync(shared_simulator, warehouse, "acme/does-not-exist", strategy=strategy)
    state = warehouse.get_state("acme/does-not-exist")
    assert state and state.status == "error" and "not found" in (state.last_error or "")


@across_backends({"status": [404, 501]})
def test_auto_falls_back_to_rest_where_graphql_is_missing(
    compact_simulator: GitHubSimulator, warehouse: Warehouse, status: int
) -> None:
    """Some GitHub Enterprise setups and proxies have no GraphQL endpoint: `auto` still syncs."""
    repo = compact_simulator.repos()[0]
    compact_simulator.script_responses(
        "POST /graphql", [{"status": status, "body": {"message": "Not Found"}}] * 5
    )
    report = run_sync(compact_simulator, warehouse, repo, strategy="auto")
    assert report.fetched_with == "rest"
    assert differences(compact_simulator, warehouse, repo) == []


@DUCKDB_ONLY
def test_graphql_strategy_names_a_missing_graphql_api(
    compact_simulator: GitHubSimulator, warehouse: Warehouse
) -> None:
    from prsync_dagster.errors import GraphQLUnavailableError

    compact_simulator.script_responses("POST /graphql", [{"status": 404, "body": {"message": "Not Found"}}])
    with pytest.raises(GraphQLUnavailableError, match="GraphQL API is not available"):
        run_sync(compact_simulator, warehouse, compact_simulator.repos()[0], strategy="graphql")
