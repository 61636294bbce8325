"""OGC API - Features under /ogc: resources, paging, bbox, datetime, filters, formats, HTTP."""

from __future__ import annotations

import gzip
import json

import pandas as pd
import pytest
import shapely

from layers.registry import LAYERS, REGISTRY
from webapp import create_app

GEOJSON = "application/geo+json"
RESOURCES = [
    "/ogc/",
    "/ogc/conformance",
    "/ogc/api",
    "/ogc/collections",
    *(f"/ogc/collections/{i}" for i in LAYERS),
    *(f"/ogc/collections/{i}/items" for i in LAYERS),
    *(f"/ogc/collections/{i}/queryables" for i in LAYERS),
]


# The same tests on both stores (tests/conftest.py): the shipped files, and PostGIS loaded with
# them. One app per store, built once for the whole session.
@pytest.fixture(scope="module")
def app(backend_app):
    return backend_app


@pytest.fixture
def client(backend_client):
    return backend_client


@pytest.fixture(scope="module")
def small_app(backend):
    """An app whose pages hold at most 7 features, so that every layer spans pages."""
    return create_app(
        {
            "TESTING": True,
            "STORE": backend,
            "OGC_LIMIT_DEFAULT": 5,
            "OGC_LIMIT_MAX": 7,
        }
    )


@pytest.fixture(scope="module")
def layers(app):
    return app.extensions["wanbei"].dataset.layers


def get_json(client, url: str, status: int = 200, **kw) -> dict:
    r = client.get(url, **kw)
    assert r.status_code == status, (url, r.status_code, r.data[:300])
    return json.loads(r.data)


def ids(doc: dict) -> list[str]:
    return [f["id"] for f in doc["features"]]


def link(doc: dict, rel: str, media: str | None = None) -> str | None:
    for item in doc["links"]:
        if item["rel"] == rel and (media is None or item["type"] == media):
            return item["href"]
    return None


# --- resources and formats -----------------------------------------------------------------------


@pytest.mark.parametrize("url", RESOURCES)
def test_every_resource_has_json_and_html(client, url):
    r = client.get(url)
    assert r.status_code == 200
    assert r.mimetype in (
        "application/json",
        GEOJSON,
        "application/schema+json",
        "application/vnd.oai.openapi+json",
    )
    json.loads(r.data)
    page = client.get(url, query_string={"f": "html"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert 'href="/"' in html, "every HTML page links to the map"
    assert 'href="/downloads/wanbei-data.zip"' in html, "and to the downloads"


def test_feature_has_json_and_html(client, layers):
    for layer_id, gdf in layers.items():
        fid = str(gdf["id"].iloc[0])
        doc = get_json(client, f"/ogc/collections/{layer_id}/items/{fid}")
        assert doc["type"] == "Feature" and doc["id"] == fid
        assert link(doc, "collection").endswith(f"/ogc/collections/{layer_id}?f=json")
        page = client.get(f"/ogc/collections/{layer_id}/items/{fid}?f=html")
        assert page.status_code == 200 and fid in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
        ("application/geo+json", GEOJSON),
        ("application/json", GEOJSON),
        ("*/*", GEOJSON),
        (None, GEOJSON),
    ],
)
def test_accept_header_chooses_the_format(client, accept, expected):
    headers = {"Accept": accept} if accept else {}
    r = client.get("/ogc/collections/parks/items", headers=headers)
    assert r.status_code == 200 and r.mimetype == expected


def test_f_overrides_accept(client):
    r = client.get("/ogc/collections?f=json", headers={"Accept": "text/html"})
    assert r.mimetype == "application/json"
    r = client.get("/ogc/collections?f=html", headers={"Accept": "application/json"})
    assert r.mimetype == "text/html"


def test_landing_page_links(client):
    doc = get_json(client, "/ogc/")
    assert link(doc, "service-desc").endswith("/ogc/api?f=json")
    assert link(doc, "service-doc").endswith("/ogc/api?f=html")
    assert link(doc, "conformance").endswith("/ogc/conformance?f=json")
    assert link(doc, "data").endswith("/ogc/collections?f=json")
    assert link(doc, "self", "application/json") and link(doc, "alternate", "text/html")
    assert get_json(client, "/ogc") == doc  # without the slash too


