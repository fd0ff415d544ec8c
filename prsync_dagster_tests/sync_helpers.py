"""Helpers the sync tests share: run the engine against a simulator, compare with its truth."""

from __future__ import annotations

from typing import Any

from prsync_dagster.github.client import ClientSettings, GitHubClient, GitHubCredentials
from prsync_dagster.simulator import GitHubSimulator
from prsync_dagster.sync import ClientFactory, SyncOptions, SyncReport, sync_repository
from prsync_dagster.warehouse.base import Warehouse

#: Fields compared with the simulator's truth (every contract column except repo and synced_at).
PR_FIELDS = (
    "number", "id", "title", "state", "draft", "merged", "author_login", "created_at", "updated_at",
    "closed_at", "merged_at", "base_ref", "head_ref", "html_url",
)  # fmt: skip
REVIEW_FIELDS = ("pr_number", "id", "author_login", "state", "submitted_at", "commit_id")


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
    key = repo.lower()
    truth = sim.truth(repo)
    problems: list[str] = []
    stored_prs = {pr.number: pr for pr in warehouse.pull_requests(key)}
    true_prs = {pr["number"]: pr for pr in truth["pull_requests"]}
    for number in sorted(true_prs.keys() - stored_prs.keys()):
        problems.append(f"PR #{number} missing")
    for number in sorted(stored_prs.keys() - true_prs.keys()):
        problems.append(f"PR #{number} stored but not on GitHub")
    for number in sorted(true_prs.keys() & stored_prs.keys()):
        stored = stored_prs[number]
        for field in PR_FIELDS:
            ours, theirs = getattr(stored, field), true_prs[number][field]
            if ours != theirs:
                problems.append(f"PR #{number} {field}: stored {ours!r}, truth {theirs!r}")
        if stored.repo_id != truth["repo_id"]:
            problems.append(f"PR #{number} repo_id {stored.repo_id} != {truth['repo_id']}")
    stored_reviews = {review.id: review for review in warehouse.reviews(key)}
    true_reviews = {review["id"]: review for review in truth["reviews"]}
    for review_id in sorted(true_reviews.keys() - stored_reviews.keys()):
        problems.append(f"review {review_id} of PR #{true_reviews[review_id]['pr_number']} missing")
    for review_id in sorted(stored_reviews.keys() - true_reviews.keys()):
        problems.append(f"review {review_id} stored but not on GitHub")
    for review_id in sorted(true_reviews.keys() & stored_reviews.keys()):
        for field in REVIEW_FIELDS:
            ours, theirs = getattr(stored_reviews[review_id], field), true_reviews[review_id][field]
            if ours != theirs:
                problems.append(f"review {review_id} {field}: stored {ours!r}, truth {theirs!r}")
    return problems
