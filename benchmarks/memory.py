"""Memory benchmark (issue 3): does a first sync's memory grow with the repository's size?

``uv run python -m benchmarks.memory`` syncs a 3,000-PR repository and a 10-PR repository
(``custom`` scenarios, one simulator process each) through the engine, each phase in a fresh worker
process, and reports the RSS high-water mark (``VmHWM``) of each. Goal: the 3,000-PR first
sync peaks within +60 MB of the 10-PR one. P2 (after ``mutate_repo``) and P3 (no change) give the
requests and points of each phase as well.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import (
    RESULTS_DIR,
    compare_with_truth,
    log,
    machine_info,
    run_worker,
    simulator_cost,
    simulator_process,
    write_json,
)
from benchmarks.cost import MUTATION

SIZES = {"3000 PRs": 3000, "10 PRs": 10}
GOAL_MB = 60.0


def scenario_for(prs: int) -> str:
    return f"custom:repos=1,prs_per_repo={prs},reviews_per_pr=3"


def run_size(strategy: str, prs: int, latency_ms: float, workdir: Path) -> dict[str, Any]:
    """P1, P2, P3 of one strategy on a one-repository world of ``prs`` pull requests."""
    out: dict[str, Any] = {"scenario": scenario_for(prs), "phases": {}}
    with simulator_process(scenario_for(prs), latency_ms) as sim:
        control = sim.control
        repos: list[str] = control.repos()
        db = workdir / f"{strategy}-{prs}.duckdb"
        db.unlink(missing_ok=True)
        url = "duckdb://" + db.as_posix()
        spec = {
            "client": strategy,
            "api_url": sim.url,
            "token": sim.token,
            "repos": repos,
            "warehouse_url": url,
        }
        for phase in ("p1", "p2", "p3"):
            if phase == "p2":
                for repo in repos:
                    control.mutate_repo(repo, seed=1, **MUTATION)
                time.sleep(1.1)
            control.reset_stats()
            worker = run_worker(spec)
            worker.pop("per_repo", None)
            correctness = compare_with_truth(control, url, repos)
            correctness.pop("per_repo_prs")
            out["phases"][phase] = {
                **simulator_cost(control.stats()),
                "worker": worker,
                "correctness": correctness,
            }
            log(f"{strategy} {prs} PRs {phase}: peak {worker['peak_rss_mb']} MB, {worker['wall_seconds']}s")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory", description=__doc__.split("\n")[0])
    parser.add_argument("--strategies", default="auto,graphql,rest", help="engine strategies to measure")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="memory does not depend on latency")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "memory.json")
    args = parser.parse_args(argv)
    strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
    command = "uv run python -m benchmarks.memory " + shlex.join(sys.argv[1:] if argv is None else argv)
    workdir = Path(tempfile.mkdtemp(prefix="prsync-memory-"))
    data: dict[str, Any] = {
        "benchmark": "memory",
        "command": command.strip(),
        "machine": machine_info(),
        "scenario": "custom:repos=1,prs_per_repo={3000|10},reviews_per_pr=3",
        "latency_ms": args.latency_ms,
        "memory_measure": "VmHWM (RSS high-water mark) of the worker process running the phase",
        "results": {},
        "acceptance": [],
    }
    try:
        for strategy in strategies:
            data["results"][strategy] = {
                label: run_size(strategy, prs, args.latency_ms, workdir) for label, prs in SIZES.items()
            }
            big = data["results"][strategy]["3000 PRs"]["phases"]["p1"]["worker"]["peak_rss_mb"]
            small = data["results"][strategy]["10 PRs"]["phases"]["p1"]["worker"]["peak_rss_mb"]
            delta = round(big - small, 1)
            data["acceptance"].append(
                {
                    "client": strategy,
                    "check": "P1 peak RSS, 3,000 PRs minus 10 PRs (MB)",
                    "value": delta,
                    "limit": f"<= {GOAL_MB:g}",
                    "pass": delta <= GOAL_MB,
                }
            )
            write_json(args.out, data)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    from benchmarks.report import memory_tables

    print(memory_tables(data))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
