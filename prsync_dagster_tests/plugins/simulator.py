"""Simulator fixtures: a real-HTTP GitHub simulator per test, plus helpers around it.

- ``simulator``: a started ``small``-scenario simulator (seed 7), private to the test (mutate freely).
- ``simulator_url`` / ``github_token``: its REST base URL and accepted token.
- ``simulator_control``: a :class:`SimulatorControl` on it (the out-of-process control client).
- ``github_client``: a PyGithub ``Github`` on it (per_page=100, no request spacing).
- ``simulator_factory``: ``make(scenario="tiny", **kwargs)`` for other scenarios or limits;
  everything it starts is stopped after the test.
- ``readonly_simulator``: one session-wide ``small`` simulator for tests that only read
  (never mutate it, inject faults or change limits on it).
- ``github_real``: ``load("pull.json")`` reads a recorded real GitHub exchange from
  ``prsync_dagster_tests/fixtures/github_real``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from github import Auth, Github

from prsync_dagster.simulator import GitHubSimulator, SimulatorControl

GITHUB_REAL_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "github_real"


def make_github(sim: GitHubSimulator, token: str | None = None, **kwargs: Any) -> Github:
    """A PyGithub client pointed at ``sim`` (what the product does against api.github.com)."""
    options: dict[str, Any] = {
        "per_page": 100,
        "seconds_between_requests": None,
        "seconds_between_writes": None,  # PyGithub spaces POSTs (GraphQL) 1 s apart by default
        "timeout": 30,
    }
    options.update(kwargs)
    return Github(base_url=sim.url, auth=Auth.Token(token or sim.token), **options)


@pytest.fixture
def simulator_factory() -> Iterator[Callable[..., GitHubSimulator]]:
    started: list[GitHubSimulator] = []

    def make(scenario: str = "small", seed: int = 7, **kwargs: Any) -> GitHubSimulator:
        sim = GitHubSimulator(scenario=scenario, seed=seed, **kwargs).start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()


@pytest.fixture
def simulator(simulator_factory: Callable[..., GitHubSimulator]) -> GitHubSimulator:
    return simulator_factory("small", 7)


@pytest.fixture
def simulator_url(simulator: GitHubSimulator) -> str:
    return simulator.url


@pytest.fixture
def github_token(simulator: GitHubSimulator) -> str:
    return simulator.token


@pytest.fixture
def simulator_control(simulator: GitHubSimulator) -> SimulatorControl:
    return SimulatorControl(simulator.url)


@pytest.fixture
def github_client(simulator: GitHubSimulator) -> Iterator[Github]:
    client = make_github(simulator)
    yield client
    client.close()


@pytest.fixture(scope="session")
def readonly_simulator() -> Iterator[GitHubSimulator]:
    sim = GitHubSimulator(scenario="small", seed=7).start()
    yield sim
    sim.stop()


@pytest.fixture
def github_real() -> Callable[[str], dict[str, Any]]:
    def load(name: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((GITHUB_REAL_DIR / name).read_text(encoding="utf-8"))
        return data

    return load
