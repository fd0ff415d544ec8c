"""The hand-built review-metrics dataset (issue 10, item 4), shared by the metrics, report and README tests.

Each case is one pull request, written straight into the warehouse tables with parameterised SQL
(no product code involved). The values each case must produce are worked out by hand next to the
assertions in ``test_metrics_sql.py``.

The week of T is Monday 2024-03-04 (UTC) to Sunday 2024-03-10; the next ISO week starts
Monday 2024-03-11 = T + 168 h.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from prsync_dagster.warehouse.base import Warehouse

REPO = "acme/metrics"
OTHER = "acme/other"
T = datetime(2024, 3, 4, 0, 0, tzinfo=UTC)  # a Monday
COMPUTED_AT = datetime(2024, 3, 20, tzinfo=UTC)


def h(hours: float) -> datetime:
    return T + timedelta(hours=hours)


#: The open session of each warehouse inside :func:`one_session` (by ``id()``).
_SESSIONS: dict[int, Any] = {}


@contextmanager
def one_session(warehouse: Warehouse) -> Iterator[None]:
    """Run every :func:`execute` on ``warehouse`` inside it in one session (one transaction): on
    DuckDB each session opens and checkpoints the file, tens of milliseconds each."""
    with warehouse._session("test data") as executor:  # type: ignore[attr-defined]
        _SESSIONS[id(warehouse)] = executor
        try:
            yield
        finally:
            del _SESSIONS[id(warehouse)]


def execute(warehouse: Warehouse, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """One statement, in the session :func:`one_session` holds open, else in a session of its own."""
    executor = _SESSIONS.get(id(warehouse))
    if executor is not None:
        rows: list[tuple[Any, ...]] = executor.execute(sql, params)
        return rows
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
    execute(
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
    execute(
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
    execute(
        warehouse,
        "INSERT INTO github.pull_request_timeline (repo, repo_id, pr_number, node_id, event, actor_login, "
        "requested_reviewer, requested_team, created_at, synced_at) "
        "VALUES (%s, 1, %s, %s, %s, 'someone', %s, %s, %s, %s)",
        [repo, number, node_id, event, reviewer, team, at, COMPUTED_AT],
    )


def build_dataset(wh: Warehouse) -> None:
    with one_session(wh):
        _insert_dataset(wh)


def _insert_dataset(wh: Warehouse) -> None:
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
