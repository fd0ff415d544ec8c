"""GraphQL delta: 100 pull requests with their reviews inline for about one rate-limit point.

Over REST every changed PR costs a request for its reviews; here a page of up to 100 PRs, each
with its first 100 reviews, is one query. PRs with more reviews page through them separately.
GitHub ends queries that run over 10 s with 502/504, so the page shrinks and the query repeats.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from prsync_dagster.errors import GitHubApiError, MalformedPayloadError
from prsync_dagster.github.client import GitHubClient
from prsync_dagster.github.delta import PullRequestStream, RepoTarget
from prsync_dagster.github.records import PullRequestRecord, PullRequestWithReviews, ReviewRecord

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

#: Page sizes tried in turn after GitHub's 502/504 "query took too long" answers.
PAGE_SIZES = (100, 50, 25, 10)
MAX_TIMEOUTS = 8


class GraphQLPullRequestStream(PullRequestStream):
    """Pages of PRs ordered by ``UPDATED_AT`` descending, reviews inline."""

    strategy = "graphql"

    def __init__(self, client: GitHubClient, target: RepoTarget) -> None:
        super().__init__(client, target)
        self._size_index = 0
        self._timeouts = 0

    def changed_since(self, since: datetime | None) -> Iterator[PullRequestWithReviews]:
        after: str | None = None
        while True:
            connection = self._pull_requests_page(after)
            for node in _nodes(connection, self.target.key):
                if self.target.repo_id is None:
                    raise MalformedPayloadError(self.target.key, "-", "repository.databaseId", "missing")
                record = PullRequestRecord.from_graphql(
                    node, repo=self.target.key, repo_id=self.target.repo_id
                )
                if since is not None and record.updated_at < since:
                    return
                yield PullRequestWithReviews(pull_request=record, reviews=tuple(self._reviews(record, node)))
            page_info = connection.get("pageInfo") or {}
            if not page_info.get("hasNextPage"):
                return
            after = page_info.get("endCursor")

    def _pull_requests_page(self, after: str | None) -> dict[str, Any]:
        while True:
            variables = {
                "owner": self.target.owner,
                "name": self.target.name,
                "first": PAGE_SIZES[self._size_index],
                "after": after,
            }
            try:
                data = self.client.graphql(PULL_REQUESTS_QUERY, variables)
            except GitHubApiError as exc:
                if not self._may_repeat(exc):
                    raise
                self._size_index = min(self._size_index + 1, len(PAGE_SIZES) - 1)
                continue
            repository = data.get("repository")
            if not isinstance(repository, dict):
                raise MalformedPayloadError(self.target.key, "-", "repository", "missing from GraphQL data")
            self.target.observe(repository.get("databaseId"), repository.get("nameWithOwner"))
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
            data = self._more_reviews(variables)
            pull_request = (data.get("repository") or {}).get("pullRequest") or {}
            connection = pull_request.get("reviews")
            if not isinstance(connection, dict):
                raise MalformedPayloadError(pr.repo, pr.number, "reviews", "missing from GraphQL data")

    def _more_reviews(self, variables: dict[str, Any]) -> dict[str, Any]:
        while True:
            try:
                return self.client.graphql(MORE_REVIEWS_QUERY, variables)
            except GitHubApiError as exc:
                if not self._may_repeat(exc):
                    raise

    def _may_repeat(self, exc: GitHubApiError) -> bool:
        """Whether to repeat a query answered 502/504 (not retried over HTTP, see the client)."""
        if exc.status not in (502, 504) or self._timeouts >= MAX_TIMEOUTS:
            return False
        self._timeouts += 1
        self.client.stats.record_repeat()  # the 502 itself was counted as a request
        return True


def _nodes(connection: dict[str, Any], repo: str, pr_number: object = "-") -> list[dict[str, Any]]:
    nodes = connection.get("nodes")
    if not isinstance(nodes, list) or not all(isinstance(node, dict) for node in nodes):
        raise MalformedPayloadError(repo, pr_number, "nodes", "expected a list of objects")
    return nodes
