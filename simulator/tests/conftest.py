"""The simulator's own tests: fixtures from the package's pytest plugin, plus ``github_real``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["github_api_simulator.pytest_plugin"]

#: GitHub's real recorded exchanges the simulator is held against (copied from GitHub).
GITHUB_REAL_DIR = Path(__file__).resolve().parent / "fixtures" / "github_real"


@pytest.fixture
def github_real() -> Callable[[str], dict[str, Any]]:
    """``load("pull.json")``: one recorded real GitHub exchange (see fixtures/github_real/README.md)."""

    def load(name: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((GITHUB_REAL_DIR / name).read_text(encoding="utf-8"))
        return data

    return load
