"""GitHub App authentication against the simulator (point 12).

App id and private key come from the environment (``GITHUB_APP_ID``, ``GITHUB_APP_PRIVATE_KEY``)
through :func:`prsync_dagster.resources.github_from_env`; the installation is looked up per
repository owner, so one App installed in several accounts serves them all; installation tokens
are refreshed before they expire; neither the key nor any token shows up in logs or the warehouse.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable

import pytest
from dagster import DagsterEventType, DagsterInstance, materialize
from dagster._serdes import serialize_value
from github_api_simulator import GitHubSimulator, generate_app_key_pair

from prsync_dagster.assets import sync_github_repository
from prsync_dagster.errors import RepositoryNotFound
from prsync_dagster.resources import GitHubResource, WarehouseResource, github_from_env
from prsync_dagster.sync import ClientFactory, SyncOptions, sync_repository
from prsync_dagster.warehouse import open_warehouse
from prsync_dagster.warehouse.base import Warehouse
from prsync_dagster_tests.fault_helpers import DUCKDB_ONLY
from prsync_dagster_tests.plugins.dagster_home import NewInstance
from prsync_dagster_tests.sync_helpers import differences

APP_ID = 4242


@pytest.fixture(scope="module")
def key_pair() -> tuple[str, str]:
    return generate_app_key_pair()


def configure_app(sim: GitHubSimulator, key_pair: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Register the App on the simulator and configure it the way a deployment configures it."""
    private_key, public_key = key_pair
    sim.register_app(app_id=APP_ID, public_key=public_key)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.setenv("GITHUB_APP_ID", str(APP_ID))
    monkeypatch.setenv("GITHUB_APP_PRIVATE_KEY", private_key)
    monkeypatch.setenv("GITHUB_API_URL", sim.url)


