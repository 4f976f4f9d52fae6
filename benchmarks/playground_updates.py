"""How smooth is ``neuralab playground``? Updates a second over real HTTP, and what a frame costs.

1. A playground server in a child process (as ``neuralab playground`` runs it), a 2-8-8-1 tanh
   network on 500 points (the circle, half for training, batch 10: one frame = one epoch of 25
   SGD steps, as TensorFlow Playground does), read as Server-Sent Events over HTTP on
   127.0.0.1: updates a second with the page's frame cap (30 a second) and without it.
2. One frame in process, by part: the training epoch, the frame's pictures (100×100 output
   heat-map, a 20×20 heat-map per unit, gradient bars, dead units, hidden-layer view) and its
   JSON text.
3. The same training epoch and the same 100×100 grid forward pass in PyTorch and plain NumPy,
   with ratios.

Run: ``python3 benchmarks/playground_updates.py [--frames 300]`` (needs the [test] extra for torch).
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import subprocess
import sys
import time
import urllib.parse

import numpy as np

CONFIG = {"dataset": "circle", "points": 500, "train_ratio": 50, "batch_size": 10,
          "hidden": [8, 8], "activation": "tanh", "lr": 0.03, "seed": 0}
SERVER = """
import sys
from neuralab.playground.server import PlaygroundServer
server = PlaygroundServer(port=0, max_fps=float(sys.argv[1]))
print(server.url, flush=True)
server.serve_forever()
"""


def stream_rate(max_fps: float, frames: int) -> dict[str, float]:
    """Updates a second seen by an SSE client of a server capped at ``max_fps``."""
    child = subprocess.Popen([sys.executable, "-c", SERVER, str(max_fps)],
                             stdout=subprocess.PIPE, text=True)
    try:
        url = urllib.parse.urlsplit(child.stdout.readline().strip())
        token = urllib.parse.parse_qs(url.query)["token"][0]
        host, port = url.hostname, url.port
        headers = {"X-Neuralab-Token": token, "Content-Type": "application/json"}
        conn = http.client.HTTPConnection(host, port)
        conn.request("POST", "/api/sessions", json.dumps(CONFIG), headers)
        session = json.loads(conn.getresponse().read())["id"]
        conn.request("POST", f"/api/sessions/{session}/control", '{"action": "play"}', headers)
        conn.getresponse().read()
        stream = http.client.HTTPConnection(host, port)
        stream.request("GET", f"/api/sessions/{session}/events?token={token}")
        response = stream.getresponse()
        arrivals, sizes, event = [], [], ""
        while len(arrivals) < frames:
            line = response.fp.readline()
            if line.startswith(b"event:"):
                event = line[6:].strip().decode()
            elif line.startswith(b"data:") and event == "frame":
                arrivals.append(time.perf_counter())
                sizes.append(len(line))
        gaps = np.diff(arrivals[10:])  # the first frames include the set-up
        return {"updates_per_s": 1.0 / statistics.median(gaps),
                "mean_rate": len(gaps) / (arrivals[-1] - arrivals[10]),
                "frame_kib": statistics.median(sizes) / 1024}
    finally:
        child.terminate()
        child.wait()


def frame_parts(frames: int) -> dict[str, float]:
    """Median milliseconds of a frame's parts, in process."""
    from neuralab.playground.config import PlaygroundConfig
    from neuralab.playground.session import Session

    session = Session(PlaygroundConfig.from_json(CONFIG))
    parts: dict[str, list[float]] = {"train epoch": [], "pictures": [], "json": []}
    for _ in range(frames):
        t0 = time.perf_counter()
        session.train_frame()
        t1 = time.perf_counter()
        frame = session.frame()
        t2 = time.perf_counter()
        json.dumps(frame, allow_nan=False, separators=(",", ":"))
        t3 = time.perf_counter()
        for key, value in zip(parts, (t1 - t0, t2 - t1, t3 - t2)):
            value and parts[key].append(value * 1e3)
    return {key: statistics.median(values) for key, values in parts.items()}


