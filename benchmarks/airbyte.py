"""Issue 11 acceptance: ``prsync sync`` of 3 repositories against Airbyte's source-github, first sync.

``uv run python -m benchmarks.airbyte`` starts the simulator (``small``: 3 repositories, 360 PRs,
~1,000 reviews) with 150 ms per request in its own process, writes two commands that each do one
first sync of the same 3 repositories from scratch, and times them in turn (A B A B ...), the
ratio taken pair by pair so that the machine's drift cancels out:

- A, prsync: ``prsync sync -j N OWNER/NAME...`` with a fresh ``DAGSTER_HOME`` (the repository's
  ``dagster.yaml`` copied in, as the README says) and a fresh DuckDB file, every run.
- B, Airbyte: ``source-github read --config C --catalog K`` with no state (a first sync), streams
  ``pull_requests`` and ``reviews`` (what prsync stores, less the timeline), records written to a
  file (Airbyte's protocol output, no destination: a destination would only add to its time).
  Installed outside this repository: ``uv venv /tmp/airbyte-venv && uv pip install --compile-bytecode
  --python /tmp/airbyte-venv airbyte-source-github==2.7.1``; ``--airbyte-venv`` names another venv.
  Both sides run with compiled bytecode (prsync's ``uv sync`` compiles it, ``[tool.uv]``): where
  ``PYTHONDONTWRITEBYTECODE`` is set, as on this machine, an uncompiled venv recompiles every module
  in every process, which would time the compiler, not the tools.

Both commands are whole processes timed from outside (interpreter and imports included): the wall
time an operator waits. After each run the simulator's counters (reset before it) give the
requests and points, and the rows fetched are counted (prsync: warehouse rows; Airbyte: RECORD
messages). ``--serve`` only starts the simulator and prints the two commands, for timing them
with another tool. Results: ``results/airbyte.json``, rendered into RESULTS.md by
``benchmarks.report``. No timing is asserted anywhere: this is a script, not a test.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.common import (
    REPO_ROOT,
    RESULTS_DIR,
    Simulator,
    compare_with_truth,
    log,
    machine_info,
    simulator_cost,
    simulator_process,
    write_json,
)

REPOS = ["Acme/Widgets", "Acme/gadget-Service", "jDoe-Dev/sprocket.js"]
STREAMS = ("pull_requests", "reviews")
#: The acceptance: prsync's first sync takes at most this fraction of Airbyte's (issue 11).
TARGET_RATIO = 0.5


def prsync_executable() -> str:
    """The ``prsync`` console script of this environment (what ``uv run prsync`` runs)."""
    candidate = Path(sys.executable).parent / "prsync"
    return str(candidate) if candidate.exists() else "prsync"


#: What ``prsync`` writes into its default ``DAGSTER_HOME`` (``runs.ensure_dagster_home``): no pools.
PRSYNC_DEFAULT_YAML = "telemetry:\n  enabled: false\n"


def write_scripts(
    sim: Simulator, workdir: Path, airbyte_venv: Path, jobs: int, instance: str
) -> dict[str, Path]:
    """Two shell scripts, each one first sync from scratch; returns {"prsync": path, "airbyte": path}.

    ``instance``: ``repository`` copies this repository's ``dagster.yaml`` (its ``github_api`` pool
    limit of 2 applies to the CLI's runs too), ``prsync-default`` writes what ``prsync`` writes
    for its own default home (no pool limit).
    """
    home, db = workdir / "dagster-home", workdir / "prsync.duckdb"
    env = {
        "DAGSTER_HOME": str(home),
        "GITHUB_API_URL": sim.url,
        "GITHUB_TOKEN": sim.token,
        "PRSYNC_WAREHOUSE_URL": f"duckdb://{db}",
    }
    exports = " ".join(f"{name}={shlex.quote(value)}" for name, value in env.items())
    prsync = workdir / "prsync-first-sync.sh"
    yaml_source = REPO_ROOT / "dagster.yaml"
    if instance == "prsync-default":
        yaml_source = workdir / "prsync-default-dagster.yaml"
        yaml_source.write_text(PRSYNC_DEFAULT_YAML)
    prsync.write_text(
        "#!/bin/sh\n# one first sync: fresh instance and warehouse\nset -e\n"
        f"rm -rf {shlex.quote(str(home))} {shlex.quote(str(db))}\n"
        f"mkdir -p {shlex.quote(str(home))}\n"
        f"cp {shlex.quote(str(yaml_source))} {shlex.quote(str(home))}/dagster.yaml\n"
        "unset PRSYNC_GITHUB_STRATEGY PYTHONDONTWRITEBYTECODE\n"
        f"export {exports}\n"
        f"exec {shlex.quote(prsync_executable())} sync -j {jobs} {' '.join(REPOS)}"
        f" > {shlex.quote(str(workdir / 'prsync.out'))} 2>&1\n"
    )
    config, catalog = workdir / "airbyte-config.json", workdir / "airbyte-catalog.json"
    source = airbyte_venv / "bin" / "source-github"
    config.write_text(
        json.dumps(
            {
                "credentials": {"option_title": "PAT Credentials", "personal_access_token": sim.token},
                "repositories": REPOS,
                "api_url": sim.url + "/",
            }
        )
    )
    catalog.write_text(json.dumps(configured_catalog(source, config)))
    airbyte = workdir / "airbyte-first-sync.sh"
    airbyte.write_text(
        "#!/bin/sh\n# one first sync: no state file\n"
        f"exec {shlex.quote(str(source))} read --config {shlex.quote(str(config))}"
        f" --catalog {shlex.quote(str(catalog))} > {shlex.quote(str(workdir / 'airbyte.out'))}"
        f" 2> {shlex.quote(str(workdir / 'airbyte.err'))}\n"
    )
    return {"prsync": prsync, "airbyte": airbyte}


def configured_catalog(source: Path, config: Path) -> dict[str, Any]:
    """``discover``'s catalog narrowed to :data:`STREAMS`, incremental (a first sync reads everything)."""
    found = subprocess.run(
        [str(source), "discover", "--config", str(config)], capture_output=True, text=True, timeout=300
    )
    streams: dict[str, Any] = {}
    for line in found.stdout.splitlines():
        message = _json_line(line)
        if message and message.get("type") == "CATALOG":
            streams = {stream["name"]: stream for stream in message["catalog"]["streams"]}
    if not set(STREAMS) <= set(streams):
        raise RuntimeError(f"source-github discover did not offer {STREAMS}: {found.stderr[-2000:]}")
    return {
        "streams": [
            {
                "stream": streams[name],
                "sync_mode": "incremental",
                "destination_sync_mode": "append_dedup",
                "cursor_field": streams[name].get("default_cursor_field", []),
                "primary_key": streams[name].get("source_defined_primary_key", []),
            }
            for name in STREAMS
        ]
    }


