"""The tables beside the map (webapp/static/tables.js) in headless Chromium: their rows are the
features the map draws, filters and the focused pair apply to both, choosing a row (by keyboard)
opens and highlights its feature, a click on the map marks its row; a big layer is paged."""

from __future__ import annotations

import pytest

from tests.conftest import LiveServer
from webapp import DEFAULT_DATA_DIR, create_app

pytestmark = pytest.mark.browser

NINGBO_BENGBU = "P-330200-340300"
PAGE = 50

# The ids of the rows on the page, and of the features the map draws (or highlights as the
# focused pair's), read from the DOM and Leaflet, not from tables.js.
DOM_ROWS = "[...document.querySelectorAll('#wb-tables-body tr[data-id]')].map(r => r.dataset.id)"
# A big layer is drawn lean, on one canvas (wanbei.js): what it draws is in entry.lean.
DRAWN = """(layer) => {
    const e = wanbei.entries[layer];
    if (e.lean) return e.lean.features.filter((f, i) => e.lean.shown[i]).map(f => String(f.id));
    return Object.keys(e.features);
}"""
FOCUSED = """(layer) => {
    const e = wanbei.entries[layer];
    if (e.lean) {
        return e.lean.features.filter((f, i) => e.lean.shown[i] && (e.lean.flags[i] & 4))
            .map(f => String(f.id));
    }
    return Object.entries(e.features)
        .filter(([id, l]) => l.getElement().classList.contains('wb-focus')).map(([id]) => id);
}"""
# Bring one feature of a point layer to the middle of the map, close up, with no animation, and
# return a point of its marker that the page reports as topmost (`elementFromPoint` is the marker
# itself, not a control, a label or another feature's path), or null. The point is looked for on
# a grid over the marker, so that a line crossing its centre does not hide it.
CLICKABLE = """async ([layer, id]) => {
    const map = wanbei.map, l = wanbei.featureLayer(layer, id);
    if (!l || !l.getLatLng) return null;
    const zoom = Math.min(Math.max(map.getZoom(), 11), map.getMaxZoom());
    map.setView(l.getLatLng(), zoom, {animate: false});
    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    const node = l.getElement && l.getElement();
    if (!node) return null;
    const r = node.getBoundingClientRect();
    const steps = [0, -1, 1, -2, 2, -3, 3, -4, 4];  // the centre first, then outwards
    for (const dy of steps) {
        for (const dx of steps) {
            const x = r.left + r.width * (0.5 + dx / 10), y = r.top + r.height * (0.5 + dy / 10);
            if (document.elementFromPoint(x, y) === node) return {id, x, y};
        }
    }
    return null;
}"""


# What lies at the centre of the given feature's marker (to explain a failure).
COVERED = """([layer, id]) => {
    const l = wanbei.featureLayer(layer, id), node = l && l.getElement && l.getElement();
    if (!node) return [id, "not drawn"];
    const r = node.getBoundingClientRect();
    const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    const what = top ? top.tagName + "." + top.getAttribute("class") : null;
    return [id, Math.round(r.left), Math.round(r.top), what];
}"""


def open_tables(page, base: str, query: str = "") -> None:
    page.goto(base + "/" + query)
    page.wait_for_selector("html[data-wanbei-ready='1']", timeout=20_000)
    page.wait_for_selector("html[data-wanbei-tools='1']", timeout=10_000)
    assert page.locator("#wb-tables").is_hidden()
    if page.locator("#wb-menu-toggle").is_visible():  # a narrow screen: the tools are in a menu
        page.click("#wb-menu-toggle")
    page.click("#wb-tables-toggle")
    assert page.locator("#wb-tables-toggle").get_attribute("aria-expanded") == "true"
    page.wait_for_selector("#wb-tables-body tr[data-id]")
    # the panel narrows the map: wait until Leaflet has its new size and the view is set again
    page.wait_for_function(
        "() => wanbei.map.getSize().x === wanbei.map.getContainer().clientWidth"
        " && !wanbei.map._animatingZoom && !wanbei.map._panAnim?._inProgress"
    )
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def settle(page) -> None:
    """Let the tables' scheduled refresh run (it follows the map's events by a timeout of 0)."""
    page.evaluate("() => new Promise(r => setTimeout(() => setTimeout(r, 0), 0))")


