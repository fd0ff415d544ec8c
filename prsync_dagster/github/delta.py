"""What every fetch strategy shares: the repository it reads and the shape of its answer.

A strategy (REST or GraphQL) owns one question: "which pull requests changed since this moment,
and what are their complete review lists?" It streams the answer newest-first, so the sync engine
can write in bounded batches and never hold a repository in memory.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from prsync_dagster.github.client import GitHubClient
from prsync_dagster.github.records import PullRequestWithReviews


@dataclass
class RepoTarget:
    """The repository a sync reads: the partition key, and the name to ask GitHub for."""

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

    def observe(self, repo_id: int | None, full_name: str | None) -> None:
        """Remember what GitHub says the repository is called now (renames, first sync's id)."""
        if repo_id is not None:
            self.repo_id = repo_id
        if full_name:
            self.full_name = full_name


class PullRequestStream(abc.ABC):
    """Changed pull requests of one repository, newest ``updated_at`` first, with all their reviews."""

    strategy: str

    def __init__(self, client: GitHubClient, target: RepoTarget) -> None:
        self.client = client
        self.target = target

    @abc.abstractmethod
    def changed_since(self, since: datetime | None) -> Iterator[PullRequestWithReviews]:
        """PRs with ``updated_at >= since`` (all PRs when ``since`` is None); stops at the boundary."""
