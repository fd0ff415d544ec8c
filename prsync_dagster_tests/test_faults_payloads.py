"""Payloads: the nulls GitHub really sends are accepted; a malformed record fails the sync with a
message naming repository, pull request and field, and nothing of its batch is written (point 8)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import requests
from github_api_simulator import GitHubSimulator

from prsync_dagster.errors import MalformedPayloadError
from prsync_dagster.github.graphql import PULL_REQUESTS_QUERY
from prsync_dagster.warehouse.base import Warehouse
from prsync_dagster_tests.fault_helpers import DUCKDB_ONLY, STRATEGIES, across_backends, snapshot
from prsync_dagster_tests.sync_helpers import differences, run_sync

REPO = "Acme/Widgets"


def rest_pulls_page(sim: GitHubSimulator, repo: str) -> list[dict[str, Any]]:
    """Page 1 of the pulls list exactly as the REST strategy asks for it."""
    response = requests.get(
        f"{sim.url}/repos/{repo}/pulls",
        params={"state": "all", "sort": "updated", "direction": "desc", "per_page": "100"},
        headers={"Authorization": f"token {sim.token}"},
        timeout=10,
    )
    response.raise_for_status()
    page: list[dict[str, Any]] = response.json()
    return page


def graphql_pulls_page(sim: GitHubSimulator, repo: str) -> dict[str, Any]:
    """The first answer of the GraphQL strategy, as GitHub gives it."""
    owner, name = repo.split("/")
    response = requests.post(
        f"{sim.url}/graphql",
        json={"query": PULL_REQUESTS_QUERY, "variables": {"owner": owner, "name": name, "first": 100}},
        headers={"Authorization": f"bearer {sim.token}"},
        timeout=10,
    )
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


# -- real-world nulls ---------------------------------------------------------------------------


@across_backends({"strategy": STRATEGIES})
def test_real_world_nulls_are_accepted(
    shared_simulator: GitHubSimulator, warehouse: Warehouse, strategy: str
) -> None:
    items = rest_pulls_page(shared_simulator, REPO)
    assert any(item["user"] is None for item in items), "a PR by a deleted user"
    assert any(item["head"]["repo"] is None for item in items), "a PR from a deleted fork"
    truth = shared_simulator.truth(REPO)
    assert any(r["state"] == "PENDING" and r["submitted_at"] is None for r in truth["reviews"])
    assert any(r["author_login"] is None for r in truth["reviews"]), "a review by a deleted user"

    run_sync(shared_simulator, warehouse, REPO, strategy=strategy)
    assert differences(shared_simulator, warehouse, REPO) == []
    stored = warehouse.pull_requests(REPO.lower())
    assert any(pr.author_login is None for pr in stored)
    assert any(r.state == "PENDING" and r.submitted_at is None for r in warehouse.reviews(REPO.lower()))


# -- malformed records ---------------------------------------------------------------------------


def drop(field: str) -> Any:
    def change(item: dict[str, Any]) -> None:
        del item[field]

    return change


def put(field: str, value: Any) -> Any:
    def change(item: dict[str, Any]) -> None:
        item[field] = value

    return change


REST_DEFECTS = [
    pytest.param(drop("updated_at"), "'pull request.updated_at': missing", id="missing-updated_at"),
    pytest.param(
        put("state", 42), "'pull request.state': Input should be 'open' or 'closed' (got 42)", id="state-42"
    ),
    pytest.param(put("base", None), "'pull request': unexpected shape", id="base-null"),
    pytest.param(put("number", "seven"), "'pull request.number'", id="number-text"),
]


@across_backends(
    {
        "defect,expected": REST_DEFECTS,
        "first_sync": [pytest.param(True, id="first-sync"), pytest.param(False, id="incremental")],
    }
)
def test_malformed_rest_pull_request_fails_the_sync_and_writes_nothing(
    compact_simulator: GitHubSimulator, warehouse: Warehouse, defect: Any, expected: str, first_sync: bool
) -> None:
    if not first_sync:
        run_sync(compact_simulator, warehouse, REPO, strategy="rest")
        compact_simulator.mutate_repo(REPO, seed=7, updated_fraction=0.3)
    before = snapshot(warehouse, REPO)
    page = rest_pulls_page(compact_simulator, REPO)
    bad = copy.deepcopy(page)
    number = bad[5]["number"]
    defect(bad[5])
    compact_simulator.script_responses("GET */pulls", [{"status": 200, "body": bad}])

    with pytest.raises(MalformedPayloadError) as failure:
        run_sync(compact_simulator, warehouse, REPO, strategy="rest")

    message = str(failure.value)
    prefix = f"malformed payload from GitHub for acme/widgets pull request #{number}: field "
    if expected.startswith("'pull request.number'"):
        prefix = "malformed payload from GitHub for acme/widgets pull request #seven: field "
    assert message.startswith(prefix + expected), message
    after = snapshot(warehouse, REPO)
    assert after.data_and_cursor() == before.data_and_cursor()
    assert after.state is not None and after.state.status == "error" and after.state.last_error == message
    # GitHub's next, well-formed answer syncs normally
    run_sync(compact_simulator, warehouse, REPO, strategy="rest")
    assert differences(compact_simulator, warehouse, REPO) == []


@DUCKDB_ONLY
def test_malformed_rest_review_names_the_pull_request(
    compact_simulator: GitHubSimulator, warehouse: Warehouse
) -> None:
    compact_simulator.script_responses(
        "GET */reviews",
        [{"status": 200, "body": [{"id": 1, "user": None, "state": "SHOUTED", "submitted_at": None}]}],
    )
    with pytest.raises(MalformedPayloadError, match=r"acme/widgets pull request #\d+: field 'review.state'"):
        run_sync(compact_simulator, warehouse, REPO, strategy="rest")
    assert warehouse.counts(REPO.lower()) == (0, 0)


GRAPHQL_DEFECTS = [
    pytest.param(
        "isDraft", "maybe", "'pull request.draft': Input should be a valid boolean", id="isDraft-text"
    ),
    pytest.param(
        "updatedAt", "yesterday", "'pull request.updated_at': Input should be a valid datetime", id="date"
    ),
    pytest.param("state", 42, "'pull request.state'", id="state-42"),
    pytest.param("reviews", [], "'reviews': missing from GraphQL data", id="reviews-list"),
]


@across_backends({"field,value,expected": GRAPHQL_DEFECTS, "strategy": ["graphql", "auto"]})
def test_malformed_graphql_node_fails_the_sync_and_writes_nothing(
    compact_simulator: GitHubSimulator,
    warehouse: Warehouse,
    strategy: str,
    field: str,
    value: Any,
    expected: str,
) -> None:
    run_sync(compact_simulator, warehouse, REPO, strategy=strategy)
    compact_simulator.mutate_repo(REPO, seed=8, updated_fraction=0.3)
    before = snapshot(warehouse, REPO)
    body = graphql_pulls_page(compact_simulator, REPO)
    node = body["data"]["repository"]["pullRequests"]["nodes"][3]
    node[field] = value
    compact_simulator.script_responses("POST /graphql", [{"status": 200, "body": body}])

    with pytest.raises(MalformedPayloadError) as failure:
        run_sync(compact_simulator, warehouse, REPO, strategy=strategy)

    message = str(failure.value)
    assert message.startswith(
        f"malformed payload from GitHub for acme/widgets pull request #{node['number']}: field {expected}"
    ), message
    assert snapshot(warehouse, REPO).data_and_cursor() == before.data_and_cursor()
    run_sync(compact_simulator, warehouse, REPO, strategy=strategy)
    assert differences(compact_simulator, warehouse, REPO) == []


def test_malformed_record_in_a_later_batch_keeps_earlier_whole_batches_and_the_cursor(
    simulator: GitHubSimulator, warehouse: Warehouse
) -> None:
    """Batches before the bad record are committed whole (they are correct data); the cursor,
    which moves only with the last batch, does not move, so the next sync refetches them all."""
    run_sync(simulator, warehouse, REPO, strategy="rest")
    simulator.mutate_repo(REPO, seed=9, updated_fraction=0.5)
    before = snapshot(warehouse, REPO)
    bad = copy.deepcopy(rest_pulls_page(simulator, REPO))
    del bad[45]["updated_at"]
    simulator.script_responses("GET */pulls", [{"status": 200, "body": bad}])
    with pytest.raises(MalformedPayloadError, match=f"pull request #{bad[45]['number']}: field"):
        run_sync(simulator, warehouse, REPO, strategy="rest", batch_size=20)
    after = snapshot(warehouse, REPO)
    assert after.data_and_cursor()[2] == before.data_and_cursor()[2]
    old = {pr.number: pr for pr in before.pull_requests}
    changed = [pr for pr in after.pull_requests if old.get(pr.number) != pr]
    assert len(changed) == 40, "two whole batches of 20, nothing of the third"
    run_sync(simulator, warehouse, REPO, strategy="rest")
    assert differences(simulator, warehouse, REPO) == []
