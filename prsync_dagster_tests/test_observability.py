"""Sync errors reach Sentry when SENTRY_DSN is set: sentry-sdk's real HTTP transport posts to a
local endpoint that stands in for sentry.io, and the event carries the repository, never the token."""

from __future__ import annotations

import gzip
import json
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from dagster import materialize
from github_api_simulator import GitHubSimulator

from prsync_dagster.assets import sync_github_repository
from prsync_dagster.resources import GitHubResource, WarehouseResource
from prsync_dagster_tests.plugins.dagster_home import NewInstance


class _Collector(BaseHTTPRequestHandler):
    envelopes: list[list[dict[str, Any]]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        items = [json.loads(line) for line in body.splitlines() if line.strip().startswith(b"{")]
        type(self).envelopes.append(items)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def sentry_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[dict[str, Any]]]]:
    handler = type("Collector", (_Collector,), {"envelopes": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("SENTRY_DSN", f"http://publickey@127.0.0.1:{server.server_address[1]}/42")
    yield handler.envelopes
    server.shutdown()


def test_failed_sync_is_reported_to_sentry_without_secrets(
    sentry_endpoint: list[list[dict[str, Any]]],
    simulator: GitHubSimulator,
    duckdb_url: str,
    new_instance: NewInstance,
) -> None:
    key = simulator.repos()[0].lower()
    simulator.revoke_token(simulator.token)
    with new_instance() as instance:
        instance.add_dynamic_partitions("repositories", [key])
        result = materialize(
            [sync_github_repository],
            partition_key=key,
            instance=instance,
            resources={
                "github": GitHubResource(token=simulator.token, api_url=simulator.url),
                "warehouse": WarehouseResource(url=duckdb_url),
            },
            raise_on_error=False,
        )
    assert not result.success
    events = [item for envelope in sentry_endpoint for item in envelope if "exception" in item]
    assert len(events) == 1
    event = events[0]
    assert event["tags"]["prsync.repository"] == key
    assert event["tags"]["prsync.error"] == "GitHubAuthError"
    assert event["exception"]["values"][-1]["value"] == "GitHub rejected the token: 401 Bad credentials"
    assert simulator.token not in json.dumps(sentry_endpoint)


def test_nothing_is_sent_without_a_dsn(monkeypatch: pytest.MonkeyPatch) -> None:
    from prsync_dagster.observability import report_sync_error

    monkeypatch.delenv("SENTRY_DSN", raising=False)
    assert report_sync_error(RuntimeError("boom"), repo="acme/widgets") is None
