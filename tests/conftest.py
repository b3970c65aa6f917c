"""Shared fixtures.

`local_http`: a real HTTP server on 127.0.0.1 (a random free port) in a background thread. A test
registers routes (path -> status, headers, body, optional delays) and reads back the requests made:

    def test_x(local_http):
        url = local_http.route("/a", "<html>…</html>", content_type="text/html; charset=utf-8")
        ...
        assert local_http.requests[0].path == "/a"

Unregistered paths answer 404. The server speaks HTTP/1.0 (one request per connection), so a route
without a Content-Length simply streams its body until the connection closes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from digests import DigestEngine


@pytest.fixture(scope="session")
def engine() -> DigestEngine:
    """One engine (one loaded spaCy model) for the whole test session, as in the bot."""
    return DigestEngine()


@dataclass(frozen=True)
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the response starts (to exercise timeouts)
    drip: float = 0.0  # seconds between body chunks (a server that trickles bytes)
    chunk_size: int = 1024
    content_length: bool = True  # False: no Content-Length header, the body ends when the connection closes


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # with the query string
    headers: dict[str, str]  # header names lower case
    body: bytes


class LocalHTTP:
    """The running server: `route()` to register responses, `requests` to see what arrived."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[RecordedRequest] = []
        self.stopping = threading.Event()  # wakes handlers that are sleeping in a delay at teardown
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        self.host, self.port = "127.0.0.1", self._server.server_address[1]
        self.base_url = f"http://{self.host}:{self.port}"
        # A short poll interval keeps shutdown (each test's teardown) fast.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="local_http", daemon=True)

    def url(self, path: str) -> str:
        return self.base_url + path

    def route(
        self,
        path: str,
        body: bytes | str = b"",
        *,
        status: int = 200,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        drip: float = 0.0,
        chunk_size: int = 1024,
        content_length: bool = True,
    ) -> str:
        """Register (or replace) the response for `path` (query ignored); returns its full URL."""
        all_headers = dict(headers or {})
        if content_type is not None:
            all_headers["Content-Type"] = content_type
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = Route(status, data, all_headers, delay, drip, chunk_size, content_length)
        return self.url(path)

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def paths(self) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _make_handler(server: LocalHTTP) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            server.record(RecordedRequest(self.command, self.path, headers, body))
            route = server.routes.get(urlsplit(self.path).path, Route(status=404, body=b"not found", headers={"Content-Type": "text/plain"}))
            if route.delay and server.stopping.wait(route.delay):
                return
            try:
                self.send_response(route.status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                if route.content_length:
                    self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                if self.command == "HEAD":
                    return
                for start in range(0, len(route.body), route.chunk_size):
                    self.wfile.write(route.body[start : start + route.chunk_size])
                    self.wfile.flush()
                    if route.drip and server.stopping.wait(route.drip):
                        return
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (size limit, timeout): that is what some tests want

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

    return Handler


@pytest.fixture
def local_http() -> Iterator[LocalHTTP]:
    server = LocalHTTP()
    server.start()
    try:
        yield server
    finally:
        server.stop()
