"""Dagster resources: GitHub access and the warehouse. The only place that reads secrets.

Secrets reach these resources as Dagster ``EnvVar``s (see :func:`github_from_env`), so they are
resolved in the run process and never shown in the UI or in run config.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from dagster import ConfigurableResource, EnvVar
from pydantic import Field

from prsync_dagster.github.client import (
    DEFAULT_API_URL,
    ClientSettings,
    GitHubClient,
    GitHubCredentials,
    validate_api_url,
)
from prsync_dagster.secrets import register_secret
from prsync_dagster.sync import ClientFactory, Strategy, parse_strategy
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

    def sync_strategy(self) -> Strategy:
        return parse_strategy(self.strategy or os.environ.get("PRSYNC_GITHUB_STRATEGY") or "auto")

    def base_url(self) -> str:
        return validate_api_url(self.api_url or os.environ.get("GITHUB_API_URL") or DEFAULT_API_URL)

    def client_factory(self) -> ClientFactory:
        """A factory of per-sync clients; validates settings first so errors come early and clear."""
        credentials = GitHubCredentials(
            token=self.token or None, app_id=self.app_id or None, app_private_key=self.app_private_key or None
        )
        for secret in (self.token, self.app_private_key):
            register_secret(secret)
        settings = ClientSettings(
            api_url=self.base_url(),
            max_rate_limit_wait_s=self.max_rate_limit_wait_s,
            secondary_rate_wait_s=self.secondary_rate_wait_s,
            max_retries=self.max_retries,
        )
        return lambda owner: GitHubClient(credentials, settings, owner)


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
        warehouse = open_warehouse(self.url or None, lock_timeout_s=self.lock_timeout_s)
        try:
            warehouse.migrate()
            yield warehouse
        finally:
            warehouse.close()


def github_from_env() -> GitHubResource:
    """The GitHub resource as configured by environment variables (documented in the README).

    A GitHub App is used when ``GITHUB_APP_ID`` is set, a token otherwise. Secrets are ``EnvVar``s,
    resolved when a run starts; the non-secret settings (API URL, strategy) are read then too.
    """

    def env(name: str) -> EnvVar | None:
        return EnvVar(name) if os.environ.get(name) else None

    app = bool(os.environ.get("GITHUB_APP_ID"))
    return GitHubResource(
        token=None if app else EnvVar("GITHUB_TOKEN"),
        app_id=env("GITHUB_APP_ID"),
        app_private_key=EnvVar("GITHUB_APP_PRIVATE_KEY") if app else None,
    )


def warehouse_from_env() -> WarehouseResource:
    if os.environ.get("PRSYNC_WAREHOUSE_URL"):
        return WarehouseResource(url=EnvVar("PRSYNC_WAREHOUSE_URL"))
    return WarehouseResource()
