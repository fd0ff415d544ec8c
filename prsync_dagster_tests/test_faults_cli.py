"""Bad input at the command line: one line on stderr, a non-zero exit, nothing changed (point 11).

Each case runs ``prsync`` with its own ``DAGSTER_HOME`` and environment: in this process through
typer's ``CliRunner`` (the default tier), and a few cases again as a real ``prsync`` process (the
``processes`` tier) to show the entry point behaves the same.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from github_api_simulator import GitHubSimulator
from typer.testing import CliRunner

from prsync_dagster.cli import app
from prsync_dagster_tests.fault_helpers import REPO_ROOT, prsync_command, subprocess_env

BAD_NAMES = [
    "",
    "a",
    "a/b/c",
    "../x",
    "acme/my repo",
    "acme /widgets",
    "acme/wïdgets",
    "ōwner/repo",
    "o" * 40 + "/x",
    "acme/x'; DROP TABLE github.pull_requests;--",
    'acme/"quoted"',
    "acme/x\ny",
]


@dataclass(frozen=True)
class Outcome:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    home: Path
    warehouse: Path


def run_prsync(
    home: Path, warehouse: Path, args: Sequence[str], extra: dict[str, str], *, process: bool = False
) -> Outcome:
    """``prsync ARGS`` in this process (or a child process); ``extra`` overrides the environment
    (``<unset>`` removes a variable)."""
    home.mkdir(parents=True, exist_ok=True)
    env = subprocess_env(
        DAGSTER_HOME=str(home),
        PRSYNC_WAREHOUSE_URL=f"duckdb://{warehouse}",
        GITHUB_TOKEN="ghp_cli_test_token",
    )
    env.update(extra)
    for name in [k for k, v in extra.items() if v == "<unset>"]:
        del env[name]
    if process:
        done = subprocess.run(
            [*prsync_command(), *args], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
        )
        return Outcome(tuple(args), done.returncode, done.stdout, done.stderr, home, warehouse)
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith(("GITHUB_", "PRSYNC_", "DAGSTER_")):
                patch.delenv(name)
        for name, value in env.items():
            if name.startswith(("GITHUB_", "PRSYNC_", "DAGSTER_")):
                patch.setenv(name, value)
        result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return Outcome(tuple(args), result.exit_code, result.stdout, result.stderr, home, warehouse)


def prsync_all(
    cases: Sequence[tuple[tuple[str, ...], dict[str, str]]], tmp_path: Path, *, process: bool = False
) -> list[Outcome]:
    """Run each (args, extra environment) in a fresh DAGSTER_HOME."""
    return [
        run_prsync(
            tmp_path / f"home{index}", tmp_path / f"warehouse{index}.duckdb", args, extra, process=process
        )
        for index, (args, extra) in enumerate(cases)
    ]


def assert_one_line_error(outcome: Outcome, *fragments: str) -> None:
    lines = outcome.stderr.splitlines()
    assert outcome.returncode != 0, outcome
    assert len(lines) == 1, f"{outcome.args!r}: {outcome.stderr!r}"
    assert lines[0].startswith("prsync: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    # nothing changed: no Dagster storage (no partition registered), no warehouse file
    assert sorted(p.name for p in outcome.home.iterdir()) == [], outcome.args
    assert not outcome.warehouse.exists(), outcome.args


def test_invalid_repository_names_are_refused_by_sync_and_repos_add(tmp_path: Path) -> None:
    cases: list[tuple[tuple[str, ...], dict[str, str]]] = [
        ((command, *sub, name), {}) for name in BAD_NAMES for command, *sub in (("sync",), ("repos", "add"))
    ]
    # a valid name next to an invalid one: the whole command is refused, nothing registered
    cases.append((("repos", "add", "acme/widgets", "a/b/c"), {}))
    *outcomes, mixed = prsync_all(cases, tmp_path)
    for outcome in outcomes:
        assert_one_line_error(outcome)
        assert "invalid repository" in outcome.stderr or "repository name is empty" in outcome.stderr
    assert_one_line_error(mixed, "invalid repository 'a/b/c'")


@pytest.mark.parametrize(
    ("variable", "value", "fragments"),
    [
        (
            "PRSYNC_WAREHOUSE_URL",
            "mysql://db.example/prsync",
            ["PRSYNC_WAREHOUSE_URL", "unknown scheme 'mysql'"],
        ),
        ("PRSYNC_WAREHOUSE_URL", "duckdb://relative/file.duckdb", ["must be absolute"]),
        ("PRSYNC_WAREHOUSE_URL", "postgresql://me:hunter2secret@/prsync", ["has no host"]),
        (
            "PRSYNC_WAREHOUSE_URL",
            "postgresql://me:hunter2secret@db:port/prsync",
            ["port is not a valid number"],
        ),
        ("GITHUB_API_URL", "ftp://github.example", ["GITHUB_API_URL must be an http(s) URL"]),
        ("GITHUB_API_URL", "api.github.com", ["GITHUB_API_URL must be an http(s) URL"]),
        ("GITHUB_TOKEN", "<unset>", ["GITHUB_TOKEN is not set"]),
        ("PRSYNC_GITHUB_STRATEGY", "fastest", ["PRSYNC_GITHUB_STRATEGY must be one of auto, graphql, rest"]),
    ],
)
def test_bad_settings_fail_sync_in_one_line(
    tmp_path: Path, variable: str, value: str, fragments: list[str]
) -> None:
    (outcome,) = prsync_all([(("sync", "acme/widgets"), {variable: value})], tmp_path)
    assert_one_line_error(outcome, *fragments)
    assert "hunter2secret" not in outcome.stderr + outcome.stdout


def test_missing_token_is_one_line_even_with_repositories_registered(
    tmp_path: Path, simulator: GitHubSimulator
) -> None:
    env = {"GITHUB_API_URL": simulator.url}
    home, warehouse = tmp_path / "home", tmp_path / "warehouse.duckdb"
    added = run_prsync(home, warehouse, ("repos", "add", "--no-verify", "acme/widgets"), env)
    synced = run_prsync(home, warehouse, ("sync",), {**env, "GITHUB_TOKEN": "<unset>"})
    assert added.returncode == 0, added.stderr
    assert synced.returncode != 0
    assert synced.stderr.splitlines() == [
        "prsync: error: GITHUB_TOKEN is not set: export a GitHub token "
        "(or GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY)"
    ]
    assert simulator.stats()["total_requests"] == 0
    assert not warehouse.exists()


@pytest.mark.processes
def test_the_entry_point_refuses_bad_input_in_one_line_too(tmp_path: Path) -> None:
    """The same refusals from a real ``prsync`` process (what a shell user sees)."""
    bad_name, bad_setting = prsync_all(
        [
            (("repos", "add", "acme/widgets", "a/b/c"), {}),
            (("sync", "acme/widgets"), {"PRSYNC_WAREHOUSE_URL": "postgresql://me:hunter2secret@/prsync"}),
        ],
        tmp_path,
        process=True,
    )
    assert_one_line_error(bad_name, "invalid repository 'a/b/c'")
    assert_one_line_error(bad_setting, "has no host")
    assert "hunter2secret" not in bad_setting.stderr + bad_setting.stdout
