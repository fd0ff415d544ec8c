"""PRSYNC_WAREHOUSE_URL: accepted forms, the default location, and errors that never leak a password."""

from __future__ import annotations

from pathlib import Path

import pytest

from prsync_dagster.errors import ConfigurationError, WarehouseError
from prsync_dagster.settings import warehouse_url_from_env
from prsync_dagster.warehouse import (
    ENV_VAR,
    describe_url,
    open_warehouse,
    parse_warehouse_url,
)
from prsync_dagster.warehouse.duckdb import DuckDBWarehouse
from prsync_dagster.warehouse.postgres import PostgresWarehouse


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("duckdb:///var/data/prsync.duckdb", "/var/data/prsync.duckdb"),
        ("DuckDB:///var/data/prsync.duckdb", "/var/data/prsync.duckdb"),
        ("  duckdb:///var/data/prsync.duckdb\n", "/var/data/prsync.duckdb"),
        ("duckdb:///var/my%20data/x.db", "/var/my data/x.db"),
        ("duckdb:///var/data/../prsync.duckdb", "/var/prsync.duckdb"),
    ],
)
def test_duckdb_urls(url: str, path: str) -> None:
    parsed = parse_warehouse_url(url)
    assert parsed.kind == "duckdb"
    assert parsed.target == path
    assert parsed.display == "duckdb://" + path


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://prsync:s3cret@db.example.com:5433/warehouse",
        "postgres://prsync:s3cret@db.example.com:5433/warehouse",
        "postgresql+psycopg://prsync:s3cret@db.example.com:5433/warehouse",
    ],
)
def test_postgres_urls_are_normalised_for_libpq(url: str) -> None:
    parsed = parse_warehouse_url(url)
    assert parsed.kind == "postgres"
    assert parsed.target == "postgresql://prsync:s3cret@db.example.com:5433/warehouse"
    assert parsed.display == "postgresql://prsync@db.example.com:5433/warehouse"


def test_postgres_url_without_password_port_or_user_and_with_options() -> None:
    assert parse_warehouse_url("postgresql://db/wh").target == "postgresql://db/wh"
    parsed = parse_warehouse_url("postgresql://u@db:5432/wh?sslmode=require&password=hunter2")
    assert parsed.target == "postgresql://u@db:5432/wh?sslmode=require&password=hunter2"
    assert parsed.display == "postgresql://u@db:5432/wh?sslmode=require"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("garbage", "not a URL"),
        ("/var/data/prsync.duckdb", "not a URL"),
        ("sqlite:///var/data/prsync.db", "unknown scheme 'sqlite'"),
        ("mysql://root:hunter2@db/wh", "unknown scheme 'mysql'"),
        ("duckdb://", "no file path"),
        ("duckdb:///", "no file name"),
        ("duckdb:///var/data/", "no file name"),
        ("duckdb://relative/prsync.duckdb", "must be absolute"),
        ("duckdb://./prsync.duckdb", "must be absolute"),
        ("duckdb:///var/x.duckdb?mode=ro", "no query"),
        ("postgresql://", "no host"),
        ("postgresql://user:hunter2@/wh", "no host"),
        ("postgresql://user:hunter2@db:5432", "one database"),
        ("postgresql://user:hunter2@db:5432/", "one database"),
        ("postgresql://user:hunter2@db:5432/a/b", "one database"),
        ("postgresql://user:hunter2@db:port/wh", "port is not a valid number"),
        ("postgresql://user:hunter2@db:99999/wh", "port is not a valid number"),
        ("postgres://user:hun/ter2@db:5432/wh", "port is not a valid number"),
    ],
)
def test_malformed_urls_are_one_line_configuration_errors_without_passwords(url: str, reason: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_warehouse_url(url)
    message = str(caught.value)
    assert reason in message
    assert message.startswith(ENV_VAR)
    assert "duckdb:///ABSOLUTE/PATH.duckdb" in message
    assert "postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE" in message
    assert "\n" not in message
    assert "hunter2" not in message
    assert "ter2" not in message


def test_libpq_keyword_string_is_rejected_without_echoing_the_password() -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_warehouse_url("host=db dbname=wh user=u password=hunter2")
    assert "hunter2" not in str(caught.value)
    assert "not a URL" in str(caught.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:hunter2@db:5432/wh", "postgresql://u@db:5432/wh"),
        ("postgresql://u:hun@ter2@db/wh", "postgresql://u@db/wh"),
        ("postgresql://u:hun/ter2@db/wh", "postgresql://u@db/wh"),
        ("postgresql://u@db/wh?password=hunter2&sslmode=require", "postgresql://u@db/wh?sslmode=require"),
        ("duckdb:///var/data/prsync.duckdb", "duckdb:///var/data/prsync.duckdb"),
        ("u:hunter2@db/wh", "…@db/wh"),
        ("host=db password=hunter2 dbname=wh", "host=db password=*** dbname=wh"),
    ],
)
def test_describe_url_removes_passwords(url: str, shown: str) -> None:
    assert describe_url(url) == shown


def test_default_url_is_under_dagster_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "dagster home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    url = warehouse_url_from_env()
    assert url == "duckdb://" + str(home / "prsync.duckdb")
    assert parse_warehouse_url(url).target == str(home / "prsync.duckdb")


def test_default_url_without_dagster_home_is_absolute_under_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    url = warehouse_url_from_env()
    assert url == "duckdb://" + str(tmp_path / ".prsync" / "prsync.duckdb")


def test_open_warehouse_reads_the_variable_and_falls_back_to_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv(ENV_VAR, "")
    default = open_warehouse()
    assert isinstance(default, DuckDBWarehouse)
    assert default.location == str(tmp_path / "prsync.duckdb")

    monkeypatch.setenv(ENV_VAR, "postgresql://u:hunter2@db.invalid:5432/wh")
    pg = open_warehouse(lock_timeout_s=1)
    assert isinstance(pg, PostgresWarehouse)
    assert pg.kind == "postgres"
    assert pg.location == "postgresql://u@db.invalid:5432/wh"
    assert "hunter2" not in repr(pg)

    explicit = open_warehouse(f"duckdb://{tmp_path}/other.duckdb", lock_timeout_s=3)
    assert isinstance(explicit, DuckDBWarehouse)
    assert explicit.lock_timeout_s == 3

    monkeypatch.setenv(ENV_VAR, "duckdb://relative.duckdb")
    with pytest.raises(ConfigurationError, match=ENV_VAR):
        open_warehouse()


def test_unreachable_postgres_is_a_warehouse_error_without_password() -> None:
    wh = open_warehouse("postgresql://u:hunter2@127.0.0.1:1/wh")
    with pytest.raises(WarehouseError) as caught:
        wh.migrate()
    message = str(caught.value)
    assert "cannot connect to the Postgres warehouse postgresql://u@127.0.0.1:1/wh" in message
    assert "hunter2" not in message


def test_duckdb_path_that_is_not_a_database_file_is_a_warehouse_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a database\n" * 1000)
    for target in (tmp_path, tmp_path / "notes.txt"):
        with pytest.raises(WarehouseError, match="could not migrate the schema in DuckDB file"):
            open_warehouse(f"duckdb://{target}", lock_timeout_s=1).migrate()
