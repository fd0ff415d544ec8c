"""Small timings that used to be wall-clock limits inside tests (issue 12, item 6).

``uv run python -m benchmarks.timings`` measures, in this process:

- ``warehouse_batch``: a batch of 100 PRs + 300 reviews written with its sync-state commit, six
  rounds alternating new rows (insert) and the same rows again (update + review replacement), on a
  DuckDB file and on Postgres (``PRSYNC_TEST_POSTGRES_URL``, default the test server; skipped when
  unreachable). Reported: median and max seconds per batch. The tests' old bound was a 1 s median.
- ``scenario_build``: building the ``small`` world (seed 7), the ``team`` world (50 repositories,
  15,000 PRs) and a 3,000-PR repository. The old bounds were 0.3 s (small) and 6 s (team).
- ``big_page``: the first page (100 PRs) of a 3,000-PR repository through PyGithub over loopback,
  cold (first request) and warm. The old bounds were 2 s cold and 1 s warm.
- ``latency``: one REST request with the simulator's latency set to 150 ms over the control API,
  and again after ``clear_faults``. The old checks were >= 0.15 s and < 0.15 s.

Results go to ``benchmarks/results/timings.json``. These are measurements, not pass/fail checks: a
2-core machine shared with other work is too noisy for fixed limits in the test suite. Compare runs
on the same machine.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from benchmarks.common import RESULTS_DIR, log, machine_info, write_json


def _seconds(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def warehouse_batch(url: str) -> dict[str, Any]:
    from prsync_dagster.warehouse import open_warehouse
    from prsync_dagster.warehouse.base import SyncCommit
    from prsync_dagster_tests.plugins.warehouse import T0, make_batch

    repo = "speed/test"
    seconds = []
    with open_warehouse(url) as warehouse:
        warehouse.migrate()
        for round_ in range(6):
            batch = make_batch(repo, 100, 3, first=1 + (round_ // 2) * 100, title=f"round {round_}")
            cursor = T0 + timedelta(days=round_)
            commit = SyncCommit(
                repo=repo, repo_id=1, full_name=repo, cursor=cursor, etag=None, probe_url=None,
                success_at=cursor, strategy="rest", report={},
            )  # fmt: skip
            seconds.append(_seconds(lambda: warehouse.write_batch(repo, batch, cursor, commit)))  # noqa: B023
        counts = warehouse.counts(repo)
    return {
        "kind": url.split(":", 1)[0],
        "rows_after": list(counts),
        "median_s": round(statistics.median(seconds), 4),
        "max_s": round(max(seconds), 4),
        "old_test_bound_median_s": 1.0,
    }


def postgres_batch() -> dict[str, Any] | None:
    import psycopg
    from psycopg import sql

    from prsync_dagster_tests.plugins.warehouse import postgres_server_url, with_database

    server = postgres_server_url()
    name = f"prsync_timings_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(with_database(server, "postgres"), autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        log(f"Postgres not reachable, skipped: {exc}")
        return None
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            return warehouse_batch(with_database(server, name))
        finally:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def scenario_build() -> dict[str, Any]:
    from github_api_simulator.scenarios import build_world, custom

    return {
        "small_s": round(_seconds(lambda: build_world("small", 7)), 4),
        "old_test_bound_small_s": 0.3,
        "team_s": round(_seconds(lambda: build_world("team", 7)), 3),
        "old_test_bound_team_s": 6.0,
        "repo_of_3000_prs_s": round(
            _seconds(lambda: build_world(custom(repos=1, prs_per_repo=3000, reviews_per_pr=1), 7)), 3
        ),
    }


def big_page() -> dict[str, Any]:
    from github_api_simulator import GitHubSimulator
    from github_api_simulator.pytest_plugin import make_github
    from github_api_simulator.scenarios import custom

    with GitHubSimulator(custom(repos=1, prs_per_repo=3000, reviews_per_pr=1), 7) as sim:
        gh = make_github(sim)
        repo = gh.get_repo(sim.repos()[0])
        cold = _seconds(lambda: repo.get_pulls(state="all").get_page(0))
        warm = _seconds(lambda: repo.get_pulls(state="all").get_page(0))
        gh.close()
    return {"cold_s": round(cold, 4), "warm_s": round(warm, 4), "old_test_bounds_s": [2.0, 1.0]}


def latency() -> dict[str, Any]:
    import requests
    from github_api_simulator import GitHubSimulator, SimulatorControl

    with GitHubSimulator("small", 7) as sim:

        def get() -> None:
            requests.get(
                sim.url + "/repos/Acme/Widgets", headers={"Authorization": f"token {sim.token}"}, timeout=10
            ).raise_for_status()

        SimulatorControl(sim.url).set_latency(150)
        slow = _seconds(get)
        sim.clear_faults()
        fast = _seconds(get)
    return {"set_150ms_s": round(slow, 4), "cleared_s": round(fast, 4)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "timings.json")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {"machine": machine_info()}
    with TemporaryDirectory(prefix="prsync-timings-") as scratch:
        log("warehouse batch: DuckDB")
        batches = [warehouse_batch(f"duckdb://{Path(scratch) / 'timings.duckdb'}")]
    log("warehouse batch: Postgres")
    postgres = postgres_batch()
    if postgres is not None:
        batches.append(postgres)
    results["warehouse_batch"] = batches
    log("scenario build")
    results["scenario_build"] = scenario_build()
    log("big page")
    results["big_page"] = big_page()
    log("latency")
    results["latency"] = latency()
    write_json(args.out, results)
    for name, value in results.items():
        if name != "machine":
            print(f"{name}: {value}")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
