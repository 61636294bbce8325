"""The plan in a real browser: the map's colouring of the 皖北 cities by their share of targets
done (with its legend), the milestones on the year slider, and the /plan table."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.browser

TITLE = {"zh-Hans": "工作计划进展(按城市)", "en": "Work plan progress (by city)"}
UNKNOWN = {
    "zh-Hans": "进展未知(无任务报告进展)",
    "en": "Progress unknown (no target's progress reported)",
}


def open_map(page, url: str, lang: str):
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{url}/?lang={lang}")
    page.wait_for_selector("html[data-wanbei-ready='1']", timeout=20_000)
    page.wait_for_selector("html[data-wanbei-tools='1']", timeout=10_000)
    return errors


@pytest.mark.parametrize("lang", ["zh-Hans", "en"])
def test_plan_colouring_and_its_legend(page, live_server, client, lang):
    errors = open_map(page, live_server.url, lang)
    rows = page.locator(".wb-legend-row[data-layer='plan_progress']")
    assert rows.count() == 5 and rows.first.is_hidden(), "hidden until the layer is shown"
    page.locator(".leaflet-control-layers").get_by_text(TITLE[lang], exact=True).click()
    assert rows.first.is_visible()
    assert page.locator(".wb-legend").get_by_text(UNKNOWN[lang], exact=True).is_visible()
    layer = json.loads(client.get("/downloads/plan_progress.geojson").data)["features"]
    assert len(layer) == 8
    paths = page.locator("path.wb-plan_progress")
    assert paths.count() == 8
    for feature in layer:
        cls = f"path.wb-plan_progress-{feature['properties']['progress']}"
        assert page.locator(cls).count() >= 1, cls
    # the popup of 蚌埠 gives the share done and the counts behind it
    page.evaluate("""() => {
        const e = window.wanbei.entries.plan_progress;
        e.features['340300'].openPopup();
    }""")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert "33.3" in text
    assert ("Bengbu" if lang == "en" else "蚌埠市") in text
    assert errors == []


def test_the_unknown_class_is_exactly_the_cities_without_a_share(client):
    layer = json.loads(client.get("/downloads/plan_progress.geojson").data)["features"]
    for f in layer:
        p = f["properties"]
        assert (p["share_done"] is None) == (p["progress"] == "unknown")
        assert p["known"] + p["unknown"] == p["targets"]


def test_milestones_on_the_year_slider(page, live_server, client):
    errors = open_map(page, live_server.url, "en")
    page.wait_for_selector("html[data-wanbei-milestones]", timeout=10_000)
    events = json.loads(client.get("/api/milestones.json?lang=en").data)["milestones"]
    ticks = page.locator("#wb-year-ticks option")
    assert sorted(int(o) for o in ticks.evaluate_all("os => os.map(o => o.value)")) == sorted(
        {m["year"] for m in events}
    )
    page.evaluate("() => window.wanbei.officials.setFilter({to: 2023})")
    items = page.locator("#wb-milestones li")
    expected = [m["name"] for m in events if m["year"] == 2023]
    assert items.count() == len(expected) > 0
    assert page.locator("#wb-milestones").get_by_text("Events of 2023").is_visible()
    assert "The Anhui Yangtze Delta green farm-produce service centre opens in Shanghai" in (
        page.locator("#wb-milestones").inner_text()
    )
    end = int(page.locator("#wb-year").get_attribute("max"))
    # the slider ends at the data's last year: a later year is taken as that one
    page.evaluate(f"() => window.wanbei.officials.setFilter({{to: {end + 1}}})")
    assert items.count() == len([m for m in events if m["year"] == end])
    assert int(page.locator("#wb-year").input_value()) == end
    empty = sorted(set(range(2021, end + 1)) - {m["year"] for m in events})
    if empty:  # a year of the slider with no recorded event says so
        page.evaluate(f"() => window.wanbei.officials.setFilter({{to: {empty[0]}}})")
        assert items.count() == 0
        assert (
            page.locator("#wb-milestones")
            .get_by_text(f"No recorded events in {empty[0]}")
            .is_visible()
        )
    page.evaluate(f"() => window.wanbei.officials.setFilter({{to: {end}}})")
    if end not in {m["year"] for m in events}:
        assert page.locator("#wb-milestones").is_hidden(), "no year chosen: no empty list"
    assert errors == []


@pytest.mark.parametrize(
    ("lang", "done"), [("zh-Hans", "已完成"), ("en", "Done"), ("zh-Hant", "已完成")]
)
def test_the_plan_table_and_its_filters(page, live_server, lang, done):
    page.goto(f"{live_server.url}/plan?lang={lang}")
    rows = page.locator("table[data-table='targets'] tbody tr")
    assert rows.count() == 29
    assert page.locator("table[data-table='milestones'] tbody tr").count() == 21
    page.select_option("#wb-plan-status", "done")
    page.locator("form.wb-filter button[type=submit]").click()
    page.wait_for_url("**status=done**")
    assert rows.count() == 1
    assert rows.first.get_attribute("data-id") == "T2023-agri-centre"
    assert rows.first.locator(".wb-plan-done").inner_text() == done
    assert page.evaluate("document.documentElement.lang") == lang
    # the page fits a phone's width without sideways scrolling of the page itself
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_focusing_a_pair_highlights_its_city_in_the_plan_colouring(page, live_server):
    errors = open_map(page, live_server.url, "zh-Hans")
    page.locator(".leaflet-control-layers").get_by_text(TITLE["zh-Hans"], exact=True).click()
    page.evaluate("() => window.wanbei.officials.focus('P-330200-340300', {fly: false})")
    classes = page.evaluate("""() => Object.fromEntries(
        Object.entries(window.wanbei.entries.plan_progress.features)
            .map(([id, l]) => [id, l.getElement().getAttribute('class')]))""")
    assert len(classes) == 8
    for adcode, cls in classes.items():
        want = "wb-focus" if adcode == "340300" else "wb-dim"
        assert want in cls.split(), (adcode, cls)
    assert errors == []
