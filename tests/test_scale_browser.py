"""A big point layer (above ``LEAN_ABOVE`` features): the lean payload, the pair summaries and the
search that leave it out, the server's search, and the map drawing it on one canvas in Chromium.

The data is the shipped data with 3,000 synthetic project sites (``bench/synth.py``), enough to
cross the threshold (2,000) and small enough to keep these tests quick.
"""

from __future__ import annotations

import base64
import json

import geopandas as gpd
import pytest
from shapely.geometry import Point

from geo.spec import SPEC
from layers.i18n import to_traditional
from layers.lean import LEAN_ABOVE, LEAN_TYPE, lean_layers, lean_payload
from layers.registry import LAYERS
from layers.stats import NAMED_MAX
from tests.conftest import LiveServer
from tests.helpers import static_server
from webapp import DEFAULT_DATA_DIR, create_app

SITES = 3000


@pytest.fixture(scope="module")
def big_dir(tmp_path_factory):
    from bench.synth import generate

    return generate(DEFAULT_DATA_DIR, tmp_path_factory.mktemp("scale") / "data", SITES, 11)


@pytest.fixture(scope="module")
def big_app(big_dir):
    return create_app({"TESTING": True, "DATA_DIR": str(big_dir)})


@pytest.fixture(scope="module")
def big_client(big_app):
    return big_app.test_client()


@pytest.fixture(scope="module")
def big_server(big_app):
    with LiveServer(big_app) as server:
        yield server


@pytest.fixture(scope="module")
def projects(big_client) -> dict:
    """The projects layer as its canonical GeoJSON: id -> feature."""
    data = big_client.get("/downloads/projects.geojson").get_json()
    return {f["id"]: f for f in data["features"]}


def decode(payload: dict) -> list[dict]:
    """The features of a lean payload: id, coordinates and properties (as wanbei.js reads it)."""
    cols = payload["properties"]
    out = []
    for i, fid in enumerate(payload["ids"]):
        props = {
            name: c["list"][i] if "list" in c else c["values"][c["codes"][i]]
            for name, c in cols.items()
        }
        out.append({"id": fid, "lon": payload["lon"][i], "lat": payload["lat"][i], "props": props})
    return out


# --- the server ----------------------------------------------------------------------------------


def test_only_big_point_layers_are_lean(big_app, app):
    with big_app.app_context():
        from webapp.state import served

        assert lean_layers(served().dataset.layers) == ("projects",)
    with app.app_context():
        from webapp.state import served

        assert lean_layers(served().dataset.layers) == ()


def test_the_lean_payload_matches_the_layer(big_client, projects):
    response = big_client.get("/api/lean/projects.json")
    assert response.status_code == 200
    payload = response.get_json()
    assert payload["type"] == LEAN_TYPE and payload["count"] == SITES
    features = decode(payload)
    assert [f["id"] for f in features] == list(projects)
    for f in features:
        full = projects[f["id"]]
        assert [f["lon"], f["lat"]] == full["geometry"]["coordinates"]
        assert f["props"] == {k: full["properties"][k] for k in f["props"]}
    # the properties the map styles, filters and hovers on, and no others
    assert set(payload["properties"]) == {
        "year",
        "pairing_id",
        "sector",
        "status",
        "name_zh",
        "pairing_name_zh",
    }
    geojson = big_client.get("/downloads/projects.geojson").get_data()
    assert len(response.get_data()) < len(geojson) / 4


