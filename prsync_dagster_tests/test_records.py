"""Record parsing against GitHub's real recorded payloads: real-world nulls pass, broken shapes don't."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from prsync_dagster.errors import MalformedPayloadError
from prsync_dagster.github.records import PullRequestRecord, ReviewRecord, graphql_login

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


def test_graphql_node_maps_to_the_same_record_as_rest(github_real: Any) -> None:
    rest = github_real("pull.json")["body"]
    node = {
        "number": rest["number"], "databaseId": rest["id"], "title": rest["title"],
        "state": "MERGED" if rest["merged"] else rest["state"].upper(), "isDraft": rest["draft"],
        "merged": rest["merged"], "createdAt": rest["created_at"], "updatedAt": rest["updated_at"],
        "closedAt": rest["closed_at"], "mergedAt": rest["merged_at"],
        "author": {"__typename": "User", "login": rest["user"]["login"]},
        "baseRefName": rest["base"]["ref"], "headRefName": rest["head"]["ref"], "url": rest["html_url"],
    }  # fmt: skip
    assert PullRequestRecord.from_graphql(node, repo=REPO, repo_id=1) == PullRequestRecord.from_rest(
        rest, repo=REPO, repo_id=1
    )


def test_graphql_bot_logins_get_the_rest_spelling() -> None:
    assert graphql_login({"__typename": "Bot", "login": "dependabot"}) == "dependabot[bot]"
    assert graphql_login({"__typename": "User", "login": "octocat"}) == "octocat"
    assert graphql_login(None) is None
