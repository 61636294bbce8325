"""The static export in a real browser, served by a plain static file server (no Python app):
the map loads and draws every layer, and nothing is fetched from another origin."""

from __future__ import annotations

import json
import urllib.request

import pytest

from layers.registry import LAYERS
from tests.helpers import static_server
from webapp.cli import main

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def static_site(tmp_path_factory):
    site = tmp_path_factory.mktemp("export") / "site"
    assert main(["export", str(site), "--data", "data"]) == 0
    with static_server(site) as url:
        yield site, url


def _assert_drawn(page, layer_id: str, expected: int) -> None:
    """The layer draws all its features: at once if shown at first, as on the live map; a layer
    hidden at first (e.g. the plan colouring) draws nothing until switched on in the layer
    control, then all of them."""
    drawn = page.locator(f"path.wb-{layer_id}")
    if not LAYERS[layer_id].show:
        assert drawn.count() == 0, layer_id
        title = page.evaluate("id => wanbei.entries[id].cfg.title", layer_id)
        row = page.locator(".leaflet-control-layers-overlays label").filter(has_text=title)
        box = row.locator("input")
        box.dispatch_event("click")  # the click of a user (the control is folded in an embed)
        assert box.is_checked(), layer_id
    assert drawn.count() == expected, layer_id


def test_the_exported_map_draws_every_layer_from_a_static_server(page, static_site):
    site, url = static_site
    messages, requests, failed = [], [], []
    page.on("console", lambda m: messages.append((m.type, m.text)))
    page.on("pageerror", lambda e: messages.append(("error", str(e))))
    page.on("request", lambda r: requests.append(r.url))
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.goto(url + "/")
    page.wait_for_selector("html[data-wanbei-ready='1']", timeout=20_000)
    state = page.evaluate("() => window.wanbei.layers")
    for layer_id in LAYERS:
        data = json.loads((site / "downloads" / f"{layer_id}.geojson").read_text("utf-8"))
        expected = len(data["features"])
        assert state[layer_id] == {"count": expected, "loaded": True, "error": None}, layer_id
        _assert_drawn(page, layer_id, expected)
    assert page.locator(".wb-legend").is_visible()
    assert [m for m in messages if m[0] in ("error", "warning")] == []
    assert failed == []
    assert [u for u in requests if not u.startswith(url + "/")] == []


def test_the_other_exported_pages_load_from_the_static_server(page, static_site):
    site, url = static_site
    others = sorted(
        p.parent.relative_to(site).as_posix() for p in site.rglob("index.html") if p.parent != site
    )
    assert {"table", "en/table", "zh-Hant/about", "en/embed"} <= set(others)
    for name in others:
        tab = page.context.new_page()
        messages, requests, failed = [], [], []
        tab.on("console", lambda m, out=messages: out.append((m.type, m.text)))
        tab.on("pageerror", lambda e, out=messages: out.append(("error", str(e))))
        tab.on("request", lambda r, out=requests: out.append(r.url))
        tab.on("response", lambda r, out=failed: out.append(r.url) if r.status >= 400 else None)
        response = tab.goto(f"{url}/{name}/")
        tab.wait_for_load_state("load")
        assert response.status == 200, name
        assert failed == [], name
        assert [m for m in messages if m[0] == "error"] == [], name
        assert [u for u in requests if not u.startswith(url + "/")] == [], name
        tab.close()


# --- the three languages of the export --------------------------------------------------------

TOOLS = "html[data-wanbei-tools='1']"
LEGEND = {"zh-Hans": "图例", "en": "Legend", "zh-Hant": "圖例"}
FOLDER = {"zh-Hans": "", "en": "en/", "zh-Hant": "zh-Hant/"}


def _watch(page):
    seen = {"messages": [], "requests": [], "failed": []}
    page.on("console", lambda m: seen["messages"].append((m.type, m.text)))
    page.on("pageerror", lambda e: seen["messages"].append(("error", str(e))))
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.on("response", lambda r: seen["failed"].append(r.url) if r.status >= 400 else None)
    return seen


def _feature_count(url: str) -> int:
    with urllib.request.urlopen(url, timeout=10) as r:
        return len(json.loads(r.read())["features"])


@pytest.mark.parametrize("lang", ["en", "zh-Hant"])
@pytest.mark.parametrize("page_path", ["", "embed/"])
def test_the_exported_map_in_each_language(page, static_site, lang, page_path):
    site, url = static_site
    seen = _watch(page)
    page.goto(f"{url}/{FOLDER[lang]}{page_path}")
    page.wait_for_selector(TOOLS, timeout=20_000)
    assert page.evaluate("document.documentElement.lang") == lang
    assert page.locator(".wb-legend-title").text_content() == LEGEND[lang]
    state = page.evaluate("() => window.wanbei.layers")
    urls = page.evaluate(
        "() => Object.fromEntries(Object.entries(wanbei.entries)"
        ".map(([id, e]) => [id, wanbei.url(e.cfg.url)]))"
    )
    for layer_id in LAYERS:
        # each layer is the localized file of this language's folder, drawn whole
        assert urls[layer_id].startswith(f"{url}/{lang}/"), urls[layer_id]
        expected = _feature_count(urls[layer_id])
        assert state[layer_id] == {"count": expected, "loaded": True, "error": None}, layer_id
        _assert_drawn(page, layer_id, expected)
    if lang == "en":
        assert "Co-built parks" in page.locator(".leaflet-control-layers").text_content()
    else:
        assert "共建園區" in page.locator(".leaflet-control-layers").text_content()
    assert [m for m in seen["messages"] if m[0] in ("error", "warning")] == []
    assert seen["failed"] == []
    assert [u for u in seen["requests"] if not u.startswith(url + "/")] == []


@pytest.mark.parametrize("page_path", ["", "embed/"])
def test_the_exported_language_links_switch_and_keep_the_view(page, static_site, page_path):
    _site, url = static_site
    seen = _watch(page)
    page.goto(f"{url}/{page_path}?center=31.50000,118.50000&zoom=7")
    page.wait_for_selector(TOOLS, timeout=20_000)
    for lang in ("en", "zh-Hant", "zh-Hans"):
        link = page.locator(f"a[data-lang='{lang}']")
        assert "lang=" not in (link.get_attribute("href") or "")
        link.click()
        page.wait_for_url(f"{url}/{FOLDER[lang]}{page_path}?*")
        page.wait_for_selector(TOOLS, timeout=20_000)
        assert page.evaluate("document.documentElement.lang") == lang
        assert page.locator(".wb-legend-title").text_content() == LEGEND[lang]
        assert page.evaluate("wanbei.map.getZoom()") == 7
        assert "center=31.5" in page.url
    assert seen["failed"] == []
    assert [u for u in seen["requests"] if not u.startswith(url + "/")] == []


def test_the_exported_english_embed_links_to_the_english_map(page, static_site):
    _site, url = static_site
    page.goto(f"{url}/en/embed/?zoom=8&center=32.00000,117.00000")
    page.wait_for_selector(TOOLS, timeout=20_000)
    href = page.locator("#wb-full-map").get_attribute("href")
    assert page.evaluate(f"new URL({json.dumps(href)}, location.href).pathname") == "/en/"
    assert page.locator("#wb-full-map").text_content().strip() == "View the full map"
