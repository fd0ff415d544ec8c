"""REST delta: the pulls list sorted by ``updated`` (newest first) with an early stop, plus reviews.

Also the conditional no-change probe every strategy starts with: GitHub answers 304, free of
rate-limit points, when the first page of the updated-sorted pulls list has not changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from prsync_dagster.errors import MalformedPayloadError
from prsync_dagster.github.client import GitHubClient, Response
from prsync_dagster.github.delta import Listed, PagedStream, RepoTarget
from prsync_dagster.github.records import PullRequestRecord, ReviewRecord

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
    """One request per 100 changed PRs, plus one per changed PR for its reviews."""

    strategy = "rest"

    def __init__(self, client: GitHubClient, target: RepoTarget, first_page: Response | None = None) -> None:
        super().__init__(client, target)
        self._first_page = first_page

    def newest_first(self) -> Iterator[Listed]:
        page = self._first_page
        if page is None or page.not_modified:
            page, self.target = first_page(self.client, self.target, {**LIST_PARAMS, "per_page": 100}, None)
        while True:
            items = _as_list(page.data, self.target.key, "pulls list")
            self.target = _observed(self.target, items)
            for item in items:
                record = PullRequestRecord.from_rest(item, repo=self.target.key, repo_id=self._repo_id(item))
                yield record, partial(self._reviews, record)
            next_url = next_link(page.headers)
            if next_url is None:
                return
            page = self.client.get(next_url)

    def _reviews(self, pr: PullRequestRecord) -> Iterator[ReviewRecord]:
        url: str | None = f"/repos/{self.target.full_name}/pulls/{pr.number}/reviews"
        params: dict[str, Any] | None = {"per_page": 100}
        while url is not None:
            page = self.client.get(url, params)
            for item in _as_list(page.data, self.target.key, f"reviews of #{pr.number}"):
                yield ReviewRecord.from_rest(item, repo=pr.repo, repo_id=pr.repo_id, pr_number=pr.number)
            url, params = next_link(page.headers), None

    def _repo_id(self, item: dict[str, Any]) -> int:
        if self.target.repo_id is None:
            raise MalformedPayloadError(self.target.key, item.get("number"), "base.repo.id", "missing")
        return self.target.repo_id


def next_link(headers: dict[str, Any]) -> str | None:
    """The ``rel="next"`` URL of GitHub's ``Link`` header, if any."""
    link = headers.get("link") or headers.get("Link")
    if not link:
        return None
    for part in str(link).split(","):
        section = part.strip().split(";")
        if len(section) >= 2 and any(p.strip() == 'rel="next"' for p in section[1:]):
            return section[0].strip().strip("<>")
    return None


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
