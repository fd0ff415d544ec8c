"""``python -m github_api_simulator`` / ``github-api-simulator``: run the simulator until Ctrl-C/SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from types import FrameType

from github_api_simulator.core import DEFAULT_TOKEN
from github_api_simulator.server import GitHubSimulator


def main(argv: list[str] | None = None) -> int:
    """Start a simulator on a port, print its URL and token, serve until interrupted."""
    parser = argparse.ArgumentParser(prog="github-api-simulator", description="Run the GitHub API simulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument(
        "--scenario",
        default="small",
        help="small | team | tiny | custom:repos=1,prs_per_repo=3000,reviews_per_pr=3",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--rate-limit", type=int, default=5000, help="core and graphql points per window")
    parser.add_argument("--exhausted-status", type=int, choices=(403, 429), default=403)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    sim = GitHubSimulator(
        scenario=args.scenario,
        seed=args.seed,
        token=args.token,
        host=args.host,
        port=args.port,
        latency_ms=args.latency_ms,
        rate_limit=args.rate_limit,
        graphql_rate_limit=args.rate_limit,
        exhausted_status=args.exhausted_status,
    )
    sim.start()
    took = time.perf_counter() - started
    print(f"GitHub simulator ({args.scenario}, seed {args.seed}) ready in {took:.2f}s", flush=True)
    print(f"URL:     {sim.url}", flush=True)
    print(f"GraphQL: {sim.graphql_url}", flush=True)
    print(f"Token:   {sim.token}", flush=True)
    print(f"Control: {sim.url}/_simulator/  (repos: {', '.join(sim.repos()[:5])}...)", flush=True)

    done = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        while not done.wait(0.5):
            pass
    finally:
        sim.stop()
        print("GitHub simulator stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