def test_the_lean_payload_is_cached_by_etag_and_localized(big_client):
    first = big_client.get("/api/lean/projects.json?lang=zh-Hant")
    etag = first.headers["ETag"]
    again = big_client.get("/api/lean/projects.json?lang=zh-Hant", headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.get_data()
    sectors = first.get_json()["properties"]["sector"]["values"]
    assert "汽車零部件" in sectors and "汽车零部件" not in sectors  # OpenCC, like the GeoJSON
    english = big_client.get("/api/lean/projects.json?lang=en")
    assert english.headers["ETag"] != etag
    names = english.get_json()["properties"]["name_zh"]["list"]
    assert names[:2] == ["Synthetic project 000000", "Synthetic project 000001"]
    geojson = big_client.get("/api/layers/projects.geojson?lang=en").get_json()
    assert names == [f["properties"]["name_zh"] for f in geojson["features"]]


@pytest.mark.parametrize(
    ("url", "status", "parameter"),
    [
        ("/api/lean/pairings.json", 404, "layer_id"),
        ("/api/lean/nowhere.json", 404, "layer_id"),
        ("/api/lean/projects.json?lang=fr", 400, "lang"),
    ],
)
def test_bad_lean_requests_name_the_parameter(big_client, url, status, parameter):
    response = big_client.get(url)
    assert response.status_code == status
    assert response.get_json()["parameter"] == parameter


def test_a_lean_payload_is_made_of_points_only():
    gdf = gpd.GeoDataFrame({"id": ["a"]}, geometry=[Point(117, 33).buffer(1)], crs=4326)
    with pytest.raises(ValueError, match="Expected only Point geometries.*Polygon"):
        lean_payload(LAYERS["projects"], gdf)
    with pytest.raises(ValueError, match="Expected a point layer.*'pairings'"):
        lean_payload(LAYERS["pairings"], gdf)


def test_the_page_loads_big_layers_lean_and_the_others_as_geojson(big_client, client):
    script = big_client.get("/map.js").get_data(as_text=True)
    assert "/api/lean/projects.json" in script and "/downloads/projects.geojson" not in script
    assert "/downloads/parks.geojson" in script
    shipped = client.get("/map.js").get_data(as_text=True)
    assert "/api/lean/" not in shipped and "/downloads/projects.geojson" in shipped


def test_pairs_and_search_index_leave_the_big_layer_out(big_client, projects):
    pairs = big_client.get("/api/pairs.json").get_json()
    assert pairs["lean"] == ["projects"]
    named = 0
    for pair in pairs["pairs"]:
        assert "projects" not in pair["features"] and "parks" in pair["features"]
        assert len(pair["projects"]["named"]) <= NAMED_MAX
        named += pair["projects"]["named_count"]
    assert named == SITES
    index = big_client.get("/api/search.json").get_json()
    assert index["remote"] == ["projects"]
    assert not [e for e in index["entries"] if e["layer"] == "projects"]
    assert [e for e in index["entries"] if e["layer"] == "parks"]


def test_the_server_searches_the_big_layer(big_client):
    found = big_client.get("/api/search?q=合成项目000123&layer=projects").get_json()
    assert found["matched"] == 1
    assert [(e["layer"], e["id"], e["score"]) for e in found["entries"]] == [
        ("projects", "PR-synth-000123", 0)
    ]
    by_pinyin = big_client.get(
        "/api/search?q=hechengxiangmu00012&layer=projects&limit=5"
    ).get_json()
    assert by_pinyin["matched"] == 10
    assert [e["id"] for e in by_pinyin["entries"]] == [f"PR-synth-00012{i}" for i in range(5)]
    every = big_client.get("/api/search?q=合成&limit=3").get_json()
    assert every["matched"] == SITES and len(every["entries"]) == 3
    # in English: the same matches, the English names, the Simplified one kept as `hans`
    english = big_client.get("/api/search?q=合成项目000123&lang=en").get_json()["entries"]
    assert [(e["id"], e["name_zh"], e["hans"]) for e in english] == [
        ("PR-synth-000123", "Synthetic project 000123", "合成项目000123")
    ]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("", "q"),
        ("q=", "q"),
        ("q=a&q=b", "q"),
        ("q=" + "x" * 101, "q"),
        ("q=a&layer=corridor", "layer"),
        ("q=a&limit=0", "limit"),
        ("q=a&limit=101", "limit"),
        ("q=a&limit=ten", "limit"),
        ("q=a&bbox=1,2,3,4", "bbox"),
        ("q=a&lang=fr", "lang"),
    ],
)
def test_bad_search_requests_name_the_parameter(big_client, query, parameter):
    response = big_client.get("/api/search?" + query)
    assert response.status_code == 400
    body = response.get_json()
    assert body["parameter"] == parameter and body["description"]