def baselines(repeats: int) -> dict[str, dict[str, float]]:
    """One epoch (250 points, batch 10, 2-8-8-1 tanh, BCE with logits, SGD 0.03) and one
    100×100 grid forward pass: neuralab, PyTorch, plain NumPy; median milliseconds."""
    import torch

    import neuralab as nl

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    x = rng.uniform(-6, 6, (250, 2)).astype(np.float32)
    y = (np.hypot(x[:, 0], x[:, 1]) < 3).astype(np.float32)[:, None]
    grid = rng.uniform(-6, 6, (10_000, 2)).astype(np.float32)
    sizes = [2, 8, 8, 1]
    weights = [(rng.uniform(-0.5, 0.5, (o, i)).astype(np.float32),
                rng.uniform(-0.5, 0.5, o).astype(np.float32)) for i, o in zip(sizes, sizes[1:])]

    def framework(lib: object, tensor: object) -> tuple[object, object]:
        layers = []
        for k, (w, b) in enumerate(weights):
            linear = lib.nn.Linear(w.shape[1], w.shape[0])
            with lib.no_grad():
                linear.weight.copy_(tensor(w))
                linear.bias.copy_(tensor(b))
            layers += [linear] + ([lib.nn.Tanh()] if k < 2 else [])
        model = lib.nn.Sequential(*layers)
        opt = lib.optim.SGD(model.parameters(), lr=0.03)
        loss_fn = lib.nn.BCEWithLogitsLoss()
        tx, ty, tg = tensor(x), tensor(y), tensor(grid)

        def epoch() -> None:
            for i in range(0, 250, 10):
                opt.zero_grad()
                loss_fn(model(tx[i:i + 10]), ty[i:i + 10]).backward()
                opt.step()

        def forward() -> None:
            with lib.no_grad():
                model(tg)
        return epoch, forward

    params = [(w.copy(), b.copy()) for w, b in weights]

    def numpy_epoch() -> None:
        for i in range(0, 250, 10):
            a, acts = x[i:i + 10], []
            for k, (w, b) in enumerate(params):
                z = a @ w.T + b
                a = np.tanh(z) if k < 2 else z
                acts.append(a)
            t = y[i:i + 10]
            dz = (1 / (1 + np.exp(-a)) - t) / len(t)
            inputs = [x[i:i + 10], acts[0], acts[1]]
            for k in (2, 1, 0):
                w, b = params[k]
                dw, db = dz.T @ inputs[k], dz.sum(0)
                if k:
                    dz = (dz @ w) * (1 - inputs[k] ** 2)
                w -= 0.03 * dw
                b -= 0.03 * db

    def numpy_forward() -> None:
        a = grid
        for k, (w, b) in enumerate(params):
            a = a @ w.T + b
            a = np.tanh(a) if k < 2 else a

    runs = {"neuralab": framework(nl, nl.tensor), "torch": framework(torch, torch.from_numpy),
            "numpy": (numpy_epoch, numpy_forward)}
    times: dict[str, dict[str, list[float]]] = {n: {"epoch": [], "grid": []} for n in runs}
    for _ in range(repeats):  # interleaved, so drift on a noisy machine hits all alike
        for name, (epoch, forward) in runs.items():
            for part, fn in (("epoch", epoch), ("grid", forward)):
                start = time.perf_counter()
                fn()
                times[name][part].append((time.perf_counter() - start) * 1e3)
    return {name: {part: statistics.median(v[3:]) for part, v in t.items()}
            for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=300)
    args = parser.parse_args()
    print(f"playground, 2-8-8-1 tanh on 500 points (250 train, batch 10), {args.frames} frames")
    for cap in (30.0, 1000.0):
        rate = stream_rate(cap, args.frames)
        print(f"  over HTTP, frame cap {cap:g}/s: {rate['updates_per_s']:.1f} updates/s "
              f"(median gap), {rate['mean_rate']:.1f}/s mean, {rate['frame_kib']:.1f} KiB a "
              f"frame")
    parts = frame_parts(min(args.frames, 200))
    print("  one frame in process (median ms): " + ", ".join(
        f"{k} {v:.2f}" for k, v in parts.items()) + f"; total {sum(parts.values()):.2f}")
    base = baselines(40)
    for part, label in (("epoch", "training epoch (25 steps)"), ("grid", "100×100 grid forward")):
        row = {name: base[name][part] for name in base}
        print(f"  {label}: neuralab {row['neuralab']:.2f} ms, torch {row['torch']:.2f} ms, "
              f"numpy {row['numpy']:.2f} ms; neuralab/torch {row['neuralab'] / row['torch']:.2f},"
              f" neuralab/numpy {row['neuralab'] / row['numpy']:.2f}")


if __name__ == "__main__":
    main()
