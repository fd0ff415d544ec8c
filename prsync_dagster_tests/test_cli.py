"""The ``prsync`` CLI as a user runs it: a subprocess with environment variables, against the simulator."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from github_api_simulator import GitHubSimulator

from prsync_dagster.warehouse import open_warehouse
from prsync_dagster_tests.sync_helpers import differences

REPO_ROOT = Path(__file__).resolve().parent.parent


def prsync(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "prsync_dagster.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=env.get("PRSYNC_TEST_CWD", str(REPO_ROOT)),
    )


@pytest.fixture
def cli_env(tmp_path: Path, simulator: GitHubSimulator) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "PRSYNC_", "DAGSTER_"))}
    env.update(
        DAGSTER_HOME=str(tmp_path / "home"),
        GITHUB_API_URL=simulator.url,
        GITHUB_TOKEN=simulator.token,
        PRSYNC_WAREHOUSE_URL=f"duckdb://{tmp_path / 'warehouse.duckdb'}",
        COLUMNS="200",
    )
    (tmp_path / "home").mkdir()
    return env


def test_help_lists_the_commands() -> None:
    result = prsync("--help", env=dict(os.environ))
    assert result.returncode == 0
    for command in ("repos", "sync", "status", "demo"):
        assert command in result.stdout


def test_repos_add_list_remove(cli_env: dict[str, str]) -> None:
    added = prsync("repos", "add", "Acme/Widgets", "octo/docs", "--no-verify", env=cli_env)
    assert added.returncode == 0, added.stderr
    assert "added: acme/widgets" in added.stdout
    again = prsync("repos", "add", "acme/widgets", env=cli_env)
    assert "already registered: acme/widgets" in again.stdout
    listed = prsync("repos", "list", env=cli_env)
    assert listed.stdout.split() == ["acme/widgets", "octo/docs"]
    removed = prsync("repos", "remove", "octo/docs", env=cli_env)
    assert removed.returncode == 0 and "removed: octo/docs" in removed.stdout
    assert prsync("repos", "list", env=cli_env).stdout.split() == ["acme/widgets"]


def test_invalid_name_is_one_line_and_changes_nothing(cli_env: dict[str, str]) -> None:
    result = prsync("repos", "add", "acme/ok", "../etc", env=cli_env)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1].startswith("prsync: error: invalid repository '../etc'")
    assert prsync("repos", "list", env=cli_env).stdout.split() == []


def test_sync_then_status(cli_env: dict[str, str], simulator: GitHubSimulator, tmp_path: Path) -> None:
    repos = [name.lower() for name in simulator.repos()[:2]]
    assert prsync("repos", "add", *repos, env=cli_env).returncode == 0
    first = prsync("sync", env=cli_env)
    assert first.returncode == 0, first.stderr
    for repo in repos:
        assert repo in first.stdout
    assert "changed" in first.stdout

    second = prsync("sync", repos[0], env=cli_env)
    assert second.returncode == 0, second.stderr
    assert "unchanged" in second.stdout  # a 304: nothing changed on GitHub

    full = prsync("sync", repos[1], "--full", env=cli_env)
    assert full.returncode == 0, full.stderr

    status = prsync("status", env=cli_env)
    assert status.returncode == 0, status.stderr
    for repo in repos:
        assert repo in status.stdout
    assert "ok" in status.stdout and "120" in status.stdout

    with open_warehouse(cli_env["PRSYNC_WAREHOUSE_URL"]) as warehouse:
        for repo in repos:
            assert differences(simulator, warehouse, repo) == []


def test_sync_failure_exits_non_zero_with_one_line(cli_env: dict[str, str]) -> None:
    # --no-verify: register it without asking GitHub, so that the sync itself meets the 404
    result = prsync("sync", "--no-verify", "acme/does-not-exist", env=cli_env)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("prsync: error: 1 of 1 syncs failed; acme/does-not-exist:")
    assert "repository not found or no access" in last
    status = prsync("status", env=cli_env)
    assert "error" in status.stdout and "acme/does-not-exist" in status.stdout


def test_missing_token_is_a_one_line_error(cli_env: dict[str, str]) -> None:
    env = {k: v for k, v in cli_env.items() if k != "GITHUB_TOKEN"}
    result = prsync("sync", "acme/widgets", env=env)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        "prsync: error: GITHUB_TOKEN is not set: export a GitHub token "
        "(or GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY)"
    )


@pytest.mark.slow
def test_demo_runs_offline_and_matches_truth(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "PRSYNC_", "DAGSTER_"))}
    env["COLUMNS"] = "200"
    result = prsync("demo", "--dir", str(tmp_path / "demo"), env=env, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "3. nothing changed" in result.stdout
    assert result.stdout.count("yes") >= 3 and "NO" not in result.stdout
    assert (tmp_path / "demo" / "demo.duckdb").exists()
