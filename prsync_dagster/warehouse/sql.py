"""The SQL both backends share, and the warehouse logic written once on top of it.

DuckDB and Postgres agree on everything this layer needs (``INSERT … ON CONFLICT``, ``GREATEST``,
``unnest`` of typed array parameters, ``timestamptz``), so the semantics live here exactly once and
a backend only supplies a connection with one transaction around it (:meth:`SqlWarehouse._session`)
and its error translation. Statements are written with ``%s`` placeholders (psycopg's style; the
DuckDB backend rewrites them to ``?``) and every value travels as a parameter, never as SQL text.

Batches are written column-wise: one array parameter per column, expanded by ``unnest`` into rows,
so a batch of any size costs a handful of statements instead of one round trip per row. A list
column (labels, assignees, ...) cannot travel that way on Postgres (its arrays of arrays must be
rectangular), so each row's list travels as JSON text and the backend turns it into its native
array (:attr:`SqlWarehouse.list_from_json`): the one place where the dialects differ.
"""

from __future__ import annotations

import abc
import functools
import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from prsync_dagster.github.records import (
    PullRequestRecord,
    PullRequestWithReviews,
    ReviewRecord,
    TimelineRecord,
)
from prsync_dagster.warehouse.base import SyncCommit, SyncState, Warehouse
from prsync_dagster.warehouse.migrate import Executor, apply_migrations

#: Longest ``last_error`` stored; tracebacks beyond this are cut (the run's logs keep the rest).
MAX_ERROR_LENGTH = 10_000

#: Marks a list column (native array: DuckDB ``VARCHAR[]``, Postgres ``text[]``) in the lists below.
LIST = "LIST"

#: (column, SQL type) of ``github.pull_requests`` as written from a :class:`PullRequestRecord`.
PULL_REQUEST_COLUMNS: tuple[tuple[str, str], ...] = (
    ("repo", "TEXT"),
    ("repo_id", "BIGINT"),
    ("number", "INTEGER"),
    ("id", "BIGINT"),
    ("title", "TEXT"),
    ("state", "TEXT"),
    ("draft", "BOOLEAN"),
    ("merged", "BOOLEAN"),
    ("author_login", "TEXT"),
    ("created_at", "TIMESTAMPTZ"),
    ("updated_at", "TIMESTAMPTZ"),
    ("closed_at", "TIMESTAMPTZ"),
    ("merged_at", "TIMESTAMPTZ"),
    ("base_ref", "TEXT"),
    ("head_ref", "TEXT"),
    ("html_url", "TEXT"),
    ("body", "TEXT"),
    ("additions", "INTEGER"),
    ("deletions", "INTEGER"),
    ("changed_files", "INTEGER"),
    ("commits", "INTEGER"),
    ("comments", "INTEGER"),
    ("labels", LIST),
    ("assignees", LIST),
    ("requested_reviewers", LIST),
    ("requested_teams", LIST),
    ("merged_by_login", "TEXT"),
    ("merge_commit_sha", "TEXT"),
    ("head_sha", "TEXT"),
    ("base_sha", "TEXT"),
    ("author_association", "TEXT"),
    ("is_cross_repository", "BOOLEAN"),
    ("ready_for_review_at", "TIMESTAMPTZ"),
)

#: (column, SQL type) of ``github.pull_request_reviews`` as written from a :class:`ReviewRecord`.
REVIEW_COLUMNS: tuple[tuple[str, str], ...] = (
    ("repo", "TEXT"),
    ("repo_id", "BIGINT"),
    ("pr_number", "INTEGER"),
    ("id", "BIGINT"),
    ("author_login", "TEXT"),
    ("state", "TEXT"),
    ("submitted_at", "TIMESTAMPTZ"),
    ("commit_id", "TEXT"),
    ("body", "TEXT"),
    ("author_association", "TEXT"),
)

