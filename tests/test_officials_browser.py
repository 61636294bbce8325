"""The officials' map in headless Chromium: focus a pair, search, filters, the year slider,
basemaps with GCJ-02 drawn right, furniture, PNG and PDF export — with no console error and,
on the default basemap, no request to another origin."""

from __future__ import annotations

import json
import re
import struct
import zlib
from urllib.parse import parse_qs, urlsplit

import pytest

from geo.coords import wgs84_to_gcj02
from layers.registry import LAYERS

pytestmark = pytest.mark.browser

NINGBO_BENGBU = "P-330200-340300"
NANJING_CHUZHOU = "P-320100-341100"


def png_bytes(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A plain-colour PNG, made here (the tile servers are not reachable in tests)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


TILE = png_bytes(256, 256, (235, 225, 200))


class Session:
    """A page on the map with what it logged and requested."""

    def __init__(self, page, base: str) -> None:
        self.page, self.base = page, base
        self.messages: list[tuple[str, str]] = []
        self.requests: list[str] = []
        self.tiles: list[str] = []
        page.on("console", lambda m: self.messages.append((m.type, m.text)))
        page.on("pageerror", lambda e: self.messages.append(("error", str(e))))
        page.on("request", lambda r: self.requests.append(r.url))

    def serve_tiles(self, cors: bool = True) -> None:
        """Answer every request to another origin with a tile (there is no internet here)."""
        headers = {"Access-Control-Allow-Origin": "*"} if cors else {}

        def fulfil(route):
            self.tiles.append(route.request.url)
            cors_request = "origin" in route.request.all_headers()  # an <img crossorigin>
            if not cors and cors_request:
                # what a browser does with a tile server that sends no CORS header (Playwright
                # would add one to a fulfilled CORS request)
                route.abort("accessdenied")
                return
            route.fulfill(status=200, content_type="image/png", body=TILE, headers=headers)

        self.page.route(re.compile(r"^https://(?!127\.0\.0\.1).*"), fulfil)

    def open(self, query: str = "") -> Session:
        self.page.goto(self.base + "/" + query)
        self.page.wait_for_selector("html[data-wanbei-ready='1']", timeout=20_000)
        self.page.wait_for_selector("html[data-wanbei-tools='1']", timeout=10_000)
        return self

    def js(self, script: str, arg=None):
        return self.page.evaluate(script, arg)

    def foreign(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(self.base)]

    def errors(self) -> list[tuple[str, str]]:
        return [m for m in self.messages if m[0] in ("error", "warning")]

    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.page.url).query)


@pytest.fixture
def session(page, live_server):
    s = Session(page, live_server.url)
    yield s
    assert s.errors() == [], "no console error or warning on the way"


@pytest.fixture(scope="module")
def pairs(app):
    return json.loads(app.test_client().get("/api/pairs.json").data)


@pytest.fixture(scope="module")
def geojson(app):
    client = app.test_client()
    return {
        layer_id: json.loads(client.get(f"/downloads/{layer_id}.geojson").data)
        for layer_id in LAYERS
    }


def pair_of(pairs, pair_id):
    return next(p for p in pairs["pairs"] if p["id"] == pair_id)


def classes_by_feature(s: Session) -> dict[str, dict[str, str]]:
    """The class attribute of each drawn feature, by layer and feature id."""
    return s.js("""() => {
        const out = {};
        for (const [id, entry] of Object.entries(wanbei.entries)) {
            out[id] = {};
            for (const [fid, layer] of Object.entries(entry.features)) {
                const node = layer.getElement && layer.getElement();
                out[id][fid] = node ? node.getAttribute('class') : null;
            }
        }
        return out;
    }""")


# --- focus ---------------------------------------------------------------------------------------


