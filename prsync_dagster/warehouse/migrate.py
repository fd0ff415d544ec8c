"""Versioned schema migrations: SQL files in ``migrations/``, applied once, recorded in the database.

A migration is ``NNNN_name.sql``, one text for every dialect in which ``${name}`` placeholders
stand for the types that differ (:data:`DIALECT_TYPES`, e.g. JSON vs JSONB), or
``NNNN_name.<dialect>.sql`` where the statements themselves differ (DuckDB cannot alter a CHECK
constraint). Applied versions are recorded in ``github.schema_migrations``; pending ones run in
version order inside the caller's transaction, so a failing migration leaves nothing behind. Running
the runner again is a no-op. Exclusion between processes is the caller's job: a Postgres advisory
lock, or DuckDB's own one-process-per-file lock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from string import Template
from typing import Any, Protocol

from prsync_dagster.errors import WarehouseError

DIALECTS = ("duckdb", "postgres")

#: What a shared migration's ``${name}`` placeholders become in each dialect.
DIALECT_TYPES: dict[str, dict[str, str]] = {
    "duckdb": {"json": "JSON", "text_array": "VARCHAR[]", "empty_array": "[]"},
    "postgres": {"json": "JSONB", "text_array": "TEXT[]", "empty_array": "'{}'"},
}

_FILE_NAME = re.compile(r"(?P<version>\d{4})_(?P<name>[a-z0-9_]+?)(?:\.(?P<dialect>duckdb|postgres))?\.sql")

BOOTSTRAP_SQL = (
    "CREATE SCHEMA IF NOT EXISTS github",
    """CREATE TABLE IF NOT EXISTS github.schema_migrations (
        version     INTEGER     NOT NULL PRIMARY KEY,
        name        TEXT        NOT NULL,
        applied_at  TIMESTAMPTZ NOT NULL
    )""",
)


class Executor(Protocol):
    """The one thing the runner needs of a connection: run a statement, get its rows back."""

    def execute(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]: ...


@dataclass(frozen=True)
class Migration:
    """One schema version: its number, a name for people, and the SQL for one dialect."""

    version: int
    name: str
    sql: str


def load_migrations(dialect: str) -> list[Migration]:
    """Every migration for ``dialect``, in version order (a dialect-specific file wins over a shared one)."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown SQL dialect {dialect!r}; expected one of {DIALECTS}")
    found: dict[int, tuple[bool, Migration]] = {}
    folder = resources.files("prsync_dagster.warehouse") / "migrations"
    for entry in folder.iterdir():
        match = _FILE_NAME.fullmatch(entry.name)
        if match is None or match["dialect"] not in (None, dialect):
            continue
        version = int(match["version"])
        specific = match["dialect"] is not None
        text = entry.read_text(encoding="utf-8")
        sql = text if specific else Template(text).substitute(DIALECT_TYPES[dialect])
        migration = Migration(version=version, name=match["name"], sql=sql)
        previous = found.get(version)
        if previous is not None and previous[0] == specific:
            raise WarehouseError(f"two migrations share version {version:04d} for {dialect}")
        if previous is None or specific:
            found[version] = (specific, migration)
    return [found[version][1] for version in sorted(found)]


def apply_migrations(executor: Executor, dialect: str) -> None:
    """Create schema ``github`` if needed and apply the migrations not yet recorded there."""
    for statement in BOOTSTRAP_SQL:
        executor.execute(statement)
    done = {int(row[0]) for row in executor.execute("SELECT version FROM github.schema_migrations")}
    for migration in load_migrations(dialect):
        if migration.version in done:
            continue
        executor.execute(migration.sql)
        executor.execute(
            "INSERT INTO github.schema_migrations (version, name, applied_at) VALUES (%s, %s, %s)",
            [migration.version, migration.name, datetime.now(UTC)],
        )
