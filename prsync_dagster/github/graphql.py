"""GraphQL delta: 100 pull requests with their reviews inline for about one rate-limit point.

Over REST every changed PR costs a request for its reviews; here a page of up to 100 PRs, each
with its first 100 reviews, is one query. PRs with more reviews page through them separately.
GitHub ends queries that run over 10 s with 502/504 (or an HTTP 200 timeout error), so the page
shrinks and the query repeats.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from tenacity import RetryCallState

from prsync_dagster.errors import GraphQLTooBigError, MalformedPayloadError
from prsync_dagster.github.client import GitHubClient
from prsync_dagster.github.delta import Listed, PagedStream, RepoTarget
from prsync_dagster.github.records import PullRequestRecord, ReviewRecord
from prsync_dagster.retrying import MAX_SHRINKS, Transient

REVIEW_FIELDS = "databaseId state submittedAt author { __typename login } commit { oid }"

PULL_REQUEST_FIELDS = f"""
  number title state isDraft merged createdAt updatedAt closedAt mergedAt
  author {{ __typename login }} baseRefName headRefName url databaseId
  reviews(first: 100) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ {REVIEW_FIELDS} }} }}
"""

PULL_REQUESTS_QUERY = f"""
query PrsyncPullRequests($owner: String!, $name: String!, $first: Int!, $after: String) {{
  rateLimit {{ cost remaining resetAt }}
  repository(owner: $owner, name: $name) {{
    databaseId
    nameWithOwner
    pullRequests(first: $first, after: $after, orderBy: {{field: UPDATED_AT, direction: DESC}}) {{
      pageInfo {{ hasNextPage endCursor }}
      nodes {{ {PULL_REQUEST_FIELDS} }}
    }}
  }}
}}
"""

MORE_REVIEWS_QUERY = f"""
query PrsyncMoreReviews($owner: String!, $name: String!, $number: Int!, $after: String) {{
  rateLimit {{ cost remaining resetAt }}
  repository(owner: $owner, name: $name) {{
    pullRequest(number: $number) {{
      reviews(first: 100, after: $after) {{
        pageInfo {{ hasNextPage endCursor }}
        nodes {{ {REVIEW_FIELDS} }}
      }}
    }}
  }}
}}
"""

#: Page sizes tried in turn after GitHub's "too big or too slow" answers.
PAGE_SIZES = (100, 50, 25, 10)


class GraphQLPullRequestStream(PagedStream):
    """Pages of PRs ordered by ``UPDATED_AT`` descending, reviews inline.

    Errors (see :meth:`GitHubClient.graphql` for how answers are classified):

    - "too big or too slow" (:class:`GraphQLTooBigError`: 502/504, or HTTP 200 with GitHub's
      timeout message and ``data: null``) shrinks the page (100, 50, 25, 10) and asks again, at
      most :data:`~prsync_dagster.retrying.MAX_SHRINKS` times per sync (the one retry policy);
    - partial data with errors (:class:`GraphQLPartialDataError`, e.g. ``FORBIDDEN`` on some
      nodes) is never stored as if complete: it ends this stream; ``auto`` then fetches the
      repository over REST (:class:`prsync_dagster.github.streams.GraphQLOrRestStream`), the
      ``graphql`` strategy fails the sync with the reason;
    - everything else fails the sync (rate limits are waited out by the client first).
    """

    strategy = "graphql"

    def __init__(self, client: GitHubClient, target: RepoTarget) -> None:
        super().__init__(client, target)
        self._size_index = 0
        self._shrinks = 0

    def newest_first(self) -> Iterator[Listed]:
        after: str | None = None
        while True:
            connection = self._pull_requests_page(after)
            for node in _nodes(connection, self.target.key):
                if self.target.repo_id is None:
                    raise MalformedPayloadError(self.target.key, "-", "repository.databaseId", "missing")
                record = PullRequestRecord.from_graphql(
                    node, repo=self.target.key, repo_id=self.target.repo_id
                )
                yield record, partial(self._reviews, record, node)
            page_info = connection.get("pageInfo") or {}
            if not page_info.get("hasNextPage"):
                return
            after = page_info.get("endCursor")

    def _query(self, query: str, variables: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Run a query; on "too big or too slow" shrink the page (``variables`` re-reads its size)
        and repeat at once, within the retry policy's budget of shrinks for this stream."""

        def once() -> dict[str, Any]:
            if self._shrinks >= MAX_SHRINKS:
                return self.client.graphql(query, variables())
            try:
                return self.client.graphql(query, variables())
            except GraphQLTooBigError as exc:
                raise Transient("too_big", exc) from None

        def shrink(state: RetryCallState) -> None:
            self._shrinks += 1
            self._size_index = min(self._size_index + 1, len(PAGE_SIZES) - 1)
            self.client.stats.record_retry()  # the answer itself was counted as a request

        return self.client.policy.shrinking(shrink)(once)

    def _pull_requests_page(self, after: str | None) -> dict[str, Any]:
        data = self._query(
            PULL_REQUESTS_QUERY,
            lambda: {
                "owner": self.target.owner,
                "name": self.target.name,
                "first": PAGE_SIZES[self._size_index],
                "after": after,
            },
        )
        repository = data.get("repository")
        if not isinstance(repository, dict):
            raise MalformedPayloadError(self.target.key, "-", "repository", "missing from GraphQL data")
        self.target = self.target.observed(repository.get("databaseId"), repository.get("nameWithOwner"))
        connection = repository.get("pullRequests")
        if not isinstance(connection, dict):
            raise MalformedPayloadError(self.target.key, "-", "pullRequests", "missing from GraphQL data")
        return connection

    def _reviews(self, pr: PullRequestRecord, node: dict[str, Any]) -> Iterator[ReviewRecord]:
        connection = node.get("reviews")
        if not isinstance(connection, dict):
            raise MalformedPayloadError(pr.repo, pr.number, "reviews", "missing from GraphQL data")
        while True:
            for review in _nodes(connection, pr.repo, pr.number):
                yield ReviewRecord.from_graphql(review, repo=pr.repo, repo_id=pr.repo_id, pr_number=pr.number)
            page_info = connection.get("pageInfo") or {}
            if not page_info.get("hasNextPage"):
                return
            variables = {
                "owner": self.target.owner,
                "name": self.target.name,
                "number": pr.number,
                "after": page_info.get("endCursor"),
            }
            data = self._query(MORE_REVIEWS_QUERY, lambda variables=variables: variables)  # type: ignore[misc]
            pull_request = (data.get("repository") or {}).get("pullRequest") or {}
            connection = pull_request.get("reviews")
            if not isinstance(connection, dict):
                raise MalformedPayloadError(pr.repo, pr.number, "reviews", "missing from GraphQL data")


def _nodes(connection: dict[str, Any], repo: str, pr_number: object = "-") -> list[dict[str, Any]]:
    nodes = connection.get("nodes")
    if not isinstance(nodes, list) or not all(isinstance(node, dict) for node in nodes):
        raise MalformedPayloadError(repo, pr_number, "nodes", "expected a list of objects")
    return nodes
