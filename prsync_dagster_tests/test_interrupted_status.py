"""Migration 0003: ``sync_state.status`` gains ``interrupted``; a warehouse at version 1 upgrades with
its states intact, and still refuses values outside the four (issue 9.1)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from prsync_dagster.warehouse import open_warehouse
from prsync_dagster.warehouse.migrate import BOOTSTRAP_SQL, load_migrations

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def test_a_version_1_warehouse_upgrades_with_its_states(warehouse_url: str) -> None:
    with open_warehouse(warehouse_url) as wh:
        kind = wh.kind
        first = load_migrations(kind)[0]
        with wh._session("set up version 1") as executor:  # type: ignore[attr-defined]
            for statement in BOOTSTRAP_SQL:
                executor.execute(statement)
            executor.execute(first.sql)
            executor.execute(
                "INSERT INTO github.schema_migrations (version, name, applied_at) VALUES (1, 'initial', %s)",
                [T0],
            )
            executor.execute(
                "INSERT INTO github.sync_state (repo, status, cursor, last_error) VALUES (%s, %s, %s, %s)",
                ["a/ok", "ok", T0, None],
            )
            executor.execute(
                "INSERT INTO github.sync_state (repo, status, last_error) VALUES (%s, %s, %s)",
                ["b/failed", "error", "boom"],
            )
        wh.migrate()
        states = {state.repo: state for state in wh.list_states()}
        assert (states["a/ok"].status, states["a/ok"].cursor) == ("ok", T0)
        assert (states["b/failed"].status, states["b/failed"].last_error) == ("error", "boom")
        wh.start_attempt("a/ok", T0)
        wh.mark_error("a/ok", "interrupted (KeyboardInterrupt)", T0, status="interrupted")
        interrupted = wh.get_state("a/ok")
        assert interrupted is not None
        assert (interrupted.status, interrupted.cursor) == ("interrupted", T0)
        with pytest.raises(Exception, match="(?i)check|enum"), wh._session("insert") as executor:  # type: ignore[attr-defined]
            executor.execute("INSERT INTO github.sync_state (repo, status) VALUES (%s, %s)", ["c/d", "bogus"])
