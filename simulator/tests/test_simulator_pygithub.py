"""PyGithub, over real HTTP, against the simulator: paging, reviews, issues, concurrency, redirects."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from github import BadCredentialsException, GithubException, UnknownObjectException
from github_api_simulator import GitHubSimulator, custom
from github_api_simulator.pytest_plugin import make_github
from github_api_simulator.scenarios import build_world


def test_pages_through_all_pulls_of_every_repo(readonly_simulator: GitHubSimulator) -> None:
    gh = make_github(readonly_simulator)
    for full_name in readonly_simulator.repos():
        truth = readonly_simulator.truth(full_name)
        pulls = list(gh.get_repo(full_name).get_pulls(state="all"))
        assert sorted(p.number for p in pulls) == [p["number"] for p in truth["pull_requests"]]
        by_number = {p["number"]: p for p in truth["pull_requests"]}
        for p in pulls:
            row = by_number[p.number]
            assert (p.id, p.title, p.state, p.draft) == (row["id"], row["title"], row["state"], row["draft"])
            assert (p.user.login if p.user else None) == row["author_login"]
            assert p.created_at == row["created_at"] and p.updated_at == row["updated_at"]
            assert p.merged_at == row["merged_at"] and p.closed_at == row["closed_at"]
            assert p.html_url == row["html_url"]
            assert (p.base.ref, p.head.ref) == (row["base_ref"], row["head_ref"])
    gh.close()


def test_default_pulls_listing_is_open_newest_first(readonly_simulator: GitHubSimulator) -> None:
    gh = make_github(readonly_simulator)
    truth = readonly_simulator.truth("Acme/Widgets")["pull_requests"]
    expected = sorted(
        (p for p in truth if p["state"] == "open"), key=lambda p: (p["created_at"], p["number"]), reverse=True
    )
    got = [p.number for p in gh.get_repo("Acme/Widgets").get_pulls()]
    assert got == [p["number"] for p in expected]
    updated = [p.number for p in gh.get_repo("Acme/Widgets").get_pulls(state="all", sort="updated")]
    assert updated == [p["number"] for p in sorted(truth, key=lambda p: (p["updated_at"], p["number"]))], (
        "sort=updated defaults to ascending like GitHub"
    )
    gh.close()


def test_all_reviews_of_a_pull_with_more_than_100_reviews(readonly_simulator: GitHubSimulator) -> None:
    truth = readonly_simulator.truth("acme/widgets")
    counts: dict[int, int] = {}
    for r in truth["reviews"]:
        counts[r["pr_number"]] = counts.get(r["pr_number"], 0) + 1
    number, count = max(counts.items(), key=lambda kv: kv[1])
    assert count > 100
    gh = make_github(readonly_simulator)
    reviews = list(gh.get_repo("acme/widgets").get_pull(number).get_reviews())
    expected = [r for r in truth["reviews"] if r["pr_number"] == number]
    assert [r.id for r in reviews] == [r["id"] for r in expected]
    assert [r.id for r in reviews] == sorted(r.id for r in reviews), "chronological = id ascending"
    assert [r.state for r in reviews] == [r["state"] for r in expected]
    assert [r.submitted_at for r in reviews] == [r["submitted_at"] for r in expected]
    gh.close()


def test_review_states_and_oddities_are_present(readonly_simulator: GitHubSimulator) -> None:
    states = set()
    pending = []
    for name in readonly_simulator.repos():
        for r in readonly_simulator.truth(name)["reviews"]:
            states.add(r["state"])
            if r["state"] == "PENDING":
                pending.append((name, r))
    assert states == {"APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING"}
    assert all(r["submitted_at"] is None for _, r in pending)
    gh = make_github(readonly_simulator)
    name, review = pending[0]
    listed = {r.id: r for r in gh.get_repo(name).get_pull(review["pr_number"]).get_reviews()}
    assert listed[review["id"]].state == "PENDING" and listed[review["id"]].submitted_at is None
    pulls = [p for n in readonly_simulator.repos() for p in readonly_simulator.truth(n)["pull_requests"]]
    assert any(p["author_login"] is None for p in pulls), "deleted author"
    assert any(p["draft"] for p in pulls) and any(p["merged"] for p in pulls)
    assert any(p["state"] == "closed" and not p["merged"] for p in pulls)
    gh.close()


def test_issues_since_include_pulls_and_one_number_sequence(readonly_simulator: GitHubSimulator) -> None:
    gh = make_github(readonly_simulator)
    repo = gh.get_repo("jdoe-dev/SPROCKET.JS")
    assert repo.full_name == "jDoe-Dev/sprocket.js"
    truth = readonly_simulator.truth(repo.full_name)
    numbers = sorted([p["number"] for p in truth["pull_requests"]] + [i["number"] for i in truth["issues"]])
    assert numbers == list(range(1, len(numbers) + 1))
    since = datetime(2025, 1, 1, tzinfo=UTC)
    items = list(repo.get_issues(since=since, state="all"))
    expected_prs = {p["number"] for p in truth["pull_requests"] if p["updated_at"] >= since}
    expected_issues = {i["number"] for i in truth["issues"] if i["updated_at"] >= since}
    assert {i.number for i in items} == expected_prs | expected_issues
    assert {i.number for i in items if i.pull_request is not None} == expected_prs
    assert all(i.updated_at >= since for i in items)
    gh.close()


def test_issues_since_is_inclusive(simulator: GitHubSimulator) -> None:
    number = simulator.truth("Acme/Widgets")["pull_requests"][0]["number"]
    changed = simulator.update_pull("Acme/Widgets", number, title="touched")["pull_request"]
    gh = make_github(simulator)
    items = list(gh.get_repo("Acme/Widgets").get_issues(since=changed["updated_at"], state="all"))
    assert [i.number for i in items] == [number]
    assert items[0].title == "touched"
    gh.close()


def test_sixteen_concurrent_clients_page_consistently(readonly_simulator: GitHubSimulator) -> None:
    sim = readonly_simulator
    names = sim.repos()
    expected = {n: [p["number"] for p in sim.truth(n)["pull_requests"]] for n in names}
    before = sim.stats()
    results: dict[int, list[int]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(16)

    def worker(i: int) -> None:
        try:
            gh = make_github(sim)
            repo = gh.get_repo(names[i % len(names)])
            start.wait(10)
            results[i] = sorted(p.number for p in repo.get_pulls(state="all"))
            gh.close()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert len(results) == 16
    assert all(results[i] == expected[names[i % len(names)]] for i in range(16))
    after = sim.stats()
    # each client: 1 GET repo + 2 pages of 100 pulls (120 PRs)
    assert after["total_requests"] - before["total_requests"] == 16 * 3
    pulls_route = "GET /repos/{owner}/{repo}/pulls"
    assert after["by_route"][pulls_route] - before["by_route"].get(pulls_route, 0) == 16 * 2
    assert after["points_used"]["core"] - before["points_used"]["core"] == 16 * 3
    assert sum(after["by_route"].values()) == after["total_requests"]
    assert sum(after["by_status"].values()) == after["total_requests"]


def test_renamed_repo_answers_301_and_pygithub_follows(simulator: GitHubSimulator) -> None:
    import requests

    simulator.rename_repo("Acme/Widgets", "Widgets-Classic")
    raw = requests.get(
        f"{simulator.url}/repos/acme/widgets/pulls?state=all",
        headers={"Authorization": f"token {simulator.token}"},
        allow_redirects=False,
        timeout=10,
    )
    repo_id = simulator.truth("Acme/Widgets-Classic")["repo_id"]
    location = f"{simulator.url}/repositories/{repo_id}/pulls?state=all"
    assert raw.status_code == 301 and raw.headers["Location"] == location
    body = raw.json()
    assert body["message"] == "Moved Permanently" and body["url"] == location and "documentation_url" in body
    gh = make_github(simulator)
    repo = gh.get_repo("Acme/Widgets")
    assert repo.full_name == "Acme/Widgets-Classic" and repo.id == repo_id
    assert len(list(repo.get_pulls(state="all"))) == 120
    assert simulator.truth("acme/widgets")["full_name"] == "Acme/Widgets-Classic"
    gh.close()


def test_deleted_repo_answers_404(simulator: GitHubSimulator) -> None:
    gh = make_github(simulator)
    repo_id = gh.get_repo("Acme/gadget-Service").id
    simulator.delete_repo("Acme/gadget-Service")
    with pytest.raises(UnknownObjectException):
        gh.get_repo("Acme/gadget-Service")
    with pytest.raises(UnknownObjectException):
        gh.get_repo(repo_id)
    assert "Acme/gadget-Service" not in simulator.repos()
    gh.close()


def test_revoked_token_answers_401_mid_run(simulator: GitHubSimulator) -> None:
    simulator.add_token("ghp_second", login="Bob")
    gh = make_github(simulator, token="ghp_second")
    assert gh.get_user().login == "Bob"
    pages = gh.get_repo("Acme/Widgets").get_pulls(state="all")
    iterator = iter(pages)
    next(iterator)
    simulator.revoke_token("ghp_second")
    with pytest.raises(BadCredentialsException) as info:
        list(iterator)
    assert info.value.status == 401 and info.value.data["message"] == "Bad credentials"
    gh.close()


def test_unknown_token_and_missing_auth_are_401(simulator: GitHubSimulator) -> None:
    import requests

    r = requests.get(f"{simulator.url}/repos/acme/widgets", timeout=10)
    assert r.status_code == 401
    gh = make_github(simulator, token="ghp_nope")
    with pytest.raises(BadCredentialsException):
        gh.get_repo("acme/widgets")
    gh.close()


def test_plain_issue_number_is_not_a_pull(readonly_simulator: GitHubSimulator) -> None:
    gh = make_github(readonly_simulator)
    issue_number = readonly_simulator.truth("Acme/Widgets")["issues"][0]["number"]
    repo = gh.get_repo("Acme/Widgets")
    with pytest.raises(UnknownObjectException):
        repo.get_pull(issue_number)
    assert repo.get_issue(issue_number).pull_request is None
    gh.close()


def test_scenarios_are_deterministic() -> None:
    """(Build times are measured by ``benchmarks/timings.py``, not limited here.)"""
    a = build_world("small", 7)
    b = build_world("small", 7)
    assert a.truth("Acme/Widgets") == b.truth("Acme/Widgets")
    assert build_world("small", 8).truth("Acme/Widgets") != a.truth("Acme/Widgets")
    reviews = sum(len(p.reviews) for r in a.repos.values() for p in r.pulls.values())
    assert 900 <= reviews <= 1100
    tiny = build_world("tiny", 1)
    assert [len(r.pulls) for r in tiny.repos.values()] == [10]
    big = build_world(custom(repos=1, prs_per_repo=500, reviews_per_pr=2), 3)
    assert [len(r.pulls) for r in big.repos.values()] == [500]
    for world in (a, tiny, big):
        for repo in world.repos.values():
            for pr in repo.pulls.values():
                assert pr.updated_at <= datetime(2025, 7, 1, tzinfo=UTC)
                assert all(r.submitted_at is None or r.submitted_at <= pr.updated_at for r in pr.reviews)


@pytest.mark.slow
def test_team_scenario_shape() -> None:
    world = build_world("team", 7)
    sizes = sorted((len(r.pulls) for r in world.repos.values()), reverse=True)
    reviews = sum(len(p.reviews) for r in world.repos.values() for p in r.pulls.values())
    assert len(sizes) == 50 and sum(sizes) == 15_000
    assert sizes[2] >= 2000 and sizes[10] < 500
    assert 40_000 <= reviews <= 50_000


def test_big_page_of_big_repo_is_cached(simulator_factory) -> None:
    """A page of a 3,000-PR repository is rendered once and then served from the per-object cache
    (what made it cheap; its timings are measured by ``benchmarks/timings.py``)."""
    sim = simulator_factory(custom(repos=1, prs_per_repo=3000, reviews_per_pr=1))
    gh = make_github(sim)
    repo = gh.get_repo(sim.repos()[0])
    first = repo.get_pulls(state="all").get_page(0)
    cached = len(sim.renderer._cache)
    again = repo.get_pulls(state="all").get_page(0)
    assert len(first) == 100 and [p.number for p in again] == [p.number for p in first]
    assert len(sim.renderer._cache) == cached
    gh.close()


def test_not_found_routes_and_repos(readonly_simulator: GitHubSimulator) -> None:
    gh = make_github(readonly_simulator)
    with pytest.raises(UnknownObjectException):
        gh.get_repo("Acme/does-not-exist")
    with pytest.raises(GithubException) as info:
        gh.requester.requestJsonAndCheck("GET", "/repos/Acme/Widgets/frobnicate")
    assert info.value.status == 404 and info.value.data["message"] == "Not Found"
    gh.close()


def test_pygithub_drops_the_query_when_it_follows_a_301(simulator: GitHubSimulator) -> None:
    """A real hazard, reproduced: PyGithub re-requests only the Location's path after a 301.

    A lazily created Repository under an old name lists ``state=all`` pulls as ``/repos/old/pulls
    ?state=all``; GitHub answers 301 to ``/repositories/{id}/pulls?state=all`` and PyGithub asks
    for ``/repositories/{id}/pulls`` -- the default (open) pulls only, 30 per page.
    """
    simulator.rename_repo("Acme/Widgets", "Renamed")
    seen: list[tuple[str, dict[str, str]]] = []
    simulator.on_request(lambda method, path, query: seen.append((path, query)))
    gh = make_github(simulator, lazy=True)
    listed = list(gh.get_repo("Acme/Widgets").get_pulls(state="all"))
    open_count = sum(p["state"] == "open" for p in simulator.truth("Acme/Renamed")["pull_requests"])
    assert len(listed) == open_count < 120
    assert seen[0] == ("/repos/Acme/Widgets/pulls", {"per_page": "100", "state": "all"})
    assert seen[1][0].startswith("/repositories/") and seen[1][1] == {}
    gh.close()
