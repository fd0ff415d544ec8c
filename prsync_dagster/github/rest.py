"""REST delta: the pulls list sorted by ``updated`` (newest first) with an early stop, plus, per
changed PR, its full object, reviews and timeline.

Cost per changed PR (issue 13; each request is one core rate-limit point, a 304 none): the list
gives most columns at one request per 100 PRs, then

- ``GET /repos/{o}/{r}/pulls/{n}``: size (additions, deletions, changed_files), ``commits``,
  ``comments`` and ``merged_by``, which the list omits (GitHub's pull-request-simple schema);
- ``GET /repos/{o}/{r}/pulls/{n}/reviews?per_page=100``: the reviews (one more per 100 reviews),
  asked conditionally with the ETag of the last read: unchanged reviews answer 304, free (most
  PR changes, e.g. a new commit, label or title, leave the reviews as they were);
- ``GET /repos/{o}/{r}/issues/{n}/timeline?per_page=100``: review requests and draft changes (one
  more per 100 timeline items of *any* kind: the endpoint cannot filter by kind);

so about **3 points per changed PR** (2 when its reviews did not change) plus 1 per 100 changed
PRs, against about 5 points per 100 PRs for GraphQL (``graphql.py``). Every request asks with
``X-Github-Next-Global-ID: 1`` (the client adds it) so timeline ``node_id``s are the ids GraphQL
returns.

Also the conditional no-change probe every strategy starts with: GitHub answers 304, free of
rate-limit points, when the first page of the updated-sorted pulls list has not changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from requests.utils import parse_header_links

from prsync_dagster.errors import MalformedPayloadError
from prsync_dagster.github.client import GitHubClient, Response
from prsync_dagster.github.delta import Listed, PagedStream, RepoTarget
from prsync_dagster.github.records import (
    PullRequestRecord,
    PullRequestWithReviews,
    ReviewRecord,
    TimelineRecord,
)

LIST_PARAMS: dict[str, Any] = {"state": "all", "sort": "updated", "direction": "desc"}


@dataclass(frozen=True)
class ProbeResult:
    """The answer to "did anything change?": a 304, or page 1 of the updated-sorted list.

    ``target`` is the repository as GitHub named it in the answer (after a rename: the new name,
    and the id on a first sync); ``url`` is where the probe went, stored with its ``etag``.
    """

    url: str
    etag: str | None
    page: Response
    target: RepoTarget

    @property
    def unchanged(self) -> bool:
        return self.page.not_modified


def probe(client: GitHubClient, target: RepoTarget, etag: str | None, per_page: int) -> ProbeResult:
    """Conditionally fetch page 1 of the pulls list, newest update first.

    The ETag is only valid for the same URL, so the URL (without host) is returned to be stored
    beside it. Any PR update moves that PR to the top of this list, which changes the page.
    """
    page, seen = first_page(client, target, {**LIST_PARAMS, "per_page": per_page}, etag)
    # computed from what first_page saw: it asks again under the new name after a rename
    return ProbeResult(url=probe_url(seen, per_page), etag=page.etag or etag, page=page, target=seen)


def first_page(
    client: GitHubClient, target: RepoTarget, params: dict[str, Any], etag: str | None
) -> tuple[Response, RepoTarget]:
    """Page 1 of the updated-sorted pulls list, correct even when the repository was renamed, and
    the target as GitHub named it.

    GitHub answers an old name with a 301 to ``/repositories/{id}/pulls?<query>``; PyGithub
    follows it but drops the query (state, sort, direction, per_page), so what comes back is the
    first 30 *open* PRs in *creation* order, and a sync that trusted it would silently miss PRs.
    The payload's ``base.repo.full_name`` (or, for an empty page, the repository itself) gives
    the rename away, and the page is asked for again under the current name.
    """
    page = client.get(pulls_path(target), params, etag=etag)
    if page.not_modified:
        return page, target
    seen = _observed(target, page.data)
    if page.data == []:
        # an empty state=all list: a repository without PRs, or the open PRs of a renamed one
        seen = _observed_payload(seen, client.get(f"/repos/{target.full_name}").data)
    if seen.full_name.lower() != target.full_name.lower():
        page = client.get(pulls_path(seen), params)  # no ETag: it belonged to the other URL
        seen = _observed(seen, page.data)
    return page, seen


def probe_url(target: RepoTarget, per_page: int) -> str:
    """The identity of a probe, stored with its ETag (an ETag from another URL must not be sent)."""
    return f"{pulls_path(target)}?per_page={per_page}&sort=updated&direction=desc&state=all"


def pulls_path(target: RepoTarget) -> str:
    return f"/repos/{target.full_name}/pulls"


class RestPullRequestStream(PagedStream):
    """One request per 100 changed PRs, plus three per changed PR (full PR, reviews, timeline)."""

    strategy = "rest"

    def __init__(self, client: GitHubClient, target: RepoTarget, first_page: Response | None = None) -> None:
        super().__init__(client, target)
        self._first_page = first_page
        #: Stored ETags of the listed PRs' review lists (one warehouse read per list page), if any.
        self._review_etags: Callable[[list[int]], dict[int, str]] = lambda _numbers: {}

    def newest_first(self) -> Iterator[Listed]:
        first = self._first_page
        if first is None or first.not_modified:
            first, self.target = first_page(self.client, self.target, {**LIST_PARAMS, "per_page": 100}, None)
        for page in following(self.client, first):
            items = _as_list(page.data, self.target.key, "pulls list")
            self.target = _observed(self.target, items)
            etags = self._review_etags(
                [item["number"] for item in items if isinstance(item.get("number"), int)]
            )
            for item in items:
                record = PullRequestRecord.from_rest(item, repo=self.target.key, repo_id=self._repo_id(item))
                yield record, partial(self._complete, record, item, etags.get(record.number))

    def use_review_etags(self, lookup: Callable[[list[int]], dict[int, str]]) -> None:
        """Read stored review-list ETags through ``lookup`` (the engine passes the warehouse's)."""
        self._review_etags = lookup

    def _complete(
        self, listed: PullRequestRecord, item: dict[str, Any], reviews_etag: str | None
    ) -> PullRequestWithReviews:
        """The listed PR completed by its full object, with its reviews and timeline events.

        The reviews are asked for conditionally when their last list fit one page: a 304 (no
        rate-limit point) keeps the stored reviews. The full PR and the timeline are not: a PR
        in this stream changed, so its object changed, and almost every change adds a timeline
        item (renamed, labeled, committed, reviewed...), so a 304 would be rare there.
        """
        full = self.client.get(f"/repos/{self.target.full_name}/pulls/{listed.number}").data
        if not isinstance(full, dict):
            raise MalformedPayloadError(
                self.target.key, listed.number, "pull request", "expected a JSON object"
            )
        record = PullRequestRecord.from_rest(item, repo=listed.repo, repo_id=listed.repo_id, full=full)
        reviews, etag = self._reviews(record, reviews_etag)
        return PullRequestWithReviews.build(record, reviews, self._timeline(record), reviews_etag=etag)

    def _timeline(self, pr: PullRequestRecord) -> Iterator[TimelineRecord]:
        """The PR's review-request and draft events (``GET /issues/{n}/timeline``, other kinds skipped)."""
        first = self.client.get(
            f"/repos/{self.target.full_name}/issues/{pr.number}/timeline", {"per_page": 100}
        )
        for page in following(self.client, first):
            for item in _as_list(page.data, self.target.key, f"timeline of #{pr.number}"):
                event = TimelineRecord.from_rest(item, repo=pr.repo, repo_id=pr.repo_id, pr_number=pr.number)
                if event is not None:
                    yield event

    def _reviews(
        self, pr: PullRequestRecord, etag: str | None
    ) -> tuple[list[ReviewRecord] | None, str | None]:
        """The PR's reviews and the ETag to keep (None when they span pages); ``(None, etag)``
        when GitHub answers the conditional request 304 (unchanged since that ETag)."""
        first = self.client.get(
            f"/repos/{self.target.full_name}/pulls/{pr.number}/reviews", {"per_page": 100}, etag=etag
        )
        if first.not_modified:
            return None, etag
        reviews = [
            ReviewRecord.from_rest(item, repo=pr.repo, repo_id=pr.repo_id, pr_number=pr.number)
            for page in following(self.client, first)
            for item in _as_list(page.data, self.target.key, f"reviews of #{pr.number}")
        ]
        # page 1's ETag does not vouch for the later pages
        return reviews, first.etag if next_link(first.headers) is None else None

    def _repo_id(self, item: dict[str, Any]) -> int:
        if self.target.repo_id is None:
            raise MalformedPayloadError(self.target.key, item.get("number"), "base.repo.id", "missing")
        return self.target.repo_id


def next_link(headers: dict[str, Any]) -> str | None:
    """The ``rel="next"`` URL of GitHub's ``Link`` header (any case), if any (parsed by requests)."""
    link = str(next((value for key, value in headers.items() if key.lower() == "link"), None) or "")
    return next((entry["url"] for entry in parse_header_links(link) if entry.get("rel") == "next"), None)


def following(client: GitHubClient, page: Response) -> Iterator[Response]:
    """``page``, then each page after it (``Link: rel="next"``; the next URL carries the query),
    each asked for only when the one before has been used."""
    while True:
        yield page
        url = next_link(page.headers)
        if url is None:
            return
        page = client.get(url)


def _as_list(data: Any, repo: str, what: str) -> list[dict[str, Any]]:
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise MalformedPayloadError(repo, "-", what, "expected a JSON array of objects")
    return data


def _observed(target: RepoTarget, items: Any) -> RepoTarget:
    """The target with the repository's id and current name from the first PR's ``base.repo``."""
    if not isinstance(items, list) or not items or not isinstance(items[0], dict):
        return target
    return _observed_payload(target, (items[0].get("base") or {}).get("repo"))


def _observed_payload(target: RepoTarget, repo: Any) -> RepoTarget:
    """The target with id and current name from a repository payload (``base.repo`` or ``/repos/...``)."""
    if not isinstance(repo, dict):
        return target
    return target.observed(repo.get("id"), repo.get("full_name"))
