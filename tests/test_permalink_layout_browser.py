"""A link's view stays exactly the link's after the page's layout changes (permalink.js), in
headless Chromium at several widths.

Leaflet measures its container only when told (invalidateSize), and each time it is told it
forgets the exact centre it was given and works it out again from whole pixels: at zoom 9 and a
map 741 px high that is 1.19e-4° of latitude off. Its own window-resize handler tells it even
when nothing changed size, and the header can change height after the map is made.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.browser

TOOLS = "html[data-wanbei-tools='1']"
LAT, LON, ZOOM = 31.2, 119.9, 9
STATE = """() => {
    const map = wanbei.map, c = map.getCenter(), el = map.getContainer();
    const mid = map.latLngToContainerPoint(c), size = map.getSize();
    return {lat: c.lat, lon: c.lng, zoom: map.getZoom(), size: [size.x, size.y],
            box: [el.clientWidth, el.clientHeight], mid: [mid.x, mid.y]};
}"""
# Two frames and a task: Leaflet's resize handler runs in an animation frame.
SETTLE = """() => new Promise(
    r => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 0))))"""


def _exact(state: dict) -> None:
    assert abs(state["lat"] - LAT) < 1e-9 and abs(state["lon"] - LON) < 1e-9, state
    assert state["zoom"] == ZOOM
    # Leaflet knows the size the map is shown at, and the link's centre is in its middle
    assert state["size"] == state["box"], state
    assert abs(state["mid"][0] - state["size"][0] / 2) <= 0.5, state
    assert abs(state["mid"][1] - state["size"][1] / 2) <= 0.5, state


def _center(url: str) -> list[str]:
    return parse_qs(urlsplit(url).query)["center"]


@pytest.fixture(params=[1280, 420], ids=lambda w: f"{w}px")
def narrow(tabs, request):
    tab = tabs.borrow(viewport={"width": request.param, "height": 800})
    yield tab
    tab.wanbei_return()


@pytest.mark.parametrize("lang", ["zh-Hant", "en"])
def test_the_link_view_survives_layout_changes(narrow, live_server, lang):
    page = narrow
    page.goto(f"{live_server.url}/?lang={lang}&center={LAT},{LON}&zoom={ZOOM}")
    page.wait_for_selector(TOOLS, timeout=20_000)
    page.evaluate(SETTLE)
    _exact(page.evaluate(STATE))

    # a window resize event (Leaflet invalidates the size even though nothing changed)
    page.evaluate("window.dispatchEvent(new Event('resize'))")
    page.evaluate(SETTLE)
    _exact(page.evaluate(STATE))

    # the header wraps onto more lines after the map was made: the map is lower
    before = page.evaluate(STATE)["box"][1]
    page.evaluate("document.querySelector('.wb-bar h1').style.fontSize = '2.5rem'")
    page.evaluate(SETTLE)
    state = page.evaluate(STATE)
    assert state["box"][1] < before
    _exact(state)
    assert _center(page.url) == [f"{LAT:.5f},{LON:.5f}"]


def test_a_moved_map_keeps_its_centre_through_a_resize(narrow, live_server):
    """Once someone moves the map the link's view is no longer applied: Leaflet keeps the
    centre (to the pixel) when the layout changes, and the URL follows."""
    page = narrow
    page.goto(f"{live_server.url}/?lang=zh-Hant&center={LAT},{LON}&zoom={ZOOM}")
    page.wait_for_selector(TOOLS, timeout=20_000)
    page.evaluate("void wanbei.map.panBy([120, 0], {animate: false})")
    moved = page.evaluate(STATE)
    assert abs(moved["lon"] - LON) > 0.1
    page.evaluate("document.querySelector('.wb-bar h1').style.fontSize = '2.5rem'")
    page.evaluate(SETTLE)
    state = page.evaluate(STATE)
    assert state["size"] == state["box"]
    assert abs(state["lon"] - moved["lon"]) < 0.01 and abs(state["lon"] - LON) > 0.1
    lat, lon = map(float, _center(page.url)[0].split(","))
    assert abs(lon - state["lon"]) < 1e-4 and abs(lat - state["lat"]) < 1e-4


def test_the_round_trip_at_a_narrow_width(narrow, live_server):
    """The permalink round trip of test_embed_browser, at each width: written, reopened, exact."""
    page = narrow
    page.goto(f"{live_server.url}/?lang=zh-Hant")
    page.wait_for_selector(TOOLS, timeout=20_000)
    page.evaluate(f"void wanbei.map.setView([{LAT}, {LON}], {ZOOM}, {{animate: false}})")
    url = page.url
    assert _center(url) == [f"{LAT:.5f},{LON:.5f}"]
    again = page.context.new_page()
    again.goto(url)
    again.wait_for_selector(TOOLS, timeout=20_000)
    again.evaluate(SETTLE)
    _exact(again.evaluate(STATE))