def show(page, layer: str) -> None:
    page.select_option("#wb-tables-layer", layer)
    settle(page)


def rows(page) -> list[str]:
    return page.evaluate(DOM_ROWS)


def all_rows(page) -> list[str]:
    """Every row of the table, page after page, turned with the "next" button."""
    seen = rows(page)
    while page.locator("#wb-tables-next").is_enabled():
        page.click("#wb-tables-next")
        seen += rows(page)
    return seen


@pytest.fixture
def errors(page):
    found: list[str] = []
    page.on("pageerror", lambda e: found.append(str(e)))
    page.on("console", lambda m: found.append(m.text) if m.type in ("error", "warning") else None)
    yield found
    assert found == [], "no script error on the way"


@pytest.mark.parametrize("layer", ["pairings", "parks", "projects"])
def test_rows_are_the_drawn_features(page, live_server, errors, layer):
    open_tables(page, live_server.url)
    show(page, layer)
    drawn = page.evaluate(DRAWN, layer)
    assert drawn and sorted(rows(page)) == sorted(drawn)
    assert page.locator("#wb-tables-body tr[data-id] th[scope=row] button").count() == len(drawn)
    title = page.evaluate("(l) => wanbei.entries[l].cfg.title", layer)
    assert page.locator("#wb-tables-caption").inner_text().startswith(title)
    assert page.locator("#wb-tables-status").inner_text() == f"{title}:{len(drawn)} 行"
    assert page.locator("#wb-tables-status").get_attribute("role") == "status"
    assert page.locator("#wb-tables-head th[scope=col]").count() >= 4
    # the values in the page's language: the layer's value labels, not the codes
    if layer == "parks":
        statuses = page.locator("#wb-tables-body td").all_inner_texts()
        codes = page.evaluate("wanbei.entries.parks.data.features.map(f => f.properties.status)")
        assert "licensed" in codes and "已挂牌" in statuses
        assert not set(codes) & set(statuses)


def test_english_page_shows_english_values(page, live_server, errors):
    open_tables(page, live_server.url, "?lang=en")
    show(page, "pairings")
    names = page.locator("#wb-tables-body th[scope=row]").all_inner_texts()
    assert "Ningbo" in names
    assert page.locator("#wb-tables-head th").first.inner_text().strip() == "Helping"


def test_filters_and_focus_change_the_rows_as_they_change_the_map(page, live_server, errors):
    open_tables(page, live_server.url)
    show(page, "parks")
    every = rows(page)

    # a status of the parks, from the filter's own options
    status = page.evaluate(
        "[...document.querySelectorAll('#wb-f-status optgroup option')]"
        ".find(o => o.parentNode.label === wanbei.entries.parks.cfg.title).value"
    )
    page.select_option("#wb-f-status", status)
    settle(page)
    drawn = page.evaluate(DRAWN, "parks")
    assert 0 < len(drawn) < len(every)
    assert sorted(rows(page)) == sorted(drawn)
    page.click("#wb-f-reset")
    settle(page)
    assert sorted(rows(page)) == sorted(every)

    # the pair filter, on the pairings table
    show(page, "pairings")
    page.select_option("#wb-f-pair", NINGBO_BENGBU)
    settle(page)
    drawn = page.evaluate(DRAWN, "pairings")
    assert NINGBO_BENGBU in drawn and len(drawn) < 15
    assert sorted(rows(page)) == sorted(drawn)

    # the year slider (the end of the range)
    page.click("#wb-f-reset")
    show(page, "parks")
    page.evaluate("""() => {
        const s = document.getElementById('wb-year');
        s.value = 2022;
        s.dispatchEvent(new Event('input', {bubbles: true}));
    }""")
    settle(page)
    drawn = page.evaluate(DRAWN, "parks")
    assert len(drawn) < len(every)
    assert sorted(rows(page)) == sorted(drawn)
    page.click("#wb-f-reset")
    settle(page)

    # focusing a pair: the rows are the features the map highlights, the caption names it
    page.select_option("#wb-pair-select", NINGBO_BENGBU)
    settle(page)
    focused = page.evaluate(FOCUSED, "parks")
    assert 0 < len(focused) < len(every)
    assert sorted(rows(page)) == sorted(focused)
    assert "宁波市 → 蚌埠市" in page.locator("#wb-tables-caption").inner_text()
    show(page, "projects")
    assert sorted(rows(page)) == sorted(page.evaluate(FOCUSED, "projects"))
    page.select_option("#wb-pair-select", "")
    settle(page)
    assert sorted(rows(page)) == sorted(page.evaluate(DRAWN, "projects"))