def test_the_server_search_ranks_like_the_page(page, live_server, client):
    """On the shipped data, /api/search answers what wanbei.officials.search finds."""
    page.goto(live_server.url + "/")
    page.wait_for_selector("html[data-wanbei-tools='1']", timeout=20_000)
    for query in ["蚌埠", "bengbu", "nb", "Lu'an", "suzhou", "园区", "jsxy", "宁波"]:
        ours = page.evaluate(
            "q => wanbei.officials.search(q, 50).filter(e => e.kind !== 'layer')"
            ".map(e => [e.layer, e.id])",
            query,
        )
        server = client.get("/api/search", query_string={"q": query, "limit": 50}).get_json()
        assert [[e["layer"], e["id"]] for e in server["entries"]] == ours, query


# --- the map in Chromium -------------------------------------------------------------------------

LEAN_STATE = """id => {
  const e = wanbei.entries[id], lean = e.lean;
  let focus = 0, dim = 0, shown = 0;
  for (let i = 0; i < lean.n; i++) {
    if (!lean.shown[i]) continue;
    shown += 1;
    if (lean.flags[i] & 4) focus += 1;
    if (lean.flags[i] & 1) dim += 1;
  }
  return {shown, focus, dim, entryShown: e.shown, painted: e.painted,
          count: wanbei.layers[id].count};
}"""

#: A drawn project far from any other drawn point, and where it is on the page.
LONELY_POINT = """() => {
  const e = wanbei.entries.projects, lean = e.lean, map = wanbei.map;
  const box = map.getContainer().getBoundingClientRect(), size = map.getSize();
  const all = [], pts = [];
  for (let i = 0; i < lean.n; i++) {
    if (!lean.shown[i]) continue;
    const p = map.latLngToContainerPoint(L.latLng(lean.lat[i], lean.lon[i]));
    all.push([i, p]);
    if (p.x > 380 && p.y > 80 && p.x < size.x - 240 && p.y < size.y - 200
        && document.elementFromPoint(box.left + p.x, box.top + p.y) === e.canvas._container) {
      pts.push([i, p]);  // in the open, and the canvas is what a click there reaches
    }
  }
  let best = null, bestGap = -1;
  for (const [i, p] of pts.slice(0, 600)) {
    let gap = Infinity;
    for (const [j, q] of all) if (j !== i) gap = Math.min(gap, Math.hypot(p.x - q.x, p.y - q.y));
    if (gap > bestGap) { bestGap = gap; best = [i, p]; }
  }
  const [i, p] = best;
  return {id: lean.features[i].id, x: box.left + p.x, y: box.top + p.y, gap: bestGap};
}"""


#: How many pixels of the big layer's canvas are painted.
PAINTED = """() => {
  const c = wanbei.entries.projects.canvas._container;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n += 1;
  return n;
}"""


@pytest.fixture
def big_page(page, big_server):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(big_server.url + "/")
    page.wait_for_selector("html[data-wanbei-ready='1']", timeout=30_000)
    page.wait_for_selector("html[data-wanbei-tools='1']", timeout=20_000)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)))")
    page.errors = errors  # type: ignore[attr-defined]
    page.requests = requests  # type: ignore[attr-defined]
    yield page
    assert not errors, errors


