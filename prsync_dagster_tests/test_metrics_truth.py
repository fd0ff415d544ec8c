"""Both metrics tables equal the contract's definitions applied, in Python, to the simulator's truth.

The world is one the product's other tests and the demo never use (scenario ``small`` with seed
99, plus a day of activity added here: bot reviews, self-reviews, PENDING reviews, review
requests withdrawn and renewed, drafts made ready twice). The reference below is written from
``CONTRACT.md`` ("Review-metrics data") alone and reads only ``sim.truth(repo)``: it shares no code
with the product's SQL (issue 10, acceptance: "every row of both metrics tables equals a value
computed independently from the simulator's truth").
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance, materialize
from github_api_simulator import GitHubSimulator

from prsync_dagster.assets import sync_github_repository
from prsync_dagster.metrics.assets import pull_request_metrics, review_metrics_weekly
from prsync_dagster.metrics.sql import pull_request_metrics as stored_metrics
from prsync_dagster.metrics.sql import weekly_metrics
from prsync_dagster.resources import GitHubResource, WarehouseResource
from prsync_dagster.warehouse import open_warehouse

REPO_ROOT = Path(__file__).resolve().parents[1]
SEED = 99

# -- the reference: the contract's definitions over the simulator's truth ------------------------


def _hours(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds() / 3600


def _percentile_cont(values: list[float], fraction: float) -> float | None:
    """SQL's percentile_cont: linear interpolation at position fraction * (n - 1) of the sorted values."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _monday(moment: datetime) -> date:
    day = moment.date()  # truth's datetimes are UTC
    return day - timedelta(days=day.weekday())


def expected_pull_request_metrics(repo: str, truth: dict[str, Any]) -> dict[int, dict[str, Any]]:
    rows = {}
    for pr in truth["pull_requests"]:
        number, author = pr["number"], pr["author_login"]
        qualifying = [
            r
            for r in truth["reviews"]
            if r["pr_number"] == number
            and r["state"] != "PENDING"
            and r["author_login"] != author
            and not (r["author_login"] or "").endswith("[bot]")
        ]
        submitted = [r["submitted_at"] for r in qualifying if r["submitted_at"] is not None]
        approvals = [r for r in qualifying if r["state"] == "APPROVED" and r["submitted_at"] is not None]
        requests = [
            e["created_at"]
            for e in truth["timeline"]
            if e["pr_number"] == number and e["event"] == "review_requested"
        ]
        first_request = min(requests, default=None)
        first_review = min(submitted, default=None)
        first_approval = min((r["submitted_at"] for r in approvals), default=None)
        start = pr["ready_for_review_at"] or pr["created_at"]
        picked_up = min((s for s in submitted if s > first_request), default=None) if first_request else None
        merged_at = pr["merged_at"]
        before_merge = [
            r for r in qualifying if merged_at and r["submitted_at"] and r["submitted_at"] <= merged_at
        ]
        to_first_review = _hours(start, first_review)
        to_approval = _hours(start, first_approval)
        rows[number] = {
            "repo": repo,
            "number": number,
            "author_login": author,
            "created_at": pr["created_at"],
            "ready_for_review_at": pr["ready_for_review_at"],
            "merged_at": merged_at,
            "closed_at": pr["closed_at"],
            "size": pr["additions"] + pr["deletions"],
            "first_review_requested_at": first_request,
            "first_review_at": first_review,
            "first_approval_at": first_approval,
            "hours_to_first_review": None if to_first_review is None else max(0.0, to_first_review),
            "hours_pickup": _hours(first_request, picked_up),
            "hours_to_approval": None if to_approval is None else max(0.0, to_approval),
            "hours_to_merge": _hours(pr["created_at"], merged_at),
            "review_count": len(qualifying),
            "reviewer_count": len({r["author_login"] for r in qualifying if r["author_login"] is not None}),
            "changes_requested_count": sum(1 for r in qualifying if r["state"] == "CHANGES_REQUESTED"),
            "approvals_before_merge": (
                None
                if merged_at is None
                else len(
                    {
                        r["author_login"]
                        for r in before_merge
                        if r["state"] == "APPROVED" and r["author_login"]
                    }
                )
            ),
            "merged_without_review": merged_at is not None and not before_merge,
        }
    return rows


