"""The probe-first daily tick alone at organisation size (issue 11), in one process.

On a day when nothing changed, the ``probe`` design launches no run, so the day costs exactly one
evaluation of ``daily_github_sync``: probe every repository (conditional requests, 8 at a time),
record the verifications in the warehouse and as runless materializations. This measures that
evaluation at N repositories, as the code server runs it (``build_schedule_context`` on a real
SQLite instance made from the repository's ``dagster.yaml``), after an in-process first sync of
every repository with the engine (not timed)::

    uv run python -m benchmarks.scale_tick --repos 1000 --prs 5

It also evaluates once after ``--changed`` of the repositories changed (the runs that day would
then be one per changed repository; they are not launched here: ``benchmarks/scale.py`` does).
PR count does not change the tick's cost (the probe asks for one PR).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.common import (
    REPO_ROOT,
    RESULTS_DIR,
    log,
    machine_info,
    simulator_cost,
    simulator_process,
    write_json,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--prs", type=int, default=5)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--changed", type=float, default=0.10)
    args = parser.parse_args(argv)
    scenario = f"custom:repos={args.repos},prs_per_repo={args.prs},reviews_per_pr=1"
    home = Path(tempfile.mkdtemp(prefix="prsync-tick-"))
    shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    warehouse_url = "duckdb://" + (home / "prsync.duckdb").as_posix()
    ticks: list[dict[str, Any]] = []
    try:
        with simulator_process(scenario, args.latency_ms) as sim:
            os.environ.update(
                DAGSTER_HOME=str(home), GITHUB_TOKEN=sim.token, GITHUB_API_URL=sim.url,
                PRSYNC_WAREHOUSE_URL=warehouse_url, PRSYNC_REPOS="",
            )  # fmt: skip
            from dagster import AssetKey, DagsterInstance, build_schedule_context

            from prsync_dagster.automation import daily_github_sync
            from prsync_dagster.definitions import defs
            from prsync_dagster.resources import github_from_env
            from prsync_dagster.sync import SyncOptions, sync_repository
            from prsync_dagster.warehouse import open_warehouse

            repos = sorted(r.lower() for r in sim.control.repos())
            log(f"first sync of {len(repos)} repositories in-process (not timed)")
            factory = github_from_env().client_factory()
            started = time.monotonic()
            with open_warehouse(warehouse_url) as warehouse:
                warehouse.migrate()
                for repo in repos:
                    sync_repository(repo, factory, warehouse, SyncOptions())
            first_sync_s = round(time.monotonic() - started, 1)
            log(f"first sync took {first_sync_s} s")
            with DagsterInstance.from_config(str(home)) as instance:
                instance.add_dynamic_partitions("repositories", repos)

                def tick(name: str) -> dict[str, Any]:
                    sim.control.reset_stats()
                    since = datetime.now(UTC)
                    started = time.monotonic()
                    context = build_schedule_context(
                        instance=instance, scheduled_execution_time=since,
                        repository_def=defs.get_repository_def(),
                    )  # fmt: skip
                    requests = list(daily_github_sync.evaluate_tick(context).run_requests or [])
                    seconds = round(time.monotonic() - started, 2)
                    with open_warehouse(warehouse_url) as warehouse:
                        states = warehouse.list_states()
                    fresh = sum(1 for s in states if s.last_success_at and s.last_success_at >= since)
                    verified = sum(
                        1
                        for r in instance.fetch_materializations(
                            AssetKey(["github", "pull_requests"]), limit=len(repos) * 3
                        ).records
                        if r.timestamp >= since.timestamp()
                    )
                    result = {
                        "tick": name, "tick_s": seconds, "runs_requested": len(requests),
                        "fresh_repositories": fresh, "verified_events_pull_requests": verified,
                        **simulator_cost(sim.control.stats()),
                    }  # fmt: skip
                    log(str(result))
                    return result

                ticks.append(tick("nochange"))
                changed = random.Random(11).sample(repos, max(1, round(len(repos) * args.changed)))
                for i, repo in enumerate(changed):
                    sim.control.mutate_repo(
                        repo, seed=i, updated_fraction=0.2, new_prs=1, new_reviews=1, dismissals=0
                    )
                ticks.append(tick("changed10"))
    finally:
        write_json(
            RESULTS_DIR / f"daily-tick-{args.repos}.json",
            {
                "benchmark": "scale_tick",
                "command": " ".join(["uv run python -m benchmarks.scale_tick", *(argv or [])]),
                "scenario": scenario,
                "repositories": args.repos,
                "latency_ms": args.latency_ms,
                "machine": machine_info(),
                "ticks": ticks,
            },
        )
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