def test_the_big_layer_is_drawn_on_one_canvas(big_page):
    p = big_page
    state = p.evaluate(LEAN_STATE, "projects")
    assert state["count"] == state["shown"] == state["entryShown"] == SITES
    assert state["painted"] > SITES / 2  # the points in view (the whole network is in view)
    assert any("/api/lean/projects.json" in u for u in p.requests)
    assert not any("/downloads/projects.geojson" in u for u in p.requests)
    # one canvas, no SVG node per project
    assert p.locator(".leaflet-overlay-pane path.wb-projects").count() == 0
    assert p.evaluate(PAINTED) > 1000
    # hidden and shown again (the layer control): a new canvas, painted again. (The calls return
    # nothing: Playwright would serialise the whole Leaflet map they return, for a minute.)
    p.evaluate("() => { wanbei.map.removeLayer(wanbei.entries.projects.group); }")
    assert p.locator(".leaflet-overlay-pane canvas").count() == 0
    p.evaluate("() => { wanbei.map.addLayer(wanbei.entries.projects.group); }")
    assert p.evaluate(PAINTED) > 1000
    # the counts of the panel, the filters' options from the lean properties
    row = p.locator("#wb-counts tr[data-layer='projects'] td")
    assert row.inner_text() == f"{SITES} / {SITES}"
    assert p.locator("#wb-f-sector option[value='新能源']").count() == 1


def test_clicking_a_point_opens_its_popup_fetched_from_the_api(big_page, projects):
    p = big_page
    # close in on one project (3,000 points overlap at the scale of the whole network)
    p.evaluate(
        """() => new Promise(r => {
      const lean = wanbei.entries.projects.lean;
      wanbei.map.once("moveend", () => requestAnimationFrame(() => setTimeout(r, 0)));
      wanbei.map.setView(L.latLng(lean.lat[0], lean.lon[0]), 12, {animate: false});
    })"""
    )
    target = p.evaluate(LONELY_POINT)
    assert target["gap"] > 20, "a point apart from the others, to click it alone"
    p.evaluate(
        "() => document.addEventListener('wanbei:click', e => { window.clicked = e.detail; })"
    )
    p.mouse.move(target["x"], target["y"])
    tip = p.locator(".leaflet-tooltip.wb-lean-tip")
    tip.wait_for()
    assert tip.inner_text() == projects[target["id"]]["properties"]["name_zh"]
    p.mouse.click(target["x"], target["y"])
    popup = p.locator(".leaflet-popup-content .wb-popup")
    name = projects[target["id"]]["properties"]["name_zh"]
    popup.get_by_text(name).wait_for()
    assert p.evaluate("() => window.clicked.feature.id") == target["id"]
    assert any(f"/ogc/collections/projects/items/{target['id']}?f=json" in u for u in p.requests)
    # the sources and the investment come from the whole feature, not the lean payload
    source = projects[target["id"]]["properties"]["source"]
    assert source in popup.inner_text()
    # clicking a project focused its pair
    pair = p.evaluate("() => wanbei.officials.focused()")
    assert pair is not None


def test_filters_year_and_focus_change_what_is_drawn(big_page, big_client, projects):
    p = big_page
    props = [f["properties"] for f in projects.values()]
    p.evaluate("() => wanbei.officials.setFilter({status: 'signed'})")
    state = p.evaluate(LEAN_STATE, "projects")
    assert state["shown"] == state["entryShown"] == sum(x["status"] == "signed" for x in props)
    assert p.locator("#wb-counts tr[data-layer='projects'] td").inner_text() == (
        f"{state['shown']} / {SITES}"
    )
    p.evaluate("() => wanbei.officials.setFilter({status: '', to: 2022})")
    state = p.evaluate(LEAN_STATE, "projects")
    assert state["shown"] == sum(int(x["year"]) <= 2022 for x in props)

    # the pair filter: through the pairing ids of the pair (county pairs included)
    pairs = big_client.get("/api/pairs.json").get_json()["pairs"]
    pair = pairs[0]
    members = set(pair["features"]["pairings"])
    in_pair = sum(x["pairing_id"] in members for x in props)
    assert in_pair
    p.evaluate("id => wanbei.officials.setFilter({to: 2030, pair: id})", pair["id"])
    assert p.evaluate(LEAN_STATE, "projects")["shown"] == in_pair

    # focus: the pair's points drawn on top, the others dimmed
    p.evaluate("() => wanbei.officials.resetFilters()")
    p.evaluate("id => wanbei.officials.focus(id, {fly: false})", pair["id"])
    state = p.evaluate(LEAN_STATE, "projects")
    assert state["focus"] == in_pair and state["dim"] == SITES - in_pair
    p.evaluate("() => wanbei.officials.focus(null)")
    state = p.evaluate(LEAN_STATE, "projects")
    assert state["focus"] == state["dim"] == 0


