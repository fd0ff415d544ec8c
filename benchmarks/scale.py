"""Organisation scale (issue 11): N repositories through the real Dagster daemon, three phases.

One command::

    uv run python -m benchmarks.scale                       # 1,000 repositories x 50 PRs
    uv run python -m benchmarks.scale --repos 30 --prs 20   # a quick run

What it does, end to end, on this machine:

1. starts the GitHub API simulator (its own process) with ``custom:repos=N,prs_per_repo=P``;
2. starts ``dagster-daemon run`` and ``dagster-webserver`` with this repository's ``dagster.yaml``
   in a temporary ``DAGSTER_HOME`` (SQLite storage; its run launcher forks one process per run,
   ``prsync_dagster/launcher.py``),
   warehouse = a DuckDB file there; registers the N repositories as partitions;
3. times three phases, each until no run is queued or in progress:

   - ``first``: first sync of all, launched as the UI's "Materialize all" does
     (webserver GraphQL ``launchPartitionBackfill`` of every partition);
   - ``changed10``: ``--changed`` (default 10 %) of the repositories changed on GitHub (and, with
     ``--fail-repo``, one repository deleted so that its sync fails); the daily trigger runs;
   - ``nochange``: nothing changed; the daily trigger runs.

   The daily trigger depends on ``--design``: ``backfill`` = a run per repository (the design
   before issue 11, measured through the same ``launchPartitionBackfill``); ``probe`` = what the
   04:00 ``daily_github_sync`` tick requests: one run of ``probe_repositories`` (GraphQL
   ``launchRun`` with the tick's ``prsync/day`` tag, a distinct day per phase), after which the
   daemon's ``sync_after_probe`` sensor launches one ``github_sync`` run per repository it named.

Per phase: wall time, Dagster runs launched (and failed: which partitions), GitHub requests, 304s
and points as the simulator counted them, peak resident memory of the daemon, webserver and every
process they started (sampled every 0.5 s from /proc), repositories fresh (``sync_state.last_success_at``
at or after the phase's start) and whether the warehouse equals the simulator's truth.

Results: ``benchmarks/results/scale-<design>-<N>x<P>.json``. Processes we start are stopped by pid.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.common import (
    REPO_ROOT,
    RESULTS_DIR,
    Simulator,
    compare_with_truth,
    log,
    machine_info,
    simulator_cost,
    simulator_process,
    write_json,
)

SYNC_ASSETS = ("pull_requests", "pull_request_reviews", "pull_request_timeline")  # one multi-asset: all three
ASSETS = [{"path": ["github", name]} for name in SYNC_ASSETS]
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


# ---- processes ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def descendants(roots: list[int]) -> set[int]:
    """``roots`` and every process below them (from /proc, no psutil)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found: set[int] = set()
    stack = list(roots)
    while stack:
        pid = stack.pop()
        if pid in found:
            continue
        found.add(pid)
        stack += children.get(pid, [])
    return found


def rss_bytes(pids: set[int]) -> int:
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE
        except (OSError, IndexError, ValueError):
            continue
    return total


class MemorySampler:
    """Peak summed RSS of a process tree, sampled every ``interval`` seconds in a thread."""

    def __init__(self, roots: list[int], interval: float = 0.5) -> None:
        self.roots = roots
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes(descendants(self.roots)))
            self._stop.wait(self.interval)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group we started, then SIGKILL after 30 s."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextmanager
