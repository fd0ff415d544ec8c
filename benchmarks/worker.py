"""One client x one phase in a fresh interpreter: ``python -m benchmarks.worker SPEC.json RESULT.json``.

A separate process per phase makes the RSS high-water mark of this process a clean measure of what
that client needed for that phase alone. It is read from ``VmHWM`` in ``/proc/self/status``, not
from ``ru_maxrss``: Linux carries ``ru_maxrss`` across ``execve`` (``signal->maxrss`` takes the old
address space's peak), so a worker started by a 170 MB driver reported at least 170 MB whatever
it used (every phase read 172-174 MB in the first run after the issue-13 query). The
spec names the client (``rest``, ``graphql``, ``auto`` through the engine, or ``original``), the
simulator URL and token, the repositories and the warehouse URL.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any


def _maxrss_mb() -> float:
    """This address space's peak RSS in MB (``VmHWM``, KiB; ``ru_maxrss`` where /proc is absent)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Sync every repository of ``spec`` with its client, serially (a sync is serial by design)."""
    from benchmarks.original_plan import SinceState, connect, sync_repository_original
    from prsync_dagster.github.client import ClientSettings, GitHubClient, GitHubCredentials
    from prsync_dagster.sync import SyncOptions, sync_repository
    from prsync_dagster.warehouse import open_warehouse

    client: str = spec["client"]
    repos: list[str] = spec["repos"]
    totals = {"client_requests": 0, "client_not_modified": 0, "client_rest_points": 0}
    totals |= {"client_graphql_points": 0, "pull_requests": 0, "reviews": 0}
    per_repo: list[dict[str, Any]] = []
    with open_warehouse(spec["warehouse_url"]) as warehouse:
        warehouse.migrate()
        # Interpreter, PyGithub, pydantic, DuckDB loaded: the floor every client pays.
        rss_before = _maxrss_mb()
        started = time.perf_counter()
        if client == "original":
            gh = connect(spec["api_url"], spec["token"])
            state = SinceState(Path(spec["state_path"]))
            for repo in repos:
                t0 = time.perf_counter()
                written = sync_repository_original(gh, repo, warehouse, state)
                totals["pull_requests"] += written["pull_requests"]
                totals["reviews"] += written["reviews"]
                per_repo.append({"repo": repo, "seconds": round(time.perf_counter() - t0, 3), **written})
            gh.close()
        else:
            credentials = GitHubCredentials(token=spec["token"])
            settings = ClientSettings(api_url=spec["api_url"])
            options = SyncOptions(strategy=client)  # type: ignore[arg-type]
            for repo in repos:
                report = sync_repository(
                    repo, lambda owner: GitHubClient(credentials, settings, owner), warehouse, options
                )
                totals["client_requests"] += report.requests
                totals["client_not_modified"] += report.not_modified
                totals["client_rest_points"] += report.rest_points
                totals["client_graphql_points"] += report.graphql_points
                totals["pull_requests"] += report.pull_requests
                totals["reviews"] += report.reviews
                per_repo.append(
                    {
                        "repo": repo,
                        "seconds": report.seconds,
                        "requests": report.requests,
                        "points": report.points,
                        "changed": report.changed,
                        "pull_requests": report.pull_requests,
                        "fetched_with": report.fetched_with,
                    }
                )
        wall = time.perf_counter() - started
    return {
        "client": client,
        "wall_seconds": round(wall, 3),
        "peak_rss_mb": _maxrss_mb(),
        "rss_after_imports_mb": rss_before,
        **totals,
        "per_repo": per_repo,
    }


def main(argv: list[str]) -> int:
    spec_path, result_path = Path(argv[0]), Path(argv[1])
    result = run(json.loads(spec_path.read_text()))
    result_path.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