def test_clicking_a_city_focuses_its_pair_and_the_url_restores_it(session, pairs):
    s = session.open()
    assert s.foreign() == []
    # a real click on 蚌埠's seat (whatever feature is on top there belongs to the same pair)
    point = s.js("""() => {
        const p = wanbei.map.latLngToContainerPoint(wanbei.featureLayer('places', '340300')
            .getLatLng());
        const r = wanbei.map.getContainer().getBoundingClientRect();
        return [r.left + p.x, r.top + p.y];
    }""")
    s.page.mouse.click(*point)
    s.page.wait_for_function("() => wanbei.officials.focused() !== null")
    assert s.js("wanbei.officials.focused()") == NINGBO_BENGBU
    assert s.query()["pair"] == [NINGBO_BENGBU]
    summary = s.page.locator("#wb-pair-summary")
    assert summary.locator("h3").inner_text() == "宁波市 → 蚌埠市"

    expected = pair_of(pairs, NINGBO_BENGBU)["features"]
    classes = classes_by_feature(s)
    for layer_id, spec in LAYERS.items():
        if not spec.show:  # a layer hidden at first has no drawn element to read
            continue
        for fid, cls in classes[layer_id].items():
            if spec.pane == "basemap":
                assert ("wb-focus-area" in cls) == (fid in expected["boundaries"]), fid
                assert "wb-dim" not in cls
            else:
                want = "wb-focus" if fid in expected[layer_id] else "wb-dim"
                assert want in cls.split(), (layer_id, fid, cls)
    # the pair, both its county pairs, both parks and its named projects are highlighted
    assert set(expected["pairings"]) == {NINGBO_BENGBU, "P-330211-340311", "P-330203-340322"}
    assert s.page.locator("path.wb-parks.wb-focus").count() == 2
    assert s.page.locator("path.wb-projects.wb-focus").count() == len(expected["projects"]) >= 3
    drawn = s.js("Object.keys(wanbei.entries.pairings.features).length")
    assert s.page.locator(".wb-arrow-pairings.wb-dim").count() == drawn - 3

    # the shared URL restores the focus
    s.page.goto(s.page.url)
    s.page.wait_for_selector("html[data-wanbei-tools='1']", timeout=10_000)
    assert s.js("wanbei.officials.focused()") == NINGBO_BENGBU
    assert s.page.locator("#wb-pair-select").input_value() == NINGBO_BENGBU
    assert s.page.locator("path.wb-parks.wb-focus").count() == 2


def test_pair_summary_shows_the_figures_and_says_unknown(session, pairs):
    s = session.open()
    s.page.select_option("#wb-pair-select", NINGBO_BENGBU)
    summary = s.page.locator("#wb-pair-summary")
    text = summary.inner_text()
    ningbo = pair_of(pairs, NINGBO_BENGBU)
    assert f"{ningbo['projects']['count']} 个(资料报告合计)" in text
    assert f"{ningbo['projects']['investment_yi']} 亿元" in text
    for park in ningbo["parks"]:
        assert park["name_zh"] in text
    assert "镇海区 → 淮上区" in text and "宁波技师学院—蚌埠技师学院" in text
    assert "促进蚌埠自贸片区与宁波自贸片区联动发展" in text
    assert summary.locator("a[href^='https://big5.cri.cn/']").count() >= 1

    # a pair whose sources give no totals says so
    s.page.select_option("#wb-pair-select", NANJING_CHUZHOU)
    assert s.query()["pair"] == [NANJING_CHUZHOU]
    facts = summary.locator(".wb-facts").inner_text()
    assert re.search(r"合作项目\s+未知", facts) and re.search(r"协议投资\s+未知", facts)
    assert s.page.locator("path.wb-parks.wb-focus").count() == 3
    # clicking a park in the summary opens its popup
    summary.get_by_role("button", name=re.compile("定远合作产业园")).click()
    s.page.locator(".leaflet-popup-content").get_by_text(
        "南京江北新材料科技园定远合作产业园"
    ).wait_for()
    summary.get_by_role("button", name="取消聚焦").click()
    assert s.js("wanbei.officials.focused()") is None
    assert "pair" not in s.query()
    assert s.page.locator("path.wb-dim").count() == 0


# --- search --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "layer", "feature_id", "name"),
    [
        ("bengbu", "places", "340300", "蚌埠市"),  # pinyin
        ("甬蚌", "parks", "PK-ningbo-bengbu", "甬蚌产业合作园区"),  # Chinese
        ("Duanyuan", "parks", "PK-xuzhou-huaibei", "徐州—淮北(段园)产业合作园区"),  # English
        ("minhang", "places", "310112", "闵行区"),  # pinyin with the right reading of 行
    ],
)
def test_search_flies_to_the_result_and_opens_its_popup(session, typed, layer, feature_id, name):
    s = session.open()
    box = s.page.locator("#wb-search")
    box.fill(typed)
    first = s.page.locator("#wb-search-results [role=option]").first
    first.wait_for()
    assert first.get_attribute("data-id") == feature_id
    assert first.get_attribute("data-layer") == layer
    box.press("Enter")
    popup = s.page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert name in popup.inner_text()
    shown = s.js(
        "([l, f]) => { const x = wanbei.featureLayer(l, f); "
        "const p = x.getLatLng ? x.getLatLng() : x.getBounds().getCenter(); "
        "return [wanbei.map.getBounds().contains(p), wanbei.map.getZoom()]; }",
        [layer, feature_id],
    )
    assert shown[0] and shown[1] >= 9, "flew there and zoomed in"


