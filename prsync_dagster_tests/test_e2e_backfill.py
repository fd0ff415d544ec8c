"""A backfill the way users run one: the real webserver and daemon, driven by the UI's GraphQL.

The test starts the GitHub API simulator, ``dagster-webserver`` and ``dagster-daemon`` (with the
repository's own ``dagster.yaml``) as separate processes, then sends exactly the GraphQL mutations
the Dagster UI sends for "Add partition" (``addDynamicPartition``), "Materialize all" on the
partitioned assets (``launchPartitionBackfill`` with an asset selection and partition names), and
the "Materialize" launchpad for one partition (``launchPipelineExecution`` with run config and the
``dagster/partition`` tag). The daemon launches the runs; the test only watches, then compares the
DuckDB warehouse with the simulator's truth.

What this covers that in-process tests cannot: the code location loads in a fresh process from
``workspace.yaml``, resources read their settings from the environment of the run worker, the
instance config's run queue really launches the runs, and metadata reaches the UI.

The helpers (:class:`DagsterStack`, :func:`dagster_stack`, the mutations) are reused by
``docs/screenshot.py``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests
from dagster import DagsterInstance
from github_api_simulator import GitHubSimulator

from prsync_dagster.warehouse import open_warehouse
from prsync_dagster_tests.sync_helpers import differences

REPO_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

PULL_REQUESTS = ["github", "pull_requests"]
PULL_REQUEST_REVIEWS = ["github", "pull_request_reviews"]
PULL_REQUEST_TIMELINE = ["github", "pull_request_timeline"]
ASSETS = [{"path": PULL_REQUESTS}, {"path": PULL_REQUEST_REVIEWS}, {"path": PULL_REQUEST_TIMELINE}]
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}
INSTIGATOR_TAGS = {"dagster/schedule_name", "dagster/sensor_name"}

T = TypeVar("T")

# -- the UI's GraphQL documents (copied from dagster-webserver's ui-core sources, trimmed) ---------

#: ui-core/src/partitions/CreatePartitionDialog.tsx ("Add partition").
ADD_DYNAMIC_PARTITION = """
mutation AddDynamicPartitionMutation(
  $partitionsDefName: String!, $partitionKey: String!, $repositorySelector: RepositorySelector!
) {
  addDynamicPartition(
    partitionsDefName: $partitionsDefName, partitionKey: $partitionKey,
    repositorySelector: $repositorySelector
  ) {
    __typename
    ... on AddDynamicPartitionSuccess { partitionsDefName partitionKey }
    ... on PythonError { message stack }
    ... on UnauthorizedError { message }
    ... on DuplicateDynamicPartitionError { message }
  }
}
"""

#: ui-core/src/instance/backfill/BackfillUtils.tsx (LaunchAssetChoosePartitionsDialog's backfill).
LAUNCH_PARTITION_BACKFILL = """
mutation LaunchPartitionBackfill($backfillParams: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $backfillParams) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PartitionSetNotFoundError { message }
    ... on PartitionKeysNotFoundError { message }
    ... on UnauthorizedError { message }
    ... on PipelineNotFoundError { message }
    ... on RunConflict { message }
    ... on ConflictingExecutionParamsError { message }
    ... on RunConfigValidationInvalid { pipelineName errors { message path reason } }
    ... on PythonError { message stack }
  }
}
"""

#: ui-core/src/runs/RunUtils.tsx (the launchpad's "Materialize" / "Launch run").
LAUNCH_PIPELINE_EXECUTION = """
mutation LaunchPipelineExecution($executionParams: ExecutionParams!) {
  launchPipelineExecution(executionParams: $executionParams) {
    __typename
    ... on LaunchRunSuccess { run { id pipelineName } }
    ... on PipelineNotFoundError { message }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on PythonError { message stack }
  }
}
"""

WORKSPACE = """
{
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError {
          __typename
          ... on RepositoryLocation { name repositories { name } }
          ... on PythonError { message stack }
        }
      }
    }
    ... on PythonError { message }
  }
}
"""

BACKFILL = """
query Backfill($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill {
      id status isAssetBackfill numPartitions partitionNames
      error { message stack }
    }
    ... on PythonError { message }
  }
}
"""

RUNS = """
query Runs($filter: RunsFilter) {
  runsOrError(filter: $filter) {
    __typename
    ... on Runs { results { runId jobName status runConfigYaml tags { key value } } }
    ... on PythonError { message }
  }
}
"""

RUN = """
query Run($runId: ID!) {
  runOrError(runId: $runId) {
    __typename
    ... on Run { runId jobName status tags { key value } }
    ... on PythonError { message }
  }
}
"""

MATERIALIZATIONS = """
query Materializations($assetKey: AssetKeyInput!, $partitions: [String!]) {
  assetOrError(assetKey: $assetKey) {
    __typename
    ... on Asset {
      assetMaterializations(partitions: $partitions) {
        runId
        partition
        timestamp
        metadataEntries {
          __typename
          label
          ... on BoolMetadataEntry { boolValue }
          ... on IntMetadataEntry { intValue }
          ... on TextMetadataEntry { text }
          ... on JsonMetadataEntry { jsonString }
        }
      }
    }
  }
}
"""

ASSET_NODES = """
query AssetNodes($assetKeys: [AssetKeyInput!]) {
  assetNodes(assetKeys: $assetKeys) {
    assetKey { path }
    jobNames
    assetChecksOrError { __typename ... on AssetChecks { checks { name jobNames } } }
  }
}
"""

#: ui-core/src/ticks/EvaluateScheduleDialog.tsx (a schedule's "Test schedule" dialog), trimmed.
SCHEDULE_DRY_RUN = """
mutation ScheduleDryRunMutation($selectorData: ScheduleSelector!, $timestamp: Float) {
  scheduleDryRun(selectorData: $selectorData, timestamp: $timestamp) {
    __typename
    ... on DryRunInstigationTick {
      timestamp
      evaluationResult {
        runRequests { runKey jobName tags { key value } }
        skipReason
        error { message }
      }
    }
    ... on ScheduleNotFoundError { scheduleName }
    ... on PythonError { message stack }
  }
}
"""

DAEMON_HEALTH = """
{
  instance {
    daemonHealth { allDaemonStatuses { daemonType healthy required lastHeartbeatErrors { message } } }
  }
}
"""


# -- processes ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Process:
    """A started subprocess in its own process group, with its output in a log file."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def stop(self, grace_s: float = 10.0) -> None:
        """Stop the whole process group (the daemon's code server and run workers included)."""
        if self.popen.poll() is None:
            _signal_group(self.popen.pid, signal.SIGTERM)
            with suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=grace_s)
        # Children (code servers, run workers) may outlive the leader: the group goes either way.
        _signal_group(self.popen.pid, signal.SIGKILL)
        with suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=5)

    def tail(self, chars: int = 6000) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return text[-chars:]


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


