"""What the sync engine relies on, on both backends: nothing lost, nothing duplicated, cursor safe."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from prsync_dagster.errors import WarehouseError
from prsync_dagster.github.records import PullRequestWithReviews, ReviewRecord
from prsync_dagster.warehouse import open_warehouse
from prsync_dagster.warehouse.base import SyncCommit, SyncState, Warehouse
from prsync_dagster_tests.plugins.warehouse import T0, make_batch, make_item, make_pr, make_review

REPO = "octo/widgets"


def commit_for(repo: str, cursor: datetime | None, **changes: Any) -> SyncCommit:
    fields: dict[str, Any] = {
        "repo": repo,
        "repo_id": 4242,
        "full_name": repo.title(),
        "cursor": cursor,
        "etag": 'W/"abc"',
        "probe_url": f"https://api.github.com/repos/{repo}/pulls?state=all&sort=updated",
        "success_at": T0 + timedelta(days=30),
        "strategy": "rest",
        "report": {"pull_requests": 3, "requests": 7},
    }
    fields.update(changes)
    return SyncCommit(**fields)


def raw_tables(wh: Warehouse) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (synced_at included), in a stable order."""
    queries = {
        "pull_requests": "SELECT * FROM github.pull_requests ORDER BY repo, number",
        "pull_request_reviews": "SELECT * FROM github.pull_request_reviews ORDER BY repo, id",
        "pull_request_timeline": "SELECT * FROM github.pull_request_timeline ORDER BY repo, node_id",
        "sync_state": "SELECT * FROM github.sync_state ORDER BY repo",
    }
    with wh._session("dump the tables") as executor:  # type: ignore[attr-defined]
        return {name: executor.execute(sql) for name, sql in queries.items()}


def all_reviews(batch: list[PullRequestWithReviews]) -> list[ReviewRecord]:
    return sorted((r for item in batch for r in item.reviews), key=lambda r: (r.pr_number, r.id))


def test_round_trip_returns_equal_records(warehouse: Warehouse) -> None:
    batch = make_batch(REPO, 5, 3)
    batch[1] = make_item(
        make_pr(
            REPO,
            2,
            state="closed",
            merged=True,
            draft=True,
            author_login=None,
            closed_at=T0 + timedelta(days=2, microseconds=123456),
            merged_at=T0 + timedelta(days=2, microseconds=123456),
            title="Ünïcödé ✓ — 日本語 and \"quotes\" 'single' %s ? $1 \\ ;",
        ),
        [
            make_review(REPO, 2, 77, state="PENDING", submitted_at=None, commit_id=None, author_login=None),
            make_review(REPO, 2, 2**62, state="DISMISSED"),
        ],
    )
    warehouse.write_batch(REPO, batch, T0)

    assert warehouse.pull_requests(REPO) == [item.pull_request for item in batch]
    assert warehouse.reviews(REPO) == all_reviews(batch)
    read = warehouse.pull_requests(REPO)[1]
    assert read.created_at.tzinfo is UTC
    assert read.closed_at == T0 + timedelta(days=2, microseconds=123456)


def test_non_utc_input_times_come_back_as_utc(warehouse: Warehouse) -> None:
    plus2 = timezone(timedelta(hours=2))
    pr = make_pr(REPO, 1, created_at=datetime(2024, 5, 1, 14, 0, tzinfo=plus2))
    warehouse.write_batch(REPO, [make_item(pr)], datetime(2024, 5, 2, 9, 0, tzinfo=plus2))
    warehouse.start_attempt(REPO, datetime(2024, 5, 2, 10, 0, tzinfo=plus2))

    (read,) = warehouse.pull_requests(REPO)
    assert read.created_at == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert read.created_at.utcoffset() == timedelta(0)
    state = warehouse.get_state(REPO)
    assert state is not None and state.last_attempt_at is not None
    assert state.last_attempt_at.tzinfo is UTC
    assert state.last_attempt_at == datetime(2024, 5, 2, 8, 0, tzinfo=UTC)


def test_same_batch_twice_leaves_identical_tables(warehouse: Warehouse) -> None:
    batch = make_batch(REPO, 10, 3)
    commit = commit_for(REPO, T0 + timedelta(days=1))
    warehouse.write_batch(REPO, batch, T0, commit)
    first = raw_tables(warehouse)
    warehouse.write_batch(REPO, batch, T0, commit)
    assert raw_tables(warehouse) == first
    assert warehouse.counts(REPO) == (10, 30)