def expected_weekly(per_repo: dict[str, dict[int, dict[str, Any]]]) -> dict[tuple[str, date], dict[str, Any]]:
    weeks: dict[tuple[str, date], dict[str, list[Any]]] = {}
    for repo, rows in per_repo.items():
        for row in rows.values():
            opened = weeks.setdefault((repo, _monday(row["created_at"])), {"opened": [], "merged": []})
            opened["opened"].append(row)
            if row["merged_at"] is not None:
                weeks.setdefault((repo, _monday(row["merged_at"])), {"opened": [], "merged": []})[
                    "merged"
                ].append(row)
    result = {}
    for key, group in weeks.items():
        first_review = [
            r["hours_to_first_review"] for r in group["opened"] if r["hours_to_first_review"] is not None
        ]
        result[key] = {
            "repo": key[0],
            "week": key[1],
            "prs_opened": len(group["opened"]),
            "prs_merged": len(group["merged"]),
            "median_hours_to_first_review": _percentile_cont(first_review, 0.5),
            "p90_hours_to_first_review": _percentile_cont(first_review, 0.9),
            "median_hours_to_merge": _percentile_cont([r["hours_to_merge"] for r in group["merged"]], 0.5),
            "median_size": _percentile_cont([float(r["size"]) for r in group["merged"]], 0.5),
        }
    return result


# -- the world and the comparison ----------------------------------------------------------------


def add_a_days_activity(sim: GitHubSimulator) -> None:
    """What the generated history lacks: bots, self-reviews, drafts flipped twice, renewed requests."""
    for repo in sim.repos():
        truth = sim.truth(repo)
        open_prs = [pr for pr in truth["pull_requests"] if pr["state"] == "open" and pr["author_login"]]
        first, second = open_prs[0], open_prs[1]
        sim.add_review(repo, first["number"], state="APPROVED", author="dependabot[bot]")
        sim.add_review(repo, first["number"], state="COMMENTED", author=first["author_login"])
        sim.add_review(repo, second["number"], state="PENDING", author="pending-person")
        new = sim.open_pull(repo, title="Flip-flop", author="drafter", draft=True)["pull_request"]["number"]
        sim.mark_ready_for_review(repo, new)
        sim.request_review(repo, new, reviewer="reviewer-x")
        sim.convert_to_draft(repo, new)
        sim.remove_review_request(repo, new, reviewer="reviewer-x")
        sim.mark_ready_for_review(repo, new)
        sim.request_review(repo, new, reviewer="reviewer-x")
        teams = sorted({e["requested_team"] for e in truth["timeline"] if e["requested_team"]})
        if teams:  # organisation repositories have teams
            sim.request_review(repo, new, team=teams[0])
        sim.add_review(repo, new, state="CHANGES_REQUESTED", author="reviewer-x")
        sim.add_review(repo, new, state="APPROVED", author="reviewer-y")
        sim.merge_pull(repo, new)


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, float) or isinstance(actual, float):
        return actual is not None and expected is not None and math.isclose(actual, expected, abs_tol=1e-6)
    return bool(actual == expected)


