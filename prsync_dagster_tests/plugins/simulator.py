"""Simulator fixtures: the simulator package's pytest plugin, plus GitHub's real recordings.

- ``simulator``, ``simulator_control``, ``simulator_factory``, ``readonly_simulator``: see
  :mod:`github_api_simulator.pytest_plugin`.
- ``shared_simulator``: one session-wide ``small`` simulator (seed 7) for tests that only read
  (sync it, compare with its truth; never mutate it, inject faults, hook requests, read or reset its
  stats). Unlike ``readonly_simulator`` its rate-limit budgets are effectively unlimited, so the
  many full syncs of a session never meet a limit that a fresh simulator would not.
- ``compact_simulator``: a private, started simulator of :data:`COMPACT` (the ``small`` world's
  three repositories at a quarter of the size), for tests whose claim does not depend on the world's
  size (a fault, an error, a refetch): a REST sync of a repository costs ~3 requests a pull request.
- ``github_real``: ``load("pull.json")`` reads a recorded real GitHub exchange from
  ``simulator/tests/fixtures/github_real`` (copied from GitHub; the product's parsers are held
  against the same recordings as the simulator).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from github_api_simulator import GitHubSimulator, ScenarioSpec
from github_api_simulator.pytest_plugin import (  # noqa: F401  (fixtures, re-exported)
    make_github,
    readonly_simulator,
    simulator,
    simulator_control,
    simulator_factory,
)
from github_api_simulator.scenarios import RepoSpec

#: The ``small`` scenario's repositories (same names, owners and owner types; Acme/Widgets keeps its
#: pull request with 120 reviews, so review pages still overflow) with 30 pull requests each instead
#: of 120: one REST list page, two GraphQL pages. Few of them are open (2 to 4 a repository).
COMPACT = ScenarioSpec(
    "compact",
    (
        RepoSpec("Acme", "Widgets", 30, 8, 2.7, heavy_reviews=120),
        RepoSpec("Acme", "gadget-Service", 30, 8, 2.7),
        RepoSpec("jDoe-Dev", "sprocket.js", 30, 8, 2.7, owner_type="User"),
    ),
    people=30,
)

GITHUB_REAL_DIR = Path(__file__).resolve().parents[2] / "simulator" / "tests" / "fixtures" / "github_real"


@pytest.fixture
def github_real() -> Callable[[str], dict[str, Any]]:
    def load(name: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((GITHUB_REAL_DIR / name).read_text(encoding="utf-8"))
        return data

    return load


@pytest.fixture(scope="session")
def shared_simulator() -> Iterator[GitHubSimulator]:
    sim = GitHubSimulator("small", 7, rate_limit=10**9, graphql_rate_limit=10**9).start()
    yield sim
    sim.stop()


@pytest.fixture
def compact_simulator() -> Iterator[GitHubSimulator]:
    sim = GitHubSimulator(COMPACT, 7).start()
    yield sim
    sim.stop()