def test_search_finds_a_project_of_the_big_layer_and_opens_it(big_page, projects):
    p = big_page
    p.fill("#wb-search", "合成项目000042")
    hit = p.locator("#wb-search-results li[data-id='PR-synth-000042']")
    hit.wait_for()
    assert hit.get_attribute("data-layer") == "projects"
    assert any("/api/search?" in u and "layer=projects" in u for u in p.requests)
    p.keyboard.press("Enter")
    name = projects["PR-synth-000042"]["properties"]["name_zh"]
    p.locator(".leaflet-popup-content .wb-popup").get_by_text(name).wait_for()
    # a filtered-out project is found too: the filters are cleared to show it
    p.evaluate("() => { wanbei.map.closePopup(); }")
    status = projects["PR-synth-000007"]["properties"]["status"]
    other = "signed" if status != "signed" else "landed"
    p.evaluate("s => wanbei.officials.setFilter({status: s})", other)
    assert p.evaluate("() => wanbei.featureLayer('projects', 'PR-synth-000007')") is None
    found = p.evaluate("() => wanbei.officials.searchAll('合成项目000007')")
    assert found[0]["id"] == "PR-synth-000007"
    p.evaluate("() => wanbei.officials.pick('projects', 'PR-synth-000007')")
    p.locator(".leaflet-popup-content .wb-popup").get_by_text("合成项目000007").wait_for()
    assert p.evaluate("() => wanbei.officials.filter().status") == ""


def test_clustering_is_declared_unavailable_for_the_big_layer(big_page):
    p = big_page
    p.evaluate("() => wanbei.furniture.setClustering(true)")
    assert p.evaluate("() => wanbei.entries.projects.cluster") is None
    assert p.evaluate(LEAN_STATE, "projects")["shown"] == SITES
    p.locator(".wb-status [data-key='lean-cluster-projects']").wait_for()
    # the small layers are still clustered
    assert p.evaluate("() => wanbei.entries.parks.cluster !== null")
    p.evaluate("() => wanbei.furniture.setClustering(false)")
    assert p.locator(".wb-status [data-key='lean-cluster-projects']").count() == 0


def test_pairs_json_is_small_with_a_big_layer(big_client):
    body = big_client.get("/api/pairs.json").get_data()
    # 3,000 sites: the summaries list at most NAMED_MAX projects per pair and no project ids
    assert body.count(b"PR-synth-") <= NAMED_MAX * len(json.loads(body)["pairs"])
    assert SITES > LEAN_ABOVE


# --- the export image and the localized popups of the big layer -----------------------------------

#: Drawn projects apart from every other drawn point by ``gap`` px, inside the part of the map
#: that the export's furniture (title, legend, scale, notes, bottom band: the boxes its render
#: reports) leaves free, ``gap`` px clear of each box and of the map's edges: their ids.
APART = """async gap => {
  const e = wanbei.entries.projects, lean = e.lean, map = wanbei.map;
  const size = map.getSize(), all = [], inner = [];
  const boxes = (await wanbei.exporter.render({scale: 1})).boxes;
  const free = p => p.x > gap && p.y > gap && p.x < size.x - gap && p.y < size.y - gap &&
    boxes.every(b => p.x < b.x - gap || p.x > b.x + b.w + gap ||
                     p.y < b.y - gap || p.y > b.y + b.h + gap);
  for (let i = 0; i < lean.n; i++) {
    if (!lean.shown[i]) continue;
    const p = map.latLngToContainerPoint(L.latLng(lean.lat[i], lean.lon[i]));
    all.push([i, p]);
    if (free(p)) inner.push([i, p]);
  }
  const out = [];
  for (const [i, p] of inner) {
    let near = Infinity;
    for (const [j, q] of all) if (j !== i) near = Math.min(near, Math.hypot(p.x - q.x, p.y - q.y));
    if (near > gap) out.push(lean.features[i].id);
  }
  return out;
}"""

