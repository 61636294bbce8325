"""What a person sees, in a real browser: every layer drawn, no console error, nothing fetched
from another origin."""

from __future__ import annotations

import json

import pytest

from layers.registry import LAYERS

pytestmark = pytest.mark.browser


def open_map(page, url: str):
    messages, requests = [], []
    page.on("console", lambda m: messages.append((m.type, m.text)))
    page.on("pageerror", lambda e: messages.append(("error", str(e))))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url + "/")
    page.wait_for_selector("html[data-wanbei-ready='1']", timeout=20_000)
    return messages, requests


def test_every_layer_is_drawn_with_all_its_features(page, live_server, client):
    messages, requests = open_map(page, live_server.url)
    for spec in LAYERS.values():  # a layer hidden at first is drawn when shown
        if not spec.show:
            page.locator(".leaflet-control-layers").get_by_text(spec.title_zh, exact=True).click()
    state = page.evaluate("() => window.wanbei.layers")
    for layer_id in LAYERS:
        expected = len(json.loads(client.get(f"/downloads/{layer_id}.geojson").data)["features"])
        assert state[layer_id] == {"count": expected, "loaded": True, "error": None}, layer_id
        # Each feature is an SVG path of the layer's class (circle markers are paths too).
        drawn = page.locator(f"path.wb-{layer_id}").count()
        assert drawn == expected, f"{layer_id}: {drawn} drawn, {expected} in the data"
    assert page.locator("path.wb-pairings-city").count() == 8
    # direction arrows on every link
    assert page.locator(".wb-arrow-pairings").count() == state["pairings"]["count"]
    assert [m for m in messages if m[0] in ("error", "warning")] == []
    foreign = [u for u in requests if not u.startswith(live_server.url)]
    assert foreign == []


def test_map_furniture_is_there(page, live_server):
    open_map(page, live_server.url)
    assert page.locator(".leaflet-control-scale").count() == 1
    control = page.locator(".leaflet-control-layers")
    for spec in LAYERS.values():
        assert control.get_by_text(spec.title_zh, exact=True).count() == 1
    legend = page.locator(".wb-legend")
    assert legend.is_visible()
    assert legend.get_by_text("市级结对(帮扶→受帮扶)").is_visible()
    assert page.evaluate("document.documentElement.lang") == "zh-Hans"


def test_popup_shows_attributes_and_source(page, live_server):
    open_map(page, live_server.url)
    page.evaluate("""() => {
        const map = Object.values(window).find(v => v instanceof L.Map);
        const id = 'PK-ningbo-bengbu';
        map.eachLayer(l => { if (l.feature && l.feature.id === id) l.openPopup(); });
    }""")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert "甬蚌产业合作园区" in text
    assert "安徽省甬蚌合作产业发展有限公司" in text
    link = popup.locator("a[href^='https://big5.cri.cn/']")
    assert link.count() == 1 and link.get_attribute("rel") == "noopener noreferrer"


def test_hiding_a_layer_hides_its_legend_rows(page, live_server):
    open_map(page, live_server.url)
    row = page.locator(".wb-legend-row[data-layer='parks']")
    assert row.is_visible()
    page.locator(".leaflet-control-layers").get_by_text("共建园区", exact=True).click()
    assert row.is_hidden()
    assert page.locator("path.wb-parks").count() == 0
