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
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from types import UnionType
from typing import Annotated, Any, Generic, Literal, TypeVar, Union, get_args, get_origin

from prsync_dagster.github.records import (
    PullRequestRecord,
    PullRequestWithReviews,
    ReviewRecord,
    TimelineRecord,
)
from prsync_dagster.warehouse.base import SyncCommit, SyncState, Warehouse
from prsync_dagster.warehouse.migrate import Executor, apply_migrations

R = TypeVar("R", PullRequestRecord, ReviewRecord, TimelineRecord)

#: Longest ``last_error`` stored; tracebacks beyond this are cut (the run's logs keep the rest).
MAX_ERROR_LENGTH = 10_000

#: Marks a list column (native array: DuckDB ``VARCHAR[]``, Postgres ``text[]``).
LIST = "LIST"

#: SQL type of a record field's array parameter, by the field's Python type (ids: see ``BIGINT``).
_SQL_TYPES: dict[Any, str] = {
    str: "TEXT",
    Literal: "TEXT",
    int: "INTEGER",
    bool: "BOOLEAN",
    datetime: "TIMESTAMPTZ",
    tuple: LIST,
}

#: Integer columns that hold GitHub's ids, which outgrew 32 bits.
BIGINT = frozenset({"id", "repo_id"})


def _sql_type(name: str, annotation: Any) -> str:
    """The SQL type of one record field (``Optional`` and ``Annotated`` unwrapped)."""
    if name in BIGINT:
        return "BIGINT"
    while get_origin(annotation) in (Union, UnionType, Annotated):
        annotation = get_args(annotation)[0]
    return _SQL_TYPES[get_origin(annotation) or annotation]


@dataclass(frozen=True)
class Table(Generic[R]):
    """A table written from and read into one record model: its columns are the model's fields,
    in order (CONTRACT.md fixes both), so the model is the one column list."""

    name: str
    record: type[R]
    key: tuple[str, ...]
    order: str

    @functools.cached_property
    def columns(self) -> tuple[tuple[str, str], ...]:
        """(column, SQL type) in table order."""
        return tuple(
            (name, _sql_type(name, info.annotation)) for name, info in self.record.model_fields.items()
        )

    def upsert(self, list_from_json: str) -> str:
        """Insert, or update a row whose content changed; an identical row (and its ``synced_at``)
        stays untouched, so repeating a sync leaves the tables byte-for-byte identical.

        ``INSERT INTO table (cols) SELECT … FROM (SELECT unnest(%s::T[]) AS col, …)``: one array
        parameter per column (:meth:`arrays`), then the ``synced_at`` parameter. A list column's
        array holds one JSON text per row, turned into the native array by ``list_from_json`` (a
        template with ``{}`` for the value). Only our constant identifiers and types are
        formatted into the text.
        """
        names = ", ".join(name for name, _ in self.columns)
        arrays = ", ".join(
            f"unnest(%s::{'TEXT' if sql_type == LIST else sql_type}[]) AS {name}"
            for name, sql_type in self.columns
        )
        values = ", ".join(
            list_from_json.format(f"batch.{name}") if sql_type == LIST else f"batch.{name}"
            for name, sql_type in self.columns
        )
        updated = [name for name, _ in self.columns if name not in self.key]
        short = self.name.split(".")[-1]
        return (
            f"INSERT INTO {self.name} ({names}, synced_at) SELECT {values}, batch.synced_at "  # noqa: S608
            f"FROM (SELECT {arrays}, CAST(%s AS TIMESTAMPTZ) AS synced_at) AS batch"
            f" ON CONFLICT ({', '.join(self.key)}) DO UPDATE SET "
            + ", ".join(f"{name} = excluded.{name}" for name in updated)
            + ", synced_at = excluded.synced_at"
            + f" WHERE ({', '.join(f'{short}.{name}' for name in updated)})"
            + f" IS DISTINCT FROM ({', '.join(f'excluded.{name}' for name in updated)})"
        )

    def arrays(self, records: Sequence[R]) -> list[Any]:
        """Records turned into one Python list per column, the parameters of :meth:`upsert`
        (a list column's entries as JSON text)."""
        return [
            [
                json.dumps(list(getattr(record, name))) if sql_type == LIST else getattr(record, name)
                for record in records
            ]
            for name, sql_type in self.columns
        ]