def test_unchanged_rows_keep_their_synced_at_when_written_again_later(warehouse: Warehouse) -> None:
    batch = make_batch(REPO, 5, 2)
    warehouse.write_batch(REPO, batch, T0)
    before = {k: v for k, v in raw_tables(warehouse).items() if k != "sync_state"}
    assert set(before) == {"pull_requests", "pull_request_reviews", "pull_request_timeline"}
    assert (len(before["pull_requests"]), len(before["pull_request_reviews"])) == (5, 10)
    warehouse.write_batch(REPO, batch, T0 + timedelta(hours=5))
    after = {k: v for k, v in raw_tables(warehouse).items() if k != "sync_state"}
    assert after == before
    # said directly: every row still carries the first write's synced_at
    assert {at for _, at in _rows(warehouse, "SELECT number, synced_at FROM github.pull_requests")} == {T0}
    assert {at for _, at in _rows(warehouse, "SELECT id, synced_at FROM github.pull_request_reviews")} == {T0}
    # a changed review gets the new synced_at; its siblings keep theirs
    changed_review = batch[0].reviews[0].model_copy(update={"state": "DISMISSED"})
    warehouse.write_batch(
        REPO,
        [make_item(batch[0].pull_request, [changed_review, *batch[0].reviews[1:]])],
        T0 + timedelta(hours=6),
    )
    synced = dict(_rows(warehouse, "SELECT id, synced_at FROM github.pull_request_reviews"))
    assert synced[changed_review.id] == T0 + timedelta(hours=6)
    assert synced[batch[0].reviews[1].id] == T0


def test_upsert_updates_changed_pull_requests_and_keeps_others(warehouse: Warehouse) -> None:
    warehouse.write_batch(REPO, make_batch(REPO, 4, 1), T0)
    later = T0 + timedelta(hours=1)
    changed = make_item(make_pr(REPO, 2, title="Renamed", state="closed", closed_at=later), [])
    warehouse.write_batch(REPO, [changed], later)

    prs = {pr.number: pr for pr in warehouse.pull_requests(REPO)}
    assert prs[2] == changed.pull_request
    assert prs[1] == make_pr(REPO, 1)
    assert warehouse.counts(REPO) == (4, 3)
    synced = {
        row[0]: row[1] for row in _rows(warehouse, "SELECT number, synced_at FROM github.pull_requests")
    }
    assert synced[2] == later and synced[1] == T0


def test_review_replacement_deletes_missing_and_updates_dismissed(warehouse: Warehouse) -> None:
    a, b, c = (make_review(REPO, 1, i) for i in (11, 12, 13))
    other = make_review(REPO, 2, 21)
    warehouse.write_batch(
        REPO, [make_item(make_pr(REPO, 1), [a, b, c]), make_item(make_pr(REPO, 2), [other])], T0
    )

    dismissed = a.model_copy(update={"state": "DISMISSED"})
    warehouse.write_batch(REPO, [make_item(make_pr(REPO, 1), [dismissed, c])], T0)

    assert warehouse.reviews(REPO) == [dismissed, c, other]  # b deleted, PR 2 untouched
    warehouse.write_batch(REPO, [make_item(make_pr(REPO, 1), [])], T0)
    assert warehouse.reviews(REPO) == [other]


def test_review_moving_to_another_pull_request(warehouse: Warehouse) -> None:
    review = make_review(REPO, 1, 500)
    warehouse.write_batch(REPO, [make_item(make_pr(REPO, 1), [review]), make_item(make_pr(REPO, 2))], T0)

    moved = review.model_copy(update={"pr_number": 2})
    warehouse.write_batch(REPO, [make_item(make_pr(REPO, 2), [moved])], T0)

    assert warehouse.reviews(REPO) == [moved]


