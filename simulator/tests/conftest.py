"""The simulator's own tests: fixtures from the package's pytest plugin."""

from pathlib import Path

pytest_plugins = ["github_api_simulator.pytest_plugin"]

#: GitHub's real recorded exchanges the simulator is held against (copied from GitHub).
GITHUB_REAL_DIR = Path(__file__).resolve().parent / "fixtures" / "github_real"