def test_search_finds_a_filtered_out_feature_by_clearing_the_filters(session):
    s = session.open()
    s.page.select_option("#wb-f-status", "licensed")
    assert s.js("wanbei.featureLayer('projects', 'PR-ningbo-bengbu-yusheng')") is None
    s.page.locator("#wb-search").fill("yusheng")
    s.page.locator("#wb-search-results [role=option]").first.click()
    s.page.locator(".leaflet-popup-content").get_by_text("煜晟汽车零部件").first.wait_for()
    assert s.js("wanbei.officials.filter().status") == ""


# --- filters and time ----------------------------------------------------------------------------


def drawn_ids(s: Session, layer_id: str) -> set[str]:
    return set(s.js("(id) => Object.keys(wanbei.entries[id].features)", layer_id))


def test_filters_change_the_map_the_counts_and_the_download_links(session, geojson, pairs):
    s = session.open()
    parks = geojson["parks"]["features"]

    s.page.select_option("#wb-f-status", "licensed")
    licensed = {f["id"] for f in parks if f["properties"]["status"] == "licensed"}
    assert drawn_ids(s, "parks") == licensed
    assert s.page.locator("path.wb-parks").count() == len(licensed)
    assert drawn_ids(s, "projects") == set(), "no project has a park status"
    row = s.page.locator("#wb-counts tr[data-layer='parks'] td")
    assert row.inner_text() == f"{len(licensed)} / {len(parks)}"
    link = s.page.locator(".wb-downloads a[href*='/downloads/parks.geojson']").first
    href = link.get_attribute("href")
    assert parse_qs(urlsplit(href).query) == {"status": ["licensed"]}
    assert s.query()["status"] == ["licensed"]
    # the download serves what the map shows
    downloaded = s.page.request.get(s.base + href).json()
    assert {f["id"] for f in downloaded["features"]} == licensed

    s.page.click("#wb-f-reset")
    s.page.select_option("#wb-f-pair", NANJING_CHUZHOU)
    expected = pair_of(pairs, NANJING_CHUZHOU)["features"]
    for layer_id in ("pairings", "parks", "projects", "partnerships", "places"):
        assert drawn_ids(s, layer_id) == set(expected[layer_id]), layer_id
    for layer_id in ("parks", "projects", "partnerships"):
        link = s.page.locator(f".wb-downloads a[href*='/downloads/{layer_id}.geojson']").first
        href = link.get_attribute("href")
        assert parse_qs(urlsplit(href).query) == {"pairing_id": [NANJING_CHUZHOU]}, layer_id
        downloaded = s.page.request.get(s.base + href).json()
        assert {f["id"] for f in downloaded["features"]} == set(expected[layer_id]), layer_id
    # the pairings download cannot be filtered by pair (county pairs have their own ids): said
    assert "结对" in s.page.locator("#wb-download-note").inner_text()

    s.page.click("#wb-f-reset")
    s.page.select_option("#wb-f-province", "330000")
    zhejiang = {p["id"] for p in pairs["pairs"] if p["helping"]["province_adcode"] == "330000"}
    shown = {pid for pid in drawn_ids(s, "pairings") if pid in {p["id"] for p in pairs["pairs"]}}
    assert shown == zhejiang
    s.page.click("#wb-f-reset")
    assert s.page.locator("path.wb-parks").count() == len(parks)
    assert "status" not in s.query() and "province" not in s.query()
    link = s.page.locator(".wb-downloads a[href*='/downloads/parks.']").first
    assert "?" not in link.get_attribute("href")


def start_year(feature: dict, timeline: tuple[str, ...]) -> int | None:
    years = [
        int(str(feature["properties"][name])[:4])
        for name in timeline
        if feature["properties"].get(name) not in (None, "")
    ]
    return min(years) if years else None


