"""Review-metrics data (issue 13): REST list vs full pull shapes, the issue timeline, node id
formats, the GraphQL fields and their cost, the control operations, truth and the scenarios.

Shapes are held against GitHub's real recordings and JSON Schemas (fixtures/github_real), and
the three views of the same data (REST, GraphQL, truth) are checked to agree.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from github_api_simulator import GitHubSimulator, SimulatorControl
from github_api_simulator.model import CONTRACT_EVENTS, PullRequest
from github_api_simulator.scenarios import build_world
from test_simulator_fidelity import Client, Loader, assert_same_shape, find_pull, schema, schema_errors

NEXT = {"X-Github-Next-Global-ID": "1"}
LIST_ONLY_OMITS = {
    "merged",
    "mergeable",
    "rebaseable",
    "mergeable_state",
    "merged_by",
    "comments",
    "review_comments",
    "maintainer_can_modify",
    "commits",
    "additions",
    "deletions",
    "changed_files",
}

RICH_QUERY = """
query($owner: String!, $name: String!, $first: Int!, $after: String) {
  rateLimit { cost nodeCount }
  repository(owner: $owner, name: $name) {
    pullRequests(first: $first, after: $after, orderBy: {field: CREATED_AT, direction: ASC}) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id number body additions deletions changedFiles
        commits { totalCount }
        comments { totalCount }
        labels(first: 10) { totalCount nodes { name } }
        assignees(first: 10) { totalCount nodes { login } }
        reviewRequests(first: 10) {
          totalCount
          nodes { requestedReviewer { __typename ... on User { login } ... on Team { slug }
                                      ... on Bot { login } ... on Mannequin { login } } }
        }
        mergedBy { __typename login }
        mergeCommit { oid }
        headRefOid baseRefOid authorAssociation isCrossRepository
        timelineItems(first: 50, itemTypes: [REVIEW_REQUESTED_EVENT, REVIEW_REQUEST_REMOVED_EVENT,
                                             READY_FOR_REVIEW_EVENT, CONVERT_TO_DRAFT_EVENT]) {
          totalCount
          pageInfo { hasNextPage endCursor }
          nodes {
            __typename
            ... on ReviewRequestedEvent { id createdAt actor { __typename login }
              requestedReviewer { __typename ... on User { login } ... on Team { slug }
                                  ... on Bot { login } } }
            ... on ReviewRequestRemovedEvent { id createdAt actor { __typename login }
              requestedReviewer { __typename ... on User { login } ... on Team { slug }
                                  ... on Bot { login } } }
            ... on ReadyForReviewEvent { id createdAt actor { __typename login } }
            ... on ConvertToDraftEvent { id createdAt actor { __typename login } }
          }
        }
        reviews(first: 100) { nodes { databaseId body authorAssociation } }
      }
    }
  }
}
"""


MORE_TIMELINE = """
query($owner: String!, $name: String!, $number: Int!, $after: String) {
  repository(owner: $owner, name: $name) { pullRequest(number: $number) {
    timelineItems(first: 100, after: $after, itemTypes: [REVIEW_REQUESTED_EVENT, REVIEW_REQUEST_REMOVED_EVENT,
                                                       READY_FOR_REVIEW_EVENT, CONVERT_TO_DRAFT_EVENT]) {
      pageInfo { hasNextPage endCursor }
      nodes {
        __typename
        ... on ReviewRequestedEvent { id createdAt actor { __typename login }
          requestedReviewer { __typename ... on User { login } ... on Team { slug } ... on Bot { login } } }
        ... on ReviewRequestRemovedEvent { id createdAt actor { __typename login }
          requestedReviewer { __typename ... on User { login } ... on Team { slug } ... on Bot { login } } }
        ... on ReadyForReviewEvent { id createdAt actor { __typename login } }
        ... on ConvertToDraftEvent { id createdAt actor { __typename login } }
      }
    }
  } }
}
"""


def rest_login(node: dict[str, Any] | None) -> str | None:
    """GraphQL's Bot.login drops ``[bot]``; REST (and truth) keep it."""
    if node is None:
        return None
    return node["login"] + "[bot]" if node.get("__typename") == "Bot" else node["login"]


def iso(value: Any) -> Any:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(value, datetime) else value


def legacy_kind(node_id: str) -> str:
    raw = base64.b64decode(node_id).decode()
    size, _, rest = raw[1:].partition(":")
    return rest[: int(size)]


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    """Raw HTTP against a simulator this module never mutates, with budgets that outlast its
    requests (the session's shared simulator keeps GitHub's 5,000 for the other modules)."""
    sim = GitHubSimulator("small", 7, rate_limit=1_000_000, graphql_rate_limit=1_000_000).start()
    yield Client(sim)
    sim.stop()


@pytest.fixture
def rich(simulator: GitHubSimulator) -> tuple[GitHubSimulator, Client]:
    return simulator, Client(simulator)


# ---- REST: list items vs full pull request -------------------------------------------------


