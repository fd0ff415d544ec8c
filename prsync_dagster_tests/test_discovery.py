"""Issue 11: ``owner/*`` in PRSYNC_REPOS registers every repository of an organisation or user.

Against the simulator (``GET /orgs/{org}/repos``, ``GET /users/{username}/repos`` with ``Link``
pagination), through the real sensor on a real instance.
"""

from __future__ import annotations

import json

import pytest
from dagster import (
    DagsterInstance,
    SensorResult,
    SkipReason,
    build_sensor_context,
    instance_for_test,
)
from github_api_simulator import GitHubSimulator

from prsync_dagster.automation import tracked_repositories
from prsync_dagster.errors import InvalidRepositoryName
from prsync_dagster.github.client import GitHubClient
from prsync_dagster.github.discovery import OwnerPattern, discover, parse_owner_pattern
from prsync_dagster_tests.sync_helpers import client_factory


@pytest.fixture
def instance():
    with instance_for_test() as instance:
        yield instance


def set_flags(sim: GitHubSimulator, full_name: str, **flags: bool) -> None:
    with sim.world.lock:
        repo = next(r for r in sim.world.repos.values() if r.full_name.lower() == full_name)
        for name, value in flags.items():
            setattr(repo, name, value)
        repo.data_version += 1


def client(sim: GitHubSimulator, owner: str) -> GitHubClient:
    return client_factory(sim)(owner)


def test_patterns_and_options() -> None:
    assert parse_owner_pattern("Acme/*") == OwnerPattern("Acme")
    assert parse_owner_pattern("acme/*?forks=1&archived=1") == OwnerPattern("acme", forks=True, archived=True)
    assert parse_owner_pattern("acme/widgets") is None
    with pytest.raises(InvalidRepositoryName, match="unknown option fork"):
        parse_owner_pattern("acme/*?fork=1")


def test_an_organisation_and_a_user_are_listed_without_forks_and_archived(simulator: GitHubSimulator) -> None:
    assert discover(client(simulator, "Acme"), OwnerPattern("Acme")) == [
        "acme/gadget-service",
        "acme/widgets",
    ]
    assert discover(client(simulator, "jdoe-dev"), OwnerPattern("jdoe-dev")) == ["jdoe-dev/sprocket.js"]
    set_flags(simulator, "acme/widgets", archived=True)
    set_flags(simulator, "acme/gadget-service", fork=True)
    assert discover(client(simulator, "acme"), OwnerPattern("acme")) == []
    assert discover(client(simulator, "acme"), OwnerPattern("acme", forks=True, archived=True)) == [
        "acme/gadget-service",
        "acme/widgets",
    ]


def test_listing_follows_pagination(simulator_factory) -> None:
    sim = simulator_factory("custom:repos=130,prs_per_repo=1,reviews_per_pr=1")
    found = discover(client(sim, "bench"), OwnerPattern("bench"))
    assert len(found) == 130
    assert sim.statistics.snapshot()["by_route"]["GET /orgs/{org}/repos"] == 2


def test_sensor_registers_an_organisation_and_unregisters_what_disappeared(
    instance, simulator: GitHubSimulator, monkeypatch
) -> None:
    monkeypatch.delenv("GITHUB_APP_ID", raising=False)
    monkeypatch.setenv("GITHUB_TOKEN", simulator.token)
    monkeypatch.setenv("GITHUB_API_URL", simulator.url)
    monkeypatch.setenv("PRSYNC_REPOS", "acme/*, jdoe-dev/sprocket.js")
    result = tracked_repositories(build_sensor_context(instance=instance))
    assert isinstance(result, SensorResult)
    added = [key for request in result.dynamic_partitions_requests for key in request.partition_keys]
    assert added == ["acme/gadget-service", "acme/widgets", "jdoe-dev/sprocket.js"]
    assert [r.partition_key for r in result.run_requests] == added
    instance.add_dynamic_partitions("repositories", added)

    # within the discovery interval nothing is listed again
    assert isinstance(
        tracked_repositories(build_sensor_context(instance=instance, cursor=result.cursor)), SkipReason
    )

    # an hour later: one repository was archived -> unregistered and reported, rows are not touched
    set_flags(simulator, "acme/widgets", archived=True)
    stale_cursor = json.dumps({**json.loads(result.cursor or "{}"), "at": 0})
    again = tracked_repositories(build_sensor_context(instance=instance, cursor=stale_cursor))
    assert isinstance(again, SensorResult)
    deletes = [
        r for r in again.dynamic_partitions_requests if type(r).__name__ == "DeleteDynamicPartitionsRequest"
    ]
    assert [key for r in deletes for key in r.partition_keys] == ["acme/widgets"]
    assert again.run_requests == []


def test_cli_repos_add_owner_star_registers_the_organisation(
    tmp_path, simulator: GitHubSimulator, monkeypatch
) -> None:
    from typer.testing import CliRunner

    from prsync_dagster import cli
    from prsync_dagster.partitions import REPOSITORIES

    for name in ("GITHUB_APP_ID", "PRSYNC_REPOS", "PRSYNC_WAREHOUSE_URL"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("GITHUB_TOKEN", simulator.token)
    monkeypatch.setenv("GITHUB_API_URL", simulator.url)
    set_flags(simulator, "acme/gadget-service", fork=True)
    simulator.reset_stats()

    result = CliRunner().invoke(cli.app, ["repos", "add", "Acme/*", "jdoe-dev/sprocket.js"])

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["added: acme/widgets", "added: jdoe-dev/sprocket.js"]
    # one listing for the organisation, one check for the named repository
    assert simulator.stats()["total_requests"] == 2
    with DagsterInstance.from_config(str(home)) as instance:
        assert sorted(instance.get_dynamic_partitions(REPOSITORIES)) == [
            "acme/widgets",
            "jdoe-dev/sprocket.js",
        ]
    forks = CliRunner().invoke(cli.app, ["repos", "add", "acme/*?forks=1"])
    assert forks.stdout.splitlines() == ["added: acme/gadget-service", "already registered: acme/widgets"]
