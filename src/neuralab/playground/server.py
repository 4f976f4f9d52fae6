"""The playground's HTTP server: the standard library's ``http.server`` and Server-Sent Events.

Why no web framework: the data flow is one-way (frames from the trainer to the page, small
JSON requests back), which Server-Sent Events carry over plain HTTP; the browser's
``EventSource`` reconnects by itself; the tests need only ``urllib``. One thread per request
(``ThreadingHTTPServer``); a session's training runs in the thread of its event stream.

Safety, for a server that runs code on the user's machine:
- it binds 127.0.0.1 unless told otherwise, and answers only requests whose ``Host`` header
  names the address it serves (a page on another site that re-binds its DNS name to 127.0.0.1
  sends its own host name, so it is refused);
- every ``/api/`` request carries a random token made at launch (in the printed URL): another
  site can neither read it nor guess it, so it cannot drive or read a session;
- bodies are at most ``MAX_BODY`` bytes (refused from ``Content-Length`` before reading),
  points and canvas sizes are bounded, the number of sessions is bounded;
- static files come from a list made at start-up; no path from a request is ever opened.
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
import sys
import threading
import time
import traceback
import urllib.parse
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any

from .config import ConfigError, PlaygroundConfig
from .session import Session, SessionClosedError

MAX_BODY = 1 << 20              # bytes of one request body (JSON, CSV text, a canvas)
DEFAULT_MAX_SESSIONS = 8        # browser tabs training at once
DETACHED_SECONDS = 30.0         # a session with no open stream for this long is dropped
DEFAULT_MAX_FPS = 30.0
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                 ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml",
                 ".png": "image/png", ".ico": "image/x-icon",
                 ".json": "application/json; charset=utf-8"}
LANGUAGES = ("en", "ko")


class RequestError(Exception):
    """An HTTP error with a one-line message for the page."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _static_files() -> dict[str, tuple[bytes, str]]:
    """Every servable asset, read once: name → (bytes, content type)."""
    files: dict[str, tuple[bytes, str]] = {}
    folder = resources.files(__package__) / "static"
    if folder.is_dir():
        for entry in folder.iterdir():
            suffix = "." + entry.name.rsplit(".", 1)[-1] if "." in entry.name else ""
            if entry.is_file() and suffix in CONTENT_TYPES:
                files[entry.name] = (entry.read_bytes(), CONTENT_TYPES[suffix])
    return files


class DigitsTab:
    """The "draw a digit" tab's model: trained here on the digits set, or read from a file."""

    def __init__(self, model_path: str | None) -> None:
        self.lock = threading.Lock()
        self.model: Any = None
        self.fixed = model_path is not None
        if model_path is not None:
            from .digits import DigitModel

            self.model = DigitModel.from_file(model_path)

    def info(self) -> dict[str, Any]:
        model = self.model
        return {"ready": model is not None, "fixed": self.fixed,
                "source": None if model is None else model.source,
                "side": None if model is None else model.side,
                "classes": [] if model is None else list(model.classes),
                "accuracy": None if model is None else model.accuracy}

    def train(self) -> dict[str, Any]:
        if self.fixed:
            raise RequestError(HTTPStatus.CONFLICT, f"the digits tab uses {self.model.source} "
                               f"(given with --model); restart without --model to train here")
        with self.lock:  # a second request waits for the first training and reuses it
            if self.model is None:
                from .digits import DigitModel

                self.model = DigitModel.train_on_digits()
        return self.info()

    def predict(self, payload: object) -> dict[str, Any]:
        from .digits import decode_canvas
        from .session import b64

        model = self.model
        if model is None:
            raise RequestError(HTTPStatus.CONFLICT, "no digit model yet: press Train first")
        gray = decode_canvas(payload)
        image, probabilities = model.predict(gray)
        return {"side": model.side, "input": b64((image * 255).round(), "uint8"),
                "probabilities": [float(p) for p in probabilities],
                "classes": list(model.classes)}


