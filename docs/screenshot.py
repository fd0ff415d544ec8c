"""Take ``docs/dagster-partitions.png``: the Dagster UI's partitions view after a real backfill.

Usage (needs a Chromium binary; on Debian ``apt-get install -y chromium``; not needed in CI)::

    uv run python docs/screenshot.py [--out docs/dagster-partitions.png] [--chromium chromium]

What it does, so that the picture shows the product and not a mock-up: starts the bundled GitHub
API simulator (``small`` scenario), ``dagster-webserver`` and ``dagster-daemon`` on a temporary
``DAGSTER_HOME`` with the repository's ``dagster.yaml`` and a temporary DuckDB warehouse, adds the
simulator's repositories with the UI's "Add partition" mutation, backfills them with the UI's
backfill mutation, waits for the daemon to finish, then opens the asset's Partitions tab in headless
Chromium and captures it over the DevTools protocol once the partition keys are rendered (the UI is
a JavaScript app: a plain ``--screenshot`` often catches the loading spinner).

The process and GraphQL helpers are the end-to-end test's (``prsync_dagster_tests/test_e2e_backfill``).
"""

from __future__ import annotations

import argparse
import base64
import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from github_api_simulator import GitHubSimulator  # noqa: E402

from prsync_dagster_tests.test_e2e_backfill import (  # noqa: E402
    add_partition,
    dagster_stack,
    launch_asset_backfill,
    stack_environment,
    wait_for_backfill,
)

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1600,1000",
]


class DevTools:
    """The few Chrome DevTools protocol calls needed: navigate, evaluate, capture."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.next_id = 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=60))
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))

    def evaluate(self, expression: str) -> Any:
        return self.call("Runtime.evaluate", expression=expression)["result"].get("value")

    def text(self) -> str:
        return str(self.evaluate("document.body ? document.body.innerText : ''") or "")


def start_chromium(binary: str, profile: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start headless Chromium with a DevTools port; return it and its first page's websocket URL."""
    process = subprocess.Popen(
        [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 30
    while not port_file.exists() or not port_file.read_text().strip():
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError(f"{binary} did not open a DevTools port")
        time.sleep(0.2)
    port = port_file.read_text().split()[0]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
        targets = json.load(response)
    page = next(target for target in targets if target["type"] == "page")
    return process, str(page["webSocketDebuggerUrl"])


def capture(binary: str, url: str, must_show: list[str], out: Path, profile: Path) -> None:
    """Open ``url`` and save a PNG once every string in ``must_show`` is on the page."""
    process, websocket_url = start_chromium(binary, profile)
    try:
        with connect(websocket_url, max_size=64 * 1024 * 1024, open_timeout=30) as socket:
            save_when_shown(DevTools(socket), url, must_show, out)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


#: First visits show a "Join the Dagster community" dialog; its "Skip" button dismisses it.
DISMISS_COMMUNITY_DIALOG = """
(() => {
  const skip = Array.from(document.querySelectorAll('button')).find(b => b.innerText.trim() === 'Skip');
  if (skip) { skip.click(); return true; }
  return false;
})()
"""


def save_when_shown(tools: DevTools, url: str, must_show: list[str], out: Path) -> None:
    """Navigate, wait for ``must_show``, dismiss the first-visit dialog, save the viewport as PNG."""
    tools.call(
        "Emulation.setDeviceMetricsOverride", width=1600, height=1000, deviceScaleFactor=1, mobile=False
    )
    tools.call("Page.enable")
    tools.call("Page.navigate", url=url)
    deadline = time.monotonic() + 60
    while not all(item in tools.text() for item in must_show):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the page never showed {must_show}; it showed:\n{tools.text()[:2000]}")
        time.sleep(0.5)
    time.sleep(2)  # the community dialog appears a moment after the page
    tools.evaluate(DISMISS_COMMUNITY_DIALOG)
    time.sleep(3)  # let the partition list and the selected partition's events finish drawing
    shot = tools.call("Page.captureScreenshot", format="png", captureBeyondViewport=False)
    out.write_bytes(base64.b64decode(shot["data"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "dagster-partitions.png")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    parser.add_argument("--asset", default="github/pull_requests", help="asset whose partitions to show")
    parser.add_argument("--partition", help="partition to select (default: the last repository)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="prsync-shot-") as scratch, GitHubSimulator("small", 7) as sim:
        work = Path(scratch)
        warehouse_url = f"duckdb://{work / 'prsync.duckdb'}"
        env = stack_environment(work / "dagster_home", sim, warehouse_url)
        keys = sorted(repo.lower() for repo in sim.repos())
        with dagster_stack(work / "dagster_home", env) as stack:
            for key in keys:
                add_partition(stack, key)
            backfill = wait_for_backfill(stack, launch_asset_backfill(stack, keys))
            if backfill["status"] != "COMPLETED_SUCCESS":
                raise SystemExit(f"backfill ended {backfill['status']}; not taking a screenshot")
            (work / "chromium").mkdir()
            selected = urllib.parse.quote(args.partition or keys[-1], safe="")
            url = f"{stack.url}/assets/{args.asset}?view=partitions&partition={selected}"
            capture(args.chromium, url, [*keys, "full_refresh"], args.out, work / "chromium")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
