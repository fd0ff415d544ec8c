"""Postgres backend (psycopg 3): for teams that share one warehouse between many writers.

Each operation opens its own connection and runs one explicit transaction. That costs a few
milliseconds against a sync's many HTTP requests and buys robustness: nothing is shared between
threads or forked processes, and there is no stale connection to notice after a server restart.
Concurrent migrations are serialised with a transaction-scoped advisory lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.conninfo import conninfo_to_dict

from prsync_dagster.errors import WarehouseError
from prsync_dagster.warehouse.migrate import Executor
from prsync_dagster.warehouse.sql import SqlWarehouse

#: Advisory lock key held while migrating (any constant; this one spells "prsync" in ASCII).
MIGRATION_LOCK_KEY = 0x707273796E63

_CONNECT_TIMEOUT_S = 10


class _PostgresExecutor:
    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self._connection = connection

    def execute(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        # Without parameters psycopg may send several statements at once (migration files).
        cursor = self._connection.execute(sql, params if params else None)
        return cursor.fetchall() if cursor.description is not None else []


class PostgresWarehouse(SqlWarehouse):
    """The warehouse in a Postgres database (schema ``github``)."""

    kind = "postgres"
    list_from_json = (
        "ARRAY(SELECT item FROM jsonb_array_elements_text(CAST({} AS jsonb))"
        " WITH ORDINALITY AS list(item, i) ORDER BY i)"
    )

    def __init__(self, conninfo: str, *, display: str) -> None:
        self._conninfo = conninfo
        self.location = display

    def _connect(self, what: str) -> psycopg.Connection[Any]:
        params: dict[str, Any] = conninfo_to_dict(self._conninfo)
        params.setdefault("application_name", "prsync")
        params.setdefault("connect_timeout", _CONNECT_TIMEOUT_S)
        try:
            return psycopg.connect(**params, autocommit=True)
        except psycopg.Error as exc:
            raise WarehouseError(
                f"could not {what}: cannot connect to the Postgres warehouse {self.location}: "
                + _first_line(exc)
            ) from exc

    @contextmanager
    def _session(self, what: str) -> Iterator[_PostgresExecutor]:
        connection = self._connect(what)
        try:
            with connection.transaction():
                yield _PostgresExecutor(connection)
        except psycopg.Error as exc:
            hint = ""
            if isinstance(exc, pg_errors.UndefinedTable | pg_errors.InvalidSchemaName):
                hint = " (is the schema missing? run Warehouse.migrate() first)"
            raise WarehouseError(
                f"could not {what} in the Postgres warehouse {self.location}: {_first_line(exc)}{hint}"
            ) from exc
        finally:
            connection.close()

    def _before_migrate(self, executor: Executor) -> None:
        # Without it, two processes creating the schema at once fail on pg_namespace's unique index.
        executor.execute("SELECT pg_advisory_xact_lock(%s)", [MIGRATION_LOCK_KEY])


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
