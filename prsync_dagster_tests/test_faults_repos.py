"""Repositories that move or vanish, and reviews dismissed behind the PR's back (issue 5, points 9-10)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from github_api_simulator import GitHubSimulator

from prsync_dagster.errors import RepositoryNotFound
from prsync_dagster.warehouse.base import Warehouse
from prsync_dagster_tests.fault_helpers import (
    DUCKDB_ONLY,
    STRATEGIES,
    across_backends,
    cursor_problems,
    snapshot,
)
from prsync_dagster_tests.sync_helpers import differences, run_sync

# -- 9. renamed and deleted repositories ----------------------------------------------------------


@across_backends(
    {
        "strategy": STRATEGIES,
        "synced_before": [
            pytest.param(True, id="after-a-sync"),
            pytest.param(False, id="before-the-first-sync"),
        ],
    }
)
def test_renamed_repository_is_followed_and_keeps_its_partition_key(
    compact_simulator: GitHubSimulator, warehouse: Warehouse, strategy: str, synced_before: bool
) -> None:
    if synced_before:
        run_sync(compact_simulator, warehouse, "acme/widgets", strategy=strategy)
    compact_simulator.rename_repo("Acme/Widgets", "Gizmos")
    compact_simulator.mutate_repo("Acme/Gizmos", seed=5, updated_fraction=0.2, new_prs=3)
    compact_simulator.reset_stats()

    report = run_sync(compact_simulator, warehouse, "acme/widgets", strategy=strategy)

    # every strategy probes with REST first: the probe met GitHub's 301 for the old name
    assert compact_simulator.stats()["by_status"].get("301", 0) >= 1
    assert report.full_name == "Acme/Gizmos"
    assert any("acme/widgets is now Acme/Gizmos" in warning for warning in report.warnings)
    state = warehouse.get_state("acme/widgets")
    assert state is not None and state.status == "ok" and state.full_name == "Acme/Gizmos"
    assert warehouse.counts("acme/gizmos") == (0, 0), "rows keep the partition key"
    # Everything GitHub changed is stored. A rename does not touch PRs, so the links of PRs that
    # did not change since still name the old repository (GitHub redirects them) ...
    problems = differences(compact_simulator, warehouse, "Acme/Widgets")
    assert all(" html_url: stored 'https://github.com/Acme/Widgets/pull/" in p for p in problems), problems
    assert cursor_problems(compact_simulator, warehouse, "Acme/Widgets") == []
    # ... until a full refresh, as the warning says
    run_sync(compact_simulator, warehouse, "acme/widgets", strategy=strategy, full_refresh=True)
    assert differences(compact_simulator, warehouse, "Acme/Widgets") == []
    # later syncs ask for the new name directly: no more redirects, and a no-change probe is free
    compact_simulator.reset_stats()
    again = run_sync(compact_simulator, warehouse, "acme/widgets", strategy=strategy)
    assert "301" not in compact_simulator.stats()["by_status"]
    assert not again.changed and again.points == 0 and again.not_modified == 1


@DUCKDB_ONLY
def test_renamed_repository_without_open_pull_requests_is_still_followed(
    compact_simulator: GitHubSimulator, warehouse: Warehouse
) -> None:
    """PyGithub drops the query when it follows a 301: an old name lists only *open* PRs. With
    none open, the page is empty and gives no hint of the rename; the repository itself does."""
    repo = "Acme/Widgets"
    run_sync(compact_simulator, warehouse, repo, strategy="rest")
    for pr in compact_simulator.truth(repo)["pull_requests"]:
        if pr["state"] == "open":
            compact_simulator.close_pull(repo, pr["number"])
    compact_simulator.rename_repo(repo, "Gizmos")
    report = run_sync(compact_simulator, warehouse, repo, strategy="rest")
    assert report.full_name == "Acme/Gizmos"
    problems = differences(compact_simulator, warehouse, repo)
    assert all(" html_url: " in p for p in problems), problems
    assert cursor_problems(compact_simulator, warehouse, repo) == []


@across_backends({"strategy": STRATEGIES})
def test_deleted_repository_is_an_error_that_keeps_its_rows_and_spares_the_others(
    compact_simulator: GitHubSimulator, warehouse: Warehouse, strategy: str
) -> None:
    gone, other = "Acme/Widgets", "Acme/gadget-Service"
    for repo in (gone, other):
        run_sync(compact_simulator, warehouse, repo, strategy=strategy)
    before = snapshot(warehouse, gone)
    compact_simulator.delete_repo(gone)
    compact_simulator.mutate_repo(other, seed=6, updated_fraction=0.1)

    with pytest.raises(RepositoryNotFound, match="repository not found or no access"):
        run_sync(compact_simulator, warehouse, gone, strategy=strategy)
    run_sync(compact_simulator, warehouse, other, strategy=strategy)

    after = snapshot(warehouse, gone)
    assert after.data_and_cursor() == before.data_and_cursor(), "no data deleted, cursor kept"
    assert after.state is not None and after.state.status == "error"
    assert "repository not found or no access" in (after.state.last_error or "")
    assert differences(compact_simulator, warehouse, other) == []
    other_state = warehouse.get_state(other.lower())
    assert other_state is not None and other_state.status == "ok"


# -- 10. review dismissals ------------------------------------------------------------------------


def approved_review(sim: GitHubSimulator, repo: str) -> dict:
    """An APPROVED review of the PR updated longest ago (far outside any overlap window)."""
    truth = sim.truth(repo)
    prs = sorted(truth["pull_requests"], key=lambda pr: pr["updated_at"])
    for pr in prs:
        for review in truth["reviews"]:
            if review["pr_number"] == pr["number"] and review["state"] == "APPROVED":
                return {"review": review, "pr": pr}
    raise AssertionError("no approved review")


@across_backends({"strategy": STRATEGIES})
def test_dismissal_that_bumps_the_pr_is_captured(
    compact_simulator: GitHubSimulator, warehouse: Warehouse, strategy: str
) -> None:
    repo = compact_simulator.repos()[0]
    run_sync(compact_simulator, warehouse, repo, strategy=strategy)
    found = approved_review(compact_simulator, repo)
    compact_simulator.dismiss_review(repo, found["pr"]["number"], found["review"]["id"], touch_pr=True)
    run_sync(compact_simulator, warehouse, repo, strategy=strategy)
    stored = {review.id: review for review in warehouse.reviews(repo.lower())}
    assert stored[found["review"]["id"]].state == "DISMISSED"
    assert differences(compact_simulator, warehouse, repo) == []


@across_backends({"strategy": STRATEGIES})
def test_dismissal_without_pr_update_is_missed_by_incremental_sync_but_caught_by_the_sweep(
    compact_simulator: GitHubSimulator, warehouse: Warehouse, strategy: str
) -> None:
    repo = compact_simulator.repos()[0]
    run_sync(compact_simulator, warehouse, repo, strategy=strategy)
    found = approved_review(compact_simulator, repo)
    review_id = found["review"]["id"]
    compact_simulator.dismiss_review(repo, found["pr"]["number"], review_id, touch_pr=False)

    run_sync(compact_simulator, warehouse, repo, strategy=strategy)
    assert differences(compact_simulator, warehouse, repo) == [
        f"review {review_id} state: stored 'APPROVED', truth 'DISMISSED'"
    ], "GitHub did not bump the PR, so an incremental sync cannot see the dismissal"

    days = (datetime.now(UTC) - found["pr"]["updated_at"]).days + 1
    report = run_sync(compact_simulator, warehouse, repo, strategy=strategy, review_sweep_days=days)
    assert report.changed
    assert differences(compact_simulator, warehouse, repo) == []
    assert cursor_problems(compact_simulator, warehouse, repo) == []
