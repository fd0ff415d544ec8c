"""Review metrics computed in the warehouse: one SQL text per table that DuckDB and Postgres both run.

Definitions are the interface contract's (shared ``CONTRACT.md``, "Review-metrics data"), read
literally:

- a *qualifying review* is not ``PENDING``, not by the PR's author, and not by a bot (a login
  ending in ``[bot]``, GitHub's spelling of app accounts). A dismissed review keeps state
  ``DISMISSED`` on GitHub, so a dismissed approval still counts as a review but never as an
  approval. The author comparison is ``IS DISTINCT FROM``: a review by a deleted account (NULL
  login) of a PR by a known author qualifies; when both are unknown it does not (we cannot tell).
- hours are ``(epoch(b) - epoch(a)) / 3600`` as ``DOUBLE PRECISION``; ``hours_to_first_review``
  and ``hours_to_approval`` are floored at 0 (a review can predate ``ready_for_review``), and
  every metric whose input timestamp is missing is NULL (SQL's ``GREATEST`` ignores NULLs in both
  dialects, so the floor is guarded by a ``CASE``).
- ``hours_pickup`` runs from the earliest ``review_requested`` timeline event (user or team,
  whether later removed or not) to the earliest qualifying review submitted strictly after it.
- ``merged_without_review`` is false for a PR that is not merged (the contract defines it as
  "merged and …"); ``approvals_before_merge`` is NULL then.
- weekly figures group by the Monday (UTC date) of the ISO week (``date_trunc('week', …)`` is
  ISO-Monday in both dialects, applied to the UTC wall time) and use ``percentile_cont``, which
  both dialects interpolate linearly (position ``p * (n - 1)``), ignoring NULLs.

Both tables are derived and replaced, never upserted: a repository's metric rows are deleted and
recomputed in one transaction per run, the weekly table as a whole in one transaction.
Statements take ``%s`` parameters only; no value is formatted into SQL text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from prsync_dagster.warehouse.base import Warehouse
from prsync_dagster.warehouse.sql import SqlWarehouse, as_utc

#: Columns of ``github.pull_request_metrics`` in table order (contract names, then our additions).
METRIC_COLUMNS: tuple[str, ...] = (
    "repo",
    "number",
    "author_login",
    "title",
    "html_url",
    "state",
    "draft",
    "created_at",
    "ready_for_review_at",
    "merged_at",
    "closed_at",
    "size",
    "first_review_requested_at",
    "first_review_at",
    "first_approval_at",
    "hours_to_first_review",
    "hours_pickup",
    "hours_to_approval",
    "hours_to_merge",
    "review_count",
    "reviewer_count",
    "changes_requested_count",
    "approvals_before_merge",
    "merged_without_review",
    "computed_at",
)

#: Columns of ``github.review_metrics_weekly`` in table order.
WEEKLY_COLUMNS: tuple[str, ...] = (
    "repo",
    "week",
    "prs_opened",
    "prs_merged",
    "median_hours_to_first_review",
    "p90_hours_to_first_review",
    "median_hours_to_merge",
    "median_size",
    "computed_at",
)


def _hours(start: str, end: str) -> str:
    """SQL for ``end - start`` in hours as a float (NULL if either is NULL); constant text only."""
    return f"CAST((EXTRACT(EPOCH FROM {end}) - EXTRACT(EPOCH FROM {start})) / 3600.0 AS DOUBLE PRECISION)"


def _hours_floored(start: str, end: str) -> str:
    """Like :func:`_hours`, floored at 0, still NULL when an input is NULL."""
    floored = f"GREATEST(0.0, {_hours(start, end)})"
    return f"CASE WHEN {end} IS NULL OR {start} IS NULL THEN NULL ELSE {floored} END"


DELETE_METRICS = "DELETE FROM github.pull_request_metrics WHERE repo = %s"

# Parameters: repo (pull requests), repo (timeline), repo (reviews), computed_at.
INSERT_METRICS = f"""
INSERT INTO github.pull_request_metrics ({", ".join(METRIC_COLUMNS)})
WITH prs AS (
    SELECT repo, number, author_login, title, html_url, state, draft, created_at,
           ready_for_review_at, merged_at, closed_at,
           additions + deletions AS size,
           COALESCE(ready_for_review_at, created_at) AS review_start
    FROM github.pull_requests
    WHERE repo = %s
),
requests AS (
    SELECT pr_number, MIN(created_at) AS first_review_requested_at
    FROM github.pull_request_timeline
    WHERE repo = %s AND event = 'review_requested'
    GROUP BY pr_number
),
qualifying AS (
    SELECT r.pr_number, r.author_login, r.state, r.submitted_at,
           p.merged_at, q.first_review_requested_at
    FROM github.pull_request_reviews AS r
    JOIN prs AS p ON p.number = r.pr_number
    LEFT JOIN requests AS q ON q.pr_number = r.pr_number
    WHERE r.repo = %s
      AND r.state <> 'PENDING'
      AND r.author_login IS DISTINCT FROM p.author_login
      AND (r.author_login IS NULL OR RIGHT(r.author_login, 5) <> '[bot]')
),
per_pr AS (
    SELECT pr_number,
           MIN(submitted_at) AS first_review_at,
           MIN(submitted_at) FILTER (WHERE state = 'APPROVED') AS first_approval_at,
           MIN(submitted_at) FILTER (WHERE submitted_at > first_review_requested_at) AS picked_up_at,
           COUNT(*) AS review_count,
           COUNT(DISTINCT author_login) AS reviewer_count,
           COUNT(*) FILTER (WHERE state = 'CHANGES_REQUESTED') AS changes_requested_count,
           COUNT(DISTINCT author_login)
               FILTER (WHERE state = 'APPROVED' AND submitted_at <= merged_at) AS approvals_before_merge,
           COUNT(*) FILTER (WHERE submitted_at <= merged_at) AS reviews_before_merge
    FROM qualifying
    GROUP BY pr_number
)
SELECT p.repo, p.number, p.author_login, p.title, p.html_url, p.state, p.draft, p.created_at,
       p.ready_for_review_at, p.merged_at, p.closed_at, p.size,
       q.first_review_requested_at, a.first_review_at, a.first_approval_at,
       {_hours_floored("p.review_start", "a.first_review_at")} AS hours_to_first_review,
       {_hours("q.first_review_requested_at", "a.picked_up_at")} AS hours_pickup,
       {_hours_floored("p.review_start", "a.first_approval_at")} AS hours_to_approval,
       {_hours("p.created_at", "p.merged_at")} AS hours_to_merge,
       COALESCE(a.review_count, 0),
       COALESCE(a.reviewer_count, 0),
       COALESCE(a.changes_requested_count, 0),
       CASE WHEN p.merged_at IS NULL THEN NULL ELSE COALESCE(a.approvals_before_merge, 0) END,
       p.merged_at IS NOT NULL AND COALESCE(a.reviews_before_merge, 0) = 0,
       %s
