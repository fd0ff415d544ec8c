"""Helpers the fault tests share: snapshots of a repository's warehouse copy and the invariants
every fault must keep (warehouse equals truth after a success, unchanged after a failure, cursor
never ahead of the stored rows)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from github_api_simulator import GitHubSimulator

from prsync_dagster.github.records import PullRequestRecord, ReviewRecord
from prsync_dagster.warehouse.base import SyncState, Warehouse

REPO_ROOT = Path(__file__).resolve().parents[1]
STRATEGIES = ["auto", "graphql", "rest"]


@dataclass(frozen=True)
class Snapshot:
    """Everything stored about one repository."""

    pull_requests: list[PullRequestRecord]
    reviews: list[ReviewRecord]
    state: SyncState | None

    def data_and_cursor(self) -> tuple[Any, ...]:
        """What a failed sync must leave untouched (status, attempt and error fields may change)."""
        state = self.state
        kept = (state.cursor, state.etag, state.probe_url, state.last_success_at) if state else (None,) * 4
        return (self.pull_requests, self.reviews, kept)


def snapshot(warehouse: Warehouse, repo: str) -> Snapshot:
    key = repo.lower()
    return Snapshot(warehouse.pull_requests(key), warehouse.reviews(key), warehouse.get_state(key))


def cursor_problems(sim: GitHubSimulator, warehouse: Warehouse, repo: str) -> list[str]:
    """Ways in which the cursor is ahead of the stored rows (empty: it is not).

    Every PR that GitHub last updated at or before the cursor must be stored as GitHub has it now:
    an incremental sync from that cursor would never fetch it again.
    """
    key = repo.lower()
    state = warehouse.get_state(key)
    if state is None or state.cursor is None:
        return []
    stored = {pr.number: pr for pr in warehouse.pull_requests(key)}
    problems = []
    for pr in sim.truth(repo)["pull_requests"]:
        if pr["updated_at"] > state.cursor:
            continue
        mine = stored.get(pr["number"])
        if mine is None:
            problems.append(
                f"PR #{pr['number']} (updated {pr['updated_at']}) is behind the cursor but missing"
            )
        elif mine.updated_at != pr["updated_at"]:
            problems.append(f"PR #{pr['number']} is behind the cursor but stored at {mine.updated_at}")
    return problems


def subprocess_env(**extra: str) -> dict[str, str]:
    """The test's environment for a child process that imports this checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "PRSYNC_"))}
    env["PYTHONPATH"] = str(REPO_ROOT)
    env.update(extra)
    return env


def prsync_command() -> list[str]:
    """``prsync`` run by the interpreter of this test session (no reliance on PATH)."""
    return [sys.executable, "-m", "prsync_dagster.cli"]