def test_list_items_carry_review_fields_but_not_counts(client: Client, github_real: Loader) -> None:
    """GET /pulls items: labels, assignees, requested reviewers/teams, shas, association, body,
    draft -- but none of the counts, merged_by or mergeability (pulls_list.json)."""
    sim = client.sim
    full_name, number = find_pull(sim, lambda p: p.state == "open" and p.requested_teams and p.labels)
    items = client.get(f"/repos/{full_name}/pulls?state=all&per_page=100&sort=created&direction=asc")
    pages = [items.json()]
    while 'rel="next"' in items.headers.get("Link", ""):
        nxt = items.headers["Link"].split(";")[0].strip("<>")
        items = client.session.get(nxt, timeout=10)
        pages.append(items.json())
    item = next(i for page in pages for i in page if i["number"] == number)
    real_item = github_real("pulls_list.json")["body"][0]
    assert LIST_ONLY_OMITS.isdisjoint(real_item), "the recording itself omits these"
    assert LIST_ONLY_OMITS.isdisjoint(item)
    assert set(real_item) <= set(item)
    assert item["requested_teams"] and item["labels"]
    assert item["head"]["sha"] and item["base"]["sha"] and item["author_association"]
    assert schema_errors(schema("pull-request-simple"), item) == []
    full = client.get(f"/repos/{full_name}/pulls/{number}").json()
    assert set(full) >= LIST_ONLY_OMITS
    assert schema_errors(schema("pull-request"), full) == []
    recorded = github_real("pull_requested_reviewers_and_team.json")["body"]
    assert_same_shape(full, recorded)
    assert set(full["requested_teams"][0]) >= set(recorded["requested_teams"][0]) | {"type"}


def test_merged_pull_keeps_pending_team_request_like_recording(client: Client, github_real: Loader) -> None:
    full_name, number = find_pull(client.sim, lambda p: p.merged and p.requested_teams and len(p.labels) > 1)
    full = client.get(f"/repos/{full_name}/pulls/{number}").json()
    assert_same_shape(full, github_real("pull_requested_team_labels.json")["body"])
    assert full["merged_by"] is not None and full["requested_teams"]
    assert schema_errors(schema("pull-request"), full) == []


# ---- REST: the issue timeline --------------------------------------------------------------


