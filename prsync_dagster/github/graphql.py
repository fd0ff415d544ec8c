"""GraphQL delta: pull requests with their reviews, labels, requests and timeline in one query.

One query per page brings every field of ``github.pull_requests``, the reviews, and the four
timeline event kinds of ``github.pull_request_timeline`` (issue 13). A nested connection that
overflows its first page is followed with a small query per PR and connection.

Page sizes follow GitHub's cost formula (docs.github.com, "Rate limits and query limits for the
GraphQL API"): a query needs one request per connection per parent node; the sum divided by 100,
rounded to the nearest whole number (minimum 1), is its point cost. Here a page of ``N`` PRs has
one ``pullRequests`` connection plus seven nested ones per PR (``reviews``, ``labels``,
``assignees``, ``reviewRequests``, ``timelineItems``, ``commits``, ``comments``), so it needs
``1 + 7·N`` requests:

======  ==================  ======  =================
``N``   requests            points  points / 100 PRs
======  ==================  ======  =================
100     701                 7       7.0
50      351                 4       8.0
21      148                 1       4.8
10      71                  1       10.0
======  ==================  ======  =================

21 is the largest page that still costs one point, and the cheapest per PR: a day's changes in a
repository (fewer than 21 PRs) cost 1 point, a first sync about 5 points per 100 PRs, at the price
of five times the round trips of 100-PR pages (latency, not rate limit). The nested page sizes do
not change the cost (only parents count), so they are as large as GitHub allows (100), except
``assignees``: GitHub allows at most 10 assignees per issue or PR. Larger nested pages only grow
the node count (21 × 410 ≈ 8,600 nodes, far below GitHub's 500,000 limit) and save follow-ups.

GitHub ends queries that run over 10 s with 502/504 (or an HTTP 200 timeout error), so the page
shrinks and the query repeats.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from prsync_dagster.errors import GraphQLTooBigError, MalformedPayloadError
from prsync_dagster.github.client import GitHubClient
from prsync_dagster.github.delta import Listed, PagedStream, RepoTarget
from prsync_dagster.github.records import (
    GRAPHQL_TIMELINE_ITEM_TYPES,
    PullRequestRecord,
    PullRequestWithReviews,
    ReviewRecord,
    TimelineRecord,
)
from prsync_dagster.retrying import MAX_SHRINKS, Transient

ACTOR = "{ __typename login }"

#: ``RequestedReviewer`` is a union (Bot | Mannequin | Team | User): logins, or a team's slug.
REQUESTED_REVIEWER = (
    "requestedReviewer { __typename ... on User { login } ... on Bot { login } "
    "... on Mannequin { login } ... on Team { slug } }"
)

REVIEW_FIELDS = f"databaseId state submittedAt author {ACTOR} commit {{ oid }} body authorAssociation"

TIMELINE_FIELDS = (
    "__typename"
    f" ... on ReviewRequestedEvent {{ id createdAt actor {ACTOR} {REQUESTED_REVIEWER} }}"
    f" ... on ReviewRequestRemovedEvent {{ id createdAt actor {ACTOR} {REQUESTED_REVIEWER} }}"
    f" ... on ReadyForReviewEvent {{ id createdAt actor {ACTOR} }}"
    f" ... on ConvertToDraftEvent {{ id createdAt actor {ACTOR} }}"
)


@dataclass(frozen=True)
class NestedConnection:
    """A connection under each PR: its arguments, page size and the fields of its nodes."""

    name: str
    first: int
    fields: str
    arguments: str = ""

    def selection(self, after: str | None = None) -> str:
        args = f"first: {self.first}" + (", after: $after" if after is not None else "") + self.arguments
        return f"{self.name}({args}) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ {self.fields} }} }}"


#: Every paginated connection read under a PR (``commits``/``comments`` give only ``totalCount``).
NESTED_CONNECTIONS = (
    NestedConnection("reviews", 100, REVIEW_FIELDS),
    NestedConnection("labels", 100, "name"),
    # GitHub: "You can assign up to 10 people to each issue or pull request."
    NestedConnection("assignees", 10, "login"),
    NestedConnection("reviewRequests", 100, REQUESTED_REVIEWER),
    NestedConnection(
        "timelineItems", 100, TIMELINE_FIELDS, f", itemTypes: [{', '.join(GRAPHQL_TIMELINE_ITEM_TYPES)}]"
    ),
)

PULL_REQUEST_FIELDS = f"""
  number title state isDraft merged createdAt updatedAt closedAt mergedAt
  author {ACTOR} baseRefName headRefName url databaseId
  body additions deletions changedFiles commits {{ totalCount }} comments {{ totalCount }}
  mergedBy {ACTOR} mergeCommit {{ oid }} headRefOid baseRefOid authorAssociation isCrossRepository
  {" ".join(connection.selection() for connection in NESTED_CONNECTIONS)}
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