class PlaygroundServer(ThreadingHTTPServer):
    """``neuralab playground``'s server. ``url`` is the address to open (with the token)."""

    daemon_threads = True
    # POSIX SO_REUSEADDR lets a restarted playground take its port back at once (connections
    # of the last run may linger in TIME_WAIT) yet never binds a port another server listens
    # on; on Windows it would, so it stays off there.
    allow_reuse_address = os.name != "nt"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, lang: str = "en",
                 model_path: str | None = None, max_sessions: int = DEFAULT_MAX_SESSIONS,
                 max_fps: float = DEFAULT_MAX_FPS, quiet: bool = True) -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"lang: expected en or ko, got {lang!r}")
        if isinstance(max_sessions, bool) or not isinstance(max_sessions, int) or \
                not 1 <= max_sessions <= 64:
            raise ValueError(f"max_sessions: expected an integer from 1 to 64, got "
                             f"{max_sessions!r}")
        self.digits = DigitsTab(model_path)  # a bad --model fails before the port is taken
        self.lang, self.max_sessions, self.max_fps, self.quiet = lang, max_sessions, max_fps, quiet
        self.token = secrets.token_urlsafe(24)
        self.static = _static_files()
        self.sessions: dict[str, Session] = {}
        self.sessions_lock = threading.Lock()
        super().__init__((host, port), Handler)
        self.host, self.port = host, self.server_address[1]
        shown = f"[{host}]" if ":" in host else host
        self.allowed_hosts = {f"{shown}:{self.port}"}
        if host in ("127.0.0.1", "localhost", "::1", "0.0.0.0", "::"):
            self.allowed_hosts |= {f"127.0.0.1:{self.port}", f"localhost:{self.port}",
                                   f"[::1]:{self.port}"}

    @property
    def url(self) -> str:
        shown = "127.0.0.1" if self.host in ("0.0.0.0", "::") else (
            f"[{self.host}]" if ":" in self.host else self.host)
        return f"http://{shown}:{self.port}/?token={self.token}&lang={self.lang}"

    # ---- sessions ----------------------------------------------------------------------------

    def create_session(self, changes: object) -> Session:
        config = PlaygroundConfig.from_json(changes)  # validate before taking a slot
        with self.sessions_lock:
            self._reap()
            if len(self.sessions) >= self.max_sessions:
                raise RequestError(HTTPStatus.SERVICE_UNAVAILABLE,
                                   f"the playground already trains {self.max_sessions} tabs "
                                   f"(--max-sessions); close one and reload")
            session = Session(config)
            session.id = secrets.token_urlsafe(12)
            self.sessions[session.id] = session
        return session

    def session(self, session_id: str) -> Session:
        with self.sessions_lock:
            self._reap()
            session = self.sessions.get(session_id)
        if session is None:
            raise RequestError(HTTPStatus.NOT_FOUND, "no such session (it ended or the server "
                                                     "restarted); reload the page")
        return session

    def close_session(self, session_id: str) -> None:
        with self.sessions_lock:
            session = self.sessions.pop(session_id, None)
        if session is not None:
            session.close()

    def _reap(self) -> None:
        """Drop sessions whose tab is gone: no stream for ``DETACHED_SECONDS``."""
        now = time.monotonic()
        for key, session in list(self.sessions.items()):
            if session.closed or (not session.streaming
                                  and now - session.last_seen > DETACHED_SECONDS):
                del self.sessions[key]
                session.close()

    def server_close(self) -> None:
        with self.sessions_lock:
            for session in self.sessions.values():
                session.close()
            self.sessions.clear()
        super().server_close()


