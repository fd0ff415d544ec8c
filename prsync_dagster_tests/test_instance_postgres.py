"""The instance configs: ``deploy/dagster-postgres.yaml`` really stores Dagster's state in Postgres,
and the root ``dagster.yaml`` loads and carries the run-queue limits the README promises.

Why: a deployment that scales past one machine depends on the instance storage being shared; if
the Postgres config silently fell back to SQLite files under ``DAGSTER_HOME``, every webserver,
daemon and run pod would see a different world. So the test syncs through the ``prsync`` CLI in a
subprocess (as a user would) and then reads Dagster's own tables in Postgres with psycopg.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml
from dagster import DagsterInstance
from dagster._core.instance.config import dagster_instance_config
from github_api_simulator import GitHubSimulator

from prsync_dagster.assets import GITHUB_POOL, sync_github_repository
from prsync_dagster.warehouse import open_warehouse
from prsync_dagster_tests.sync_helpers import differences

REPO_ROOT = Path(__file__).resolve().parent.parent
PRSYNC = Path(sys.executable).parent / "prsync"

#: What both instance configs promise (README "Configuration", dagster.yaml comments).
MAX_CONCURRENT_RUNS = 4
PARTITION_TAG_LIMIT = {"key": "dagster/partition", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}
POOL_LIMIT = 2


@pytest.fixture
def dagster_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty ``DAGSTER_HOME`` for this test, set in the environment while it runs."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    yield home


def dagster_psycopg2_url(libpq_url: str) -> str:
    """The same database as a SQLAlchemy URL, the form ``DAGSTER_POSTGRES_URL`` needs."""
    assert libpq_url.startswith("postgresql://"), libpq_url
    return "postgresql+psycopg2://" + libpq_url.removeprefix("postgresql://")


def run_prsync(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(PRSYNC), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"prsync {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def rows(url: str, query: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, connect_timeout=5) as connection:
        return list(connection.execute(query, params).fetchall())


def assert_run_queue_limits(instance: DagsterInstance) -> None:
    """The limits ``dagster.yaml`` sets, as Dagster itself resolved them."""
    config = instance.get_concurrency_config()
    queue = config.run_queue_config
    assert queue is not None
    assert queue.max_concurrent_runs == MAX_CONCURRENT_RUNS
    assert PARTITION_TAG_LIMIT in list(queue.tag_concurrency_limits)
    assert config.pool_config.default_pool_limit == POOL_LIMIT
    assert config.pool_config.pool_granularity is not None
    assert config.pool_config.pool_granularity.value == "op"
    # The pool the sync op claims gets that limit (Dagster applies the default on first use).
    info = instance.event_log_storage.get_concurrency_info(GITHUB_POOL)
    assert info.limit == POOL_LIMIT
    assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
    assert instance.run_retries_enabled and instance.run_retries_max_retries == 2


def test_root_dagster_yaml_is_a_valid_instance_with_run_queue_limits(dagster_home: Path) -> None:
    shutil.copy(REPO_ROOT / "dagster.yaml", dagster_home / "dagster.yaml")
    with DagsterInstance.get() as instance:
        assert instance.root_directory == str(dagster_home)
        assert type(instance.run_storage).__name__ == "SqliteRunStorage"
        assert_run_queue_limits(instance)
    # The asset really uses the pool the limit is about.
    assert sync_github_repository.op.pool == GITHUB_POOL == "github_api"


def test_both_instance_configs_share_the_same_limits() -> None:
    """``deploy/dagster-postgres.yaml`` differs from ``dagster.yaml`` only in where state is stored."""
    root = yaml.safe_load((REPO_ROOT / "dagster.yaml").read_text())
    postgres = yaml.safe_load((REPO_ROOT / "deploy" / "dagster-postgres.yaml").read_text())
    assert postgres["storage"] == {"postgres": {"postgres_url": {"env": "DAGSTER_POSTGRES_URL"}}}
    assert "storage" not in root
    for key in ("concurrency", "run_retries", "telemetry"):
        assert postgres[key] == root[key], key
    assert postgres["run_launcher"]["class"] == root["run_launcher"]["class"] == "ForkServerRunLauncher"


@pytest.mark.postgres
@pytest.mark.e2e
def test_postgres_instance_stores_runs_events_and_partitions(
    dagster_home: Path,
    postgres_url: str,
    simulator: GitHubSimulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``prsync repos add`` + ``prsync sync`` with the Postgres instance config: all state in Postgres."""
    shutil.copy(REPO_ROOT / "deploy" / "dagster-postgres.yaml", dagster_home / "dagster.yaml")
    warehouse_url = f"duckdb://{tmp_path / 'prsync.duckdb'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "GITHUB_", "PRSYNC_"))}
    env.update(
        DAGSTER_HOME=str(dagster_home),
        DAGSTER_POSTGRES_URL=dagster_psycopg2_url(postgres_url),
        GITHUB_API_URL=simulator.url,
        GITHUB_TOKEN=simulator.token,
        PRSYNC_WAREHOUSE_URL=warehouse_url,
    )
    keys = sorted(repo.lower() for repo in simulator.repos())
    synced = keys[0]

    run_prsync(["repos", "add", *keys], env, tmp_path)
    run_prsync(["sync", synced], env, tmp_path)
    listed = run_prsync(["repos", "list"], env, tmp_path).stdout.split()
    assert listed == keys

    # Dagster's own tables, read straight from Postgres.
    partitions = rows(
        postgres_url,
        "SELECT partition FROM dynamic_partitions WHERE partitions_def_name = %s",
        "repositories",
    )
    assert sorted(key for (key,) in partitions) == keys

    runs = rows(postgres_url, "SELECT run_id, pipeline_name, status FROM runs")
    assert [(job, status) for _, job, status in runs] == [("github_sync", "SUCCESS")]
    run_id = runs[0][0]
    tags = dict(rows(postgres_url, "SELECT key, value FROM run_tags WHERE run_id = %s", run_id))
    assert tags["dagster/partition"] == synced
    assert tags["prsync/trigger"] == "cli"

    materialized = rows(
        postgres_url,
        "SELECT asset_key, partition FROM event_logs "
        "WHERE run_id = %s AND dagster_event_type = 'ASSET_MATERIALIZATION' ORDER BY asset_key",
        run_id,
    )
    assert materialized == [
        ('["github", "pull_request_metrics"]', synced),
        ('["github", "pull_request_reviews"]', synced),
        ('["github", "pull_request_timeline"]', synced),
        ('["github", "pull_requests"]', synced),
    ]
    event_types = {kind for (kind,) in rows(postgres_url, "SELECT dagster_event_type FROM event_logs")}
    assert {"PIPELINE_START", "STEP_SUCCESS", "PIPELINE_SUCCESS"} <= event_types

    # Nothing fell back to SQLite under DAGSTER_HOME.
    sqlite_files = sorted(str(p.relative_to(dagster_home)) for p in dagster_home.rglob("*.db"))
    assert sqlite_files == []

    # The same instance, as another process sees it through Dagster's API.
    monkeypatch.setenv("DAGSTER_POSTGRES_URL", env["DAGSTER_POSTGRES_URL"])
    with DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert sorted(instance.get_dynamic_partitions("repositories")) == keys
        assert [run.run_id for run in instance.get_runs()] == [run_id]
        assert_run_queue_limits(instance)

    with open_warehouse(warehouse_url) as warehouse:
        assert differences(simulator, warehouse, synced) == []


