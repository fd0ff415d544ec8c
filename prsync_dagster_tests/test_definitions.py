"""The code location: it loads, and what it deploys is exactly the committed snapshot.

The snapshot (``snapshots/definitions.json``) lists what users, the UI, the daemon and
``../shared/CONTRACT.md`` rely on: asset keys and their partitions, freshness policies, retry policy
and pool of the sync step, checks, jobs, schedules (cron and timezone), sensors, resources (class and
the environment variables they read) and the executor. Any change to ``defs`` shows up as a diff to
review; when the change is intended, refresh the file with::

    PRSYNC_UPDATE_SNAPSHOT=1 uv run pytest prsync_dagster_tests/test_definitions.py

and commit it with the change.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from dagster import Definitions, EnvVar

REPO_ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = Path(__file__).resolve().parent / "snapshots" / "definitions.json"
UPDATE_VARIABLE = "PRSYNC_UPDATE_SNAPSHOT"


def _partitions(partitions_def: Any) -> str | None:
    if partitions_def is None:
        return None
    name = getattr(partitions_def, "name", None)
    return f"{type(partitions_def).__name__}({name})" if name else type(partitions_def).__name__


def _plain(value: Any) -> Any:
    """A JSON-friendly, stable rendering of a Dagster policy object."""
    if value is None:
        return None
    return repr(value)


def describe(defs: Definitions) -> dict[str, Any]:
    """What ``defs`` deploys, as plain JSON-compatible data in a stable order."""
    repository = defs.get_repository_def()
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        op = defs.resolve_assets_def(key).op
        assets[key.to_user_string()] = {
            "partitions": _partitions(node.partitions_def),
            "group": node.group_name,
            "freshness_policy": _plain(getattr(node, "freshness_policy", None)),
            "op": op.name,
            "retry_policy": _plain(op.retry_policy),
            "pool": getattr(op, "pool", None),
        }
    checks = sorted(f"{key.asset_key.to_user_string()}:{key.name}" for key in graph.asset_check_keys)
    jobs = {
        job.name: {"partitions": _partitions(job.partitions_def)}
        for job in sorted(repository.get_all_jobs(), key=lambda job: job.name)
        if not job.name.startswith("__")  # Dagster's implicit asset job
    }
    schedules = {
        schedule.name: {
            "cron": schedule.cron_schedule,
            "timezone": schedule.execution_timezone,
            "job": schedule.job_name,
            "default_status": schedule.default_status.value,
        }
        for schedule in sorted(repository.schedule_defs, key=lambda s: s.name)
    }
    sensors = {
        sensor.name: {
            "minimum_interval_seconds": sensor.minimum_interval_seconds,
            "jobs": sorted(target.job_name for target in sensor.targets),
            "default_status": sensor.default_status.value,
        }
        for sensor in sorted(repository.sensor_defs, key=lambda s: s.name)
    }
    resources = {
        name: {
            "class": f"{type(resource).__module__}.{type(resource).__name__}",
            # Only the fields read from the environment through EnvVar: the rest depends on the
            # environment the test runs in.
            "env_vars": sorted(
                f"{field}={value.env_var_name}"
                for field, value in vars(resource).items()
                if isinstance(value, EnvVar) and not field.startswith("_")
            ),
        }
        for name, resource in sorted((defs.resources or {}).items())
    }
    return {
        "assets": assets,
        "asset_checks": checks,
        "jobs": jobs,
        "schedules": schedules,
        "sensors": sensors,
        "resources": resources,
        "executor": getattr(defs.executor, "name", None),
    }


def test_definitions_match_the_snapshot() -> None:
    from prsync_dagster.definitions import defs

    Definitions.validate_loadable(defs)  # what `dagster definitions validate` checks, in-process
    current = json.dumps(describe(defs), indent=2, sort_keys=True) + "\n"
    if os.environ.get(UPDATE_VARIABLE) == "1":
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(current, encoding="utf-8")
    committed = SNAPSHOT.read_text(encoding="utf-8") if SNAPSHOT.exists() else ""
    assert current == committed, (
        f"the definitions differ from {SNAPSHOT.relative_to(REPO_ROOT)}; if the change is intended, "
        f"refresh it with `{UPDATE_VARIABLE}=1 uv run pytest {Path(__file__).relative_to(REPO_ROOT)}` "
        "and commit the file"
    )


@pytest.mark.processes
def test_dagster_definitions_validate_passes(tmp_path: Path) -> None:
    """The code location loads the way Dagster's own CLI loads it (workspace.yaml)."""
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