PULL_REQUESTS = Table("github.pull_requests", PullRequestRecord, ("repo", "number"), "number")
REVIEWS = Table("github.pull_request_reviews", ReviewRecord, ("repo", "id"), "pr_number, id")
TIMELINE = Table(
    "github.pull_request_timeline", TimelineRecord, ("repo", "node_id"), "pr_number, created_at, node_id"
)

#: Columns of ``github.sync_state``, as the fields of :class:`SyncState`.
SYNC_STATE_COLUMNS: tuple[str, ...] = tuple(item.name for item in fields(SyncState))


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

COUNT_TIMELINE = "SELECT count(*) FROM github.pull_request_timeline WHERE repo = %s"

COUNTS = """
SELECT
    (SELECT count(*) FROM github.pull_requests WHERE repo = %s),
    (SELECT count(*) FROM github.pull_request_reviews WHERE repo = %s)
"""


class SqlWarehouse(Warehouse):
    """The warehouse semantics over any connection that speaks the shared SQL above."""

    #: SQL turning a JSON array of strings (``{}``: a TEXT expression) into the native array type.
    list_from_json: str

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.location!r})"

    def close(self) -> None:
        """Nothing to release: every operation opens and closes its own connection."""

    @abc.abstractmethod
    def _session(self, what: str) -> AbstractContextManager[Executor]:
        """One connection and one transaction: commit when the block ends, roll back if it raises.

        ``what`` completes "could not …" in error messages. Database errors come out as
        :class:`~prsync_dagster.errors.WarehouseError` (or ``WarehouseLockedError``).
        """

    def _query(self, what: str, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        """The rows of one statement, run in its own session (``what`` as in :meth:`_session`)."""
        with self._session(what) as executor:
            return executor.execute(sql, params)

    def _before_migrate(self, executor: Executor) -> None:
        """Take the cross-process migration lock, where the backend needs one beyond its session."""

    # -- schema -------------------------------------------------------------------------------

    def migrate(self) -> None:
        with self._session("migrate the schema") as executor:
            self._before_migrate(executor)
            apply_migrations(executor, self.kind)

    # -- sync state ---------------------------------------------------------------------------

    def get_state(self, repo: str) -> SyncState | None:
        rows = self._query(f"read the sync state of {repo}", SELECT_STATES + " WHERE repo = %s", [repo])
        return self._state_from_row(rows[0]) if rows else None

    def list_states(self) -> list[SyncState]:
        rows = self._query("read the sync states", SELECT_STATES + " ORDER BY repo", [])
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
        self._query(f"record the error of {repo}", MARK_ERROR, [repo, status, at, error, at])

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
        with self._session(f"write {len(batch)} pull requests of {repo}") as executor:
            if pull_requests:
                numbers = [pr.number for pr in pull_requests]
                # reviews GitHub answered 304 for are current: kept, with their ETag
                reread = [item for item in batch if not item.reviews_unchanged]
                reread_numbers = [item.pull_request.number for item in reread]
                etags = {
                    item.pull_request.number: item.reviews_etag
                    for item in reread
                    if item.reviews_etag is not None
                }
                self._upsert(executor, PULL_REQUESTS, pull_requests, synced_at)
                executor.execute(DELETE_REVIEWS, [repo, reread_numbers, [review.id for review in reviews]])
                executor.execute(DELETE_TIMELINE, [repo, numbers, [event.node_id for event in events]])
                executor.execute(DELETE_REVIEW_ETAGS, [repo, reread_numbers])
                if etags:
                    executor.execute(INSERT_REVIEW_ETAGS, [repo, list(etags), list(etags.values())])
            self._upsert(executor, REVIEWS, reviews, synced_at)
            self._upsert(executor, TIMELINE, events, synced_at)
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
        (pull_requests, reviews), *_ = self._query(f"count the rows of {repo}", COUNTS, [repo, repo])
        return int(pull_requests), int(reviews)

    def pull_requests(self, repo: str) -> list[PullRequestRecord]:
        return self._read(PULL_REQUESTS, repo, "pull requests")

    def reviews(self, repo: str) -> list[ReviewRecord]:
        return self._read(REVIEWS, repo, "reviews")

    def timeline(self, repo: str) -> list[TimelineRecord]:
        return self._read(TIMELINE, repo, "timeline events")

    def _read(self, table: Table[R], repo: str, what: str) -> list[R]:
        names = [name for name, _ in table.columns]
        select = f"SELECT {', '.join(names)} FROM {table.name} WHERE repo = %s ORDER BY {table.order}"  # noqa: S608
        rows = self._query(f"read the {what} of {repo}", select, [repo])
        return [table.record(**dict(zip(names, row, strict=True))) for row in rows]

    def _upsert(self, executor: Executor, table: Table[R], records: Sequence[R], synced_at: datetime) -> None:
        """Upsert ``records`` (no statement when there are none)."""
        if records:
            executor.execute(table.upsert(self.list_from_json), [*table.arrays(records), synced_at])

    def review_etags(self, repo: str, numbers: Sequence[int]) -> dict[int, str]:
        if not numbers:
            return {}
        rows = self._query(f"read the review ETags of {repo}", SELECT_REVIEW_ETAGS, [repo, list(numbers)])
        return {int(number): str(etag) for number, etag in rows}

    def timeline_count(self, repo: str) -> int:
        (count,), *_ = self._query(f"count the timeline events of {repo}", COUNT_TIMELINE, [repo])
        return int(count)

    def _state_from_row(self, row: Sequence[Any]) -> SyncState:
        values = {key: as_utc(value) for key, value in zip(SYNC_STATE_COLUMNS, row, strict=True)}
        report = values["last_report"]  # JSON text from DuckDB, decoded already by psycopg (JSONB)
        if isinstance(report, str | bytes):
            report = json.loads(report)
        values["last_report"] = dict(report or {})  # NULL until the first successful sync
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
    seen: set[tuple[str, int | str]] = set()  # (kind, id) of the reviews and timeline events so far
    for item in batch:
        pr = item.pull_request
        if pr.repo != repo:
            raise ValueError(f"pull request #{pr.number} belongs to {pr.repo!r}, not to {repo!r}")
        if pr.number in numbers:
            raise ValueError(f"pull request #{pr.number} of {repo} appears twice in one batch")
        numbers.add(pr.number)
        children: list[tuple[str, int | str, ReviewRecord | TimelineRecord]] = [
            *(("review", review.id, review) for review in item.reviews),
            *(("timeline event", event.node_id, event) for event in item.timeline),
        ]
        for kind, ident, child in children:
            if child.repo != repo or child.pr_number != pr.number:
                raise ValueError(
                    f"{kind} {ident} of {child.repo}#{child.pr_number} listed under {repo}#{pr.number}"
                )
            if (kind, ident) in seen:
                raise ValueError(f"{kind} {ident} of {repo} appears twice in one batch")
            seen.add((kind, ident))
    if commit is not None:
        if commit.repo != repo:
            raise ValueError(f"sync commit for {commit.repo!r} passed with a batch of {repo!r}")
        _require_aware(commit.success_at, "commit.success_at")
        if isinstance(commit.cursor, datetime):
            _require_aware(commit.cursor, "commit.cursor")


def as_utc(value: Any) -> Any:
    """A timestamp read back, in UTC (psycopg returns the session's time zone); other values as they are."""
    return value.astimezone(UTC) if isinstance(value, datetime) else value


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
