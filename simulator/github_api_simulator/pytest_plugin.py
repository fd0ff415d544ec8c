"""pytest fixtures for testing a GitHub client against the simulator (opt in, no auto-loading).

Enable with ``pytest_plugins = ["github_api_simulator.pytest_plugin"]`` in a ``conftest.py``:

- ``simulator``: a started ``small``-scenario simulator (seed 7), private to the test (mutate freely).
- ``simulator_control``: a :class:`SimulatorControl` on it (the out-of-process control client).
- ``simulator_factory``: ``make(scenario="tiny", **kwargs)`` for other scenarios or limits;
  everything it starts is stopped after the test.
- ``readonly_simulator``: one session-wide ``small`` simulator for tests that only read
  (never mutate it, inject faults or change limits on it).

Not auto-registered through an entry point: the fixture names are short and would collide with
a project's own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from github_api_simulator.control import SimulatorControl
from github_api_simulator.server import GitHubSimulator

if TYPE_CHECKING:
    from github import Github


def make_github(sim: GitHubSimulator, token: str | None = None, **kwargs: Any) -> Github:
    """A PyGithub client pointed at ``sim`` (needs PyGithub installed).

    Request spacing is off: PyGithub spaces writes (GraphQL POSTs included) 1 s apart by default,
    which only slows tests down against a local server.
    """
    from github import Auth, Github

    options: dict[str, Any] = {
        "per_page": 100,
        "seconds_between_requests": None,
        "seconds_between_writes": None,
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
def simulator_control(simulator: GitHubSimulator) -> SimulatorControl:
    return SimulatorControl(simulator.url)


@pytest.fixture(scope="session")
def readonly_simulator() -> Iterator[GitHubSimulator]:
    sim = GitHubSimulator(scenario="small", seed=7).start()
    yield sim
    sim.stop()
