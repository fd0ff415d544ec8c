"""The original plan, implemented faithfully as the baseline the engine is measured against.

"A Celery task per repository found changed PRs through the Issues API's ``since`` filter, then
fetched each PR and its reviews one by one." Per repository:

* ``repo = gh.get_repo(full_name)``;
* ``repo.get_issues(state="all", since=last_sync_time)`` (first sync: no ``since``), keeping the
  items that are pull requests;
* ``repo.get_pull(n)`` and ``pull.get_reviews()`` for each;
* upsert into the warehouse (our warehouse module, so storage costs are equal);
* ``last_sync_time`` := the wall-clock time this task *started* (what such plans store).

Concessions in the baseline's favour, so that the comparison is not won by a strawman:
``per_page=100`` (PyGithub's default is 30); no client-side throttle (PyGithub 2.x waits 0.25 s
between requests by default, which alone would make it ~5x slower at 50 ms latency; our engine
turns it off too, so both use the same transport); and the PR test reads the list payload as
received (``issue._rawData``): PyGithub's ``issue.pull_request`` would fetch every plain issue once
more to "complete" it (the key is absent from plain issues), and ``issue.raw_data`` would fetch
*every* item once more (list items are not "complete"), which a first measurement showed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from github import Auth, Github

from prsync_dagster.github.records import PullRequestRecord, PullRequestWithReviews, ReviewRecord
from prsync_dagster.warehouse.base import Warehouse

#: PRs per warehouse transaction: the engine's default, so both write the same way.
BATCH_SIZE = 500


class SinceState:
    """Per-repository ``last_sync_time``, kept in a JSON file (a Celery beat task keeps it in its DB)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}

    def get(self, key: str) -> datetime | None:
        value = self.data.get(key)
        return datetime.fromisoformat(value) if value else None

    def set(self, key: str, value: datetime) -> None:
        self.data[key] = value.isoformat()
        self.path.write_text(json.dumps(self.data, indent=2))


def connect(api_url: str, token: str) -> Github:
    """PyGithub as such a plan uses it: defaults, except 100 items per page and no throttle."""
    return Github(
        auth=Auth.Token(token),
        base_url=api_url,
        per_page=100,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


def sync_repository_original(
    gh: Github, full_name: str, warehouse: Warehouse, state: SinceState
) -> dict[str, Any]:
    """One Celery task: sync one repository the original way; returns PRs and reviews written."""
    key = full_name.lower()
    started = datetime.now(UTC)
    since = state.get(key)
    repo = gh.get_repo(full_name)
    issues = repo.get_issues(state="all", since=since) if since else repo.get_issues(state="all")
    batch: list[PullRequestWithReviews] = []
    written = {"pull_requests": 0, "reviews": 0}

    def flush() -> None:
        if batch:
            warehouse.write_batch(key, batch, datetime.now(UTC))
            written["pull_requests"] += len(batch)
            written["reviews"] += sum(len(item.reviews) for item in batch)
            batch.clear()

    for issue in issues:
        # The list payload as received; the public accessors would issue a GET per item (see above).
        if "pull_request" not in issue._rawData:
            continue  # a plain issue
        pull = repo.get_pull(issue.number)
        record = PullRequestRecord.from_rest(pull.raw_data, repo=key, repo_id=repo.id)
        reviews = tuple(
            ReviewRecord.from_rest(review.raw_data, repo=key, repo_id=repo.id, pr_number=pull.number)
            for review in pull.get_reviews()
        )
        batch.append(PullRequestWithReviews(pull_request=record, reviews=reviews))
        if len(batch) >= BATCH_SIZE:
            flush()
    flush()
    state.set(key, started)
    return written
