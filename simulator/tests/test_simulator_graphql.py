"""GraphQL: paging with keyset cursors, filters, renames, errors shaped like GitHub's, faults."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from github_api_simulator import GitHubSimulator
from github_api_simulator.pytest_plugin import make_github

PULLS = """
query($owner: String!, $name: String!, $after: String, $states: [PullRequestState!], $order: IssueOrder) {
  repository(owner: $owner, name: $name) {
    id databaseId name nameWithOwner owner { login }
    pullRequests(first: 100, after: $after, states: $states, orderBy: $order) {
      totalCount
      pageInfo { hasNextPage endCursor hasPreviousPage startCursor }
      nodes {
        id number title state isDraft merged createdAt updatedAt closedAt mergedAt
        author { login } baseRefName headRefName url databaseId
        reviews(first: 100) {
          totalCount pageInfo { hasNextPage endCursor }
          nodes { id databaseId state submittedAt author { login } commit { oid } }
        }
      }
    }
  }
}
"""

REVIEWS = """
query($owner: String!, $name: String!, $number: Int!, $after: String) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      reviews(first: 100, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } nodes { databaseId state submittedAt }
      }
    }
  }
}
"""


def post(
    sim: GitHubSimulator, query: str, variables: dict[str, Any] | None = None, token: str | None = None
) -> Any:
    resp = requests.post(
        sim.url + "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"bearer {token or sim.token}"},
        timeout=30,
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


def page_all(sim: GitHubSimulator, owner: str, name: str, **variables: Any) -> list[dict[str, Any]]:
    gh = make_github(sim)
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        _, data = gh.requester.graphql_query(
            PULLS, {"owner": owner, "name": name, "after": after, **variables}
        )
        conn = data["data"]["repository"]["pullRequests"]
        nodes += conn["nodes"]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    gh.close()
    return nodes


def test_pages_all_pulls_and_reviews_with_pygithub(readonly_simulator: GitHubSimulator) -> None:
    sim = readonly_simulator
    truth = sim.truth("Acme/Widgets")
    nodes = page_all(sim, "acme", "widgets")
    assert [n["number"] for n in nodes] == [p["number"] for p in truth["pull_requests"]], (
        "default: oldest first"
    )
    by_number = {p["number"]: p for p in truth["pull_requests"]}
    reviews_by_pr: dict[int, list[dict[str, Any]]] = {}
    for r in truth["reviews"]:
        reviews_by_pr.setdefault(r["pr_number"], []).append(r)
    heavy = None
    for node in nodes:
        row = by_number[node["number"]]
        assert node["databaseId"] == row["id"] and node["title"] == row["title"]
        assert node["isDraft"] == row["draft"] and node["merged"] == row["merged"]
        assert node["state"] == ("MERGED" if row["merged"] else row["state"].upper())
        assert node["url"] == row["html_url"] and node["baseRefName"] == row["base_ref"]
        expected_author = row["author_login"].removesuffix("[bot]") if row["author_login"] else None
        assert (node["author"] or {}).get("login") == expected_author
        reviews = node["reviews"]
        assert reviews["totalCount"] == len(reviews_by_pr.get(node["number"], []))
        if reviews["pageInfo"]["hasNextPage"]:
            heavy = node
        else:
            assert [r["databaseId"] for r in reviews["nodes"]] == [
                r["id"] for r in reviews_by_pr.get(node["number"], [])
            ]
    assert heavy is not None and heavy["reviews"]["totalCount"] > 100
    got = [r["databaseId"] for r in heavy["reviews"]["nodes"]]
    after = heavy["reviews"]["pageInfo"]["endCursor"]
    rest = post(sim, REVIEWS, {"owner": "Acme", "name": "Widgets", "number": heavy["number"], "after": after})
    got += [r["databaseId"] for r in rest["data"]["repository"]["pullRequest"]["reviews"]["nodes"]]
    assert got == [r["id"] for r in reviews_by_pr[heavy["number"]]]


def test_state_filters_and_ordering(readonly_simulator: GitHubSimulator) -> None:
    sim = readonly_simulator
    truth = sim.truth("jDoe-Dev/sprocket.js")["pull_requests"]
    merged = page_all(sim, "jDoe-Dev", "sprocket.js", states=["MERGED"])
    assert {n["number"] for n in merged} == {p["number"] for p in truth if p["merged"]}
    closed = page_all(sim, "jDoe-Dev", "sprocket.js", states=["CLOSED"])
    assert {n["number"] for n in closed} == {
        p["number"] for p in truth if p["state"] == "closed" and not p["merged"]
    }
    newest = page_all(sim, "jDoe-Dev", "sprocket.js", order={"field": "UPDATED_AT", "direction": "DESC"})
    expected = sorted(truth, key=lambda p: (p["updated_at"], p["id"]), reverse=True)
    assert [n["number"] for n in newest] == [p["number"] for p in expected]


def test_keyset_cursor_skips_an_item_updated_during_paging(simulator: GitHubSimulator) -> None:
    query = """query($after: String) { repository(owner: "Acme", name: "Widgets") {
      pullRequests(first: 30, after: $after, orderBy: {field: UPDATED_AT, direction: DESC}) {
        pageInfo { hasNextPage endCursor } nodes { number } } } }"""
    seen: list[int] = []
    first = post(simulator, query)["data"]["repository"]["pullRequests"]
    seen += [n["number"] for n in first["nodes"]]
    expected = [
        p["number"]
        for p in sorted(
            simulator.truth("Acme/Widgets")["pull_requests"],
            key=lambda p: (p["updated_at"], p["id"]),
            reverse=True,
        )
    ]
    victim = expected[45]  # would have been on page 2
    simulator.update_pull("Acme/Widgets", victim, title="bumped")
    after = first["pageInfo"]["endCursor"]
    while after:
        conn = post(simulator, query, {"after": after})["data"]["repository"]["pullRequests"]
        seen += [n["number"] for n in conn["nodes"]]
        after = conn["pageInfo"]["endCursor"] if conn["pageInfo"]["hasNextPage"] else None
    assert victim not in seen, "moved to the front, behind the cursor"
    assert seen == [n for n in expected if n != victim]


def test_renamed_repository_follows_renames(simulator: GitHubSimulator) -> None:
    simulator.rename_repo("Acme/Widgets", "Sprockets")
    q = '{ repository(owner: "acme", name: "widgets") { nameWithOwner databaseId } }'
    assert post(simulator, q)["data"]["repository"]["nameWithOwner"] == "Acme/Sprockets"
    strict = post(simulator, '{ repository(owner: "acme", name: "widgets", followRenames: false) { id } }')
    assert strict["data"] == {"repository": None} and strict["errors"][0]["type"] == "NOT_FOUND"


def test_error_shapes(readonly_simulator: GitHubSimulator) -> None:
    sim = readonly_simulator
    missing = post(sim, '{ repository(owner: "acme", name: "nope") { id } }')
    assert missing == {
        "data": {"repository": None},
        "errors": [
            {
                "type": "NOT_FOUND",
                "path": ["repository"],
                "locations": [{"line": 1, "column": 3}],
                "message": "Could not resolve to a Repository with the name 'acme/nope'.",
            }
        ],
    }
    no_first = post(sim, '{ repository(owner: "acme", name: "widgets") { pullRequests { nodes { id } } } }')
    assert no_first["errors"][0]["type"] == "MISSING_PAGINATION_BOUNDARIES"
    assert no_first["errors"][0]["message"] == (
        "You must provide a `first` or `last` value to properly paginate the `pullRequests` connection."
    )
    count_only = post(sim, '{ repository(owner: "acme", name: "widgets") { pullRequests { totalCount } } }')
    assert count_only == {"data": {"repository": {"pullRequests": {"totalCount": 120}}}}
    too_many = post(
        sim, '{ repository(owner: "acme", name: "widgets") { pullRequests(first: 101) { nodes { id } } } }'
    )
    assert too_many["errors"][0]["message"] == (
        "Requesting 101 records on the `pullRequests` connection exceeds the `first` limit of 100 records."
    )
    syntax = post(sim, "{ repository(owner: ")
    assert set(syntax) == {"errors"} and set(syntax["errors"][0]) == {"message", "locations"}
    unknown = post(sim, '{ repository(owner: "acme", name: "widgets") { stars } }')
    assert "data" not in unknown
    assert unknown["errors"][0]["message"] == "Field 'stars' doesn't exist on type 'Repository'"
    bad_cursor = post(
        sim,
        '{ repository(owner: "acme", name: "widgets") '
        '{ pullRequests(first: 1, after: "xyz") { totalCount } } }',
    )
    assert bad_cursor["errors"][0]["type"] == "INVALID_CURSOR_ARGUMENTS"
    huge = post(
        sim,
        '{ repository(owner: "acme", name: "widgets") { pullRequests(first: 100) { nodes { '
        "reviews(first: 100) { nodes { pullRequest { reviews(first: 100) { totalCount } } } } } } } }",
    )
    assert huge["errors"][0]["type"] == "MAX_NODE_LIMIT_EXCEEDED" and "data" not in huge
    anon = requests.post(sim.url + "/graphql", json={"query": "{ viewer { login } }"}, timeout=10)
    assert (
        anon.status_code == 401
        and anon.json()["message"] == "This endpoint requires you to be authenticated."
    )


def test_viewer_deleted_authors_and_bots(readonly_simulator: GitHubSimulator) -> None:
    sim = readonly_simulator
    assert post(sim, "{ viewer { login } }") == {"data": {"viewer": {"login": "prsync-sim"}}}
    nodes = [n for name in ("Acme/Widgets", "Acme/gadget-Service") for n in page_all(sim, *name.split("/"))]
    assert any(n["author"] is None for n in nodes), "deleted account -> author: null"
    bots = [
        n["author"]["login"]
        for n in nodes
        if n["author"] and n["author"]["login"] in ("dependabot", "renovate")
    ]
    assert bots, "GraphQL Bot.login has no [bot] suffix (REST user.login does)"


def test_graphql_timeout_fault(simulator: GitHubSimulator) -> None:
    simulator.set_graphql_timeout(node_threshold=5_000)
    big = requests.post(
        simulator.url + "/graphql",
        json={"query": PULLS, "variables": {"owner": "Acme", "name": "Widgets"}},
        headers={"Authorization": f"bearer {simulator.token}"},
        timeout=10,
    )
    assert big.status_code == 502
    assert big.json()["data"] is None and "timeout" in big.json()["errors"][0]["message"]
    small = post(
        simulator,
        '{ repository(owner: "Acme", name: "Widgets") { pullRequests(first: 10) { nodes { id } } } }',
    )
    assert len(small["data"]["repository"]["pullRequests"]["nodes"]) == 10
    assert simulator.stats()["faults_by_kind"] == {"graphql_timeout": 1}


def test_pygithub_graphql_retries_scripted_502(simulator: GitHubSimulator) -> None:
    simulator.fail_next("POST /graphql", status=502)
    gh = make_github(simulator)
    _, data = gh.requester.graphql_query("{ viewer { login } }", {})
    assert data["data"]["viewer"]["login"] == "prsync-sim"
    assert simulator.stats()["by_route_status"]["POST /graphql"] == {"502": 1, "200": 1}
    gh.close()


@pytest.mark.parametrize("token_kind", ["bad"])
def test_bad_token_is_401(simulator: GitHubSimulator, token_kind: str) -> None:
    resp = requests.post(
        simulator.url + "/graphql",
        json={"query": "{ viewer { login } }"},
        headers={"Authorization": "bearer nope"},
        timeout=10,
    )
    assert resp.status_code == 401 and resp.json()["message"] == "Bad credentials"


def test_user_is_site_admin_as_airbytes_reviews_query_asks(readonly_simulator: GitHubSimulator) -> None:
    """``User.isSiteAdmin: Boolean!`` (GitHub's GraphQL schema; REST ``user.site_admin``), which
    Airbyte's source-github selects on every review author (``... on User { site_admin: isSiteAdmin }``)."""
    query = """query($owner: String!, $name: String!) { repository(owner: $owner, name: $name) {
      pullRequests(first: 20) { nodes { reviews(first: 20) { nodes {
        author { __typename ... on User { login isSiteAdmin } } } } } } } }"""
    data = post(readonly_simulator, query, {"owner": "Acme", "name": "Widgets"})
    assert "errors" not in data, data
    authors = [
        review["author"]
        for pull in data["data"]["repository"]["pullRequests"]["nodes"]
        for review in pull["reviews"]["nodes"]
        if review["author"] and review["author"]["__typename"] == "User"
    ]
    assert authors and {author["isSiteAdmin"] for author in authors} == {False}
