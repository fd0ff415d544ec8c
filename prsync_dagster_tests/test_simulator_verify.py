"""The one definition of "the warehouse equals GitHub" used by tests, demo and benchmarks."""

from github_api_simulator import GitHubSimulator, SimulatorControl

from prsync_dagster.verify import compare_with_truth
from prsync_dagster.warehouse.base import Warehouse
from prsync_dagster_tests.sync_helpers import run_sync


def test_equal_copy_then_every_kind_of_difference(simulator: GitHubSimulator, warehouse: Warehouse) -> None:
    repo = simulator.repos()[0]
    assert compare_with_truth(simulator.truth(repo), warehouse, repo).prs_missing  # nothing synced yet
    run_sync(simulator, warehouse, repo, strategy="auto")
    # in-process truth (datetimes) and truth over HTTP (ISO strings) compare the same
    assert compare_with_truth(simulator.truth(repo), warehouse, repo).equal
    assert compare_with_truth(SimulatorControl(simulator.url).truth(repo), warehouse, repo).equal

    truth = simulator.truth(repo)
    pr = sorted(truth["pull_requests"], key=lambda p: p["number"])[5]
    simulator.update_pull(repo, pr["number"], title="changed on GitHub")
    new = simulator.open_pull(repo, title="brand new")["pull_request"]["number"]
    diff = compare_with_truth(simulator.truth(repo), warehouse, repo)
    assert diff.prs_missing == [new]
    assert any(line.startswith("title: stored") for line in diff.prs_stale[pr["number"]])
    assert f"PR #{new} missing" in diff.problems() and not diff.equal
