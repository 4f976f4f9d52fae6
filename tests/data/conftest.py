"""Shared fixtures: a local HTTP server for download tests (the tests never touch the network),
and a check that an error message names the file and the problem."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        server: LocalServer = self.server.owner  # type: ignore[attr-defined]
        server.requests.append(self.path)
        route = server.routes.get(self.path)
        if route is None:
            self.send_error(404, "no such file")
            return
        status, body, declared = route
        self.send_response(status)
        self.send_header("Content-Length", str(len(body) if declared is None else declared))
        self.end_headers()
        # HTTP/1.0: the connection closes after this, so a short body is a cut transfer.
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class LocalServer:
    """``routes[path] = (status, body, declared_length_or_None)``; ``requests`` logs paths."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, bytes, int | None]] = {}
        self.requests: list[str] = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.owner = self  # type: ignore[attr-defined]
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def serve(self, path: str, body: bytes, status: int = 200, declared: int | None = None):
        self.routes[path] = (status, body, declared)
        return self.base + path

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def http_server():
    server = LocalServer()
    yield server
    server.close()


@pytest.fixture
def raises_naming():
    """``check(error, path, words, fn, *args)``: ``fn(*args)`` raises ``error`` whose message
    names ``path`` and contains each of ``words``."""

    def check(error: type[Exception], path, words, fn, *args) -> None:
        with pytest.raises(error) as info:
            fn(*args)
        message = str(info.value)
        assert str(path) in message
        for word in words:
            assert word in message

    return check