FROM prs AS p
LEFT JOIN requests AS q ON q.pr_number = p.number
LEFT JOIN per_pr AS a ON a.pr_number = p.number
"""  # noqa: S608 - only the constant column list and expressions above are formatted in

DELETE_WEEKLY = "DELETE FROM github.review_metrics_weekly"


def _week(column: str) -> str:
    return f"CAST(DATE_TRUNC('week', {column} AT TIME ZONE 'UTC') AS DATE)"


# Parameter: computed_at.
INSERT_WEEKLY = f"""
INSERT INTO github.review_metrics_weekly ({", ".join(WEEKLY_COLUMNS)})
WITH opened AS (
    SELECT repo, {_week("created_at")} AS week,
           COUNT(*) AS prs_opened,
           PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY hours_to_first_review) AS median_hours_to_first_review,
           PERCENTILE_CONT(0.9) WITHIN GROUP (ORDER BY hours_to_first_review) AS p90_hours_to_first_review
    FROM github.pull_request_metrics
    GROUP BY 1, 2
),
merged AS (
    SELECT repo, {_week("merged_at")} AS week,
           COUNT(*) AS prs_merged,
           PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY hours_to_merge) AS median_hours_to_merge,
           PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY CAST(size AS DOUBLE PRECISION)) AS median_size
    FROM github.pull_request_metrics
    WHERE merged_at IS NOT NULL
    GROUP BY 1, 2
)
SELECT COALESCE(o.repo, m.repo), COALESCE(o.week, m.week),
       COALESCE(o.prs_opened, 0), COALESCE(m.prs_merged, 0),
       o.median_hours_to_first_review, o.p90_hours_to_first_review,
       m.median_hours_to_merge, m.median_size,
       %s
