"""The code location loads the way Dagster's own tools load it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_dagster_definitions_validate_passes(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "PRSYNC_"))}
    env["DAGSTER_HOME"] = str(tmp_path)
    dagster = str(Path(sys.executable).with_name("dagster"))
    result = subprocess.run(
        [dagster, "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "All code locations passed validation" in result.stdout + result.stderr


def test_one_definitions_object_holds_everything() -> None:
    from prsync_dagster.definitions import defs

    assert {job.name for job in defs.jobs or []} >= {"github_sync", "repository_freshness_check"}  # type: ignore[union-attr]
    assert {schedule.name for schedule in defs.schedules or []} == {  # type: ignore[union-attr]
        "daily_github_sync",
        "weekly_review_sweep",
        "hourly_freshness_check",
        "daily_review_metrics",
    }
    assert {sensor.name for sensor in defs.sensors or []} == {"tracked_repositories"}  # type: ignore[union-attr]
    assert set(defs.resources or {}) == {"github", "warehouse"}
