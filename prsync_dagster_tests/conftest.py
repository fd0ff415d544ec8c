"""Shared fixtures live in plugin modules, one per area, so each area owns its own file."""

pytest_plugins = [
    "prsync_dagster_tests.plugins.clock",
    "prsync_dagster_tests.plugins.simulator",
    "prsync_dagster_tests.plugins.warehouse",
]