#: The export's pixel at the centre of each of some projects (container point, times the
#: export's scale 2), with the projects layer shown and hidden (what lies under them), and the
#: colour and opacity their style fills them with.
EXPORT_PIXELS = """async ids => {
  const e = wanbei.entries.projects, lean = e.lean, map = wanbei.map;
  const at = ids.map(id => {
    const i = lean.features.findIndex(f => f.id === id);
    const p = map.latLngToContainerPoint(L.latLng(lean.lat[i], lean.lon[i]));
    return [Math.round(p.x) * 2, Math.round(p.y) * 2, i];
  });
  const pixels = async () => {
    const c = (await wanbei.exporter.render({scale: 2})).canvas, ctx = c.getContext('2d');
    return at.map(([x, y]) => Array.from(ctx.getImageData(x, y, 1, 1).data.slice(0, 3)));
  };
  const shown = await pixels();
  map.removeLayer(e.group);
  const under = await pixels();
  map.addLayer(e.group);
  const probe = document.createElement('canvas').getContext('2d');
  const fills = at.map(([x, y, i]) => {
    const style = wanbei.styleFor(e.cfg, lean.features[i]);
    probe.fillStyle = style.fillColor;
    const hex = probe.fillStyle;
    return {rgb: [1, 3, 5].map(k => parseInt(hex.slice(k, k + 2), 16)),
            opacity: style.fillOpacity};
  });
  return {shown, under, fills};
}"""


def _blend(fill: list[int], alpha: float, under: list[int]) -> list[float]:
    return [alpha * f + (1 - alpha) * u for f, u in zip(fill, under, strict=True)]


def _near(got: list[int], want: list[float], tol: float = 8) -> bool:
    return all(abs(g - w) <= tol for g, w in zip(got, want, strict=True))


def _zoom_in(p) -> None:
    """Close in on the first project (at the whole network's scale the points overlap)."""
    p.evaluate(
        """() => new Promise(r => {
      const lean = wanbei.entries.projects.lean;
      wanbei.map.once("moveend", () => requestAnimationFrame(() => setTimeout(r, 0)));
      wanbei.map.setView(L.latLng(lean.lat[0], lean.lon[0]), 11, {animate: false});
    })"""
    )


def test_the_export_image_draws_the_big_layer_as_shown(big_page, big_client, projects):
    p = big_page
    _zoom_in(p)
    ids = p.evaluate(APART, 14)
    assert len(ids) >= 4, "projects apart from the others, to find each one's pixels"
    ids = ids[:12]
    got = p.evaluate(EXPORT_PIXELS, ids)
    for k, fid in enumerate(ids):
        fill = got["fills"][k]
        want = _blend(fill["rgb"], fill["opacity"], got["under"][k])
        assert _near(got["shown"][k], want), (fid, got["shown"][k], want, got["under"][k])
        assert not _near(got["under"][k], want), "the point's colour differs from the map's"

    # a filter hides some of them: the image shows what lies under those, the others as before
    status = projects[ids[0]]["properties"]["status"]
    p.evaluate("s => wanbei.officials.setFilter({status: s})", status)
    got = p.evaluate(EXPORT_PIXELS, ids)
    kept = [projects[fid]["properties"]["status"] == status for fid in ids]
    assert any(kept) and not all(kept), "some of the projects kept by the filter, not all"
    for k, fid in enumerate(ids):
        fill = got["fills"][k]
        if kept[k]:
            want = _blend(fill["rgb"], fill["opacity"], got["under"][k])
        else:
            want = [float(v) for v in got["under"][k]]
        assert _near(got["shown"][k], want, 3 if not kept[k] else 8), (fid, kept[k])

    # focus on a pair: the projects of the other pairs are dimmed in the image as on the map
    p.evaluate("() => wanbei.officials.resetFilters()")
    pairs = big_client.get("/api/pairs.json").get_json()["pairs"]
    mine = projects[ids[0]]["properties"]["pairing_id"]
    pair = next(x for x in pairs if mine not in x["features"]["pairings"])
    members = set(pair["features"]["pairings"])
    p.evaluate("id => wanbei.officials.focus(id, {fly: false})", pair["id"])
    got = p.evaluate(EXPORT_PIXELS, ids)
    dimmed = [projects[fid]["properties"]["pairing_id"] not in members for fid in ids]
    assert dimmed[0]
    for k, fid in enumerate(ids):
        fill = got["fills"][k]
        alpha = fill["opacity"] * (0.15 if dimmed[k] else 1)
        want = _blend(fill["rgb"], alpha, got["under"][k])
        assert _near(got["shown"][k], want), (fid, dimmed[k], got["shown"][k], want)