def test_year_slider_shows_the_network_as_it_stood(session, geojson):
    s = session.open()
    s.page.locator("#wb-year").fill("2022")
    assert s.page.locator("#wb-year-out").inner_text() == "2022 年"
    assert s.query()["to"] == ["2022"]
    undated_total = 0
    for layer_id in ("pairings", "parks", "projects", "partnerships", "corridor"):
        timeline = LAYERS[layer_id].timeline
        feats = geojson[layer_id]["features"]
        years = {f["id"]: start_year(f, timeline) for f in feats}
        want = {fid for fid, y in years.items() if y is None or y <= 2022}
        assert drawn_ids(s, layer_id) == want, layer_id
        undated = {fid for fid, y in years.items() if y is None}
        undated_total += len(undated)
        classes = classes_by_feature(s)[layer_id]
        assert {fid for fid, c in classes.items() if "wb-undated" in c.split()} == undated
    # the parks licensed in 2023 are not there yet; the one launched in 2022 is
    assert "PK-xuzhou-huaibei" in drawn_ids(s, "parks")
    assert "PK-minhang-huainan" not in drawn_ids(s, "parks")
    note = s.page.locator("#wb-undated-note").inner_text()
    assert note.startswith(f"{undated_total} 个要素无日期")

    # play runs to the data's last year (the slider's end) and stops; the counts follow
    last = s.page.get_attribute("#wb-year", "max")
    assert int(last) < 2030, "no empty years to play through"
    s.js("wanbei.officials.playInterval = 60")
    s.page.click("#wb-play")
    s.page.wait_for_function(
        "last => document.getElementById('wb-year-out').textContent === last + ' 年'", arg=last
    )
    s.page.wait_for_function(
        "() => document.getElementById('wb-play').getAttribute('aria-pressed') === 'false'"
    )
    assert s.page.locator("path.wb-parks").count() == len(geojson["parks"]["features"])
    assert s.page.locator("path.wb-undated").count() == 0, "no year filter at the whole span"


# --- basemaps ------------------------------------------------------------------------------------


def leaflet_positions(s: Session) -> dict:
    return s.js("""() => ({
        park: (p => [p.lng, p.lat])(wanbei.featureLayer('parks', 'PK-ningbo-bengbu').getLatLng()),
        line: wanbei.featureLayer('pairings', 'P-330200-340300').getLatLngs()
            .map(p => [p.lng, p.lat]),
    })""")


def test_gcj02_basemap_draws_overlays_in_gcj02_and_back(session, geojson):
    s = session
    s.serve_tiles()
    s.open()
    assert s.tiles == [], "the offline basemap asks no tile server"
    park = next(f for f in geojson["parks"]["features"] if f["id"] == "PK-ningbo-bengbu")
    line = next(f for f in geojson["pairings"]["features"] if f["id"] == NINGBO_BENGBU)
    lon, lat = park["geometry"]["coordinates"]

    # the pairing is drawn as an arc (arcs.js) from the data's ends: shifted vertex by vertex
    drawn = s.js(
        "() => wanbei.view.shape(wanbei.entries.pairings.cfg, wanbei.entries.pairings.data)"
        f".features.find(f => f.id === '{NINGBO_BENGBU}').geometry"
    )
    ends = line["geometry"]["coordinates"][0], line["geometry"]["coordinates"][-1]
    assert (drawn["coordinates"][0], drawn["coordinates"][-1]) == ends
    line = {"geometry": drawn}

    s.page.get_by_label("高德地图(GCJ-02)").check()
    s.page.wait_for_selector(".wb-tiles-gaode img.leaflet-tile-loaded")
    assert s.query()["basemap"] == ["gaode"]
    assert all("autonavi.com" in u for u in s.tiles)
    pos = leaflet_positions(s)
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert pos["park"] == pytest.approx([glon, glat], abs=1e-9)
    assert abs(glon - lon) > 1e-3, "the shift is real (hundreds of metres)"
    for (x, y), got in zip(line["geometry"]["coordinates"], pos["line"], strict=True):
        assert got == pytest.approx(list(wgs84_to_gcj02(x, y)), abs=1e-9)
    assert s.page.locator("path.wb-boundaries").count() == 0, "the offline basemap is off"
    assert s.page.locator(".wb-legend-row[data-layer='boundaries']").is_hidden()

    s.page.get_by_label("OpenStreetMap").check()
    s.page.wait_for_selector(".wb-tiles-osm img.leaflet-tile-loaded")
    pos = leaflet_positions(s)
    assert pos["park"] == pytest.approx([lon, lat], abs=1e-9)
    for (x, y), got in zip(line["geometry"]["coordinates"], pos["line"], strict=True):
        assert got == pytest.approx([x, y], abs=1e-9)
    assert s.query()["basemap"] == ["osm"]

    s.page.get_by_label("离线行政区划").check()
    assert s.page.locator("path.wb-boundaries").count() == len(geojson["boundaries"]["features"])
    assert s.page.locator(".wb-legend-row[data-layer='boundaries']").is_visible()
    assert "basemap" not in s.query()


