"""Review metrics on a small hand-built dataset, on DuckDB and Postgres (issue 10, item 4).

Every expected value below is worked out by hand from the rows written in this file (the
arithmetic is in the comments), never by calling the product's code. The definitions are the
contract's ("Review-metrics data"); see ``prsync_dagster/metrics/sql.py`` for how they are read.

The week of T is Monday 2024-03-04 (UTC) to Sunday 2024-03-10; the next ISO week starts
Monday 2024-03-11 = T + 168 h.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from prsync_dagster.metrics.sql import (
    pull_request_metrics,
    recent_figures,
    refresh_pull_request_metrics,
    refresh_weekly_metrics,
    waiting_for_review,
    weekly_metrics,
)
from prsync_dagster.warehouse.base import Warehouse

REPO = "acme/metrics"
OTHER = "acme/other"
T = datetime(2024, 3, 4, 0, 0, tzinfo=UTC)  # a Monday
COMPUTED_AT = datetime(2024, 3, 20, tzinfo=UTC)


def h(hours: float) -> datetime:
    return T + timedelta(hours=hours)


def _execute(warehouse: Warehouse, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with warehouse._session("test data") as executor:  # type: ignore[attr-defined]
        return executor.execute(sql, params)


def insert_pr(
    warehouse: Warehouse,
    repo: str,
    number: int,
    *,
    author: str | None,
    created: datetime,
    additions: int,
    deletions: int,
    ready: datetime | None = None,
    merged: datetime | None = None,
    closed: datetime | None = None,
    draft: bool = False,
) -> None:
    state = "closed" if (merged or closed) else "open"
    _execute(
        warehouse,
        "INSERT INTO github.pull_requests (repo, repo_id, number, id, title, state, draft, merged, "
        "author_login, created_at, updated_at, closed_at, merged_at, base_ref, head_ref, html_url, "
        "synced_at, additions, deletions, ready_for_review_at) "
        "VALUES (%s, 1, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'main', 'topic', %s, %s, %s, %s, %s)",
        [
            repo, number, 1000 + number, f"PR {number}", state, draft, merged is not None, author,
            created, created, closed or merged, merged, f"https://github.com/{repo}/pull/{number}",
            COMPUTED_AT, additions, deletions, ready,
        ],
    )  # fmt: skip


def insert_review(
    warehouse: Warehouse,
    repo: str,
    number: int,
    review_id: int,
    author: str | None,
    state: str,
    submitted: datetime | None,
) -> None:
    _execute(
        warehouse,
        "INSERT INTO github.pull_request_reviews (repo, repo_id, pr_number, id, author_login, state, "
        "submitted_at, commit_id, synced_at) VALUES (%s, 1, %s, %s, %s, %s, %s, 'abc', %s)",
        [repo, number, review_id, author, state, submitted, COMPUTED_AT],
    )


def insert_event(
    warehouse: Warehouse,
    repo: str,
    number: int,
    node_id: str,
    event: str,
    at: datetime,
    reviewer: str | None = None,
    team: str | None = None,
) -> None:
    _execute(
        warehouse,
        "INSERT INTO github.pull_request_timeline (repo, repo_id, pr_number, node_id, event, actor_login, "
        "requested_reviewer, requested_team, created_at, synced_at) "
        "VALUES (%s, 1, %s, %s, %s, 'someone', %s, %s, %s, %s)",
        [repo, number, node_id, event, reviewer, team, at, COMPUTED_AT],
    )


def build_dataset(wh: Warehouse) -> None:
    # 1: author self-review and a bot review do not count; bob's comment at +5 h is the first review.
    insert_pr(wh, REPO, 1, author="alice", created=h(1), additions=10, deletions=5)
    insert_review(wh, REPO, 1, 101, "alice", "COMMENTED", h(2))  # self-review
    insert_review(wh, REPO, 1, 102, "dependabot[bot]", "APPROVED", h(3))  # bot
    insert_review(wh, REPO, 1, 103, "bob", "COMMENTED", h(5))

    # 2: a dismissed approval is a review but not an approval; a PENDING review is nothing.
    insert_pr(wh, REPO, 2, author="carol", created=h(2), additions=100, deletions=20, merged=h(10))
    insert_review(wh, REPO, 2, 201, "bob", "DISMISSED", h(4))  # was APPROVED, then dismissed
    insert_review(wh, REPO, 2, 202, "dave", "PENDING", None)
    insert_review(wh, REPO, 2, 203, "erin", "APPROVED", h(8))
    insert_event(wh, REPO, 2, "RRE_2a", "review_requested", h(3), reviewer="bob")

    # 3: never reviewed; only a team was asked.
    insert_pr(wh, REPO, 3, author="dave", created=h(3), additions=1, deletions=1)
    insert_event(wh, REPO, 3, "RRE_3a", "review_requested", h(4), team="core")

    # 4: opened Sunday (week of T), merged Monday (next week) without review: the bot approval
    # before the merge does not count, bob's approval comes after it.
    insert_pr(wh, REPO, 4, author="erin", created=h(164), additions=300, deletions=0, merged=h(170))
    insert_review(wh, REPO, 4, 401, "renovate[bot]", "APPROVED", h(165))
    insert_review(wh, REPO, 4, 402, "bob", "APPROVED", h(171))

    # 5: draft -> ready (+50) -> draft (+52) -> ready (+60): latency counts from the FIRST ready.
    insert_pr(wh, REPO, 5, author="bob", created=h(48), additions=40, deletions=10, ready=h(50), merged=h(70))
    insert_event(wh, REPO, 5, "RFRE_5a", "ready_for_review", h(50))
    insert_event(wh, REPO, 5, "RRE_5a", "review_requested", h(50), reviewer="carol")
    insert_event(wh, REPO, 5, "CTDE_5a", "convert_to_draft", h(52))
    insert_event(wh, REPO, 5, "RFRE_5b", "ready_for_review", h(60))
    insert_review(wh, REPO, 5, 501, "carol", "CHANGES_REQUESTED", h(55))
    insert_review(wh, REPO, 5, 502, "carol", "APPROVED", h(62))
    insert_review(wh, REPO, 5, 503, "dave", "APPROVED", h(63))

    # 6: a review before any request; erin requested (+74), removed (+75), re-requested (+78).
    insert_pr(wh, REPO, 6, author="carol", created=h(72), additions=7, deletions=3)
    insert_review(wh, REPO, 6, 601, "dave", "COMMENTED", h(73))
    insert_event(wh, REPO, 6, "RRE_6a", "review_requested", h(74), reviewer="erin")
    insert_event(wh, REPO, 6, "RRRE_6a", "review_request_removed", h(75), reviewer="erin")
    insert_event(wh, REPO, 6, "RRE_6b", "review_requested", h(78), reviewer="erin")
    insert_review(wh, REPO, 6, 602, "erin", "APPROVED", h(80))

    # 7: reviewed while still a draft (before ready): hours floored at 0; closed unmerged.
    insert_pr(
        wh, REPO, 7, author="alice", created=h(96), additions=5, deletions=0, ready=h(100), closed=h(101)
    )
    insert_event(wh, REPO, 7, "RFRE_7a", "ready_for_review", h(100))
    insert_review(wh, REPO, 7, 701, "bob", "COMMENTED", h(98))

    # another repository, left alone by REPO's refresh
    insert_pr(wh, OTHER, 1, author="zed", created=h(1), additions=1, deletions=0)
    insert_review(wh, OTHER, 1, 9001, "yan", "COMMENTED", h(3))


def _row(
    number: int,
    *,
    size: int,
    created: datetime,
    ready: datetime | None = None,
    merged: datetime | None = None,
    closed: datetime | None = None,
    requested: datetime | None = None,
    first_review: datetime | None = None,
    first_approval: datetime | None = None,
    to_first_review: float | None = None,
    pickup: float | None = None,
    to_approval: float | None = None,
    to_merge: float | None = None,
    reviews: int = 0,
    reviewers: int = 0,
    changes: int = 0,
    approvals_before_merge: int | None = None,
    without_review: bool = False,
) -> dict[str, Any]:
    return {
        "number": number, "size": size, "created_at": created, "ready_for_review_at": ready,
        "merged_at": merged, "closed_at": closed or merged, "first_review_requested_at": requested,
        "first_review_at": first_review, "first_approval_at": first_approval,
        "hours_to_first_review": to_first_review, "hours_pickup": pickup, "hours_to_approval": to_approval,
        "hours_to_merge": to_merge, "review_count": reviews, "reviewer_count": reviewers,
        "changes_requested_count": changes, "approvals_before_merge": approvals_before_merge,
        "merged_without_review": without_review,
    }  # fmt: skip


EXPECTED = [
    # 1: first qualifying review bob +5; 5 - 1 = 4 h. No request, no approval, not merged.
    _row(1, size=15, created=h(1), first_review=h(5), to_first_review=4.0, reviews=1, reviewers=1),
    # 2: first review = the dismissed one at +4 (4 - 2 = 2 h); approval erin +8 (8 - 2 = 6 h);
    # requested +3, first review after it +4: pickup 1 h; merge 10 - 2 = 8 h; erin approved before it.
    _row(
        2,
        size=120,
        created=h(2),
        merged=h(10),
        requested=h(3),
        first_review=h(4),
        first_approval=h(8),
        to_first_review=2.0,
        pickup=1.0,
        to_approval=6.0,
        to_merge=8.0,
        reviews=2,
        reviewers=2,
        approvals_before_merge=1,
    ),
    # 3: requested (team) at +4, nothing else.
    _row(3, size=2, created=h(3), requested=h(4)),
    # 4: bob +171 is after the merge at +170: merged without review, 0 approvals before merge;
    # first review 171 - 164 = 7 h (also the approval); merge 170 - 164 = 6 h.
    _row(
        4,
        size=300,
        created=h(164),
        merged=h(170),
        first_review=h(171),
        first_approval=h(171),
        to_first_review=7.0,
        to_approval=7.0,
        to_merge=6.0,
        reviews=1,
        reviewers=1,
        approvals_before_merge=0,
        without_review=True,
    ),
    # 5: from the first ready (+50): review +55 -> 5 h, approval +62 -> 12 h; requested +50 -> pickup
    # 55 - 50 = 5 h; merge 70 - 48 = 22 h; 3 reviews by 2 people, 1 change request, 2 approvers.
    _row(
        5,
        size=50,
        created=h(48),
        ready=h(50),
        merged=h(70),
        requested=h(50),
        first_review=h(55),
        first_approval=h(62),
        to_first_review=5.0,
        pickup=5.0,
        to_approval=12.0,
        to_merge=22.0,
        reviews=3,
        reviewers=2,
        changes=1,
        approvals_before_merge=2,
    ),
    # 6: first review +73 (before any request): 73 - 72 = 1 h; first request +74, first review
    # after it erin +80: pickup 6 h; approval 80 - 72 = 8 h.
    _row(
        6,
        size=10,
        created=h(72),
        requested=h(74),
        first_review=h(73),
        first_approval=h(80),
        to_first_review=1.0,
        pickup=6.0,
        to_approval=8.0,
        reviews=2,
        reviewers=2,
    ),
    # 7: review +98 before ready +100: max(0, -2) = 0 h. Closed unmerged.
    _row(
        7,
        size=5,
        created=h(96),
        ready=h(100),
        closed=h(101),
        first_review=h(98),
        to_first_review=0.0,
        reviews=1,
        reviewers=1,
    ),
]


@pytest.fixture
def dataset(warehouse: Warehouse) -> Warehouse:
    build_dataset(warehouse)
    return warehouse


def _subset(row: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    return {key: row[key] for key in keys}


def test_pull_request_metrics_match_the_hand_computed_values(dataset: Warehouse) -> None:
    assert refresh_pull_request_metrics(dataset, REPO, COMPUTED_AT) == 7
    rows = pull_request_metrics(dataset, REPO)
    assert [row["number"] for row in rows] == [1, 2, 3, 4, 5, 6, 7]
    for row, expected in zip(rows, EXPECTED, strict=True):
        actual = _subset(row, list(expected))
        for key, value in expected.items():
            if isinstance(value, float):
                assert actual[key] == pytest.approx(value, abs=1e-9), (row["number"], key)
                assert isinstance(actual[key], float), (row["number"], key)
            else:
                assert actual[key] == value, (row["number"], key, actual[key])
        assert row["repo"] == REPO
        assert row["computed_at"] == COMPUTED_AT
    assert {row["number"]: row["author_login"] for row in rows}[4] == "erin"


def test_refresh_replaces_only_that_repository(dataset: Warehouse) -> None:
    refresh_pull_request_metrics(dataset, OTHER, COMPUTED_AT)
    refresh_pull_request_metrics(dataset, REPO, COMPUTED_AT)
    assert refresh_pull_request_metrics(dataset, REPO, COMPUTED_AT) == 7  # idempotent
    # a review arrives on PR 3: the next refresh sees it, and OTHER's row is untouched
    insert_review(dataset, REPO, 3, 301, "alice", "APPROVED", h(9))
    refresh_pull_request_metrics(dataset, REPO, COMPUTED_AT + timedelta(hours=1))
    pr3 = pull_request_metrics(dataset, REPO)[2]
    assert pr3["first_review_at"] == h(9)
    assert pr3["hours_to_first_review"] == pytest.approx(6.0)  # 9 - 3
    assert pr3["hours_pickup"] == pytest.approx(5.0)  # requested +4
    (other,) = pull_request_metrics(dataset, OTHER)
    assert other["computed_at"] == COMPUTED_AT and other["hours_to_first_review"] == pytest.approx(2.0)
    # a PR that disappears from the source disappears from the metrics
    _execute(dataset, "DELETE FROM github.pull_requests WHERE repo = %s AND number = 7", [REPO])
    assert refresh_pull_request_metrics(dataset, REPO, COMPUTED_AT) == 6


def test_weekly_metrics_match_the_hand_computed_values(dataset: Warehouse) -> None:
    refresh_pull_request_metrics(dataset, REPO, COMPUTED_AT)
    refresh_pull_request_metrics(dataset, OTHER, COMPUTED_AT)
    assert refresh_weekly_metrics(dataset, COMPUTED_AT) == 3
    rows = weekly_metrics(dataset)
    got = [{k: v for k, v in row.items() if k != "computed_at"} for row in rows]
    assert got == [
        # opened in the week of T: PRs 1-7; first-review hours 4, 2, 7, 5, 1, 0 (PR 3 has none):
        # sorted 0 1 2 4 5 7, median at position 2.5 -> (2 + 4) / 2 = 3; p90 at 4.5 -> (5 + 7) / 2 = 6.
        # merged that week: PRs 2 (+10) and 5 (+70): merge hours 8, 22 -> 15; sizes 120, 50 -> 85.
        {
            "repo": REPO, "week": date(2024, 3, 4), "prs_opened": 7, "prs_merged": 2,
            "median_hours_to_first_review": pytest.approx(3.0),
            "p90_hours_to_first_review": pytest.approx(6.0),
            "median_hours_to_merge": pytest.approx(15.0), "median_size": pytest.approx(85.0),
        },
        # PR 4 merged Monday 2024-03-11: nothing opened that week.
        {
            "repo": REPO, "week": date(2024, 3, 11), "prs_opened": 0, "prs_merged": 1,
            "median_hours_to_first_review": None, "p90_hours_to_first_review": None,
            "median_hours_to_merge": pytest.approx(6.0), "median_size": pytest.approx(300.0),
        },
        # OTHER: one PR, first review 3 - 1 = 2 h.
        {
            "repo": OTHER, "week": date(2024, 3, 4), "prs_opened": 1, "prs_merged": 0,
            "median_hours_to_first_review": pytest.approx(2.0),
            "p90_hours_to_first_review": pytest.approx(2.0),
            "median_hours_to_merge": None, "median_size": None,
        },
    ]  # fmt: skip
    assert all(row["computed_at"] == COMPUTED_AT for row in rows)
    assert [row["week"] for row in weekly_metrics(dataset, since=date(2024, 3, 5))] == [date(2024, 3, 11)]
    # the weekly table is replaced as a whole
    _execute(dataset, "DELETE FROM github.pull_request_metrics WHERE repo = %s", [OTHER])
    assert refresh_weekly_metrics(dataset, COMPUTED_AT) == 2


def test_recent_figures_cover_the_window(dataset: Warehouse) -> None:
    refresh_pull_request_metrics(dataset, REPO, COMPUTED_AT)
    now = h(192)  # Tuesday 2024-03-12 00:00
    # 30 days: everything. First-review hours 0 1 2 4 5 7 -> 3; pickups 1, 5, 6 -> 5;
    # merged PRs 2, 5, 4: hours 8, 22, 6 -> 8; sizes 120, 50, 300 -> 120; 1 of 3 without review.
    assert recent_figures(dataset, REPO, now) == {
        "prs_opened": 7, "median_hours_to_first_review": pytest.approx(3.0),
        "median_hours_pickup": pytest.approx(5.0), "prs_merged": 3,
        "median_hours_to_merge": pytest.approx(8.0), "median_size": pytest.approx(120.0),
        "share_merged_without_review": pytest.approx(1 / 3),
    }  # fmt: skip
    # 3 days (since +120 h): only PR 4 was opened (+164) and merged (+170) in it.
    assert recent_figures(dataset, REPO, now, days=3) == {
        "prs_opened": 1, "median_hours_to_first_review": pytest.approx(7.0), "median_hours_pickup": None,
        "prs_merged": 1, "median_hours_to_merge": pytest.approx(6.0), "median_size": pytest.approx(300.0),
        "share_merged_without_review": pytest.approx(1.0),
    }  # fmt: skip
    # an unknown repository: zero PRs, nothing to take a median of
    assert recent_figures(dataset, "acme/none", now)["prs_opened"] == 0
    assert recent_figures(dataset, "acme/none", now)["share_merged_without_review"] is None


def test_waiting_for_review_lists_open_ready_unreviewed_prs(dataset: Warehouse) -> None:
    refresh_pull_request_metrics(dataset, REPO, COMPUTED_AT)
    refresh_pull_request_metrics(dataset, OTHER, COMPUTED_AT)
    # open PRs: 1 (reviewed), 3 (never reviewed), 6 (reviewed); OTHER #1 reviewed.
    waiting = waiting_for_review(dataset)
    assert [(w.repo, w.number, w.waiting_since) for w in waiting] == [(REPO, 3, h(3))]
    assert waiting[0].first_review_requested_at == h(4) and waiting[0].size == 2