def test_the_downloaded_png_has_the_big_layers_points(big_page, tmp_path):
    p = big_page
    _zoom_in(p)
    ids = p.evaluate(APART, 14)[:6]
    expected = p.evaluate(EXPORT_PIXELS, ids)
    with p.expect_download() as info:
        p.get_by_role("button", name="导出图片").click()
    path = tmp_path / "map.png"
    info.value.save_as(path)
    data = base64.b64encode(path.read_bytes()).decode()
    at = p.evaluate(
        """ids => ids.map(id => {
      const lean = wanbei.entries.projects.lean, i = lean.features.findIndex(f => f.id === id);
      const q = wanbei.map.latLngToContainerPoint(L.latLng(lean.lat[i], lean.lon[i]));
      return [Math.round(q.x) * 2, Math.round(q.y) * 2];
    })""",
        ids,
    )
    decoded = p.evaluate(
        """async ([data, at]) => {
      const img = new Image();
      img.src = 'data:image/png;base64,' + data;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.naturalWidth;
      c.height = img.naturalHeight;
      const ctx = c.getContext('2d');
      ctx.drawImage(img, 0, 0);
      return at.map(([x, y]) => Array.from(ctx.getImageData(x, y, 1, 1).data.slice(0, 3)));
    }""",
        [data, at],
    )
    for k, fid in enumerate(ids):
        fill = expected["fills"][k]
        want = _blend(fill["rgb"], fill["opacity"], expected["under"][k])
        assert _near(decoded[k], want), (fid, decoded[k], want)