def test_repositories_are_independent_and_quotes_are_data(warehouse: Warehouse) -> None:
    names = ["o'hara/x", 'quo"te/x', "semi;colon/--x", "percent%s/?x", REPO]
    for name in names:
        batch = make_batch(name, 3, 2, title="it's a \"test\"'); DROP TABLE github.pull_requests; --")
        warehouse.write_batch(name, batch, T0, commit_for(name, T0 + timedelta(days=1)))
        warehouse.mark_error(name, "boom: 'quoted' \"error\"", T0 + timedelta(days=2))
    warehouse.write_batch("o'hara/x", [make_item(make_pr("o'hara/x", 1, title="only here"))], T0)

    for name in names:
        assert warehouse.counts(name) == (3, 6 if name != "o'hara/x" else 4)
        state = warehouse.get_state(name)
        assert state is not None and state.repo == name
        assert state.last_error == "boom: 'quoted' \"error\""
    assert [s.repo for s in warehouse.list_states()] == sorted(names)
    assert warehouse.pull_requests(REPO)[0].title.startswith("it's")


def test_failed_review_insert_rolls_back_the_whole_batch(warehouse: Warehouse) -> None:
    before_batch = make_batch(REPO, 3, 2)
    before_commit = commit_for(REPO, T0 + timedelta(days=1))
    warehouse.write_batch(REPO, before_batch, T0, before_commit)
    before = raw_tables(warehouse)

    # A review with NULL in a NOT NULL column fails in the database, after the PR upsert and the
    # review deletion have already run inside the transaction.
    bad_review = ReviewRecord.model_construct(
        repo=REPO,
        repo_id=4242,
        pr_number=9,
        id=9001,
        author_login="x",
        state=None,  # type: ignore[arg-type]  # deliberately invalid
        submitted_at=T0,
        commit_id="c",
    )
    batch = [
        make_item(make_pr(REPO, 1, title="changed"), []),
        *make_batch(REPO, 5, 1, first=4),
        make_item(make_pr(REPO, 9), [bad_review]),
    ]
    with pytest.raises(WarehouseError, match="could not write 7 pull requests of octo/widgets"):
        warehouse.write_batch(REPO, batch, T0 + timedelta(hours=1), commit_for(REPO, T0 + timedelta(days=9)))

    assert raw_tables(warehouse) == before
    state = warehouse.get_state(REPO)
    assert state is not None and state.cursor == T0 + timedelta(days=1)


def test_failed_state_update_rolls_back_rows(warehouse: Warehouse) -> None:
    warehouse.write_batch(REPO, make_batch(REPO, 2, 1), T0, commit_for(REPO, T0))
    before = raw_tables(warehouse)

    bad_commit = commit_for(REPO, "not a timestamp")  # type: ignore[arg-type]  # fails at the last statement
    with pytest.raises(WarehouseError):
        warehouse.write_batch(REPO, make_batch(REPO, 4, 2, title="new"), T0 + timedelta(hours=1), bad_commit)

    assert raw_tables(warehouse) == before


def test_exception_raised_inside_the_transaction_rolls_back(warehouse: Warehouse) -> None:
    warehouse.write_batch(REPO, make_batch(REPO, 2, 1), T0)
    before = raw_tables(warehouse)

    # A review object missing a field: reading it fails in Python while the transaction is open,
    # after the pull requests were upserted and the old reviews deleted.
    broken = ReviewRecord.model_construct(repo=REPO, pr_number=1, id=5)  # type: ignore[call-arg]
    with pytest.raises(AttributeError):
        warehouse.write_batch(
            REPO, [make_item(make_pr(REPO, 1, title="x"), [broken])], T0, commit_for(REPO, T0)
        )

    assert raw_tables(warehouse) == before
    assert warehouse.get_state(REPO) is None


@pytest.mark.parametrize(
    ("make_bad", "message"),
    [
        (
            lambda: make_batch(REPO, 2, 1) + make_batch(REPO, 1, 0, first=2),
            "#2 of octo/widgets appears twice",
        ),
        (
            lambda: [make_item(make_pr(REPO, 1), [make_review(REPO, 1, 7), make_review(REPO, 1, 7)])],
            "review 7",
        ),
        (lambda: [make_item(make_pr(REPO, 1), [make_review(REPO, 2, 7)])], "listed under octo/widgets#1"),
        (lambda: make_batch("other/repo", 1), "belongs to 'other/repo'"),
    ],
)
def test_inconsistent_batches_are_refused_before_writing(
    warehouse: Warehouse, make_bad, message: str
) -> None:
    warehouse.write_batch(REPO, make_batch(REPO, 1, 1), T0)
    before = raw_tables(warehouse)
    with pytest.raises(ValueError, match=message):
        warehouse.write_batch(REPO, make_bad(), T0, commit_for(REPO, T0))
    assert raw_tables(warehouse) == before