class Handler(BaseHTTPRequestHandler):
    """Routes one request; every answer is JSON except the page, assets, stream and export."""

    server: PlaygroundServer
    protocol_version = "HTTP/1.1"
    # A connection that sends nothing (or stalls a body, or stops reading its stream) for this
    # long is dropped, so that it cannot hold a thread forever.
    timeout = 30
    server_version = "neuralab-playground"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        if not self.server.quiet:
            super().log_message(format, *args)

    # ---- plumbing ----------------------------------------------------------------------------

    def _send(self, status: int, body: bytes, content_type: str,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, payload: Any) -> None:
        body = json.dumps(payload, allow_nan=False, separators=(",", ":")).encode()
        self._send(status, body, "application/json; charset=utf-8")

    def _error(self, status: int, message: str) -> None:
        self._json(status, {"error": " ".join(message.split())[:500]})

    def _check_host(self) -> None:
        host = self.headers.get("Host", "")
        if host.lower() not in self.server.allowed_hosts:
            raise RequestError(HTTPStatus.FORBIDDEN,
                               f"Host {host[:80]!r} is not this playground's address "
                               f"({sorted(self.server.allowed_hosts)[0]})")
        origin = self.headers.get("Origin")
        if origin is not None and origin != "null":
            parsed = urllib.parse.urlsplit(origin)
            if parsed.netloc.lower() not in self.server.allowed_hosts:
                raise RequestError(HTTPStatus.FORBIDDEN, f"requests from {origin[:80]!r} "
                                                         f"are not allowed")

    def _check_token(self, query: dict[str, list[str]]) -> None:
        given = self.headers.get("X-Neuralab-Token") or (query.get("token") or [""])[0]
        if not hmac.compare_digest(given.encode(), self.server.token.encode()):
            raise RequestError(HTTPStatus.FORBIDDEN,
                               "missing or wrong token: open the URL neuralab playground "
                               "printed (it ends with ?token=…)")

    def _body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            raise RequestError(HTTPStatus.LENGTH_REQUIRED,
                               "send the body with a Content-Length, not chunked")
        text = self.headers.get("Content-Length", "0")
        if not text.isdigit():
            self.close_connection = True
            raise RequestError(HTTPStatus.BAD_REQUEST, f"bad Content-Length {text[:40]!r}")
        length = int(text)
        if length > MAX_BODY:
            self.close_connection = True  # the unread body must not be parsed as a request
            raise RequestError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                               f"request body of {length:,} bytes is over the limit of "
                               f"{MAX_BODY:,}")
        return self.rfile.read(length)

    def _json_body(self) -> Any:
        from ..io.files import parse_json

        body = self._body()
        if not body.strip():
            return {}
        try:
            return parse_json(body)
        except ValueError as error:
            raise RequestError(HTTPStatus.BAD_REQUEST, f"the request body is not valid JSON "
                                                       f"({error})") from None

    # ---- routing -----------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        if self.path.split("?")[0].startswith("/api/"):  # a HEAD must not start a stream
            self._error(HTTPStatus.METHOD_NOT_ALLOWED, "HEAD is for the page and its files")
        else:
            self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        try:
            self._check_host()
            url = urllib.parse.urlsplit(self.path)
            query = urllib.parse.parse_qs(url.query)
            parts = [p for p in url.path.split("/") if p]
            if method == "GET" and not parts:
                return self._static("index.html")
            if method == "GET" and len(parts) == 2 and parts[0] == "static":
                return self._static(parts[1])
            if not parts or parts[0] != "api":
                raise RequestError(HTTPStatus.NOT_FOUND, f"no page {url.path[:80]!r}")
            self._check_token(query)
            self._api(method, parts[1:])
        except RequestError as error:
            self._error(error.status, str(error))
        except SessionClosedError as error:
            self._error(HTTPStatus.GONE, str(error))
        except (ConfigError, ValueError) as error:
            self._error(HTTPStatus.BAD_REQUEST, str(error))
        except ImportError as error:
            self._error(HTTPStatus.SERVICE_UNAVAILABLE, str(error))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as error:  # a bug: the page gets one line, the terminal the trace
            traceback.print_exc(file=sys.stderr)
            self._error(HTTPStatus.INTERNAL_SERVER_ERROR,
                        f"internal error ({type(error).__name__}); see the terminal")

    def _static(self, name: str) -> None:
        asset = self.server.static.get(name)
        if asset is None:
            raise RequestError(HTTPStatus.NOT_FOUND, f"no file {name[:80]!r}")
        body, content_type = asset
        self._send(HTTPStatus.OK, body, content_type)

    def _api(self, method: str, parts: list[str]) -> None:
        server = self.server
        if (method, *parts) == ("GET", "info"):
            defaults = PlaygroundConfig().to_json()
            from .. import __version__

            return self._json(HTTPStatus.OK, {
                "lang": server.lang, "version": __version__, "defaults": defaults,
                "digits": server.digits.info(),
                "limits": {"max_body": MAX_BODY, "max_sessions": server.max_sessions}})
        if (method, *parts) == ("POST", "sessions"):
            session = server.create_session(self._json_body())
            return self._json(HTTPStatus.CREATED,
                              {"id": session.id, "config": session.config.to_json()})
        if (method, *parts) == ("POST", "digits", "train"):
            self._body()
            return self._json(HTTPStatus.OK, server.digits.train())
        if (method, *parts) == ("POST", "digits", "predict"):
            return self._json(HTTPStatus.OK, server.digits.predict(self._json_body()))
        if len(parts) != 3 or parts[0] != "sessions":
            raise RequestError(HTTPStatus.NOT_FOUND, f"no API {'/'.join(parts)[:80]!r}")
        action = parts[2]
        if (method, action) == ("POST", "close"):
            self._body()
            server.close_session(parts[1])
            return self._json(HTTPStatus.OK, {"closed": True})
        session = server.session(parts[1])
        if (method, action) == ("GET", "events"):
            return self._stream(session)
        if (method, action) == ("GET", "export"):
            return self._send(HTTPStatus.OK, session.export(), "application/octet-stream", {
                "Content-Disposition": 'attachment; filename="playground.safetensors"'})
        if method != "POST":
            raise RequestError(HTTPStatus.NOT_FOUND, f"no API {method} {action[:40]!r}")
        body = self._json_body()
        if action == "control":
            action_name = body.get("action") if isinstance(body, dict) else None
            return self._json(HTTPStatus.OK, {"state": session.control(action_name)})
        if action == "config":
            config, rebuilt = session.update_config(body)
            return self._json(HTTPStatus.OK, {"config": config.to_json(), "rebuilt": rebuilt})
        if action == "points":
            from .datasets import parse_csv, parse_points

            problem = session.config.problem
            if not isinstance(body, dict) or len(body) != 1 or not {"points", "csv"} & set(body):
                raise ConfigError('points: expected {"points": [[x1, x2, label], …]} or '
                                  '{"csv": "…"}')
            if "csv" in body:
                if not isinstance(body["csv"], str):
                    raise ConfigError("csv: expected the file's text")
                points, targets = parse_csv(body["csv"], problem)
            else:
                points, targets = parse_points(body["points"], problem)
            config = session.set_points(points, targets)
            return self._json(HTTPStatus.OK, {"config": config.to_json(), "points": len(points)})
        if action in ("weight", "backprop"):
            fields = ("layer", "to", "from", "value") if action == "weight" else (
                "layer", "to", "from")
            if not isinstance(body, dict) or any(f not in body for f in fields):
                raise ConfigError(f"{action}: expected a JSON object with {', '.join(fields)}")
            if action == "weight":
                value = session.set_weight(body["layer"], body["to"], body["from"],
                                           body["value"])
                return self._json(HTTPStatus.OK, {"value": value})
            return self._json(HTTPStatus.OK, session.backprop(
                body["layer"], body["to"], body["from"], body.get("sample", 0)))
        raise RequestError(HTTPStatus.NOT_FOUND, f"no API {action[:40]!r}")

    def _stream(self, session: Session) -> None:
        """Server-Sent Events until the tab goes away or the session ends."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")  # the stream's end is the connection's end
        self.end_headers()
        self.close_connection = True
        try:
            for event, data in session.events(self.server.max_fps):
                text = json.dumps(data if data is not None else {}, allow_nan=False,
                                  separators=(",", ":"))
                self.wfile.write(f"event: {event}\ndata: {text}\n\n".encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the tab closed: events() stops training in its finally block
        except Exception as error:  # a bug: tell the page in one line, the terminal in full
            traceback.print_exc(file=sys.stderr)
            message = json.dumps({"error": f"internal error ({type(error).__name__}); see the "
                                           f"terminal"})
            try:
                self.wfile.write(f"event: failure\ndata: {message}\n\n".encode())
            except OSError:
                pass


def serve(host: str = "127.0.0.1", port: int = 0, lang: str = "en", model_path: str | None = None,
          open_browser: bool = True, max_sessions: int = DEFAULT_MAX_SESSIONS) -> None:
    """Run the playground until Ctrl-C: print the URL, open the browser, serve."""
    server = PlaygroundServer(host, port, lang, model_path, max_sessions)
    print(f"neuralab playground: {server.url}", flush=True)
    print("(Ctrl-C stops it)", flush=True)
    if open_browser:
        import webbrowser

        threading.Thread(target=webbrowser.open, args=(server.url,), daemon=True).start()
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        print("\nneuralab playground: stopped", flush=True)
    finally:
        server.server_close()
