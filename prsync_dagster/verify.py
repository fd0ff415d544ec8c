"""Compare a warehouse's copy of a repository with the simulator's ground truth.

One definition of "equal to GitHub" for everything that checks it: the tests, the demo and the
benchmarks. Truth comes from :meth:`GitHubSimulator.truth` (datetimes) or over HTTP from
:meth:`SimulatorControl.truth` (ISO ``Z`` strings); both compare the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from prsync_dagster.warehouse.base import Warehouse

#: Columns compared with the truth (every contract column except ``repo`` and ``synced_at``).
PR_FIELDS = (
    "number", "id", "title", "state", "draft", "merged", "author_login", "created_at", "updated_at",
    "closed_at", "merged_at", "base_ref", "head_ref", "html_url",
)  # fmt: skip
REVIEW_FIELDS = ("pr_number", "id", "author_login", "state", "submitted_at", "commit_id")


@dataclass
class TruthDiff:
    """How one repository's stored rows differ from GitHub's (simulated) truth."""

    repo: str
    true_prs: int = 0
    true_reviews: int = 0
    prs_missing: list[int] = field(default_factory=list)
    prs_extra: list[int] = field(default_factory=list)
    #: PR number -> "field: stored X, truth Y" for every differing field
    prs_stale: dict[int, list[str]] = field(default_factory=dict)
    reviews_missing: list[tuple[int, int]] = field(default_factory=list)  # (review id, PR number)
    reviews_extra: list[int] = field(default_factory=list)
    reviews_stale: dict[int, list[str]] = field(default_factory=dict)

    @property
    def equal(self) -> bool:
        return not self.problems()

    def problems(self) -> list[str]:
        """Every difference as one line (empty when the copy equals the truth)."""
        lines = [f"PR #{number} missing" for number in self.prs_missing]
        lines += [f"PR #{number} stored but not on GitHub" for number in self.prs_extra]
        lines += [f"PR #{number} {what}" for number, whats in self.prs_stale.items() for what in whats]
        lines += [f"review {review_id} of PR #{pr} missing" for review_id, pr in self.reviews_missing]
        lines += [f"review {review_id} stored but not on GitHub" for review_id in self.reviews_extra]
        lines += [f"review {rid} {what}" for rid, whats in self.reviews_stale.items() for what in whats]
        return lines


def compare_with_truth(truth: dict[str, Any], warehouse: Warehouse, repo: str) -> TruthDiff:
    """Compare the stored rows of ``repo`` (any spelling) with ``truth`` for that repository."""
    key = repo.lower()
    diff = TruthDiff(repo=key)
    stored_prs = {pr.number: pr for pr in warehouse.pull_requests(key)}
    true_prs = {pr["number"]: pr for pr in truth["pull_requests"]}
    diff.true_prs = len(true_prs)
    diff.prs_missing = sorted(true_prs.keys() - stored_prs.keys())
    diff.prs_extra = sorted(stored_prs.keys() - true_prs.keys())
    for number in sorted(true_prs.keys() & stored_prs.keys()):
        stale = _differing(stored_prs[number], true_prs[number], PR_FIELDS)
        if stored_prs[number].repo_id != truth["repo_id"]:
            stale.append(f"repo_id: stored {stored_prs[number].repo_id}, truth {truth['repo_id']}")
        if stale:
            diff.prs_stale[number] = stale
    stored_reviews = {review.id: review for review in warehouse.reviews(key)}
    true_reviews = {review["id"]: review for review in truth["reviews"]}
    diff.true_reviews = len(true_reviews)
    diff.reviews_missing = [
        (review_id, true_reviews[review_id]["pr_number"])
        for review_id in sorted(true_reviews.keys() - stored_reviews.keys())
    ]
    diff.reviews_extra = sorted(stored_reviews.keys() - true_reviews.keys())
    for review_id in sorted(true_reviews.keys() & stored_reviews.keys()):
        stale = _differing(stored_reviews[review_id], true_reviews[review_id], REVIEW_FIELDS)
        if stale:
            diff.reviews_stale[review_id] = stale
    return diff


def _differing(stored: Any, true: dict[str, Any], fields: tuple[str, ...]) -> list[str]:
    out = []
    for name in fields:
        ours, theirs = getattr(stored, name), _as_value(true[name])
        if ours != theirs:
            out.append(f"{name}: stored {ours!r}, truth {theirs!r}")
    return out


def _as_value(value: Any) -> Any:
    """Truth read over HTTP carries timestamps as ISO ``Z`` strings."""
    if isinstance(value, str) and value.endswith("Z") and "T" in value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            return value
    return value
