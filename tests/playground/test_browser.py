"""The playground in a real browser: Debian's Chromium driven by playwright.

No browser is downloaded: playwright launches the system's ``chromium`` through
``executable_path``. Without it (or without playwright) the tests skip on a developer's machine
and fail under ``CI=true`` (``tests/_system.py``). A failing test leaves a screenshot in
``test-artifacts/playground/``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from _system import CHROMIUM, chromium_installed, unavailable

import neuralab as nl
from neuralab.playground.server import PlaygroundServer

pytestmark = chromium_installed

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "playground"
TIMEOUT_MS = 60_000  # the longest any step may take before the test fails (never if it works)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


@pytest.fixture
def open_page(browser: object, server: PlaygroundServer,
              request: pytest.FixtureRequest) -> Iterator[Callable[[str], object]]:
    """``open_page(hash)``: the playground at ``server.url + hash``, once its first frame has
    arrived. On failure the test leaves a screenshot of every page it opened."""
    pages = []

    def open_(hash_: str = "") -> object:
        page = browser.new_page(viewport={"width": 1280, "height": 1000},
                                accept_downloads=True)
        pages.append(page)
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(server.url + hash_)
        page.wait_for_function("Number(document.body.dataset.frames || 0) >= 1")
        return page

    yield open_
    failed = getattr(request.node, "failed_call", False)  # set by conftest's report hook
    for index, page in enumerate(pages):
        if failed:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{index}.png"),
                            full_page=True)
        page.close()


def frame_value(page: object, key: str) -> object:
    return page.evaluate(f"window.playground.frame && window.playground.frame[{key!r}]")


def heatmap_pixels(page: object) -> np.ndarray:
    """The output heat-map canvas's RGBA pixels."""
    data = page.evaluate("""() => {
        const c = document.querySelector('#output-heatmap');
        return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
    }""")
    return np.asarray(data, dtype=np.int16)


def test_the_page_loads_with_its_panels(open_page: Callable[[str], object]) -> None:
    page = open_page("")
    assert page.evaluate("window.playground.setup.layers") == [2, 4, 2, 1]
    for selector in ("#play", "#step", "#reset", "#export", "#output-heatmap", "#network",
                     "#grad-bars", "#hidden-view", "#loss-chart", "#lang-toggle"):
        assert page.locator(selector).count() == 1, selector
    assert page.locator(".grad-bar").count() == 3  # one per Linear layer of 2-4-2-1


def test_xor_with_four_tanh_units_trains_below_test_loss_0_1(
        open_page: Callable[[str], object]) -> None:
    page = open_page("#dataset=xor&points=200&hidden=4&activation=tanh&optimizer=adam"
                     "&lr=0.03&seed=1")
    before = heatmap_pixels(page)
    assert frame_value(page, "epoch") == 0
    page.click("#play")
    # Train on to 0.05, so that the frames still arriving before the pause (Adam's loss
    # wobbles) cannot lift it back over 0.1; then the page must show a loss below 0.1.
    page.wait_for_function("window.playground.frame.test_loss < 0.05")
    page.click("#play")  # pause
    page.wait_for_selector("#play[data-state='paused']")
    page.wait_for_function("parseFloat(document.querySelector('#test-loss').textContent) < 0.1")
    after = heatmap_pixels(page)
    changed = np.abs(after - before).max(axis=-1) if after.ndim > 1 else np.abs(after - before)
    assert np.count_nonzero(changed) > 0.2 * changed.size, "the decision heat-map barely changed"


def test_deep_sigmoid_net_first_gradient_bar_100_times_shorter(
        open_page: Callable[[str], object]) -> None:
    page = open_page("#dataset=circle&hidden=8,8,8,8,8,8&activation=sigmoid&seed=0")
    for _ in range(3):
        epoch = frame_value(page, "epoch")
        page.click("#step")
        page.wait_for_function(f"window.playground.frame.epoch > {epoch}")
    first = page.locator(".grad-bar[data-layer='0']")
    last = page.locator(".grad-bar[data-layer='6']")
    first_norm, last_norm = (float(b.get_attribute("data-norm")) for b in (first, last))
    assert 0 < first_norm <= last_norm / 100
    first_width = first.bounding_box()["width"] if first.bounding_box() else 0.0
    last_width = last.bounding_box()["width"]
    assert last_width >= 50  # the longest bar is drawn at (nearly) full length
    assert first_width * 100 <= last_width + 1e-9


def test_perceptron_mode_never_settles_on_xor(open_page: Callable[[str], object],
                                              server: PlaygroundServer) -> None:
    page = open_page("#mode=perceptron&dataset=xor&seed=0&epochs_per_frame=5")
    page.click("#play")
    page.wait_for_function("window.playground.frame.epoch >= 200")
    page.click("#play")
    session = server.sessions[page.evaluate("window.playground.sessionId")]
    with session.cond:
        misclassified = list(session.history["train_loss"])  # 0-1 loss after every frame
    assert len(misclassified) >= 41 and min(misclassified) > 0.1
    assert int(page.locator("#perceptron-errors").inner_text()) > 0


def test_a_drawn_one_is_recognised(open_page: Callable[[str], object]) -> None:
    page = open_page("")
    page.click("#tab-digits")
    page.click("#digit-train")
    page.wait_for_function("!document.querySelector('#digit-train').disabled "
                           "&& document.querySelector('#digit-train').dataset.state !== "
                           "'training'")
    box = page.locator("#digit-canvas").bounding_box()
    x = box["x"] + box["width"] / 2
    page.mouse.move(x, box["y"] + box["height"] * 0.15)
    page.mouse.down()
    for step in range(1, 21):
        page.mouse.move(x, box["y"] + box["height"] * (0.15 + 0.7 * step / 20))
    page.mouse.up()
    predicted = page.wait_for_function("""() => {
        const text = document.querySelector('#digit-prediction').textContent.trim();
        return /^[0-9]$/.test(text) ? text : null;
    }""").json_value()
    assert predicted == "1"
    probabilities = [float(p) for p in page.locator(".prob").evaluate_all(
        "bars => bars.map(b => b.dataset.p)")]
    assert len(probabilities) == 10 and math.isclose(sum(probabilities), 1.0, abs_tol=1e-6)


def test_export_downloads_a_model_nl_load_opens(open_page: Callable[[str], object],
                                                server: PlaygroundServer,
                                                tmp_path: Path) -> None:
    page = open_page("#dataset=gauss&hidden=3&activation=relu")
    page.click("#step")
    page.wait_for_function("window.playground.frame.epoch >= 1")
    with page.expect_download() as download:
        page.click("#export")
    path = tmp_path / "playground.safetensors"
    download.value.save_as(str(path))
    model = nl.load(path)
    session = server.sessions[page.evaluate("window.playground.sessionId")]
    x = nl.tensor([[1.0, -2.0], [0.5, 3.0]])
    with nl.no_grad():
        np.testing.assert_array_equal(model(x).numpy(), session.model.eval()(x).numpy())


def test_the_language_toggle_switches_to_korean(open_page: Callable[[str], object]) -> None:
    page = open_page("")
    english = page.locator("#tab-digits").inner_text()
    page.click("#lang-toggle")
    page.wait_for_function("document.documentElement.lang === 'ko'")
    korean = page.locator("#tab-digits").inner_text()
    assert korean != english and any("\uac00" <= ch <= "\ud7a3" for ch in korean)