#: (column, SQL type) of ``github.pull_request_timeline`` as written from a :class:`TimelineRecord`.
TIMELINE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("repo", "TEXT"),
    ("repo_id", "BIGINT"),
    ("pr_number", "INTEGER"),
    ("node_id", "TEXT"),
    ("event", "TEXT"),
    ("actor_login", "TEXT"),
    ("requested_reviewer", "TEXT"),
    ("requested_team", "TEXT"),
    ("created_at", "TIMESTAMPTZ"),
)

SYNC_STATE_COLUMNS: tuple[str, ...] = (
    "repo",
    "status",
    "repo_id",
    "full_name",
    "cursor",
    "etag",
    "probe_url",
    "last_attempt_at",
    "last_success_at",
    "last_error",
    "last_error_at",
    "strategy",
    "last_report",
    "needs_full_refetch",
)


def _insert_from_arrays(table: str, columns: Sequence[tuple[str, str]], list_from_json: str) -> str:
    """``INSERT INTO table (cols) SELECT … FROM (SELECT unnest(%s::T[]) AS col, …)``: one array
    parameter per column, then the ``synced_at`` parameter.

    A list column's array holds one JSON text per row, turned into the native array by
    ``list_from_json`` (a template with ``{}`` for the value). Only the identifiers and types of
    the constant column lists above are formatted into the text.
    """
    names = ", ".join(name for name, _ in columns)
    arrays = ", ".join(
        f"unnest(%s::{'TEXT' if sql_type == LIST else sql_type}[]) AS {name}" for name, sql_type in columns
    )
    values = ", ".join(
        list_from_json.format(f"batch.{name}") if sql_type == LIST else f"batch.{name}"
        for name, sql_type in columns
    )
    return (
        f"INSERT INTO {table} ({names}, synced_at) SELECT {values}, batch.synced_at "  # noqa: S608
        f"FROM (SELECT {arrays}, CAST(%s AS TIMESTAMPTZ) AS synced_at) AS batch"
    )


def _upsert(table: str, columns: Sequence[tuple[str, str]], key: tuple[str, ...], list_from_json: str) -> str:
    """Insert, or update a row whose content changed; an identical row (and its ``synced_at``)
    stays untouched, so repeating a sync leaves the tables byte-for-byte identical."""
    values = [name for name, _ in columns if name not in key]
    short = table.split(".")[-1]
    return (
        _insert_from_arrays(table, columns, list_from_json)
        + f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET "
        + ", ".join(f"{name} = excluded.{name}" for name in values)
        + ", synced_at = excluded.synced_at"
        + f" WHERE ({', '.join(f'{short}.{name}' for name in values)})"
        + f" IS DISTINCT FROM ({', '.join(f'excluded.{name}' for name in values)})"
    )


@dataclass(frozen=True)
class Statements:
    """The row-writing statements of one dialect (they differ only in ``list_from_json``)."""

    upsert_pull_requests: str
    upsert_reviews: str
    upsert_timeline: str

    @classmethod
    def build(cls, list_from_json: str) -> Statements:
        return cls(
            upsert_pull_requests=_upsert(
                "github.pull_requests", PULL_REQUEST_COLUMNS, ("repo", "number"), list_from_json
            ),
            upsert_reviews=_upsert(
                "github.pull_request_reviews", REVIEW_COLUMNS, ("repo", "id"), list_from_json
            ),
            upsert_timeline=_upsert(
                "github.pull_request_timeline", TIMELINE_COLUMNS, ("repo", "node_id"), list_from_json
            ),
        )


# A changed PR's review list replaces the stored one: reviews it no longer lists are deleted (this
# is how dismissed-then-deleted and deleted PENDING reviews disappear); the rest are upserted by
# (repo, id), which also moves a review that GitHub now lists under another PR.
DELETE_REVIEWS = """
DELETE FROM github.pull_request_reviews
WHERE repo = %s
  AND pr_number IN (SELECT unnest(%s::INTEGER[]))
  AND id NOT IN (SELECT unnest(%s::BIGINT[]))
"""

