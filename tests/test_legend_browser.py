"""The legend leaves the map its room (issue 13 items 2 and 11), in headless Chromium in the
three languages:

- at 1366×800 the legend's rows are short (each row's explanation behind "more details") and lie
  in columns, so that the first view fits the network at zoom 6.75 (6.25 with the long legend);
- in the PNG/PDF export the legend's rows wrap, so that it takes at most 30 % of the image (it
  took about half of a 640×480 image in English) and lies inside it, every row still written;
  no name is drawn half under the furniture.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

LANGS = ("zh-Hans", "en", "zh-Hant")
READY = "html[data-wanbei-ready='1']"
#: A row's explanation, behind the legend's "more details" button.
LINK_EXPLAINED = {"zh-Hans": "推进中", "en": "in progress", "zh-Hant": "推進中"}


def open_map(tabs, url, width, height):
    page = tabs.borrow(viewport={"width": width, "height": height})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_selector(READY, timeout=30_000)
    page.wait_for_timeout(500)
    return page, errors


@pytest.mark.parametrize("lang", LANGS)
def test_a_short_legend_lets_the_first_view_come_closer(tabs, live_server, lang):
    page, errors = open_map(tabs, f"{live_server.url}/?lang={lang}", 1366, 800)
    try:
        assert page.evaluate("wanbei.map.getZoom()") >= 6.75
        legend = page.locator(".wb-legend")
        box = legend.bounding_box()
        assert box["height"] <= 160, box
        columns = page.evaluate(
            """() => new Set(Array.from(document.querySelectorAll('.wb-legend-row'))
                 .filter(r => r.offsetParent).map(r => Math.round(r.getBoundingClientRect().left)))
                 .size"""
        )
        assert columns >= 2
        # the explanation is one click away, and goes again
        assert LINK_EXPLAINED[lang] not in legend.inner_text()
        toggle = page.locator(".wb-legend-toggle")
        toggle.click()
        assert toggle.get_attribute("aria-expanded") == "true"
        assert LINK_EXPLAINED[lang] in legend.inner_text()
        toggle.click()
        assert toggle.get_attribute("aria-expanded") == "false"
        assert LINK_EXPLAINED[lang] not in legend.inner_text()
        assert errors == []
    finally:
        page.wanbei_return()


#: The export at scale 1: its legend's box, the image's size, the texts it wrote, the legend's
#: rows that should be in it.
EXPORT = """async () => {
  const r = await wanbei.exporter.render({scale: 1});
  const rows = wanbei.legend.items.filter(i => {
    const g = wanbei.groups.find(g => g.id === i.layer);
    return !g || wanbei.map.hasLayer(g.group);
  }).map(i => i.title);
  return {legend: r.legend, size: [r.canvas.width, r.canvas.height], caption: r.caption, rows,
          boxes: r.boxes, labels: r.labels};
}"""


@pytest.mark.parametrize("lang", ["zh-Hans", "en"])
@pytest.mark.parametrize("size", [(1366, 800), (640, 480), (390, 844)])
def test_the_exported_legend_wraps_and_leaves_the_map_the_larger_part(
    tabs, live_server, lang, size
):
    page, errors = open_map(tabs, f"{live_server.url}/?lang={lang}", *size)
    try:
        r = page.evaluate(EXPORT)
        box, (w, h) = r["legend"], r["size"]
        assert box["w"] * box["h"] <= 0.30 * w * h, (box, w, h)
        assert box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["w"] <= w
        assert box["y"] + box["h"] <= h
        assert r["rows"] and all(row in r["caption"] for row in r["rows"]), "every row written"
        # the names drawn lie clear of the furniture (one it would cover is left out)
        assert len(r["labels"]) >= 5
        for label in r["labels"]:
            for b in r["boxes"]:
                clear = (
                    label["x"] + label["w"] <= b["x"]
                    or b["x"] + b["w"] <= label["x"]
                    or label["y"] + label["h"] <= b["y"]
                    or b["y"] + b["h"] <= label["y"]
                )
                assert clear, (label, b)
        assert errors == []
    finally:
        page.wanbei_return()
