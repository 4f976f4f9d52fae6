"""The playground's HTTP server over real HTTP on 127.0.0.1, and the ``neuralab playground``
command: the API's whole round trip, the event stream's life, and every refusal."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from _cli import assert_usage_error, run

import neuralab as nl
from neuralab.playground import server as server_module
from neuralab.playground.server import MAX_BODY, PlaygroundServer

if TYPE_CHECKING:
    from conftest import Client

SMALL = {"points": 100, "hidden": [3]}
STATIC = Path(server_module.__file__).parent / "static"


def error_of(answer: Any, status: int) -> str:
    """The one-line JSON error of a refused request (asserting its status)."""
    assert answer.status == status, (answer.status, answer.body)
    assert answer.headers["Content-Type"].startswith("application/json")
    message = answer.json()["error"]
    assert isinstance(message, str) and "\n" not in message and message
    return message


# ---- the page and /api/info ---------------------------------------------------------------------

@pytest.mark.skipif(not (STATIC / "index.html").is_file(), reason="the page is not written yet")
def test_page_and_static_assets_are_served(client: Client) -> None:
    answer = client.get("/", token=None)  # the page itself needs no token: it reads it
    assert answer.status == 200 and answer.headers["Content-Type"] == "text/html; charset=utf-8"
    assert answer.body == (STATIC / "index.html").read_bytes()
    for path in STATIC.iterdir():
        if path.suffix in (".html", ".js", ".css"):
            answer = client.get(f"/static/{path.name}", token=None)
            assert answer.status == 200 and answer.body == path.read_bytes(), path.name
            assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/static/missing.js").status == 404


def test_info(client: Client) -> None:
    info = client.get("/api/info").json()
    assert info["lang"] == "en"
    assert info["defaults"] == nl.playground.PlaygroundConfig().to_json()
    assert info["limits"]["max_body"] == MAX_BODY and info["limits"]["max_sessions"] == 8
    assert info["digits"]["ready"] is False and info["digits"]["source"] is None
    assert info["version"] == nl.__version__  # the spec's /api/info carries the version


# ---- a session's whole round trip ---------------------------------------------------------------

def test_session_round_trip(client: Client, server: PlaygroundServer, tmp_path: Path,
                            wait_for: Callable[..., None]) -> None:
    created = client.post("/api/sessions", {**SMALL, "epochs_per_frame": 3})
    assert created.status == 201
    sid, config = created.json()["id"], created.json()["config"]
    assert config["hidden"] == [3] and config["activation"] == ["tanh"] and config["lr"] == 0.03
    session = server.sessions[sid]
    stream = client.stream(sid)
    event, setup = stream.next()
    assert event == "setup" and setup["layers"] == [2, 3, 1] and setup["kind"] == "binary"
    assert len(setup["train"]["x"]) == len(setup["train"]["y"]) == 50
    assert (setup["grid"], setup["thumb"], setup["classes"]) == (100, 20, 2)
    event, frame = stream.next()
    assert event == "frame" and frame["epoch"] == 0 and frame["state"] == "paused"
    assert len(frame["history"]["train_loss"]) == 1

    # step: exactly epochs_per_frame epochs, then paused
    assert client.post(f"/api/sessions/{sid}/control", {"action": "step"}).json() == \
        {"state": "paused"}
    event, frame = stream.next()
    assert (event, frame["epoch"], frame["step"], frame["state"]) == ("frame", 3, 15, "paused")
    assert "history" not in frame
    time.sleep(0.2)
    assert session.epoch == 3

    # play: frames keep coming with growing epochs; pause stops them
    assert client.post(f"/api/sessions/{sid}/control", {"action": "play"}).json() == \
        {"state": "playing"}
    seen = [stream.until("frame")[1] for _ in range(4)]
    epochs = [f["epoch"] for f in seen]
    assert epochs == sorted(epochs) and epochs[-1] >= 3 + 3 * 3 and seen[-1]["state"] == \
        "playing"
    assert client.post(f"/api/sessions/{sid}/control", {"action": "pause"}).json() == \
        {"state": "paused"}
    wait_for(lambda: not session.playing)
    time.sleep(0.1)
    paused_at = session.epoch
    time.sleep(0.3)
    assert session.epoch == paused_at and paused_at % 3 == 0

    # a live setting keeps the run; an architecture change rebuilds it
    answer = client.post(f"/api/sessions/{sid}/config", {"lr": 0.1}).json()
    assert answer["rebuilt"] is False and answer["config"]["lr"] == 0.1
    assert session.epoch == paused_at
    answer = client.post(f"/api/sessions/{sid}/config", {"hidden": [2, 2]}).json()
    assert answer["rebuilt"] is True and answer["config"]["activation"] == ["tanh", "tanh"]
    # (the lr change sent a setup with the old layers; the rebuild's follows it)
    event, setup = stream.until(lambda e, d: e == "setup" and len(d["layers"]) == 4)
    assert setup["layers"] == [2, 2, 2, 1] and setup["config"]["lr"] == 0.1
    assert session.epoch == 0

    # the user's points, as JSON then as CSV
    points = [[-3, -3, 0], [3, 3, 1], [-3, 3, 2], [3, -3, 0], [1, 1, 1], [-1, 1, 2]]
    answer = client.post(f"/api/sessions/{sid}/points", {"points": points}).json()
    assert answer["points"] == 6 and answer["config"]["dataset"] == "custom"
    assert answer["config"]["classes"] == 3
    event, setup = stream.until("setup")
    assert setup["kind"] == "multiclass" and setup["layers"] == [2, 2, 2, 3]
    assert sorted(setup["train"]["x"] + setup["test"]["x"]) == sorted(p[:2] for p in points)
    csv = "x1,x2,label\n-2,-2,0\n2,2,1\n-2,2,1\n2,-2,0\n"
    answer = client.post(f"/api/sessions/{sid}/points", {"csv": csv}).json()
    assert answer["points"] == 4 and answer["config"]["classes"] == 2
    assert stream.until("setup")[1]["kind"] == "binary"

    # one weight, then the backprop view of it (which pauses)
    answer = client.post(f"/api/sessions/{sid}/weight",
                         {"layer": 1, "to": 0, "from": 1, "value": 0.625})
    assert answer.json() == {"value": 0.625}
    assert session.linears[1].weight.detach().numpy()[0, 1] == 0.625

    def second_weight(data: dict) -> float:
        return float(np.frombuffer(base64.b64decode(data["weights"][1]["w"]), np.float32)[1])

    # the frame that follows the edit shows it (earlier frames of the CSV's run may come first)
    event, frame = stream.until(lambda e, d: e == "frame" and second_weight(d) == 0.625)
    assert frame["epoch"] == 0
    client.post(f"/api/sessions/{sid}/control", {"action": "play"})
    view = client.post(f"/api/sessions/{sid}/backprop",
                       {"layer": 1, "to": 0, "from": 1, "sample": 1}).json()
    assert not session.playing  # paused under the session's lock: the weights now stay
    assert view["weight"] == float(session.linears[1].weight.detach().numpy()[0, 1])
    assert view["sample"] == 1 and view["paths"] == 1
    # the HTTP answer is the session's own view (test_session checks the view's mathematics)
    assert view == json.loads(json.dumps(session.backprop(1, 0, 1, 1)))

    # export: a model file nl.load opens, computing what the session computes
    answer = client.get(f"/api/sessions/{sid}/export")
    assert answer.status == 200 and answer.headers["Content-Type"] == "application/octet-stream"
    assert 'filename="playground.safetensors"' in answer.headers["Content-Disposition"]
    path = tmp_path / "playground.safetensors"
    path.write_bytes(answer.body)
    model = nl.load(path)
    session.model.eval()
    with nl.no_grad():
        np.testing.assert_array_equal(model(session.grid_x).numpy(),
                                      session.model(session.grid_x).numpy())

    # close: the stream ends, the session is gone
    assert client.post(f"/api/sessions/{sid}/close", token=None,
                       headers={}).status == 403  # sendBeacon puts the token in the query
    assert client.post(f"/api/sessions/{sid}/close?token={client.token}", token=None).json() \
        == {"closed": True}
    while (item := stream.next()) is not None:
        assert item[0] in ("frame", "ping")
    stream.close()
    assert sid not in server.sessions
    error_of(client.post(f"/api/sessions/{sid}/control", {"action": "play"}), 404)


def test_closing_the_stream_stops_training(client: Client, server: PlaygroundServer,
                                           wait_for: Callable[..., None]) -> None:
    sid = client.create(SMALL)
    session = server.sessions[sid]
    stream = client.stream(sid)
    stream.until("frame")
    client.post(f"/api/sessions/{sid}/control", {"action": "play"})
    start = session.epoch
    stream.until(lambda event, data: event == "frame" and data["epoch"] >= start + 3)
    stream.close()  # the tab went away
    wait_for(lambda: not session.streaming)  # the server noticed on its next write
    stopped = session.epoch
    time.sleep(0.4)  # dozens of frames' time at 30 frames a second
    assert session.epoch == stopped and not session.playing
    assert sid in server.sessions  # kept for a reconnecting tab (dropped after 30 s)


def test_a_paused_stream_is_idle(client: Client, server: PlaygroundServer,
                                 wait_for: Callable[..., None]) -> None:
    sid = client.create({"points": 300, "hidden": [8, 8]})
    session = server.sessions[sid]
    stream = client.stream(sid)
    stream.until("frame")

    client.post(f"/api/sessions/{sid}/control", {"action": "play"})
    cpu, wall, epoch = time.process_time(), time.monotonic(), session.epoch
    while time.monotonic() - wall < 1.0:
        stream.next()
    playing_cpu = time.process_time() - cpu
    assert session.epoch > epoch + 5

    client.post(f"/api/sessions/{sid}/control", {"action": "pause"})
    wait_for(lambda: not session.playing)
    time.sleep(0.2)  # the frame in flight, if any, lands
    cpu, epoch = time.process_time(), session.epoch
    time.sleep(1.0)
    paused_cpu = time.process_time() - cpu
    assert session.epoch == epoch and session.streaming
    # training at 30 frames a second costs a good share of a core; waiting costs next to nothing
    assert paused_cpu < playing_cpu / 5, (paused_cpu, playing_cpu)
    stream.close()


def test_the_stream_ends_a_pause_with_a_paused_frame(client: Client,
                                                    server: PlaygroundServer) -> None:
    """A frame built just before the pause still says "playing"; the page sets its play
    button from frames, so the stream must follow a pause with a frame that says "paused"."""
    sid = client.create(SMALL)
    stream = client.stream(sid)
    stream.until("frame")
    client.post(f"/api/sessions/{sid}/control", {"action": "play"})
    stream.until(lambda event, data: event == "frame" and data["state"] == "playing")
    assert client.post(f"/api/sessions/{sid}/control", {"action": "pause"}).json() == {
        "state": "paused"}
    # Frames in flight, then the paused one — before the first keep-alive ping of an idle stream.
    event, last = stream.until(lambda event, data: event == "ping" or (
        event == "frame" and data["state"] == "paused"))
    assert event == "frame", "the stream went idle with the page still showing 'playing'"
    assert last["epoch"] == server.sessions[sid].epoch  # no training after the pause
    stream.close()


def playing_a_long_frame(client: Client, server: PlaygroundServer,
                         wait_for: Callable[..., None], hidden: list[int], epochs: int
                         ) -> tuple[str, Any, Any]:
    """A session playing frames of ``epochs`` epochs of 1,800 single-point steps, caught in
    the middle of its first frame: (id, session, its open stream)."""
    sid = client.create({"points": 2000, "train_ratio": 90, "batch_size": 1, "hidden": hidden,
                         "epochs_per_frame": epochs})
    session = server.sessions[sid]
    stream = client.stream(sid)
    stream.until("frame")
    client.post(f"/api/sessions/{sid}/control", {"action": "play"})
    wait_for(lambda: session.step > 10)
    return sid, session, stream


def test_a_long_frame_does_not_hold_up_requests(client: Client, server: PlaygroundServer,
                                                wait_for: Callable[..., None]) -> None:
    """A frame of 50 epochs of 1,800 single-point steps takes many seconds; requests are
    answered in between, and a pause ends the frame at the next epoch, not after all 50."""
    sid, session, stream = playing_a_long_frame(client, server, wait_for, [8], 50)
    assert client.post(f"/api/sessions/{sid}/config", {"lr": 0.01}).status == 200
    client.post(f"/api/sessions/{sid}/control", {"action": "pause"})
    _, frame = stream.until(lambda event, data: event == "frame" and data["state"] == "paused")
    assert 1 <= frame["epoch"] < 50 and frame["epoch"] == session.epoch
    assert session.step == 1800 * session.epoch  # whole epochs only
    stream.close()


def test_a_live_change_sends_a_frame_not_a_new_setup(client: Client) -> None:
    """A learning-rate change keeps the run: the page gets a frame (its loss curve and open
    panels stay), not a new setup with every point again."""
    sid = client.create(SMALL)
    stream = client.stream(sid)
    stream.until("frame")
    assert client.post(f"/api/sessions/{sid}/config", {"lr": 0.1}).json()["rebuilt"] is False
    event, _ = stream.next()
    assert event == "frame"
    assert client.post(f"/api/sessions/{sid}/config", {"hidden": [5]}).json()["rebuilt"] is True
    assert stream.next()[0] == "setup"
    stream.close()


def test_backprop_while_playing_explains_the_weights_of_the_next_frame(
        client: Client, server: PlaygroundServer, wait_for: Callable[..., None]) -> None:
    sid, session, stream = playing_a_long_frame(client, server, wait_for, [4], 20)
    view = client.post(f"/api/sessions/{sid}/backprop",
                       {"layer": 0, "to": 1, "from": 0}).json()
    _, frame = stream.until(lambda event, data: event == "frame" and data["state"] == "paused")
    weights = np.frombuffer(base64.b64decode(frame["weights"][0]["w"]), np.float32)
    assert view["weight"] == float(weights.reshape(4, 2)[1, 0])
    assert session.step == 1800 * frame["epoch"] and not session.playing
    stream.close()


def test_two_tabs_train_independently_and_identically(client: Client,
                                                      server: PlaygroundServer) -> None:
    ids = [client.create(SMALL) for _ in range(2)]
    streams = [client.stream(i) for i in ids]
    for sid, stream in zip(ids, streams, strict=True):
        stream.until("frame")
        client.post(f"/api/sessions/{sid}/control", {"action": "step"})
    last = [s.until("frame")[1] for s in streams]
    assert last[0]["epoch"] == last[1]["epoch"] == 1
    assert last[0]["weights"] == last[1]["weights"]  # same seed, own random streams
    for s in streams:
        s.close()


# ---- refusals ---------------------------------------------------------------------------------

def test_token_is_required(client: Client) -> None:
    for token in (None, "wrong", client.token[:-1]):
        assert "token" in error_of(client.get("/api/info", token=token), 403)
    assert "token" in error_of(client.post("/api/sessions", {}, token=None), 403)
    assert client.get(f"/api/info?token={client.token}", token=None).status == 200


def test_wrong_host_and_foreign_origin_are_refused(client: Client) -> None:
    message = error_of(client.get("/api/info", host=f"evil.example:{client.port}"), 403)
    assert "evil.example" in message
    error_of(client.get("/", host=f"evil.example:{client.port}", token=None), 403)
    assert client.get("/api/info", host=f"localhost:{client.port}").status == 200
    message = error_of(client.post("/api/sessions", {},
                                   headers={"Origin": "http://evil.example"}), 403)
    assert "evil.example" in message
    assert client.post("/api/sessions", {}, headers={
        "Origin": f"http://127.0.0.1:{client.port}"}).status == 201


def test_body_over_the_limit_is_refused_unread(client: Client) -> None:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", client.port, timeout=10)
    try:
        conn.putrequest("POST", "/api/sessions")
        conn.putheader("X-Neuralab-Token", client.token)
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(MAX_BODY + 1))
        conn.endheaders()
        conn.send(b"{")  # one byte of the promised megabyte; the server must not wait for it
        answer = conn.getresponse()
        assert answer.status == 413
        assert "over the limit" in json.loads(answer.read())["error"]
    finally:
        conn.close()


def test_malformed_json_and_bad_parameters(client: Client) -> None:
    assert "not valid JSON" in error_of(client.post("/api/sessions", "{"), 400)
    assert error_of(client.post("/api/sessions", {"lr": -1}), 400).startswith("lr: ")
    assert error_of(client.post("/api/sessions", {"hidden": [99]}), 400).startswith("hidden: ")
    assert "unknown setting 'colour'" in error_of(client.post("/api/sessions",
                                                              {"colour": 1}), 400)
    sid = client.create(SMALL)
    base = f"/api/sessions/{sid}"
    assert error_of(client.post(f"{base}/config", {"noise": 51}), 400).startswith("noise: ")
    assert error_of(client.post(f"{base}/control", {"action": "fly"}), 400).startswith(
        "action: ")
    assert error_of(client.post(f"{base}/control", [1]), 400).startswith("action: ")
    assert error_of(client.post(f"{base}/weight", {"layer": 5, "to": 0, "from": 0,
                                                   "value": 1}), 400).startswith("layer: ")
    assert error_of(client.post(f"{base}/weight", {"layer": 0}), 400).startswith("weight: ")
    assert error_of(client.post(f"{base}/backprop", {"layer": 0, "to": 0, "from": 0,
                                                     "sample": 10 ** 6}), 400).startswith(
        "sample: ")
    assert "points row 2" in error_of(client.post(f"{base}/points", {
        "points": [[0, 0, 0], [9, 0, 1], [1, 1, 1], [2, 2, 0]]}), 400)
    assert "CSV line 2" in error_of(client.post(f"{base}/points", {"csv": "1,1,0\nx,1,1\n"}),
                                    400)
    assert error_of(client.post(f"{base}/points", {"dots": []}), 400).startswith("points: ")
    # nothing above changed the session
    assert client.post(f"{base}/config", {}).json()["config"]["hidden"] == [3]


def test_unknown_session_and_unknown_api(client: Client) -> None:
    assert "no such session" in error_of(client.get("/api/sessions/nope/events"), 404)
    error_of(client.post("/api/sessions/nope/control", {"action": "play"}), 404)
    error_of(client.get("/api/sessions/nope/export"), 404)
    error_of(client.get("/api/nothing"), 404)
    error_of(client.get("/nothing", token=None), 404)


def test_session_limit(make_server: Callable[..., PlaygroundServer],
                       client_for: Callable[[PlaygroundServer], Client]) -> None:
    client = client_for(make_server(max_sessions=2))
    first = client.create(SMALL)
    client.create(SMALL)
    assert "close one" in error_of(client.post("/api/sessions", SMALL), 503)
    client.post(f"/api/sessions/{first}/close")
    assert client.post("/api/sessions", SMALL).status == 201  # the slot is free again


def test_a_session_without_a_stream_is_dropped(make_server: Callable[..., PlaygroundServer],
                                               client_for: Callable[[PlaygroundServer], Client],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server_module, "DETACHED_SECONDS", 0.3)  # 30 s in the real server
    client = client_for(make_server())
    streamed, orphan = client.create(SMALL), client.create(SMALL)
    stream = client.stream(streamed)
    stream.until("frame")
    time.sleep(0.5)
    error_of(client.post(f"/api/sessions/{orphan}/control", {"action": "play"}), 404)
    assert client.post(f"/api/sessions/{streamed}/control", {"action": "step"}).json() == \
        {"state": "paused"}
    assert stream.until("frame")[1]["epoch"] == 1
    stream.close()


def test_language_and_server_arguments(make_server: Callable[..., PlaygroundServer],
                                       client_for: Callable[[PlaygroundServer], Client]) -> None:
    korean = make_server(lang="ko")
    assert client_for(korean).get("/api/info").json()["lang"] == "ko"
    assert korean.url == f"http://127.0.0.1:{korean.port}/?token={korean.token}&lang=ko"
    with pytest.raises(ValueError, match="^lang: expected en or ko, got 'fr'"):
        PlaygroundServer(lang="fr")
    with pytest.raises(ValueError, match="^max_sessions: expected an integer from 1 to 64"):
        PlaygroundServer(max_sessions=0)


@pytest.mark.parametrize("path", ["/static/../server.py", "/static/%2e%2e/server.py",
                                  "/static/..%2fserver.py", "/etc/passwd", "/../../etc/passwd",
                                  "/static/", "/static//etc/passwd", "/server.py"])
def test_no_file_path_is_ever_served(client: Client, path: str) -> None:
    for token in (None, True):
        answer = client.get(path, token=token)
        assert answer.status == 404, (path, answer.body[:200])
        assert b"import" not in answer.body and b"root:" not in answer.body


# ---- the digits tab ---------------------------------------------------------------------------

def test_digits_train_then_predict(client: Client, server: PlaygroundServer) -> None:
    canvas = np.zeros((56, 40), dtype=np.uint8)
    canvas[8:48, 18:23] = 255  # a "1": a vertical stroke
    payload = {"width": 40, "height": 56,
               "pixels": base64.b64encode(canvas.tobytes()).decode("ascii")}
    assert "Train first" in error_of(client.post("/api/digits/predict", payload), 409)
    trained = client.post("/api/digits/train").json()
    assert trained["ready"] is True and trained["side"] == 8 and trained["source"] == "digits"
    assert trained["classes"] == [str(c) for c in range(10)] and trained["accuracy"] > 0.9
    assert client.get("/api/info").json()["digits"]["ready"] is True

    answer = client.post("/api/digits/predict", payload).json()
    image, probabilities = server.digits.model.predict(canvas / 255.0)
    assert answer["side"] == 8 and answer["classes"] == trained["classes"]
    pixels = np.frombuffer(base64.b64decode(answer["input"]), np.uint8)
    np.testing.assert_array_equal(pixels, np.rint(image.ravel() * 255).astype(np.uint8))
    assert pixels.max() > 0
    np.testing.assert_allclose(answer["probabilities"], probabilities, rtol=0, atol=0)
    assert abs(sum(answer["probabilities"]) - 1) < 1e-12

    for bad, culprit in (({**payload, "width": 0}, "width"), ({**payload, "height": 513},
                                                             "height"),
                         ({**payload, "pixels": payload["pixels"][:-4]}, "pixels"),
                         ({**payload, "pixels": "!" * len(payload["pixels"])}, "base64"),
                         ([1, 2], "JSON object")):
        message = error_of(client.post("/api/digits/predict", bad), 400)
        assert message.startswith("canvas: ") and culprit in message, message


# ---- the command ------------------------------------------------------------------------------

def test_digits_tab_uses_the_model_given_with_model(
        make_server: Callable[..., PlaygroundServer],
        client_for: Callable[[PlaygroundServer], Client], tmp_path: Path) -> None:
    from neuralab.cli import main

    assert main(["train", "--data", "digits", "--epochs", "1", "--quiet", "--no-plots",
                 "--out", str(tmp_path / "run")]) == 0
    path = tmp_path / "run" / "model.safetensors"
    client = client_for(make_server(model_path=str(path)))
    info = client.get("/api/info").json()["digits"]
    assert info == {"ready": True, "fixed": True, "source": "model.safetensors", "side": 8,
                    "classes": [str(c) for c in range(10)], "accuracy": None}
    assert "--model" in error_of(client.post("/api/digits/train"), 409)
    canvas = np.zeros((64, 64), dtype=np.uint8)
    canvas[8:56, 28:36] = 255
    answer = client.post("/api/digits/predict", {
        "width": 64, "height": 64, "pixels": base64.b64encode(canvas.tobytes()).decode()}).json()
    assert answer["side"] == 8 and len(answer["probabilities"]) == 10
    assert abs(sum(answer["probabilities"]) - 1) < 1e-9
    with pytest.raises(ValueError, match="not a square image"):  # checked before the port
        linear = tmp_path / "linear.safetensors"
        nl.save(nl.nn.Linear(3, 2), linear)
        PlaygroundServer(model_path=str(linear))


def test_cli_refuses_a_bad_port_and_a_missing_model(capsys: pytest.CaptureFixture[str],
                                                    tmp_path: Path) -> None:
    code, _, err = run(capsys, ["playground", "--port", "70000", "--no-browser"])
    assert_usage_error(code, err, "--port", "70000")
    missing = str(tmp_path / "missing.safetensors")
    code, _, err = run(capsys, ["playground", "--model", missing, "--no-browser"])
    assert_usage_error(code, err, "--model", "missing.safetensors")
    linear = tmp_path / "linear.safetensors"
    nl.save(nl.nn.Linear(3, 2), linear)
    code, _, err = run(capsys, ["playground", "--model", str(linear), "--no-browser"])
    assert_usage_error(code, err, "--model", "not a square image")


def test_cli_launches_serves_and_stops_on_ctrl_c() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "neuralab.cli", "playground", "--no-browser", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = process.stdout.readline()
        assert line.startswith("neuralab playground: http://127.0.0.1:"), line
        url = line.split(": ", 1)[1].strip()
        port = int(url.split(":")[2].split("/")[0])
        token = url.split("token=")[1].split("&")[0]
        with urllib.request.urlopen(url, timeout=20) as page:
            assert page.status == 200
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/info",
                                         headers={"X-Neuralab-Token": token})
        with urllib.request.urlopen(request, timeout=20) as answer:
            assert json.loads(answer.read())["lang"] == "en"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "neuralab playground: stopped" in out and "Traceback" not in err
    # nothing listens on the port any more
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(("127.0.0.1", port))


def served_and_closed_by_the_server(port: int, token: str) -> None:
    """One request that the server closes first (HTTP/1.0): its side of the connection then
    waits in TIME_WAIT for a minute, as after any page load with ``Connection: close``."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(f"GET /api/info HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n"
                     f"X-Neuralab-Token: {token}\r\n\r\n".encode())
        reply = b""
        while chunk := sock.recv(65536):  # until the server's FIN
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 200 OK")


def test_the_same_port_is_free_right_after_a_stop(
        make_server: Callable[..., PlaygroundServer]) -> None:
    # Ctrl-C, then `neuralab playground --port P` again at once must not fail with "port in
    # use" for a minute: the listening socket needs SO_REUSEADDR (on Linux and macOS it lets
    # a new server bind over TIME_WAIT connections, never over a listening socket)
    first = make_server()
    port = first.port
    served_and_closed_by_the_server(port, first.token)
    first.shutdown()
    first.server_close()
    second = PlaygroundServer(port=port)
    second.server_close()


def test_two_playgrounds_cannot_share_a_port(server: PlaygroundServer) -> None:
    with pytest.raises(OSError):
        PlaygroundServer(port=server.port).server_close()
