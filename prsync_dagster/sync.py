"""The sync engine: bring one repository's warehouse copy up to date, and say what it cost.

Pure Python: no Dagster, no SQL. The flow for one repository is

1. read the repository's sync state (cursor, ETag of the last probe);
2. probe: a conditional request for page 1 of the updated-sorted pulls list; a 304 means nothing
   changed since the last sync, which costs no rate-limit points;
3. otherwise stream the PRs updated since ``cursor - overlap`` (REST or GraphQL, newest first,
   stopping at the boundary) with their complete review lists;
4. write them in batches; the last batch commits the new cursor and ETag in the same transaction,
   so a crash at any point leaves the cursor at or behind the stored rows, never ahead.

The cursor is the highest ``updated_at`` among stored rows, never the wall clock: GitHub's
timestamps and ours are not the same clock, and a PR updated while we page is caught next time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from prsync_dagster.errors import PrsyncError
from prsync_dagster.github.client import GitHubClient
from prsync_dagster.github.delta import RepoTarget
from prsync_dagster.github.records import PullRequestWithReviews
from prsync_dagster.github.rest import ProbeResult, RestPullRequestStream, probe, probe_url
from prsync_dagster.github.streams import PROBE_PAGE_SIZE, GraphQLOrRestStream, open_stream
from prsync_dagster.repos import normalize_repo
from prsync_dagster.secrets import redact
from prsync_dagster.settings import Strategy
from prsync_dagster.warehouse.base import SyncCommit, SyncState, Warehouse


@dataclass(frozen=True)
class SyncOptions:
    strategy: Strategy = "auto"
    full_refresh: bool = False
    #: Re-read PRs updated this long before the cursor: GitHub's updated_at is not strictly
    #: monotonic across its replicas, and equal timestamps straddle a page boundary.
    overlap: timedelta = timedelta(minutes=10)
    #: PRs per write transaction when a sync (typically a first sync) is large.
    batch_size: int = 500
    #: Also refetch reviews of PRs updated in the last N days (catches review dismissals that
    #: GitHub did not reflect in the PR's updated_at). 0 disables the sweep.
    review_sweep_days: int = 0


@dataclass(frozen=True)
class SyncReport:
    """What one sync did and cost; shown as Dagster metadata, in ``prsync status`` and the demo."""

    repo: str
    full_name: str
    #: The configured strategy (auto, graphql, rest) and the API that fetched the changes
    #: (``graphql``, ``rest``, or ``none`` when the probe said nothing changed).
    strategy: str
    fetched_with: str
    changed: bool
    full_refresh: bool
    pull_requests: int
    reviews: int
    batches: int
    requests: int
    not_modified: int
    retries: int
    rest_points: int
    graphql_points: int
    rate_limit_remaining: dict[str, int]
    cursor_before: datetime | None
    cursor_after: datetime | None
    started_at: datetime
    seconds: float
    warnings: tuple[str, ...] = ()
    #: Timeline events (review requests, draft changes) stored for the changed PRs.
    timeline_events: int = 0
    #: Why a repository with stored rows was refetched in full without being asked (else None).
    refetch_reason: str | None = None

    @property
    def points(self) -> int:
        return self.rest_points + self.graphql_points

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form (timestamps as ISO strings), stored in ``sync_state.last_report``."""
        data = asdict(self)
        data["points"] = self.points
        data["warnings"] = list(self.warnings)
        for key in ("cursor_before", "cursor_after", "started_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


#: ``SyncReport.refetch_reason`` when migration 0002 flagged the repository (issue 13).
UPGRADE_REFETCH_REASON = (
    "schema upgrade (migration 0002, review-metrics columns): rows stored before it are refetched "
    "in full once so they gain the new fields"
)


ClientFactory = Callable[[str], GitHubClient]
"""Builds the GitHub client of one sync, given the repository owner (GitHub Apps need it)."""


class Clock(Protocol):
    """Where a sync reads the time: ``now`` for stored timestamps (UTC), ``monotonic`` for durations."""

    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


@dataclass(frozen=True)
class SyncProgress:
    """One step of a sync, for progress displays (the CLI) and logs (the asset).

    ``stage``: ``started``, ``unchanged`` (304), ``fetching`` (every 100 PRs read), ``stored``
    (a batch committed), ``done``, ``failed`` or ``interrupted``. Counts are so far, this sync.
    """

    repo: str
    stage: Literal["started", "unchanged", "fetching", "stored", "done", "failed", "interrupted"]
    message: str
    pull_requests_fetched: int = 0
    pull_requests_stored: int = 0
    reviews_stored: int = 0


ProgressCallback = Callable[[SyncProgress], None]

#: A ``fetching`` progress event every this many PRs read from GitHub.
PROGRESS_EVERY = 100


class RepositorySync:
    """One sync of one repository: ``RepositorySync(repo, github, warehouse, options).run()``.

    Holds what a sync needs (the repository, a client factory, the warehouse, options, a clock and
    a progress callback) and what it accumulates (counts, the newest ``updated_at`` seen, warnings),
    so that each step is a method without a long parameter list. Not reusable: one object, one run.
    """

    def __init__(
        self,
        repo: str,
        github: ClientFactory,
        warehouse: Warehouse,
        options: SyncOptions | None = None,
        *,
        clock: Clock | None = None,
        progress: ProgressCallback | None = None,
    ) -> None:
        self.key = normalize_repo(repo)
        self.github = github
        self.warehouse = warehouse
        self.options = options or SyncOptions()
        self.clock = clock or SystemClock()
        self.progress = progress or (lambda _event: None)
        self.fetched = 0
        self.pull_requests = 0
        self.reviews = 0
        self.timeline_events = 0
        #: PR number -> (reviews, timeline events) as last written: a PR written twice (it moved
        #: between REST pages, or ``auto`` fell back to REST mid-fetch) counts once.
        self._stored: dict[int, tuple[int, int]] = {}
        #: set when this sync reads every PR (clears ``needs_full_refetch`` with its cursor)
        self.full_refetch = False
        self.refetch_reason: str | None = None
        self.batches = 0
        self.newest: datetime | None = None
        self.warnings: list[str] = []
        self._lock_retries_before = warehouse.lock_retries

    def run(self) -> SyncReport:
        """Sync; on failure record it (status ``error``, or ``interrupted`` for Ctrl-C, SIGTERM and
        run termination, which are ``BaseException``s) with a one-line reason, and re-raise.

        Data and cursor are then as after the last committed batch: rows of whole batches, the
        cursor (moved only with the last batch) at or behind them.
        """
        #: when the run started: stored time, and monotonic for its duration
        self.started_at, self._started = self.clock.now(), self.clock.monotonic()
        state = self.warehouse.start_attempt(self.key, self.started_at)
        target = RepoTarget(
            key=self.key,
            full_name=(state.full_name if state and state.full_name else self.key),
            repo_id=state.repo_id if state else None,
        )
        client: GitHubClient | None = None
        try:
            client = self.github(target.owner)
            try:
                return self._sync(client, target, state)
            finally:
                client.close()
        except BaseException as exc:
            self._record_failure(exc, client)
            raise

    def _sync(self, client: GitHubClient, target: RepoTarget, state: SyncState | None) -> SyncReport:
        cursor_before = state.cursor if state else None
        # Migration 0002 flags repositories synced before the review-metrics columns existed: read
        # every PR once (never skipped by a 304) so old rows gain the new fields (issue 13).
        upgrade = state is not None and state.needs_full_refetch
        since = None if upgrade else self._since(cursor_before)
        self.full_refetch = since is None
        if upgrade and cursor_before is not None and not self.options.full_refresh:
            self.refetch_reason = UPGRADE_REFETCH_REASON
            self._say("started", f"{self.key}: {UPGRADE_REFETCH_REASON}")
        self._say(
            "started",
            f"{self.key}: {'incremental since ' + since.isoformat() if since else 'full'} sync, "
            f"strategy {self.options.strategy}",
        )
        # Every strategy starts with the conditional probe. Its ETag is only valid for the URL it
        # came from, and a sweep or a full refresh must not be skipped by a 304. A repository
        # without PRs has no cursor but an ETag all the same (issue 9.5: it was charged 2 points
        # on every sync when the ETag was tied to the cursor).
        per_page = PROBE_PAGE_SIZE[self.options.strategy]
        reusable = not self.options.full_refresh and self.options.review_sweep_days == 0 and not upgrade
        stored_etag = (
            state.etag if state and reusable and state.probe_url == probe_url(target, per_page) else None
        )
        probed = probe(client, target, stored_etag, per_page)
        if probed.unchanged:
            self._say("unchanged", f"{self.key}: unchanged since the last sync (304, no rate-limit points)")
            return self._finish(client, probed.target, probed, cursor_before, [], None)

        stream = open_stream(self.options.strategy, client, probed)
        if isinstance(stream, RestPullRequestStream):  # conditional review requests (304: free)
            stream.use_review_etags(lambda numbers: self.warehouse.review_etags(self.key, numbers))
        # Keyed by number: a PR updated while we page shifts the REST list, so a PR can show up on
        # two pages; the later copy was fetched later and replaces the earlier one.
        batch: dict[int, PullRequestWithReviews] = {}
        for item in stream.changed_since(since):
            batch[item.pull_request.number] = item
            self.fetched += 1
            updated = item.pull_request.updated_at
            self.newest = updated if self.newest is None else max(self.newest, updated)
            if self.fetched % PROGRESS_EVERY == 0:
                self._say("fetching", f"{self.key}: read {self.fetched} pull requests")
            if len(batch) >= self.options.batch_size:
                # Rows only: the cursor moves with the last batch, so a crash here is harmless.
                self._write(list(batch.values()), commit=None)
                batch = {}
        if isinstance(stream, GraphQLOrRestStream) and stream.fallback_reason:
            self.warnings.append(f"fetched {self.key} over REST: {stream.fallback_reason}")
        return self._finish(
            client, stream.target, probed, cursor_before, list(batch.values()), stream.strategy
        )

    def _since(self, cursor: datetime | None) -> datetime | None:
        """Where the fetch stops: ``cursor - overlap`` (earlier for a review sweep); None = all."""
        if cursor is None or self.options.full_refresh:
            return None
        since = cursor - self.options.overlap
        if self.options.review_sweep_days > 0:
            since = min(since, self.started_at - timedelta(days=self.options.review_sweep_days))
        return since

    def _write(self, batch: list[PullRequestWithReviews], commit: SyncCommit | None) -> None:
        self.warehouse.write_batch(self.key, batch, self.clock.now(), commit)
        self._count(batch)
        self.batches += 1
        if batch:
            self._say("stored", f"{self.key}: stored {self.pull_requests} pull requests so far")

    def _count(self, batch: list[PullRequestWithReviews]) -> None:
        for item in batch:
            self._stored[item.pull_request.number] = (len(item.reviews), len(item.timeline))
        self.pull_requests = len(self._stored)
        self.reviews = sum(reviews for reviews, _ in self._stored.values())
        self.timeline_events = sum(events for _, events in self._stored.values())

    def _finish(
        self,
        client: GitHubClient,
        target: RepoTarget,
        probed: ProbeResult,
        cursor_before: datetime | None,
        batch: list[PullRequestWithReviews],
        fetched_with: str | None,
    ) -> SyncReport:
        """Write the last batch with the new cursor, ETag and report: one transaction."""
        cursor_after = max((c for c in (cursor_before, self.newest) if c is not None), default=None)
        if target.renamed:
            self.warnings.append(
                f"GitHub says {self.key} is now {target.full_name}; rows keep the partition key "
                f"{self.key!r}. Rename the partition (prsync repos add {target.full_name.lower()}) if "
                "you wish. Until a full refresh, html_url of PRs unchanged since the rename keeps the "
                "old name (GitHub redirects it)."
            )
        stats = client.stats
        self._count(batch)  # the report is committed with the last batch, so count it first
        report = SyncReport(
            repo=self.key,
            full_name=target.full_name,
            strategy=self.options.strategy,
            fetched_with=fetched_with or "none",
            changed=fetched_with is not None,
            full_refresh=self.options.full_refresh,
            pull_requests=self.pull_requests,
            reviews=self.reviews,
            batches=self.batches + 1,
            requests=stats.requests,
            not_modified=stats.not_modified,
            retries=stats.retries + self.warehouse.lock_retries - self._lock_retries_before,
            rest_points=stats.rest_points,
            graphql_points=stats.graphql_points,
            rate_limit_remaining=dict(stats.rate_limit_remaining),
            cursor_before=cursor_before,
            cursor_after=cursor_after,
            started_at=self.started_at,
            seconds=round(self.clock.monotonic() - self._started, 3),
            warnings=tuple(self.warnings),
            timeline_events=self.timeline_events,
            refetch_reason=self.refetch_reason,
        )
        commit = SyncCommit(
            repo=self.key,
            repo_id=target.repo_id,
            full_name=target.full_name,
            cursor=cursor_after,
            etag=probed.etag,
            probe_url=probed.url,  # the URL the ETag belongs to
            success_at=self.clock.now(),
            strategy=report.strategy,
            report=report.as_dict(),
            full_refetch=self.full_refetch and fetched_with is not None,
        )
        self._write(batch, commit=commit)
        self._say("done", f"{self.key}: done, {report.pull_requests} pull requests, {report.points} points")
        return report

    def _record_failure(self, exc: BaseException, client: GitHubClient | None) -> None:
        interrupted = not isinstance(exc, Exception)
        message = describe_error(exc)
        try:
            self.warehouse.mark_error(
                self.key, message, self.clock.now(), status="interrupted" if interrupted else "error"
            )
        except Exception as store_exc:  # the original error matters more; say both
            self._say("failed", f"could not record the error in sync_state: {describe_error(store_exc)}")
        requests = client.stats.requests if client else 0
        stage = "interrupted" if interrupted else "failed"
        self._say(stage, f"sync of {self.key} {stage} after {requests} requests: {message}")

    def _say(self, stage: Any, message: str) -> None:
        self.progress(
            SyncProgress(
                repo=self.key,
                stage=stage,
                message=message,
                pull_requests_fetched=self.fetched,
                pull_requests_stored=self.pull_requests,
                reviews_stored=self.reviews,
            )
        )


def sync_repository(
    repo: str,
    github: ClientFactory,
    warehouse: Warehouse,
    options: SyncOptions | None = None,
    log: Callable[[str], None] | None = None,
    *,
    clock: Clock | None = None,
    progress: ProgressCallback | None = None,
) -> SyncReport:
    """Sync one repository (see :class:`RepositorySync`); ``log`` receives each progress message."""

    def report(event: SyncProgress) -> None:
        if log is not None:
            log(event.message)
        if progress is not None:
            progress(event)

    return RepositorySync(repo, github, warehouse, options, clock=clock, progress=report).run()


def describe_error(exc: BaseException) -> str:
    """One line for ``sync_state.last_error``, the Dagster failure and the CLI: specific, free of
    secrets. Interrupts (Ctrl-C, SIGTERM, run termination) say so."""
    if not isinstance(exc, Exception):
        detail = str(exc).strip()
        kind = type(exc).__name__ + (f": {detail}" if detail else "")
        text = f"interrupted ({kind}); rows and cursor are as of the last committed batch"
    else:
        text = str(exc) if isinstance(exc, PrsyncError) else f"{type(exc).__name__}: {exc}"
    return redact(" ".join(text.split()))[:1000]
