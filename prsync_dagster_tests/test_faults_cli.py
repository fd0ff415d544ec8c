"""Bad input at the command line: one line on stderr, a non-zero exit, nothing changed (point 11).

Each case runs ``prsync`` in its own subprocess with its own ``DAGSTER_HOME``, the way a user
runs it; the cases run two at a time because every start imports Dagster.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from github_api_simulator import GitHubSimulator

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


def run_prsync(home: Path, warehouse: Path, args: Sequence[str], extra: dict[str, str]) -> Outcome:
    """``prsync ARGS`` in a subprocess; ``extra`` overrides the environment (``<unset>`` removes)."""
    home.mkdir(parents=True, exist_ok=True)
    env = subprocess_env(
        DAGSTER_HOME=str(home),
        PRSYNC_WAREHOUSE_URL=f"duckdb://{warehouse}",
        GITHUB_TOKEN="ghp_cli_test_token",
    )
    env.update(extra)
    for name in [k for k, v in extra.items() if v == "<unset>"]:
        del env[name]
    done = subprocess.run(
        [*prsync_command(), *args], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    return Outcome(tuple(args), done.returncode, done.stdout, done.stderr, home, warehouse)


def prsync_all(cases: Sequence[tuple[tuple[str, ...], dict[str, str]]], tmp_path: Path) -> list[Outcome]:
    """Run each (args, extra environment) in a fresh DAGSTER_HOME; two processes at a time."""

    def one(index: int, args: tuple[str, ...], extra: dict[str, str]) -> Outcome:
        return run_prsync(tmp_path / f"home{index}", tmp_path / f"warehouse{index}.duckdb", args, extra)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda case: one(case[0], *case[1]), enumerate(cases)))


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
