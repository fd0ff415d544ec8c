"""Shared benchmark plumbing: an out-of-process simulator, worker subprocesses, truth comparison.

The simulator runs in its own process so that a client's memory high-water mark is the client's
alone, and each client/phase runs in a fresh worker process so that its peak RSS (``VmHWM``) is
not inflated by an earlier phase.
"""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from github_api_simulator import SimulatorControl

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"

#: Budget given to every token: high enough that limits never interfere (points are reported, not
#: enforced), and a window long enough that no budget refills in the middle of a phase.
UNLIMITED = 1_000_000_000


@dataclass
class Simulator:
    """A simulator process we started: where it listens, its token, and how to drive it."""

    url: str
    token: str
    process: subprocess.Popen[str]
    log_path: Path

    @property
    def control(self) -> SimulatorControl:
        return SimulatorControl(self.url, timeout=300.0)


@contextmanager
def simulator_process(scenario: str, latency_ms: float, seed: int = 7) -> Iterator[Simulator]:
    """Start ``python -m github_api_simulator`` on a free port and stop it (by its pid) afterwards."""
    log = tempfile.NamedTemporaryFile("w", prefix="prsync-sim-", suffix=".log", delete=False)  # noqa: SIM115
    command = [
        sys.executable, "-m", "github_api_simulator", "--port", "0", "--scenario", scenario,
        "--seed", str(seed), "--latency-ms", str(latency_ms), "--rate-limit", str(UNLIMITED),
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=log, text=True, start_new_session=True
    )
    try:
        url = token = None
        assert process.stdout is not None
        deadline = time.monotonic() + 120
        while (url is None or token is None) and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                raise RuntimeError(f"simulator exited early; see {log.name}")
            if line.startswith("URL:"):
                url = line.split(None, 1)[1].strip()
            elif line.startswith("Token:"):
                token = line.split(None, 1)[1].strip()
        if url is None or token is None:
            raise RuntimeError("simulator did not report its URL in time")
        sim = Simulator(url, token, process, Path(log.name))
        # Budgets are points per window; a long window means no refill inside a phase either.
        for resource in ("core", "graphql"):
            sim.control.set_rate_limit(resource, limit=UNLIMITED, remaining=UNLIMITED, window_seconds=86_400)
        yield sim
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


def run_worker(spec: dict[str, Any], timeout_s: float = 4 * 3600) -> dict[str, Any]:
    """Run ``benchmarks.worker`` with ``spec`` in a fresh interpreter and return its JSON result."""
    with tempfile.TemporaryDirectory(prefix="prsync-bench-") as tmp:
        spec_path = Path(tmp) / "spec.json"
        result_path = Path(tmp) / "result.json"
        spec_path.write_text(json.dumps(spec))
        completed = subprocess.run(
            [sys.executable, "-m", "benchmarks.worker", str(spec_path), str(result_path)],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
        if completed.returncode != 0 or not result_path.exists():
            tail = (completed.stderr or completed.stdout)[-3000:]
            raise RuntimeError(f"worker failed ({completed.returncode}): {tail}")
        result: dict[str, Any] = json.loads(result_path.read_text())
        return result


def simulator_cost(stats: dict[str, Any]) -> dict[str, int]:
    """Requests, 304s and points as the simulator counted them (the same ruler for every client)."""
    points = stats.get("points_used") or {}
    rest, graphql = int(points.get("core", 0)), int(points.get("graphql", 0))
    return {
        "requests": int(stats["total_requests"]),
        "not_modified": int(stats["not_modified"]),
        "rest_points": rest,
        "graphql_points": graphql,
        "points": rest + graphql,
    }


def compare_with_truth(control: SimulatorControl, warehouse_url: str, repos: list[str]) -> dict[str, Any]:
    """Count how the warehouse differs from the simulator's truth, over all ``repos``.

    A PR is *stale* when any compared column differs; a review likewise. *Extra* rows are stored
    but no longer on GitHub. ``examples`` keeps a few concrete differences for the report.
    """
    from prsync_dagster.verify import compare_with_truth as compare_repo
    from prsync_dagster.warehouse import open_warehouse

    counts = dict.fromkeys(
        ("prs_missing", "prs_stale", "prs_extra", "reviews_missing", "reviews_stale", "reviews_extra",
         "timeline_missing", "timeline_stale", "timeline_extra"),
        0,
    )  # fmt: skip
    examples: list[str] = []
    totals = {"prs": 0, "reviews": 0, "timeline": 0}
    per_repo_prs: dict[str, int] = {}
    with open_warehouse(warehouse_url) as warehouse:
        warehouse.migrate()
        for repo in repos:
            diff = compare_repo(control.truth(repo), warehouse, repo)
            for name in counts:
                counts[name] += len(getattr(diff, name))
            totals["prs"] += diff.true_prs
            totals["reviews"] += diff.true_reviews
            totals["timeline"] += diff.true_timeline
            per_repo_prs[diff.repo] = diff.true_prs
            examples += [f"{diff.repo}: {line}" for line in diff.problems()[:10]]
    return {
        **counts,
        "true_prs": totals["prs"],
        "true_reviews": totals["reviews"],
        "true_timeline": totals["timeline"],
        "examples": examples[:10],
        "per_repo_prs": per_repo_prs,
    }


def machine_info() -> dict[str, Any]:
    """Where and when a result was measured (absolute timings only compare within one run)."""
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "git_commit": _git_commit(),
        # The checkout is shared with people editing the engine: say which code files were dirty.
        "uncommitted_code": _dirty_files(),
    }


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


def _dirty_files() -> list[str]:
    try:
        out = subprocess.run(
            ["git", "status", "--porcelain", "--", "prsync_dagster"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return []
    return [line[3:] for line in out.stdout.splitlines() if line.strip()]


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write results atomically, so a crash mid-write never leaves half a file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n")
    tmp.replace(path)


def log(message: str) -> None:
    """Progress lines on stderr, flushed (the long runs are followed with ``tail -f``)."""
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
