"""HTTP transport: a threading HTTP/1.1 server (keep-alive, Content-Length everywhere)."""

from __future__ import annotations

import contextlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from github_api_simulator.core import DEFAULT_TOKEN, Request, Response, SimulatorCore
from github_api_simulator.scenarios import ScenarioSpec

CONTROL_PREFIX = "/_simulator"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    core: SimulatorCore

    def __init__(self, address: tuple[str, int], core: SimulatorCore) -> None:
        self.core = core
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def close_all_connections(self) -> None:
        """Unblock keep-alive handler threads so ``stop()`` leaves nothing behind."""
        with self.connections_lock:
            conns = list(self.connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without TCP_NODELAY, Nagle plus the client's
    # delayed ACK adds ~40 ms to every keep-alive response.
    disable_nagle_algorithm = True
    server_version = "github.com"
    sys_version = ""
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests and benchmarks issue thousands of requests."""

    def version_string(self) -> str:
        return "github.com"

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        split = urlsplit(self.path)
        path = split.path or "/"
        query = parse_qsl(split.query, keep_blank_values=True)
        headers = {k.lower(): v for k, v in self.headers.items()}
        host = headers.get("host") or "{}:{}".format(*self.server.server_address[:2])
        core = self.server.core
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            resp = core.control(self.command, path, query, body)
        else:
            req = Request(self.command, path, query, headers, body, f"http://{host}")
            resp = core.handle(req)
        self._send(resp)

    def _send(self, resp: Response) -> None:
        if resp.disconnect:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(resp.status)
        for name, value in resp.headers:
            self.send_header(name, value)
        if resp.status != 304:
            self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if resp.status != 304 and resp.body:
            self.wfile.write(resp.body)

    do_GET = _handle
    do_POST = _handle
    do_PUT = _handle
    do_PATCH = _handle
    do_DELETE = _handle


class GitHubSimulator(SimulatorCore):
    """A GitHub API simulator listening on ``host:port`` (0 = any free port).

    >>> with GitHubSimulator(scenario="small", seed=7) as sim:  # doctest: +SKIP
    ...     Github(base_url=sim.url, auth=Auth.Token(sim.token)).get_repo("Acme/Widgets")
    """

    def __init__(
        self,
        scenario: str | ScenarioSpec = "small",
        seed: int = 7,
        token: str = DEFAULT_TOKEN,
        host: str = "127.0.0.1",
        port: int = 0,
        latency_ms: float = 0,
        rate_limit: int = 5000,
        graphql_rate_limit: int = 5000,
        rate_limit_window: int = 3600,
        exhausted_status: int = 403,
    ) -> None:
        super().__init__(
            scenario,
            seed,
            token,
            latency_ms,
            rate_limit=rate_limit,
            graphql_rate_limit=graphql_rate_limit,
            rate_limit_window=rate_limit_window,
            exhausted_status=exhausted_status,
        )
        self.host = host
        self.port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """REST base URL (GraphQL is at ``url + "/graphql"``)."""
        if self._server is None:
            raise RuntimeError("simulator not started")
        return f"http://{self.host}:{self.port}"

    @property
    def graphql_url(self) -> str:
        return self.url + "/graphql"

    def start(self) -> GitHubSimulator:
        """Bind and serve in a daemon thread; returns self."""
        if self._server is not None:
            return self
        self._server = _Server((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="github-simulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close open keep-alive connections."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_all_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> GitHubSimulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
