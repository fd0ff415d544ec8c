"""Helpers the sync tests share: run the engine against a simulator, compare with its truth."""

from __future__ import annotations

from typing import Any

from github_api_simulator import GitHubSimulator

from prsync_dagster.github.client import ClientSettings, GitHubClient, GitHubCredentials
from prsync_dagster.sync import ClientFactory, SyncOptions, SyncReport, sync_repository
from prsync_dagster.verify import compare_with_truth
from prsync_dagster.warehouse.base import Warehouse


def client_factory(sim: GitHubSimulator, token: str | None = None, **settings: Any) -> ClientFactory:
    credentials = GitHubCredentials(token=token or sim.token)
    options = ClientSettings(api_url=sim.url, backoff_factor=0.05, **settings)
    return lambda owner: GitHubClient(credentials, options, owner)


def run_sync(
    sim: GitHubSimulator, warehouse: Warehouse, repo: str, token: str | None = None, **options: Any
) -> SyncReport:
    return sync_repository(repo, client_factory(sim, token), warehouse, SyncOptions(**options))


def differences(sim: GitHubSimulator, warehouse: Warehouse, repo: str) -> list[str]:
    """Every way the warehouse copy of ``repo`` differs from the simulator's truth (empty: equal)."""
    return compare_with_truth(sim.truth(repo), warehouse, repo).problems()
