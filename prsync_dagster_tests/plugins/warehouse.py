"""Warehouse fixtures: a DuckDB file, a fresh Postgres database, and both behind one parameter.

Postgres tests need the real server at ``PRSYNC_TEST_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``). A test session (several may run at once on one
server) creates one database of its own and drops it at the end; before each test the database is
emptied: other connections to it are ended and every schema is dropped (``github``, Dagster's
tables in ``public``), so each test starts from an empty database as if it were new, because the
schema name ``github`` is fixed. Emptying takes milliseconds where ``CREATE DATABASE`` took about a
second per test on a busy 2-core machine (it copies and fsyncs a template). The database is
created with ``synchronous_commit = off``: commits do not wait for the disk.
An unreachable server skips those tests, except under ``CI=true`` where it fails them: CI must not
go green by silently testing only DuckDB.

Also here: small record factories the warehouse tests share.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from prsync_dagster.github.records import PullRequestRecord, PullRequestWithReviews, ReviewRecord
from prsync_dagster.warehouse import describe_url, open_warehouse
from prsync_dagster.warehouse.base import Warehouse

DEFAULT_TEST_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def postgres_server_url() -> str:
    """The server the Postgres tests use (its database part is replaced per test)."""
    return os.environ.get("PRSYNC_TEST_POSTGRES_URL", "").strip() or DEFAULT_TEST_POSTGRES_URL


def with_database(url: str, database: str) -> str:
    """``url`` pointing at another database of the same server."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, ""))


def _admin_connect(url: str) -> psycopg.Connection:
    return psycopg.connect(with_database(url, "postgres"), autocommit=True, connect_timeout=5)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The reachable test server's URL; skips (or fails under ``CI=true``) when it is not reachable."""
    url = postgres_server_url()
    try:
        with _admin_connect(url):
            pass
    except psycopg.Error as exc:
        reason = (
            f"Postgres test server {describe_url(url)} is not reachable: {str(exc).strip().splitlines()[0]}"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + " (CI=true: Postgres tests must run)")
        pytest.skip(reason + " (set PRSYNC_TEST_POSTGRES_URL)")
    return url


@pytest.fixture(scope="session")
def postgres_database(postgres_server: str) -> Iterator[str]:
    """URL of this session's own database on the test server, dropped at the end of the session."""
    name = f"prsync_test_{uuid.uuid4().hex[:12]}"
    with _admin_connect(postgres_server) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        # Commits return without waiting for the WAL to reach the disk (every test's migrations and
        # syncs commit often; an fsync costs ~6 ms here). What a commit makes visible is unchanged;
        # only a crash of the server itself could lose the last commits, and no test crashes it.
        admin.execute(sql.SQL("ALTER DATABASE {} SET synchronous_commit = off").format(sql.Identifier(name)))
    try:
        yield with_database(postgres_server, name)
    finally:
        with _admin_connect(postgres_server) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def empty_database(url: str) -> None:
    """End every other connection to ``url``'s database and drop all its schemas (``public`` is
    created again, empty), leaving what a freshly created database has."""
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as connection:
        connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        schemas = [
            row[0]
            for row in connection.execute(
                "SELECT nspname FROM pg_namespace"
                " WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'"
            ).fetchall()
        ]
        for schema in schemas:
            connection.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
        connection.execute("CREATE SCHEMA public")


@pytest.fixture
def postgres_url(postgres_database: str) -> str:
    """URL of an empty database on the test server (the session's database, emptied for this test)."""
    empty_database(postgres_database)
    return postgres_database


@pytest.fixture
def duckdb_url(tmp_path) -> str:
    """URL of a DuckDB file (not yet created) in the test's temporary directory."""
    return f"duckdb://{tmp_path / 'prsync.duckdb'}"


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse_url(request: pytest.FixtureRequest) -> str:
    """Each backend in turn: a DuckDB file URL, then a fresh Postgres database URL."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def warehouse(warehouse_url: str) -> Iterator[Warehouse]:
    """An opened, migrated warehouse of each backend, closed after the test."""
    wh = open_warehouse(warehouse_url, lock_timeout_s=20)
    wh.migrate()
    try:
        yield wh
    finally:
        wh.close()


# -- record factories ---------------------------------------------------------------------------


def make_pr(repo: str, number: int, **changes: object) -> PullRequestRecord:
    """A valid pull request; ``changes`` override any field."""
    fields: dict[str, object] = {
        "repo": repo,
        "repo_id": 4242,
        "number": number,
        "id": 10_000_000 + number,
        "title": f"Change number {number}",
        "state": "open",
        "draft": False,
        "merged": False,
        "author_login": f"user{number % 7}",
        "created_at": T0 + timedelta(hours=number),
        "updated_at": T0 + timedelta(hours=number, minutes=30),
        "closed_at": None,
        "merged_at": None,
        "base_ref": "main",
        "head_ref": f"feature/{number}",
        "html_url": f"https://github.com/{repo}/pull/{number}",
    }
    fields.update(changes)
    return PullRequestRecord.model_validate(fields)


def make_review(repo: str, pr_number: int, review_id: int, **changes: object) -> ReviewRecord:
    """A valid review of ``pr_number``; ``changes`` override any field."""
    fields: dict[str, object] = {
        "repo": repo,
        "repo_id": 4242,
        "pr_number": pr_number,
        "id": review_id,
        "author_login": f"reviewer{review_id % 5}",
        "state": "APPROVED",
        "submitted_at": T0 + timedelta(hours=pr_number, minutes=review_id % 60),
        "commit_id": f"{review_id:040x}",
    }
    fields.update(changes)
    return ReviewRecord.model_validate(fields)


def make_item(
    pr: PullRequestRecord, reviews: list[ReviewRecord] | tuple[ReviewRecord, ...] = ()
) -> PullRequestWithReviews:
    """A batch entry: a pull request with its complete review list."""
    return PullRequestWithReviews(pull_request=pr, reviews=tuple(reviews))


def make_batch(
    repo: str, count: int, reviews_per_pr: int = 3, *, first: int = 1, **pr_changes: object
) -> list[PullRequestWithReviews]:
    """``count`` PRs numbered from ``first``, each with ``reviews_per_pr`` reviews with unique ids."""
    batch = []
    for number in range(first, first + count):
        reviews = [
            make_review(repo, number, number * 1000 + index, state="COMMENTED" if index % 2 else "APPROVED")
            for index in range(reviews_per_pr)
        ]
        batch.append(make_item(make_pr(repo, number, **pr_changes), reviews))
    return batch
