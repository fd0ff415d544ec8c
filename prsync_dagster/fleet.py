"""Probe every registered repository before the daily sync, so that idle repositories cost no run.

Why (issue 11): a Dagster run costs about 5 s of orchestration (a fresh process importing Dagster
and the project, its events) even when GitHub answers the sync's probe with a free 304. With 1,000
repositories that is over 80 minutes a day spent finding that nothing changed. GitHub's side is
free: the probe is a conditional request (``If-None-Match`` with the stored ETag) that GitHub
answers with ``304 Not Modified`` at no rate-limit cost ("Use conditional requests if
appropriate", https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api).

So the daily trigger asks first, in its own process, many repositories at once (bounded), with
exactly the probe the sync would send (:func:`prsync_dagster.github.rest.probe`, same URL, same
stored ETag), and decides per repository (:class:`Decision`):

- ``unchanged``: GitHub answered 304 to the stored ETag of a repository whose last sync succeeded:
  no run; the verification is recorded (``sync_state.last_success_at`` moves, see
  :meth:`~prsync_dagster.warehouse.base.Warehouse.mark_verified`, and the caller records an asset
  event), exactly what a run would have recorded after the same 304;
- ``changed`` (200), ``never synced``, ``last sync failed`` (any status but ``ok``), ``no stored
  ETag`` (or one for another probe URL: a strategy change), and ``probe failed`` (any error):
  one run each, as before. A failing repository therefore fails in its own run, on its own
  partition, with the asset's retry policy; the probe never hides an error.

Pure Python (no Dagster), so that it is tested and benchmarked without an instance.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

from prsync_dagster.github.client import GitHubClient
from prsync_dagster.github.delta import RepoTarget
from prsync_dagster.github.rest import probe, probe_url
from prsync_dagster.github.streams import PROBE_PAGE_SIZE
from prsync_dagster.settings import Strategy
from prsync_dagster.sync import ClientFactory, describe_error
from prsync_dagster.warehouse.base import SyncState

#: Probes in flight at once. GitHub's secondary limits allow "no more than 100 concurrent
#: requests" (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api);
#: 8 keeps well under it while 1,000 probes at 100 ms each take about 13 s.
DEFAULT_PROBE_CONCURRENCY = 8

Reason = Literal["unchanged", "changed", "never synced", "last sync failed", "no stored etag", "probe failed"]


@dataclass(frozen=True)
class Decision:
    """What the probe found for one repository and whether it needs a run.

    ``repo`` is the normalized ``owner/name``; ``etag``/``probe_url`` are the stored ones that a
    304 confirmed (only for ``unchanged``); ``detail`` is the error's one line (``describe_error``).
    """

    repo: str
    reason: Reason
    etag: str | None = None
    probe_url: str | None = None
    detail: str = ""

    @property
    def needs_run(self) -> bool:
        return self.reason != "unchanged"


def probe_fleet(
    repos: Iterable[str],
    states: dict[str, SyncState],
    github: ClientFactory,
    strategy: Strategy,
    *,
    concurrency: int = DEFAULT_PROBE_CONCURRENCY,
) -> tuple[list[Decision], int, int]:
    """Probe ``repos`` (normalized names) concurrently: one :class:`Decision` each, in input order,
    and the requests and rate-limit points all the probes cost (a 304 costs no point).

    Only repositories with a reusable ETag are probed (the others need a run whatever GitHub says).
    Each worker thread keeps one client per owner (connection reuse; a GitHub App needs the
    owner's installation). Never raises for one repository's error: that becomes ``probe failed``.
    """
    # (worker thread, owner) -> client; each thread adds only its own keys
    clients: dict[tuple[int, str], GitHubClient] = {}

    def client_for(owner: str) -> GitHubClient:
        key = (threading.get_ident(), owner.lower())
        if key not in clients:
            clients[key] = github(owner)
        return clients[key]

    page_size = PROBE_PAGE_SIZE[strategy]

    def one(repo: str) -> Decision:
        state = states.get(repo)
        if state is None or state.last_success_at is None:
            return Decision(repo, "never synced")
        if state.status != "ok":
            return Decision(repo, "last sync failed")
        # the probe the sync would send: same URL, same stored ETag
        target = RepoTarget(key=state.repo, full_name=state.full_name or state.repo, repo_id=state.repo_id)
        url = probe_url(target, page_size)
        if not state.etag or state.probe_url != url:
            return Decision(repo, "no stored etag")
        try:
            result = probe(client_for(target.owner), target, state.etag, page_size)
        except Exception as exc:
            return Decision(repo, "probe failed", detail=describe_error(exc))
        return Decision(repo, "unchanged", state.etag, url) if result.unchanged else Decision(repo, "changed")

    try:
        with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="prsync-probe") as pool:
            decisions = list(pool.map(one, repos))
    finally:
        for client in clients.values():
            client.close()
    requests = sum(c.stats.requests for c in clients.values())
    return decisions, requests, sum(c.stats.points for c in clients.values())
