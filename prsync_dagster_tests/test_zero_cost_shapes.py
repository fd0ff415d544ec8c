"""Issue 9.5: a no-change sync of an unchanged repository costs 0 rate-limit points, whatever the
repository's shape, under every strategy (the README promises it).

Each shape is a small simulator world (``ScenarioSpec``) plus what happened to it before the
no-change sync (a rename, a closed newest PR). The repository is synced until it is up to date,
then once more: that last sync must be one conditional request answered 304, and no point.
The cost is GitHub's side of a sync, the same for both backends, so DuckDB stands in for both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from github_api_simulator import GitHubSimulator
from github_api_simulator.scenarios import RepoSpec, ScenarioSpec

from prsync_dagster.warehouse import open_warehouse
from prsync_dagster.warehouse.base import Warehouse
from prsync_dagster_tests.fault_helpers import STRATEGIES
from prsync_dagster_tests.sync_helpers import differences, run_sync


@pytest.fixture
def warehouse(duckdb_url: str) -> Iterator[Warehouse]:
    with open_warehouse(duckdb_url) as wh:
        wh.migrate()
        yield wh


def _world(name: str, prs: int, issues: int = 0, reviews: float = 1.0, heavy: int = 0) -> ScenarioSpec:
    return ScenarioSpec(name, (RepoSpec("Shape-Org", "Repo", prs, issues, reviews, heavy_reviews=heavy),))


def _rename(sim: GitHubSimulator, repo: str) -> str:
    sim.rename_repo(repo, "Renamed-Repo")
    return repo


def _close_newest(sim: GitHubSimulator, repo: str) -> str:
    open_prs = [pr for pr in sim.truth(repo)["pull_requests"] if pr["state"] == "open"]
    newest = max(open_prs, key=lambda pr: pr["updated_at"])
    sim.close_pull(repo, newest["number"])
    return repo


def _nothing(sim: GitHubSimulator, repo: str) -> str:
    return repo


SHAPES: dict[str, tuple[ScenarioSpec, Callable[[GitHubSimulator, str], str]]] = {
    "no-prs-at-all": (_world("empty", 0, issues=0), _nothing),
    "issues-but-no-prs": (_world("issues-only", 0, issues=12), _nothing),
    "one-pr": (_world("one", 1), _nothing),
    "exactly-100-prs": (_world("hundred", 100), _nothing),
    "150-prs": (_world("over-a-page", 150, issues=10), _nothing),
    "pr-with-120-reviews": (_world("heavy", 12, heavy=120), _nothing),
    "newest-pr-closed": (_world("closed", 20), _close_newest),
    "renamed": (_world("renamed", 30), _rename),
}


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("shape", list(SHAPES))
def test_an_unchanged_repository_costs_nothing(
    simulator_factory: Callable[..., GitHubSimulator], warehouse: Warehouse, shape: str, strategy: str
) -> None:
    world, change = SHAPES[shape]
    sim = simulator_factory(world, 3)
    (repo,) = sim.repos()
    key = repo.lower()
    run_sync(sim, warehouse, key, strategy=strategy)
    change(sim, repo)
    run_sync(sim, warehouse, key, strategy=strategy)  # takes in the change (if any)
    # after a rename, html_url of PRs unchanged since keeps the old name until a full refresh (README)
    problems = differences(sim, warehouse, key)
    assert [p for p in problems if not (shape == "renamed" and "html_url" in p)] == []
    before = sim.stats()
    report = run_sync(sim, warehouse, key, strategy=strategy)
    after = sim.stats()
    assert (report.points, report.requests, report.not_modified) == (0, 1, 1), report
    assert after["total_requests"] - before["total_requests"] == 1
    assert after["not_modified"] - before["not_modified"] == 1
    assert report.changed is False


def test_an_unchanged_repository_costs_nothing_with_github_app_auth(
    simulator_factory: Callable[..., GitHubSimulator], warehouse: Warehouse
) -> None:
    """Every sync gets a new installation token; the ETag of the probe still holds (the token
    request itself is no rate-limited API call)."""
    from github_api_simulator import generate_app_key_pair

    from prsync_dagster.resources import GitHubResource
    from prsync_dagster.sync import SyncOptions, sync_repository

    sim = simulator_factory(_world("app", 30), 3)
    private_key, public_key = generate_app_key_pair()
    sim.register_app(app_id=77, public_key=public_key)
    sim.install_app(77, "Shape-Org")
    factory = GitHubResource(app_id="77", app_private_key=private_key, api_url=sim.url).client_factory()
    for strategy in STRATEGIES:
        sync_repository("shape-org/repo", factory, warehouse, SyncOptions(strategy=strategy))  # type: ignore[arg-type]
        report = sync_repository("shape-org/repo", factory, warehouse, SyncOptions(strategy=strategy))  # type: ignore[arg-type]
        assert (report.points, report.requests, report.not_modified) == (0, 1, 1), strategy
