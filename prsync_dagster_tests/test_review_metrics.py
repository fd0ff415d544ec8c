"""Issue 13: the review-metrics data (rich PR columns, review body, timeline table) on both backends.

Storage semantics with hand-built records first, then whole syncs against the simulator: every
strategy fills identical tables equal to GitHub's truth, nested connections that overflow are
followed, text no backend can store is cleaned the same way everywhere, and a warehouse built
with the previous schema upgrades itself and refetches its old rows once.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from github_api_simulator import GitHubSimulator

from prsync_dagster.github.graphql import PAGE_SIZES
from prsync_dagster.github.records import TimelineRecord
from prsync_dagster.sync import UPGRADE_REFETCH_REASON
from prsync_dagster.warehouse import open_warehouse
from prsync_dagster.warehouse.base import Warehouse
from prsync_dagster.warehouse.migrate import BOOTSTRAP_SQL, load_migrations
from prsync_dagster_tests.fault_helpers import DUCKDB_ONLY, across_backends
from prsync_dagster_tests.plugins.warehouse import T0, make_item, make_pr, make_review
from prsync_dagster_tests.sync_helpers import differences, run_sync
from prsync_dagster_tests.test_warehouse_semantics import raw_tables

REPO = "acme/metrics"
STRATEGIES = ["auto", "graphql", "rest"]


def _rows(wh: Warehouse, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with wh._session("inspect") as executor:  # type: ignore[attr-defined]
        return executor.execute(sql, params)


def event(pr_number: int, node_id: str, kind: str = "review_requested", minutes: int = 0, **changes: Any):
    fields: dict[str, Any] = {
        "repo": REPO,
        "repo_id": 4242,
        "pr_number": pr_number,
        "node_id": node_id,
        "event": kind,
        "actor_login": "alice",
        "requested_reviewer": "bob" if kind.startswith("review_request") else None,
        "requested_team": None,
        "created_at": T0 + timedelta(minutes=minutes),
    }
    fields.update(changes)
    return TimelineRecord.model_validate(fields)


def data_tables(wh: Warehouse) -> dict[str, list[tuple[Any, ...]]]:
    """Every row (``synced_at`` included) of the three data tables; sync_state left out."""
    tables = raw_tables(wh)
    tables.pop("sync_state")
    return tables


# -- storage ------------------------------------------------------------------------------------


def test_rich_columns_round_trip_with_native_sorted_arrays(warehouse: Warehouse) -> None:
    rich = make_pr(
        REPO, 1, body="Fixes #3", additions=120, deletions=7, changed_files=4, commits=3, comments=2,
        labels=["zeta", "Alpha", "beta"], assignees=["carol"], requested_reviewers=["dave", "bob"],
        requested_teams=["platform"], merged_by_login=None, merge_commit_sha=None, head_sha="a" * 40,
        base_sha="b" * 40, author_association="MEMBER", is_cross_repository=True,
        ready_for_review_at=T0 + timedelta(hours=3),
    )  # fmt: skip
    bare = make_pr(REPO, 2)  # no labels etc.: empty arrays, never NULL
    review = make_review(REPO, 1, 11, body="LGTM", author_association="COLLABORATOR")
    warehouse.write_batch(REPO, [make_item(rich, [review]), make_item(bare)], T0)

    assert warehouse.pull_requests(REPO) == [rich, bare]
    assert rich.labels == ("Alpha", "beta", "zeta")  # code-point order
    assert warehouse.reviews(REPO) == [review]
    stored = _rows(
        warehouse, "SELECT labels, requested_reviewers, assignees FROM github.pull_requests ORDER BY number"
    )
    assert stored == [(["Alpha", "beta", "zeta"], ["bob", "dave"], ["carol"]), ([], [], [])]
    nulls = _rows(
        warehouse,
        "SELECT count(*) FROM github.pull_requests WHERE labels IS NULL OR assignees IS NULL "
        "OR requested_reviewers IS NULL OR requested_teams IS NULL",
    )
    assert nulls == [(0,)]
    # native arrays: element access works in SQL on both backends (1-based)
    assert _rows(warehouse, "SELECT labels[1] FROM github.pull_requests WHERE number = 1") == [("Alpha",)]


def test_a_changed_prs_timeline_is_replaced_and_others_are_kept(warehouse: Warehouse) -> None:
    pr1, pr2 = make_pr(REPO, 1), make_pr(REPO, 2)
    first = [event(1, "A"), event(1, "B", "review_request_removed", 5)]
    other = [event(2, "X", "ready_for_review", 1, requested_reviewer=None)]
    warehouse.write_batch(
        REPO,
        [
            make_item(pr1).model_copy(update={"timeline": tuple(first)}),
            make_item(pr2).model_copy(update={"timeline": tuple(other)}),
        ],
        T0,
    )
    assert [e.node_id for e in warehouse.timeline(REPO)] == ["A", "B", "X"]
    # PR 1 changed on GitHub: B is gone (GitHub no longer lists it), C is new; PR 2 not in this batch
    changed = [event(1, "A"), event(1, "C", "convert_to_draft", 9, requested_reviewer=None)]
    warehouse.write_batch(REPO, [make_item(pr1).model_copy(update={"timeline": tuple(changed)})], T0)
    assert [e.node_id for e in warehouse.timeline(REPO)] == ["A", "C", "X"]
    assert warehouse.timeline_count(REPO) == 3
    # a PR whose events all disappeared keeps none
    warehouse.write_batch(REPO, [make_item(pr1)], T0)
    assert [e.node_id for e in warehouse.timeline(REPO)] == ["X"]


def test_unchanged_timeline_rows_keep_their_synced_at(warehouse: Warehouse) -> None:
    item = make_item(make_pr(REPO, 1)).model_copy(update={"timeline": (event(1, "A"),)})
    warehouse.write_batch(REPO, [item], T0)
    before = raw_tables(warehouse)
    warehouse.write_batch(REPO, [item], T0 + timedelta(days=1))
    assert raw_tables(warehouse) == before


def test_timeline_event_under_the_wrong_pr_is_refused(warehouse: Warehouse) -> None:
    item = make_item(make_pr(REPO, 1)).model_copy(update={"timeline": (event(2, "A"),)})
    with pytest.raises(ValueError, match="listed under"):
        warehouse.write_batch(REPO, [item], T0)
    assert warehouse.timeline_count(REPO) == 0


def test_unstorable_text_is_stored_cleaned_the_same_on_both_backends(warehouse: Warehouse) -> None:
    """NUL and lone surrogates: Postgres would refuse the batch; both store U+FFFD instead."""
    raw = "bad \x00 text \ud83d end"
    pr = make_pr(REPO, 1, title=raw, body=raw, labels=[raw], requested_teams=["t\x00"])
    review = make_review(REPO, 1, 7, body=raw)
    warehouse.write_batch(REPO, [make_item(pr, [review])], T0)
    (stored,) = warehouse.pull_requests(REPO)
    assert stored.title == stored.body == "bad \ufffd text \ufffd end"
    assert stored.labels == ("bad \ufffd text \ufffd end",) and stored.requested_teams == ("t\ufffd",)
    assert warehouse.reviews(REPO)[0].body == "bad \ufffd text \ufffd end"


# -- syncs against the simulator ------------------------------------------------------------------


def test_every_strategy_fills_identical_tables(simulator: GitHubSimulator, warehouse: Warehouse) -> None:
    """Sync with one strategy, then refetch everything with the others: not a single row changes
    (the upsert leaves identical rows and their synced_at alone), so the tables are identical."""
    repo = simulator.repos()[0]
    touched = _mutate_review_metrics(simulator, repo)
    assert touched
    run_sync(simulator, warehouse, repo, strategy="rest")
    assert differences(simulator, warehouse, repo) == []
    before = data_tables(warehouse)
    assert before["pull_request_timeline"], "the mutations recorded timeline events"
    for strategy in ("graphql", "auto", "rest"):
        report = run_sync(simulator, warehouse, repo, strategy=strategy, full_refresh=True)
        assert report.pull_requests == len(simulator.truth(repo)["pull_requests"])
        assert data_tables(warehouse) == before, strategy


@across_backends({"strategy": STRATEGIES})
def test_overflowing_connections_are_followed(
    simulator: GitHubSimulator, warehouse: Warehouse, strategy: str
) -> None:
    """A PR with 130 timeline events and 105 labels: GraphQL follows both connections past their
    first page of 100; REST pages the timeline."""
    repo = simulator.repos()[1]
    run_sync(simulator, warehouse, repo, strategy=strategy)
    truth = simulator.truth(repo)
    number = next(pr["number"] for pr in truth["pull_requests"] if pr["state"] == "open" and not pr["draft"])
    for index in range(65):
        simulator.request_review(repo, number, reviewer=f"reviewer-{index % 3}")
        simulator.remove_review_request(repo, number, reviewer=f"reviewer-{index % 3}")
    for index in range(105):
        simulator.add_label(repo, number, f"label-{index:03d}")
    report = run_sync(simulator, warehouse, repo, strategy=strategy)
    assert differences(simulator, warehouse, repo) == []
    stored = next(pr for pr in warehouse.pull_requests(repo.lower()) if pr.number == number)
    assert len(stored.labels) >= 105
    assert sum(1 for e in warehouse.timeline(repo.lower()) if e.pr_number == number) >= 130
    if strategy != "rest":
        pages = math.ceil(report.pull_requests / PAGE_SIZES[0])
        # probe + PR pages + 1 more page of labels + 1 more page of timeline items
        assert report.requests == 1 + pages + 2


@across_backends({"strategy": STRATEGIES})
def test_unstorable_text_from_github_never_blocks_a_repository(
    simulator: GitHubSimulator, warehouse: Warehouse, strategy: str
) -> None:
    repo = simulator.repos()[0]
    number = simulator.truth(repo)["pull_requests"][0]["number"]
    simulator.update_pull(repo, number, title="nul \x00 and lone \ud800 surrogate", body="body \x00")
    simulator.add_label(repo, number, "label \x00")
    simulator.add_review(repo, number, state="COMMENTED", author="judy", body="review \udfff")
    run_sync(simulator, warehouse, repo, strategy=strategy)
    assert differences(simulator, warehouse, repo) == []  # truth cleaned by the same documented rule
    stored = next(pr for pr in warehouse.pull_requests(repo.lower()) if pr.number == number)
    assert stored.title == "nul \ufffd and lone \ufffd surrogate" and stored.body == "body \ufffd"
    assert "label \ufffd" in stored.labels
    assert any(review.body == "review \ufffd" for review in warehouse.reviews(repo.lower()))
    state = warehouse.get_state(repo.lower())
    assert state is not None and state.status == "ok"


@across_backends({"strategy": STRATEGIES})
def test_no_change_sync_after_review_metrics_mutations_is_free(
    simulator: GitHubSimulator, warehouse: Warehouse, strategy: str
) -> None:
    repo = simulator.repos()[0]
    run_sync(simulator, warehouse, repo, strategy=strategy)
    _mutate_review_metrics(simulator, repo)
    changed = run_sync(simulator, warehouse, repo, strategy=strategy)
    assert changed.changed and differences(simulator, warehouse, repo) == []
    assert changed.timeline_events >= 4
    if strategy != "rest":
        assert changed.points <= 1 + math.ceil(changed.pull_requests / PAGE_SIZES[0])
    quiet = run_sync(simulator, warehouse, repo, strategy=strategy)
    assert not quiet.changed and quiet.points == 0 and quiet.not_modified == 1
    assert differences(simulator, warehouse, repo) == []


@DUCKDB_ONLY
def test_rest_asks_for_unchanged_reviews_conditionally(
    simulator: GitHubSimulator, warehouse: Warehouse
) -> None:
    """A PR whose title changed but whose reviews did not: its reviews request answers 304 (free)
    and the stored reviews stay; once a review is added, they are read again."""
    repo = simulator.repos()[0]
    run_sync(simulator, warehouse, repo, strategy="rest")
    truth = simulator.truth(repo)
    number = next(
        pr["number"] for pr in truth["pull_requests"]
        if pr["state"] == "open" and any(r["pr_number"] == pr["number"] for r in truth["reviews"])
    )  # fmt: skip
    reviews_before = [r for r in warehouse.reviews(repo.lower()) if r.pr_number == number]
    simulator.update_pull(repo, number, title="retitled, reviews unchanged")
    simulator.reset_stats()
    report = run_sync(simulator, warehouse, repo, strategy="rest")
    assert differences(simulator, warehouse, repo) == []
    reviews_route = [
        statuses
        for route, statuses in simulator.stats()["by_route_status"].items()
        if route.endswith("/reviews")
    ]
    assert reviews_route and sum(s.get("304", s.get(304, 0)) for s in reviews_route) == report.pull_requests
    assert report.points == report.requests - report.not_modified
    assert [r for r in warehouse.reviews(repo.lower()) if r.pr_number == number] == reviews_before

    simulator.add_review(repo, number, state="APPROVED", author="kim")
    # a full refresh re-reads every PR whatever its updated_at (GitHub stamps whole seconds): the
    # changed review list must not be taken for unchanged
    report = run_sync(simulator, warehouse, repo, strategy="rest", full_refresh=True)
    assert differences(simulator, warehouse, repo) == []
    assert any(r.author_login == "kim" for r in warehouse.reviews(repo.lower()) if r.pr_number == number)


def _mutate_review_metrics(sim: GitHubSimulator, repo: str) -> set[int]:
    from prsync_dagster_tests.test_sync_engine import mutate_review_metrics

    return mutate_review_metrics(sim, repo)


# -- upgrade from the previous schema -----------------------------------------------------------


def _build_previous_warehouse(url: str, sim: GitHubSimulator, repo: str) -> datetime:
    """A warehouse as the previous release left it: schema 0001 only, with the rows and sync state
    of a successful sync of ``repo`` (the old columns only). Returns the stored cursor."""
    truth = sim.truth(repo)
    key = repo.lower()
    with open_warehouse(url) as wh, wh._session("build a 0001 warehouse") as executor:  # type: ignore[attr-defined]
        for statement in BOOTSTRAP_SQL:
            executor.execute(statement)
        first = load_migrations(wh.kind)[0]
        assert first.version == 1
        executor.execute(first.sql)
        executor.execute(
            "INSERT INTO github.schema_migrations (version, name, applied_at) VALUES (1, %s, %s)",
            [first.name, T0],
        )
        for pr in truth["pull_requests"]:
            executor.execute(
                "INSERT INTO github.pull_requests (repo, repo_id, number, id, title, state, draft,"
                " merged, author_login, created_at, updated_at, closed_at, merged_at, base_ref, head_ref,"
                " html_url, synced_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [key, truth["repo_id"], pr["number"], pr["id"], pr["title"], pr["state"], pr["draft"],
                 pr["merged"], pr["author_login"], pr["created_at"], pr["updated_at"], pr["closed_at"],
                 pr["merged_at"], pr["base_ref"], pr["head_ref"], pr["html_url"], T0],
            )  # fmt: skip
        for review in truth["reviews"]:
            executor.execute(
                "INSERT INTO github.pull_request_reviews (repo, repo_id, pr_number, id, author_login,"
                " state, submitted_at, commit_id, synced_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [key, truth["repo_id"], review["pr_number"], review["id"], review["author_login"],
                 review["state"], review["submitted_at"], review["commit_id"], T0],
            )  # fmt: skip
        cursor = max(pr["updated_at"] for pr in truth["pull_requests"])
        executor.execute(
            "INSERT INTO github.sync_state (repo, repo_id, full_name, status, cursor, etag, probe_url,"
            " last_attempt_at, last_success_at, strategy, last_report)"
            " VALUES (%s, %s, %s, 'ok', %s, %s, %s, %s, %s, 'auto', %s)",
            [key, truth["repo_id"], truth["full_name"], cursor, 'W/"from-the-old-release"',
             f"/repos/{truth['full_name']}/pulls?per_page=1&sort=updated&direction=desc&state=all",
             T0, T0, json.dumps({"points": 2})],
        )  # fmt: skip
    return cursor


@pytest.mark.parametrize("strategy", ["auto", "rest"])
def test_upgrade_from_the_previous_schema_refetches_old_rows_once(
    simulator: GitHubSimulator, warehouse_url: str, strategy: str
) -> None:
    repo = simulator.repos()[0]
    key = repo.lower()
    # GitHub's side has review-metrics data that the old release never stored
    _mutate_review_metrics(simulator, repo)
    cursor = _build_previous_warehouse(warehouse_url, simulator, repo)
    # the state claims a sync at the newest update: an incremental sync would fetch nothing
    with open_warehouse(warehouse_url) as wh:
        wh.migrate()  # what every asset run, CLI command and demo does first
        versions = _rows(wh, "SELECT version FROM github.schema_migrations ORDER BY version")
        assert versions == [(m.version,) for m in load_migrations(wh.kind)]
        assert (2,) in versions
        state = wh.get_state(key)
        assert state is not None and state.needs_full_refetch and state.cursor == cursor
        old = wh.pull_requests(key)
        assert old and all(pr.labels == () and pr.additions is None for pr in old)
        assert differences(simulator, wh, repo) != []  # old rows lack the new fields

        report = run_sync(simulator, wh, repo, strategy=strategy)
        assert report.refetch_reason == UPGRADE_REFETCH_REASON
        assert report.pull_requests == len(simulator.truth(repo)["pull_requests"])  # everything again
        assert differences(simulator, wh, repo) == []
        after = wh.get_state(key)
        assert after is not None and not after.needs_full_refetch
        assert after.cursor is not None and after.cursor >= cursor  # never backwards
        assert after.last_report["refetch_reason"] == UPGRADE_REFETCH_REASON

        # once: the next sync is the ordinary free no-change probe
        again = run_sync(simulator, wh, repo, strategy=strategy)
        assert not again.changed and again.points == 0 and again.refetch_reason is None
        assert differences(simulator, wh, repo) == []


def test_upgrade_refetch_never_moves_the_cursor_back(simulator: GitHubSimulator, warehouse_url: str) -> None:
    repo = simulator.repos()[1]
    key = repo.lower()
    _build_previous_warehouse(warehouse_url, simulator, repo)
    future = datetime(2030, 1, 1, tzinfo=UTC)
    with open_warehouse(warehouse_url) as wh:
        wh.migrate()
        _rows(wh, "UPDATE github.sync_state SET cursor = %s WHERE repo = %s", [future, key])
        report = run_sync(simulator, wh, repo, strategy="graphql")
        assert report.refetch_reason is not None and report.cursor_after == future
        state = wh.get_state(key)
        assert state is not None and state.cursor == future and not state.needs_full_refetch
        assert differences(simulator, wh, repo) == []


def test_a_failed_upgrade_refetch_keeps_the_flag(simulator: GitHubSimulator, warehouse_url: str) -> None:
    """The flag is cleared only with the refetch's cursor: a refetch that fails is done again."""
    repo = simulator.repos()[0]
    key = repo.lower()
    _build_previous_warehouse(warehouse_url, simulator, repo)
    with open_warehouse(warehouse_url) as wh:
        wh.migrate()
        simulator.revoke_token(simulator.token)
        with pytest.raises(Exception, match="rejected the token"):
            run_sync(simulator, wh, repo, strategy="auto")
        state = wh.get_state(key)
        assert state is not None and state.needs_full_refetch and state.status == "error"


