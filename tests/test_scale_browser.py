"""A big point layer (above ``LEAN_ABOVE`` features): the lean payload, the pair summaries and the
search that leave it out, the server's search, and the map drawing it on one canvas in Chromium.

The data is the shipped data with 3,000 synthetic project sites (``bench/synth.py``), enough to
cross the threshold (2,000) and small enough to keep these tests quick.
"""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
from shapely.geometry import Point

from layers.lean import LEAN_ABOVE, LEAN_TYPE, lean_layers, lean_payload
from layers.registry import LAYERS
from layers.stats import NAMED_MAX
from tests.conftest import LiveServer
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
        ours = page.evaluate("q => wanbei.officials.search(q, 50).map(e => [e.layer, e.id])", query)
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
    if (p.x > 380 && p.y > 80 && p.x < size.x - 240 && p.y < size.y - 200) pts.push([i, p]);
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
    # hidden and shown again (the layer control): a new canvas, painted again
    p.evaluate("() => wanbei.map.removeLayer(wanbei.entries.projects.group)")
    assert p.locator(".leaflet-overlay-pane canvas").count() == 0
    p.evaluate("() => wanbei.map.addLayer(wanbei.entries.projects.group)")
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
    p.evaluate("() => wanbei.map.closePopup()")
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