def metric_differences(sim: GitHubSimulator, warehouse_url: str, keys: list[str]) -> list[str]:
    problems: list[str] = []
    per_repo = {key: expected_pull_request_metrics(key, sim.truth(key)) for key in keys}
    with open_warehouse(warehouse_url) as warehouse:
        for key in keys:
            stored = {row["number"]: row for row in stored_metrics(warehouse, key)}
            if set(stored) != set(per_repo[key]):
                problems.append(f"{key}: PR numbers differ: {sorted(set(stored) ^ set(per_repo[key]))}")
            for number, expected in per_repo[key].items():
                row = stored.get(number, {})
                problems += [
                    f"{key}#{number} {column}: stored {row.get(column)!r}, truth {value!r}"
                    for column, value in expected.items()
                    if not _same(row.get(column), value)
                ]
        weekly = {(row["repo"], row["week"]): row for row in weekly_metrics(warehouse)}
    reference = expected_weekly(per_repo)
    if set(weekly) != set(reference):
        problems.append(f"weekly keys differ: {sorted(set(weekly) ^ set(reference))[:10]}")
    for week_key, expected in reference.items():
        row = weekly.get(week_key, {})
        problems += [
            f"weekly {week_key} {column}: stored {row.get(column)!r}, truth {value!r}"
            for column, value in expected.items()
            if not _same(row.get(column), value)
        ]
    return problems


@pytest.fixture
def unseen_world(simulator_factory) -> GitHubSimulator:
    sim = simulator_factory("small", seed=SEED)
    add_a_days_activity(sim)
    return sim


def test_the_reference_sees_every_case(unseen_world: GitHubSimulator) -> None:
    """The world exercises what the definitions distinguish (else the comparison proves little)."""
    truth = [unseen_world.truth(repo) for repo in unseen_world.repos()]
    reviews = [r for t in truth for r in t["reviews"]]
    events = [e for t in truth for e in t["timeline"]]
    assert any(r["author_login"] == "dependabot[bot]" for r in reviews)
    assert {"PENDING", "DISMISSED", "APPROVED", "CHANGES_REQUESTED", "COMMENTED"} <= {
        r["state"] for r in reviews
    }
    assert any(e["requested_team"] for e in events) and any(
        e["event"] == "review_request_removed" for e in events
    )
    assert sum(1 for e in events if e["event"] == "convert_to_draft") >= 3
    rows = [
        row
        for t, repo in zip(truth, unseen_world.repos(), strict=True)
        for row in expected_pull_request_metrics(repo, t).values()
    ]
    assert any(row["merged_without_review"] for row in rows)
    assert any(row["hours_pickup"] is not None for row in rows)
    assert any(row["ready_for_review_at"] is not None and row["first_review_at"] is not None for row in rows)


def test_metrics_equal_the_truth_after_syncing_an_unseen_world(
    unseen_world: GitHubSimulator, warehouse_url: str, instance: DagsterInstance
) -> None:
    keys = [repo.lower() for repo in unseen_world.repos()]
    resources = {
        "github": GitHubResource(token=unseen_world.token, api_url=unseen_world.url),
        "warehouse": WarehouseResource(url=warehouse_url),
    }
    instance.add_dynamic_partitions("repositories", keys)
    for key in keys:
        result = materialize(
            [sync_github_repository, pull_request_metrics],
            partition_key=key,
            instance=instance,
            resources=resources,
        )
        assert result.success
    assert materialize([review_metrics_weekly], instance=instance, resources=resources).success
    assert metric_differences(unseen_world, warehouse_url, keys) == []


@pytest.mark.processes
def test_metrics_equal_the_truth_after_prsync_sync(unseen_world: GitHubSimulator, tmp_path: Path) -> None:
    """The acceptance path: ``prsync sync`` (then ``prsync report``, which refreshes the weekly table)."""
    url = f"duckdb://{tmp_path / 'warehouse.duckdb'}"
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "PRSYNC_"))}
    env.update(
        DAGSTER_HOME=str(home),
        GITHUB_API_URL=unseen_world.url,
        GITHUB_TOKEN=unseen_world.token,
        PRSYNC_WAREHOUSE_URL=url,
    )
    keys = [repo.lower() for repo in unseen_world.repos()]
    for args in (["sync", *keys], ["report", "--out", str(tmp_path / "report.html")]):
        done = subprocess.run(
            [sys.executable, "-m", "prsync_dagster.cli", *args],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-2000:]
    assert metric_differences(unseen_world, url, keys) == []