def test_conformance_declares_core_geojson_html_oas30(client):
    classes = get_json(client, "/ogc/conformance")["conformsTo"]
    for name in ("core", "geojson", "html", "oas30"):
        assert f"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{name}" in classes


def test_collections_come_from_the_registry_with_extents(client, layers):
    doc = get_json(client, "/ogc/collections")
    assert [c["id"] for c in doc["collections"]] == [s.id for s in REGISTRY]
    for c in doc["collections"]:
        spec, gdf = LAYERS[c["id"]], layers[c["id"]]
        assert c["title"] == f"{spec.title_zh} / {spec.title_en}"
        assert c["extent"]["spatial"]["bbox"][0] == pytest.approx(list(gdf.total_bounds), abs=1e-6)
        assert c == get_json(client, f"/ogc/collections/{c['id']}") | {"links": c["links"]}
        rels = {item["rel"] for item in c["links"]}
        assert {"items", "enclosure", "http://www.opengis.net/def/rel/ogc/1.0/queryables"} <= rels


def _span(value) -> tuple[pd.Timestamp, pd.Timestamp]:
    period = pd.Period(str(value))
    if len(str(value)) == 4:
        period = pd.Period(str(value), freq="Y")
    return period.start_time.normalize(), period.end_time.normalize()


def _expected_days(spec, gdf) -> list:
    out = []
    for _, row in gdf.iterrows():
        span = None
        for name in spec.temporal:
            if pd.notna(row[name]):
                span = _span(row[name])
                break
        out.append(span)
    return out


def test_temporal_extent_covers_the_dates(client, layers):
    for spec in REGISTRY:
        doc = get_json(client, f"/ogc/collections/{spec.id}")
        spans = [s for s in _expected_days(spec, layers[spec.id]) if s is not None]
        if not spans:
            assert "temporal" not in doc["extent"]
            continue
        start, end = doc["extent"]["temporal"]["interval"][0]
        assert start == min(s[0] for s in spans).strftime("%Y-%m-%dT00:00:00Z")
        assert end == max(s[1] for s in spans).strftime("%Y-%m-%dT23:59:59Z")


# --- items: paging -------------------------------------------------------------------------------


def test_items_hold_every_feature_of_the_layer(client, layers):
    for layer_id, gdf in layers.items():
        doc = get_json(client, f"/ogc/collections/{layer_id}/items?limit=10000")
        assert doc["numberMatched"] == doc["numberReturned"] == len(gdf)
        assert ids(doc) == [str(i) for i in gdf["id"]]
        download = get_json(client, f"/downloads/{layer_id}.geojson")
        assert doc["features"] == download["features"]
        assert link(doc, "next") is None and link(doc, "prev") is None