# -- deploy/: the configs of docs/deployment.md, checked without Kubernetes or Docker -------------

DEPLOY = REPO_ROOT / "deploy"


def locked_version(package: str) -> str:
    """The version of ``package`` in uv.lock (the images must match the locked Dagster release)."""
    lock = tomllib.loads((REPO_ROOT / "uv.lock").read_text())
    return next(str(p["version"]) for p in lock["package"] if p["name"] == package)


def validated_instance_config(config: dict[str, Any], directory: Path) -> dict[str, Any]:
    """``config`` checked against Dagster's instance schema, as ``DagsterInstance.get()`` does
    before it imports any class (so no dagster-docker or dagster-k8s is needed here)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "dagster.yaml").write_text(yaml.safe_dump(config))
    value, _ = dagster_instance_config(str(directory))
    return dict(value)


def test_docker_instance_config_is_valid_with_the_same_limits(tmp_path: Path) -> None:
    root = yaml.safe_load((REPO_ROOT / "dagster.yaml").read_text())
    docker = yaml.safe_load((DEPLOY / "dagster-docker.yaml").read_text())
    validated_instance_config(docker, tmp_path)
    for key in ("concurrency", "run_retries", "telemetry"):
        assert docker[key] == root[key], key
    assert docker["storage"] == {"postgres": {"postgres_url": {"env": "DAGSTER_POSTGRES_URL"}}}
    launcher = docker["run_launcher"]
    assert (launcher["module"], launcher["class"]) == ("dagster_docker", "DockerRunLauncher")
    # Run containers need what a sync reads, and the instance's own storage URL.
    assert {"DAGSTER_POSTGRES_URL", "GITHUB_TOKEN", "GITHUB_API_URL", "PRSYNC_WAREHOUSE_URL"} <= set(
        launcher["config"]["env_vars"]
    )
    compose = yaml.safe_load((DEPLOY / "docker-compose.yaml").read_text())
    assert compose["networks"]["prsync"]["name"] == launcher["config"]["network"]


def test_docker_compose_wires_existing_files_and_the_code_server() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "prsync_user_code", "webserver", "daemon"} <= set(services)
    for service in services.values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (DEPLOY / source).exists(), volume
    code = services["prsync_user_code"]
    assert code["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert code["environment"]["DAGSTER_CURRENT_IMAGE"] == code["image"]
    workspace = yaml.safe_load((DEPLOY / "workspace-docker.yaml").read_text())
    server = workspace["load_from"][0]["grpc_server"]
    assert server["host"] == code["container_name"]
    assert f'"-p", "{server["port"]}"' in (DEPLOY / "Dockerfile").read_text()
    example = dict(
        line.split("=", 1)
        for line in (DEPLOY / "prsync.env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    docker = yaml.safe_load((DEPLOY / "dagster-docker.yaml").read_text())
    assert set(docker["run_launcher"]["config"]["env_vars"]) <= set(example)


def test_deploy_launcher_libraries_match_the_locked_dagster_release() -> None:
    """The image's run launchers (dagster-k8s, dagster-docker) must be the release of the locked
    Dagster (the libraries' numbering, as dagster-postgres has it): a mismatch fails every run."""
    library = locked_version("dagster-postgres")  # the libraries' numbering of the locked release
    assert locked_version("dagster-k8s") == library == locked_version("dagster-docker")
    deploy_group = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["dependency-groups"]["deploy"]
    assert f"dagster-k8s=={library}" in deploy_group and f"dagster-docker=={library}" in deploy_group


def helm_instance_config(values: dict[str, Any]) -> dict[str, Any]:
    """The parts of dagster.yaml the ``dagster/dagster`` chart renders from ``values`` that prsync
    relies on (as its templates map them: camelCase values to snake_case instance keys)."""
    concurrency = values["concurrency"]
    runs, pools = concurrency["runs"], concurrency["pools"]
    retries = values["dagsterDaemon"]["runRetries"]
    database = values["postgresql"]
    return {
        "storage": {
            "postgres": {
                "postgres_db": {
                    "hostname": database["postgresqlHost"],
                    "username": database["postgresqlUsername"],
                    "password": "from-the-secret",
                    "db_name": database["postgresqlDatabase"],
                    "port": database["service"]["port"],
                    "params": database["postgresqlParams"],
                }
            }
        },
        "run_coordinator": {"module": "dagster.core.run_coordinator", "class": "QueuedRunCoordinator"},
        "concurrency": {
            "runs": {
                "max_concurrent_runs": runs["maxConcurrentRuns"],
                "tag_concurrency_limits": runs["tagConcurrencyLimits"],
            },
            "pools": {
                "default_limit": pools["defaultLimit"],
                "granularity": pools["granularity"],
                "op_granularity_run_buffer": pools["opGranularityRunBuffer"],
            },
        },
        "run_retries": {
            "enabled": retries["enabled"],
            "max_retries": retries["maxRetries"],
            "retry_on_asset_or_op_failure": retries["retryOnAssetOrOpFailure"],
        },
        "telemetry": {"enabled": values["telemetry"]["enabled"]},
    }


def test_helm_values_give_the_same_limits_and_a_valid_instance(tmp_path: Path) -> None:
    values = yaml.safe_load((DEPLOY / "helm-values.yaml").read_text())
    root = yaml.safe_load((REPO_ROOT / "dagster.yaml").read_text())
    rendered = helm_instance_config(values)
    validated_instance_config(rendered, tmp_path)
    for key in ("concurrency", "run_retries", "telemetry"):
        assert rendered[key] == root[key], key
    assert values["concurrency"]["enabled"] is True
    # The chart refuses limits in both places; they live in `concurrency` only.
    assert values["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"] == {}
    assert values["dagsterDaemon"]["runCoordinator"]["type"] == "QueuedRunCoordinator"
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert values["postgresql"]["enabled"] is False and values["generatePostgresqlPasswordSecret"] is False

    (deployment,) = values["dagster-user-deployments"]["deployments"]
    module = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["dagster"]["module_name"]
    assert deployment["dagsterApiGrpcArgs"] == ["--module-name", module]
    assert deployment["envSecrets"] == [{"name": "prsync-secrets"}]
    assert deployment["includeConfigInLaunchedRuns"] == {"enabled": True}
    env = {item["name"] for item in deployment["env"]}
    assert "GITHUB_TOKEN" not in env and "PRSYNC_WAREHOUSE_URL" not in env  # secrets come from the Secret
    text = (DEPLOY / "helm-values.yaml").read_text()
    assert f"--version {locked_version('dagster')}" in text
    assert "postgresqlPassword" not in text
