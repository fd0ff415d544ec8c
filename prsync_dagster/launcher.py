"""A run launcher that forks each run's process from a warm server instead of starting Python anew.

Why (issue 11): the daily probe leaves only the changed repositories to sync, each in its own run,
and with Dagster's ``DefaultRunLauncher`` every run is a fresh interpreter started by the code
server (``multiprocessing`` "spawn") that imports Dagster, gRPC, SQLAlchemy, pydantic, PyGithub and
DuckDB before the sync begins: ~2.3 s of CPU here, and ~11 s from queued to started with four runs
starting at once on 2 cores, for a sync that then takes 1-3 s. This launcher keeps one
``multiprocessing`` fork server per daemon that has imported those libraries once
(``preload_modules``); each run is still its own process (a crash or ``kill -9`` ends that run
only, and is reported as its failure), forked from that server in milliseconds. The project's own
code is not preloaded: a child imports it afresh, so edited definitions apply to the next run as
with the default launcher (a change to a preloaded library needs a daemon restart).

Use it from ``dagster.yaml``::

    run_launcher:
      module: prsync_dagster.launcher
      class: ForkServerRunLauncher
      config:
        preload_modules: [dagster, duckdb, github, pydantic]

Runs whose code location uses another Python executable than the daemon's (a workspace of several
virtual environments) go through Dagster's ``DefaultRunLauncher`` instead. Termination sends the
run's process SIGINT, as the default launcher's code server does (Dagster ends the run canceled).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Self

from dagster._core.launcher import (
    CheckRunHealthResult,
    DefaultRunLauncher,
    LaunchRunContext,
    RunLauncher,
    WorkerStatus,
)
from dagster._core.storage.dagster_run import DagsterRun
from dagster._serdes import ConfigurableClass, ConfigurableClassData, deserialize_value, serialize_value

#: The run tag that holds the run process's pid (for termination and run monitoring).
PID_TAG = "prsync/run_pid"
#: What a server preloads unless configured otherwise: what a sync run imports, less this project
#: (measured: a run's process then imports for ~0.2 s of CPU instead of ~2.5 s).
DEFAULT_PRELOAD = (
    "dagster",
    "dagster._cli.api",
    "dagster._core.storage.runs.sqlite.sqlite_run_storage",
    "dagster._core.storage.event_log.sqlite.sqlite_event_log",
    "dagster._core.storage.schedules.sqlite.sqlite_schedule_storage",
    "alembic.command",
    "alembic.migration",
    "structlog",
    "tenacity",
    "rich.console",
    "rich.table",
    "duckdb",
    "github",
    "pydantic",
    "sentry_sdk",
)


def execute_run(instance_ref_json: str, run_id: str, environ: dict[str, str], cwd: str) -> None:
    """The run process's body (a forked child): execute the run as ``dagster api execute_run`` does.

    ``environ`` and ``cwd`` are the launching process's at launch time, as a spawned process would
    inherit them (the fork server's are those of its start).
    """
    os.environ.clear()
    os.environ.update(environ)
    os.chdir(cwd)
    from dagster import DagsterInstance
    from dagster._cli.api import _execute_run_command_body
    from dagster._core.instance.ref import InstanceRef

    # The fork server's signal handlers are not the run's: Dagster installs its own during the run.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    with DagsterInstance.from_ref(deserialize_value(instance_ref_json, InstanceRef)) as instance:
        _execute_run_command_body(run_id, instance, lambda _event: None, set_exit_code_on_failure=False)


class ForkServerRunLauncher(RunLauncher, ConfigurableClass):
    """Each run in its own process, forked from a server that imported ``preload_modules`` once."""

    def __init__(
        self, inst_data: ConfigurableClassData | None = None, preload_modules: Sequence[str] = DEFAULT_PRELOAD
    ) -> None:
        self._inst_data = inst_data
        # multiprocessing keeps one fork server per process; it starts, with this preload, at the
        # first launch (a preload set after that start would not apply)
        self._fork_server = multiprocessing.get_context("forkserver")
        self._fork_server.set_forkserver_preload(list(preload_modules))
        self._fallback = DefaultRunLauncher()
        self._processes: dict[str, Any] = {}
        super().__init__()

    @property
    def inst_data(self) -> ConfigurableClassData | None:
        return self._inst_data

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        from dagster import Array, Field

        return {"preload_modules": Field(Array(str), is_required=False, default_value=list(DEFAULT_PRELOAD))}

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData, config_value: Mapping[str, Any]) -> Self:
        return cls(inst_data=inst_data, **config_value)

    def register_instance(self, instance: Any) -> None:
        super().register_instance(instance)
        self._fallback.register_instance(instance)

    def launch_run(self, context: LaunchRunContext) -> None:
        run = context.dagster_run
        origin = run.job_code_origin
        if origin is None or os.path.realpath(origin.executable_path) != os.path.realpath(sys.executable):
            self._fallback.launch_run(context)
            return
        instance = self._instance
        process = self._fork_server.Process(
            target=execute_run,
            args=(serialize_value(instance.get_ref()), run.run_id, dict(os.environ), os.getcwd()),
            name=f"dagster-run-{run.run_id[:8]}",
        )
        process.start()
        instance.add_run_tags(run.run_id, {PID_TAG: str(process.pid)})
        self._processes[run.run_id] = process
        threading.Thread(
            target=self._watch, args=(run.run_id, process), name=f"watch-{run.run_id[:8]}", daemon=True
        ).start()

    def _watch(self, run_id: str, process: Any) -> None:
        """Report the run failed if its process ended before Dagster recorded the run's end."""
        process.join()
        self._processes.pop(run_id, None)
        if not self.has_instance:
            return
        run = self._instance.get_run_by_id(run_id)
        if run is None or run.is_finished:
            return
        from dagster._utils import get_run_crash_explanation

        message = get_run_crash_explanation(f"Run process for {run_id}", process.exitcode or 0)
        self._instance.report_engine_event(message, run, cls=self.__class__)
        self._instance.report_run_failed(run)

    def _pid(self, run: DagsterRun) -> int | None:
        pid = run.tags.get(PID_TAG)
        return int(pid) if pid and pid.isdigit() else None

    def terminate(self, run_id: str) -> bool:
        run = self._instance.get_run_by_id(run_id)
        if run is None or run.is_finished:
            return False
        pid = self._pid(run)
        if pid is None:
            return self._fallback.terminate(run_id)
        self._instance.report_run_canceling(run)
        try:
            os.kill(pid, signal.SIGINT)
        except ProcessLookupError:
            return False
        return True

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        pid = self._pid(run)
        if pid is None:
            return CheckRunHealthResult(WorkerStatus.UNKNOWN, "no run process recorded")
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return CheckRunHealthResult(WorkerStatus.FAILED, f"run process {pid} is gone")
        except PermissionError:
            pass  # it exists, under another user
        return CheckRunHealthResult(WorkerStatus.RUNNING)

    def join(self, timeout: int = 30) -> None:
        for process in list(self._processes.values()):
            with contextlib.suppress(Exception):
                process.join(timeout)