def _json_line(line: str) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def run_once(tool: str, script: Path, sim: Simulator, workdir: Path) -> dict[str, Any]:
    """One timed first sync; wall seconds of the whole process, then what it fetched and stored."""
    sim.control.reset_stats()
    started = time.perf_counter()
    completed = subprocess.run(["sh", str(script)], capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - started
    result: dict[str, Any] = {
        "wall_seconds": round(wall, 2),
        "exit_status": completed.returncode,
        **simulator_cost(sim.control.stats()),
    }
    if tool == "airbyte":
        records: Counter[str] = Counter()
        errors = []
        for line in (workdir / "airbyte.out").read_text().splitlines():
            message = _json_line(line)
            if message is None:
                continue
            if message.get("type") == "RECORD":
                records[message["record"]["stream"]] += 1
            elif message.get("type") == "TRACE" and message["trace"].get("type") == "ERROR":
                errors.append(str(message["trace"].get("error", {}).get("message", ""))[:300])
        result["rows"] = {"pull_requests": records["pull_requests"], "reviews": records["reviews"]}
        result["errors"] = errors
    else:
        from prsync_dagster.warehouse import open_warehouse

        with open_warehouse(f"duckdb://{workdir / 'prsync.duckdb'}") as warehouse:
            counts = [warehouse.counts(repo.lower()) for repo in REPOS]
        result["rows"] = {"pull_requests": sum(c[0] for c in counts), "reviews": sum(c[1] for c in counts)}
        if completed.returncode:
            result["output_tail"] = (workdir / "prsync.out").read_text()[-1500:]
    return result


def measure(sim: Simulator, scripts: dict[str, Path], workdir: Path, runs: int) -> dict[str, Any]:
    """One warm-up of each (not counted: byte-code caches), then ``runs`` pairs A B A B ..."""
    for tool in ("prsync", "airbyte"):
        warm = run_once(tool, scripts[tool], sim, workdir)
        log(f"warm-up {tool}: {warm['wall_seconds']} s, exit {warm['exit_status']}")
    pairs = []
    for index in range(runs):
        pair = {tool: run_once(tool, scripts[tool], sim, workdir) for tool in ("prsync", "airbyte")}
        pair["ratio"] = round(pair["prsync"]["wall_seconds"] / pair["airbyte"]["wall_seconds"], 3)
        log(
            f"pair {index + 1}/{runs}: prsync {pair['prsync']['wall_seconds']} s, "
            f"airbyte {pair['airbyte']['wall_seconds']} s, ratio {pair['ratio']}"
        )
        pairs.append(pair)
    return {"pairs": pairs}


def summarize(pairs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians (quote these), min and max of each tool's wall time and of the pairwise ratio."""

    def spread(values: list[float]) -> dict[str, float]:
        return {"median": round(statistics.median(values), 3), "min": min(values), "max": max(values)}

    last = pairs[-1]
    return {
        "prsync_wall_s": spread([pair["prsync"]["wall_seconds"] for pair in pairs]),
        "airbyte_wall_s": spread([pair["airbyte"]["wall_seconds"] for pair in pairs]),
        "ratio": spread([pair["ratio"] for pair in pairs]),
        "fetched": {
            tool: {key: last[tool][key] for key in ("rows", "requests", "rest_points", "graphql_points")}
            for tool in ("prsync", "airbyte")
        },
        "all_exit_zero": all(
            pair[tool]["exit_status"] == 0 for pair in pairs for tool in ("prsync", "airbyte")
        ),
    }


def versions(airbyte_venv: Path) -> dict[str, str]:
    """Versions of what was compared (Python packages, read from each environment)."""
    script = (
        "import importlib.metadata as m, json, sys; "
        "print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))"
    )
    ours = subprocess.run(
        [sys.executable, "-c", script, "dagster", "PyGithub", "duckdb"], capture_output=True, text=True
    )
    theirs = subprocess.run(
        [str(airbyte_venv / "bin" / "python"), "-c", script, "airbyte-source-github", "airbyte-cdk"],
        capture_output=True,
        text=True,
    )
    return {**json.loads(ours.stdout or "{}"), **json.loads(theirs.stdout or "{}")}


def airbyte_tables(data: dict[str, Any]) -> str:
    """The RESULTS.md section (called by ``benchmarks.report``)."""
    s = data["summary"]
    header = ["tool", "median wall s", "min", "max", "PRs", "reviews", "requests", "REST pts", "GraphQL pts"]
    rows = []
    for tool, wall in (("prsync", s["prsync_wall_s"]), ("airbyte", s["airbyte_wall_s"])):
        f = s["fetched"][tool]
        rows.append(
            [tool, f"**{wall['median']:.2f}**", wall["min"], wall["max"], f["rows"]["pull_requests"],
             f["rows"]["reviews"], f["requests"], f["rest_points"], f["graphql_points"]]
        )  # fmt: skip
    ratio = s["ratio"]
    verdict = "PASS" if ratio["median"] <= TARGET_RATIO else "FAIL"
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
        *("| " + " | ".join(str(cell) for cell in row) + " |" for row in rows),
        "",
        f"Ratio prsync / Airbyte, pair by pair ({len(data['pairs'])} pairs, A B A B): median "
        f"**{ratio['median']:.2f}** (min {ratio['min']:.2f}, max {ratio['max']:.2f}); target <= "
        f"{TARGET_RATIO}: **{verdict}**. Versions: "
        + ", ".join(f"{name} {version}" for name, version in data["versions"].items())
        + f". prsync options: `{data['prsync_options']}`. Load average before / after: "
        f"{data['load_before']} / {data['load_after']}. prsync's warehouse vs the simulator's truth "
        f"after the last run: {data['correctness']['prs_missing'] + data['correctness']['prs_stale']} PRs "
        f"and {data['correctness']['reviews_missing'] + data['correctness']['reviews_stale']} reviews "
        "missing or stale.",
    ]
    return "\n".join(lines)


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5, help="timed pairs (after one warm-up of each)")
    parser.add_argument("--latency-ms", type=float, default=150.0)
    parser.add_argument("--jobs", type=int, default=4, help="prsync sync -j")
    parser.add_argument(
        "--instance",
        choices=("repository", "prsync-default"),
        default="repository",
        help="DAGSTER_HOME's dagster.yaml: this repository's (github_api pool limit 2) or prsync's default",
    )
    parser.add_argument("--airbyte-venv", type=Path, default=Path("/tmp/airbyte-venv"))
    parser.add_argument("--out", type=Path, help="default: results/airbyte.json (airbyte-INSTANCE.json)")
    parser.add_argument(
        "--serve", action="store_true", help="only start the simulator and print the commands"
    )
    args = parser.parse_args(argv)
    if args.out is None:
        suffix = "" if args.instance == "repository" else f"-{args.instance}"
        args.out = RESULTS_DIR / f"airbyte{suffix}.json"
    if not (args.airbyte_venv / "bin" / "source-github").exists():
        parser.error(f"no source-github in {args.airbyte_venv}: see this module's docstring to install it")
    workdir = Path(tempfile.mkdtemp(prefix="prsync-airbyte-"))
    command = "uv run python -m benchmarks.airbyte " + " ".join(argv if argv is not None else sys.argv[1:])
    try:
        with simulator_process("small", args.latency_ms) as sim:
            scripts = write_scripts(sim, workdir, args.airbyte_venv, args.jobs, args.instance)
            if args.serve:
                print(
                    f"A (prsync):  sh {scripts['prsync']}\nB (Airbyte): sh {scripts['airbyte']}", flush=True
                )
                log("simulator running; Ctrl-C to stop")
                try:
                    while True:
                        time.sleep(3600)
                except KeyboardInterrupt:
                    return 0
            load_before = _load()
            measured = measure(sim, scripts, workdir, args.runs)
            load_after = _load()
            correctness = compare_with_truth(
                sim.control, f"duckdb://{workdir / 'prsync.duckdb'}", [repo.lower() for repo in REPOS]
            )
        data = {
            "command": command.strip(),
            "machine": machine_info(),
            "scenario": "small",
            "latency_ms": args.latency_ms,
            "repos": REPOS,
            "streams": {"prsync": "pull requests, reviews, timeline", "airbyte": list(STREAMS)},
            "prsync_options": f"prsync sync -j {args.jobs}, {args.instance} dagster.yaml",
            "versions": versions(args.airbyte_venv),
            "load_before": load_before,
            "load_after": load_after,
            **measured,
            "summary": summarize(measured["pairs"]),
            "correctness": {k: v for k, v in correctness.items() if k != "examples"},
        }
        write_json(args.out, data)
        log(f"wrote {args.out}: ratio median {data['summary']['ratio']['median']}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
