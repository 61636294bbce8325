"""What a person reads on the map (issue 13, items 1, 4-basemap, 5 and 6), in headless Chromium:
both ends of every pair named without overlaps, one arc per pairing, English and Traditional
basemap names, land told from sea (on the page and in the PNG export), the G60 corridor drawn
as one line in its order with its link to 六安.
"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

READY = "html[data-wanbei-ready='1']"
CJK = re.compile(r"[\u3400-\u9fff]")
PAIR_ID = re.compile(r"P-\d{6}-\d{6}")
SETTLE = """() => new Promise(
    r => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 50))))"""
LABELS = """() => Array.from(document.querySelectorAll('.wb-label-pair')).map(n => {
    const r = n.getBoundingClientRect();
    return {text: n.textContent, x: r.left, y: r.top, w: r.width, h: r.height,
            shown: getComputedStyle(n).visibility !== 'hidden' && r.width > 0};
})"""
ENDS = """() => wanbei.entries.pairings.data.features.map(f => [
    f.id, f.properties.helping_short_zh, f.properties.helped_short_zh])"""
BASEMAP_LABELS = """() => Array.from(document.querySelectorAll('.leaflet-tooltip.wb-label'))
    .filter(n => !n.classList.contains('wb-label-pair'))
    .filter(n => getComputedStyle(n).display !== 'none'
                 && getComputedStyle(n).visibility !== 'hidden')
    .map(n => n.textContent)"""


@pytest.fixture
def desk(tabs):
    tab = tabs.borrow(viewport={"width": 1366, "height": 800})
    yield tab
    tab.wanbei_return()


def _open(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(READY, timeout=30_000)
    page.wait_for_selector(".wb-map[data-labels]", timeout=10_000)
    page.evaluate(SETTLE)


def _overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"]
        and b["y"] < a["y"] + a["h"]
    )


@pytest.mark.parametrize("lang", ["zh-Hans", "en", "zh-Hant"])
def test_both_ends_of_every_pair_are_named_without_overlaps(desk, live_server, lang):
    _open(desk, f"{live_server.url}/?lang={lang}")
    ends = desk.evaluate(ENDS)
    assert len(ends) >= 15
    labels = [lab for lab in desk.evaluate(LABELS) if lab["shown"]]
    texts = {lab["text"] for lab in labels}
    for pair_id, helping, helped in ends:
        assert helping in texts and helped in texts, (pair_id, helping, helped, sorted(texts))
    for i, a in enumerate(labels):
        assert not PAIR_ID.search(a["text"]), a
        for b in labels[i + 1 :]:
            assert not _overlap(a, b), (a, b)
    # every label inside the map
    box = desk.evaluate(
        "() => { const r = wanbei.map.getContainer().getBoundingClientRect();"
        " return {x: r.left, y: r.top, w: r.width, h: r.height}; }"
    )
    for lab in labels:
        assert box["x"] <= lab["x"] and lab["x"] + lab["w"] <= box["x"] + box["w"], lab
        assert box["y"] <= lab["y"] and lab["y"] + lab["h"] <= box["y"] + box["h"], lab
    # the helping districts are named with their city
    if lang == "en":
        assert {"Shanghai·Minhang", "Shanghai·Songjiang", "Shanghai·Fengxian"} <= texts
        assert not [t for t in texts if CJK.search(t)], texts
    elif lang == "zh-Hant":
        assert {"上海·閔行", "蘇州", "寧波", "阜陽", "杭州·臨平"} <= texts, texts
    else:
        assert {"上海·闵行", "上海·松江", "上海·奉贤", "淮南", "蚌埠"} <= texts


@pytest.mark.parametrize("lang", ["en", "zh-Hant"])
def test_the_basemap_names_are_in_the_page_language(desk, live_server, lang):
    # zoomed in on northern Jiangsu and Anhui, where the prefectures are named
    _open(desk, f"{live_server.url}/?lang={lang}&center=33.3,118.8&zoom=8")
    names = desk.evaluate(BASEMAP_LABELS)
    assert len(names) >= 5, names
    if lang == "en":
        assert not [n for n in names if CJK.search(n)], names
        assert "Lianyungang" in names or "Yancheng" in names, names
    else:
        assert "連雲港市" in names or "鹽城市" in names, names


def test_each_pairing_is_its_own_arc_with_a_named_tooltip(desk, live_server):
    _open(desk, f"{live_server.url}/?lang=zh-Hans")
    paths = desk.evaluate(
        """() => Object.values(wanbei.entries.pairings.features).map(sub => {
            const el = sub.getElement(), n = el.getTotalLength();
            const mid = el.getPointAtLength(n / 2);
            const a = el.getPointAtLength(0), b = el.getPointAtLength(n);
            const bow = Math.hypot(mid.x - (a.x + b.x) / 2, mid.y - (a.y + b.y) / 2);
            const tip = sub.getTooltip() && sub.getTooltip().getContent();
            return {d: el.getAttribute('d'), mid: [mid.x, mid.y], n: n, bow: bow,
                    tip: tip ? tip.textContent : null};
        })"""
    )
    assert len(paths) >= 15
    assert len({p["d"] for p in paths}) == len(paths), "two pairings share one path"
    for i, a in enumerate(paths):
        # a curve, not a straight line: its middle stands off the chord
        assert a["bow"] >= 0.02 * a["n"], a
        assert a["tip"] and "→" in a["tip"] and not PAIR_ID.search(a["tip"]), a["tip"]
        for b in paths[i + 1 :]:
            dx, dy = a["mid"][0] - b["mid"][0], a["mid"][1] - b["mid"][1]
            assert (dx * dx + dy * dy) ** 0.5 >= 6, (a["tip"], b["tip"])
    # direction: one arrow per pairing
    arrows = desk.evaluate("document.querySelectorAll('.wb-arrow-pairings').length")
    assert arrows == len(paths)


# lat, lon: in the Yellow Sea, in Henan (a neighbouring province) and in Anhui
SEA, HENAN, ANHUI = (33.0, 123.0), (33.6, 114.6), (30.75, 116.6)
VIEW = "() => { wanbei.map.setView([32.0, 118.5], 7, {animate: false}); }"
BASEMAP_ONLY = """() => {
    wanbei.groups.forEach(g => { if (g.id !== 'boundaries') wanbei.map.removeLayer(g.group); });
    document.querySelector('.leaflet-control-container').style.display = 'none';
    document.querySelectorAll('.wb-label').forEach(n => n.style.display = 'none');
}"""


def test_the_basemap_tells_land_from_sea(desk, live_server):
    _open(desk, f"{live_server.url}/?lang=zh-Hans")
    desk.evaluate(VIEW)
    desk.evaluate(BASEMAP_ONLY)
    desk.evaluate(SETTLE)
    found = desk.evaluate(
        """(points) => points.map(([lat, lon]) => {
            const p = wanbei.map.latLngToContainerPoint([lat, lon]);
            const r = wanbei.map.getContainer().getBoundingClientRect();
            const el = document.elementFromPoint(r.left + p.x, r.top + p.y);
            return {cls: el.getAttribute('class') || '', fill: getComputedStyle(el).fill,
                    bg: getComputedStyle(el).backgroundColor};
        })""",
        [SEA, HENAN, ANHUI],
    )
    sea, henan, anhui = found
    assert "wb-boundaries" not in sea["cls"] and sea["bg"] == "rgb(220, 233, 242)", sea
    assert "wb-boundaries-neighbour" in henan["cls"] and henan["fill"] == "rgb(230, 227, 218)"
    assert "wb-boundaries" in anhui["cls"] and anhui["fill"] == "rgb(246, 243, 234)", anhui

    # the PNG export paints the same three colours
    pixels = desk.evaluate(
        """async (points) => {
            const r = await wanbei.exporter.render({scale: 1});
            const ctx = r.canvas.getContext('2d');
            return points.map(([lat, lon]) => {
                const p = wanbei.map.latLngToContainerPoint([lat, lon]);
                return Array.from(ctx.getImageData(Math.round(p.x), Math.round(p.y), 1, 1).data);
            });
        }""",
        [SEA, HENAN, ANHUI],
    )
    for got, want in zip(pixels, [(220, 233, 242), (230, 227, 218), (246, 243, 234)], strict=True):
        assert all(abs(g - w) <= 4 for g, w in zip(got[:3], want, strict=True)), (got, want)


def test_the_g60_corridor_is_one_line_in_its_order_and_its_link_is_explained(desk, live_server):
    _open(desk, f"{live_server.url}/?lang=zh-Hans")
    corridor = desk.evaluate(
        """() => {
            const e = wanbei.entries.corridor, out = {members: [], line: null, link: null};
            e.data.features.forEach(f => {
                const sub = e.features[f.id], k = f.properties.kind;
                if (k === 'member') out.members.push(f.geometry.coordinates);
                if (k === 'line') out.line = {coords: f.geometry.coordinates,
                    cls: sub.getElement().getAttribute('class'),
                    tip: sub.getTooltip().getContent().textContent,
                    width: parseFloat(getComputedStyle(sub.getElement()).strokeWidth)};
                if (k === 'link') out.link = {from: f.properties.from_adcode,
                    dash: sub.getElement().getAttribute('stroke-dasharray')};
            });
            return out;
        }"""
    )
    line = corridor["line"]
    assert line, "no corridor line"
    # the members in the corridor's order, joined by one line
    assert line["coords"] == corridor["members"]
    assert len(corridor["members"]) == 9
    assert "wb-corridor-line" in line["cls"] and line["width"] >= 8
    assert "G60" in line["tip"]
    # named on the map, on the band
    band = desk.evaluate(
        "() => { const n = document.querySelector('.wb-label-band');"
        " return n && getComputedStyle(n).display !== 'none' ? n.textContent : null; }"
    )
    assert band == "G60科创走廊"
    # the link to 六安 starts where the data says (松江, the corridor's joint office), dashed
    assert corridor["link"]["from"] == "310117" and corridor["link"]["dash"]
    # the legend's rows are short; "more details" shows each row's plain-words explanation
    short = desk.locator(".wb-legend").inner_text()
    assert "走廊辐射链接六安" in short and "推进中" not in short
    desk.click(".wb-legend-toggle")
    legend = desk.locator(".wb-legend").inner_text()
    assert "2023年工作方案" in legend and "推进中" in legend and "最近成员" not in legend
    desk.click(".wb-legend-toggle")

    # no dot covers the 合肥市 label
    covered = desk.evaluate(
        """() => {
            const tip = wanbei.entries.boundaries.features['340100'].getTooltip().getElement();
            const r = tip.getBoundingClientRect(), hits = [];
            Object.values(wanbei.entries).forEach(e => Object.values(e.features || {})
              .forEach(sub => {
                if (!(sub instanceof L.CircleMarker) || !sub._map) return;
                const q = sub.getElement().getBoundingClientRect();
                if (q.left < r.right && r.left < q.right && q.top < r.bottom && r.top < q.bottom)
                  hits.push(e.cfg.id);
              }));
            return {hits: hits, shown: getComputedStyle(tip).visibility !== 'hidden'};
        }"""
    )
    assert covered == {"hits": [], "shown": True}


def test_the_link_to_luan_shows_when_songjiang_luan_is_focused(desk, live_server):
    _open(desk, f"{live_server.url}/?lang=en&pair=P-310117-341500")
    desk.wait_for_selector(".wb-map[data-focus='P-310117-341500']", timeout=10_000)
    link = desk.evaluate(
        """() => {
            const e = wanbei.entries.corridor;
            const f = e.data.features.find(f => f.properties.kind === 'link');
            const el = e.features[f.id].getElement();
            return {cls: el.getAttribute('class'), opacity: getComputedStyle(el).opacity};
        }"""
    )
    assert "wb-focus" in link["cls"] and "wb-dim" not in link["cls"], link
    assert float(link["opacity"]) == 1
    texts = {lab["text"] for lab in desk.evaluate(LABELS) if lab["shown"]}
    # only the focused pair's ends are named (its county pair 松江 → 金安 included)
    assert (
        {"Shanghai·Songjiang", "Lu'an"} <= texts <= {"Shanghai·Songjiang", "Lu'an", "Lu'an·Jin'an"}
    )


@pytest.mark.parametrize(
    ("size", "path"),
    [((390, 844), "/?lang=en"), ((360, 400), "/embed?lang=zh-Hant"), ((640, 480), "/embed")],
    ids=["phone", "column", "embed"],
)
def test_on_a_narrow_map_the_city_pairs_ends_are_named_without_overlaps(
    tabs, live_server, size, path
):
    page = tabs.borrow(viewport={"width": size[0], "height": size[1]})
    try:
        _open(page, live_server.url + path)
        ends = page.evaluate(
            """() => wanbei.entries.pairings.data.features
                .filter(f => f.properties.level === 'city')
                .map(f => [f.properties.helping_short_zh, f.properties.helped_short_zh])"""
        )
        labels = [lab for lab in page.evaluate(LABELS) if lab["shown"]]
        texts = {lab["text"] for lab in labels}
        assert {t for pair in ends for t in pair} == texts
        for i, a in enumerate(labels):
            for b in labels[i + 1 :]:
                assert not _overlap(a, b), (a, b)
    finally:
        page.wanbei_return()


def test_a_pair_embed_names_only_the_pairs_ends(tabs, live_server):
    page = tabs.borrow(viewport={"width": 640, "height": 480})
    try:
        _open(page, f"{live_server.url}/embed?pair=P-330200-340300&lang=en")
        page.wait_for_selector(".wb-map[data-focus='P-330200-340300']", timeout=10_000)
        page.evaluate(SETTLE)
        texts = {lab["text"] for lab in page.evaluate(LABELS) if lab["shown"]}
        # the pair and its county pairs (镇海 → 淮上, 海曙 → 五河)
        assert {"Ningbo", "Bengbu"} <= texts
        assert texts <= {
            "Ningbo",
            "Bengbu",
            "Ningbo·Zhenhai",
            "Bengbu·Huaishang",
            "Ningbo·Haishu",
            "Wuhe",
        }
    finally:
        page.wanbei_return()