FROM opened AS o
FULL OUTER JOIN merged AS m ON m.repo = o.repo AND m.week = o.week
"""  # noqa: S608 - constant text

#: The per-repository figures of the last N days shown as materialization metadata.
#: PR counts and review latency are over PRs *opened* in the window; merge time, size and the
#: share merged without review over PRs *merged* in the window (the weekly table's split).
# Parameters: since (opened), since (merged), repo.
RECENT_FIGURES = """
SELECT
    COUNT(*) FILTER (WHERE created_at >= %s) AS prs_opened,
    PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY hours_to_first_review)
        FILTER (WHERE created_at >= %s) AS median_hours_to_first_review,
    PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY hours_pickup)
        FILTER (WHERE created_at >= %s) AS median_hours_pickup,
    COUNT(*) FILTER (WHERE merged_at >= %s) AS prs_merged,
    PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY hours_to_merge)
        FILTER (WHERE merged_at >= %s) AS median_hours_to_merge,
    PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY CAST(size AS DOUBLE PRECISION))
        FILTER (WHERE merged_at >= %s) AS median_size,
    CAST(COUNT(*) FILTER (WHERE merged_at >= %s AND merged_without_review) AS DOUBLE PRECISION)
        / NULLIF(COUNT(*) FILTER (WHERE merged_at >= %s), 0) AS share_merged_without_review
FROM github.pull_request_metrics
WHERE repo = %s
"""

#: The columns of ``RECENT_FIGURES`` in order -> (label in the materialization's markdown table, unit).
FIGURES: dict[str, tuple[str, str]] = {
    "prs_opened": ("PRs opened", ""),
    "median_hours_to_first_review": ("median hours to first review", "h"),
    "median_hours_pickup": ("median pickup (request to review)", "h"),
    "prs_merged": ("PRs merged", ""),
    "median_hours_to_merge": ("median hours to merge", "h"),
    "median_size": ("median size of merged PRs (lines)", ""),
    "share_merged_without_review": ("share merged without review", ""),
}

SELECT_METRICS = (
    "SELECT "  # noqa: S608 - constant column list
    + ", ".join(METRIC_COLUMNS)
    + " FROM github.pull_request_metrics WHERE repo = %s ORDER BY number"
)

SELECT_WEEKLY = (
    "SELECT "  # noqa: S608 - constant column list
    + ", ".join(WEEKLY_COLUMNS)
    + " FROM github.review_metrics_weekly WHERE week >= %s ORDER BY repo, week"
)

# Open, non-draft PRs without a qualifying review, longest waiting first (for the report).
SELECT_WAITING = """
SELECT repo, number, title, author_login, html_url,
       COALESCE(ready_for_review_at, created_at) AS waiting_since,
       first_review_requested_at, size
