"""Dagster resources: GitHub access and the warehouse. The only place that reads secrets.

Secrets reach these resources only as Dagster ``EnvVar``s, resolved in the run process when a run
starts (never at import, never shown in the UI or run config). Whether a GitHub App or a token is
used is decided then too, from :class:`prsync_dagster.settings.Settings`: the environment a run
sees, not the one the code location was imported in.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dagster import ConfigurableResource, EnvVar
from pydantic import Field

from prsync_dagster.github.client import ClientSettings, GitHubClient, GitHubCredentials
from prsync_dagster.secrets import register_secret
from prsync_dagster.settings import (
    Settings,
    Strategy,
    parse_strategy,
    validate_api_url,
    warehouse_url_from_env,
)
from prsync_dagster.sync import ClientFactory
from prsync_dagster.warehouse import open_warehouse
from prsync_dagster.warehouse.base import Warehouse


class GitHubResource(ConfigurableResource):
    """How to reach GitHub (token or GitHub App) and which fetch strategy to use."""

    token: str | None = Field(default=None, description="GITHUB_TOKEN: a PAT or installation token.")
    app_id: str | None = Field(default=None, description="GITHUB_APP_ID, for GitHub App authentication.")
    app_private_key: str | None = Field(
        default=None, description="GITHUB_APP_PRIVATE_KEY: the App's PEM private key (contents)."
    )
    api_url: str | None = Field(
        default=None, description="REST base URL; unset: $GITHUB_API_URL, else https://api.github.com."
    )
    strategy: str | None = Field(
        default=None, description="auto, graphql or rest; unset: $PRSYNC_GITHUB_STRATEGY, else auto."
    )
    max_rate_limit_wait_s: float = Field(
        default=300.0,
        description="Longest wait for a rate-limit reset inside one attempt; beyond it the attempt "
        "is rescheduled after the reset.",
    )
    secondary_rate_wait_s: float = Field(
        default=60.0, description="Minimum wait on a secondary rate limit without Retry-After."
    )
    max_retries: int = Field(default=8, description="HTTP retries per request (5xx, 429, rate limits).")
    connect_retry_s: float = Field(
        default=30.0,
        description="Total time spent repeating a request that could not connect to GitHub (refused, "
        "DNS); then the sync fails at once naming the URL and the cause.",
    )

    def sync_strategy(self, settings: Settings) -> Strategy:
        """The configured strategy, else ``PRSYNC_GITHUB_STRATEGY`` (as read into ``settings``)."""
        return parse_strategy(self.strategy) if self.strategy else settings.strategy

    def credentials(self, settings: Settings | None = None) -> GitHubCredentials:
        """The configured credentials; when none are configured, the environment's, read through
        ``EnvVar`` now (a GitHub App when ``GITHUB_APP_ID`` is set, else ``GITHUB_TOKEN``).

        Raises :class:`ConfigurationError` naming the variable when nothing usable is set.
        """
        token, app_id, app_key = self.token or None, self.app_id or None, self.app_private_key or None
        if not (token or app_id or app_key):
            if (settings or Settings.from_env()).github_app:
                app_id = EnvVar("GITHUB_APP_ID").get_value() or None
                app_key = EnvVar("GITHUB_APP_PRIVATE_KEY").get_value() or None
            else:
                token = EnvVar("GITHUB_TOKEN").get_value() or None
        for secret in (token, app_key):
            register_secret(secret)
        return GitHubCredentials(token=token, app_id=app_id, app_private_key=app_key)

    def client_factory(self, settings: Settings | None = None) -> ClientFactory:
        """A factory of per-sync clients; validates settings first so errors come early and clear."""
        settings = settings or Settings.from_env()
        credentials = self.credentials(settings)
        client_settings = ClientSettings(
            api_url=validate_api_url(self.api_url) if self.api_url else settings.github_api_url,
            max_rate_limit_wait_s=self.max_rate_limit_wait_s,
            secondary_rate_wait_s=self.secondary_rate_wait_s,
            max_retries=self.max_retries,
            connect_retry_s=self.connect_retry_s,
        )
        return lambda owner: GitHubClient(credentials, client_settings, owner)


class WarehouseResource(ConfigurableResource):
    """Where rows land: ``PRSYNC_WAREHOUSE_URL`` (DuckDB file by default, or Postgres)."""

    url: str | None = Field(
        default=None,
        description="PRSYNC_WAREHOUSE_URL: duckdb:///ABSOLUTE/PATH.duckdb or postgresql://USER@HOST:PORT/DB. "
        "Default: $DAGSTER_HOME/prsync.duckdb.",
    )
    lock_timeout_s: float = Field(
        default=120.0, description="How long to wait for another process's DuckDB write lock."
    )

    @contextmanager
    def open(self) -> Iterator[Warehouse]:
        """An opened, migrated warehouse, closed on exit."""
        url = self.url or warehouse_url_from_env()  # read now, in the run, not at import
        with open_warehouse(url, lock_timeout_s=self.lock_timeout_s) as warehouse:
            warehouse.migrate()
            yield warehouse


def github_from_env() -> GitHubResource:
    """The GitHub resource as the README configures it: everything from the environment of the run.

    Reads nothing now: credentials (``EnvVar``), API URL and strategy (:class:`Settings`) are read
    when a run starts, so a code location imported before the environment was set still works.
    """
    return GitHubResource()


def warehouse_from_env() -> WarehouseResource:
    """The warehouse resource: ``PRSYNC_WAREHOUSE_URL`` (or the default), read when a run opens it."""
    return WarehouseResource()
