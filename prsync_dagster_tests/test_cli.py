"""The ``prsync`` CLI against the simulator.

In the default tier the commands run in this process through typer's ``CliRunner`` (the same
``app``, real Dagster instance in a temporary ``DAGSTER_HOME``, real DuckDB file, real HTTP to the
simulator); the ``processes`` tier also runs the installed entry point as a user does.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from github_api_simulator import GitHubSimulator
from typer.testing import CliRunner

from prsync_dagster.cli import app
from prsync_dagster.warehouse import open_warehouse
from prsync_dagster_tests.sync_helpers import differences

REPO_ROOT = Path(__file__).resolve().parent.parent

Prsync = Callable[..., Result]


def table_rows(text: str) -> list[dict[str, str]]:
    """The rows of the rich table in ``text`` as ``{column: cell}`` (folded cells joined).

    Rich draws the header between ``┃`` and the rows between ``│``; a cell that does not fit is
    folded onto the next line, which then has an empty first column.
    """
    header: list[str] = []
    rows: list[dict[str, str]] = []
    for line in text.splitlines():
        if line.startswith("┃"):
            header = [cell.strip() for cell in line.strip("┃").split("┃")]
        elif line.startswith("│") and header:
            cells = [cell.strip() for cell in line.strip("│").split("│")]
            assert len(cells) == len(header), (header, line)
            if cells[0] or not rows:
                rows.append(dict(zip(header, cells, strict=True)))
            else:  # continuation of a folded row
                for column, cell in zip(header, cells, strict=True):
                    if cell:
                        rows[-1][column] += cell
    return rows


@pytest.fixture
def cli_env(
    tmp_path: Path,
    compact_simulator: GitHubSimulator,
    monkeypatch: pytest.MonkeyPatch,
    seed_dagster_home: Callable[[Path], Path],
) -> dict[str, str]:
    """A user's environment: a fresh ``DAGSTER_HOME`` (its empty storage seeded) and DuckDB file,
    the compact simulator world as GitHub (the small world's repositories, 30 PRs each)."""
    for name in list(os.environ):
        if name.startswith(("GITHUB_", "PRSYNC_", "DAGSTER_")):
            monkeypatch.delenv(name)
    env = {
        "DAGSTER_HOME": str(tmp_path / "home"),
        "GITHUB_API_URL": compact_simulator.url,
        "GITHUB_TOKEN": compact_simulator.token,
        "PRSYNC_WAREHOUSE_URL": f"duckdb://{tmp_path / 'warehouse.duckdb'}",
    }
    monkeypatch.setenv("COLUMNS", "250")  # wide enough that no table cell is cut
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    seed_dagster_home(tmp_path / "home")
    return env


@pytest.fixture
def prsync(cli_env: dict[str, str]) -> Iterator[Prsync]:
    """``prsync ARGS`` in this process; the result has ``exit_code``, ``stdout`` and ``stderr``."""
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), catch_exceptions=False)

    yield invoke


def last_stderr_line(result: Result) -> str:
    return result.stderr.strip().splitlines()[-1]


def test_help_lists_the_commands(prsync: Prsync) -> None:
    result = prsync("--help")
    assert result.exit_code == 0
    for command in ("repos", "sync", "status", "demo"):
        assert command in result.stdout


def test_repos_add_list_remove(prsync: Prsync) -> None:
    # --no-verify: octo/docs is not on the simulator (the check itself: test_cli_operator.py)
    added = prsync("repos", "add", "--no-verify", "Acme/Widgets", "octo/docs")
    assert added.exit_code == 0, added.stderr
    assert added.stdout.splitlines() == ["added: acme/widgets", "added: octo/docs"]
    again = prsync("repos", "add", "acme/widgets")
    assert again.stdout.splitlines() == ["already registered: acme/widgets"]
    assert prsync("repos", "list").stdout.split() == ["acme/widgets", "octo/docs"]
    removed = prsync("repos", "remove", "octo/docs")
    assert removed.exit_code == 0
    assert removed.stdout.splitlines() == ["removed: octo/docs (stored rows are kept)"]
    assert prsync("repos", "list").stdout.split() == ["acme/widgets"]


def test_invalid_name_is_one_line_and_changes_nothing(prsync: Prsync) -> None:
    result = prsync("repos", "add", "acme/ok", "../etc")
    assert result.exit_code != 0
    assert last_stderr_line(result).startswith("prsync: error: invalid repository '../etc'")
    assert prsync("repos", "list").stdout.split() == []


