"""The fork-server run launcher of ``dagster.yaml`` (issue 11): runs in their own processes, crashes reported.

Runs are created as the daemon creates them (with the code origin of ``workspace.yaml``'s module)
and handed to ``instance.launch_run``, which is what the daemon's run queue calls; the run's
process is forked from the launcher's server, syncs the simulator over real HTTP into a real
DuckDB file and records its events in the instance's SQLite storage.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus
from dagster._core.definitions.reconstruct import ReconstructableRepository
from dagster._core.storage.dagster_run import DagsterRun
from github_api_simulator import GitHubSimulator

from prsync_dagster.launcher import PID_TAG, ForkServerRunLauncher
from prsync_dagster.warehouse import open_warehouse
from prsync_dagster_tests.fault_helpers import REPO_ROOT, cursor_problems
from prsync_dagster_tests.sync_helpers import differences

pytestmark = pytest.mark.processes

REPO = "Acme/Widgets"


@pytest.fixture
def launcher_instance(
    tmp_path: Path,
    seed_dagster_home: Callable[[Path], Path],
    simulator: GitHubSimulator,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[DagsterInstance]:
    home = seed_dagster_home(tmp_path / "home")
    shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("GITHUB_API_URL", simulator.url)
    monkeypatch.setenv("GITHUB_TOKEN", simulator.token)
    monkeypatch.setenv("PRSYNC_WAREHOUSE_URL", f"duckdb://{tmp_path / 'prsync.duckdb'}")
    with DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance.run_launcher, ForkServerRunLauncher)
        instance.add_dynamic_partitions("repositories", [REPO.lower()])
        yield instance


def launch_sync(instance: DagsterInstance) -> DagsterRun:
    repository = ReconstructableRepository.for_module(
        "prsync_dagster.definitions", "defs", working_directory=str(REPO_ROOT)
    )
    job = repository.get_reconstructable_job("github_sync")
    run = instance.create_run_for_job(
        job_def=job.get_definition(),
        job_code_origin=job.get_python_origin(),
        tags={"dagster/partition": REPO.lower()},
        asset_selection=None,
    )
    instance.launch_run(run.run_id, workspace=None)  # type: ignore[arg-type]
    return run


def wait_for(instance: DagsterInstance, run_id: str, done: Callable[[DagsterRun], bool]) -> DagsterRun:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        run = instance.get_run_by_id(run_id)
        assert run is not None
        if done(run):
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not get there: {instance.get_run_by_id(run_id)}")


def engine_messages(instance: DagsterInstance, run_id: str) -> list[str]:
    return [entry.message for entry in instance.all_logs(run_id)]


def test_a_launched_run_syncs_in_its_own_forked_process(
    launcher_instance: DagsterInstance, simulator: GitHubSimulator, tmp_path: Path
) -> None:
    run = launch_sync(launcher_instance)
    finished = wait_for(launcher_instance, run.run_id, lambda r: r.is_finished)
    assert finished.status == DagsterRunStatus.SUCCESS, engine_messages(launcher_instance, run.run_id)
    pid = int(finished.tags[PID_TAG])
    assert pid != os.getpid()
    assert f"Started process for run (pid: {pid})." in engine_messages(launcher_instance, run.run_id)
    with open_warehouse(f"duckdb://{tmp_path / 'prsync.duckdb'}") as warehouse:
        assert differences(simulator, warehouse, REPO) == []


def test_a_run_process_killed_mid_sync_is_reported_failed_and_leaves_data_consistent(
    launcher_instance: DagsterInstance, simulator: GitHubSimulator, tmp_path: Path
) -> None:
    simulator.set_latency(300)  # each request 0.3 s: the run is mid-sync long enough to kill it
    run = launch_sync(launcher_instance)
    started = wait_for(
        launcher_instance,
        run.run_id,
        lambda r: (
            any(": full sync" in m for m in engine_messages(launcher_instance, r.run_id)) or r.is_finished
        ),
    )
    assert not started.is_finished, "the sync ended before it could be killed; make it slower"
    os.kill(int(started.tags[PID_TAG]), signal.SIGKILL)
    failed = wait_for(launcher_instance, run.run_id, lambda r: r.is_finished)
    assert failed.status == DagsterRunStatus.FAILURE
    messages = engine_messages(launcher_instance, run.run_id)
    assert any("was terminated by signal 9 (SIGKILL)" in m for m in messages), messages
    with open_warehouse(f"duckdb://{tmp_path / 'prsync.duckdb'}") as warehouse:
        assert cursor_problems(simulator, warehouse, REPO) == []


def test_terminating_a_run_stops_its_process(
    launcher_instance: DagsterInstance, simulator: GitHubSimulator
) -> None:
    simulator.set_latency(300)
    run = launch_sync(launcher_instance)
    started = wait_for(launcher_instance, run.run_id, lambda r: r.status == DagsterRunStatus.STARTED)
    assert launcher_instance.run_launcher.terminate(run.run_id)
    ended = wait_for(launcher_instance, run.run_id, lambda r: r.is_finished)
    assert ended.status == DagsterRunStatus.CANCELED, engine_messages(launcher_instance, run.run_id)
    pid = int(started.tags[PID_TAG])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"run process {pid} still alive after the run was canceled")