# ETags of single-page REST review lists: those of the PRs whose reviews were read again are
# replaced (a PR read over GraphQL or over several pages keeps none).
DELETE_REVIEW_ETAGS = """
DELETE FROM github.rest_etags
WHERE repo = %s AND resource = 'reviews' AND pr_number IN (SELECT unnest(%s::INTEGER[]))
"""

INSERT_REVIEW_ETAGS = """
INSERT INTO github.rest_etags (repo, pr_number, resource, etag)
SELECT %s, unnest(%s::INTEGER[]), 'reviews', unnest(%s::TEXT[])
"""

SELECT_REVIEW_ETAGS = """
SELECT pr_number, etag FROM github.rest_etags
WHERE repo = %s AND resource = 'reviews' AND pr_number IN (SELECT unnest(%s::INTEGER[]))
"""

# The same for timeline events: a changed PR's stored events are replaced by GitHub's current list.
DELETE_TIMELINE = """
DELETE FROM github.pull_request_timeline
WHERE repo = %s
  AND pr_number IN (SELECT unnest(%s::INTEGER[]))
  AND node_id NOT IN (SELECT unnest(%s::TEXT[]))
"""

# GREATEST ignores NULL in both dialects: a commit without cursor keeps the stored one, and a full
# refresh that saw only older PRs never moves the high-water mark back. ``needs_full_refetch`` (set
# by migration 0002) is cleared only by the commit of a full sync, with that sync's cursor.
COMMIT_SYNC = """
INSERT INTO github.sync_state AS s (
    repo, status, repo_id, full_name, cursor, etag, probe_url,
    last_attempt_at, last_success_at, last_error, strategy, last_report
) VALUES (%s, 'ok', %s, %s, %s, %s, %s, %s, %s, NULL, %s, %s)
ON CONFLICT (repo) DO UPDATE SET
    status = 'ok',
    repo_id = COALESCE(excluded.repo_id, s.repo_id),
    full_name = COALESCE(excluded.full_name, s.full_name),
    cursor = GREATEST(s.cursor, excluded.cursor),
    etag = excluded.etag,
    probe_url = excluded.probe_url,
    last_attempt_at = COALESCE(s.last_attempt_at, excluded.last_attempt_at),
    last_success_at = excluded.last_success_at,
    last_error = NULL,
    last_error_at = NULL,
    strategy = excluded.strategy,
    last_report = excluded.last_report,
    needs_full_refetch = s.needs_full_refetch AND NOT %s
"""

_MARK_RUNNING = """
INSERT INTO github.sync_state AS s (repo, status, last_attempt_at) VALUES (%s, 'running', %s)
ON CONFLICT (repo) DO UPDATE SET status = 'running', last_attempt_at = excluded.last_attempt_at
"""

# The attempt started when start_attempt said so; only an error without a recorded start dates it.
MARK_ERROR = """
INSERT INTO github.sync_state AS s (repo, status, last_attempt_at, last_error, last_error_at)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (repo) DO UPDATE SET
    status = excluded.status,
    last_attempt_at = CASE WHEN s.status = 'running' AND s.last_attempt_at IS NOT NULL
                           THEN s.last_attempt_at ELSE excluded.last_attempt_at END,
    last_error = excluded.last_error,
    last_error_at = excluded.last_error_at
"""

# A 304 to the stored ETag is a successful no-change sync; only if nothing happened since the probe.
MARK_VERIFIED = """
UPDATE github.sync_state
SET last_attempt_at = %s, last_success_at = %s
WHERE repo = %s AND etag = %s AND probe_url = %s AND status = 'ok'
RETURNING repo
"""

SELECT_STATES = "SELECT " + ", ".join(SYNC_STATE_COLUMNS) + " FROM github.sync_state"  # noqa: S608

