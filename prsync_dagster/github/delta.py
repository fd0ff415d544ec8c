"""What every fetch strategy shares: the repository it reads, the shape of its answer, and the one
rule for where an incremental fetch stops.

A strategy (REST or GraphQL) owns one question: "which pull requests changed since this moment,
and what are their complete review lists?" It streams the answer newest-first, so the sync engine
can write in bounded batches and never hold a repository in memory.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime

from prsync_dagster.github.client import GitHubClient
from prsync_dagster.github.records import PullRequestRecord, PullRequestWithReviews


@dataclass(frozen=True)
class RepoTarget:
    """The repository a sync reads: the partition key, and the name and id GitHub knows it by.

    Immutable: what a probe or stream learns (a rename, the id on a first sync) comes back as a
    new target (:meth:`observed`), which the engine reads from the probe result and the stream.
    """

    key: str
    #: ``owner/name`` as last seen on GitHub (after a rename), else the key.
    full_name: str
    repo_id: int | None = None

    @property
    def owner(self) -> str:
        return self.full_name.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.full_name.split("/", 1)[1]

    @property
    def renamed(self) -> bool:
        return self.full_name.lower() != self.key

    def observed(self, repo_id: object, full_name: object) -> RepoTarget:
        """This target with what GitHub says now (values of the wrong type are ignored)."""
        return replace(
            self,
            repo_id=repo_id if isinstance(repo_id, int) else self.repo_id,
            full_name=full_name if isinstance(full_name, str) and full_name else self.full_name,
        )


#: A pull request as listed, and how to complete it (its full record, reviews and timeline events;
#: called only if it is kept).
Listed = tuple[PullRequestRecord, Callable[[], PullRequestWithReviews]]


class PullRequestStream(abc.ABC):
    """Changed pull requests of one repository, newest ``updated_at`` first, with all their reviews.

    ``target`` is what the stream knows of the repository; after (or during) streaming it carries
    what GitHub said (rename, id), for the engine to record. ``strategy`` names the API that
    fetched (``graphql`` or ``rest``).
    """

    strategy: str

    def __init__(self, client: GitHubClient, target: RepoTarget) -> None:
        self.client = client
        self.target = target

    @abc.abstractmethod
    def changed_since(self, since: datetime | None) -> Iterator[PullRequestWithReviews]:
        """PRs with ``updated_at >= since`` (all PRs when ``since`` is None), newest first."""


class PagedStream(PullRequestStream):
    """A stream over one API's updated-sorted list: subclasses page, the stop rule is here."""

    def changed_since(self, since: datetime | None) -> Iterator[PullRequestWithReviews]:
        """PRs with ``updated_at >= since`` (all PRs when ``since`` is None), newest first.

        The stop rule lives here, once, for every strategy: both APIs list PRs by ``updated_at``
        descending, so the first PR older than ``since`` ends the fetch (and its reviews are
        never asked for, nor its other details).
        """
        for record, complete in self.newest_first():
            if since is not None and record.updated_at < since:
                return
            yield complete()

    @abc.abstractmethod
    def newest_first(self) -> Iterator[Listed]:
        """Every PR of the repository, by ``updated_at`` descending, paged lazily."""