FROM github.pull_request_metrics
WHERE state = 'open' AND NOT COALESCE(draft, FALSE) AND first_review_at IS NULL
ORDER BY waiting_since, repo, number
LIMIT %s
"""


def _sql(warehouse: Warehouse) -> SqlWarehouse:
    if not isinstance(warehouse, SqlWarehouse):
        raise TypeError(f"review metrics need a SQL warehouse, got {type(warehouse).__name__}")
    return warehouse


def _read(warehouse: Warehouse, what: str, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """The rows of one read-only statement, timestamps in UTC (``WarehouseError`` on database errors)."""
    with _sql(warehouse)._session(what) as executor:
        return [tuple(as_utc(value) for value in row) for row in executor.execute(sql, params)]


def refresh_pull_request_metrics(warehouse: Warehouse, repo: str, computed_at: datetime) -> int:
    """Replace ``repo``'s rows of ``github.pull_request_metrics``; returns the rows written.

    One transaction: readers see the old rows or the new ones, never a mix or none. ``repo`` is
    the lower-cased ``owner/name`` partition key. Raises ``WarehouseError`` on database errors.
    """
    with _sql(warehouse)._session(f"compute the review metrics of {repo}") as executor:
        executor.execute(DELETE_METRICS, [repo])
        executor.execute(INSERT_METRICS, [repo, repo, repo, computed_at])
        ((count,),) = executor.execute(
            "SELECT COUNT(*) FROM github.pull_request_metrics WHERE repo = %s", [repo]
        )
    return int(count)


def refresh_weekly_metrics(warehouse: Warehouse, computed_at: datetime) -> int:
    """Recompute all of ``github.review_metrics_weekly`` from the per-PR metrics; returns its rows."""
    with _sql(warehouse)._session("compute the weekly review metrics") as executor:
        executor.execute(DELETE_WEEKLY)
        executor.execute(INSERT_WEEKLY, [computed_at])
        ((count,),) = executor.execute("SELECT COUNT(*) FROM github.review_metrics_weekly")
    return int(count)


def recent_figures(warehouse: Warehouse, repo: str, now: datetime, days: int = 30) -> dict[str, Any]:
    """The headline figures of ``repo`` over the ``days`` before ``now`` (see ``RECENT_FIGURES``).

    Values: counts as int, hours/size/share as float, or None when no PR had the input.
    """
    since = now - timedelta(days=days)
    (row,) = _read(
        warehouse, f"read the recent review metrics of {repo}", RECENT_FIGURES, [since] * 8 + [repo]
    )
    return {
        name: (None if value is None else int(value) if name.startswith("prs_") else float(value))
        for name, value in zip(FIGURES, row, strict=True)
    }


@dataclass(frozen=True)
class WaitingPullRequest:
    """An open, ready PR that no qualifying review has reached yet."""

    repo: str
    number: int
    title: str | None
    author_login: str | None
    html_url: str | None
    waiting_since: datetime
    first_review_requested_at: datetime | None
    size: int | None


def pull_request_metrics(warehouse: Warehouse, repo: str) -> list[dict[str, Any]]:
    """Every stored metrics row of ``repo`` (column -> value, timestamps in UTC), ordered by number."""
    rows = _read(warehouse, f"read the review metrics of {repo}", SELECT_METRICS, [repo])
    return [dict(zip(METRIC_COLUMNS, row, strict=True)) for row in rows]


def weekly_metrics(warehouse: Warehouse, since: date | None = None) -> list[dict[str, Any]]:
    """Rows of ``github.review_metrics_weekly`` with ``week >= since`` (all when None), by repo and week."""
    rows = _read(warehouse, "read the weekly review metrics", SELECT_WEEKLY, [since or date(1970, 1, 1)])
    return [dict(zip(WEEKLY_COLUMNS, row, strict=True)) for row in rows]


def waiting_for_review(warehouse: Warehouse, limit: int = 20) -> list[WaitingPullRequest]:
    """Open, non-draft PRs without a qualifying review, longest waiting first (all repositories)."""
    rows = _read(warehouse, "read the pull requests waiting for review", SELECT_WAITING, [limit])
    return [WaitingPullRequest(*row) for row in rows]