def more_query(connection: NestedConnection) -> str:
    """The follow-up query for the next page of one PR's ``connection`` (1 point)."""
    return f"""
query PrsyncMore($owner: String!, $name: String!, $number: Int!, $after: String) {{
  rateLimit {{ cost remaining resetAt }}
  repository(owner: $owner, name: $name) {{
    pullRequest(number: $number) {{ {connection.selection(after="")} }}
  }}
}}
"""


MORE_QUERIES = {connection.name: more_query(connection) for connection in NESTED_CONNECTIONS}

#: Page sizes tried in turn after GitHub's "too big or too slow" answers (see the module docstring
#: for why the first is 21: the largest page of PRs that costs one point).
PAGE_SIZES = (21, 10, 5)


class GraphQLPullRequestStream(PagedStream):
    """Pages of PRs ordered by ``UPDATED_AT`` descending, reviews and timeline inline.

    Errors (see :meth:`GitHubClient.graphql` for how answers are classified):

    - "too big or too slow" (:class:`GraphQLTooBigError`: 502/504, or HTTP 200 with GitHub's
      timeout message and ``data: null``) shrinks the page (21, 10, 5) and asks again, at
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
                yield record, partial(self._complete, record, node)
            page_info = connection.get("pageInfo") or {}
            if not page_info.get("hasNextPage"):
                return
            after = page_info.get("endCursor")

    def _variables(self, **more: Any) -> dict[str, Any]:
        """A query's variables: the repository's current ``owner`` and ``name``, then ``more``."""
        return {"owner": self.target.owner, "name": self.target.name, **more}

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

        def shrink(_waited: float) -> None:
            self._shrinks += 1
            self._size_index = min(self._size_index + 1, len(PAGE_SIZES) - 1)
            self.client.stats.record_retry()  # the answer itself was counted as a request

        return self.client.settings.shrinking(shrink)(once)

    def _pull_requests_page(self, after: str | None) -> dict[str, Any]:
        data = self._query(
            PULL_REQUESTS_QUERY, lambda: self._variables(first=PAGE_SIZES[self._size_index], after=after)
        )
        repository = _present(data.get("repository"), self.target.key, "-", "repository")
        self.target = self.target.observed(repository.get("databaseId"), repository.get("nameWithOwner"))
        return _present(repository.get("pullRequests"), self.target.key, "-", "pullRequests")

    def _complete(self, pr: PullRequestRecord, node: dict[str, Any]) -> PullRequestWithReviews:
        """The PR with every nested connection read to its end (follow-up queries on overflow)."""
        full = dict(node)
        for connection in NESTED_CONNECTIONS:
            full[connection.name] = {"nodes": list(self._all_nodes(pr, node, connection.name))}
        record = PullRequestRecord.from_graphql(full, repo=pr.repo, repo_id=pr.repo_id)
        reviews = [
            ReviewRecord.from_graphql(review, repo=pr.repo, repo_id=pr.repo_id, pr_number=pr.number)
            for review in full["reviews"]["nodes"]
        ]
        events = (
            TimelineRecord.from_graphql(item, repo=pr.repo, repo_id=pr.repo_id, pr_number=pr.number)
            for item in full["timelineItems"]["nodes"]
        )
        return PullRequestWithReviews.build(record, reviews, [event for event in events if event is not None])

    def _all_nodes(self, pr: PullRequestRecord, node: dict[str, Any], name: str) -> Iterator[dict[str, Any]]:
        connection = _present(node.get(name), pr.repo, pr.number, name)
        while True:
            yield from _nodes(connection, pr.repo, pr.number)
            page_info = connection.get("pageInfo") or {}
            if not page_info.get("hasNextPage"):
                return
            variables = self._variables(number=pr.number, after=page_info.get("endCursor"))
            data = self._query(MORE_QUERIES[name], lambda variables=variables: variables)  # type: ignore[misc]
            pull_request = (data.get("repository") or {}).get("pullRequest") or {}
            connection = _present(pull_request.get(name), pr.repo, pr.number, name)


def _present(value: Any, repo: str, pr_number: object, name: str) -> dict[str, Any]:
    """``value`` when it is a JSON object; else the error saying GraphQL left ``name`` out."""
    if not isinstance(value, dict):
        raise MalformedPayloadError(repo, pr_number, name, "missing from GraphQL data")
    return value


def _nodes(connection: dict[str, Any], repo: str, pr_number: object = "-") -> list[dict[str, Any]]:
    nodes = connection.get("nodes")
    if not isinstance(nodes, list) or not all(isinstance(node, dict) for node in nodes):
        raise MalformedPayloadError(repo, pr_number, "nodes", "expected a list of objects")
    return nodes
