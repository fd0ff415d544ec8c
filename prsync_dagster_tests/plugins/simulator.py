"""Simulator fixtures: the simulator package's pytest plugin, plus GitHub's real recordings.

- ``simulator``, ``simulator_control``, ``simulator_factory``, ``readonly_simulator``: see
  :mod:`github_api_simulator.pytest_plugin`.
- ``shared_simulator``: one session-wide ``small`` simulator (seed 7) for tests that only read
  (sync it, compare with its truth; never mutate it, inject faults, hook requests, read or reset its
  stats). Unlike ``readonly_simulator`` its rate-limit budgets are effectively unlimited, so the
  many full syncs of a session never meet a limit that a fresh simulator would not.
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
from github_api_simulator import GitHubSimulator
from github_api_simulator.pytest_plugin import (  # noqa: F401  (fixtures, re-exported)
    make_github,
    readonly_simulator,
    simulator,
    simulator_control,
    simulator_factory,
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
