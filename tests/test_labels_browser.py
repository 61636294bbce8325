"""Names that do not crowd (issue 13 items 1, 2 and 11): in a 360×400 portal column, in the
three languages, the label placement leaves out the less important names rather than drawing
them over each other, so that no two shown names (the pairs' ends, the G60 band's name, the
basemap's names) overlap and none lies under a control (the folded layer list and legend, the
zoom buttons, the scale, the attribution).
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

LANGS = ("zh-Hans", "en", "zh-Hant")
READY = "html[data-wanbei-ready='1']"
SETTLE = """() => new Promise(
    r => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 50))))"""

#: The shown names' boxes and the shown controls' boxes, in the page's pixels.
BOXES = """() => {
  const box = n => { const r = n.getBoundingClientRect();
                     return {x: r.left, y: r.top, w: r.width, h: r.height}; };
  const shown = n => { const s = getComputedStyle(n), r = n.getBoundingClientRect();
                       return s.display !== 'none' && s.visibility !== 'hidden' &&
                              r.width > 0 && r.height > 0; };
  const labels = Array.from(document.querySelectorAll('.leaflet-tooltip.wb-label'))
    .filter(shown).map(n => Object.assign(box(n), {text: n.textContent}));
  const controls = Array.from(document.querySelectorAll('.leaflet-control'))
    .filter(shown).map(n => Object.assign(box(n), {text: n.className}));
  return {labels, controls, pairs: document.querySelectorAll('.wb-label-pair').length};
}"""


def overlap(a, b, slack=0.5):
    return (
        a["x"] + slack < b["x"] + b["w"]
        and b["x"] + slack < a["x"] + a["w"]
        and a["y"] + slack < b["y"] + b["h"]
        and b["y"] + slack < a["y"] + a["h"]
    )


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("path", ["/embed", "/"])
def test_no_name_overlaps_another_or_a_control_at_360_by_400(tabs, live_server, lang, path):
    page = tabs.borrow(viewport={"width": 360, "height": 400})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{live_server.url}{path}?lang={lang}")
        page.wait_for_selector(READY, timeout=30_000)
        page.wait_for_selector(".wb-map[data-labels]", timeout=10_000)
        page.wait_for_timeout(300)
        page.evaluate(SETTLE)
        got = page.evaluate(BOXES)
        labels, controls = got["labels"], got["controls"]
        pair_labels = page.evaluate("document.querySelector('.wb-map').dataset.labels")
        assert int(pair_labels) >= 6, "the most important names are still there"
        for i, a in enumerate(labels):
            for b in labels[i + 1 :]:
                assert not overlap(a, b), (a, b)
            for c in controls:
                assert not overlap(a, c), (a, c)
        assert errors == []
    finally:
        page.wanbei_return()