def test_basemap_from_the_url_and_js_gcj02_matches_geo_coords(session):
    s = session
    s.serve_tiles()
    s.open("?basemap=gaode")
    assert s.page.get_by_label("高德地图(GCJ-02)").is_checked()
    points = [
        (117.38, 32.92),
        (121.47, 31.23),
        (116.5, 39.9),
        (73.0, 40.0),
        (135.1, 30.0),
        (100.123456, 25.654321),
    ]
    got = s.js("(pts) => pts.map(p => wanbei.coords.wgs84ToGcj02(p[0], p[1]))", points)
    back = s.js("(pts) => pts.map(p => wanbei.coords.gcj02ToWgs84(p[0], p[1]))", points)
    from geo.coords import gcj02_to_wgs84

    for (x, y), g, b in zip(points, got, back, strict=True):
        assert g == pytest.approx(list(wgs84_to_gcj02(x, y)), abs=1e-12)
        assert b == pytest.approx(list(gcj02_to_wgs84(x, y)), abs=1e-12)
    offered = s.page.locator(".wb-basemaps input").evaluate_all("els => els.map(e => e.value)")
    assert offered == ["offline", "osm", "gaode"], "Tianditu needs WANBEI_TIANDITU_TOKEN"


# --- furniture -----------------------------------------------------------------------------------


def test_furniture_fullscreen_home_cursor_minimap_and_clustering(session, geojson):
    s = session.open()
    assert s.page.locator(".wb-minimap path.wb-mini").count() > 0
    assert s.page.locator("path.wb-boundaries").count() == len(geojson["boundaries"]["features"])

    box = s.page.locator(".folium-map").bounding_box()
    s.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    cursor = s.page.locator(".wb-cursor").inner_text()
    m = re.fullmatch(r"(\d+\.\d{4})°E\s+(\d+\.\d{4})°N \(WGS84\)", cursor)
    assert m, cursor
    centre = s.js(
        "(() => { const s = wanbei.map.getSize(); "
        "const p = wanbei.map.containerPointToLatLng([s.x / 2, s.y / 2]); "
        "return [p.lng, p.lat]; })()"
    )
    assert float(m[1]) == pytest.approx(centre[0], abs=0.03)  # a pixel
    assert float(m[2]) == pytest.approx(centre[1], abs=0.03)

    s.page.get_by_role("button", name="全屏").click()
    s.page.wait_for_function("() => document.fullscreenElement !== null")
    assert s.js("document.fullscreenElement.classList.contains('wb-main')")
    s.page.get_by_role("button", name="全屏").click()
    s.page.wait_for_function("() => document.fullscreenElement === null")

    s.js("void wanbei.map.setView([32.9, 117.4], 11, {animate: false})")
    s.page.get_by_role("button", name="显示全部结对网络").click()
    s.page.wait_for_function("() => wanbei.map.getZoom() < 8")
    bounds = s.js("wanbei.map.getBounds().toBBoxString()").split(",")
    for f in geojson["places"]["features"]:
        x, y = f["geometry"]["coordinates"]
        assert float(bounds[0]) <= x <= float(bounds[2]) and float(bounds[1]) <= y <= float(
            bounds[3]
        )

    projects = len(geojson["projects"]["features"])
    assert s.page.locator("path.wb-projects").count() == projects
    s.page.get_by_role("button", name="聚合重叠的园区与项目点").click()
    assert s.query()["cluster"] == ["1"]
    cluster = s.page.locator(".wb-cluster-projects")
    # the projects that share a seat (蚌埠's, 杜集's…) are drawn as clusters that count them
    counts = [int(t) for t in cluster.all_inner_texts()]
    assert counts and max(counts) >= 3, counts
    assert sum(counts) + s.page.locator("path.wb-projects").count() == projects
    # search still reaches a clustered project
    s.js("wanbei.officials.pick('projects', 'PR-ningbo-bengbu-rongguang')")
    s.page.locator(".leaflet-popup-content").get_by_text("融光纳米").wait_for()
    s.page.get_by_role("button", name="聚合重叠的园区与项目点").click()
    assert s.page.locator("path.wb-projects").count() == projects