def test_choosing_a_row_by_keyboard_opens_and_highlights_its_feature(page, live_server, errors):
    open_tables(page, live_server.url)
    show(page, "parks")
    page.focus("#wb-tables-layer")
    for _ in range(20):  # Tab reaches the table's rows
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('wb-trow')"):
            break
    else:
        pytest.fail("Tab never reached a row")
    ids = rows(page)
    assert page.evaluate("document.activeElement.closest('tr').dataset.id") == ids[0]
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    chosen = page.evaluate("document.activeElement.closest('tr').dataset.id")
    assert chosen == ids[2]
    name = page.evaluate("document.activeElement.textContent")
    page.keyboard.press("Enter")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=10_000)
    assert name in popup.inner_text()
    highlighted = (
        "(id) => wanbei.featureLayer('parks', id).getElement().classList.contains('wb-highlight')"
    )
    assert page.evaluate(highlighted, chosen)
    row = page.locator(f"#wb-tables-body tr[data-id='{chosen}']")
    assert "wb-selected" in row.get_attribute("class")
    assert row.locator("button").get_attribute("aria-current") == "true"
    assert page.locator("#wb-tables-body .wb-selected").count() == 1
    # keyboard focus stays on the row; Space chooses the one above
    assert page.evaluate("document.activeElement.closest('tr').dataset.id") == chosen
    page.keyboard.press("ArrowUp")
    page.keyboard.press(" ")
    page.wait_for_function(
        "(id) => wanbei.featureLayer('parks', id).getElement().classList.contains('wb-highlight')",
        arg=ids[1],
    )
    assert not page.evaluate(highlighted, chosen)
    assert page.locator("#wb-tables-body .wb-selected").get_attribute("data-id") == ids[1]
    # the highlight stays while the row is selected, through a redraw of the map
    page.select_option(
        "#wb-f-sector",
        page.evaluate("document.querySelector('#wb-f-sector option:nth-child(2)').value"),
    )
    settle(page)
    assert page.evaluate(highlighted, ids[1])


def test_clicking_a_feature_on_the_map_marks_its_row(page, live_server, errors):
    open_tables(page, live_server.url)
    show(page, "pairings")
    parks = sorted(page.evaluate(DRAWN, "parks"))
    assert parks
    # One park at a time in the middle of the map, close up: the first with a point the page
    # reports as topmost is clicked with the mouse (what lies on top does not depend on timing).
    target, covered = None, []
    for park in parks:
        target = page.evaluate(CLICKABLE, ["parks", park])
        if target:
            break
        covered.append(page.evaluate(COVERED, ["parks", park]))
    assert target, f"no park can be clicked: {covered}"
    page.mouse.click(target["x"], target["y"])
    page.wait_for_function("() => wanbei.tables.layer() === 'parks'")
    settle(page)
    assert page.locator("#wb-tables-layer").input_value() == "parks"
    row = page.locator("#wb-tables-body tr.wb-selected")
    assert row.get_attribute("data-id") == target["id"]
    assert row.is_visible()
    # the map's click also focused the park's pair: the rows are the pair's parks
    assert sorted(rows(page)) == sorted(page.evaluate(FOCUSED, "parks"))


@pytest.fixture(scope="module")
def synthetic_server(tmp_path_factory):
    """The app on a copy of the data with 2,110 synthetic project sites (bench/synth.py): more
    than wanbei.CANVAS_ABOVE, so the map gets them lean and draws them on one canvas."""
    from bench.synth import generate

    data = generate(DEFAULT_DATA_DIR, tmp_path_factory.mktemp("synth") / "data", 2110, 7)
    with LiveServer(create_app({"TESTING": True, "DATA_DIR": str(data)})) as server:
        yield server


