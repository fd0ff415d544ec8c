"""A sync writes batches of 100 PRs; each must cost a fraction of the GitHub requests that fetched it."""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

from prsync_dagster.warehouse.base import SyncCommit, Warehouse
from prsync_dagster_tests.plugins.warehouse import T0, make_batch

REPO = "speed/test"


def test_a_batch_of_100_prs_and_300_reviews_is_fast(warehouse: Warehouse) -> None:
    seconds = []
    for round_ in range(6):
        # Rounds alternate between new rows (insert) and the same rows again (update + replace).
        batch = make_batch(REPO, 100, 3, first=1 + (round_ // 2) * 100, title=f"round {round_}")
        cursor = T0 + timedelta(days=round_)
        commit = SyncCommit(
            repo=REPO, repo_id=1, full_name=REPO, cursor=cursor, etag=None, probe_url=None,
            success_at=cursor, strategy="rest", report={},
        )  # fmt: skip
        started = time.perf_counter()
        warehouse.write_batch(REPO, batch, cursor, commit)
        seconds.append(time.perf_counter() - started)
    assert warehouse.counts(REPO) == (300, 900)
    median = statistics.median(seconds)
    print(f"\n{warehouse.kind}: 100 PRs + 300 reviews per batch, median {median * 1000:.0f} ms")
    # Generous bound for slow CI machines; locally this is ~25 ms (Postgres) and ~80 ms (DuckDB).
    assert median < 1.0
