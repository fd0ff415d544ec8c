"""``prsync demo``: the whole product in a minute, offline, against the bundled GitHub simulator.

It starts the simulator on loopback, registers its repositories as Dagster partitions in a fresh
``DAGSTER_HOME``, syncs them into a fresh DuckDB file, changes some pull requests and reviews on
the "GitHub" side, syncs again (incrementally), syncs once more with nothing changed (free: 304s),
and checks the warehouse against the simulator's ground truth.
"""

from __future__ import annotations

import os
import shlex
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from prsync_dagster.errors import PrsyncError
from prsync_dagster.runs import dagster_instance, run_syncs, sync_summary_table

if TYPE_CHECKING:
    from github_api_simulator import GitHubSimulator


def run_demo(directory: Path | None, *, latency_ms: int, console: Console, progress: Console) -> None:
    from github_api_simulator import GitHubSimulator

    from prsync_dagster.partitions import REPOSITORIES
    from prsync_dagster.repos import normalize_repo

    started = time.monotonic()
    workdir = (directory or Path(tempfile.mkdtemp(prefix="prsync-demo-"))).resolve()
    home = workdir / "dagster_home"
    database = workdir / "demo.duckdb"
    # A fresh start every time: the demo's own files only, never anything else in the directory.
    shutil.rmtree(home, ignore_errors=True)
    for leftover in (database, database.with_suffix(".duckdb.wal"), database.with_suffix(".duckdb.lock")):
        leftover.unlink(missing_ok=True)
    home.mkdir(parents=True, exist_ok=True)
    warehouse_url = f"duckdb://{database}"
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")

    with progress.status("starting the GitHub API simulator…"):
        simulator = GitHubSimulator(scenario="small", seed=7, latency_ms=latency_ms).start()
    try:
        os.environ.update(
            DAGSTER_HOME=str(home),
            GITHUB_API_URL=simulator.url,
            GITHUB_TOKEN=simulator.token,
            PRSYNC_WAREHOUSE_URL=warehouse_url,
            PRSYNC_GITHUB_STRATEGY=os.environ.get("PRSYNC_GITHUB_STRATEGY", "auto"),
        )
        console.print(f"[bold]GitHub API simulator[/bold] on {simulator.url} (scenario 'small', offline)")
        console.print(f"Dagster home: {home}\nWarehouse:    {database}\n", markup=False)
        keys = [normalize_repo(name) for name in simulator.repos()]
        with dagster_instance() as instance:
            instance.add_dynamic_partitions(REPOSITORIES, keys)
            console.print(f"registered {len(keys)} repositories as Dagster partitions: {', '.join(keys)}")

            def sync(title: str) -> None:
                # no spinner: its refresh thread could hold stderr's lock when a run's process forks
                outcomes = run_syncs(keys, False, instance, concurrency=len(keys))
                console.print(sync_summary_table(outcomes, title))
                failed = [outcome for outcome in outcomes if not outcome.success]
                if failed:
                    raise PrsyncError(f"demo sync of {failed[0].repo} failed: {failed[0].error}")

            sync("1. first sync (everything)")
            changes = change_things_on_github(simulator)
            console.print(f"\n[bold]changed on GitHub:[/bold] {'; '.join(changes)}\n")
            sync("2. incremental sync (only what changed)")
            sync("3. nothing changed (conditional requests, 304s)")
        console.print(verify(simulator, keys))
        from prsync_dagster.report import refreshed_report  # issue 10: the demo ends with the report

        console.print(f"review-metrics report: {refreshed_report(workdir / 'report.html')}", markup=False)
    finally:
        simulator.stop()
    exports = (
        f"export DAGSTER_HOME={shlex.quote(str(home))} PRSYNC_WAREHOUSE_URL={shlex.quote(warehouse_url)}"
    )
    console.print(
        f"\ndemo finished in {time.monotonic() - started:.1f}s. Explore it (paste into a shell "
        "in this checkout):\n"
        f"  {exports}\n"
        "  uv run prsync status\n"
        "  (the DuckDB file holds schema github: pull_requests, pull_request_reviews,\n"
        "  pull_request_timeline, pull_request_metrics, review_metrics_weekly, sync_state;\n"
        "  the Dagster UI needs the simulator running: see README, 'Run the simulator')",
        markup=False,
        soft_wrap=True,
    )


def change_things_on_github(simulator: GitHubSimulator) -> list[str]:
    """A day's activity: edits, a new PR, a close, a merge, reviews, a dismissal."""
    changes = []
    for index, repo in enumerate(simulator.repos()):
        truth = simulator.truth(repo)
        open_numbers = sorted(
            pr["number"] for pr in truth["pull_requests"] if pr["state"] == "open" and not pr["draft"]
        )
        if index == 2:
            continue  # leave one repository untouched: its sync costs nothing
        simulator.update_pull(repo, open_numbers[0], title="Rename the flux capacitor")
        simulator.merge_pull(repo, open_numbers[1])
        simulator.close_pull(repo, open_numbers[2])
        new = simulator.open_pull(repo, title="Add prsync to the release checklist", author="demo-user")
        number = new["pull_request"]["number"]
        simulator.add_review(repo, number, state="CHANGES_REQUESTED", author="reviewer-a")
        simulator.add_review(repo, number, state="APPROVED", author="reviewer-b")
        approved = next(r for r in truth["reviews"] if r["state"] == "APPROVED")
        simulator.dismiss_review(repo, approved["pr_number"], approved["id"])
        changes.append(
            f"{repo}: #{open_numbers[0]} edited, #{open_numbers[1]} merged, #{open_numbers[2]} closed, "
            f"#{number} opened with 2 reviews, a review on #{approved['pr_number']} dismissed"
        )
    return changes


def verify(simulator: GitHubSimulator, keys: Sequence[str]) -> Table:
    """Compare every stored PR and review with the simulator's ground truth."""
    from prsync_dagster.verify import compare_with_truth
    from prsync_dagster.warehouse import open_warehouse

    table = Table(
        "repository",
        "PRs stored",
        "PRs on GitHub",
        "reviews stored",
        "reviews on GitHub",
        "equal",
        title="warehouse vs. GitHub (simulator truth)",
        title_justify="left",
    )
    with open_warehouse() as warehouse:
        for key in keys:
            diff = compare_with_truth(simulator.truth(key), warehouse, key)
            stored_prs, stored_reviews = warehouse.counts(key)
            figures = (stored_prs, diff.true_prs, stored_reviews, diff.true_reviews)
            table.add_row(key, *map(str, figures), "[green]yes[/green]" if diff.equal else "[red]NO[/red]")
    return table
