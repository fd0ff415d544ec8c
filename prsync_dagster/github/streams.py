"""Strategy assembly: which stream fetches a repository's changes, and how big its probe is.

``PRSYNC_GITHUB_STRATEGY`` (README) picks one of three:

- ``rest``: the REST pulls list (the probe, 100 PRs, doubles as its first page) and one reviews
  request per changed PR;
- ``graphql``: 100 PRs with their reviews per query; errors fail the sync;
- ``auto`` (default): GraphQL, falling back to REST for this sync where GraphQL cannot serve the
  repository: no GraphQL API on the server (404/410/501), or answers with partial data and errors
  such as ``FORBIDDEN`` on some nodes (issue 9.4). The fallback restarts the fetch over REST from
  the same ``since``: rows already written are written again, identically (upserts), and counted
  once in the report.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from prsync_dagster.errors import GraphQLPartialDataError, GraphQLUnavailableError
from prsync_dagster.github.client import GitHubClient
from prsync_dagster.github.delta import PullRequestStream, RepoTarget
from prsync_dagster.github.graphql import GraphQLPullRequestStream
from prsync_dagster.github.records import PullRequestWithReviews
from prsync_dagster.github.rest import ProbeResult, RestPullRequestStream
from prsync_dagster.settings import Strategy

#: Page size of the probe per strategy: REST reuses the probe as its first data page; GraphQL
#: fetching only needs to know whether the newest PR changed, so one item is enough.
PROBE_PAGE_SIZE: dict[str, int] = {"rest": 100, "auto": 1, "graphql": 1}

#: GraphQL failures after which ``auto`` fetches over REST instead.
FALLBACK_ERRORS = (GraphQLUnavailableError, GraphQLPartialDataError)


def open_stream(strategy: Strategy, client: GitHubClient, probed: ProbeResult) -> PullRequestStream:
    """The stream for ``strategy``, starting from what the probe learnt (name, id, first page)."""
    if strategy == "rest":
        return RestPullRequestStream(client, probed.target, first_page=probed.page)
    if strategy == "graphql":
        return GraphQLPullRequestStream(client, probed.target)
    return GraphQLOrRestStream(client, probed.target)


class GraphQLOrRestStream(PullRequestStream):
    """``auto``: GraphQL (about a point per 100 PRs with their reviews), REST where GraphQL cannot
    serve the repository (see the module docstring). ``fallback_reason`` says why, if it fell back."""

    strategy = "graphql"

    def __init__(self, client: GitHubClient, target: RepoTarget) -> None:
        super().__init__(client, target)
        self.fallback_reason: str | None = None

    def changed_since(self, since: datetime | None) -> Iterator[PullRequestWithReviews]:
        graphql = GraphQLPullRequestStream(self.client, self.target)
        try:
            for item in graphql.changed_since(since):
                self.target = graphql.target
                yield item
            self.target = graphql.target
            return
        except FALLBACK_ERRORS as exc:
            self.fallback_reason = str(exc)
        self.strategy = "rest"
        rest = RestPullRequestStream(self.client, graphql.target)
        for item in rest.changed_since(since):
            self.target = rest.target
            yield item
        self.target = rest.target
