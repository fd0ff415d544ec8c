"""Shared fixtures live in plugin modules, one per area, so each area owns its own file.

Also here: how many pytest-xdist workers ``-n auto`` (pyproject's ``addopts``) starts.
"""

from __future__ import annotations

import os

import pytest

pytest_plugins = [
    "prsync_dagster_tests.plugins.clock",
    "prsync_dagster_tests.plugins.dagster_home",
    "prsync_dagster_tests.plugins.simulator",
    "prsync_dagster_tests.plugins.tmpfs",
    "prsync_dagster_tests.plugins.warehouse",
]

#: Most workers ``-n auto`` starts: each one imports Dagster and builds its own simulators, and the
#: Postgres server and the disk are shared.
MAX_WORKERS = 4


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """One worker per CPU (at most :data:`MAX_WORKERS`) for a whole tier; none (this process) when
    the command names single tests (``path::test``), where starting workers costs more than it
    saves. ``PYTEST_XDIST_AUTO_NUM_WORKERS`` still overrides, as in pytest-xdist itself."""
    configured = os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS", "").strip()
    if configured.isdigit():
        return int(configured)
    if any("::" in str(arg) for arg in config.args):
        return 0
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS))