def test_naive_timestamps_and_foreign_commits_are_refused(warehouse: Warehouse) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        warehouse.write_batch(REPO, [], datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        warehouse.start_attempt(REPO, datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="sync commit for 'x/y'"):
        warehouse.write_batch(REPO, [], T0, commit_for("x/y", T0))


def test_cursor_never_moves_backwards(warehouse: Warehouse) -> None:
    high = T0 + timedelta(days=10)
    warehouse.write_batch(REPO, make_batch(REPO, 1), T0, commit_for(REPO, high, etag='"one"'))

    # A full refresh that saw only older PRs, and a commit without cursor: the mark stays.
    warehouse.write_batch(
        REPO, make_batch(REPO, 1), T0, commit_for(REPO, high - timedelta(days=5), etag='"two"')
    )
    state = warehouse.get_state(REPO)
    assert state is not None and state.cursor == high and state.etag == '"two"'
    warehouse.write_batch(REPO, [], T0, commit_for(REPO, None))
    state = warehouse.get_state(REPO)
    assert state is not None and state.cursor == high

    warehouse.write_batch(REPO, [], T0, commit_for(REPO, high + timedelta(seconds=1)))
    state = warehouse.get_state(REPO)
    assert state is not None and state.cursor == high + timedelta(seconds=1)


def test_commit_without_any_previous_state_and_without_cursor(warehouse: Warehouse) -> None:
    warehouse.write_batch(REPO, [], T0, commit_for(REPO, None, repo_id=None, full_name=None))
    state = warehouse.get_state(REPO)
    assert state == SyncState(
        repo=REPO,
        status="ok",
        cursor=None,
        etag='W/"abc"',
        probe_url=f"https://api.github.com/repos/{REPO}/pulls?state=all&sort=updated",
        last_attempt_at=T0 + timedelta(days=30),
        last_success_at=T0 + timedelta(days=30),
        strategy="rest",
        last_report={"pull_requests": 3, "requests": 7},
    )
    assert warehouse.counts(REPO) == (0, 0)


def test_sync_state_lifecycle(warehouse: Warehouse) -> None:
    assert warehouse.get_state(REPO) is None
    start1, end1 = T0, T0 + timedelta(minutes=5)
    warehouse.start_attempt(REPO, start1)
    state = warehouse.get_state(REPO)
    assert state == SyncState(repo=REPO, status="running", last_attempt_at=start1)

    cursor = T0 - timedelta(days=1)
    report = {"rows": 3, "nested": {"list": [1, 2]}, "when": end1}
    warehouse.write_batch(
        REPO,
        make_batch(REPO, 3),
        end1,
        commit_for(REPO, cursor, success_at=end1, report=report, strategy="graphql"),
    )
    ok = warehouse.get_state(REPO)
    assert ok is not None
    assert (ok.status, ok.cursor, ok.last_attempt_at, ok.last_success_at, ok.strategy) == (
        "ok",
        cursor,
        start1,
        end1,
        "graphql",
    )
    assert ok.last_report == {"rows": 3, "nested": {"list": [1, 2]}, "when": end1.isoformat()}
    assert (ok.repo_id, ok.full_name) == (4242, "Octo/Widgets")

    start2, fail2 = T0 + timedelta(days=1), T0 + timedelta(days=1, minutes=1)
    warehouse.start_attempt(REPO, start2)
    warehouse.mark_error(REPO, "GitHub said 502", fail2)
    failed = warehouse.get_state(REPO)
    assert failed is not None
    assert (failed.status, failed.last_error, failed.last_error_at, failed.last_attempt_at) == (
        "error",
        "GitHub said 502",
        fail2,
        start2,
    )
    # Untouched by attempts that did not succeed:
    assert (failed.cursor, failed.etag, failed.probe_url, failed.last_success_at, failed.last_report) == (
        ok.cursor,
        ok.etag,
        ok.probe_url,
        ok.last_success_at,
        ok.last_report,
    )
    assert warehouse.counts(REPO) == (3, 9)

    # An error without a recorded start dates the attempt itself.
    fail3 = T0 + timedelta(days=2)
    warehouse.mark_error(REPO, "again", fail3)
    again = warehouse.get_state(REPO)
    assert again is not None and again.last_attempt_at == fail3 and again.cursor == cursor

    warehouse.start_attempt(REPO, T0 + timedelta(days=3))
    running = warehouse.get_state(REPO)
    assert running is not None and running.status == "running" and running.last_error == "again"

    warehouse.write_batch(
        REPO, [], T0, commit_for(REPO, cursor, success_at=T0 + timedelta(days=3, minutes=1))
    )
    healed = warehouse.get_state(REPO)
    assert healed is not None and healed.status == "ok"
    assert healed.last_error is None and healed.last_error_at is None


def test_mark_error_first_and_long_errors(warehouse: Warehouse) -> None:
    warehouse.mark_error(REPO, "x" * 50_000, T0)
    state = warehouse.get_state(REPO)
    assert state is not None
    assert state.status == "error" and state.cursor is None and state.last_attempt_at == T0
    assert state.last_error is not None and len(state.last_error) == 10_000
    assert state.last_error.endswith("(truncated)")


def test_counts(warehouse: Warehouse) -> None:
    assert warehouse.counts(REPO) == (0, 0)
    assert warehouse.pull_requests(REPO) == [] and warehouse.reviews(REPO) == []
    batch = make_batch(REPO, 6, 2)
    warehouse.write_batch(REPO, batch, T0)
    warehouse.write_batch("other/repo", make_batch("other/repo", 2, 5), T0)
    assert warehouse.counts(REPO) == (6, 12)
    assert warehouse.counts("other/repo") == (2, 10)


def test_reading_before_migrate_says_so(warehouse_url: str) -> None:
    with open_warehouse(warehouse_url) as wh, pytest.raises(WarehouseError, match=r"migrate\(\)"):
        wh.counts(REPO)


def test_large_batch_is_written_in_one_go(warehouse: Warehouse) -> None:
    batch = make_batch(REPO, 1500, 4)
    warehouse.write_batch(REPO, batch, T0, commit_for(REPO, T0))
    assert warehouse.counts(REPO) == (1500, 6000)
    assert warehouse.pull_requests(REPO) == [item.pull_request for item in batch]


def _rows(wh: Warehouse, sql: str) -> list[tuple[Any, ...]]:
    with wh._session("read") as executor:  # type: ignore[attr-defined]
        return executor.execute(sql)


def test_start_attempt_returns_the_previous_state_and_marks_running(warehouse: Warehouse) -> None:
    assert warehouse.start_attempt(REPO, T0) is None
    warehouse.write_batch(REPO, make_batch(REPO, 2, 1), T0, commit_for(REPO, T0 + timedelta(days=1)))
    before = warehouse.get_state(REPO)
    previous = warehouse.start_attempt(REPO, T0 + timedelta(days=2))
    assert previous == before and previous is not None and previous.status == "ok"
    now = warehouse.get_state(REPO)
    assert now is not None and now.status == "running" and now.cursor == before.cursor  # type: ignore[union-attr]
    assert now.last_attempt_at == T0 + timedelta(days=2)


def test_a_signal_during_a_duckdb_query_is_an_interrupt_not_a_retryable_error(duckdb_url: str) -> None:
    """DuckDB turns a signal that lands mid-query into ``RuntimeError("Query interrupted")``; the
    backend raises ``KeyboardInterrupt`` instead, so that a terminated run stops rather than being
    retried as after a transient error (seen: a run terminated during its schema check succeeded)."""
    import os
    import signal
    import threading
    import time

    warehouse = open_warehouse(duckdb_url)
    warehouse.migrate()
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    sender = threading.Thread(target=lambda: (time.sleep(0.3), os.kill(os.getpid(), signal.SIGINT)))
    try:
        with (
            pytest.raises(KeyboardInterrupt, match="a signal interrupted a DuckDB query"),
            warehouse._session("count a lot") as executor,  # type: ignore[attr-defined]
        ):
            sender.start()
            executor.execute("SELECT count(*) FROM range(2000000000) t(x) WHERE x % 7 = 3")
    finally:
        sender.join()
        signal.signal(signal.SIGINT, previous)
    assert warehouse.get_state("a/b") is None  # the file is usable again
