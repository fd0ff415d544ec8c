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
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, get_args

from prsync_dagster.errors import ConfigurationError, GraphQLUnavailableError, PrsyncError
from prsync_dagster.github.client import GitHubClient, RequestStats
from prsync_dagster.github.delta import PullRequestStream, RepoTarget
from prsync_dagster.github.graphql import GraphQLPullRequestStream
from prsync_dagster.github.records import PullRequestWithReviews
from prsync_dagster.github.rest import ProbeResult, RestPullRequestStream, probe, probe_url
from prsync_dagster.repos import normalize_repo
from prsync_dagster.secrets import redact
from prsync_dagster.warehouse.base import SyncCommit, SyncState, Warehouse

Strategy = Literal["auto", "graphql", "rest"]
STRATEGIES: tuple[str, ...] = get_args(Strategy)

#: Page size of the probe per strategy: REST reuses the probe as its first data page; GraphQL
#: fetching only needs to know whether the newest PR changed, so one item is enough.
PROBE_PAGE_SIZE = {"rest": 100, "auto": 1, "graphql": 1}


def parse_strategy(value: str) -> Strategy:
    lowered = value.strip().lower()
    if lowered not in STRATEGIES:
        raise ConfigurationError(
            f"PRSYNC_GITHUB_STRATEGY must be one of {', '.join(STRATEGIES)}, got {value!r}"
        )
    return lowered  # type: ignore[return-value]


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
    #: Why a repository with a cursor was refetched in full without being asked (else None).
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
            value = data[key]
            data[key] = value.isoformat() if value else None
        return data


ClientFactory = Callable[[str], GitHubClient]
"""Builds the GitHub client of one sync, given the repository owner (GitHub Apps need it)."""


#: ``SyncReport.refetch_reason`` when migration 0002 flagged the repository (issue 13).
UPGRADE_REFETCH_REASON = (
    "schema upgrade (migration 0002, review-metrics columns): rows stored before it are refetched "
    "in full once so they gain the new fields"
)


@dataclass
class _Progress:
    pull_requests: int = 0
    reviews: int = 0
    timeline_events: int = 0
    batches: int = 0
    newest: datetime | None = None
    warnings: list[str] = field(default_factory=list)


def sync_repository(
    repo: str,
    github: ClientFactory,
    warehouse: Warehouse,
    options: SyncOptions | None = None,
    log: Callable[[str], None] | None = None,
) -> SyncReport:
    """Sync one repository; on failure record the error (data and cursor untouched) and re-raise."""
    options = options or SyncOptions()
    key = normalize_repo(repo)
    say = log or (lambda _message: None)
    started_at = datetime.now(UTC)
    clock = time.monotonic()
    state = warehouse.start_attempt(key, started_at)
    stats = RequestStats()
    try:
        target = RepoTarget(
            key=key,
            full_name=(state.full_name if state and state.full_name else key),
            repo_id=state.repo_id if state else None,
        )
        client = github(target.owner)
        stats = client.stats
        try:
            report = _sync(key, target, client, warehouse, state, options, started_at, clock, say)
        finally:
            client.close()
    except BaseException as exc:
        message = describe_error(exc)
        try:
            warehouse.mark_error(key, message, datetime.now(UTC))
        except Exception as store_exc:  # the original error matters more; say both
            say(f"could not record the error in sync_state: {describe_error(store_exc)}")
        say(f"sync of {key} failed after {stats.requests} requests: {message}")
        raise
    return report


def _sync(
    key: str,
    target: RepoTarget,
    client: GitHubClient,
    warehouse: Warehouse,
    state: SyncState | None,
    options: SyncOptions,
    started_at: datetime,
    clock: float,
    say: Callable[[str], None],
) -> SyncReport:
    cursor_before = state.cursor if state else None
    upgrade_refetch = cursor_before is not None and state is not None and state.needs_full_refetch
    incremental = cursor_before is not None and not options.full_refresh and not upgrade_refetch
    refetch_reason = UPGRADE_REFETCH_REASON if upgrade_refetch and not options.full_refresh else None
    if refetch_reason:
        say(f"{key}: {refetch_reason}")
    since: datetime | None = None
    if cursor_before is not None and incremental:
        since = cursor_before - options.overlap
        if options.review_sweep_days > 0:
            since = min(since, started_at - timedelta(days=options.review_sweep_days))
    say(
        f"{key}: {'incremental since ' + since.isoformat() if since else 'full'} sync, "
        f"strategy {options.strategy}"
    )

    # Every strategy starts with the conditional probe. Its ETag is only valid for the URL it came
    # from, and a sweep must not be skipped by a 304.
    per_page = PROBE_PAGE_SIZE[options.strategy]
    reusable = state is not None and incremental and options.review_sweep_days == 0
    stored_etag = (
        state.etag if state and reusable and state.probe_url == probe_url(target, per_page) else None
    )
    probed = probe(client, target, stored_etag, per_page)
    if probed.unchanged:
        say(f"{key}: unchanged since the last sync (304, no rate-limit points)")
        return _finish(
            key, target, client, warehouse, options, started_at, clock, _Progress(), cursor_before,
            probed, changed=False, full_refetch=False,
        )  # fmt: skip

    stream = _stream(options.strategy, client, target, probed)
    if isinstance(stream, RestPullRequestStream):  # conditional review requests (304: free)
        stream.use_review_etags(lambda numbers: warehouse.review_etags(key, numbers))
    progress = _Progress()
    # Keyed by number: a PR updated while we page shifts the REST list, so a PR can show up on two
    # pages; the later copy was fetched later and replaces the earlier one.
    batch: dict[int, PullRequestWithReviews] = {}
    for item in stream.changed_since(since):
        batch[item.pull_request.number] = item
        updated = item.pull_request.updated_at
        progress.newest = updated if progress.newest is None else max(progress.newest, updated)
        if len(batch) >= options.batch_size:
            # Rows only: the cursor moves with the last batch, so a crash here is harmless.
            _write(warehouse, key, list(batch.values()), progress, commit=None)
            say(f"{key}: stored {progress.pull_requests} pull requests so far")
            batch = {}
    return _finish(
        key, target, client, warehouse, options, started_at, clock, progress, cursor_before, probed,
        changed=True, batch=list(batch.values()), fetched_with=stream.strategy,
        full_refetch=since is None, refetch_reason=refetch_reason,
    )  # fmt: skip