SELECT_PULL_REQUESTS = (
    "SELECT "  # noqa: S608 - constant column list
    + ", ".join(name for name, _ in PULL_REQUEST_COLUMNS)
    + " FROM github.pull_requests WHERE repo = %s ORDER BY number"
)

SELECT_TIMELINE = (
    "SELECT "  # noqa: S608 - constant column list
    + ", ".join(name for name, _ in TIMELINE_COLUMNS)
    + " FROM github.pull_request_timeline WHERE repo = %s ORDER BY pr_number, created_at, node_id"
)

COUNT_TIMELINE = "SELECT count(*) FROM github.pull_request_timeline WHERE repo = %s"

SELECT_REVIEWS = (
    "SELECT "  # noqa: S608 - constant column list
    + ", ".join(name for name, _ in REVIEW_COLUMNS)
    + " FROM github.pull_request_reviews WHERE repo = %s ORDER BY pr_number, id"
)

COUNTS = """
SELECT
    (SELECT count(*) FROM github.pull_requests WHERE repo = %s),
    (SELECT count(*) FROM github.pull_request_reviews WHERE repo = %s)
"""


class SqlWarehouse(Warehouse):
    """The warehouse semantics over any connection that speaks the shared SQL above."""

    #: SQL turning a JSON array of strings (``{}``: a TEXT expression) into the native array type.
    list_from_json: str

    @functools.cached_property
    def _statements(self) -> Statements:
        return Statements.build(self.list_from_json)

    @abc.abstractmethod
    def _session(self, what: str) -> AbstractContextManager[Executor]:
        """One connection and one transaction: commit when the block ends, roll back if it raises.

        ``what`` completes "could not …" in error messages. Database errors come out as
        :class:`~prsync_dagster.errors.WarehouseError` (or ``WarehouseLockedError``).
        """

    def _before_migrate(self, executor: Executor) -> None:
        """Take the cross-process migration lock, where the backend needs one beyond its session."""

    def _load_json(self, value: Any) -> dict[str, Any]:
        """A JSON column as read back: text in DuckDB, already decoded by psycopg for JSONB."""
        if value is None:
            return {}
        loaded = json.loads(value) if isinstance(value, str | bytes) else value
        return dict(loaded) if isinstance(loaded, dict) else {"value": loaded}

    # -- schema -------------------------------------------------------------------------------

    def migrate(self) -> None:
        with self._session("migrate the schema") as executor:
            self._before_migrate(executor)
            apply_migrations(executor, self.kind)

    # -- sync state ---------------------------------------------------------------------------

    def get_state(self, repo: str) -> SyncState | None:
        with self._session(f"read the sync state of {repo}") as executor:
            rows = executor.execute(SELECT_STATES + " WHERE repo = %s", [repo])
        return self._state_from_row(rows[0]) if rows else None

    def list_states(self) -> list[SyncState]:
        with self._session("read the sync states") as executor:
            rows = executor.execute(SELECT_STATES + " ORDER BY repo")
        return [self._state_from_row(row) for row in rows]

    def start_attempt(self, repo: str, at: datetime) -> SyncState | None:
        _require_aware(at, "at")
        with self._session(f"start a sync of {repo}") as executor:
            rows = executor.execute(SELECT_STATES + " WHERE repo = %s", [repo])
            executor.execute(_MARK_RUNNING, [repo, at])
        return self._state_from_row(rows[0]) if rows else None

    def mark_error(
        self, repo: str, error: str, at: datetime, status: Literal["error", "interrupted"] = "error"
    ) -> None:
        _require_aware(at, "at")
        if len(error) > MAX_ERROR_LENGTH:
            suffix = " …(truncated)"
            error = error[: MAX_ERROR_LENGTH - len(suffix)] + suffix
        with self._session(f"record the error of {repo}") as executor:
            executor.execute(MARK_ERROR, [repo, status, at, error, at])

    def mark_verified(self, verified: Sequence[tuple[str, str, str]], at: datetime) -> list[str]:
        _require_aware(at, "at")
        updated: list[str] = []
        if not verified:
            return updated
        with self._session(f"record {len(verified)} verified repositories") as executor:
            for repo, etag, url in verified:
                rows = executor.execute(MARK_VERIFIED, [at, at, repo, etag, url])
                updated += [str(row[0]) for row in rows]
        return updated

    # -- rows ---------------------------------------------------------------------------------

    def write_batch(
        self,
        repo: str,
        batch: Sequence[PullRequestWithReviews],
        synced_at: datetime,
        commit: SyncCommit | None = None,
    ) -> None:
        check_batch(repo, batch, synced_at, commit)
        pull_requests = [item.pull_request for item in batch]
        reviews = [review for item in batch for review in item.reviews]
        events = [event for item in batch for event in item.timeline]
        statements = self._statements
        with self._session(f"write {len(batch)} pull requests of {repo}") as executor:
            if pull_requests:
                numbers = [pr.number for pr in pull_requests]
                # reviews GitHub answered 304 for are current: kept, with their ETag
                reread = [item for item in batch if not item.reviews_unchanged]
                reread_numbers = [item.pull_request.number for item in reread]
                tagged = [item for item in reread if item.reviews_etag is not None]
                executor.execute(
                    statements.upsert_pull_requests,
                    _column_arrays(pull_requests, PULL_REQUEST_COLUMNS) + [synced_at],
                )
                executor.execute(DELETE_REVIEWS, [repo, reread_numbers, [review.id for review in reviews]])
                executor.execute(DELETE_TIMELINE, [repo, numbers, [event.node_id for event in events]])
                executor.execute(DELETE_REVIEW_ETAGS, [repo, reread_numbers])
                if tagged:
                    executor.execute(
                        INSERT_REVIEW_ETAGS,
                        [
                            repo,
                            [item.pull_request.number for item in tagged],
                            [item.reviews_etag for item in tagged],
                        ],
                    )
            if reviews:
                executor.execute(
                    statements.upsert_reviews, _column_arrays(reviews, REVIEW_COLUMNS) + [synced_at]
                )
            if events:
                executor.execute(
                    statements.upsert_timeline, _column_arrays(events, TIMELINE_COLUMNS) + [synced_at]
                )
            if commit is not None:
                executor.execute(
                    COMMIT_SYNC,
                    [
                        repo,
                        commit.repo_id,
                        commit.full_name,
                        commit.cursor,
                        commit.etag,
                        commit.probe_url,
                        commit.success_at,
                        commit.success_at,
                        commit.strategy,
                        json.dumps(commit.report, default=_json_default, sort_keys=True),
                        commit.full_refetch,
                    ],
                )

    def counts(self, repo: str) -> tuple[int, int]:
        with self._session(f"count the rows of {repo}") as executor:
            (pull_requests, reviews), *_ = executor.execute(COUNTS, [repo, repo])
        return int(pull_requests), int(reviews)

    def pull_requests(self, repo: str) -> list[PullRequestRecord]:
        names = [name for name, _ in PULL_REQUEST_COLUMNS]
        with self._session(f"read the pull requests of {repo}") as executor:
            rows = executor.execute(SELECT_PULL_REQUESTS, [repo])
        return [PullRequestRecord(**dict(zip(names, row, strict=True))) for row in rows]

    def reviews(self, repo: str) -> list[ReviewRecord]:
        names = [name for name, _ in REVIEW_COLUMNS]
        with self._session(f"read the reviews of {repo}") as executor:
            rows = executor.execute(SELECT_REVIEWS, [repo])
        return [ReviewRecord(**dict(zip(names, row, strict=True))) for row in rows]

    def timeline(self, repo: str) -> list[TimelineRecord]:
        names = [name for name, _ in TIMELINE_COLUMNS]
        with self._session(f"read the timeline events of {repo}") as executor:
            rows = executor.execute(SELECT_TIMELINE, [repo])
        return [TimelineRecord(**dict(zip(names, row, strict=True))) for row in rows]

    def review_etags(self, repo: str, numbers: Sequence[int]) -> dict[int, str]:
        if not numbers:
            return {}
        with self._session(f"read the review ETags of {repo}") as executor:
            rows = executor.execute(SELECT_REVIEW_ETAGS, [repo, list(numbers)])
        return {int(number): str(etag) for number, etag in rows}

    def timeline_count(self, repo: str) -> int:
        with self._session(f"count the timeline events of {repo}") as executor:
            (count,), *_ = executor.execute(COUNT_TIMELINE, [repo])
        return int(count)

    def _state_from_row(self, row: Sequence[Any]) -> SyncState:
        values = dict(zip(SYNC_STATE_COLUMNS, row, strict=True))
        for key, value in values.items():
            if isinstance(value, datetime):
                values[key] = value.astimezone(UTC)
        values["last_report"] = self._load_json(values["last_report"])
        return SyncState(**values)


