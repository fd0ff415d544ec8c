"""The ``prsync`` CLI as an operator meets it (issue 9, items 1, 2, 3 and 7; issue 12, item 4).

In-process through typer's ``CliRunner``, against the simulator over real HTTP, a real Dagster
instance in a temporary ``DAGSTER_HOME`` and a real warehouse. The signal tests that need a child
process are in ``test_cli_interrupts.py``.
"""

from __future__ import annotations

import ast
import io
import json
import os
import re
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import Result
from dagster import DagsterInstance
from github_api_simulator import GitHubSimulator
from rich.console import Console
from typer.testing import CliRunner

from prsync_dagster import cli, runs
from prsync_dagster.partitions import REPOSITORIES
from prsync_dagster.runs import (
    ESCALATIONS,
    InterruptGuard,
    SyncOutcome,
    dagster_instance,
    github_pool_limit,
    interrupt_on_stop_signals,
    run_syncs,
)
from prsync_dagster.verify import compare_with_truth
from prsync_dagster.warehouse import open_warehouse
from prsync_dagster_tests.fault_helpers import cursor_problems

PACKAGE = Path(cli.__file__).resolve().parent
Invoke = Callable[..., Result]


@pytest.fixture
def env(
    tmp_path: Path,
    simulator: GitHubSimulator,
    monkeypatch: pytest.MonkeyPatch,
    seed_dagster_home: Callable[[Path], Path],
) -> dict[str, str]:
    """A user's environment: a fresh DAGSTER_HOME (its empty storage seeded) and DuckDB file,
    GitHub = the simulator."""
    for name in list(os.environ):
        if name.startswith(("GITHUB_", "PRSYNC_", "DAGSTER_")):
            monkeypatch.delenv(name)
    home = seed_dagster_home(tmp_path / "home")
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    values = {
        "DAGSTER_HOME": str(home),
        "GITHUB_API_URL": simulator.url,
        "GITHUB_TOKEN": simulator.token,
        "PRSYNC_WAREHOUSE_URL": f"duckdb://{tmp_path / 'warehouse.duckdb'}",
        "COLUMNS": "200",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture
def prsync(env: dict[str, str]) -> Invoke:
    runner = CliRunner()

    def invoke(*args: str, **extra_env: str) -> Result:
        return runner.invoke(cli.app, list(args), env=extra_env or None)

    return invoke


def registered(home: str) -> list[str]:
    with DagsterInstance.from_config(home) as instance:
        return sorted(instance.get_dynamic_partitions(REPOSITORIES))


def register_raw(home: str, *keys: str) -> None:
    """Keys as the UI's "Add partition" stores them: any string."""
    with DagsterInstance.from_config(home) as instance:
        instance.add_dynamic_partitions(REPOSITORIES, list(keys))


def last_stderr_line(result: Result) -> str:
    return result.stderr.strip().splitlines()[-1]


# -- issue 12.4: no import cycle ---------------------------------------------------------------


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_demo_and_cli_launch_runs_through_runs_py_not_through_each_other() -> None:
    demo_imports = imported_modules(PACKAGE / "demo.py")
    cli_imports = imported_modules(PACKAGE / "cli.py")
    assert not any(name.startswith("prsync_dagster.cli") for name in demo_imports)
    assert "prsync_dagster.runs" in demo_imports and "prsync_dagster.runs" in cli_imports
    # the CLI reaches the demo only through the `demo` command, never the other way round
    assert imported_modules(PACKAGE / "runs.py").isdisjoint({"prsync_dagster.cli", "prsync_dagster.demo"})


# -- issue 9.3: names, pasted URLs, one request to check a repository --------------------------


def test_repos_add_accepts_pasted_urls_and_checks_each_repository_with_one_request(
    prsync: Invoke, env: dict[str, str], simulator: GitHubSimulator
) -> None:
    simulator.reset_stats()
    result = prsync(
        "repos", "add", "https://github.com/Acme/Widgets/pull/12", "git@github.com:acme/gadget-service.git"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["added: acme/widgets", "added: acme/gadget-service"]
    assert simulator.stats()["total_requests"] == 2
    assert registered(env["DAGSTER_HOME"]) == ["acme/gadget-service", "acme/widgets"]

    again = prsync("repos", "add", "ACME/widgets")
    assert again.stdout.splitlines() == ["already registered: acme/widgets"]
    assert simulator.stats()["total_requests"] == 2  # nothing new, nothing asked


def test_repos_add_refuses_a_typo_with_the_reason_and_registers_nothing(
    prsync: Invoke, env: dict[str, str]
) -> None:
    result = prsync("repos", "add", "acme/widgets", "acme/widgetz")
    assert result.exit_code == 1
    assert last_stderr_line(result) == (
        "prsync: error: acme/widgetz: not found or not visible to this token (GitHub answered 404); "
        "check the spelling, or the token's access to it"
    )
    assert registered(env["DAGSTER_HOME"]) == []


def test_sync_of_a_typo_registers_nothing(prsync: Invoke, env: dict[str, str]) -> None:
    result = prsync("sync", "https://github.com/acme/doesnotexist")
    assert result.exit_code == 1
    assert "acme/doesnotexist: not found or not visible to this token" in last_stderr_line(result)
    assert registered(env["DAGSTER_HOME"]) == []


def test_no_verify_registers_offline_without_a_request(prsync: Invoke, env: dict[str, str]) -> None:
    offline = {"GITHUB_API_URL": "http://127.0.0.1:9"}  # a closed port
    refused = prsync("repos", "add", "octo/docs", **offline)
    assert refused.exit_code == 1
    assert last_stderr_line(refused).startswith(
        "prsync: error: octo/docs: could not check it on GitHub: could not reach GitHub at "
        "http://127.0.0.1:9/repos/octo/docs: connection refused"
    )
    assert registered(env["DAGSTER_HOME"]) == []
    result = prsync("repos", "add", "--no-verify", "octo/docs", **offline)
    assert result.exit_code == 0, result.output
    assert registered(env["DAGSTER_HOME"]) == ["octo/docs"]


def test_status_shows_other_spellings_as_the_same_repository_and_invalid_keys_with_a_reason(
    prsync: Invoke, env: dict[str, str]
) -> None:
    register_raw(env["DAGSTER_HOME"], "jDoe-Dev/sprocket.js", "a/b/c")
    one = prsync("sync", "https://github.com/jdoe-dev/sprocket.js")  # runs the registered spelling
    assert one.exit_code == 0, one.output
    assert registered(env["DAGSTER_HOME"]) == ["a/b/c", "jDoe-Dev/sprocket.js"]
    register_raw(env["DAGSTER_HOME"], "jdoe-dev/sprocket.js")
    # both spellings registered: `prsync sync` (all) runs the repository once
    everything = prsync("sync")
    assert everything.exit_code == 0, everything.output
    assert "skipped 'a/b/c': invalid repository 'a/b/c': expected exactly one '/'" in everything.stderr
    assert [line.split()[1] for line in everything.stdout.splitlines() if "jdoe-dev" in line.lower()] == [
        "jdoe-dev/sprocket.js"
    ]

    rows = {row["repo"]: row for row in json.loads(prsync("status", "--json").stdout)}
    assert sorted(rows) == ["a/b/c", "jdoe-dev/sprocket.js"]
    assert rows["jdoe-dev/sprocket.js"]["status"] == "ok"
    assert rows["jdoe-dev/sprocket.js"]["registered_as"] == ["jDoe-Dev/sprocket.js", "jdoe-dev/sprocket.js"]
    assert rows["a/b/c"]["status"] == "invalid"
    assert rows["a/b/c"]["last_error"].startswith("invalid repository 'a/b/c'")

    table = prsync("status").stdout
    lines = [line for line in table.splitlines() if "sprocket" in line.lower()]
    assert len(lines) == 1 and "│ jdoe-dev/sprocket.js │ ok (as jDoe-Dev/sprocket.js) │" in lines[0]
    (invalid,) = [line for line in table.splitlines() if "a/b/c" in line]
    assert "│ invalid " in invalid and "│ invalid repository 'a/b/c': expected" in invalid


# -- issue 9.7: status fits the terminal, --json, one DAGSTER_HOME -----------------------------


def test_status_fits_the_terminal_and_json_has_the_full_error(prsync: Invoke, env: dict[str, str]) -> None:
    error = "GitHub kept failing for /repos/acme/widgets/pulls after retries (last status 503); " * 4
    with open_warehouse(env["PRSYNC_WAREHOUSE_URL"]) as warehouse:
        warehouse.migrate()
        warehouse.start_attempt("acme/widgets", datetime.now(UTC))
        warehouse.mark_error("acme/widgets", error.strip(), datetime.now(UTC))

    # an 80-column terminal (rich: TTY_COMPATIBLE=1 says the output is one; no colours)
    narrow = prsync("status", COLUMNS="80", TTY_COMPATIBLE="1", NO_COLOR="1")
    assert narrow.exit_code == 0, narrow.output
    location, *lines = re.sub(r"\x1b\[[0-9;]*m", "", narrow.stdout).splitlines()
    assert location.startswith("prsync status of ")  # a path: the terminal may wrap it
    assert max(len(line) for line in lines) <= 80, narrow.stdout
    (row,) = [line for line in lines if "acme/widgets" in line]  # one line, not six
    assert row.startswith("│ acme/widgets │ error (unregistered) │") and row.endswith("… │")
    header = next(line for line in lines if line.startswith("┃"))
    for kept in ("status", "lag", "PRs", "reviews", "last error"):  # narrow: fewer columns, none crushed
        assert f" {kept} " in header, header

    (entry,) = json.loads(prsync("status", "--json", COLUMNS="80").stdout)
    assert entry["repo"] == "acme/widgets" and entry["status"] == "error"
    assert entry["last_error"] == error.strip()
    assert entry["registered_as"] == [] and entry["pull_requests"] == 0


def test_one_default_dagster_home_for_instance_and_warehouse(
    tmp_path: Path, prsync: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DAGSTER_HOME")
    monkeypatch.delenv("PRSYNC_WAREHOUSE_URL")
    monkeypatch.chdir(tmp_path)
    added = prsync("repos", "add", "acme/widgets")
    assert added.exit_code == 0, added.output
    assert f"DAGSTER_HOME is not set; using {tmp_path / '.prsync'}" in added.stderr
    monkeypatch.delenv("DAGSTER_HOME")  # the CLI set it for its own process
    status = prsync("status", "--json")
    assert json.loads(status.stdout)[0]["repo"] == "acme/widgets"
    status = prsync("status")
    assert status.stdout.splitlines()[0] == f"prsync status of {tmp_path / '.prsync' / 'prsync.duckdb'}"


# -- issue 9.2 (CLI side): the one-line reason is the stored one -------------------------------


def test_a_failure_prints_the_reason_stored_in_last_error(prsync: Invoke, env: dict[str, str]) -> None:
    assert prsync("repos", "add", "--no-verify", "acme/gone").exit_code == 0
    result = prsync("sync")
    assert result.exit_code == 1
    with open_warehouse(env["PRSYNC_WAREHOUSE_URL"]) as warehouse:
        state = warehouse.get_state("acme/gone")
    assert state is not None and state.status == "error" and state.last_error
    assert last_stderr_line(result) == f"prsync: error: 1 of 1 syncs failed; acme/gone: {state.last_error}"
    assert f"acme/gone: failed: {state.last_error}" in result.stderr
    (entry,) = json.loads(prsync("status", "--json").stdout)
    assert entry["last_error"] == state.last_error


# -- issue 9.7: progress ------------------------------------------------------------------------


def test_progress_counts_repositories_and_pull_requests() -> None:
    stream = io.StringIO()
    console = Console(file=stream, force_terminal=True, width=120, color_system=None, highlight=False)
    with cli.SyncProgress(console, total=2) as progress:
        progress.started("acme/widgets")
        progress.done(SyncOutcome("acme/widgets", "ok", report={"pull_requests": 120, "reviews": 9}))
        progress.refresh()
        shown = stream.getvalue()
        progress.started("acme/gadget-service")
        progress.done(SyncOutcome("acme/gadget-service", "failed", error="GitHub rejected the token"))
        progress.refresh()
    assert "acme/widgets: 120 PRs, 9 reviews" in shown
    assert re.search(r"1/2 repositories, 120 PRs fetched", shown), shown
    assert "acme/gadget-service: failed: GitHub rejected the token" in stream.getvalue()
    assert "2/2 repositories" in stream.getvalue()


# -- issue 9.1 in-process: a signal stops the run in progress and the ones after it ------------


@pytest.fixture
def slow_simulator(simulator_factory: Callable[..., GitHubSimulator]) -> GitHubSimulator:
    return simulator_factory("small", 7, latency_ms=40)


def signal_after_requests(sim: GitHubSimulator, requests: int, signum: int) -> threading.Thread:
    """Send ``signum`` to this process once the simulator has answered ``requests`` requests."""

    def wait_then_signal() -> None:
        deadline = time.monotonic() + 120
        while sim.stats()["total_requests"] < requests and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(os.getpid(), signum)

    thread = threading.Thread(target=wait_then_signal, daemon=True)
    thread.start()
    return thread


def test_sigterm_interrupts_the_run_in_progress_and_starts_no_other(
    slow_simulator: GitHubSimulator, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_API_URL", slow_simulator.url)
    monkeypatch.setenv("PRSYNC_GITHUB_STRATEGY", "rest")  # one request per PR: long enough to interrupt
    keys = [name.lower() for name in slow_simulator.repos()]
    slow_simulator.reset_stats()
    handler_before = signal.getsignal(signal.SIGTERM)  # a pytest-xdist worker may have its own
    with dagster_instance() as instance, InterruptGuard(hard_s=600) as guard:
        instance.add_dynamic_partitions(REPOSITORIES, keys)
        thread = signal_after_requests(slow_simulator, 5, signal.SIGTERM)
        outcomes = run_syncs(keys, False, instance, guard=guard)
        thread.join()
    assert guard.signum == signal.SIGTERM and guard.exit_code == 143
    assert [outcome.result for outcome in outcomes] == ["interrupted", "not started", "not started"]
    assert outcomes[0].error == "interrupted by SIGTERM"
    with open_warehouse(env["PRSYNC_WAREHOUSE_URL"]) as warehouse:
        state = warehouse.get_state(keys[0])
        assert state is not None and state.status == "interrupted"
        assert cursor_problems(slow_simulator, warehouse, keys[0]) == []
        assert all(warehouse.get_state(key) is None for key in keys[1:])
    assert signal.getsignal(signal.SIGTERM) is handler_before  # handlers restored

    # the next sync completes the interrupted repository: nothing lost, nothing duplicated (at
    # full speed: the latency only had to make the first run long enough to interrupt)
    slow_simulator.set_latency(0)
    with dagster_instance() as instance:
        (again,) = run_syncs(keys[:1], False, instance)
    assert again.success, again.error
    with open_warehouse(env["PRSYNC_WAREHOUSE_URL"]) as warehouse:
        assert compare_with_truth(slow_simulator.truth(keys[0]), warehouse, keys[0]).problems() == []


# -- issue 11.5: several repositories at once ------------------------------------------------


def cli_runs(home: str) -> list[tuple[str, str]]:
    """(partition, status) of every run ``prsync sync`` recorded in the instance, sorted."""
    from dagster import RunsFilter

    with DagsterInstance.from_config(home) as instance:
        records = instance.get_run_records(RunsFilter(tags={"prsync/trigger": "cli"}))
        return sorted(
            (record.dagster_run.tags["dagster/partition"], record.dagster_run.status.value)
            for record in records
        )


def test_concurrent_sync_one_failure_stops_no_other_and_each_repository_is_one_run(
    prsync: Invoke, env: dict[str, str]
) -> None:
    assert prsync("repos", "add", "acme/widgets", "acme/gadget-service").exit_code == 0
    assert prsync("repos", "add", "--no-verify", "acme/gone").exit_code == 0
    result = prsync("sync", "-j", "3")
    assert result.exit_code == 1, result.output[-3000:]
    with open_warehouse(env["PRSYNC_WAREHOUSE_URL"]) as warehouse:
        states = {
            key: warehouse.get_state(key) for key in ("acme/gadget-service", "acme/gone", "acme/widgets")
        }
    gone = states["acme/gone"]
    assert gone is not None and gone.status == "error" and gone.last_error
    assert [state.status for key, state in states.items() if key != "acme/gone" and state] == ["ok", "ok"]
    assert last_stderr_line(result) == f"prsync: error: 1 of 3 syncs failed; acme/gone: {gone.last_error}"
    # one line per repository result, whatever order they finished in; the table in key order
    lines = [line for line in result.stderr.splitlines() if line.startswith("acme/")]
    assert sorted(line.split(":")[0] for line in lines) == [
        "acme/gadget-service",
        "acme/gone",
        "acme/widgets",
    ]
    rows = [line.split()[1] for line in result.stdout.splitlines() if "acme/" in line]
    assert rows == ["acme/gadget-service", "acme/gone", "acme/widgets"]
    assert cli_runs(env["DAGSTER_HOME"]) == [
        ("acme/gadget-service", "SUCCESS"),
        ("acme/gone", "FAILURE"),
        ("acme/widgets", "SUCCESS"),
    ]


@pytest.mark.parametrize("concurrency", [1, 3])
def test_run_syncs_runs_at_most_concurrency_at_once(env: dict[str, str], concurrency: int) -> None:
    """-j 3: the three runs (each in a process of its own) are all in progress together, as the
    instance's run records show; -j 1: each starts after the one before ended. Callbacks come in
    the calling thread either way."""
    from dagster import RunsFilter

    keys = ["acme/gadget-service", "acme/widgets", "jdoe-dev/sprocket.js"]
    events: list[tuple[str, str, str]] = []

    def started(key: str) -> None:
        events.append(("start", key, threading.current_thread().name))

    def done(outcome: SyncOutcome) -> None:
        events.append(("done", outcome.repo, threading.current_thread().name))

    with dagster_instance() as instance:
        instance.add_dynamic_partitions(REPOSITORIES, keys)
        outcomes = run_syncs(keys, False, instance, concurrency=concurrency, on_start=started, on_done=done)
        records = instance.get_run_records(RunsFilter(tags={"prsync/trigger": "cli"}), ascending=True)
    assert [(outcome.repo, outcome.result) for outcome in outcomes] == [(key, "ok") for key in keys]
    assert cli_runs(env["DAGSTER_HOME"]) == [(key, "SUCCESS") for key in keys]
    assert {thread for _, _, thread in events} == {threading.main_thread().name}
    spans = sorted((record.start_time, record.end_time) for record in records)
    assert len(spans) == 3 and all(start and end for start, end in spans)
    if concurrency == 1:
        assert [kind for kind, _, _ in events] == ["start", "done"] * 3
        assert all(spans[i][1] <= spans[i + 1][0] for i in range(2)), spans  # type: ignore[operator]
    else:
        assert [kind for kind, _, _ in events[:3]] == ["start"] * 3
        assert max(start for start, _ in spans) < min(end for _, end in spans), spans  # type: ignore[type-var]
    with open_warehouse(env["PRSYNC_WAREHOUSE_URL"]) as warehouse:
        for key in keys:
            assert warehouse.get_state(key).status == "ok"  # type: ignore[union-attr]


def test_concurrency_never_exceeds_the_github_api_pool_limit(env: dict[str, str]) -> None:
    """With dagster.yaml's pool limit of 2, -j 3 runs at most 2 at once (a third would only
    busy-wait for a slot inside Dagster)."""
    home = Path(env["DAGSTER_HOME"])
    (home / "dagster.yaml").write_text(
        "telemetry:\n  enabled: false\nconcurrency:\n  pools:\n    default_limit: 2\n    granularity: op\n"
    )
    keys = ["acme/gadget-service", "acme/widgets", "jdoe-dev/sprocket.js"]
    active: list[int] = [0]
    most = [0]
    lock = threading.Lock()

    def started(_key: str) -> None:
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])

    def done(_outcome: SyncOutcome) -> None:
        with lock:
            active[0] -= 1

    with dagster_instance() as instance:
        assert runs.github_pool_limit(instance) == 2
        instance.add_dynamic_partitions(REPOSITORIES, keys)
        outcomes = run_syncs(keys, False, instance, concurrency=3, on_start=started, on_done=done)
    assert [outcome.result for outcome in outcomes] == ["ok"] * 3
    assert most[0] == 2


def test_sigterm_stops_every_concurrent_run(
    slow_simulator: GitHubSimulator, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_API_URL", slow_simulator.url)
    monkeypatch.setenv("PRSYNC_GITHUB_STRATEGY", "rest")  # one request per PR: long enough to interrupt
    keys = sorted(name.lower() for name in slow_simulator.repos())
    begun: list[str] = []

    def send_once_all_began() -> None:
        deadline = time.monotonic() + 120
        while (
            len(begun) < len(keys) or slow_simulator.stats()["total_requests"] < 8
        ) and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGTERM)

    slow_simulator.reset_stats()
    with dagster_instance() as instance, InterruptGuard(hard_s=600) as guard:
        # as many repositories as may run at once (run_syncs caps -j at the github_api pool's
        # limit), so that every one of them is in flight when the signal comes
        keys = keys[: min(len(keys), github_pool_limit(instance) or len(keys))]
        assert len(keys) >= 2
        instance.add_dynamic_partitions(REPOSITORIES, keys)
        sender = threading.Thread(target=send_once_all_began, daemon=True)
        sender.start()
        outcomes = run_syncs(keys, False, instance, concurrency=3, guard=guard, on_start=begun.append)
        sender.join()
    assert sorted(begun) == keys, "the signal came before every run had begun"
    assert guard.exit_code == 143
    assert [(outcome.repo, outcome.result, outcome.error) for outcome in outcomes] == [
        (key, "interrupted", "interrupted by SIGTERM") for key in keys
    ]
    # every run ended: failed by the stop, or canceled by prsync when the stop cut Dagster short
    # before it recorded the end (runs._close_interrupted_run); none left running
    statuses = [status for _, status in cli_runs(env["DAGSTER_HOME"])]
    assert len(statuses) == len(keys) and set(statuses) <= {"FAILURE", "CANCELED"}, statuses
    with open_warehouse(env["PRSYNC_WAREHOUSE_URL"]) as warehouse:
        for key in keys:
            state = warehouse.get_state(key)
            assert state is not None and state.status == "interrupted", key
            assert cursor_problems(slow_simulator, warehouse, key) == []


def test_the_reason_after_exhausted_retries_is_the_cause_not_dagsters_wrapper() -> None:
    """Issue 9.2: after the step's retries Dagster reports "Exceeded max_retries of N"; the CLI
    prints the error that caused them instead."""
    from dagster import RetryPolicy, job, op

    from prsync_dagster.errors import GitHubApiError
    from prsync_dagster.runs import run_error

    @op(retry_policy=RetryPolicy(max_retries=1, delay=0))
    def flaky() -> None:
        raise GitHubApiError("GitHub kept failing for /repos/a/b/pulls after retries (last status 503)")

    @job
    def flaky_job() -> None:
        flaky()

    with DagsterInstance.ephemeral() as instance:
        result = flaky_job.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    assert run_error(result) == "GitHub kept failing for /repos/a/b/pulls after retries (last status 503)"


def test_progress_hears_the_engine_while_a_repository_is_read(env: dict[str, str]) -> None:
    """Issue 9.7: PRs read so far reach the display during the run, not only when it ends."""
    heard: list[tuple[str, str, int]] = []
    stream = io.StringIO()
    console = Console(file=stream, force_terminal=True, width=120, color_system=None, highlight=False)
    with cli.SyncProgress(console, total=1) as progress, dagster_instance() as instance:
        instance.add_dynamic_partitions(REPOSITORIES, ["acme/widgets"])

        def logged(repo: str, message: str) -> None:
            progress.logged(repo, message)
            heard.append((repo, message, progress.reading[repo]))

        progress.started("acme/widgets")
        (outcome,) = run_syncs(["acme/widgets"], False, instance, on_log=logged, on_done=progress.done)
    assert outcome.success, outcome.error
    assert ("acme/widgets", "acme/widgets: read 100 pull requests", 100) in heard
    assert progress.pull_requests == 120


def wait_in_dagster_until_interrupted(signals: list[int], delay_s: float = 0.2) -> bool:
    """Sleep in the main thread as Dagster's executor does before a step retry (signals only
    recorded by ``capture_interrupts``) while another thread sends ``signals``; True when an
    interrupt ended the wait before its 30 s were up."""
    from dagster._utils.interrupts import capture_interrupts

    def send() -> None:
        for signum in signals:
            time.sleep(delay_s)
            os.kill(os.getpid(), signum)

    sender = threading.Thread(target=send, daemon=True)
    try:
        with capture_interrupts():
            sender.start()
            for _ in range(300):
                time.sleep(0.1)
    except KeyboardInterrupt:
        return True
    finally:
        sender.join()
    return False


def test_an_escalation_ends_a_wait_in_which_dagster_only_records_the_signal() -> None:
    """In a run's process Dagster only records SIGTERM while its executor waits; the escalation
    that ``prsync`` sends ``grace_s`` later (SIGUSR2 for SIGTERM) raises there."""
    handlers = {signum: signal.getsignal(signum) for signum in (*ESCALATIONS, *ESCALATIONS.values())}
    try:
        stopped = interrupt_on_stop_signals()
        assert wait_in_dagster_until_interrupted([signal.SIGTERM, ESCALATIONS[signal.SIGTERM]])
        assert stopped == [signal.SIGTERM]
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)


@pytest.mark.parametrize(("signals", "grace_s"), [(1, 0.5), (2, 600.0)])
def test_a_run_waiting_in_dagster_is_stopped_by_the_escalation(
    env: dict[str, str], signals: int, grace_s: float
) -> None:
    """The run's step waits for a ``github_api`` pool slot (held by another run), where Dagster only
    records SIGTERM: the escalation ends it ``grace_s`` after the signal, or at once on a second."""
    from prsync_dagster.assets import GITHUB_POOL

    home = Path(env["DAGSTER_HOME"])
    (home / "dagster.yaml").write_text(
        "telemetry:\n  enabled: false\nconcurrency:\n  pools:\n    default_limit: 1\n    granularity: op\n"
    )
    key = "acme/widgets"
    ended: list[float] = []
    # hard_s: past it the run's process is killed, too late for the assertion on stopped_in
    with dagster_instance() as instance, InterruptGuard(grace_s=grace_s, hard_s=20) as guard:
        instance.add_dynamic_partitions(REPOSITORIES, [key])
        storage = instance.event_log_storage
        storage.initialize_concurrency_limit_to_default(GITHUB_POOL)
        assert storage.claim_concurrency_slot(GITHUB_POOL, "another-run", "its-step").is_claimed

        def stop() -> None:
            deadline = time.monotonic() + 120
            while not storage.get_concurrency_info(GITHUB_POOL).pending_step_count:  # waiting
                assert time.monotonic() < deadline, "the run never waited for the slot"
                time.sleep(0.05)
            for already in range(signals):
                while len(guard.received) < already:  # one at a time: a pending one absorbs another
                    time.sleep(0.01)
                time.sleep(0.3)  # still waiting for the slot: Dagster recorded the first signal only
                os.kill(os.getpid(), signal.SIGTERM)
            ended.append(time.monotonic())

        sender = threading.Thread(target=stop, daemon=True)
        sender.start()
        (outcome,) = run_syncs([key], False, instance, guard=guard)
        stopped_in = time.monotonic() - ended[0]
        sender.join()
        storage.free_concurrency_slots_for_run("another-run")
    assert guard.received == [signal.SIGTERM] * signals
    assert (outcome.result, outcome.error) == ("interrupted", "interrupted by SIGTERM")
    assert stopped_in < 10
    statuses = [status for _, status in cli_runs(env["DAGSTER_HOME"])]
    assert len(statuses) == 1 and set(statuses) <= {"FAILURE", "CANCELED"}, statuses