def _stream(
    strategy: Strategy, client: GitHubClient, target: RepoTarget, probed: ProbeResult
) -> PullRequestStream:
    if strategy == "rest":
        return RestPullRequestStream(client, target, first_page=probed.page)
    if strategy == "graphql":
        return GraphQLPullRequestStream(client, target)
    return GraphQLOrRestStream(client, target)


class GraphQLOrRestStream(PullRequestStream):
    """``auto``: GraphQL (about a point per 100 PRs with their reviews), or REST where the server
    has no GraphQL API (the fallback is decided on the first query, before anything is yielded)."""

    strategy = "graphql"

    def changed_since(self, since: datetime | None) -> Iterator[PullRequestWithReviews]:
        changes = GraphQLPullRequestStream(self.client, self.target).changed_since(since)
        try:
            first = next(changes, None)
        except GraphQLUnavailableError:
            self.strategy = "rest"
            yield from RestPullRequestStream(self.client, self.target).changed_since(since)
            return
        if first is not None:
            yield first
            yield from changes


def _write(
    warehouse: Warehouse,
    key: str,
    batch: list[PullRequestWithReviews],
    progress: _Progress,
    commit: SyncCommit | None,
) -> None:
    warehouse.write_batch(key, batch, datetime.now(UTC), commit)
    progress.pull_requests += len(batch)
    progress.reviews += sum(len(item.reviews) for item in batch)
    progress.timeline_events += sum(len(item.timeline) for item in batch)
    progress.batches += 1 if batch or commit else 0


def _finish(
    key: str,
    target: RepoTarget,
    client: GitHubClient,
    warehouse: Warehouse,
    options: SyncOptions,
    started_at: datetime,
    clock: float,
    progress: _Progress,
    cursor_before: datetime | None,
    probed: ProbeResult,
    *,
    changed: bool,
    batch: list[PullRequestWithReviews] | None = None,
    fetched_with: str | None = None,
    full_refetch: bool,
    refetch_reason: str | None = None,
) -> SyncReport:
    cursor_after = cursor_before
    if progress.newest is not None and (cursor_after is None or progress.newest > cursor_after):
        cursor_after = progress.newest
    if target.full_name.lower() != key:
        progress.warnings.append(
            f"GitHub says {key} is now {target.full_name}; rows keep the partition key {key!r}. "
            f"Rename the partition (prsync repos add {target.full_name.lower()}) if you wish. "
            "Until a full refresh, html_url of PRs unchanged since the rename keeps the old name "
            "(GitHub redirects it)."
        )
    stats = client.stats
    report = SyncReport(
        repo=key,
        full_name=target.full_name,
        strategy=options.strategy,
        fetched_with=fetched_with or "none",
        changed=changed,
        full_refresh=options.full_refresh,
        pull_requests=progress.pull_requests + len(batch or ()),
        reviews=progress.reviews + sum(len(item.reviews) for item in batch or ()),
        batches=progress.batches + 1,
        requests=stats.requests,
        not_modified=stats.not_modified,
        retries=stats.retries,
        rest_points=stats.rest_points,
        graphql_points=stats.graphql_points,
        rate_limit_remaining=dict(stats.rate_limit_remaining),
        cursor_before=cursor_before,
        cursor_after=cursor_after,
        started_at=started_at,
        seconds=round(time.monotonic() - clock, 3),
        warnings=tuple(progress.warnings),
        timeline_events=progress.timeline_events + sum(len(item.timeline) for item in batch or ()),
        refetch_reason=refetch_reason,
    )
    commit = SyncCommit(
        repo=key,
        repo_id=target.repo_id,
        full_name=target.full_name,
        cursor=cursor_after,
        etag=probed.etag,
        probe_url=probed.url,  # the URL the ETag belongs to
        success_at=datetime.now(UTC),
        strategy=report.strategy,
        report=report.as_dict(),
        full_refetch=full_refetch,
    )
    _write(warehouse, key, batch or [], progress, commit=commit)
    return report


def describe_error(exc: BaseException) -> str:
    """One line for ``sync_state.last_error`` and the CLI: specific, and free of secrets."""
    text = str(exc) if isinstance(exc, PrsyncError) else f"{type(exc).__name__}: {exc}"
    return redact(" ".join(text.split()))[:1000]