def _open(page, url: str) -> list[str]:
    """Open ``url`` and wait for the map; returns the requests the page makes (kept updated)."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url)
    page.wait_for_selector("html[data-wanbei-ready='1']", timeout=30_000)
    page.wait_for_selector("html[data-wanbei-tools='1']", timeout=20_000)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)))")
    page.errors = errors  # type: ignore[attr-defined]
    return requests


def _popup_rows(p) -> dict[str, str]:
    return p.evaluate(
        """() => Object.fromEntries(Array.from(
      document.querySelectorAll('.leaflet-popup-content .wb-popup tr'),
      tr => [tr.querySelector('th').textContent, tr.querySelector('td').textContent]))"""
    )


@pytest.mark.parametrize("lang", ["en", "zh-Hant"])
def test_big_layer_popups_are_in_the_page_language(page, big_server, big_client, projects, lang):
    p = page
    requests = _open(p, f"{big_server.url}/?lang={lang}")
    _zoom_in(p)
    target = p.evaluate(LONELY_POINT)
    assert target["gap"] > 20
    fid = target["id"]
    localized = {
        f["id"]: f["properties"]
        for f in big_client.get(f"/api/layers/projects.geojson?lang={lang}").get_json()["features"]
    }[fid]
    canonical = projects[fid]["properties"]
    assert localized["name_zh"] != canonical["name_zh"]
    p.mouse.click(target["x"], target["y"])
    p.locator(".leaflet-popup-content .wb-popup").get_by_text(localized["name_zh"]).first.wait_for()
    rows = _popup_rows(p)
    labels = {"en": ("Project", "Pair", "Status"), "zh-Hant": ("項目", "結對", "狀態")}[lang]
    assert rows[labels[0]] == localized["name_zh"]
    assert rows[labels[1]] == localized["pairing_name_zh"]
    if lang == "en":
        assert rows["Status"] == SPEC.word("status", canonical["status"], "en")
    else:
        assert rows[labels[2]] == to_traditional(SPEC.word("status", canonical["status"], "zh"))
    assert canonical["name_zh"] not in p.locator(".leaflet-popup-content").inner_text()
    item = f"/api/layers/projects/items/{fid}.json?lang={lang}"
    assert any(item in u for u in requests)
    assert not any("/ogc/collections/projects/items/" in u for u in requests)
    assert not p.errors  # type: ignore[attr-defined]


def test_the_localized_item_is_one_feature_in_a_language(big_client, projects):
    fid = "PR-synth-000123"
    canonical = big_client.get(f"/ogc/collections/projects/items/{fid}?f=json").get_json()
    same = big_client.get(f"/api/layers/projects/items/{fid}.json")
    assert same.status_code == 200 and same.mimetype == "application/geo+json"
    body = same.get_json()
    assert body["id"] == fid and body["properties"] == canonical["properties"]
    assert body["geometry"] == canonical["geometry"]
    for lang in ("en", "zh-Hant"):
        layer = big_client.get(f"/api/layers/projects.geojson?lang={lang}").get_json()
        want = next(f for f in layer["features"] if f["id"] == fid)
        got = big_client.get(f"/api/layers/projects/items/{fid}.json?lang={lang}").get_json()
        assert got == want
    assert got["properties"]["name_zh"] == "合成項目000123"
    # a feature of a small layer too
    park = big_client.get("/downloads/parks.geojson").get_json()["features"][0]
    got = big_client.get(f"/api/layers/parks/items/{park['id']}.json?lang=en").get_json()
    assert got["id"] == park["id"] and got["properties"]["name_zh"] == park["properties"]["name_en"]


@pytest.mark.parametrize(
    ("url", "status", "parameter"),
    [
        ("/api/layers/projects/items/PR-nowhere.json?lang=en", 404, "feature_id"),
        ("/api/layers/nowhere/items/PR-synth-000001.json", 404, "layer_id"),
        ("/api/layers/projects/items/PR-synth-000001.json?lang=fr", 400, "lang"),
        ("/api/layers/projects/items/PR-synth-000001.json?lang=", 400, "lang"),
    ],
)
def test_bad_item_requests_name_the_parameter(big_client, url, status, parameter):
    response = big_client.get(url)
    assert response.status_code == status
    body = response.get_json()
    assert body["parameter"] == parameter and body["description"]
    if parameter == "feature_id":
        assert "PR-nowhere" in body["description"]


@pytest.fixture(scope="module")
def big_static_site(big_app, tmp_path_factory):
    """The static export of the big data (GeoJSON downloads only), served by a static server."""
    from webapp.export import export_site

    site = tmp_path_factory.mktemp("big-export") / "site"
    export_site(big_app, site, formats=("geojson",))
    with static_server(site) as url:
        yield url


@pytest.mark.parametrize(("prefix", "title"), [("", "合作项目"), ("en/", "Projects")])
def test_a_static_export_says_a_big_layers_popup_cannot_load(page, big_static_site, prefix, title):
    """A static host has no per-feature URL: the popup says it could not load, as before."""
    p = page
    p.goto(f"{big_static_site}/{prefix}index.html")
    p.wait_for_selector("html[data-wanbei-ready='1']", timeout=30_000)
    _zoom_in(p)
    target = p.evaluate(LONELY_POINT)
    p.mouse.click(target["x"], target["y"])
    error = p.locator(".leaflet-popup-content .wb-popup-error")
    error.wait_for()
    assert error.inner_text().startswith(f"“{title}” ") and "HTTP 404" in error.inner_text()