@dataclass
class DagsterStack:
    """A running webserver + daemon pair on one ``DAGSTER_HOME``, and a GraphQL client for it."""

    home: Path
    url: str
    env: dict[str, str]
    processes: list[Process] = field(default_factory=list)
    location: str = ""
    repository: str = "__repository__"
    session: requests.Session = field(default_factory=requests.Session)

    def graphql(self, query: str, variables: dict[str, Any] | None = None, timeout: float = 30) -> Any:
        """POST a GraphQL document to the webserver; GraphQL-level errors fail the test."""
        response = self.session.post(
            self.url + "/graphql", json={"query": query, "variables": variables or {}}, timeout=timeout
        )
        response.raise_for_status()
        body = response.json()
        if body.get("errors"):
            raise AssertionError(f"GraphQL errors: {json.dumps(body['errors'], indent=1)[:3000]}")
        return body["data"]

    def check_alive(self) -> None:
        for process in self.processes:
            code = process.popen.poll()
            if code is not None:
                raise AssertionError(f"{process.name} exited with status {code}:\n{process.tail()}")

    def repository_selector(self) -> dict[str, str]:
        return {"repositoryLocationName": self.location, "repositoryName": self.repository}

    def logs(self) -> str:
        return "\n".join(f"===== {p.name} ({p.log}) =====\n{p.tail()}" for p in self.processes)


def wait_for(
    what: str, probe: Callable[[], T | None], timeout_s: float, stack: DagsterStack, interval_s: float = 0.5
) -> T:
    """Call ``probe`` until it returns something other than None; fail with ``what`` on timeout."""
    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        stack.check_alive()
        try:
            value = probe()
        except (requests.ConnectionError, requests.Timeout) as exc:
            last_error, value = exc, None
        if value is not None:
            return value
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what} (last error: {last_error})")