def test_next_links_walk_every_feature(small_app, layers):
    client = small_app.test_client()
    for layer_id, gdf in layers.items():
        url, seen, pages = f"/ogc/collections/{layer_id}/items", [], 0
        while url:
            doc = get_json(client, url)
            assert doc["numberMatched"] == len(gdf)
            assert doc["numberReturned"] == len(doc["features"]) <= 5
            seen += ids(doc)
            pages += 1
            url = link(doc, "next")
        assert seen == [str(i) for i in gdf["id"]]
        assert pages == max(1, -(-len(gdf) // 5))


def test_prev_links_and_offset(small_app, layers):
    client = small_app.test_client()
    gdf = layers["boundaries"]
    doc = get_json(client, "/ogc/collections/boundaries/items?offset=12&limit=4")
    assert ids(doc) == [str(i) for i in gdf["id"][12:16]]
    prev = get_json(client, link(doc, "prev"))
    assert ids(prev) == [str(i) for i in gdf["id"][8:12]]
    assert "offset=16" in link(doc, "next") and "limit=4" in link(doc, "next")
    beyond = get_json(client, f"/ogc/collections/boundaries/items?offset={len(gdf) + 3}")
    assert beyond["features"] == [] and beyond["numberReturned"] == 0
    assert beyond["numberMatched"] == len(gdf) and link(beyond, "next") is None


def test_limit_above_the_maximum_is_served_as_the_maximum(small_app):
    client = small_app.test_client()
    doc = get_json(client, "/ogc/collections/boundaries/items?limit=1000")
    assert doc["numberReturned"] == 7
    assert "limit=7" in link(doc, "next")


def test_links_keep_the_filters(small_app):
    client = small_app.test_client()
    doc = get_json(client, "/ogc/collections/boundaries/items?level=county&limit=2&f=json")
    nxt = link(doc, "next")
    assert "level=county" in nxt and "offset=2" in nxt and "f=json" in nxt
    alt = link(doc, "alternate")
    assert "level=county" in alt and "f=html" in alt


def test_html_items_page_pages(small_app):
    client = small_app.test_client()
    page = client.get("/ogc/collections/boundaries/items?f=html&offset=5")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'rel="next"' in html and 'rel="prev"' in html


# --- items: filters ------------------------------------------------------------------------------


def _bbox_expected(gdf, boxes) -> list[str]:
    hit = gdf.geometry.intersects(shapely.box(*boxes[0]))
    for b in boxes[1:]:
        hit |= gdf.geometry.intersects(shapely.box(*b))
    return [str(i) for i in gdf["id"][hit]]


@pytest.mark.parametrize(
    ("bbox", "boxes"),
    [
        ("116,32,118,34", [(116, 32, 118, 34)]),
        ("116,32,0,118,34,100", [(116, 32, 118, 34)]),  # 6 numbers: heights ignored
        ("121,20,-179,40", [(121, 20, 180, 40), (-180, 20, -179, 40)]),  # across 180°
        ("179,20,-179,40", [(179, 20, 180, 40), (-180, 20, -179, 40)]),  # across 180°, empty
        ("-10,-10,10,10", [(-10, -10, 10, 10)]),
    ],
)
def test_bbox_selects_intersecting_features(client, layers, bbox, boxes):
    for layer_id, gdf in layers.items():
        doc = get_json(client, f"/ogc/collections/{layer_id}/items?bbox={bbox}&limit=10000")
        expected = _bbox_expected(gdf, boxes)
        assert ids(doc) == expected, layer_id
        assert doc["numberMatched"] == len(expected)


def test_antimeridian_box_differs_from_the_plain_box(client, layers):
    crossing = get_json(client, "/ogc/collections/places/items?bbox=121,20,-179,40")
    plain = get_json(client, "/ogc/collections/places/items?bbox=-179,20,121,40")
    places = layers["places"]
    east = [str(i) for i in places["id"][places.geometry.x >= 121]]
    assert ids(crossing) == east and east
    assert set(ids(plain)).isdisjoint(east)


def _matching(spec, gdf, lo: str, hi: str) -> list[str]:
    lo_t, hi_t = pd.Timestamp(lo), pd.Timestamp(hi)
    out = []
    for fid, span in zip(gdf["id"], _expected_days(spec, gdf), strict=True):
        if span is not None and span[0] <= hi_t and span[1] >= lo_t:
            out.append(str(fid))
    return out


@pytest.mark.parametrize(
    ("value", "lo", "hi"),
    [
        ("2023", "2023-01-01", "2023-12-31"),
        ("2023-06", "2023-06-01", "2023-06-30"),
        ("2022-11-15", "2022-11-15", "2022-11-15"),
        ("2023-06-15T23:30:00-02:00", "2023-06-16", "2023-06-16"),  # UTC is the next day
        ("2022-11/..", "2022-11-01", "2262-01-01"),
        ("../2022-12-31", "1678-01-01", "2022-12-31"),
        ("/2022", "1678-01-01", "2022-12-31"),
        ("2023-03-01/2023-06-30T12:00:00Z", "2023-03-01", "2023-06-30"),
    ],
)
def test_datetime_overlaps_partial_dates(client, layers, value, lo, hi):
    matched_any = False
    for spec in REGISTRY:
        if not spec.temporal:
            continue
        doc = get_json(
            client,
            f"/ogc/collections/{spec.id}/items",
            query_string={"datetime": value, "limit": 10000},
        )
        expected = _matching(spec, layers[spec.id], lo, hi)
        assert ids(doc) == expected, spec.id
        matched_any |= bool(expected)
    assert matched_any, "the case selects something in some layer"


def test_every_queryable_filters_by_equality(client, layers):
    for spec in REGISTRY:
        gdf = layers[spec.id]
        schema = get_json(client, f"/ogc/collections/{spec.id}/queryables")
        assert list(schema["properties"]) == list(spec.queryables)
        for name in spec.queryables:
            present = gdf[name].dropna()
            if present.empty:  # nothing to match yet (e.g. no project names its park)
                doc = get_json(client, f"/ogc/collections/{spec.id}/items?{name}=1")
                assert doc["features"] == []
                continue
            value = present.iloc[0]
            doc = get_json(
                client,
                f"/ogc/collections/{spec.id}/items",
                query_string={name: str(value), "limit": 10000},
            )
            expected = [str(i) for i in gdf["id"][gdf[name] == value]]
            assert ids(doc) == expected and expected, (spec.id, name)


def test_filters_combine(client, layers):
    gdf = layers["boundaries"]
    doc = get_json(client, "/ogc/collections/boundaries/items?level=county&bbox=118,30,122,33")
    inside = gdf.geometry.intersects(shapely.box(118, 30, 122, 33))
    assert ids(doc) == [str(i) for i in gdf["id"][(gdf["level"] == "county") & inside]]


# --- bad input -----------------------------------------------------------------------------------

BAD = [
    ("/ogc/collections/parks/items?bbox=1,2,3", 400, "bbox"),
    ("/ogc/collections/parks/items?bbox=116,30,118,95", 400, "bbox"),
    ("/ogc/collections/parks/items?bbox=190,30,200,40", 400, "bbox"),
    ("/ogc/collections/parks/items?bbox=116,34,118,32", 400, "bbox"),
    ("/ogc/collections/parks/items?bbox=a,b,c,d", 400, "bbox"),
    ("/ogc/collections/parks/items?bbox=nan,1,2,3", 400, "bbox"),
    ("/ogc/collections/parks/items?bbox=", 400, "bbox"),
    ("/ogc/collections/parks/items?limit=-1", 400, "limit"),
    ("/ogc/collections/parks/items?limit=0", 400, "limit"),
    ("/ogc/collections/parks/items?limit=abc", 400, "limit"),
    ("/ogc/collections/parks/items?limit=1.5", 400, "limit"),
    ("/ogc/collections/parks/items?limit=1&limit=2", 400, "limit"),
    ("/ogc/collections/parks/items?offset=-3", 400, "offset"),
    ("/ogc/collections/parks/items?datetime=2023-13", 400, "datetime"),
    ("/ogc/collections/parks/items?datetime=2023-02-30", 400, "datetime"),
    ("/ogc/collections/parks/items?datetime=yesterday", 400, "datetime"),
    ("/ogc/collections/parks/items?datetime=2023-01-01T10:00:00", 400, "datetime"),
    ("/ogc/collections/parks/items?datetime=2024/2023", 400, "datetime"),
    ("/ogc/collections/parks/items?datetime=2023/2024/2025", 400, "datetime"),
    ("/ogc/collections/parks/items?datetime=..", 400, "datetime"),
    ("/ogc/collections/places/items?datetime=2023", 400, "datetime"),  # no dates in places
    ("/ogc/collections/parks/items?colour=red", 400, "colour"),
    ("/ogc/collections/parks/items?name_zh=x", 400, "name_zh"),  # not a queryable of parks
    ("/ogc/collections/parks/items?status=", 400, "status"),
    ("/ogc/collections/projects/items?year=twenty", 400, "year"),
    ("/ogc/collections/parks/items?crs=http://www.opengis.net/def/crs/EPSG/0/3857", 400, "crs"),
    ("/ogc/collections/parks/items?bbox-crs=EPSG:4326", 400, "bbox-crs"),
    ("/ogc/collections/parks/items?f=xml", 400, "f"),
    ("/ogc/?f=xml", 400, "f"),
    ("/ogc/collections?f=xml", 400, "f"),
    ("/ogc/collections?limit=5", 400, "limit"),
    ("/ogc/api?f=yaml", 400, "f"),
    ("/ogc/collections/parks/items/PK-minhang-huainan?f=xml", 400, "f"),
    ("/ogc/collections/nowhere", 404, "collectionId"),
    ("/ogc/collections/nowhere/items", 404, "collectionId"),
    ("/ogc/collections/nowhere/queryables", 404, "collectionId"),
    ("/ogc/collections/parks/items/no-such-park", 404, "featureId"),
]


@pytest.mark.parametrize(("url", "status", "parameter"), BAD)
def test_bad_input_gets_an_exception_naming_the_parameter(client, url, status, parameter):
    r = client.get(url)
    assert r.status_code == status
    assert r.mimetype == "application/json"
    body = json.loads(r.data)
    assert body["parameter"] == parameter
    assert body["code"] == ("NotFound" if status == 404 else "InvalidParameterValue")
    assert parameter in body["description"] or status == 404
    assert "Traceback" not in body["description"]


def test_unknown_collection_lists_the_collections(client):
    body = get_json(client, "/ogc/collections/nowhere", 404)
    for layer_id in LAYERS:
        assert layer_id in body["description"]


def test_accepted_crs_parameters(client):
    crs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    doc = get_json(
        client,
        "/ogc/collections/parks/items",
        query_string={"crs": crs84, "bbox-crs": crs84, "bbox": "116,32,118,34"},
    )
    assert doc["numberMatched"] >= 1


# --- OpenAPI -------------------------------------------------------------------------------------


def test_openapi_describes_every_path_and_parameter(client):
    r = client.get("/ogc/api")
    assert r.headers["Content-Type"] == "application/vnd.oai.openapi+json;version=3.0"
    doc = json.loads(r.data)
    assert doc["openapi"].startswith("3.0")
    assert doc["servers"][0]["url"] == "/ogc"  # relative: no public URL is configured
    paths = doc["paths"]
    for path in ("/", "/conformance", "/api", "/collections"):
        assert "get" in paths[path]
    for spec in REGISTRY:
        items = paths[f"/collections/{spec.id}/items"]["get"]
        names = [p["name"] for p in items["parameters"]]
        assert {"bbox", "limit", "offset", "f", *spec.queryables} <= set(names)
        assert ("datetime" in names) == bool(spec.temporal)
        limit = next(p for p in items["parameters"] if p["name"] == "limit")
        assert limit["schema"]["default"] == 100 and limit["schema"]["maximum"] == 10_000
        for suffix in ("", "/items/{featureId}", "/queryables"):
            assert f"/collections/{spec.id}{suffix}" in paths
    page = client.get("/ogc/api?f=html")
    assert page.status_code == 200 and "/collections/parks/items" in page.get_data(as_text=True)


# --- HTTP ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/ogc/collections",
        "/ogc/collections/parks/items?status=licensed",
        "/ogc/collections/parks/items/PK-minhang-huainan",
        "/downloads/parks.csv",
        "/downloads/wanbei-data.zip",
    ],
)
def test_conditional_requests_get_304(client, url):
    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    assert "max-age=" in first.headers["Cache-Control"]
    modified = first.headers["Last-Modified"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    since = client.get(url, headers={"If-Modified-Since": modified})
    assert since.status_code == 304
    stale = client.get(url, headers={"If-None-Match": 'W/"something-else"'})
    assert stale.status_code == 200 and stale.data == first.data


def test_etag_differs_by_query_and_format(client):
    tags = {
        client.get(u).headers["ETag"]
        for u in (
            "/ogc/collections/parks/items",
            "/ogc/collections/parks/items?limit=3",
            "/ogc/collections/parks/items?f=html",
        )
    }
    assert len(tags) == 3


@pytest.mark.parametrize("url", ["/ogc/collections", "/ogc/api", "/downloads/parks.kml"])
def test_cors_on_data_paths(client, url):
    r = client.get(url, headers={"Origin": "https://example.org"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "Accept-Encoding" in r.headers["Vary"]


def test_no_cors_on_the_map_page(client):
    assert "Access-Control-Allow-Origin" not in client.get("/").headers


def test_cors_preflight(client):
    r = client.options("/ogc/collections/parks/items", headers={"Origin": "https://x.example"})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in r.headers["Access-Control-Allow-Methods"]


def test_large_responses_are_gzipped(client):
    plain = client.get("/ogc/collections/boundaries/items")
    assert "Content-Encoding" not in plain.headers
    packed = client.get("/ogc/collections/boundaries/items", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert len(packed.data) < len(plain.data) / 3
    assert gzip.decompress(packed.data) == plain.data
    assert packed.headers["ETag"] == plain.headers["ETag"]
    again = client.get("/ogc/collections/boundaries/items", headers={"Accept-Encoding": "gzip"})
    assert again.data == packed.data  # from the cache of compressed bodies


def test_small_responses_and_refusals_are_not_gzipped(client):
    assert len(client.get("/ogc/conformance").data) < 1024
    small = client.get("/ogc/conformance", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers
    refused = client.get(
        "/ogc/collections/boundaries/items", headers={"Accept-Encoding": "gzip;q=0, br"}
    )
    assert "Content-Encoding" not in refused.headers
    zipped = client.get("/downloads/wanbei-data.zip", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in zipped.headers  # a zip is compressed already


def test_head_answers_like_get(client):
    r = client.head("/ogc/collections/parks/items")
    assert r.status_code == 200 and r.data == b"" and r.headers["ETag"]


def test_html_shows_data_as_text(client, layers):
    page = client.get("/ogc/collections/parks/items?f=html&limit=100").get_data(as_text=True)
    for name in layers["parks"]["name_zh"]:
        assert name.replace("&", "&amp;") in page
    assert "<script" not in page


def test_a_reload_serves_the_new_data_with_new_validators(data_copy):
    from geo.dataset import CsvStore
    from webapp import state

    app = create_app({"TESTING": True, "DATA_DIR": str(data_copy)})
    client = app.test_client()
    url = "/ogc/collections/parks/items"
    before = client.get(url)
    first = json.loads(before.data)["features"][0]
    parks = data_copy / "parks.csv"
    parks.write_text(
        parks.read_text(encoding="utf-8").replace(first["properties"]["name_zh"], "新名字", 1),
        encoding="utf-8",
    )
    app.extensions["wanbei"] = state.build(CsvStore(data_copy).load())  # what a reload does
    after = client.get(url, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert json.loads(after.data)["features"][0]["properties"]["name_zh"] == "新名字"
    assert after.headers["ETag"] != before.headers["ETag"]
    download = client.get("/downloads/parks.csv").data.decode("utf-8-sig")
    assert "新名字" in download


@pytest.mark.parametrize("url", ["/ogc/?lang=en", "/ogc/collections?lang=zh-Hant&f=json"])
def test_lang_from_the_app_pages_is_accepted_and_ignored(client, url):
    plain = client.get(url.split("?")[0] + "?f=json")
    got = client.get(url if "f=" in url else url + "&f=json")
    assert got.status_code == 200, got.get_data(as_text=True)
    assert got.get_json() == plain.get_json()  # ignored: the resource is language-neutral


def test_an_unknown_parameter_is_still_a_400_naming_it(client):
    got = client.get("/ogc/?lang=en&colour=red")
    assert got.status_code == 400
    assert "colour" in got.get_data(as_text=True)