def test_sync_then_status(
    prsync: Prsync, cli_env: dict[str, str], compact_simulator: GitHubSimulator
) -> None:
    repos = sorted(name.lower() for name in compact_simulator.repos()[:2])
    assert prsync("repos", "add", *repos).exit_code == 0
    first = prsync("sync")
    assert first.exit_code == 0, first.stderr
    rows = {row["repository"]: row for row in table_rows(first.stdout)}
    assert sorted(rows) == repos
    for repo in repos:
        truth = compact_simulator.truth(repo)
        assert rows[repo]["result"] == "changed"
        assert int(rows[repo]["PRs"]) == len(truth["pull_requests"])
        assert int(rows[repo]["reviews"]) == len(truth["reviews"])

    second = prsync("sync", repos[0])
    assert second.exit_code == 0, second.stderr
    (row,) = table_rows(second.stdout)
    # a 304: nothing changed on GitHub, and it cost nothing
    assert (row["repository"], row["result"], row["PRs"], row["304s"], row["points"]) == (
        repos[0], "unchanged", "0", "1", "0"
    )  # fmt: skip

    full = prsync("sync", repos[1], "--full")
    assert full.exit_code == 0, full.stderr
    (row,) = table_rows(full.stdout)
    assert (row["repository"], row["result"]) == (repos[1], "changed")
    assert int(row["PRs"]) == len(compact_simulator.truth(repos[1])["pull_requests"])

    status = prsync("status")
    assert status.exit_code == 0, status.stderr
    states = {row["repository"]: row for row in table_rows(status.stdout)}
    assert sorted(states) == repos
    for repo in repos:
        truth = compact_simulator.truth(repo)
        assert states[repo]["status"] == "ok"
        assert int(states[repo]["PRs"]) == len(truth["pull_requests"])
        assert int(states[repo]["reviews"]) == len(truth["reviews"])
        assert states[repo]["last error"] == ""
        cursor = max(pr["updated_at"] for pr in truth["pull_requests"])
        assert states[repo]["cursor"] == cursor.isoformat()[:19]

    with open_warehouse(cli_env["PRSYNC_WAREHOUSE_URL"]) as warehouse:
        for repo in repos:
            assert differences(compact_simulator, warehouse, repo) == []


def test_sync_failure_exits_non_zero_with_one_line(prsync: Prsync) -> None:
    # --no-verify: register it without asking GitHub, so that the sync itself meets the 404
    result = prsync("sync", "--no-verify", "acme/does-not-exist")
    assert result.exit_code != 0
    last = last_stderr_line(result)
    assert last.startswith("prsync: error: 1 of 1 syncs failed; acme/does-not-exist:")
    assert "repository not found or no access" in last
    (row,) = table_rows(prsync("status").stdout)
    assert (row["repository"], row["status"]) == ("acme/does-not-exist", "error")
    assert "repository not found or no access" in row["last error"]


def test_missing_token_is_a_one_line_error(prsync: Prsync, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    result = prsync("sync", "acme/widgets")
    assert result.exit_code != 0
    assert last_stderr_line(result) == (
        "prsync: error: GITHUB_TOKEN is not set: export a GitHub token "
        "(or GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY)"
    )


# -- the entry point as a user runs it (child processes) -------------------------------------------


def run_prsync(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "prsync_dagster.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=str(REPO_ROOT),
    )


@pytest.mark.processes
def test_prsync_as_a_process_syncs_and_reports(
    cli_env: dict[str, str], compact_simulator: GitHubSimulator
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "PRSYNC_", "DAGSTER_"))}
    env.update(cli_env, COLUMNS="200")
    repo = compact_simulator.repos()[0].lower()
    synced = run_prsync("sync", repo, env=env)
    assert synced.returncode == 0, synced.stderr
    (row,) = table_rows(synced.stdout)
    assert (row["repository"], row["result"]) == (repo, "changed")
    failed = run_prsync("sync", "--no-verify", "acme/does-not-exist", env=env)
    assert failed.returncode != 0
    assert failed.stderr.strip().splitlines()[-1].startswith("prsync: error: 1 of 1 syncs failed")


@pytest.mark.processes
@pytest.mark.slow
def test_demo_runs_offline_and_matches_truth(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "PRSYNC_", "DAGSTER_"))}
    env["COLUMNS"] = "200"
    result = run_prsync("demo", "--dir", str(tmp_path / "demo"), env=env, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "3. nothing changed" in result.stdout
    assert result.stdout.count("yes") >= 3 and "NO" not in result.stdout
    assert (tmp_path / "demo" / "demo.duckdb").exists()
    # the hint's commands (the exports it prints, then `prsync status`) read the demo's warehouse
    hint = result.stdout[result.stdout.index("Explore it") :]
    exports = dict(re.findall(r"(DAGSTER_HOME|PRSYNC_WAREHOUSE_URL)=(\S+)", hint))
    assert set(exports) == {"DAGSTER_HOME", "PRSYNC_WAREHOUSE_URL"}
    status = run_prsync("status", "--json", env={**env, **exports})
    assert status.returncode == 0, status.stderr[-3000:]
    rows = json.loads(status.stdout)
    assert [(row["status"], row["pull_requests"] > 0) for row in rows] == [("ok", True)] * 3
    with open_warehouse(exports["PRSYNC_WAREHOUSE_URL"]) as warehouse:
        assert sum(warehouse.counts(row["repo"])[0] for row in rows) == sum(
            row["pull_requests"] for row in rows
        )
