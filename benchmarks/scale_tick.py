"""The daily probe run alone at organisation size (issue 11), in one process.

On a day when nothing changed, the probe design launches no sync run, so the day costs one run of
``probe_repositories``: probe every repository (conditional requests), record the verifications in
the warehouse and as materializations. This measures that run's work at N repositories on a real
SQLite instance made from the repository's ``dagster.yaml`` (``execute_in_process``: the run's
own process start, ~5 s of imports through the daemon, is not included), after an in-process
first sync of every repository with the engine (not timed)::

    uv run python -m benchmarks.scale_tick --repos 1000 --prs 5

First it times the probes alone (no recording) at each ``--concurrency`` (8, 16, 32), then the
whole probe run (at the job's default concurrency) on a no-change day and after ``--changed`` of
the repositories changed; the run's ``seconds`` metadata splits its time into probes, warehouse
update and asset events. PR count does not change the probe's cost (it asks for one PR).
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
    parser.add_argument("--concurrency", type=int, nargs="*", default=[8, 16, 32])
    args = parser.parse_args(argv)
    scenario = f"custom:repos={args.repos},prs_per_repo={args.prs},reviews_per_pr=1"
    home = Path(tempfile.mkdtemp(prefix="prsync-tick-"))
    shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    warehouse_url = "duckdb://" + (home / "prsync.duckdb").as_posix()
    ticks: list[dict[str, Any]] = []
    probes: list[dict[str, Any]] = []
    try:
        with simulator_process(scenario, args.latency_ms) as sim:
            os.environ.update(
                DAGSTER_HOME=str(home), GITHUB_TOKEN=sim.token, GITHUB_API_URL=sim.url,
                PRSYNC_WAREHOUSE_URL=warehouse_url, PRSYNC_REPOS="",
            )  # fmt: skip
            from dagster import AssetKey, DagsterInstance

            from prsync_dagster.daily import DAY_TAG, NEEDS_RUN, PROBE_JOB_NAME
            from prsync_dagster.definitions import defs
            from prsync_dagster.fleet import probe_fleet
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
                states = {s.repo: s for s in warehouse.list_states()}
            first_sync_s = round(time.monotonic() - started, 1)
            log(f"first sync took {first_sync_s} s")
            for concurrency in args.concurrency:
                sim.control.reset_stats()
                started = time.monotonic()
                decisions, _, _ = probe_fleet(repos, states, factory, "auto", concurrency=concurrency)
                probes.append({
                    "concurrency": concurrency, "probe_s": round(time.monotonic() - started, 2),
                    "unchanged": sum(1 for d in decisions if not d.needs_run),
                    **simulator_cost(sim.control.stats()),
                })  # fmt: skip
                log(str(probes[-1]))
            job = defs.resolve_job_def(PROBE_JOB_NAME)
            with DagsterInstance.from_config(str(home)) as instance:
                instance.add_dynamic_partitions("repositories", repos)

                def tick(name: str) -> dict[str, Any]:
                    sim.control.reset_stats()
                    since = datetime.now(UTC)
                    started = time.monotonic()
                    run = job.execute_in_process(instance=instance, tags={DAY_TAG: since.date().isoformat()})
                    seconds = round(time.monotonic() - started, 2)
                    (output,) = [e.step_output_data for e in run.all_node_events if e.is_successful_output]
                    metadata = {k: v.value for k, v in output.metadata.items()}
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
                        "tick": name, "probe_run_s": seconds, "runs_needed": len(metadata[NEEDS_RUN]),
                        "seconds": metadata["seconds"], "reasons": metadata["reasons"],
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
            RESULTS_DIR / f"daily-probe-{args.repos}.json",
            {
                "benchmark": "scale_tick (probe run)",
                "command": " ".join(["uv run python -m benchmarks.scale_tick", *(argv or [])]),
                "scenario": scenario,
                "repositories": args.repos,
                "latency_ms": args.latency_ms,
                "machine": machine_info(),
                "probes_only": probes,
                "probe_runs": ticks,
            },
        )
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
