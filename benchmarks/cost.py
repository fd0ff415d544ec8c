"""Cost benchmark (issue 6): what each client pays in requests, points, time and memory, per phase.

``uv run python -m benchmarks.cost`` runs, against the simulator's ``team`` scenario (50 repos,
~15,000 PRs, ~45,000 reviews) at 50 ms per request, in a separate simulator process:

* clients ``auto``, ``graphql``, ``rest`` (the engine with ``SyncOptions(strategy=...)``) and
  ``original`` (the original plan, :mod:`benchmarks.original_plan`), each into a fresh DuckDB file
  and against a freshly reset world, so phases are comparable across clients;
* phases P1 first sync of every repository, P2 after ``mutate_repo`` on every repository (same
  seed for every client, so the same changes) plus changes to every review-metrics field
  (:func:`mutate_review_metrics`: label, assignee, review requested then removed, a draft made
  ready, a PR merged by someone else), P3 nothing changed.

Acceptance (issue 13, default strategy on the team world): P1 <= 1,500 points in total, P2 <= 10
points per changed repository, P3 0 points, and every table (PRs, reviews, timeline) equal to the
truth after every phase.

Requests, 304s and points are counted by the simulator (one ruler for every client); the engine's
own accounting is kept beside them as a cross-check. Each client/phase runs in a fresh worker
process whose ``VmHWM`` is its peak memory. After each phase the warehouse is compared with the
simulator's truth. ``--quick`` runs a small world for a sanity check in a couple of minutes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
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

CLIENTS = ("auto", "graphql", "rest", "original")
PHASES = ("p1", "p2", "p3")
QUICK_SCENARIO = "custom:repos=10,prs_per_repo=30,reviews_per_pr=3"
#: The changes of P2, per repository (``SimulatorControl.mutate_repo`` arguments besides the seed).
MUTATION = {"updated_fraction": 0.05, "new_prs": 3, "new_reviews": 10, "dismissals": 2}
#: Clients held to the acceptance criteria (the original plan and plain REST are references).
CHECKED_CLIENTS = ("auto", "graphql")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cost", description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", default=None, help="simulator scenario (default: team)")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="simulated latency per request")
    parser.add_argument(
        "--clients", default=",".join(CLIENTS), help="comma-separated subset of " + ", ".join(CLIENTS)
    )
    parser.add_argument(
        "--phases", default="p1,p2,p3", help="p1 | p1,p2 | p1,p2,p3 (each needs the ones before)"
    )
    parser.add_argument("--seed", type=int, default=7, help="world seed")
    parser.add_argument("--mutation-seed", type=int, default=1, help="seed of the P2 changes")
    parser.add_argument(
        "--quick", action="store_true", help=f"small world ({QUICK_SCENARIO}) for a sanity run"
    )
    parser.add_argument("--out", type=Path, default=None, help="JSON result path")
    parser.add_argument(
        "--workdir", type=Path, default=None, help="where the DuckDB files go (default: a temp dir)"
    )
    args = parser.parse_args(argv)
    args.scenario = args.scenario or (QUICK_SCENARIO if args.quick else "team")
    args.clients = [c.strip() for c in args.clients.split(",") if c.strip()]
    args.phases = [p.strip().lower() for p in args.phases.split(",") if p.strip()]
    unknown = set(args.clients) - set(CLIENTS)
    if unknown:
        parser.error(f"unknown clients {sorted(unknown)}; choose from {', '.join(CLIENTS)}")
    if args.phases != list(PHASES[: len(args.phases)]) or not args.phases:
        parser.error("--phases must be p1, p1,p2 or p1,p2,p3")
    if args.out is None:
        args.out = RESULTS_DIR / ("cost-quick.json" if args.quick else "cost.json")
    return args


def run_client(
    client: str, args: argparse.Namespace, sim_url: str, token: str, workdir: Path, control: Any
) -> dict[str, Any]:
    """All phases of one client, from a freshly generated world and an empty warehouse."""
    control.reset_world()
    repos: list[str] = control.repos()
    db = workdir / f"{client}.duckdb"
    state = workdir / f"{client}-since.json"
    for path in (db, state, db.with_suffix(".duckdb.wal")):
        path.unlink(missing_ok=True)
    warehouse_url = "duckdb://" + db.as_posix()
    spec = {
        "client": client, "api_url": sim_url, "token": token, "repos": repos,
        "warehouse_url": warehouse_url, "state_path": str(state),
    }  # fmt: skip
    out: dict[str, Any] = {"repos": len(repos), "phases": {}}
    for phase in args.phases:
        extra: dict[str, Any] = {}
        if phase == "p2":
            digest = hashlib.sha256()
            changed = 0
            for repo in repos:
                result = control.mutate_repo(repo, seed=args.mutation_seed, **MUTATION)
                result["review_metrics"] = mutate_review_metrics(control, repo)
                digest.update(
                    json.dumps({k: v for k, v in result.items() if k != "repo"}, sort_keys=True).encode()
                )
                changed += 1
            # Mutations stamp updated_at with whole seconds; start P2 in a later second so that
            # second-truncated `since` values cannot blur the phases.
            time.sleep(1.1)
            extra = {"changed_repos": changed, "mutation_digest": digest.hexdigest()[:16]}
        control.reset_stats()
        log(f"{client} {phase}: syncing {len(repos)} repositories")
        worker = run_worker(spec)
        cost = simulator_cost(control.stats())
        correctness = compare_with_truth(control, warehouse_url, repos)
        per_repo_prs = correctness.pop("per_repo_prs")
        if phase == "p1":
            out["budget_pages"] = sum(math.ceil(n / 100) for n in per_repo_prs.values())
            out["true_prs_p1"] = sum(per_repo_prs.values())
        worker.pop("per_repo", None) if phase != "p1" else None
        out["phases"][phase] = {**cost, **extra, "worker": worker, "correctness": correctness}
        log(
            f"{client} {phase}: {cost['requests']} requests, {cost['points']} points, "
            f"{worker['wall_seconds']:.1f}s, {worker['peak_rss_mb']} MB, "
            f"missing {correctness['prs_missing']}/{correctness['reviews_missing']} "
            f"stale {correctness['prs_stale']}/{correctness['reviews_stale']}"
        )
    return out


def mutate_review_metrics(control: Any, repo: str) -> list[int]:
    """Touch every review-metrics field of a few PRs of ``repo`` (deterministic: by PR number)."""
    truth = control.truth(repo)
    prs = sorted(truth["pull_requests"], key=lambda pr: pr["number"])
    ready = [pr for pr in prs if pr["state"] == "open" and not pr["draft"]]
    drafts = [pr for pr in prs if pr["state"] == "open" and pr["draft"]]
    touched: list[int] = []
    if len(ready) >= 3:
        labelled, requested, merged = ready[0], ready[1], ready[2]
        control.add_label(repo, labelled["number"], "benchmark")
        control.assign(repo, labelled["number"], "benchmark-assignee")
        control.request_review(repo, requested["number"], reviewer="benchmark-reviewer")
        control.remove_review_request(repo, requested["number"], reviewer="benchmark-reviewer")
        merger = "benchmark-merger" if merged["author_login"] != "benchmark-merger" else "benchmark-other"
        control.merge_pull(repo, merged["number"], merged_by=merger)
        touched += [labelled["number"], requested["number"], merged["number"]]
    if drafts:
        control.mark_ready_for_review(repo, drafts[0]["number"])
        touched.append(drafts[0]["number"])
    return touched


def acceptance(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The acceptance checks (issues 6 and 13) for ``auto`` and ``graphql``, each with its measured value."""
    checks: list[dict[str, Any]] = []

    def add(client: str, name: str, value: float, limit: str, ok: bool) -> None:
        checks.append({"client": client, "check": name, "value": value, "limit": limit, "pass": ok})

    for client in CHECKED_CLIENTS:
        data = results.get(client)
        if not data:
            continue
        phases = data["phases"]
        if "p1" in phases:
            points = phases["p1"]["points"]
            add(client, "P1 points (rich query, issue 13)", points, "<= 1500", points <= 1500)
        if "p2" in phases:
            per_repo = phases["p2"]["points"] / max(1, phases["p2"]["changed_repos"])
            add(client, "P2 points per changed repo", round(per_repo, 2), "<= 10", per_repo <= 10)
        if "p3" in phases:
            points = phases["p3"]["points"]
            add(client, "P3 points", points, "= 0", points == 0)
        for phase, values in phases.items():
            c = values["correctness"]
            bad = sum(
                c.get(name, 0)
                for name in ("prs_missing", "prs_stale", "reviews_missing", "reviews_stale",
                             "timeline_missing", "timeline_stale", "timeline_extra")
            )  # fmt: skip
            add(client, f"{phase.upper()} missing + stale rows", bad, "= 0", bad == 0)
        original = results.get("original", {}).get("phases", {}).get("p1")
        if client == "auto" and original and "p1" in phases:
            ratio = phases["p1"]["worker"]["wall_seconds"] / original["worker"]["wall_seconds"]
            add(client, "P1 wall time / original plan's", round(ratio, 3), "<= 0.25", ratio <= 0.25)
    return checks


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = "uv run python -m benchmarks.cost " + shlex.join(sys.argv[1:] if argv is None else argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="prsync-cost-"))
    workdir.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {
        "benchmark": "cost",
        "command": command.strip(),
        "machine": machine_info(),
        "scenario": args.scenario,
        "latency_ms": args.latency_ms,
        "seed": args.seed,
        "mutation": {"seed": args.mutation_seed, **MUTATION},
        "memory_measure": "VmHWM (RSS high-water mark) of the worker process running the phase",
        "results": {},
    }
    log(f"starting simulator ({args.scenario}, {args.latency_ms} ms); DuckDB files in {workdir}")
    with simulator_process(args.scenario, args.latency_ms, args.seed) as sim:
        for client in args.clients:
            data["results"][client] = run_client(client, args, sim.url, sim.token, workdir, sim.control)
            data["acceptance"] = acceptance(data["results"])
            write_json(args.out, data)  # after every client: a late failure keeps earlier results
    digests = {c: r["phases"].get("p2", {}).get("mutation_digest") for c, r in data["results"].items()}
    data["p2_mutations_identical"] = len({d for d in digests.values() if d}) <= 1
    data["acceptance"] = acceptance(data["results"])
    write_json(args.out, data)
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    from benchmarks.report import cost_tables

    print(cost_tables(data))
    log(f"results in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