# --- export --------------------------------------------------------------------------------------


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def canvas_colours(s: Session) -> int:
    """How many distinct colours the exported image has (sampled on a grid)."""
    return s.js("""async () => {
        const r = await wanbei.exporter.render({scale: 1});
        const c = r.canvas, d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const seen = new Set();
        for (let y = 0; y < c.height; y += 7)
            for (let x = 0; x < c.width; x += 7) {
                const i = 4 * (y * c.width + x);
                seen.add(d[i] + ',' + d[i + 1] + ',' + d[i + 2]);
            }
        return seen.size;
    }""")


def test_export_png_of_the_current_view(session, tmp_path):
    s = session.open(f"?pair={NINGBO_BENGBU}")
    with s.page.expect_download() as info:
        s.page.get_by_role("button", name="导出图片").click()
    download = info.value
    assert download.suggested_filename == f"wanbei-map-{NINGBO_BENGBU}.png"
    path = tmp_path / "map.png"
    download.save_as(path)
    data = path.read_bytes()
    width, height = png_size(data)
    size = s.js("[wanbei.map.getSize().x, wanbei.map.getSize().y]")
    assert (width, height) == (size[0] * 2, size[1] * 2)
    assert len(data) > 50_000, "a drawn map, not a blank canvas"
    last = s.js("wanbei.exporter.last")
    assert last["notes"] == [] and last["bytes"] == len(data)
    assert canvas_colours(s) > 40
    assert s.foreign() == []


def test_export_keeps_cors_tiles_and_says_which_it_left_out(session):
    s = session
    s.serve_tiles(cors=False)
    s.open("?basemap=gaode")
    s.page.wait_for_selector(".wb-tiles-gaode img.leaflet-tile-loaded")
    r = s.js("wanbei.exporter.render({scale: 1}).then(r => r.notes)")
    assert len(r) == 1 and "未含" in r[0], "tiles without CORS are left out, and it says so"
    # the refused tiles are logged by the browser itself; nothing else may be
    refused = [m for m in s.messages if "ERR_ACCESS_DENIED" in m[1]]
    assert refused and all(m[0] == "error" for m in refused)
    s.messages = [m for m in s.messages if m not in refused]
    s.page.unroute(re.compile(r"^https://(?!127\.0\.0\.1).*"))
    s.serve_tiles(cors=True)
    # the export fetches the tiles again with CORS: now they are allowed and drawn
    s.page.get_by_label("OpenStreetMap").check()
    s.page.wait_for_selector(".wb-tiles-osm img.leaflet-tile-loaded")
    assert s.js("wanbei.exporter.render({scale: 1}).then(r => r.notes)") == []
    # tile-coloured pixels made it onto the canvas
    found = s.js("""async () => {
        const c = (await wanbei.exporter.render({scale: 1})).canvas;
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4)
            if (d[i] === 235 && d[i + 1] === 225 && d[i + 2] === 200) n++;
        return n;
    }""")
    assert found > 1000


def test_a4_pdf_is_one_landscape_page_with_the_image(session):
    s = session.open()
    s.js("wanbei.exporter.preparePrint()")
    s.page.wait_for_function(
        "() => document.querySelector('#wb-print img') && "
        "document.querySelector('#wb-print img').complete"
    )
    s.page.emulate_media(media="print")
    pdf = s.page.pdf(prefer_css_page_size=True, print_background=True)
    assert pdf.startswith(b"%PDF")
    pages = re.findall(rb"/Type\s*/Page[^s]", pdf)
    assert len(pages) == 1
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert box and abs(float(box[1]) - 841.89) < 2 and abs(float(box[2]) - 595.28) < 2
    assert b"/Subtype /Image" in pdf or b"/Subtype/Image" in pdf