def stack_environment(home: Path, sim: GitHubSimulator, warehouse_url: str) -> dict[str, str]:
    """The environment a user exports before ``dagster dev``: only what the README documents."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DAGSTER_", "GITHUB_", "PRSYNC_", "PYTEST_"))
    }
    env.update(
        DAGSTER_HOME=str(home),
        GITHUB_API_URL=sim.url,
        GITHUB_TOKEN=sim.token,
        PRSYNC_WAREHOUSE_URL=warehouse_url,
        PYTHONUNBUFFERED="1",
    )
    return env


@contextmanager
def dagster_stack(
    home: Path, env: dict[str, str], instance_yaml: Path | None = None
) -> Iterator[DagsterStack]:
    """Start ``dagster-webserver`` and ``dagster-daemon run`` from the repo root; always stop them.

    The instance config is the repository's ``dagster.yaml`` unless ``instance_yaml`` names another.
    On an exception the processes' logs are printed (pytest shows them with the failure).
    """
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(instance_yaml or REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    # Create the instance's storage once, here: two processes creating the same fresh SQLite
    # schemas at the same moment can trip over each other (seen once on a loaded machine).
    with DagsterInstance.from_config(str(home)):
        pass
    port = free_port()
    stack = DagsterStack(home=home, url=f"http://127.0.0.1:{port}", env=env)
    commands = {
        "webserver": [
            str(BIN / "dagster-webserver"),
            "-w",
            "workspace.yaml",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        "daemon": [str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"],
    }
    try:
        for name, command in commands.items():
            log = home / f"{name}.log"
            with log.open("wb") as sink:
                popen = subprocess.Popen(
                    command,
                    cwd=REPO_ROOT,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group, so stop() reaches its children
                )
            stack.processes.append(Process(name, popen, log))
        wait_until_loaded(stack)
        yield stack
    except BaseException:
        print(stack.logs(), file=sys.stderr)
        raise
    finally:
        for process in reversed(stack.processes):
            process.stop()
        stack.session.close()


def wait_until_loaded(stack: DagsterStack, timeout_s: float = 120) -> None:
    """Wait until GraphQL answers and the code location from ``workspace.yaml`` is loaded."""

    def loaded() -> str | None:
        data = stack.graphql(WORKSPACE, timeout=10)["workspaceOrError"]
        if data["__typename"] != "Workspace":
            return None
        for entry in data["locationEntries"]:
            result = entry["locationOrLoadError"]
            if result and result["__typename"] == "PythonError":
                raise AssertionError(f"code location {entry['name']} failed to load:\n{result['message']}")
            if entry["loadStatus"] == "LOADED" and result and result["__typename"] == "RepositoryLocation":
                stack.repository = result["repositories"][0]["name"]
                return str(entry["name"])
        return None

    stack.location = wait_for("the webserver to load the code location", loaded, timeout_s, stack)


# -- what the UI does -----------------------------------------------------------------------------


def add_partition(stack: DagsterStack, key: str) -> None:
    """The "Add partition" dialog of a dynamically partitioned asset."""
    result = stack.graphql(
        ADD_DYNAMIC_PARTITION,
        {
            "partitionsDefName": "repositories",
            "partitionKey": key,
            "repositorySelector": stack.repository_selector(),
        },
    )["addDynamicPartition"]
    assert result["__typename"] == "AddDynamicPartitionSuccess", result


def launch_asset_backfill(stack: DagsterStack, partition_names: list[str]) -> str:
    """ "Materialize all" on both assets, all partitions chosen, launched as a backfill."""
    result = stack.graphql(
        LAUNCH_PARTITION_BACKFILL,
        {
            "backfillParams": {
                "tags": [{"key": "dagster/from_ui", "value": "true"}],
                "assetSelection": ASSETS,
                "partitionNames": partition_names,
                "fromFailure": False,
            }
        },
    )["launchPartitionBackfill"]
    assert result["__typename"] == "LaunchBackfillSuccess", result
    return str(result["backfillId"])


def ui_launch_target(stack: DagsterStack) -> tuple[str, list[dict[str, Any]]]:
    """The job and asset checks the UI's "Materialize" picks for both assets.

    Mirrors ui-core's ``getCommonJob`` (the first job every selected asset belongs to) and
    ``getAssetCheckHandleInputs`` (the assets' checks that are in that job).
    """
    nodes = stack.graphql(ASSET_NODES, {"assetKeys": ASSETS})["assetNodes"]
    assert len(nodes) == len(ASSETS), nodes
    common = [name for name in nodes[0]["jobNames"] if all(name in node["jobNames"] for node in nodes)]
    assert common, nodes
    job = common[0]
    checks = [
        {"name": check["name"], "assetKey": {"path": node["assetKey"]["path"]}}
        for node in nodes
        if node["assetChecksOrError"]["__typename"] == "AssetChecks"
        for check in node["assetChecksOrError"]["checks"]
        if not check["jobNames"] or job in check["jobNames"]
    ]
    return job, checks


def launch_partition_run(stack: DagsterStack, partition: str, run_config_yaml: str) -> str:
    """The "Materialize" dialog for one partition, with run config from the launchpad.

    The execution params are ui-core's ``executionParamsForAssetJob`` plus the partition's tags.
    """
    job_name, checks = ui_launch_target(stack)
    result = stack.graphql(
        LAUNCH_PIPELINE_EXECUTION,
        {
            "executionParams": {
                "mode": "default",
                "selector": {
                    **stack.repository_selector(),
                    "pipelineName": job_name,
                    "assetSelection": ASSETS,
                    "assetCheckSelection": checks,
                },
                "runConfigData": run_config_yaml,
                "executionMetadata": {
                    "tags": [
                        {"key": "dagster/partition", "value": partition},
                        {"key": "dagster/from_ui", "value": "true"},
                    ]
                },
            }
        },
    )["launchPipelineExecution"]
    assert result["__typename"] == "LaunchRunSuccess", result
    return str(result["run"]["id"])


def daemon_health(stack: DagsterStack) -> str:
    statuses = stack.graphql(DAEMON_HEALTH)["instance"]["daemonHealth"]["allDaemonStatuses"]
    return ", ".join(f"{s['daemonType']}={'ok' if s['healthy'] else 'UNHEALTHY'}" for s in statuses)


def wait_for_backfill(stack: DagsterStack, backfill_id: str, timeout_s: float = 300) -> dict[str, Any]:
    """Poll the backfill until the daemon finishes it (it submits runs on a 30 s loop)."""

    def finished() -> dict[str, Any] | None:
        backfill = stack.graphql(BACKFILL, {"id": backfill_id})["partitionBackfillOrError"]
        assert backfill["__typename"] == "PartitionBackfill", backfill
        if backfill["status"] in ("REQUESTED", "CANCELING", "FAILING"):
            return None
        return dict(backfill)

    try:
        return wait_for(f"backfill {backfill_id}", finished, timeout_s, stack, interval_s=1)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; daemons: {daemon_health(stack)}; runs: {list_runs(stack)}") from None


def wait_for_run(stack: DagsterStack, run_id: str, timeout_s: float = 180) -> dict[str, Any]:
    def finished() -> dict[str, Any] | None:
        run = stack.graphql(RUN, {"runId": run_id})["runOrError"]
        assert run["__typename"] == "Run", run
        return dict(run) if run["status"] in FINISHED else None

    try:
        return wait_for(f"run {run_id}", finished, timeout_s, stack, interval_s=1)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; daemons: {daemon_health(stack)}") from None


def list_runs(stack: DagsterStack, run_filter: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    data = stack.graphql(RUNS, {"filter": run_filter or {}})["runsOrError"]
    assert data["__typename"] == "Runs", data
    return list(data["results"])


def tags_of(run: dict[str, Any]) -> dict[str, str]:
    return {tag["key"]: tag["value"] for tag in run["tags"]}


def materializations(stack: DagsterStack, asset_path: list[str], partition: str) -> list[dict[str, Any]]:
    """Materialization events of one asset partition, newest first, with metadata by label."""
    data = stack.graphql(MATERIALIZATIONS, {"assetKey": {"path": asset_path}, "partitions": [partition]})
    events = data["assetOrError"]["assetMaterializations"]
    for event in events:
        event["metadata"] = {entry["label"]: _metadata_value(entry) for entry in event["metadataEntries"]}
    return sorted(events, key=lambda event: float(event["timestamp"]), reverse=True)


def _metadata_value(entry: dict[str, Any]) -> Any:
    if "jsonString" in entry:
        return json.loads(entry["jsonString"])
    return entry.get("boolValue", entry.get("intValue", entry.get("text")))


def warehouse_differences(sim: GitHubSimulator, warehouse_url: str) -> dict[str, list[str]]:
    """Per repository, how the warehouse differs from the truth (opened only while no run is active)."""
    with open_warehouse(warehouse_url, lock_timeout_s=60) as warehouse:
        found = {repo.lower(): differences(sim, warehouse, repo) for repo in sim.repos()}
    return {repo: problems[:10] for repo, problems in found.items() if problems}


# -- the tests ------------------------------------------------------------------------------------


@dataclass
class Backfilled:
    """One running stack after the UI's add-partitions + backfill, shared by this module's tests."""

    stack: DagsterStack
    simulator: GitHubSimulator
    warehouse_url: str
    keys: list[str]
    backfill: dict[str, Any]
    started: float

    def phase(self, name: str) -> None:
        print(f"[e2e {time.monotonic() - self.started:6.1f}s] {name}", flush=True)

    @contextmanager
    def logs_on_failure(self) -> Iterator[None]:
        """Print the webserver's and daemon's logs when a test using this stack fails."""
        try:
            yield
        except BaseException:
            print(self.stack.logs(), file=sys.stderr)
            raise


@pytest.fixture(scope="module")
def backfilled() -> Iterator[Backfilled]:
    """Simulator, webserver and daemon, with the simulator's repositories added and backfilled
    through the UI's GraphQL mutations."""
    started = time.monotonic()
    # Not pytest's tmp_path: on a machine where several pytest sessions run at once, pytest prunes
    # older session directories, which could delete DAGSTER_HOME under the running daemon.
    with tempfile.TemporaryDirectory(prefix="prsync-e2e-") as scratch, GitHubSimulator("small", 7) as sim:
        work = Path(scratch)
        (work / "warehouse").mkdir()
        warehouse_url = f"duckdb://{work / 'warehouse' / 'prsync.duckdb'}"
        env = stack_environment(work / "dagster_home", sim, warehouse_url)
        keys = sorted(repo.lower() for repo in sim.repos())
        with dagster_stack(work / "dagster_home", env) as stack:
            state = Backfilled(stack, sim, warehouse_url, keys, {}, started)
            state.phase(f"code location {stack.location} loaded")
            for key in keys:
                add_partition(stack, key)
            backfill_id = launch_asset_backfill(stack, keys)
            state.phase(f"backfill {backfill_id} launched for {len(keys)} partitions")
            state.backfill = wait_for_backfill(stack, backfill_id)
            state.phase(f"backfill {state.backfill['status']}")
            yield state


@pytest.mark.e2e
@pytest.mark.timeout(600)
def test_ui_backfill_of_every_repository_matches_github(backfilled: Backfilled) -> None:
    """ "Add partition" per repository, then "Materialize all" as a backfill: exact copy.

    First syncs go several partitions to a run (``BackfillPolicy.multi_run``, prsync_dagster/batch.py):
    every repository's materialization comes from one of the backfill's runs, with its own figures
    under ``per_repository``."""
    stack, keys = backfilled.stack, backfilled.keys
    assert len(keys) >= 2, "the small scenario has several repositories"
    with backfilled.logs_on_failure():
        backfill = backfilled.backfill
        runs = list_runs(stack, {"tags": [{"key": "dagster/backfill", "value": backfill["id"]}]})
        assert backfill["status"] == "COMPLETED_SUCCESS", (backfill, runs)
        assert backfill["isAssetBackfill"] is True
        # 3 repositories fit one batch of up to 25 partitions (the multi-asset materializes all
        # three assets of each partition together)
        assert len(runs) == 1, runs
        assert {run["status"] for run in runs} == {"SUCCESS"}

        assert warehouse_differences(backfilled.simulator, backfilled.warehouse_url) == {}
        for key in keys:
            for asset_path in (PULL_REQUESTS, PULL_REQUEST_REVIEWS, PULL_REQUEST_TIMELINE):
                latest = materializations(stack, asset_path, key)[0]
                assert latest["runId"] in {run["runId"] for run in runs}
                assert latest["metadata"]["full_refresh"] is False
                assert latest["metadata"]["per_repository"][key]["changed"] is True


@pytest.mark.e2e
@pytest.mark.timeout(600)
def test_launchpad_full_refresh_reruns_only_that_partition(backfilled: Backfilled) -> None:
    """The "Materialize" dialog for one partition with ``full_refresh: true`` from the launchpad."""
    stack, keys = backfilled.stack, backfilled.keys
    target = keys[0]
    with backfilled.logs_on_failure():
        before = {run["runId"] for run in list_runs(stack)}
        previous = {key: materializations(stack, PULL_REQUESTS, key)[0]["runId"] for key in keys}
        run_id = launch_partition_run(
            stack, target, "ops:\n  sync_github_repository:\n    config:\n      full_refresh: true\n"
        )
        backfilled.phase(f"full refresh of {target} launched: run {run_id}")
        run = wait_for_run(stack, run_id)
        backfilled.phase(f"run {run['status']} ({run['jobName']})")
        assert run["status"] == "SUCCESS", run

        new_runs = [r for r in list_runs(stack) if r["runId"] not in before]
        # Only that partition ran. Schedules and sensors run by the clock (the hourly freshness
        # check, the 04:00 sync) may add runs meanwhile; they carry their instigator's tag.
        launched = [r for r in new_runs if not INSTIGATOR_TAGS & tags_of(r).keys()]
        assert [(r["runId"], tags_of(r).get("dagster/partition")) for r in launched] == [(run_id, target)]
        assert "full_refresh: true" in launched[0]["runConfigYaml"]

        for asset_path in (PULL_REQUESTS, PULL_REQUEST_REVIEWS, PULL_REQUEST_TIMELINE):
            latest = materializations(stack, asset_path, target)[0]
            assert latest["runId"] == run_id
            assert latest["metadata"]["full_refresh"] is True
        for key in keys[1:]:
            latest = materializations(stack, PULL_REQUESTS, key)[0]
            assert latest["runId"] == previous[key] and latest["metadata"]["full_refresh"] is False

        assert warehouse_differences(backfilled.simulator, backfilled.warehouse_url) == {}


@pytest.mark.e2e
@pytest.mark.timeout(600)
def test_daily_schedule_evaluates_with_a_partition_added_in_github_spelling(backfilled: Backfilled) -> None:
    """ "Add partition" accepts any string; GitHub shows names like ``Octo-Org/Hello-World``.

    The schedule's "Test schedule" dry run evaluates cleanly with such a key and requests the one
    daily probe run (issue 11: the probe, not the tick, decides which repositories get a sync run;
    that the probe's sensors run the key as registered is tested in-process:
    test_automation_keys.py, test_daily_probe.py).
    """
    stack = backfilled.stack
    with backfilled.logs_on_failure():
        add_partition(stack, "Octo-Org/Hello-World")
        result = stack.graphql(
            SCHEDULE_DRY_RUN,
            {
                "selectorData": {**stack.repository_selector(), "scheduleName": "daily_github_sync"},
                "timestamp": time.time(),
            },
        )["scheduleDryRun"]
        assert result["__typename"] == "DryRunInstigationTick", result
        evaluation = result["evaluationResult"]
        assert evaluation["error"] is None, evaluation
        requests = evaluation["runRequests"]
        # one request: the probe run of the tick's day (the dry run evaluates the next 04:00 tick)
        assert len(requests) == 1, requests
        day = tags_of(requests[0])["prsync/day"]
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", day) and requests[0]["runKey"] == f"probe@{day}", requests


def test_freshness_check_counts_a_first_sync_in_progress_as_pending(tmp_path: Path) -> None:
    """What the check saw in the e2e backfill, made deterministic: mid-backfill, one repository's
    first sync is still in progress (its step waits for a ``github_api`` pool slot). That
    repository has not fallen behind; its first sync has not finished yet."""
    from datetime import UTC, datetime

    from dagster import DagsterRunStatus, Definitions, instance_for_test
    from dagster._core.test_utils import create_run_for_test

    from prsync_dagster.automation import every_repository_synced_within_24h, freshness_check_job
    from prsync_dagster.resources import WarehouseResource
    from prsync_dagster.warehouse.base import SyncCommit

    url = f"duckdb://{tmp_path / 'prsync.duckdb'}"
    now = datetime.now(UTC)
    with open_warehouse(url) as warehouse:
        warehouse.migrate()
        for repo in ("acme/widgets", "acme/gadget-service"):
            commit = SyncCommit(
                repo=repo, repo_id=1, full_name=repo, cursor=now, etag=None, probe_url=None,
                success_at=now, strategy="auto", report={},
            )  # fmt: skip
            warehouse.write_batch(repo, [], now, commit)
    with instance_for_test() as instance:
        instance.add_dynamic_partitions("repositories", ["acme/widgets", "acme/gadget-service", "jdoe-dev/x"])
        create_run_for_test(
            instance,
            job_name="__ASSET_JOB",
            status=DagsterRunStatus.STARTED,
            tags={"dagster/partition": "jdoe-dev/x", "dagster/backfill": "abcdefgh"},
        )
        check_defs = Definitions(
            asset_checks=[every_repository_synced_within_24h],
            jobs=[freshness_check_job],
            resources={"warehouse": WarehouseResource(url=url)},
        )
        job = check_defs.resolve_job_def("repository_freshness_check")
        (evaluation,) = job.execute_in_process(instance=instance).get_asset_check_evaluations()
    assert evaluation.passed, evaluation.description
