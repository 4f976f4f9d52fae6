"""``neuralab playground``: learn by playing — live training in the browser on the real engine.

A local web app in the standard library only: ``http.server`` serves one page (vanilla
JavaScript, every asset from ``static/``, no CDN) and streams training frames to it with
Server-Sent Events; the browser posts small JSON requests to change anything. Each browser tab
gets its own training ``Session`` (``session.py``), a real ``nl.nn.Sequential`` trained by
``nl.optim`` in a Python thread while the tab's stream is open.

- ``config.py``: the configuration schema — defaults, bounds, validation (also the URL hash).
- ``datasets.py``: TensorFlow Playground's 2-D data sets, input features, the user's points.
- ``session.py``: one network being trained; each frame's heat-maps, gradients, dead units.
- ``views.py``: the backprop step view (S16) and the hidden layer's view of the plane (S15).
- ``digits.py``: the "draw a digit" tab's model.
- ``server.py``: the HTTP server — Host check, per-launch token, size limits, sessions.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ConfigError", "PlaygroundConfig", "PlaygroundServer", "serve"]


def __getattr__(name: str) -> Any:
    # Lazy, so that ``import neuralab.playground.datasets`` does not start the server module.
    if name in ("ConfigError", "PlaygroundConfig"):
        from . import config
        return getattr(config, name)
    if name in ("PlaygroundServer", "serve"):
        from . import server
        return getattr(server, name)
    raise AttributeError(f"module 'neuralab.playground' has no attribute {name!r}")
