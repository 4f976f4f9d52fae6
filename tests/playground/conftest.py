"""Fixtures for the playground's server tests: a real ``PlaygroundServer`` on 127.0.0.1 and
small HTTP helpers (``http.client``; no mocks), including a Server-Sent Events reader."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from neuralab.playground.server import PlaygroundServer

TIMEOUT = 20.0  # seconds any single read may take before the test fails (never reached if OK)


class Response:
    """Status, headers and body of one answered request."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> Any:
        return json.loads(self.body)


class Client:
    """Requests to one running server; the token goes in a header unless told otherwise."""

    def __init__(self, server: PlaygroundServer) -> None:
        self.server = server
        self.host, self.port, self.token = "127.0.0.1", server.port, server.token

    def request(self, method: str, path: str, body: bytes | str | dict | list | None = None, *,
                token: str | None | bool = True, headers: dict[str, str] | None = None,
                host: str | None = None) -> Response:
        """One request on a fresh connection. ``token``: True = the server's, a string = that
        one, None/False = none. ``host`` replaces the Host header."""
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
        try:
            conn.putrequest(method, path, skip_host=host is not None,
                            skip_accept_encoding=True)
            if host is not None:
                conn.putheader("Host", host)
            sent = {"Content-Length": str(len(body or b""))} if method == "POST" else {}
            if token:
                sent["X-Neuralab-Token"] = self.token if token is True else str(token)
            sent.update(headers or {})
            for key, value in sent.items():
                conn.putheader(key, value)
            conn.endheaders(body)
            answer = conn.getresponse()
            return Response(answer.status, dict(answer.getheaders()), answer.read())
        finally:
            conn.close()

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Response:
        return self.request("POST", path, {} if body is None else body, **kwargs)

    def create(self, config: dict | None = None) -> str:
        """A new session's id (asserting 201)."""
        answer = self.post("/api/sessions", config or {})
        assert answer.status == 201, answer.body
        return answer.json()["id"]

    def stream(self, session_id: str) -> EventStream:
        return EventStream(self, session_id)


class EventStream:
    """A session's ``/events`` stream read event by event; ``close()`` drops the socket."""

    def __init__(self, client: Client, session_id: str) -> None:
        self.conn = http.client.HTTPConnection(client.host, client.port, timeout=TIMEOUT)
        self.conn.request("GET", f"/api/sessions/{session_id}/events",
                          headers={"X-Neuralab-Token": client.token})
        self.response = self.conn.getresponse()
        assert self.response.status == 200, self.response.read()
        assert self.response.getheader("Content-Type") == "text/event-stream"

    def next(self) -> tuple[str, Any] | None:
        """The next (event, data) pair, or None at the end of the stream."""
        event, data = None, None
        while True:
            line = self.response.readline()
            if not line:
                return None
            text = line.decode().rstrip("\n")
            if text.startswith("event: "):
                event = text[len("event: "):]
            elif text.startswith("data: "):
                data = json.loads(text[len("data: "):])
            elif text == "" and event is not None:
                return event, data

    def until(self, wanted: str | Callable[[str, Any], bool], limit: int = 500
              ) -> tuple[str, Any]:
        """Read until an event named ``wanted`` (or for which ``wanted(event, data)`` holds)."""
        for _ in range(limit):
            item = self.next()
            assert item is not None, f"the stream ended before {wanted!r}"
            if (item[0] == wanted) if isinstance(wanted, str) else wanted(*item):
                return item
        raise AssertionError(f"no {wanted!r} in {limit} events")

    def close(self) -> None:
        self.response.close()
        self.conn.close()


def wait_for(predicate: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    """Poll ``predicate`` until it holds; fail after ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.01)


@pytest.fixture
def make_server() -> Iterator[Callable[..., PlaygroundServer]]:
    """Start ``PlaygroundServer(port=0, **kwargs)`` serving in a daemon thread; every server
    started is shut down and closed after the test."""
    started: list[tuple[PlaygroundServer, threading.Thread]] = []

    def start(**kwargs: Any) -> PlaygroundServer:
        server = PlaygroundServer(port=0, **kwargs)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                  daemon=True)
        thread.start()
        started.append((server, thread))
        return server

    yield start
    for server, thread in started:
        server.shutdown()
        server.server_close()
        thread.join(TIMEOUT)


@pytest.fixture
def server(make_server: Callable[..., PlaygroundServer]) -> PlaygroundServer:
    return make_server()


@pytest.fixture
def client(server: PlaygroundServer) -> Client:
    return Client(server)


# Test modules take the helpers as fixtures: ``from conftest import ...`` would find whichever
# conftest module pytest imported last under that name (tests/ has one too).
@pytest.fixture(name="client_for")
def client_for_fixture() -> type[Client]:
    """``client_for(server)``: a Client of another server (from ``make_server``)."""
    return Client


@pytest.fixture(name="wait_for")
def wait_for_fixture() -> Callable[..., None]:
    """``wait_for(predicate, timeout=20)``: poll until it holds, else fail."""
    return wait_for


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """Mark a test whose body failed (``item.failed_call``), so that the browser tests'
    fixture can leave screenshots of the failure behind."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.failed_call = report.failed
