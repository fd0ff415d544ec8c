"""Review metrics on a small hand-built dataset, on DuckDB and Postgres (issue 10, item 4).

Every expected value below is worked out by hand from the rows written in this file (the
arithmetic is in the comments), never by calling the product's code. The definitions are the
contract's ("Review-metrics data"); see ``prsync_dagster/metrics/sql.py`` for how they are read.

The week of T is Monday 2024-03-04 (UTC) to Sunday 2024-03-10; the next ISO week starts
Monday 2024-03-11 = T + 168 h.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
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
from prsync_dagster_tests.metrics_dataset import (
    COMPUTED_AT,
    OTHER,
    REPO,
    build_dataset,
    execute,
    h,
    insert_review,
)


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
    execute(dataset, "DELETE FROM github.pull_requests WHERE repo = %s AND number = 7", [REPO])
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
    execute(dataset, "DELETE FROM github.pull_request_metrics WHERE repo = %s", [OTHER])
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