def test_a_big_layer_is_paged(page, synthetic_server, errors):
    open_tables(page, synthetic_server.url)
    show(page, "projects")
    assert page.evaluate("!!wanbei.entries.projects.lean"), "drawn from the lean payload"
    drawn = page.evaluate(DRAWN, "projects")
    assert len(drawn) == 2110
    assert len(rows(page)) == PAGE, "one page of rows is built, not 2,110"
    assert page.locator("#wb-tables-range").inner_text() == "第 1–50 行,共 2,110 行"
    assert page.locator("#wb-tables-prev").is_disabled()
    # the lean features carry the pair's id only: its name comes from the other layers
    heads = page.locator("#wb-tables-head th").all_inner_texts()
    assert [h.strip() for h in heads] == ["项目", "结对", "行业", "状态", "年份"]
    pairs = page.locator("#wb-tables-body tr td:nth-of-type(1)").all_inner_texts()
    assert len(pairs) == PAGE and all("—" in p for p in pairs), pairs[:3]

    seen = all_rows(page)
    assert len(seen) == len(set(seen)) == 2110 and sorted(seen) == sorted(drawn)
    assert page.locator("#wb-tables-range").inner_text() == "第 2,101–2,110 行,共 2,110 行"
    page.click("#wb-tables-prev")
    assert page.locator("#wb-tables-range").inner_text() == "第 2,051–2,100 行,共 2,110 行"

    # PageUp/PageDown and the arrows turn pages from the keyboard
    page.focus("#wb-tables-body .wb-trow")
    page.keyboard.press("PageUp")
    assert page.locator("#wb-tables-range").inner_text() == "第 2,001–2,050 行,共 2,110 行"
    page.keyboard.press("End")
    page.keyboard.press("ArrowDown")
    assert page.locator("#wb-tables-range").inner_text() == "第 2,051–2,100 行,共 2,110 行"
    assert page.evaluate("document.activeElement.closest('tr').dataset.id") == seen[2050]

    # a filter goes back to the first page, and the live region says how many rows are left
    page.select_option("#wb-f-sector", "新能源")
    settle(page)
    drawn = page.evaluate(DRAWN, "projects")
    assert 0 < len(drawn) < 2110
    assert page.locator("#wb-tables-range").inner_text().startswith("第 1–50 行")
    assert page.locator("#wb-tables-status").inner_text() == f"合作项目:{len(drawn)} 行"
    assert sorted(all_rows(page)) == sorted(drawn)
    page.click("#wb-f-reset")
    settle(page)

    # sorting by a column orders every page, then the other way round
    page.click("#wb-tables-head [data-sort='name_zh']")
    names = page.evaluate(
        "[...document.querySelectorAll('#wb-tables-body th[scope=row]')].map(t => t.textContent)"
    )
    assert names == sorted(names) and names[0] == "合成项目000000"
    assert page.locator("#wb-tables-head th[aria-sort=ascending]").count() == 1
    page.click("#wb-tables-head [data-sort='name_zh']")
    names = page.evaluate(
        "[...document.querySelectorAll('#wb-tables-body th[scope=row]')].map(t => t.textContent)"
    )
    assert names[0] == "合成项目002109"
    page.click("#wb-tables-head [data-sort='name_zh']")  # back to the layer's order
    assert page.locator("#wb-tables-head th[aria-sort=none]").count() == 5


