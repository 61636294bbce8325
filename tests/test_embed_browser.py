"""/embed in a real cross-origin iframe, permalinks, the language switch and the embed builder,
in headless Chromium."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from tests.test_export_browser import static_site  # noqa: F401, F811  (the served export)

pytestmark = pytest.mark.browser

PAIR = "P-330200-340300"
READY = "html[data-wanbei-ready='1']"
TOOLS = "html[data-wanbei-tools='1']"

MAP_STATE = """() => {
    const map = wanbei.map, c = map.getCenter();
    const visible = wanbei.groups.filter(g => map.hasLayer(g.group)).map(g => g.id);
    const shown = sel => [...document.querySelectorAll(sel)]
        .some(n => n.offsetParent !== null || getComputedStyle(n).display !== 'none'
                   && n.getClientRects().length > 0);
    return {
        zoom: map.getZoom(), lat: c.lat, lon: c.lng, visible,
        pair: wanbei.officials.focused(),
        filter: wanbei.officials.filter(),
        zoomControl: shown('.leaflet-control-zoom'),
        layerControl: shown('.leaflet-control-layers'),
        legend: shown('.wb-legend'),
        legendTitle: document.querySelector('.wb-legend-title').textContent,
        title: document.getElementById('wb-embed-title')?.textContent,
        fullMap: document.getElementById('wb-full-map')?.href,
    };
}"""


class HostServer:
    """A second loopback server, on another port and host name, that frames the app."""

    def __init__(self, html: str) -> None:
        def wsgi(environ, start_response):
            return Response(html, mimetype="text/html")(environ, start_response)

        self.server = make_server("127.0.0.1", 0, wsgi, threaded=True)
        self.url = f"http://localhost:{self.server.server_port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HostServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


def _host_page(app_url: str, query: str, resize: bool = True) -> str:
    snippet = f'<script src="{app_url}/static/embed-resize.js"></script>' if resize else ""
    return (
        "<!doctype html><html lang=en><head><title>host</title></head><body>"
        "<h1>A portal</h1>"
        f'<iframe id="f" src="{app_url}/embed?{query}" title="map" width="400" height="200" '
        f"data-wanbei-embed></iframe>{snippet}</body></html>"
    )


def _frame(page):
    page.wait_for_selector("#f")
    frame = page.frame_locator("#f")
    frame.locator(READY).wait_for(state="attached", timeout=20_000)
    frame.locator(TOOLS).wait_for(state="attached", timeout=20_000)
    return page.frames[1]


def test_embed_parameters_apply_in_a_cross_origin_iframe(page, live_server):
    query = (
        f"layers=parks,pairings&pair={PAIR}&center=30.5,121.0&zoom=8&lang=en"
        "&controls=zoom,legend,link&title=" + "Our%20map%20%3Cb%3Ex%3C%2Fb%3E"
    )
    with HostServer(_host_page(live_server.url, query)) as host:
        page.goto(host.url)
        frame = _frame(page)
        assert urlsplit(frame.url).netloc != urlsplit(page.url).netloc  # really cross-origin
        state = frame.evaluate(MAP_STATE)
        assert state["zoom"] == 8
        assert abs(state["lat"] - 30.5) < 0.01 and abs(state["lon"] - 121.0) < 0.01
        assert set(state["visible"]) == {"parks", "pairings", "boundaries"}
        assert state["pair"] == PAIR
        assert state["zoomControl"] and state["legend"] and not state["layerControl"]
        assert state["legendTitle"] == "Legend"
        assert state["title"] == "Our map <b>x</b>"  # as text
        full = parse_qs(urlsplit(state["fullMap"]).query)
        assert urlsplit(state["fullMap"]).path == "/"
        assert full["pair"] == [PAIR] and full["lang"] == ["en"] and "controls" not in full
        drawn = frame.evaluate("document.querySelectorAll('.wb-layer').length")
        assert drawn > 20, "the map draws its layers"
        # the snippet resized the iframe to the height the embed posted
        page.wait_for_selector("#f[data-wanbei-height]", timeout=10_000)
        height = page.evaluate("document.getElementById('f').getBoundingClientRect().height")
        assert height >= 260


def test_resize_snippet_ignores_messages_from_elsewhere(page, live_server):
    with HostServer(_host_page(live_server.url, "controls=zoom")) as host:
        page.goto(host.url)
        _frame(page)
        page.wait_for_selector("#f[data-wanbei-height]", timeout=10_000)
        before = page.evaluate("document.getElementById('f').style.height")
        page.evaluate(
            "window.postMessage({type: 'wanbei:embed-height', height: 999}, '*');"
            "document.getElementById('f').contentWindow.postMessage('x', '*');"
        )
        page.wait_for_timeout(300)
        assert page.evaluate("document.getElementById('f').style.height") == before
        # a bad shape from the frame itself is ignored as well
        page.frames[1].evaluate(
            "parent.postMessage({type: 'wanbei:embed-height', height: 'tall'}, '*');"
            "parent.postMessage({type: 'wanbei:embed-height', height: 99999}, '*');"
        )
        page.wait_for_timeout(300)
        assert page.evaluate("document.getElementById('f').style.height") == before


def test_embed_bbox_and_default_controls(page, live_server):
    page.goto(live_server.url + "/embed?bbox=116.0,32.5,118.0,34.0")
    page.wait_for_selector(TOOLS, timeout=20_000)
    bounds = page.evaluate(
        "(() => { const b = wanbei.map.getBounds();"
        " return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; })()"
    )
    assert bounds[0] <= 116.0 and bounds[1] <= 32.5 and bounds[2] >= 118.0 and bounds[3] >= 34.0
    assert bounds[2] - bounds[0] < 8, "zoomed to the box, not the whole network"
    state = page.evaluate(MAP_STATE)
    assert state["zoomControl"] and state["layerControl"] and state["legend"]
    assert page.locator(".wb-embed-search").is_hidden()
    assert page.evaluate("document.cookie") == ""


def test_embed_at_320px_has_no_horizontal_scroll(browser, live_server):
    context = browser.new_context(viewport={"width": 320, "height": 560}, has_touch=True)
    try:
        page = context.new_page()
        page.goto(live_server.url + f"/embed?pair={PAIR}")
        page.wait_for_selector(TOOLS, timeout=20_000)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320
        assert page.locator("#wb-full-map").is_visible()
        box = page.locator(".leaflet-control-zoom-in").bounding_box()
        assert box and box["width"] >= 30 and box["height"] >= 30, "touch-sized buttons"
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/", "/embed"])
def test_permalink_round_trip(browser, live_server, path):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto(live_server.url + path + "?lang=zh-Hant")
        page.wait_for_selector(TOOLS, timeout=20_000)
        page.evaluate(
            f"""() => {{
            wanbei.officials.focus('{PAIR}', {{fly: false}});
            wanbei.officials.setFilter({{status: 'operating', to: 2023}});
            wanbei.map.removeLayer(wanbei.groups.find(g => g.id === 'projects').group);
            wanbei.map.setView([31.2, 119.9], 9, {{animate: false}});
        }}"""
        )
        url = page.url
        q = parse_qs(urlsplit(url).query)
        assert q["center"] == ["31.20000,119.90000"] and q["zoom"] == ["9"]
        assert q["pair"] == [PAIR] and q["lang"] == ["zh-Hant"]
        assert "projects" not in q["layers"][0] and "parks" in q["layers"][0]
        assert q["status"] == ["operating"] and q["to"] == ["2023"]
        before = page.evaluate(MAP_STATE)

        again = context.new_page()
        again.goto(url)
        again.wait_for_selector(TOOLS, timeout=20_000)
        after = again.evaluate(MAP_STATE)
        for key in ("zoom", "visible", "pair", "filter", "legendTitle"):
            assert after[key] == before[key], key
        assert abs(after["lat"] - 31.2) < 1e-4 and abs(after["lon"] - 119.9) < 1e-4
        assert again.evaluate("document.documentElement.lang") == "zh-Hant"
    finally:
        context.close()


def _popup_text(page, layer: str) -> str:
    return page.evaluate(
        f"""() => {{
        const entry = wanbei.entries['{layer}'];
        const sub = Object.values(entry.features)[0];
        sub.openPopup();
        return document.querySelector('.leaflet-popup-content').textContent;
    }}"""
    )


@pytest.mark.parametrize(
    "lang, legend, layer_title, label, name",
    [
        ("en", "Legend", "Co-built parks", "Status", "Minhang–Huainan Sci-Tech Industrial Park"),
        ("zh-Hant", "圖例", "共建園區", "狀態", "閔行·淮南科創產業園"),
        ("zh-Hans", "图例", "共建园区", "状态", "闵行·淮南科创产业园"),
    ],
)
def test_language_of_the_map(page, live_server, lang, legend, layer_title, label, name):
    page.goto(live_server.url + f"/?lang={lang}&layers=parks")
    page.wait_for_selector(TOOLS, timeout=20_000)
    assert page.locator(".wb-legend-title").text_content() == legend
    assert layer_title in page.locator(".leaflet-control-layers").text_content()
    basemaps = {"en": "Basemap", "zh-Hant": "底圖", "zh-Hans": "底图"}[lang]
    assert page.locator(".wb-basemaps legend").text_content() == basemaps
    offline = {"en": "Offline boundaries", "zh-Hant": "離線行政區劃", "zh-Hans": "离线行政区划"}
    assert offline[lang] in page.locator(".wb-basemaps").text_content()
    text = _popup_text(page, "parks")
    assert layer_title in text and label in text and name in text


def test_language_switcher_keeps_the_view(page, live_server):
    page.goto(live_server.url + f"/embed?pair={PAIR}&center=31.5,118.5&zoom=7")
    page.wait_for_selector(TOOLS, timeout=20_000)
    page.locator("a[data-lang='en']").click()
    page.wait_for_selector(TOOLS, timeout=20_000)
    q = parse_qs(urlsplit(page.url).query)
    assert q["lang"] == ["en"] and q["pair"] == [PAIR] and q["zoom"] == ["7"]
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.locator(".wb-legend-title").text_content() == "Legend"
    assert page.locator("#wb-full-map").text_content().strip() == "View the full map"
    assert page.locator(".wb-tool-fullscreen").get_attribute("aria-label") == "Full screen"


def test_embed_builder_previews_and_writes_the_code(page, live_server):
    page.goto(live_server.url + "/")
    page.wait_for_selector(TOOLS, timeout=20_000)
    page.evaluate(f"wanbei.officials.focus('{PAIR}', {{fly: false}})")
    page.evaluate("wanbei.officials.setFilter({status: 'operating'})")
    page.locator("#wb-embed-open").click()
    assert page.locator("#wb-embed-dialog").is_visible()
    page.locator("#wb-embed-form input[name='layers'][value='projects']").uncheck()
    page.locator("#wb-embed-form input[name='title']").fill('Map "A" <x>')
    page.locator("#wb-embed-form input[name='resize']").check()
    code = page.locator("#wb-embed-code").input_value()
    assert code.startswith('<iframe src="' + live_server.url + "/embed?")
    assert 'title="Map &quot;A&quot; &lt;x>"' in code
    assert "embed-resize.js" in code
    src = code.split('"')[1].replace("&amp;", "&")
    q = parse_qs(urlsplit(src).query)
    assert q["pair"] == [PAIR] and "projects" not in q["layers"][0]
    assert q["status"] == ["operating"] and q["lang"] == ["zh-Hans"] and "center" in q
    preview = page.frame_locator("#wb-embed-preview")
    # the preview follows the form 300 ms after its last change: wait for the one of this code
    # (an earlier one may be ready before it is replaced)
    page.wait_for_function(
        """src => {
            const f = document.getElementById('wb-embed-preview');
            const win = f.contentWindow, root = f.contentDocument?.documentElement;
            const nav = win?.performance.getEntriesByType('navigation')[0];  // its first URL
            return f.src === new URL(src, location.href).href && nav?.name === f.src &&
                root?.getAttribute('data-wanbei-tools') === '1';
        }""",
        arg=src,
        timeout=20_000,
    )
    assert page.frames[1].evaluate("wanbei.officials.filter().status") == "operating"
    assert page.frames[1].evaluate("wanbei.officials.focused()") == PAIR
    assert preview.locator("#wb-embed-title").text_content() == 'Map "A" <x>'


def test_exported_embed_draws_from_one_folder_down(page, static_site):  # noqa: F811
    """In the static export /embed/index.html loads ../map.js: the layer and API URLs of the
    map's config are resolved against map.js, not the page."""
    site, url = static_site
    failed = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.goto(url + f"/embed/?pair={PAIR}&center=32.0,117.0&zoom=8")
    page.wait_for_selector(TOOLS, timeout=20_000)
    layers = page.evaluate("() => window.wanbei.layers")
    assert all(v["loaded"] for v in layers.values()), layers
    state = page.evaluate(MAP_STATE)
    assert state["pair"] == PAIR and state["zoom"] == 8
    assert failed == []


def test_embed_search_control(page, live_server):
    page.goto(live_server.url + "/embed?controls=search,zoom")
    page.wait_for_selector(TOOLS, timeout=20_000)
    assert page.locator(".leaflet-control-layers").is_hidden()
    page.locator("#wb-search").fill("淮南")
    page.wait_for_selector("#wb-search-results li", timeout=5_000)
    assert "淮南" in page.locator("#wb-search-results").text_content()


def test_embed_builder_copies_the_code(browser, live_server):
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/?lang=en")
        page.wait_for_selector(TOOLS, timeout=20_000)
        page.locator("#wb-embed-open").click()
        page.locator("#wb-embed-copy").click()
        page.wait_for_selector("#wb-embed-copied:has-text('Copied')", timeout=5_000)
        code = page.locator("#wb-embed-code").input_value()
        assert page.evaluate("navigator.clipboard.readText()") == code
        assert "lang=en" in code
        page.locator("#wb-embed-close").click()
        assert page.locator("#wb-embed-dialog").is_hidden()
    finally:
        context.close()
