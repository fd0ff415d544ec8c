"""``GET /orgs/{org}/repos`` and ``GET /users/{username}/repos`` as PyGithub reads them (issue 11).

PyGithub in lazy mode: the simulator serves the lists, not ``GET /orgs/{org}`` itself.
"""

from __future__ import annotations

import pytest
from github import GithubException
from github_api_simulator.pytest_plugin import make_github


def test_organisation_and_user_repositories(simulator) -> None:
    gh = make_github(simulator, lazy=True)
    org = [r.full_name for r in gh.get_organization("Acme").get_repos(type="all")]
    assert org == ["Acme/gadget-Service", "Acme/Widgets"]
    # (PyGithub's lazy NamedUser still fetches GET /users/{u}, which the simulator does not serve)
    _, user = gh.requester.requestJsonAndCheck("GET", "/users/jDoe-Dev/repos", {"type": "owner"})
    assert [r["full_name"] for r in user] == ["jDoe-Dev/sprocket.js"]
    listed = gh.get_organization("acme").get_repos()[0]
    assert listed.fork is False and listed.archived is False


def test_wrong_kind_of_owner_is_404_and_pages_link(simulator_factory) -> None:
    sim = simulator_factory("custom:repos=130,prs_per_repo=1,reviews_per_pr=1")
    gh = make_github(sim, lazy=True)
    assert len(list(gh.get_organization("Bench").get_repos())) == 130
    assert sim.statistics.snapshot()["by_route"]["GET /orgs/{org}/repos"] == 2
    with pytest.raises(GithubException) as raised:  # an organisation under the user route
        gh.requester.requestJsonAndCheck("GET", "/users/Bench/repos")
    assert raised.value.status == 404


def test_archived_and_fork_flags_are_served(simulator) -> None:
    with simulator.world.lock:
        repo = next(r for r in simulator.world.repos.values() if r.name == "Widgets")
        repo.archived, repo.fork = True, True
        repo.data_version += 1
    listed = {r.name: r for r in make_github(simulator, lazy=True).get_organization("Acme").get_repos()}
    assert listed["Widgets"].archived and listed["Widgets"].fork
    assert not listed["gadget-Service"].archived