def test_a_repository_first_synced_after_the_upgrade_is_not_flagged(
    simulator: GitHubSimulator, warehouse: Warehouse
) -> None:
    repo = simulator.repos()[2]
    report = run_sync(simulator, warehouse, repo)
    assert report.refetch_reason is None
    state = warehouse.get_state(repo.lower())
    assert state is not None and not state.needs_full_refetch


def test_status_says_a_repository_awaits_its_upgrade_refetch(
    simulator: GitHubSimulator,
    duckdb_url: str,
    tmp_path,
    monkeypatch: pytest.MonkeyPatch,
    seed_dagster_home: Callable[[Path], Path],
) -> None:
    from typer.testing import CliRunner

    from prsync_dagster.cli import app

    repo = simulator.repos()[0]
    _build_previous_warehouse(duckdb_url, simulator, repo)
    # the claim is about the warehouse: the Dagster home holds the empty storage Dagster would create
    home = seed_dagster_home(tmp_path / "dagster_home")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("PRSYNC_WAREHOUSE_URL", duckdb_url)

    def status_row() -> dict[str, Any]:
        result = CliRunner().invoke(app, ["status", "--json"])
        assert result.exit_code == 0, result.output
        (row,) = [row for row in json.loads(result.output) if row["repo"] == repo.lower()]
        return row

    assert status_row()["needs_full_refetch"] is True
    with open_warehouse(duckdb_url) as wh:
        run_sync(simulator, wh, repo)
    row = status_row()
    assert row["needs_full_refetch"] is False  # the mark is gone
    assert row["last_report"]["refetch_reason"] == UPGRADE_REFETCH_REASON  # the last sync says why
