"""Record parsing against GitHub's real recorded payloads: real-world nulls pass, broken shapes don't."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from prsync_dagster.errors import MalformedPayloadError
from prsync_dagster.github.records import (
    GRAPHQL_TIMELINE_TYPENAMES,
    TIMELINE_EVENTS,
    PullRequestRecord,
    ReviewRecord,
    TimelineRecord,
    clean_text,
    graphql_login,
)

REPO = "pygithub/pygithub"


def test_pull_request_simple_list_item(github_real: Any) -> None:
    item = github_real("pulls_list.json")["body"][0]
    record = PullRequestRecord.from_rest(item, repo=REPO, repo_id=item["base"]["repo"]["id"])
    assert record.number == item["number"] and record.id == item["id"]
    assert record.state == item["state"] and record.merged is (item["merged_at"] is not None)
    assert record.author_login == item["user"]["login"]
    assert record.base_ref == item["base"]["ref"] and record.head_ref == item["head"]["ref"]
    assert record.html_url == item["html_url"]
    assert record.updated_at.tzinfo == UTC


def test_old_list_shape_with_deleted_forks(github_real: Any) -> None:
    """2012: no `draft` key at all, and `head.repo: null` (the fork was deleted)."""
    items = github_real("pulls_list_closed_2012.json")["body"]
    assert any(item["head"]["repo"] is None for item in items)
    records = [PullRequestRecord.from_rest(item, repo=REPO, repo_id=1) for item in items]
    assert all(record.draft is False and record.state == "closed" for record in records)


@pytest.mark.parametrize(
    "name", ["pull.json", "pull_open_draft.json", "pull_head_repo_deleted.json", "pull_538_merged.json"]
)
def test_full_pull_request_payloads(github_real: Any, name: str) -> None:
    payload = github_real(name)["body"]
    record = PullRequestRecord.from_rest(payload, repo=REPO, repo_id=1)
    assert record.merged is payload["merged"]
    assert record.draft is bool(payload.get("draft"))
    assert (record.merged_at is None) is (payload["merged_at"] is None)


def test_deleted_user_is_a_null_author(github_real: Any) -> None:
    payload = copy.deepcopy(github_real("pull.json")["body"])
    payload["user"] = None
    assert PullRequestRecord.from_rest(payload, repo=REPO, repo_id=1).author_login is None


def test_reviews_2018_shape(github_real: Any) -> None:
    reviews = [
        ReviewRecord.from_rest(item, repo=REPO, repo_id=1, pr_number=538)
        for item in github_real("pull_reviews.json")["body"]
    ]
    assert len(reviews) == 5
    assert {review.state for review in reviews} == {"APPROVED", "COMMENTED"}
    assert all(review.submitted_at is not None and review.commit_id for review in reviews)


def test_pending_review_without_submitted_at(github_real: Any) -> None:
    payload = copy.deepcopy(github_real("pull_review_approved.json")["body"])
    payload["state"] = "PENDING"
    payload.pop("submitted_at", None)
    review = ReviewRecord.from_rest(payload, repo=REPO, repo_id=1, pr_number=173)
    assert review.state == "PENDING" and review.submitted_at is None


def test_timestamps_with_offsets_are_stored_in_utc(github_real: Any) -> None:
    payload = copy.deepcopy(github_real("pull.json")["body"])
    payload["updated_at"] = "2026-01-08T15:07:52+02:00"
    record = PullRequestRecord.from_rest(payload, repo=REPO, repo_id=1)
    assert record.updated_at == datetime(2026, 1, 8, 13, 7, 52, tzinfo=UTC)
    assert record.updated_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda p: p.pop("updated_at"), "pull request.updated_at"),
        (lambda p: p.update(state=42), "state"),
        (lambda p: p.update(state="merged"), "state"),
        (lambda p: p.update(created_at="yesterday"), "created_at"),
        (lambda p: p.update(created_at="2026-01-08T13:07:52"), "created_at"),  # no time zone
        (lambda p: p.update(updated_at=42), "updated_at"),  # not 1970-01-01T00:00:42Z
        (lambda p: p.update(base=None), "pull request"),
        (lambda p: p.update(number="seven"), "number"),
    ],
)
def test_malformed_pull_request_names_repo_pr_and_field(github_real: Any, change: Any, field: str) -> None:
    payload = copy.deepcopy(github_real("pull.json")["body"])
    change(payload)
    with pytest.raises(MalformedPayloadError) as caught:
        PullRequestRecord.from_rest(payload, repo=REPO, repo_id=1)
    message = str(caught.value)
    assert message.startswith(f"malformed payload from GitHub for {REPO} pull request #")
    assert field in message


def test_graphql_nodes_of_a_real_answer_lack_our_fields(github_real: Any) -> None:
    """A real GraphQL answer to a different query: our parser names the first missing field."""
    node = github_real("graphql_pull_requests_reviews.json")["body"]["data"]["repository"]["pullRequests"][
        "nodes"
    ][0]
    with pytest.raises(
        MalformedPayloadError, match=r"pull request #14630: field 'pull request.state': missing"
    ):
        PullRequestRecord.from_graphql(node, repo="fastapi/fastapi", repo_id=1)


def _graphql_node_like(rest: dict[str, Any]) -> dict[str, Any]:
    """The GraphQL ``PullRequest`` node GitHub would answer for the same PR as ``rest``."""
    cross = rest["head"]["repo"] is None or rest["head"]["repo"]["id"] != rest["base"]["repo"]["id"]
    return {
        "number": rest["number"], "databaseId": rest["id"], "title": rest["title"],
        "state": "MERGED" if rest["merged"] else rest["state"].upper(), "isDraft": rest["draft"],
        "merged": rest["merged"], "createdAt": rest["created_at"], "updatedAt": rest["updated_at"],
        "closedAt": rest["closed_at"], "mergedAt": rest["merged_at"],
        "author": {"__typename": "User", "login": rest["user"]["login"]},
        "baseRefName": rest["base"]["ref"], "headRefName": rest["head"]["ref"], "url": rest["html_url"],
        "body": rest["body"] or "",  # GraphQL's body is String!: "" where REST says null
        "additions": rest["additions"], "deletions": rest["deletions"],
        "changedFiles": rest["changed_files"],
        "commits": {"totalCount": rest["commits"]}, "comments": {"totalCount": rest["comments"]},
        "labels": {"nodes": [{"name": label["name"]} for label in reversed(rest["labels"])]},
        "assignees": {"nodes": [{"login": user["login"]} for user in rest["assignees"]]},
        "reviewRequests": {"nodes": [
            *({"requestedReviewer": {"__typename": "User", "login": u["login"]}}
              for u in rest["requested_reviewers"]),
            *({"requestedReviewer": {"__typename": "Team", "slug": t["slug"]}}
              for t in rest["requested_teams"]),
        ]},
        "mergedBy": rest["merged_by"] and {"__typename": "User", "login": rest["merged_by"]["login"]},
        "mergeCommit": {"oid": rest["merge_commit_sha"]} if rest["merged"] else None,
        "headRefOid": rest["head"]["sha"], "baseRefOid": rest["base"]["sha"],
        "authorAssociation": rest["author_association"], "isCrossRepository": cross,
    }  # fmt: skip


@pytest.mark.parametrize(
    "name", ["pull.json", "pull_requested_reviewers_and_team.json", "pull_requested_team_labels.json"]
)
def test_graphql_node_maps_to_the_same_record_as_rest(github_real: Any, name: str) -> None:
    rest = github_real(name)["body"]
    from_rest = PullRequestRecord.from_rest(rest, repo=REPO, repo_id=1, full=rest)
    assert PullRequestRecord.from_graphql(_graphql_node_like(rest), repo=REPO, repo_id=1) == from_rest


def test_rich_fields_of_a_real_open_pr_with_user_and_team_requests(github_real: Any) -> None:
    rest = github_real("pull_requested_reviewers_and_team.json")["body"]
    list_item = {key: value for key, value in rest.items() if key not in ("additions", "merged_by")}
    record = PullRequestRecord.from_rest(list_item, repo=REPO, repo_id=1, full=rest)
    assert record.requested_reviewers == ("naomi-lgbt", "scissorsneedfoodtoo")  # sorted
    assert record.requested_teams == ("dev-team",)
    assert record.labels == ("platform: api",) and record.assignees == ()
    assert record.author_association == "NONE" and record.is_cross_repository is True
    assert (record.additions, record.deletions, record.changed_files) == (1, 6, 4)
    assert (record.commits, record.comments) == (5, 2)
    # open: REST's merge_commit_sha is the test merge commit, not a merge; stored as NULL
    assert rest["merge_commit_sha"] and record.merge_commit_sha is None and record.merged_by_login is None
    assert record.head_sha == rest["head"]["sha"] and record.base_sha == rest["base"]["sha"]
    # the list item alone (no GET /pulls/{n}): size and counts unknown, never guessed
    bare = PullRequestRecord.from_rest(list_item, repo=REPO, repo_id=1)
    assert bare.additions is None and bare.commits is None and bare.labels == record.labels


def test_merged_pr_keeps_merged_by_and_merge_commit(github_real: Any) -> None:
    rest = github_real("pull_requested_team_labels.json")["body"]
    record = PullRequestRecord.from_rest(rest, repo=REPO, repo_id=1, full=rest)
    assert record.merged and record.merged_by_login == rest["merged_by"]["login"]
    assert record.merge_commit_sha == rest["merge_commit_sha"]
    assert record.labels == tuple(sorted(label["name"] for label in rest["labels"]))
    assert record.is_cross_repository is True  # head in owaiskazi19/OpenSearch, a fork


def test_deleted_fork_counts_as_cross_repository(github_real: Any) -> None:
    rest = github_real("pull_head_repo_deleted.json")["body"]
    assert PullRequestRecord.from_rest(rest, repo=REPO, repo_id=1).is_cross_repository is True


@pytest.mark.parametrize(
    "name",
    ["timeline_pr_review_requests.json", "timeline_pr_team_review_request.json",
     "timeline_pr_ready_for_review.json", "timeline_pr_recorded_2025.json"],
)  # fmt: skip
def test_rest_timeline_keeps_only_the_four_kinds(github_real: Any, name: str) -> None:
    items = github_real(name)["body"]
    records = [TimelineRecord.from_rest(item, repo=REPO, repo_id=1, pr_number=7) for item in items]
    kept = [record for record in records if record is not None]
    assert len(kept) == sum(1 for item in items if item.get("event") in TIMELINE_EVENTS)
    for record, item in zip(kept, [i for i in items if i.get("event") in TIMELINE_EVENTS], strict=True):
        assert record.node_id == item["node_id"] and record.event == item["event"]
        assert record.actor_login == item["actor"]["login"]
        if record.event.startswith("review_request"):
            # exactly one of a user or a team was requested; the other key is absent, not null
            assert (record.requested_reviewer is None) != (record.requested_team is None)
        else:
            assert record.requested_reviewer is None and record.requested_team is None


def test_rest_timeline_team_request_and_ready_for_review(github_real: Any) -> None:
    team = [
        TimelineRecord.from_rest(item, repo=REPO, repo_id=1, pr_number=7)
        for item in github_real("timeline_pr_team_review_request.json")["body"]
    ]
    assert any(r is not None and r.requested_team for r in team)
    ready_items = github_real("timeline_pr_ready_for_review.json")["body"]
    ready = [TimelineRecord.from_rest(item, repo=REPO, repo_id=1, pr_number=7) for item in ready_items]
    events = [r for r in ready if r is not None]
    assert [r.event for r in events].count("ready_for_review") == 1


def test_graphql_timeline_items_of_a_real_answer(github_real: Any) -> None:
    """The 2021 recording: ReviewRequestedEvent nodes, a Team fragment not selected comes back {}.

    That client did not select ``id``: the parser names the missing field; with ids the events parse.
    """
    data = github_real("graphql_pull_request_timeline_items.json")["body"]["data"]
    nodes = copy.deepcopy(data["repository"]["pullRequest"]["timelineItems"]["nodes"])
    first = next(node for node in nodes if node.get("__typename") in GRAPHQL_TIMELINE_TYPENAMES)
    with pytest.raises(MalformedPayloadError, match=r"field 'timeline item.id': missing"):
        TimelineRecord.from_graphql(first, repo=REPO, repo_id=1, pr_number=7)
    for index, node in enumerate(nodes):
        node["id"] = f"RRE_{index}"
    records = [TimelineRecord.from_graphql(node, repo=REPO, repo_id=1, pr_number=7) for node in nodes]
    requested = [r for r in records if r is not None]
    assert requested and all(r.event == "review_requested" for r in requested)
    assert [r.requested_reviewer for r in requested] == ["unknwon", "felixfbecker"]
    assert sum(1 for node in nodes if node.get("__typename") in GRAPHQL_TIMELINE_TYPENAMES) == len(requested)


def test_ready_for_review_at_is_the_first_ready_event() -> None:
    from prsync_dagster.github.records import PullRequestWithReviews
    from prsync_dagster_tests.plugins.warehouse import make_pr

    def event(node_id: str, kind: str, day: int) -> TimelineRecord:
        return TimelineRecord(
            repo=REPO, repo_id=1, pr_number=1, node_id=node_id, event=kind, actor_login="a",  # type: ignore[arg-type]
            requested_reviewer=None, requested_team=None, created_at=datetime(2024, 1, day, tzinfo=UTC),
        )  # fmt: skip

    pr = make_pr(REPO, 1)
    later, first = event("B", "ready_for_review", 9), event("A", "ready_for_review", 3)
    draft = event("C", "convert_to_draft", 5)
    item = PullRequestWithReviews.build(pr, [], [later, draft, first, first])
    assert item.pull_request.ready_for_review_at == datetime(2024, 1, 3, tzinfo=UTC)
    assert len(item.timeline) == 3  # the repeated event is kept once
    assert PullRequestWithReviews.build(pr, [], [draft]).pull_request.ready_for_review_at is None


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("a\x00b", "a\ufffdb"),
        ("lone \ud800 high", "lone \ufffd high"),
        ("lone \udfff low", "lone \ufffd low"),
        ("paired \U0001f600 ok", "paired \U0001f600 ok"),
        ("plain", "plain"),
    ],
)
def test_unstorable_text_is_cleaned_in_every_text_field(raw: str, stored: str) -> None:
    assert clean_text(raw) == stored
    from prsync_dagster_tests.plugins.warehouse import make_pr

    pr = make_pr(REPO, 1, title=raw, body=raw, labels=[raw, "z"], head_ref=raw, author_login=raw)
    assert pr.title == pr.body == pr.head_ref == pr.author_login == stored
    assert stored in pr.labels


def test_graphql_bot_logins_get_the_rest_spelling() -> None:
    assert graphql_login({"__typename": "Bot", "login": "dependabot"}) == "dependabot[bot]"
    assert graphql_login({"__typename": "User", "login": "octocat"}) == "octocat"
    assert graphql_login(None) is None