def check_batch(
    repo: str, batch: Sequence[PullRequestWithReviews], synced_at: datetime, commit: SyncCommit | None
) -> None:
    """Reject batches that could only come from a bug, before anything is written.

    Rows of another repository would land in the wrong partition, and a PR or review listed twice
    has no defined outcome (Postgres refuses it, DuckDB keeps one): both are caller errors.
    """
    _require_aware(synced_at, "synced_at")
    numbers: set[int] = set()
    review_ids: set[int] = set()
    node_ids: set[str] = set()
    for item in batch:
        pr = item.pull_request
        if pr.repo != repo:
            raise ValueError(f"pull request #{pr.number} belongs to {pr.repo!r}, not to {repo!r}")
        if pr.number in numbers:
            raise ValueError(f"pull request #{pr.number} of {repo} appears twice in one batch")
        numbers.add(pr.number)
        for review in item.reviews:
            if review.repo != repo or review.pr_number != pr.number:
                raise ValueError(
                    f"review {review.id} of {review.repo}#{review.pr_number} listed under {repo}#{pr.number}"
                )
            if review.id in review_ids:
                raise ValueError(f"review {review.id} of {repo} appears twice in one batch")
            review_ids.add(review.id)
        for event in item.timeline:
            if event.repo != repo or event.pr_number != pr.number:
                raise ValueError(
                    f"timeline event {event.node_id} of {event.repo}#{event.pr_number} "
                    f"listed under {repo}#{pr.number}"
                )
            if event.node_id in node_ids:
                raise ValueError(f"timeline event {event.node_id} of {repo} appears twice in one batch")
            node_ids.add(event.node_id)
    if commit is not None:
        if commit.repo != repo:
            raise ValueError(f"sync commit for {commit.repo!r} passed with a batch of {repo!r}")
        _require_aware(commit.success_at, "commit.success_at")
        if isinstance(commit.cursor, datetime):
            _require_aware(commit.cursor, "commit.cursor")


def _column_arrays(
    records: Sequence[PullRequestRecord | ReviewRecord | TimelineRecord], columns: Sequence[tuple[str, str]]
) -> list[Any]:
    """Records turned into one Python list per column, the parameters of an ``unnest`` insert
    (a list column's entries as JSON text, see :func:`_insert_from_arrays`)."""
    return [
        [
            json.dumps(list(getattr(record, name))) if sql_type == LIST else getattr(record, name)
            for record in records
        ]
        for name, sql_type in columns
    ]


def _require_aware(value: datetime, name: str) -> None:
    """A naive timestamp would be read in the server's time zone: refuse it instead of guessing."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")


def _json_default(value: object) -> Any:
    """Let reports carry timestamps and the like; they are stored as ISO text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)
