"""Simulator fixtures: the simulator package's pytest plugin, plus GitHub's real recordings.

- ``simulator``, ``simulator_control``, ``simulator_factory``, ``readonly_simulator``: see
  :mod:`github_api_simulator.pytest_plugin`.
- ``github_real``: ``load("pull.json")`` reads a recorded real GitHub exchange from
  ``simulator/tests/fixtures/github_real`` (copied from GitHub; the product's parsers are held
  against the same recordings as the simulator).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
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
