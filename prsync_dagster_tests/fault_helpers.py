"""Helpers the fault tests share: snapshots of a repository's warehouse copy and the invariants
every fault must keep (warehouse equals truth after a success, unchanged after a failure, cursor
never ahead of the stored rows)."""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from github_api_simulator import GitHubSimulator

from prsync_dagster.github.records import PullRequestRecord, ReviewRecord
from prsync_dagster.warehouse.base import SyncState, Warehouse

REPO_ROOT = Path(__file__).resolve().parents[1]
STRATEGIES = ["auto", "graphql", "rest"]

# -- which backend a test runs on ------------------------------------------------------------------
# A fault on the GitHub side (an HTTP status, a rate limit, a malformed payload, a renamed or
# deleted repository, a lost token), or a claim about GitHub's side alone (request and point
# counts, paging, App tokens), is met by the client and the engine; the warehouse only stores the
# result, the same way as in every other test. What the backends do differently (upsert, the
# cursor's transaction, migrations, arrays, the metrics SQL, locking, refused values) is tested on
# both backends by the engine, warehouse and metrics tests. Running every such case on both
# backends only repeated those, so these tests use one of the two markers below instead of the
# ``warehouse_url`` fixture's own "each backend in turn".

#: The ``warehouse``/``warehouse_url`` fixtures fixed to DuckDB, the default backend.
DUCKDB_ONLY = pytest.mark.parametrize("warehouse_url", ["duckdb"], indirect=True)

_ParameterSet = type(pytest.param(None))


def across_backends(axes: dict[str, Sequence[Any]]) -> pytest.MarkDecorator:
    """Parametrize over every combination of ``axes`` (``{"strategy": STRATEGIES, ...}``; a key may
    name several comma-separated arguments, its values then being tuples or ``pytest.param``s),
    each combination once, on DuckDB or Postgres by the parity of its positions on the axes (a
    checkerboard): every value of an axis with two or more values meets both backends, and both
    backends run the test, at half the cost of every combination on both.

    The test takes ``warehouse`` or ``warehouse_url`` as usual; ids read ``backend-values``.
    """
    names = ["warehouse_url"] + [name.strip() for key in axes for name in key.split(",")]
    cases = []
    for combination in itertools.product(*(list(enumerate(values)) for values in axes.values())):
        values: list[Any] = []
        ids: list[str] = []
        marks: list[Any] = []
        for key, (_, value) in zip(axes, combination, strict=True):
            if isinstance(value, _ParameterSet):
                values.extend(value.values)
                ids.append(value.id if isinstance(value.id, str) else "-".join(map(str, value.values)))
                marks.extend(value.marks)
            else:
                values.extend([value] if "," not in key else value)
                ids.append(str(value))
        backend = ("duckdb", "postgres")[sum(position for position, _ in combination) % 2]
        if backend == "postgres":
            marks.append(pytest.mark.postgres)
        cases.append(pytest.param(backend, *values, id="-".join([backend, *ids]), marks=marks))
    return pytest.mark.parametrize(names, cases, indirect=["warehouse_url"])


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
