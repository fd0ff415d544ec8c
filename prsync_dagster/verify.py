"""Compare a warehouse's copy of a repository with the simulator's ground truth.

One definition of "equal to GitHub" for everything that checks it: the tests, the demo and the
benchmarks. Truth comes from :meth:`GitHubSimulator.truth` (datetimes) or over HTTP from
:meth:`SimulatorControl.truth` (ISO ``Z`` strings); both compare the same. Its shape is in
``simulator/README.md`` ("Ground truth"): PR rows, review rows and the ``timeline`` rows of the
four event kinds ``github.pull_request_timeline`` keeps.

Truth text is GitHub's raw text; the warehouse stores it cleaned of what no backend can hold
(:func:`prsync_dagster.github.records.clean_text`), so the comparison applies the same rule to the
truth side: that is the product's documented behaviour, not a tolerance.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel

from prsync_dagster.github.records import PullRequestRecord, ReviewRecord, TimelineRecord, clean_text
from prsync_dagster.warehouse.base import Warehouse

Key = TypeVar("Key", int, str)


def _compared(record: type[BaseModel]) -> tuple[str, ...]:
    """Columns compared row by row with the truth: every contract column (the record's fields)
    except ``repo`` and ``synced_at``, and ``repo_id``, checked against the truth's one value."""
    return tuple(name for name in record.model_fields if name not in ("repo", "repo_id"))


PR_FIELDS = _compared(PullRequestRecord)
REVIEW_FIELDS = _compared(ReviewRecord)
TIMELINE_FIELDS = _compared(TimelineRecord)


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
    true_timeline: int = 0
    timeline_missing: list[tuple[str, int]] = field(default_factory=list)  # (node id, PR number)
    timeline_extra: list[str] = field(default_factory=list)
    timeline_stale: dict[str, list[str]] = field(default_factory=dict)

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
        lines += [f"timeline event {node} of PR #{pr} missing" for node, pr in self.timeline_missing]
        lines += [f"timeline event {node} stored but not on GitHub" for node in self.timeline_extra]
        lines += [f"timeline event {n} {what}" for n, whats in self.timeline_stale.items() for what in whats]
        return lines


def compare_with_truth(truth: dict[str, Any], warehouse: Warehouse, repo: str) -> TruthDiff:
    """Compare the stored rows of ``repo`` (any spelling) with ``truth`` for that repository."""
    key = repo.lower()
    diff = TruthDiff(repo=key)
    stored_prs = {pr.number: pr for pr in warehouse.pull_requests(key)}
    true_prs = {pr["number"]: pr for pr in truth["pull_requests"]}
    diff.true_prs = len(true_prs)
    diff.prs_missing, diff.prs_extra, diff.prs_stale = _compare(stored_prs, true_prs, PR_FIELDS)
    for number in sorted(true_prs.keys() & stored_prs.keys()):
        if stored_prs[number].repo_id != truth["repo_id"]:
            stale = f"repo_id: stored {stored_prs[number].repo_id}, truth {truth['repo_id']}"
            diff.prs_stale.setdefault(number, []).append(stale)
    stored_reviews = {review.id: review for review in warehouse.reviews(key)}
    true_reviews = {review["id"]: review for review in truth["reviews"]}
    diff.true_reviews = len(true_reviews)
    missing, diff.reviews_extra, diff.reviews_stale = _compare(stored_reviews, true_reviews, REVIEW_FIELDS)
    diff.reviews_missing = [(review_id, true_reviews[review_id]["pr_number"]) for review_id in missing]
    stored_events = {event.node_id: event for event in warehouse.timeline(key)}
    true_events = {event["node_id"]: event for event in truth["timeline"]}
    diff.true_timeline = len(true_events)
    missing_events, diff.timeline_extra, diff.timeline_stale = _compare(
        stored_events, true_events, TIMELINE_FIELDS
    )
    diff.timeline_missing = [(node_id, true_events[node_id]["pr_number"]) for node_id in missing_events]
    return diff


def _compare(
    stored: dict[Key, Any], true: dict[Key, dict[str, Any]], fields: tuple[str, ...]
) -> tuple[list[Key], list[Key], dict[Key, list[str]]]:
    """(missing keys, extra keys, key -> differing fields) of one table, keys sorted."""
    stale = {
        key: found
        for key in sorted(true.keys() & stored.keys())
        if (found := _differing(stored[key], true[key], fields))
    }
    return sorted(true.keys() - stored.keys()), sorted(stored.keys() - true.keys()), stale


def _differing(stored: Any, true: dict[str, Any], fields: tuple[str, ...]) -> list[str]:
    pairs = ((name, getattr(stored, name), _as_value(true[name])) for name in fields)
    return [f"{name}: stored {ours!r}, truth {theirs!r}" for name, ours, theirs in pairs if ours != theirs]


def _as_value(value: Any) -> Any:
    """A truth value as the warehouse stores it: timestamps (ISO ``Z`` strings over HTTP) as
    datetimes, lists as sorted tuples, text cleaned like every stored text."""
    if isinstance(value, list | tuple):
        return tuple(sorted(_as_value(item) for item in value))
    if isinstance(value, str) and value.endswith("Z") and "T" in value:
        with suppress(ValueError):
            return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    return clean_text(value) if isinstance(value, str) else value
