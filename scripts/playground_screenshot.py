"""Make the README's playground screenshots (docs/playground*.png) with Debian's Chromium.

    python3 scripts/playground_screenshot.py [--out docs]

Starts a playground server in this process, opens the page in headless Chromium (playwright,
``executable_path`` = the system's chromium; no browser download), trains a run to a fixed
epoch and saves the page; then the Korean page and the draw-a-digit tab.
"""

from __future__ import annotations

import argparse
import shutil
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

from neuralab.playground.server import PlaygroundServer

RUN = ("#dataset=spiral&noise=10&points=500&hidden=8,8,6&activation=tanh,tanh,tanh"
       "&features=x1,x2,sinx1,sinx2&optimizer=adam&lr=0.03&batch_size=10&seed=3"
       "&epochs_per_frame=5&view=0,2,5")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="docs")
    parser.add_argument("--epochs", type=int, default=200)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    server = PlaygroundServer(port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"))
            page = browser.new_page(viewport={"width": 1280, "height": 1180})
            page.set_default_timeout(120_000)
            page.goto(server.url + RUN)
            page.wait_for_function("Number(document.body.dataset.frames || 0) >= 1")
            page.click("#play")
            page.wait_for_function(f"window.playground.frame.epoch >= {args.epochs}")
            page.click("#play")
            page.wait_for_selector("#play[data-state='paused']")
            page.wait_for_timeout(300)
            page.screenshot(path=str(out / "playground.png"), full_page=True)
            page.click("#lang-toggle")
            page.wait_for_function("document.documentElement.lang === 'ko'")
            page.wait_for_timeout(300)
            page.screenshot(path=str(out / "playground_ko.png"),
                            clip={"x": 0, "y": 0, "width": 1280, "height": 760})
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    print(f"wrote {out / 'playground.png'} and {out / 'playground_ko.png'}")


if __name__ == "__main__":
    main()