def all_timeline(client: Client, full_name: str, number: int, **headers: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    resp = client.get(f"/repos/{full_name}/issues/{number}/timeline?per_page=100", **headers)
    while True:
        assert resp.status_code == 200
        out += resp.json()
        link = resp.headers.get("Link", "")
        if 'rel="next"' not in link:
            return out
        resp = client.session.get(link.split(";")[0].strip("<>"), headers=headers, timeout=10)


RECORDED_KIND = {
    # kind -> (recording, predicate on a recorded item)
    "review_requested": ("timeline_pr_review_requests.json", lambda i: "requested_reviewer" in i),
    "review_request_removed": ("timeline_pr_review_requests.json", lambda i: True),
    "ready_for_review": ("timeline_pr_ready_for_review.json", lambda i: True),
    "head_ref_force_pushed": ("timeline_pr_ready_for_review.json", lambda i: True),
    "labeled": ("timeline_pr_review_requests.json", lambda i: True),
    "unlabeled": ("timeline_pr_review_requests.json", lambda i: True),
    "merged": ("timeline_pr_review_requests.json", lambda i: True),
    "closed": ("timeline_pr_review_requests.json", lambda i: True),
    "reviewed": ("timeline_pr_review_requests.json", lambda i: True),
    "commented": ("timeline_pr_review_requests.json", lambda i: True),
    "committed": ("timeline_pr_recorded_2025.json", lambda i: True),
    "cross-referenced": ("timeline_pr_review_requests.json", lambda i: True),
    "assigned": ("timeline_pr_recorded_2025.json", lambda i: True),
}


def test_timeline_items_match_recordings_and_schemas(client: Client, github_real: Loader) -> None:
    """Every kind the simulator serves has the recorded shape and validates against GitHub's
    timeline-issue-events schema; review requests match their own members."""
    sim = client.sim
    seen: dict[str, dict[str, Any]] = {}
    team_item: dict[str, Any] | None = None
    with sim.world.lock:
        candidates = sorted(
            (r.full_name, p.number, len({e.event for e in p.timeline}))
            for r in sim.world.repos.values()
            for p in r.pulls.values()
        )
    candidates.sort(key=lambda c: -c[2])
    validator = schema("timeline-issue-events")  # an anyOf of 33 members: slow, so 3 items per kind
    validated: dict[str, int] = {}
    for full_name, number, _ in candidates:
        if set(RECORDED_KIND) <= set(seen) and team_item is not None:
            break
        for item in all_timeline(client, full_name, number):
            kind = item["event"]
            if validated.get(kind, 0) < 3:
                assert schema_errors(validator, item) == [], kind
                validated[kind] = validated.get(kind, 0) + 1
            if kind in ("review_requested", "review_request_removed") and "requested_team" in item:
                team_item = team_item or (item if kind == "review_requested" else None)
            else:
                seen.setdefault(kind, item)
    missing = set(RECORDED_KIND) - set(seen)
    assert not missing, missing
    for kind, (recording, pick) in RECORDED_KIND.items():
        real = next(i for i in github_real(recording)["body"] if i.get("event") == kind and pick(i))
        if kind == "cross-referenced":  # the source issue's contents are data: compare its keys only
            issue_keys = set(real["source"]["issue"]) - {"repository", "pull_request", "draft"}
            assert set(seen[kind]["source"]["issue"]) >= issue_keys
            real = {**real, "source": {"type": real["source"]["type"]}}
            seen[kind] = {**seen[kind], "source": {"type": seen[kind]["source"]["type"]}}
        assert_same_shape(seen[kind], real, kind)
        assert list(seen[kind]) == list(real), f"{kind}: key order differs from the recording"
    assert team_item is not None
    assert "requested_reviewer" not in team_item
    real_team = next(
        i for i in github_real("timeline_pr_team_review_request.json")["body"] if "requested_team" in i
    )
    assert list(team_item) == list(real_team)
    assert_same_shape(team_item, {**real_team, "requested_team": {**real_team["requested_team"]}})
    for kind, member in (
        ("review_requested", "review-requested-issue-event"),
        ("review_request_removed", "review-request-removed-issue-event"),
        ("ready_for_review", "state-change-issue-event"),
    ):
        assert schema_errors(schema(member), seen[kind]) == []
    assert schema_errors(schema("review-requested-issue-event"), team_item) == []
    assert seen["reviewed"]["state"] == seen["reviewed"]["state"].lower()


def test_timeline_convert_to_draft_is_a_state_change_event(rich: tuple[GitHubSimulator, Client]) -> None:
    sim, client = rich
    full_name, number = find_pull(sim, lambda p: p.state == "open" and not p.draft)
    sim.convert_to_draft(full_name, number, by="alice")
    items = all_timeline(client, full_name, number)
    item = items[-1]
    assert item["event"] == "convert_to_draft" and item["actor"]["login"] == "alice"
    assert schema_errors(schema("state-change-issue-event"), item) == []
    assert schema_errors(schema("timeline-issue-events"), item) == []


def test_timeline_paginates_with_link_and_etag(rich: tuple[GitHubSimulator, Client]) -> None:
    sim, client = rich
    full_name, number = find_pull(sim, lambda p: len(p.timeline) + p.commits + p.comments > 12)
    whole = all_timeline(client, full_name, number)
    first = client.get(f"/repos/{full_name}/issues/{number}/timeline?per_page=5")
    assert first.status_code == 200 and len(first.json()) == 5
    link = first.headers["Link"]
    assert 'rel="next"' in link and 'rel="last"' in link and "/repositories/" in link
    paged: list[dict[str, Any]] = []
    page = 1
    while True:
        resp = client.get(f"/repos/{full_name}/issues/{number}/timeline?per_page=5&page={page}")
        chunk = resp.json()
        if not chunk:
            break
        paged += chunk
        page += 1
    assert paged == whole
    times = [i.get("created_at") or i.get("submitted_at") or i.get("author", {}).get("date") for i in whole]
    assert times == sorted(times), "timeline items come in time order"
    etag = first.headers["ETag"]
    again = client.get(f"/repos/{full_name}/issues/{number}/timeline?per_page=5", **{"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    sim.add_label(
        full_name,
        number,
        "needs review"
        if not any(lab.name == "needs review" for lab in sim.world.resolve(full_name).pulls[number].labels)
        else "bug-new",
    )
    changed = client.get(
        f"/repos/{full_name}/issues/{number}/timeline?per_page=100", **{"If-None-Match": etag}
    )
    assert changed.status_code == 200
    assert client.get(f"/repos/{full_name}/issues/999999/timeline").status_code == 404


def test_timeline_of_a_plain_issue_is_empty(client: Client) -> None:
    with client.sim.world.lock:
        repo = next(iter(client.sim.world.repos.values()))
        full_name, number = repo.full_name, min(repo.issues)
    resp = client.get(f"/repos/{full_name}/issues/{number}/timeline")
    assert resp.status_code == 200 and resp.json() == []


# ---- node id formats ----------------------------------------------------------------------


def test_next_global_id_header_makes_rest_ids_match_graphql_and_truth(client: Client) -> None:
    sim = client.sim
    full_name, number = find_pull(
        sim,
        lambda p: (
            {"review_requested", "ready_for_review"} <= {e.event for e in p.timeline}
            and p.requested_teams
            and p.author is not None
        ),
    )
    legacy = all_timeline(client, full_name, number)
    nxt = all_timeline(client, full_name, number, **NEXT)
    kinds = {i["event"] for i in legacy}
    assert {"review_requested", "ready_for_review"} <= kinds
    for old, new in zip(legacy, nxt, strict=True):
        if old["event"] in CONTRACT_EVENTS:
            assert old["node_id"].startswith("MD"), "without the header: legacy ids"
            assert legacy_kind(old["node_id"]) in (
                "ReviewRequestedEvent",
                "ReadyForReviewEvent",
                "ReviewRequestRemovedEvent",
                "ConvertToDraftEvent",
            )
            assert new["node_id"].split("_")[0] in ("RRE", "RRRE", "RFRE", "CTDE")
            assert old["actor"]["node_id"].startswith("MD") and not new["actor"]["node_id"].startswith("MD")
            assert old["id"] == new["id"]
    truth_ids = [t["node_id"] for t in sim.truth(full_name)["timeline"] if t["pr_number"] == number]
    rest_ids = [i["node_id"] for i in nxt if i["event"] in CONTRACT_EVENTS]
    assert rest_ids == truth_ids
    owner, name = full_name.split("/")
    data = client.graphql(RICH_QUERY, {"owner": owner, "name": name, "first": 100}).json()["data"]
    node = next(n for n in data["repository"]["pullRequests"]["nodes"] if n["number"] == number)
    assert [e["id"] for e in node["timelineItems"]["nodes"]] == truth_ids
    pull = client.get(f"/repos/{full_name}/pulls/{number}", **NEXT).json()
    assert pull["user"]["node_id"].startswith(("U_", "BOT_"))
    assert pull["requested_teams"][0]["node_id"].startswith("T_")
    assert client.get(f"/repos/{full_name}/pulls/{number}").json()["user"]["node_id"].startswith("MD")
    gql = client.session.post(
        client.sim.url + "/graphql",
        json={"query": "{ viewer { id } }"},
        headers=NEXT,
        timeout=10,
    ).json()
    assert gql["data"]["viewer"]["id"].startswith("U_")


# ---- REST, GraphQL and truth agree ----------------------------------------------------------


def rows_from_graphql(
    client: Client, full_name: str
) -> tuple[dict[int, dict[str, Any]], list[dict[str, Any]]]:
    owner, name = full_name.split("/")
    pulls: dict[int, dict[str, Any]] = {}
    timeline: list[dict[str, Any]] = []
    after = None
    while True:
        body = client.graphql(RICH_QUERY, {"owner": owner, "name": name, "first": 50, "after": after}).json()
        assert "errors" not in body, body["errors"]
        conn = body["data"]["repository"]["pullRequests"]
        for n in conn["nodes"]:
            items = n["timelineItems"]
            while items["pageInfo"]["hasNextPage"]:  # an overflowing nested connection: follow it
                more = client.graphql(
                    MORE_TIMELINE,
                    {
                        "owner": owner,
                        "name": name,
                        "number": n["number"],
                        "after": items["pageInfo"]["endCursor"],
                    },
                ).json()["data"]["repository"]["pullRequest"]["timelineItems"]
                n["timelineItems"]["nodes"] += more["nodes"]
                items = more
            requests_ = n["reviewRequests"]["nodes"]
            pulls[n["number"]] = {
                "node_id": n["id"],
                "body": n["body"] or None,
                "additions": n["additions"],
                "deletions": n["deletions"],
                "changed_files": n["changedFiles"],
                "commits": n["commits"]["totalCount"],
                "comments": n["comments"]["totalCount"],
                "labels": sorted(x["name"] for x in n["labels"]["nodes"]),
                "assignees": sorted(x["login"] for x in n["assignees"]["nodes"]),
                "requested_reviewers": sorted(
                    rest_login(r["requestedReviewer"])
                    for r in requests_
                    if r["requestedReviewer"]["__typename"] != "Team"
                ),
                "requested_teams": sorted(
                    r["requestedReviewer"]["slug"]
                    for r in requests_
                    if r["requestedReviewer"]["__typename"] == "Team"
                ),
                "merged_by_login": rest_login(n["mergedBy"]),
                "merge_commit_sha": (n["mergeCommit"] or {}).get("oid"),
                "head_sha": n["headRefOid"],
                "base_sha": n["baseRefOid"],
                "author_association": n["authorAssociation"],
                "is_cross_repository": n["isCrossRepository"],
                "ready_for_review_at": next(
                    (
                        e["createdAt"]
                        for e in n["timelineItems"]["nodes"]
                        if e["__typename"] == "ReadyForReviewEvent"
                    ),
                    None,
                ),
            }
            for e in n["timelineItems"]["nodes"]:
                target = e.get("requestedReviewer")
                timeline.append(
                    {
                        "pr_number": n["number"],
                        "node_id": e["id"],
                        "event": {
                            "ReviewRequestedEvent": "review_requested",
                            "ReviewRequestRemovedEvent": "review_request_removed",
                            "ReadyForReviewEvent": "ready_for_review",
                            "ConvertToDraftEvent": "convert_to_draft",
                        }[e["__typename"]],
                        "actor_login": rest_login(e["actor"]),
                        "requested_reviewer": rest_login(target)
                        if target and target["__typename"] != "Team"
                        else None,
                        "requested_team": target["slug"]
                        if target and target["__typename"] == "Team"
                        else None,
                        "created_at": e["createdAt"],
                    }
                )
        if not conn["pageInfo"]["hasNextPage"]:
            return pulls, timeline
        after = conn["pageInfo"]["endCursor"]


def test_graphql_agrees_with_truth(client: Client) -> None:
    full_name = "Acme/Widgets"
    truth = client.sim.truth(full_name)
    assert (
        max(sum(t["pr_number"] == p["number"] for t in truth["timeline"]) for p in truth["pull_requests"])
        > 100
    )
    pulls, timeline = rows_from_graphql(client, full_name)
    for row in truth["pull_requests"]:
        got = pulls[row["number"]]
        want = {k: iso(row[k]) for k in got}
        assert got == want, row["number"]
    want_timeline = [{k: iso(v) for k, v in t.items()} for t in truth["timeline"]]
    assert timeline == want_timeline
    assert {"review_requested", "review_request_removed", "ready_for_review"} <= {
        t["event"] for t in timeline
    }


def test_rest_agrees_with_truth(client: Client) -> None:
    """The REST-only path (list + GET /pulls/{n} + timeline, with the next-id header) gives truth."""
    full_name = "jDoe-Dev/sprocket.js"
    truth = client.sim.truth(full_name)
    numbers = [r["number"] for r in truth["pull_requests"]][:40]
    for row in truth["pull_requests"]:
        if row["number"] not in numbers:
            continue
        pr = client.get(f"/repos/{full_name}/pulls/{row['number']}", **NEXT).json()
        items = all_timeline(client, full_name, row["number"], **NEXT)
        got = {
            "node_id": pr["node_id"],
            "body": pr["body"] or None,
            "additions": pr["additions"],
            "deletions": pr["deletions"],
            "changed_files": pr["changed_files"],
            "commits": pr["commits"],
            "comments": pr["comments"],
            "labels": sorted(x["name"] for x in pr["labels"]),
            "assignees": sorted(x["login"] for x in pr["assignees"]),
            "requested_reviewers": sorted(x["login"] for x in pr["requested_reviewers"]),
            "requested_teams": sorted(x["slug"] for x in pr["requested_teams"]),
            "merged_by_login": (pr["merged_by"] or {}).get("login"),
            "merge_commit_sha": pr["merge_commit_sha"] if pr["merged"] else None,
            "head_sha": pr["head"]["sha"],
            "base_sha": pr["base"]["sha"],
            "author_association": pr["author_association"],
            "is_cross_repository": pr["head"]["repo"] is None
            or pr["head"]["repo"]["id"] != pr["base"]["repo"]["id"],
            "ready_for_review_at": next(
                (i["created_at"] for i in items if i["event"] == "ready_for_review"), None
            ),
        }
        assert got == {k: iso(row[k]) for k in got}, row["number"]
        rest_timeline = [
            {
                "pr_number": row["number"],
                "node_id": i["node_id"],
                "event": i["event"],
                "actor_login": (i["actor"] or {}).get("login"),
                "requested_reviewer": (i.get("requested_reviewer") or {}).get("login"),
                "requested_team": (i.get("requested_team") or {}).get("slug"),
                "created_at": i["created_at"],
            }
            for i in items
            if i["event"] in CONTRACT_EVENTS
        ]
        want = [
            {k: iso(v) for k, v in t.items()} for t in truth["timeline"] if t["pr_number"] == row["number"]
        ]
        assert rest_timeline == want


def test_reviews_carry_body_and_association_in_truth_rest_and_graphql(client: Client) -> None:
    full_name, number = find_pull(client.sim, lambda p: len(p.reviews) >= 2)
    truth = [r for r in client.sim.truth(full_name)["reviews"] if r["pr_number"] == number]
    rest = client.get(f"/repos/{full_name}/pulls/{number}/reviews?per_page=100").json()
    assert [(r["id"], r["body"], r["author_association"]) for r in rest] == [
        (t["id"], t["body"], t["author_association"]) for t in truth
    ]


# ---- GraphQL: nested pagination, validation, cost -------------------------------------------


def test_nested_connections_paginate(rich: tuple[GitHubSimulator, Client]) -> None:
    sim, client = rich
    full_name, number = find_pull(sim, lambda p: p.state == "open" and p.author is not None and not p.draft)
    for login in ("alice", "Bob", "carol"):
        if sim.world.account(login) is not sim.world.resolve(full_name).pulls[number].author:
            sim.request_review(full_name, number, reviewer=login)
    sim.convert_to_draft(full_name, number)
    sim.mark_ready_for_review(full_name, number)
    for name in ("x-one", "x-two", "x-three"):
        sim.add_label(full_name, number, name)
    owner, name = full_name.split("/")
    query = """
    query($owner: String!, $name: String!, $number: Int!, $after: String, $labelsAfter: String) {
      repository(owner: $owner, name: $name) { pullRequest(number: $number) {
        labels(first: 2, after: $labelsAfter) { totalCount pageInfo { hasNextPage endCursor } nodes { name } }
        timelineItems(first: 2, after: $after, itemTypes: [REVIEW_REQUESTED_EVENT,
            READY_FOR_REVIEW_EVENT, CONVERT_TO_DRAFT_EVENT, REVIEW_REQUEST_REMOVED_EVENT]) {
          totalCount filteredCount pageCount updatedAt pageInfo { hasNextPage endCursor }
          nodes { __typename ... on ReviewRequestedEvent { id } ... on ReadyForReviewEvent { id }
                  ... on ConvertToDraftEvent { id } ... on ReviewRequestRemovedEvent { id } }
        }
      } }
    }"""
    ids: list[str] = []
    after = None
    while True:
        data = client.graphql(query, {"owner": owner, "name": name, "number": number, "after": after}).json()
        conn = data["data"]["repository"]["pullRequest"]["timelineItems"]
        assert conn["pageCount"] == len(conn["nodes"]) <= 2
        ids += [n["id"] for n in conn["nodes"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    truth_ids = [t["node_id"] for t in sim.truth(full_name)["timeline"] if t["pr_number"] == number]
    assert ids == truth_ids and len(ids) == conn["totalCount"] >= 5
    names: list[str] = []
    labels_after = None
    while True:
        data = client.graphql(
            query, {"owner": owner, "name": name, "number": number, "labelsAfter": labels_after}
        )
        labs = data.json()["data"]["repository"]["pullRequest"]["labels"]
        names += [n["name"] for n in labs["nodes"]]
        if not labs["pageInfo"]["hasNextPage"]:
            break
        labels_after = labs["pageInfo"]["endCursor"]
    assert sorted(names) == next(
        p["labels"] for p in sim.truth(full_name)["pull_requests"] if p["number"] == number
    )


def test_graphql_rejects_wrong_names_like_github(client: Client) -> None:
    bad = client.graphql(
        '{ repository(owner: "Acme", name: "Widgets") { pullRequest(number: 1) { changed_files } } }'
    )
    assert bad.json()["errors"][0]["message"] == "Field 'changed_files' doesn't exist on type 'PullRequest'"
    enum = client.graphql(
        '{ repository(owner: "Acme", name: "Widgets") { pullRequest(number: 1) {'
        " timelineItems(first: 1, itemTypes: [REVIEW_REQUESTED]) { totalCount } } } }"
    )
    assert "errors" in enum.json()
    overflow = client.graphql(
        '{ repository(owner: "Acme", name: "Widgets") { pullRequest(number: 1) {'
        " timelineItems(first: 101) { totalCount } } } }"
    )
    assert overflow.json()["errors"][0]["type"] == "EXCESSIVE_PAGINATION"


@pytest.mark.parametrize("page", [25, 50, 100])
def test_rich_query_cost_follows_githubs_formula(client: Client, page: int) -> None:
    """Every connection costs one request per parent: 1 (pullRequests) + page x 7 nested
    connections (commits, comments, labels, assignees, reviewRequests, timelineItems, reviews);
    points = round(requests / 100), at least 1. Nodes: page x (1 + 10 + 10 + 10 + 50 + 100)."""
    body = client.graphql(RICH_QUERY, {"owner": "Acme", "name": "Widgets", "first": page}).json()
    requests_ = 1 + page * 7
    assert body["data"]["rateLimit"]["cost"] == max(1, math.floor(requests_ / 100 + 0.5))
    assert body["data"]["rateLimit"]["nodeCount"] == page * (1 + 10 + 10 + 10 + 50 + 100)


# ---- control operations ---------------------------------------------------------------------


def test_control_ops_record_events_and_bump_updated_at(simulator: GitHubSimulator) -> None:
    sim = simulator
    control = SimulatorControl(sim.url)
    full_name, number = find_pull(
        sim,
        lambda p: p.state == "open" and not p.draft and p.author is not None and p.author.login != "alice",
    )
    before = {p["number"]: p for p in sim.truth(full_name)["pull_requests"]}[number]
    steps = [
        ("request_review", {"reviewer": "alice"}, "review_requested"),
        ("request_review", {"team": "backend"}, "review_requested"),
        ("remove_review_request", {"reviewer": "alice"}, "review_request_removed"),
        ("remove_review_request", {"team": "backend"}, "review_request_removed"),
        ("add_label", {"label": "metrics"}, "labeled"),
        ("remove_label", {"label": "metrics"}, "unlabeled"),
        ("assign", {"assignee": "carol"}, "assigned"),
        ("convert_to_draft", {}, "convert_to_draft"),
        ("mark_ready_for_review", {}, "ready_for_review"),
    ]
    for op, args, kind in steps:
        result = getattr(control, op)(full_name, number, **args, by="Dave")
        assert result["event"]["event"] == kind, op
        assert result["pull_request"]["updated_at"] >= iso(before["updated_at"])
    merged = control.merge_pull(full_name, number, merged_by="erin")
    after = merged["pull_request"]
    assert after["merged_by_login"] == "erin" and after["merge_commit_sha"]
    assert "carol" in after["assignees"]
    assert after["requested_reviewers"] == before["requested_reviewers"]
    assert after["ready_for_review_at"] is not None
    rows = [t for t in control.truth(full_name)["timeline"] if t["pr_number"] == number]
    tail = [(t["event"], t["actor_login"], t["requested_reviewer"], t["requested_team"]) for t in rows][-6:]
    assert tail == [
        ("review_requested", "Dave", "alice", None),
        ("review_requested", "Dave", None, "backend"),
        ("review_request_removed", "Dave", "alice", None),
        ("review_request_removed", "Dave", None, "backend"),
        ("convert_to_draft", "Dave", None, None),
        ("ready_for_review", "Dave", None, None),
    ]


def test_control_ops_refuse_what_github_refuses(simulator: GitHubSimulator) -> None:
    sim = simulator
    control = SimulatorControl(sim.url)
    from github_api_simulator import ControlError

    full_name, number = find_pull(sim, lambda p: p.state == "open" and not p.draft and p.author is not None)
    author = sim.world.resolve(full_name).pulls[number].author
    assert author is not None
    with pytest.raises(ControlError) as err:
        control.request_review(full_name, number, reviewer=author.login)
    assert err.value.status == 422 and "author" in err.value.message
    with pytest.raises(ControlError):
        control.mark_ready_for_review(full_name, number)  # not a draft
    with pytest.raises(ControlError) as err:
        control.remove_label(full_name, number, "no-such-label")
    assert err.value.status == 404
    with pytest.raises(ControlError):
        control.request_review("jDoe-Dev/sprocket.js", 1, team="backend")  # user-owned repository
    with pytest.raises(ControlError):
        control.request_review(full_name, number)  # neither reviewer nor team


def test_submitted_review_satisfies_the_pending_request(simulator: GitHubSimulator) -> None:
    sim = simulator
    full_name, number = find_pull(sim, lambda p: p.state == "open" and p.requested_reviewers)
    who = sim.world.resolve(full_name).pulls[number].requested_reviewers[0].login
    sim.add_review(full_name, number, state="APPROVED", author=who)
    row = next(p for p in sim.truth(full_name)["pull_requests"] if p["number"] == number)
    assert who not in row["requested_reviewers"]


def test_push_and_comment_change_size_and_counts(simulator: GitHubSimulator) -> None:
    sim = simulator
    full_name, number = find_pull(sim, lambda p: p.state == "open")
    before = next(p for p in sim.truth(full_name)["pull_requests"] if p["number"] == number)
    sim.push_commits(full_name, number, commits=2, additions=7, deletions=3, changed_files=1)
    sim.add_comment(full_name, number)
    after = next(p for p in sim.truth(full_name)["pull_requests"] if p["number"] == number)
    assert after["commits"] == before["commits"] + 2 and after["additions"] == before["additions"] + 7
    assert after["comments"] == before["comments"] + 1 and after["head_sha"] != before["head_sha"]
    sim.push_commits(full_name, number, commits=1, additions=1, deletions=0, changed_files=1, force=True)
    pr = sim.world.resolve(full_name).pulls[number]
    assert pr.commits == 1 and pr.timeline[-1].event == "head_ref_force_pushed"


def test_text_github_may_hold_is_served_as_valid_json(rich: tuple[GitHubSimulator, Client]) -> None:
    """NUL characters and unpaired surrogates in bodies reach the client intact (as JSON escapes)."""
    sim, client = rich
    full_name, number = find_pull(sim, lambda p: True)
    text = "nul\x00 and lone \ud800 surrogate"
    sim.update_pull(full_name, number, title="t\x00", body=text)
    resp = client.get(f"/repos/{full_name}/pulls/{number}")
    assert resp.status_code == 200
    assert json.loads(resp.content)["body"] == text
    assert "\\ud800" in resp.text or "\\ud800" in resp.content.decode()


# ---- truth and scenarios --------------------------------------------------------------------


def test_truth_keeps_old_keys_and_adds_new_ones(client: Client) -> None:
    truth = client.sim.truth("acme/widgets")
    pull = truth["pull_requests"][0]
    old = {
        "number",
        "id",
        "title",
        "state",
        "draft",
        "merged",
        "author_login",
        "created_at",
        "updated_at",
        "closed_at",
        "merged_at",
        "base_ref",
        "head_ref",
        "html_url",
    }
    new = {
        "body",
        "additions",
        "deletions",
        "changed_files",
        "commits",
        "comments",
        "labels",
        "assignees",
        "requested_reviewers",
        "requested_teams",
        "merged_by_login",
        "merge_commit_sha",
        "head_sha",
        "base_sha",
        "author_association",
        "is_cross_repository",
        "ready_for_review_at",
    }
    assert old | new <= set(pull)
    assert {
        "pr_number",
        "id",
        "author_login",
        "state",
        "submitted_at",
        "commit_id",
        "body",
        "author_association",
    } <= set(truth["reviews"][0])
    assert set(truth["timeline"][0]) == {
        "pr_number",
        "node_id",
        "event",
        "actor_login",
        "requested_reviewer",
        "requested_team",
        "created_at",
    }
    assert {t["event"] for t in truth["timeline"]} <= set(CONTRACT_EVENTS)
    over_http = SimulatorControl(client.sim.url).truth("acme/widgets")
    assert over_http["timeline"][0]["created_at"] == iso(truth["timeline"][0]["created_at"])
    assert over_http["pull_requests"][0]["labels"] == pull["labels"]


def consistent(pr: PullRequest) -> None:
    assert pr.timeline == sorted(pr.timeline, key=lambda e: (e.created_at, e.id))
    assert all(pr.created_at <= e.created_at <= pr.updated_at for e in pr.timeline)
    pending_users, pending_teams = set(), set()
    for e in pr.timeline:
        if e.event == "review_requested":
            (pending_teams if e.requested_team else pending_users).add(
                e.requested_team or e.requested_reviewer
            )
        elif e.event == "review_request_removed":
            (pending_teams if e.requested_team else pending_users).discard(
                e.requested_team or e.requested_reviewer
            )
    assert set(pr.requested_teams) == pending_teams
    assert set(pr.requested_reviewers) <= pending_users
    if pr.draft:
        assert not pr.timeline or [
            e.event for e in pr.timeline if e.event in ("ready_for_review", "convert_to_draft")
        ][-1:] in ([], ["convert_to_draft"])


def test_scenarios_have_realistic_review_metrics_data() -> None:
    world = build_world("small", 7)
    pulls = [p for r in world.repos.values() for p in r.pulls.values()]
    for pr in pulls:
        consistent(pr)
    events = [e.event for p in pulls for e in p.timeline]
    assert set(CONTRACT_EVENTS) <= set(events)
    assert {"labeled", "assigned", "merged", "closed", "head_ref_force_pushed", "cross-referenced"} <= set(
        events
    )
    assert sum(p.ready_for_review_at is not None for p in pulls) > len(pulls) * 0.1
    assert sum(p.draft for p in pulls) > 0
    assert sum(bool(p.requested_teams) for p in pulls) > 0
    assert any(
        p.requested_teams
        for r in world.repos.values()
        if r.owner.type == "Organization"
        for p in r.pulls.values()
    )
    assert not any(
        p.requested_teams
        for r in world.repos.values()
        if r.owner.type != "Organization"
        for p in r.pulls.values()
    )
    assert sum(p.is_cross_repository for p in pulls) > len(pulls) * 0.1
    assert any(p.author is not None and p.author.login == "dependabot[bot]" for p in pulls)
    assert sum(len(p.assignees) > 1 for p in pulls) > 0
    assert sum(bool(p.body) and not p.body.isascii() for p in pulls) > 0
    assert build_world("small", 7).truth("acme/widgets") == world.truth("acme/widgets")
    assert build_world("small", 8).truth("acme/widgets") != world.truth("acme/widgets")


@pytest.mark.slow
def test_team_scenario_review_metrics_are_consistent() -> None:
    world = build_world("team", 7)
    for repo in world.repos.values():
        for pr in repo.pulls.values():
            consistent(pr)


# ---- a real client (PyGithub) reads the new data ----------------------------------------------


def test_pygithub_reads_timeline_review_requests_and_full_pulls(simulator: GitHubSimulator) -> None:
    from github_api_simulator.pytest_plugin import make_github

    sim = simulator
    full_name, number = find_pull(sim, lambda p: p.state == "open" and p.author is not None and not p.draft)
    sim.request_review(full_name, number, reviewer="alice")
    sim.request_review(full_name, number, team="platform-reviewers")
    sim.add_label(full_name, number, "metrics")
    gh = make_github(sim)
    pull = gh.get_repo(full_name).get_pull(number)
    users, teams = pull.get_review_requests()
    assert "alice" in [u.login for u in users] and [t.slug for t in teams][-1:] == ["platform-reviewers"]
    assert pull.additions >= 0 and pull.changed_files >= 1 and pull.commits >= 1
    assert "metrics" in [lab.name for lab in pull.labels]
    events = list(pull.as_issue().get_timeline())
    kinds = [e.event for e in events]
    assert kinds[-3:] == ["review_requested", "review_requested", "labeled"]
    truth = [t for t in sim.truth(full_name)["timeline"] if t["pr_number"] == number]
    assert truth[-1]["requested_team"] == "platform-reviewers" and truth[-2]["requested_reviewer"] == "alice"


def test_a_label_with_a_lone_surrogate_is_served(rich: tuple[GitHubSimulator, Client]) -> None:
    """JSON can carry an unpaired surrogate (the product cleans it: records.clean_text); the label's
    URL must still be built (quote() of a lone surrogate raised UnicodeEncodeError)."""
    sim, client = rich
    full_name, number = find_pull(sim, lambda p: p.state == "open")
    sim.add_label(full_name, number, "bad \ud800 label")
    labels = client.get(f"/repos/{full_name}/pulls/{number}").json()["labels"]
    assert any(label["name"] == "bad \ud800 label" and "%ED%A0%80" in label["url"] for label in labels)
