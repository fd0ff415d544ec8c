"""Markdown tables from the benchmark JSON files; ``python -m benchmarks.report`` rebuilds RESULTS.md.

RESULTS.md is generated, never edited by hand, so every number in it comes from a committed JSON
file together with the exact command that produced it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from benchmarks.common import RESULTS_DIR

RESULTS_MD = Path(__file__).resolve().parent / "RESULTS.md"
#: Hand-written analysis (causes of failed checks, recommended engine changes), appended verbatim.
NOTES_MD = RESULTS_DIR / "NOTES.md"


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _machine(data: dict[str, Any]) -> str:
    m = data["machine"]
    return (
        f"Measured {m['date']} on {m['platform']}, nproc={m['nproc']}, Python {m['python']}, "
        f"commit {m.get('git_commit')}"
        + (
            f" plus uncommitted edits to {', '.join(m['uncommitted_code'])}"
            if m.get("uncommitted_code")
            else ""
        )
        + "."
    )


def _verdicts(checks: list[dict[str, Any]]) -> str:
    rows = [
        [c["client"], c["check"], c["value"], c["limit"], "PASS" if c["pass"] else "**FAIL**"] for c in checks
    ]
    return _table(["client", "check", "measured", "target", "verdict"], rows)


TIMELINE_COUNTS = ("timeline_missing", "timeline_stale", "timeline_extra")


def cost_tables(data: dict[str, Any]) -> str:
    """Per client x phase cost and correctness, then the acceptance verdicts."""
    rows = []
    #: runs since issue 13 also compare the timeline table with the truth
    timeline = all(
        "timeline_missing" in v["correctness"] for r in data["results"].values() for v in r["phases"].values()
    )
    for client, result in data["results"].items():
        for phase, v in result["phases"].items():
            w, c = v["worker"], v["correctness"]
            rows.append(
                [
                    client, phase.upper(), v["requests"], v["not_modified"], v["rest_points"],
                    v["graphql_points"], f"**{v['points']}**", f"{w['wall_seconds']:.1f}",
                    f"{w['peak_rss_mb']:.0f}", c["prs_missing"], c["prs_stale"], c["reviews_missing"],
                    c["reviews_stale"], c["reviews_extra"],
                    *([sum(c[k] for k in TIMELINE_COUNTS)] if timeline else []),
                ]
            )  # fmt: skip
    header = [
        "client", "phase", "requests", "304s", "REST pts", "GraphQL pts", "total pts", "wall s",
        "peak RSS MB", "PRs missing", "PRs stale", "reviews missing", "reviews stale", "reviews extra",
        *(["timeline missing+stale+extra"] if timeline else []),
    ]  # fmt: skip
    parts = [_table(header, rows)]
    first = next(iter(data["results"].values()), None)
    if first and "budget_pages" in first:
        budget = (
            "the P1 budget is 1,500 points (issue 13, rich query)"
            if timeline
            else f"Σ ceil(PRs/100) = {first['budget_pages']}, so the P1 budget is "
            f"{1.5 * first['budget_pages']:g} points"
        )
        changes = (
            " plus every review-metrics field of a few PRs (`mutate_review_metrics`)" if timeline else ""
        )
        parts.append(
            f"World: {first['repos']} repositories, {first['true_prs_p1']} PRs; {budget}. "
            f"P2 changed {_changed(data)} repositories (`mutate_repo` {data['mutation']}{changes}); "
            f"identical P2 changes across clients: {data.get('p2_mutations_identical', 'n/a')}."
        )
    ratios = _ratios(data)
    if ratios:
        parts.append(ratios)
    if data.get("acceptance"):
        parts.append(_verdicts(data["acceptance"]))
    return "\n\n".join(parts)


def _changed(data: dict[str, Any]) -> str:
    for result in data["results"].values():
        p2 = result["phases"].get("p2")
        if p2:
            return str(p2["changed_repos"])
    return "n/a"


def _ratios(data: dict[str, Any]) -> str:
    """Side-by-side ratios against the original plan (absolute timings are noisy; ratios less so)."""
    base = data["results"].get("original", {}).get("phases", {})
    if not base:
        return ""
    rows = []
    for client, result in data["results"].items():
        if client == "original":
            continue
        for phase, v in result["phases"].items():
            b = base.get(phase)
            if not b:
                continue
            rows.append(
                [
                    client,
                    phase.upper(),
                    _ratio(v["points"], b["points"]),
                    _ratio(v["requests"], b["requests"]),
                    _ratio(v["worker"]["wall_seconds"], b["worker"]["wall_seconds"]),
                ]
            )
    return "Relative to the original plan (same run):\n\n" + _table(
        ["client", "phase", "points ×", "requests ×", "wall time ×"], rows
    )


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.3f}" if b else ("0" if not a else "∞")


def memory_tables(data: dict[str, Any]) -> str:
    rows = []
    for strategy, result in data["results"].items():
        for size, runs in result.items():
            for phase, v in runs["phases"].items():
                w = v["worker"]
                rows.append(
                    [
                        strategy, size, phase.upper(), v["requests"], v["points"], f"{w['wall_seconds']:.1f}",
                        f"{w['rss_after_imports_mb']:.0f}", f"{w['peak_rss_mb']:.0f}",
                        v["correctness"]["prs_missing"] + v["correctness"]["prs_stale"],
                    ]
                )  # fmt: skip
    header = [
        "strategy", "repository", "phase", "requests", "points", "wall s", "RSS after imports MB",
        "peak RSS MB", "PRs missing+stale",
    ]  # fmt: skip
    return "\n\n".join([_table(header, rows), _verdicts(data["acceptance"])])


def latency_tables(data: dict[str, Any]) -> str:
    rows = []
    for strategy, v in data["results"].items():
        c = v["correctness"]
        rows.append(
            [
                strategy, f"**{v['wall_seconds']:.1f}**", f"{v['sync_seconds']:.1f}", v["requests"],
                v["points"], v["exit_status"], c["prs_missing"] + c["prs_stale"],
            ]
        )  # fmt: skip
    header = ["strategy", "CLI wall s", "Σ engine seconds", "requests", "points", "exit", "PRs missing+stale"]
    return "\n\n".join([_table(header, rows), _verdicts(data["acceptance"])])


def airbyte_tables(data: dict[str, Any]) -> str:
    from benchmarks.airbyte import airbyte_tables as render

    return render(data)


SECTIONS = (
    (
        "airbyte.json",
        "prsync sync vs Airbyte's source-github, first sync of 3 repositories (issue 11)",
        airbyte_tables,
    ),
    (
        "airbyte-prsync-default.json",
        "prsync sync vs Airbyte's source-github, prsync in its own default DAGSTER_HOME (issue 11)",
        airbyte_tables,
    ),
    (
        "cost-rich.json",
        "Cost benchmark with the review-metrics data (issue 13), default strategy",
        cost_tables,
    ),
    ("cost-rich-rest.json", "Cost benchmark with the review-metrics data (issue 13), rest", cost_tables),
    (
        "cost-rich-quick.json",
        "Cost benchmark with the review-metrics data (issue 13), auto and rest on the quick world",
        cost_tables,
    ),
    ("cost.json", "Cost benchmark (issue 6)", cost_tables),
    (
        "cost-after-fixes.json",
        "Cost benchmark, auto and graphql again after the engine changes the first run led to",
        cost_tables,
    ),
    ("memory.json", "Memory benchmark (issue 3)", memory_tables),
    ("latency.json", "Latency benchmark (issue 6)", latency_tables),
    ("cost-quick.json", "Cost benchmark, quick sanity run", cost_tables),
)


def build() -> str:
    parts = [
        "# Benchmark results",
        "",
        "Generated by `uv run python -m benchmarks.report` from the JSON files in `benchmarks/results/`;",
        "see `benchmarks/README.md` for what is measured and how. Absolute timings are noisy on a",
        "2-core machine: compare the ratios measured side by side in the same run.",
    ]
    for name, title, render in SECTIONS:
        path = RESULTS_DIR / name
        if not path.exists():
            continue
        data = json.loads(path.read_text())
        parts += [
            "",
            f"## {title}",
            "",
            f"Command: `{data['command']}`",
            "",
            _machine(data) + f" Scenario `{data.get('scenario', '-')}`, latency {data.get('latency_ms')} ms.",
            "",
            render(data),
        ]
    for path in sorted(RESULTS_DIR.glob("scale-*.json")):
        data = json.loads(path.read_text())
        parts += [
            "",
            f"## Organisation scale (issue 11): design `{data['design']}`, "
            f"{data['repositories']} repositories x {data['prs_per_repo']} PRs",
            "",
            f"Command: `{data.get('command', 'uv run python -m benchmarks.scale')}` (file `{path.name}`)",
            "",
            _machine(data) + f" Scenario `{data.get('scenario', '-')}`, latency {data.get('latency_ms')} ms.",
            "",
            scale_table(data),
        ]
    for path in sorted(RESULTS_DIR.glob("daily-tick-*.json")):
        data = json.loads(path.read_text())
        header = [
            "tick",
            "seconds",
            "runs requested",
            "fresh",
            "verified events",
            "requests",
            "304s",
            "points",
        ]
        rows = [
            [
                t["tick"],
                t["tick_s"],
                t["runs_requested"],
                t["fresh_repositories"],
                t["verified_events_pull_requests"],
                t["requests"],
                t["not_modified"],
                t["points"],
            ]  # fmt: skip
            for t in data["ticks"]
        ]
        parts += [
            "",
            "## Organisation scale (issue 11): the probe inside the schedule tick (the previous, "
            f"unmerged design), {data['repositories']} repositories",
            "",
            f"Command: `{data['command']}` (file `{path.name}`)",
            "",
            _machine(data) + f" Scenario `{data['scenario']}`, latency {data['latency_ms']} ms.",
            "",
            _table(header, rows),
        ]
    for path in sorted(RESULTS_DIR.glob("daily-probe-*.json")):
        data = json.loads(path.read_text())
        parts += [
            "",
            f"## Organisation scale (issue 11): the daily probe run alone, {data['repositories']} repos",
            "",
            f"Command: `{data['command']}` (file `{path.name}`)",
            "",
            _machine(data) + f" Scenario `{data['scenario']}`, latency {data['latency_ms']} ms.",
            "",
            probe_tables(data),
        ]
    scale_notes = RESULTS_DIR / "SCALE_NOTES.md"
    if scale_notes.exists():
        parts += ["", scale_notes.read_text().rstrip()]
    if NOTES_MD.exists():
        parts += ["", NOTES_MD.read_text().rstrip()]
    return "\n".join(parts) + "\n"


def scale_table(data: dict[str, Any]) -> str:
    """One row per phase of ``benchmarks/scale.py``."""
    header = [
        "phase", "wall s", "probe run s", "runs", "of which multi-partition", "failed partitions",
        "failed multi-partition runs", "requests", "304s", "points", "peak RSS MB", "fresh", "truth equal",
    ]  # fmt: skip
    rows = [
        [
            p["phase"],
            p["wall_s"],
            (p.get("probe_run") or {}).get("run_s") or p.get("trigger_s") or "-",
            p["runs_launched"],
            p.get("multi_partition_runs", "-"),
            ", ".join(p["failed_partitions"]) or "-",
            ", ".join(p.get("failed_multi_partition_runs", [])) or "-",
            p["requests"],
            p["not_modified"],
            p["points"],
            p["peak_rss_mb"],
            p["fresh_repositories"],
            "yes" if p["truth_equal"] else "NO",
        ]  # fmt: skip
        for p in data["phases"]
    ]
    return _table(header, rows)


def probe_tables(data: dict[str, Any]) -> str:
    """``benchmarks/scale_tick.py``: the probes alone per concurrency, then whole probe runs."""
    probes = _table(
        ["probes in flight", "seconds", "unchanged", "requests", "304s", "points"],
        [[p["concurrency"], p["probe_s"], p["unchanged"], p["requests"], p["not_modified"], p["points"]]
         for p in data["probes_only"]],
    )  # fmt: skip
    header = ["day", "probe run s", "probes s", "warehouse s", "events s", "runs needed", "fresh",
              "verified events", "requests", "304s", "points"]  # fmt: skip
    rows = [
        [t["tick"], t["probe_run_s"], *(t["seconds"][k] for k in ("probe", "warehouse", "events")),
         t["runs_needed"], t["fresh_repositories"], t["verified_events_pull_requests"], t["requests"],
         t["not_modified"], t["points"]]
        for t in data["probe_runs"]
    ]  # fmt: skip
    return probes + "\n\n" + _table(header, rows)


def main() -> int:
    RESULTS_MD.write_text(build())
    print(f"wrote {RESULTS_MD}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
