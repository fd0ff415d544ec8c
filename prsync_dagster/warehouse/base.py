"""The warehouse interface the sync engine writes through; DuckDB and Postgres implement it.

The engine knows nothing of SQL dialects. It hands a backend batches of changed pull requests
(each with its complete review list) and, with the last batch of a sync, the new sync state. A
backend writes one batch in one transaction: rows, review replacement and (when given) cursor and
ETag commit together or not at all, so the cursor can never be ahead of the stored rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol, Self

from prsync_dagster.github.records import (
    PullRequestRecord,
    PullRequestWithReviews,
    ReviewRecord,
    TimelineRecord,
)

#: ``running`` (an attempt started, or its process was killed), ``ok`` (last attempt succeeded),
#: ``error`` (last attempt failed; see ``last_error``), ``interrupted`` (last attempt was stopped by
#: Ctrl-C, SIGTERM or a run termination; rows and cursor as after its last committed batch).
SyncStatus = Literal["running", "ok", "error", "interrupted"]


@dataclass(frozen=True)
class SyncState:
    """One row of ``github.sync_state``: where a repository's last successful sync left off."""

    repo: str
    status: SyncStatus
    repo_id: int | None = None
    #: GitHub's current ``owner/name`` (differs from ``repo`` after a rename).
    full_name: str | None = None
    #: High-water mark of PR ``updated_at`` covered by stored rows.
    cursor: datetime | None = None
    #: ETag of the conditional no-change probe, valid only for ``probe_url``.
    etag: str | None = None
    probe_url: str | None = None
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    #: When ``last_error`` happened (``last_attempt_at`` is when that attempt started).
    last_error_at: datetime | None = None
    #: Strategy that ran last (``rest`` or ``graphql``) and the figures of the last sync.
    strategy: str | None = None
    last_report: dict[str, Any] = field(default_factory=dict)
    #: Set by migration 0002 for repositories synced before the review-metrics columns existed:
    #: their next sync refetches everything once so old rows gain the new fields (issue 13).
    needs_full_refetch: bool = False


@dataclass(frozen=True)
class SyncCommit:
    """What a successful sync writes to ``sync_state`` together with its last batch of rows."""

    repo: str
    repo_id: int | None
    full_name: str | None
    cursor: datetime | None
    etag: str | None
    probe_url: str | None
    success_at: datetime
    strategy: str
    report: dict[str, Any]
    #: This sync read every PR (not only those changed since the cursor): clears
    #: ``needs_full_refetch`` in the same transaction as the cursor.
    full_refetch: bool = False


class Warehouse(Protocol):
    """A place to store pull requests, reviews and sync state (schema ``github``).

    Backends subclass this protocol explicitly, so mypy checks that they implement every method.
    """

    #: ``duckdb`` or ``postgres``; shown in metadata and status.
    kind: str
    #: Where the data lives, for people (file path or URL without password); shown in metadata and status.
    location: str
    #: Waits for a lock held by another process so far (DuckDB's file lock); counted in SyncReport.retries.
    lock_retries: int = 0

    def migrate(self) -> None:
        """Create or upgrade schema ``github`` (idempotent; safe to run from several processes)."""

    def get_state(self, repo: str) -> SyncState | None:
        """The sync state of one repository, or None if it was never synced."""

    def list_states(self) -> list[SyncState]:
        """The sync state of every repository that was ever attempted, ordered by repo."""

    def start_attempt(self, repo: str, at: datetime) -> SyncState | None:
        """The state before this attempt, and the attempt recorded as ``running`` (``last_attempt_at``),
        in one connection (opening a DuckDB file costs tens of milliseconds); cursor untouched."""

    def mark_error(
        self, repo: str, error: str, at: datetime, status: Literal["error", "interrupted"] = "error"
    ) -> None:
        """Record a failed (or interrupted) attempt: ``status``, ``last_error``; rows and cursor untouched."""

    def mark_verified(self, verified: Sequence[tuple[str, str, str]], at: datetime) -> list[str]:
        """Record that GitHub confirmed, with a 304 to the stored ETag, that nothing changed.

        ``verified``: (repo, etag, probe_url) as the probe sent them. In one transaction, for each
        repository whose stored ETag and probe URL are still those and whose status is ``ok``,
        ``last_attempt_at`` and ``last_success_at`` become ``at``: what a sync answered by the same
        304 would have committed (issue 11: a verification counts as fresh for the freshness check
        and ``prsync status``). Rows and cursor are untouched. Returns the repositories updated
        (a repository synced or failed since its probe is left alone).
        """

    def write_batch(
        self,
        repo: str,
        batch: Sequence[PullRequestWithReviews],
        synced_at: datetime,
        commit: SyncCommit | None = None,
    ) -> None:
        """Upsert the PRs, replace each PR's reviews and timeline events, and apply ``commit`` (if
        any): one transaction."""

    def counts(self, repo: str) -> tuple[int, int]:
        """Stored (pull requests, reviews) of one repository."""

    def pull_requests(self, repo: str) -> list[PullRequestRecord]:
        """Every stored PR of a repository, ordered by number (used by checks, status and tests)."""

    def reviews(self, repo: str) -> list[ReviewRecord]:
        """Every stored review of a repository, ordered by (pr_number, id)."""

    def timeline(self, repo: str) -> list[TimelineRecord]:
        """Every stored timeline event of a repository, ordered by (pr_number, created_at, node_id)."""

    def review_etags(self, repo: str, numbers: Sequence[int]) -> dict[int, str]:
        """PR number -> ETag of its last single-page REST review list, for those of ``numbers``
        that have one (the REST stream asks again conditionally: a 304 costs nothing)."""

    def timeline_count(self, repo: str) -> int:
        """Stored timeline events of one repository."""

    def close(self) -> None:
        """Release connections (held only by backends that pool them)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """``with open_warehouse() as wh:`` closes the warehouse however the block ends."""
        self.close()