def dagster_processes(home: Path, env: dict[str, str]) -> Any:
    """``dagster-daemon run`` and ``dagster-webserver`` on a free port; yields (url, [processes])."""
    port = free_port()
    bin_dir = Path(sys.executable).parent
    daemon_log = open(home / "daemon.log", "wb")  # noqa: SIM115
    web_log = open(home / "webserver.log", "wb")  # noqa: SIM115
    daemon = subprocess.Popen(
        [str(bin_dir / "dagster-daemon"), "run", "-w", "workspace.yaml"],
        stdout=daemon_log, stderr=subprocess.STDOUT, cwd=REPO_ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    web = subprocess.Popen(
        [str(bin_dir / "dagster-webserver"), "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        stdout=web_log, stderr=subprocess.STDOUT, cwd=REPO_ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                with urllib.request.urlopen(url + "/server_info", timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline or web.poll() is not None:
                    raise RuntimeError(f"webserver did not start; see {home / 'webserver.log'}") from None
                time.sleep(1)
        yield url, [daemon, web]
    finally:
        for process in (web, daemon):
            stop_process(process)
        daemon_log.close()
        web_log.close()


def graphql(url: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    body = json.dumps({"query": query, "variables": variables}).encode()
    request = urllib.request.Request(url + "/graphql", body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            payload: dict[str, Any] = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"GraphQL HTTP {exc.code}: {exc.read()[:2000]!r}") from None
    if payload.get("errors"):
        raise RuntimeError(f"GraphQL errors: {payload['errors']}")
    data: dict[str, Any] = payload["data"]
    return data


LAUNCH_BACKFILL = """
mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on UnauthorizedError { message }
    ... on PartitionSetNotFoundError { message }
    ... on InvalidStepError { invalidStepKey }
    ... on InvalidOutputError { stepKey }
    ... on RunConflict { message }
    ... on ConflictingExecutionParamsError { message }
    ... on PresetNotFoundError { message }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on NoModeProvidedError { message }
  }
}
"""

LAUNCH_RUN = """
mutation($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on InvalidSubsetError { message }
    ... on RunConflict { message }
  }
}
"""

LOCATION = "{ workspaceOrError { ... on Workspace { locationEntries { name } } } }"


def launch_backfill(url: str, partitions: list[str]) -> str | None:
    if not partitions:
        return None
    data = graphql(url, LAUNCH_BACKFILL, {"params": {"assetSelection": ASSETS, "partitionNames": partitions}})
    result = data["launchPartitionBackfill"]
    if result["__typename"] != "LaunchBackfillSuccess":
        raise RuntimeError(f"backfill not launched: {result}")
    return str(result["backfillId"])


def launch_probe_run(url: str, location: str, day: str) -> str:
    """Launch ``probe_repositories`` exactly as the 04:00 ``daily_github_sync`` tick requests it
    (same job, same ``prsync/day`` tag; the tick itself is a constant-time evaluation)."""
    params = {
        "selector": {"repositoryLocationName": location, "repositoryName": "__repository__",
                     "jobName": "probe_repositories"},
        "runConfigData": {},
        "executionMetadata": {"tags": [{"key": "prsync/day", "value": day},
                                       {"key": "prsync/trigger", "value": "daily"}]},
    }  # fmt: skip
    result = graphql(url, LAUNCH_RUN, {"params": params})["launchRun"]
    if result["__typename"] != "LaunchRunSuccess":
        raise RuntimeError(f"probe run not launched: {result}")
    return str(result["run"]["runId"])


def wait_for_probe(instance: Any, run_id: str, timeout_s: float) -> tuple[dict[str, Any], int]:
    """Wait for the probe run; then until its sensor launched every sync run it implies.

    Returns the probe's figures (seconds from start to end, its ``seconds`` split, requests,
    reasons) and how many sync runs the ``sync_after_probe*`` sensors will request.
    """
    from dagster import DagsterEventType, DagsterRunStatus

    from prsync_dagster.daily import NEEDS_RUN
    from prsync_dagster.partitions import registered_repositories

    deadline = time.monotonic() + timeout_s
    while True:
        record = instance.get_run_record_by_id(run_id)
        if record.dagster_run.status in (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE):
            break
        if time.monotonic() > deadline:
            raise TimeoutError("probe run did not finish")
        time.sleep(0.5)
    figures: dict[str, Any] = {
        "status": record.dagster_run.status.value,
        "run_s": round((record.end_time or 0) - (record.start_time or 0), 2),
    }
    expected = len(registered_repositories(instance))
    for event in instance.get_records_for_run(run_id, of_type=DagsterEventType.STEP_OUTPUT).records:
        metadata = {
            k: v.value for k, v in event.event_log_entry.dagster_event.step_output_data.metadata.items()
        }
        expected = len(metadata.pop(NEEDS_RUN))
        figures.update(metadata)
    return figures, expected


# ---- phases ---------------------------------------------------------------------------------


def wait_until_idle(instance: Any, backfill_id: str | None, started_at: float, timeout_s: float) -> None:
    """Until the backfill is done and no run is queued, starting or started."""
    from dagster import DagsterRunStatus, RunsFilter
    from dagster._core.execution.backfill import BulkActionStatus

    busy = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
            DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]  # fmt: skip
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        backfill_done = True
        if backfill_id is not None:
            backfill = instance.get_backfill(backfill_id)
            backfill_done = backfill is not None and backfill.status != BulkActionStatus.REQUESTED
        if backfill_done and instance.get_runs_count(RunsFilter(statuses=busy)) == 0:
            return
        time.sleep(1)
    raise TimeoutError(f"phase did not finish within {timeout_s:.0f} s")


RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def runs_since(instance: Any, since: datetime) -> dict[str, Any]:
    """Runs created since ``since``: how many, how many partitions each, which failed.

    ``failed_partitions`` are single-partition runs that failed (what the UI shows failed once
    re-queued batches settled); failed multi-partition runs are listed as ``start..end``.
    """
    from dagster import DagsterRunStatus, RunsFilter

    records = instance.get_run_records(RunsFilter(created_after=since))
    failed, failed_batches, batches = [], [], 0
    for record in records:
        tags = record.dagster_run.tags
        ranged = RANGE_START in tags
        batches += ranged
        if record.dagster_run.status != DagsterRunStatus.FAILURE:
            continue
        if ranged:
            failed_batches.append(f"{tags[RANGE_START]}..{tags[RANGE_END]}")
        else:
            failed.append(tags.get("dagster/partition", "?"))
    return {
        "runs_launched": len(records),
        "multi_partition_runs": batches,
        "runs_failed": len(failed) + len(failed_batches),
        "failed_partitions": sorted(failed),
        "failed_multi_partition_runs": sorted(failed_batches),
    }


def settle(instance: Any, backfill_id: str | None, since: datetime, timeout_s: float) -> None:
    """Wait until idle; while a failed multi-partition run may still be re-queued by the
    ``requeue_failed_batch_partitions`` sensor (it ticks every 30 s), wait for its runs too."""
    wait_until_idle(instance, backfill_id, time.monotonic(), timeout_s)
    while runs_since(instance, since)["failed_multi_partition_runs"]:
        count = runs_since(instance, since)["runs_launched"]
        time.sleep(40)
        wait_until_idle(instance, None, time.monotonic(), timeout_s)
        if runs_since(instance, since)["runs_launched"] == count:
            return


def fresh_count(warehouse_url: str, since: datetime) -> tuple[int, list[str]]:
    from prsync_dagster.warehouse import open_warehouse

    with open_warehouse(warehouse_url) as warehouse:
        states = warehouse.list_states()
    fresh = [s.repo for s in states if s.last_success_at is not None and s.last_success_at >= since]
    stale = sorted({s.repo for s in states} - set(fresh))
    return len(fresh), stale


def compare_in_parallel(
    sim: Simulator, warehouse_url: str, repos: list[str], workers: int = 4
) -> dict[str, Any]:
    """``compare_with_truth`` over ``repos`` in ``workers`` threads (the simulator's truth is fetched
    over HTTP while another thread reads the warehouse), the counts summed (1,000 repositories)."""
    from concurrent.futures import ThreadPoolExecutor

    chunks = [repos[i::workers] for i in range(workers)]
    with ThreadPoolExecutor(workers) as pool:
        parts = list(pool.map(lambda chunk: compare_with_truth(sim.control, warehouse_url, chunk), chunks))
    total: dict[str, Any] = {"examples": [], "per_repo_prs": {}}
    for part in parts:
        for key, value in part.items():
            if key == "examples":
                total[key] = (total[key] + value)[:10]
            elif key == "per_repo_prs":
                total[key].update(value)
            else:
                total[key] = total.get(key, 0) + value
    return total


def run_phase(
    name: str,
    *,
    design: str,
    url: str,
    location: str,
    instance: Any,
    sim: Simulator,
    warehouse_url: str,
    repos: list[str],
    excluded: set[str],
    roots: list[int],
    timeout_s: float,
    first: bool,
    day: str = "",
) -> dict[str, Any]:
    from dagster import RunsFilter

    log(f"phase {name}: start")
    sim.control.reset_stats()
    since = datetime.now(UTC)
    started = time.monotonic()
    probe: dict[str, Any] | None = None
    with MemorySampler(roots) as memory:
        if first or design == "backfill":
            backfill_id = launch_backfill(url, repos)
            requested = len(repos)
        else:
            probe, requested = wait_for_probe(instance, launch_probe_run(url, location, day), timeout_s)
            log(f"phase {name}: probe run {probe}; waiting for {requested} sync runs")
            backfill_id = None
            daily = RunsFilter(created_after=since, tags={"prsync/trigger": "daily"})
            while instance.get_runs_count(daily) < requested + 1:  # the sensor ticks every 30 s
                time.sleep(1)
        settle(instance, backfill_id, since, timeout_s)
    wall = round(time.monotonic() - started, 2)
    cost = simulator_cost(sim.control.stats())
    fresh, stale = fresh_count(warehouse_url, since)
    truth = compare_in_parallel(sim, warehouse_url, [r for r in repos if r not in excluded])
    equal = not any(truth[k] for k in truth if k.startswith(("prs_", "reviews_")))
    result = {
        "phase": name,
        "wall_s": wall,
        "probe_run": probe,
        "runs_requested": requested,
        **runs_since(instance, since),
        **cost,
        "peak_rss_mb": round(memory.peak / 2**20, 1),
        "fresh_repositories": fresh,
        "not_fresh": stale[:20],
        "truth_equal": equal,
        "truth": {k: v for k, v in truth.items() if k != "per_repo_prs"},
    }
    log(f"phase {name}: {json.dumps({k: v for k, v in result.items() if k != 'truth'})}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--prs", type=int, default=50)
    parser.add_argument("--reviews-per-pr", type=float, default=2.0)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--changed", type=float, default=0.10, help="fraction changed in phase 2")
    parser.add_argument("--design", choices=("probe", "backfill"), default="probe")
    parser.add_argument("--fail-repo", action="store_true", help="delete one repository before phase 2")
    parser.add_argument("--phase-timeout", type=float, default=3 * 3600)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the temporary DAGSTER_HOME")
    args = parser.parse_args(argv)

    scenario = f"custom:repos={args.repos},prs_per_repo={args.prs},reviews_per_pr={args.reviews_per_pr}"
    out = args.out or RESULTS_DIR / f"scale-{args.design}-{args.repos}x{args.prs}.json"
    home = Path(tempfile.mkdtemp(prefix="prsync-scale-"))
    shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    warehouse_url = "duckdb://" + (home / "prsync.duckdb").as_posix()
    phases: list[dict[str, Any]] = []
    log(f"DAGSTER_HOME {home}; starting the simulator ({scenario})")
    try:
        with simulator_process(scenario, args.latency_ms) as sim:
            repos = sorted(repo.lower() for repo in sim.control.repos())
            env = {
                **os.environ,
                "DAGSTER_HOME": str(home),
                "GITHUB_TOKEN": sim.token,
                "GITHUB_API_URL": sim.url,
                "PRSYNC_WAREHOUSE_URL": warehouse_url,
                "PRSYNC_REPOS": "",
            }
            os.environ.update({k: env[k] for k in ("DAGSTER_HOME", "PRSYNC_WAREHOUSE_URL")})
            from dagster import DagsterInstance

            with DagsterInstance.from_config(str(home)) as instance:
                instance.add_dynamic_partitions("repositories", repos)
                log(f"registered {len(repos)} repositories; starting daemon and webserver")
                with dagster_processes(home, env) as (url, processes):
                    location = graphql(url, LOCATION, {})["workspaceOrError"]["locationEntries"][0]["name"]
                    roots = [p.pid for p in processes]
                    common = {
                        "design": args.design, "url": url, "location": location, "instance": instance,
                        "sim": sim, "warehouse_url": warehouse_url, "repos": repos, "roots": roots,
                        "timeout_s": args.phase_timeout,
                    }  # fmt: skip
                    phases.append(run_phase("first", excluded=set(), first=True, **common))
                    rng = random.Random(11)
                    changed = rng.sample(repos, max(1, round(len(repos) * args.changed)))
                    for i, repo in enumerate(changed):
                        sim.control.mutate_repo(repo, seed=i, updated_fraction=0.04, new_prs=1,
                                                new_reviews=2, dismissals=0)  # fmt: skip
                    excluded: set[str] = set()
                    if args.fail_repo:
                        victim = next(r for r in repos if r not in changed)
                        sim.control.delete_repo(victim)
                        excluded.add(victim)
                    today = datetime.now(UTC).date()  # a distinct day per phase: run keys are repo@day
                    days = [(today + timedelta(days=n)).isoformat() for n in (1, 2)]
                    phases.append(
                        run_phase("changed10", excluded=excluded, first=False, day=days[0], **common)
                    )
                    phases[-1]["changed_repositories"] = len(changed)
                    phases[-1]["deleted_repository"] = sorted(excluded)
                    phases.append(
                        run_phase("nochange", excluded=excluded, first=False, day=days[1], **common)
                    )
    finally:
        result = {
            "benchmark": "scale",
            "command": " ".join(["uv run python -m benchmarks.scale", *(argv or sys.argv[1:])]),
            "design": args.design,
            "scenario": scenario,
            "repositories": args.repos,
            "prs_per_repo": args.prs,
            "latency_ms": args.latency_ms,
            "machine": machine_info(),
            "phases": phases,
        }
        write_json(out, result)
        log(f"wrote {out}")
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)
        else:
            log(f"kept {home}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
