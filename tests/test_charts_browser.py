"""The statistics charts read at every width (issue 13 item 10, item 3): measured in headless
Chromium, every word of every chart shown is drawn at 11 px or more on the screen — its font size
times the scale its SVG is drawn at (``getScreenCTM``) — on /stats at 360 px and at 1366 px and in
the map's side panel, in the three languages; and /stats, /table and /about do not scroll
sideways at 360 px.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

LANGS = ("zh-Hans", "en", "zh-Hant")
READY = "html[data-wanbei-tools='1']"

#: The on-screen size of every shown text of the SVGs under ``root``: font size × the SVG's
#: horizontal and vertical scale; with the number of texts and of SVGs shown.
TEXT_SIZES = """root => {
  const svgs = Array.from(document.querySelectorAll(root + ' svg'))
    .filter(s => s.getBoundingClientRect().width > 0);
  const sizes = [];
  svgs.forEach(svg => svg.querySelectorAll('text').forEach(t => {
    if (!t.textContent.trim()) return;
    const m = t.getScreenCTM(), font = parseFloat(getComputedStyle(t).fontSize);
    sizes.push([font * Math.min(Math.hypot(m.a, m.b), Math.hypot(m.c, m.d)), t.textContent]);
  }));
  const outside = svgs.filter(s => s.getBoundingClientRect().right > innerWidth + 0.5).length;
  return {svgs: svgs.length, sizes, outside};
}"""

#: The side panel's charts are images: each is drawn again inline, at the image's width, in a
#: box of the panel, to measure its words as the image shows them.
INLINE_THE_IMAGES = """async () => {
  const imgs = Array.from(document.querySelectorAll('.wb-chart'));
  const box = document.createElement('div');
  box.id = 'wb-test-charts';
  document.getElementById('wb-stats-charts').after(box);
  for (const img of imgs) {
    const text = await (await fetch(img.src)).text();
    const svg = new DOMParser().parseFromString(text, 'image/svg+xml').documentElement;
    const holder = document.createElement('div');
    holder.style.width = img.getBoundingClientRect().width + 'px';
    holder.appendChild(document.importNode(svg, true));
    box.appendChild(holder);
    const drawn = holder.firstChild.getBoundingClientRect();
    if (Math.abs(drawn.height - img.getBoundingClientRect().height) > 3) return 'height differs';
  }
  return imgs.length;
}"""


def check_sizes(measured, at_least=4):
    assert measured["svgs"] >= at_least, measured["svgs"]
    small = [(round(size, 1), text) for size, text in measured["sizes"] if size < 11 - 0.01]
    assert not small, small
    assert measured["outside"] == 0, "a chart wider than the screen"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("width", [360, 1366])
def test_stats_charts_text_is_11_px_or_more(tabs, live_server, lang, width):
    page = tabs.borrow(viewport={"width": width, "height": 800})
    try:
        page.goto(f"{live_server.url}/stats?lang={lang}")
        measured = page.evaluate(TEXT_SIZES, ".wb-stats")
        check_sizes(measured)
        kinds = page.evaluate(
            """() => Array.from(document.querySelectorAll('.wb-stats svg'))
                 .filter(s => s.getBoundingClientRect().width > 0)
                 .map(s => s.getAttribute('class'))"""
        )
        expected = "wb-chart-narrow" if width == 360 else "wb-chart-wide"
        assert kinds == [expected] * 4, "the layout chosen by the width"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        page.wanbei_return()


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("path", ["/stats", "/table", "/about"])
def test_no_sideways_scrolling_at_360_px(tabs, live_server, lang, path):
    page = tabs.borrow(viewport={"width": 360, "height": 800})
    try:
        page.goto(f"{live_server.url}{path}?lang={lang}")
        page.wait_for_load_state("load")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        wide = page.evaluate(
            """() => Array.from(document.querySelectorAll('main *'))
                 .filter(n => n.getBoundingClientRect().right > innerWidth + 0.5 &&
                              !n.closest('.wb-scroll'))
                 .map(n => n.tagName)"""
        )
        assert wide == [], (
            "nothing outside the tables' own scrolling boxes is wider than the screen"
        )
        rows = page.evaluate(
            "Array.from(document.querySelectorAll('table tbody tr'))"
            ".map(r => r.getBoundingClientRect().height)"
        )
        if rows:
            assert max(rows) <= 240, "readable column widths: no row a column of broken words"
    finally:
        page.wanbei_return()


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("size", [(1366, 800), (360, 800)])
def test_side_panel_charts_text_is_11_px_or_more(tabs, live_server, lang, size):
    page = tabs.borrow(viewport={"width": size[0], "height": size[1]})
    try:
        page.goto(f"{live_server.url}/?lang={lang}")
        page.wait_for_selector(READY, timeout=20_000)
        if not page.locator("#wb-panel").is_visible():
            page.click("#wb-panel-toggle")
        page.evaluate("document.getElementById('wb-stats-charts').scrollIntoView()")
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('.wb-chart')).every(i => i.complete && "
            "i.getBoundingClientRect().height > 20) && "
            "document.querySelectorAll('.wb-chart').length"
        )
        panel = page.evaluate(
            """() => { const p = document.getElementById('wb-panel');
                       return [p.scrollWidth, p.clientWidth]; }"""
        )
        assert panel[0] <= panel[1], "the panel does not scroll sideways"
        assert page.evaluate(INLINE_THE_IMAGES) == 4
        check_sizes(page.evaluate(TEXT_SIZES, "#wb-test-charts"))
    finally:
        page.wanbei_return()
