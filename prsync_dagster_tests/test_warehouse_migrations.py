"""Schema migrations: the contract's tables and columns, applied once, even by racing processes."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from prsync_dagster.warehouse import open_warehouse
from prsync_dagster.warehouse.base import Warehouse
from prsync_dagster.warehouse.migrate import load_migrations

REPO_ROOT = Path(__file__).resolve().parents[1]

CONTRACT_COLUMNS = {
    "pull_requests": {
        "repo", "repo_id", "number", "id", "title", "state", "draft", "merged", "author_login", "created_at",
        "updated_at", "closed_at", "merged_at", "base_ref", "head_ref", "html_url", "synced_at",
        # CONTRACT.md, "Review-metrics data" (migration 0002)
        "body", "additions", "deletions", "changed_files", "commits", "comments", "labels", "assignees",
        "requested_reviewers", "requested_teams", "merged_by_login", "merge_commit_sha", "head_sha",
        "base_sha", "author_association", "is_cross_repository", "ready_for_review_at",
    },
    "pull_request_reviews": {
        "repo", "repo_id", "pr_number", "id", "author_login", "state", "submitted_at", "commit_id",
        "synced_at", "body", "author_association",
    },
    "pull_request_timeline": {
        "repo", "repo_id", "pr_number", "node_id", "event", "actor_login", "requested_reviewer",
        "requested_team", "created_at", "synced_at",
    },
    "sync_state": {
        "repo", "repo_id", "full_name", "status", "cursor", "etag", "probe_url", "last_attempt_at",
        "last_success_at", "last_error", "last_error_at", "strategy", "last_report", "needs_full_refetch",
    },
    "schema_migrations": {"version", "name", "applied_at"},
    "rest_etags": {"repo", "pr_number", "resource", "etag"},
    # issue 10 (migration 0004): derived review-metrics tables
    "pull_request_metrics": {
        "repo", "number", "author_login", "title", "html_url", "state", "draft", "created_at",
        "ready_for_review_at", "merged_at", "closed_at", "size", "first_review_requested_at",
        "first_review_at", "first_approval_at", "hours_to_first_review", "hours_pickup",
        "hours_to_approval", "hours_to_merge", "review_count", "reviewer_count", "changes_requested_count",
        "approvals_before_merge", "merged_without_review", "computed_at",
    },
    "review_metrics_weekly": {
        "repo", "week", "prs_opened", "prs_merged", "median_hours_to_first_review",
        "p90_hours_to_first_review", "median_hours_to_merge", "median_size", "computed_at",
    },
}  # fmt: skip


def _rows(wh: Warehouse, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with wh._session("inspect") as executor:  # type: ignore[attr-defined]
        return executor.execute(sql, params)


def _columns(wh: Warehouse) -> dict[str, dict[str, str]]:
    rows = _rows(
        wh,
        "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = %s",
        ["github"],
    )
    tables: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        tables.setdefault(table, {})[column] = data_type.lower()
    return tables


def test_migrate_creates_the_contract_schema_once(warehouse: Warehouse) -> None:
    warehouse.migrate()
    warehouse.migrate()

    columns = _columns(warehouse)
    assert {table: set(cols) for table, cols in columns.items()} == CONTRACT_COLUMNS
    for table, column in [("pull_requests", "created_at"), ("sync_state", "cursor")]:
        assert columns[table][column] in ("timestamp with time zone", "timestamptz")
    expected_json = "jsonb" if warehouse.kind == "postgres" else "json"
    assert columns["sync_state"]["last_report"] == expected_json
    # lists are native arrays: DuckDB VARCHAR[], Postgres text[] (information_schema says ARRAY)
    expected_list = "array" if warehouse.kind == "postgres" else "varchar[]"
    for column in ("labels", "assignees", "requested_reviewers", "requested_teams"):
        assert columns["pull_requests"][column] == expected_list

    versions = _rows(warehouse, "SELECT version, name FROM github.schema_migrations ORDER BY version")
    assert versions == [(m.version, m.name) for m in load_migrations(warehouse.kind)]
    assert versions[0] == (1, "initial")


def test_primary_keys_are_enforced(warehouse: Warehouse) -> None:
    insert = "INSERT INTO github.sync_state (repo, status) VALUES (%s, %s)"
    _rows(warehouse, insert, ["a/b", "ok"])
    with pytest.raises(Exception, match="(?i)duplicate|unique|primary key"):
        _rows(warehouse, insert, ["a/b", "ok"])
    with pytest.raises(Exception, match="(?i)check|enum"):  # DuckDB: an ENUM since migration 0003
        _rows(warehouse, insert, ["c/d", "bogus"])


def test_each_dialect_gets_its_own_types() -> None:
    duck, duck_2 = load_migrations("duckdb")[:2]
    pg, pg_2 = load_migrations("postgres")[:2]
    assert "JSONB" in pg.sql and "JSONB" not in duck.sql
    assert "TEXT[]" in pg_2.sql and "VARCHAR[]" in duck_2.sql
    assert not any("$" in m.sql for m in load_migrations("duckdb") + load_migrations("postgres"))
    with pytest.raises(ValueError, match="unknown SQL dialect"):
        load_migrations("sqlite")


def test_concurrent_migrations_from_threads(warehouse_url: str) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with open_warehouse(warehouse_url, lock_timeout_s=30) as wh:
                wh.migrate()
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with open_warehouse(warehouse_url) as wh:
        expected = len(load_migrations(wh.kind))
        assert _rows(wh, "SELECT count(*) FROM github.schema_migrations") == [(expected,)]


MIGRATE_SCRIPT = """
import sys, time
from prsync_dagster.warehouse import open_warehouse
start_at = float(sys.argv[2])
while time.time() < start_at:
    time.sleep(0.001)
with open_warehouse(sys.argv[1], lock_timeout_s=30) as wh:
    wh.migrate()
print("migrated")
"""


@pytest.mark.processes
def test_concurrent_migrations_from_processes(warehouse_url: str) -> None:
    import time

    start_at = str(time.time() + 1.5)  # after the interpreters have started, all at once
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", MIGRATE_SCRIPT, warehouse_url, start_at],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outcomes = [process.communicate(timeout=60) for process in processes]
    for process, (out, err) in zip(processes, outcomes, strict=True):
        assert process.returncode == 0, err
        assert out.strip() == "migrated"
    with open_warehouse(warehouse_url) as wh:
        expected = len(load_migrations(wh.kind))
        assert _rows(wh, "SELECT count(*) FROM github.schema_migrations") == [(expected,)]
        assert wh.counts("a/b") == (0, 0)
