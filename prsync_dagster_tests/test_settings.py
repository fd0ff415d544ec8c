"""Settings are read once, into a typed object, when asked (never at import)."""

from __future__ import annotations

import pytest

from prsync_dagster.errors import ConfigurationError
from prsync_dagster.resources import GitHubResource, WarehouseResource, github_from_env, warehouse_from_env
from prsync_dagster.settings import DEFAULT_API_URL, Settings


def test_defaults_follow_the_contract(tmp_path) -> None:
    settings = Settings.from_env({"DAGSTER_HOME": str(tmp_path)})
    assert settings.github_api_url == DEFAULT_API_URL
    assert settings.strategy == "auto"
    assert settings.warehouse_url == f"duckdb://{tmp_path.as_posix()}/prsync.duckdb"
    assert not settings.github_app and not settings.token_set


def test_values_are_validated_with_one_line_reasons() -> None:
    env = {"GITHUB_API_URL": "https://ghe.example/api/v3/", "PRSYNC_GITHUB_STRATEGY": " REST "}
    settings = Settings.from_env(env)
    assert settings.github_api_url == "https://ghe.example/api/v3"
    assert settings.strategy == "rest"
    with pytest.raises(ConfigurationError, match="PRSYNC_GITHUB_STRATEGY must be one of auto, graphql, rest"):
        Settings.from_env({"PRSYNC_GITHUB_STRATEGY": "soap"})
    with pytest.raises(ConfigurationError, match="GITHUB_API_URL must be an http"):
        Settings.from_env({"GITHUB_API_URL": "api.github.com"})


def test_prsync_repos_accepts_pasted_urls_and_reports_invalid_entries() -> None:
    settings = Settings.from_env(
        {
            "PRSYNC_REPOS": "https://github.com/Acme/Widgets, git@github.com:jdoe_acme/tool.git,"
            " acme/widgets ,, a/b/c"
        }
    )
    keys, problems = settings.tracked_repos()
    assert keys == ["acme/widgets", "jdoe_acme/tool"]
    assert len(problems) == 1 and problems[0].startswith("PRSYNC_REPOS: invalid repository 'a/b/c'")


def test_password_of_the_warehouse_url_is_not_in_the_repr() -> None:
    settings = Settings.from_env({"PRSYNC_WAREHOUSE_URL": "postgresql://u:hunter2secret@db/x"})
    assert settings.warehouse_url == "postgresql://u:hunter2secret@db/x"
    assert "hunter2secret" not in repr(settings)


def test_credentials_and_warehouse_are_read_when_a_run_starts_not_at_import(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    """The resources the definitions hold were built at import; the environment set later wins."""
    monkeypatch.delenv("GITHUB_APP_ID", raising=False)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("PRSYNC_WAREHOUSE_URL", raising=False)
    github, warehouse = github_from_env(), warehouse_from_env()
    with pytest.raises(ConfigurationError, match="no GitHub credentials: set GITHUB_TOKEN"):
        github.credentials()
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_settings_test_token_000000000000")
    assert github.credentials().token == "ghp_settings_test_token_000000000000"
    monkeypatch.setenv("GITHUB_APP_ID", "42")
    monkeypatch.setenv("GITHUB_APP_PRIVATE_KEY", "-----BEGIN KEY-----")
    app = github.credentials()
    assert (app.token, app.app_id) == (None, "42")
    monkeypatch.setenv("PRSYNC_WAREHOUSE_URL", f"duckdb://{tmp_path.as_posix()}/late.duckdb")
    with warehouse.open() as store:
        assert store.location == str(tmp_path / "late.duckdb")
    # explicit resource config still wins over the environment
    assert GitHubResource(token="ghp_explicit_token_0000000000000000000").credentials().app_id is None
    assert WarehouseResource(url=f"duckdb://{tmp_path.as_posix()}/x.duckdb").url is not None


def test_the_asset_kinds_do_not_depend_on_the_environment() -> None:
    from prsync_dagster.assets import sync_github_repository

    kinds = {tag for spec in sync_github_repository.specs for tag in spec.kinds}
    assert kinds == {"github", "sql"}