@pytest.fixture
def app_env(
    simulator: GitHubSimulator, key_pair: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> GitHubSimulator:
    configure_app(simulator, key_pair, monkeypatch)
    return simulator


def app_factory(sim: GitHubSimulator) -> ClientFactory:
    """The client factory the asset builds, with the App credentials of the environment."""
    resource = GitHubResource(
        app_id=os.environ["GITHUB_APP_ID"],
        app_private_key=os.environ["GITHUB_APP_PRIVATE_KEY"],
        api_url=sim.url,
    )
    return resource.client_factory()


def access_token_requests(sim: GitHubSimulator) -> int:
    return int(sim.stats()["by_route"].get("POST /app/installations/{installation_id}/access_tokens", 0))


@DUCKDB_ONLY
def test_app_from_environment_serves_every_account_it_is_installed_in(
    app_env: GitHubSimulator, warehouse_url: str, instance: DagsterInstance
) -> None:
    sim = app_env
    sim.install_app(APP_ID, "Acme")  # an organization: two repositories
    sim.install_app(APP_ID, "jDoe-Dev")  # a user account
    resources = {"github": github_from_env(), "warehouse": WarehouseResource(url=warehouse_url)}
    for repo in sim.repos():
        key = repo.lower()
        instance.add_dynamic_partitions("repositories", [key])
        result = materialize(
            [sync_github_repository], partition_key=key, instance=instance, resources=resources
        )
        assert result.success
    with open_warehouse(warehouse_url) as warehouse:
        for repo in sim.repos():
            assert differences(sim, warehouse, repo) == []
    # one installation lookup per owner (cached for the process), and tokens of two installations
    by_route = sim.stats()["by_route"]
    lookups = by_route.get("GET /orgs/{org}/installation", 0) + by_route.get(
        "GET /users/{username}/installation", 0
    )
    assert lookups == 2
    assert access_token_requests(sim) >= 2
    installations = {info.installation_id for info in sim.tokens.values() if info.kind == "installation"}
    assert len(installations) == 2


@DUCKDB_ONLY
def test_app_not_installed_on_an_owner_is_a_clear_permanent_failure(
    app_env: GitHubSimulator, warehouse_url: str, instance: DagsterInstance
) -> None:
    sim = app_env
    sim.install_app(APP_ID, "Acme")
    key = "jdoe-dev/sprocket.js"
    instance.add_dynamic_partitions("repositories", [key])
    result = materialize(
        [sync_github_repository],
        partition_key=key,
        instance=instance,
        resources={"github": github_from_env(), "warehouse": WarehouseResource(url=warehouse_url)},
        raise_on_error=False,
    )
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    user_failure = failure.step_failure_data.user_failure_data
    assert user_failure is not None
    assert user_failure.description == ("the GitHub App is not installed on 'jdoe-dev'")
    assert not [e for e in result.all_events if e.event_type == DagsterEventType.STEP_UP_FOR_RETRY]


@DUCKDB_ONLY
def test_installation_limited_to_selected_repositories(
    app_env: GitHubSimulator, warehouse: Warehouse
) -> None:
    sim = app_env
    sim.install_app(APP_ID, "Acme", repositories=["Widgets"])
    factory = app_factory(sim)
    sync_repository("acme/widgets", factory, warehouse, SyncOptions(strategy="rest"))
    assert differences(sim, warehouse, "Acme/Widgets") == []
    with pytest.raises(RepositoryNotFound, match="repository not found or no access"):
        sync_repository("acme/gadget-service", factory, warehouse, SyncOptions(strategy="rest"))


def test_installation_tokens_are_refreshed_before_they_expire(
    simulator_factory: Callable[..., GitHubSimulator],
    key_pair: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
    duckdb_url: str,
) -> None:
    """Tokens that live 2 s, a sync that takes longer: it completes without a single 401.

    PyGithub renews an installation token 20 s before it expires, so with a 2 s lifetime every
    request gets a fresh one; with GitHub's hour, once an hour. (Not less than 2 s: the simulator
    gives whole-second expiry times, as GitHub does, so a 1 s token may live only a few ms.)
    The latency only makes the sync outlive a token: every request (token requests included)
    waits it, so the sync lasts at least requests x latency.
    """
    sim = simulator_factory("tiny")
    configure_app(sim, key_pair, monkeypatch)
    sim.install_app(APP_ID, "Acme")
    sim.set_installation_token_ttl(2)
    sim.set_latency(50)
    warehouse = open_warehouse(duckdb_url)
    warehouse.migrate()
    started = time.monotonic()
    sync_repository("acme/tiny", app_factory(sim), warehouse, SyncOptions(strategy="rest"))
    assert time.monotonic() - started > 2.5, "the sync outlived any one token"
    stats = sim.stats()
    assert "401" not in stats["by_status"]
    assert access_token_requests(sim) >= 3
    assert differences(sim, warehouse, "Acme/Tiny") == []


@DUCKDB_ONLY
def test_app_key_and_installation_tokens_appear_nowhere(
    app_env: GitHubSimulator,
    warehouse_url: str,
    key_pair: tuple[str, str],
    caplog: pytest.LogCaptureFixture,
    new_instance: NewInstance,
) -> None:
    sim = app_env
    sim.install_app(APP_ID, "Acme")
    overrides = {
        "python_logs": {"managed_python_loggers": ["github", "urllib3"], "python_log_level": "DEBUG"}
    }
    caplog.set_level(logging.DEBUG)
    with new_instance(overrides) as instance:
        instance.add_dynamic_partitions("repositories", ["acme/widgets"])
        result = materialize(
            [sync_github_repository],
            partition_key="acme/widgets",
            instance=instance,
            resources={"github": github_from_env(), "warehouse": WarehouseResource(url=warehouse_url)},
        )
        assert result.success
        event_log = serialize_value(instance.all_logs(result.run_id))
    assert "access_tokens" in caplog.text, "PyGithub's debug lines were captured"
    tokens = [token for token, info in sim.tokens.items() if info.kind == "installation"]
    assert tokens
    key_body = key_pair[0].splitlines()[1]  # a line of the PEM body
    with open_warehouse(warehouse_url) as warehouse:
        stored = repr(warehouse.list_states()) + repr(warehouse.pull_requests("acme/widgets"))
    for where, text in {"logging": caplog.text, "event log": event_log, "warehouse": stored}.items():
        assert key_body not in text, where
        assert not [token for token in tokens if token in text], where


def test_star_star_registers_every_repository_of_every_installation(
    app_env: GitHubSimulator, instance: DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11.4: with GitHub App authentication, ``*/*`` in PRSYNC_REPOS is every repository of
    every installation (an installation limited to selected repositories lists only those)."""
    from dagster import SensorResult, build_sensor_context

    from prsync_dagster.automation import tracked_repositories

    sim = app_env
    sim.install_app(APP_ID, "Acme", repositories=["Widgets"])
    sim.install_app(APP_ID, "jDoe-Dev")
    monkeypatch.setenv("PRSYNC_REPOS", "*/*")
    result = tracked_repositories(build_sensor_context(instance=instance))
    assert isinstance(result, SensorResult)
    added = [key for request in result.dynamic_partitions_requests for key in request.partition_keys]
    assert added == ["acme/widgets", "jdoe-dev/sprocket.js"]
    assert [r.partition_key for r in result.run_requests] == added


def test_star_star_without_a_github_app_is_reported_not_registered(
    simulator: GitHubSimulator, instance: DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prsync_dagster.settings import Settings
    from prsync_dagster.tracking import tracked

    monkeypatch.delenv("GITHUB_APP_ID", raising=False)
    monkeypatch.setenv("GITHUB_TOKEN", simulator.token)
    monkeypatch.setenv("GITHUB_API_URL", simulator.url)
    monkeypatch.setenv("PRSYNC_REPOS", "*/*")
    found = tracked(Settings.from_env(), github_from_env(), None)
    assert found.keys == []
    assert found.problems == [
        "PRSYNC_REPOS: could not list */*: "
        "'*/*' lists a GitHub App's installations: set GITHUB_APP_ID and its key"
    ]