def test_a_row_of_a_big_layer_opens_its_fetched_popup_and_a_ring(page, synthetic_server, errors):
    open_tables(page, synthetic_server.url)
    show(page, "projects")
    page.click("#wb-tables-next")
    row = page.locator("#wb-tables-body tr[data-id]").nth(7)
    fid, name = row.get_attribute("data-id"), row.locator("th").inner_text()
    row.locator("button").press("Enter")
    # the popup of a lean feature is fetched from the OGC API: its source is there
    page.locator(".leaflet-popup-content", has_text="bench/synth.py").wait_for(timeout=10_000)
    assert name in page.locator(".leaflet-popup-content").inner_text()
    # a point on the canvas has no element: a ring is drawn around it
    ring = page.evaluate(
        """(id) => {
        const ring = document.querySelectorAll('.wb-highlight-ring');
        if (ring.length !== 1) return ring.length;
        const r = ring[0].getBoundingClientRect(), map = wanbei.map;
        const p = map.latLngToContainerPoint(wanbei.featureLayer('projects', id).getLatLng());
        const box = map.getContainer().getBoundingClientRect();
        return Math.hypot(r.left + r.width / 2 - box.left - p.x,
                          r.top + r.height / 2 - box.top - p.y) < 2;
    }""",
        fid,
    )
    assert ring is True
    assert page.locator("#wb-tables-body tr.wb-selected").get_attribute("data-id") == fid
    page.click("#wb-tables-close")
    assert page.locator(".wb-highlight-ring").count() == 0


# Points of a lean layer among the given ids whose place on the map is the layer's canvas (a
# click there reaches the canvas's hit test, not a control).
ON_CANVAS = """([layer, ids]) => {
    const e = wanbei.entries[layer], map = wanbei.map;
    const box = map.getContainer().getBoundingClientRect();
    const out = [];
    for (const id of ids) {
        const p = map.latLngToContainerPoint(wanbei.featureLayer(layer, id).getLatLng());
        const x = box.left + p.x, y = box.top + p.y;
        if (document.elementFromPoint(x, y) === e.canvas._container) out.push({id, x, y});
        if (out.length >= 12) break;
    }
    return out;
}"""


def test_a_click_on_the_map_turns_to_the_page_of_its_row(page, synthetic_server, errors):
    open_tables(page, synthetic_server.url)
    show(page, "projects")
    page.evaluate("(id) => wanbei.officials.focus(id, {fly: false})", NINGBO_BENGBU)
    settle(page)
    ids = page.evaluate("wanbei.tables.rowIds()")
    assert len(ids) > PAGE, "the pair has more than a page of projects"
    assert sorted(ids) == sorted(page.evaluate(FOCUSED, "projects"))
    page.evaluate("""() => { window.__clicked = [];
        document.addEventListener('wanbei:click', e => __clicked.push(e.detail.feature.id)); }""")
    candidates = page.evaluate(ON_CANVAS, ["projects", ids[PAGE:]])
    assert candidates, "projects of the later pages are on the map"
    for target in candidates:  # the topmost point there may be another one: the one clicked
        page.mouse.click(target["x"], target["y"])
        page.wait_for_function("() => __clicked.length > 0")
        clicked = page.evaluate("__clicked.pop()")
        settle(page)
        row = page.locator("#wb-tables-body tr.wb-selected")
        assert row.get_attribute("data-id") == clicked
        assert page.evaluate("wanbei.tables.page()") == ids.index(clicked) // PAGE
        if ids.index(clicked) >= PAGE:
            break
    else:
        pytest.fail("no click reached a project of a later page")
    inside = page.evaluate("""() => {
        const row = document.querySelector('#wb-tables-body tr.wb-selected')
            .getBoundingClientRect();
        const box = document.querySelector('.wb-tscroll').getBoundingClientRect();
        return row.top >= box.top && row.bottom <= box.bottom;
    }""")
    assert inside, "the marked row is scrolled into view"
    assert page.locator(".wb-highlight-ring").count() == 1


def test_axe_finds_no_serious_violation_with_the_tables_open(page, live_server):
    from axe_playwright_python.sync_playwright import Axe

    for query in ("", "?lang=en"):
        open_tables(page, live_server.url, query)
        show(page, "parks")
        page.click("#wb-tables-body tr[data-id] button")
        results = Axe().run(page)
        bad = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert bad == [], query
        assert results.response["passes"], "axe ran its rules"


def test_narrow_screen_puts_the_tables_under_the_map(browser, live_server):
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN")
    page = context.new_page()
    try:
        open_tables(page, live_server.url)
        page.click("#wb-panel-toggle")  # the officials' panel covers the map on a phone
        box = page.locator("#wb-tables").bounding_box()
        map_box = page.locator(".wb-mapbox").bounding_box()
        assert box["y"] >= map_box["y"] + map_box["height"] - 1
        assert box["width"] > 300
    finally:
        context.close()
