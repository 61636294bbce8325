"""Downloads: every layer in every format reads back as the layer; filters; the zip."""

from __future__ import annotations

import csv
import io
import json
import math
import zipfile
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
import shapely

from layers.formats import FORMATS
from layers.registry import LAYERS, REGISTRY

LAYER_IDS = list(LAYERS)


# The same tests on both stores (tests/conftest.py): the shipped files, and PostGIS loaded with
# them. One app per store, built once for the whole session.
@pytest.fixture(scope="module")
def app(backend_app):
    return backend_app


@pytest.fixture
def client(backend_client):
    return backend_client


@pytest.fixture(scope="module")
def layers(app):
    return app.extensions["wanbei"].dataset.layers


def fetch(client, url: str, status: int = 200):
    r = client.get(url)
    assert r.status_code == status, (url, r.data[:300])
    return r


def save(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def text(value) -> str:
    """A layer value as the text a file holds (missing: empty)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return repr(value).removesuffix(".0")
    return str(value)


def assert_same_geometries(got, expected) -> None:
    """Equal to 1e-6° (the files' precision); a one-part Multi* equals its part (GeoPackage
    tables of mixed Polygon/MultiPolygon are written as MultiPolygon)."""
    for g, e in zip(got, expected, strict=True):
        g = shapely.force_2d(g)
        if g.geom_type == f"Multi{e.geom_type}" and len(g.geoms) == 1:
            g = g.geoms[0]
        assert shapely.equals_exact(shapely.force_2d(g), e, tolerance=1.5e-6), (
            g.wkt[:80],
            e.wkt[:80],
        )


@pytest.mark.parametrize("layer_id", LAYER_IDS)
@pytest.mark.parametrize("ext", list(FORMATS))
def test_every_format_is_served(client, layer_id, ext):
    r = fetch(client, f"/downloads/{layer_id}.{ext}")
    assert r.mimetype == FORMATS[ext].media_type.split(";")[0]
    assert r.headers["Content-Disposition"] == f'attachment; filename="{layer_id}.{ext}"'
    assert len(r.data) > 100


@pytest.mark.parametrize("layer_id", LAYER_IDS)
def test_geojson_is_the_layer(client, layers, layer_id):
    doc = json.loads(fetch(client, f"/downloads/{layer_id}.geojson").data)
    gdf = layers[layer_id]
    assert [f["id"] for f in doc["features"]] == [str(i) for i in gdf["id"]]
    assert_same_geometries(
        [shapely.geometry.shape(f["geometry"]) for f in doc["features"]], gdf.geometry
    )


@pytest.mark.parametrize("layer_id", LAYER_IDS)
def test_csv_reads_back_as_the_layer(client, layers, layer_id):
    data = fetch(client, f"/downloads/{layer_id}.csv").data
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, for Excel"
    assert b"\r\n" in data
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    gdf = layers[layer_id]
    point = LAYERS[layer_id].geometry == "point"
    geometry_columns = ["lon", "lat"] if point else ["wkt"]
    props = [c for c in gdf.columns if c != "geometry" and c not in geometry_columns]
    assert list(rows[0]) == [*props, *geometry_columns]
    assert len(rows) == len(gdf)
    for row, (_, feature) in zip(rows, gdf.iterrows(), strict=True):
        for name in props:
            assert row[name] == text(feature[name]), (feature["id"], name)
    if point:
        got = [shapely.Point(float(r["lon"]), float(r["lat"])) for r in rows]
    else:
        got = [shapely.from_wkt(r["wkt"]) for r in rows]
    assert_same_geometries(got, gdf.geometry)


def test_csv_has_chinese_text(client):
    data = fetch(client, "/downloads/parks.csv").data.decode("utf-8-sig")
    assert "园区" in data


@pytest.mark.parametrize("layer_id", LAYER_IDS)
def test_geopackage_reads_back_as_the_layer(client, layers, layer_id, tmp_path):
    path = save(tmp_path, f"{layer_id}.gpkg", fetch(client, f"/downloads/{layer_id}.gpkg").data)
    assert pyogrio.list_layers(path)[:, 0].tolist() == [layer_id]
    got = pyogrio.read_dataframe(path)
    gdf = layers[layer_id]
    assert got.crs.to_epsg() == 4326
    assert list(got.columns) == list(gdf.columns)
    for name in gdf.columns.drop("geometry"):
        assert [text(v) for v in got[name]] == [text(v) for v in gdf[name]], name
    assert_same_geometries(got.geometry, gdf.geometry)


@pytest.mark.parametrize("layer_id", LAYER_IDS)
def test_kml_reads_back_as_the_layer(client, layers, layer_id, tmp_path):
    data = fetch(client, f"/downloads/{layer_id}.kml").data
    assert data.startswith(b"<?xml") and b"<kml" in data[:200]
    got = pyogrio.read_dataframe(save(tmp_path, f"{layer_id}.kml", data))
    gdf = layers[layer_id]
    spec = LAYERS[layer_id]
    assert got["id"].tolist() == [str(i) for i in gdf["id"]]
    assert [text(v) for v in got["Name"]] == [text(v) for v in gdf[spec.tooltip]]
    for name in gdf.columns.drop(["geometry", "id"]):
        assert [text(v) for v in got[name]] == [text(v) for v in gdf[name]], name
    assert_same_geometries(got.geometry, gdf.geometry)


def test_kml_stays_well_formed_with_characters_xml_forbids(layers, tmp_path):
    """A vertical tab (Excel's _x000B_) or a NUL in a name would make the whole KML unreadable:
    such characters are written as U+FFFD; the others, and XML's own specials, as they are."""
    from xml.etree import ElementTree

    from layers.formats import to_kml_bytes

    gdf = layers["places"].head(2).copy()
    gdf["name_zh"] = ["蚌埠\x0b市\x00", 'a & <b> ]]> "c"\ttab']
    gdf["name_en"] = ["x\x1fy", "ok"]
    data = to_kml_bytes(LAYERS["places"], gdf)
    ElementTree.fromstring(data)  # raises if not well-formed
    got = pyogrio.read_dataframe(save(tmp_path, "places.kml", data))
    assert got["name_zh"].tolist() == ["蚌埠\ufffd市\ufffd", 'a & <b> ]]> "c"\ttab']
    assert got["name_en"].tolist() == ["x\ufffdy", "ok"]


# --- filters -------------------------------------------------------------------------------------


@pytest.mark.parametrize("ext", list(FORMATS))
def test_downloads_take_the_items_filters(client, layers, ext, tmp_path):
    gdf = layers["boundaries"]
    inside = gdf.geometry.intersects(shapely.box(116, 30, 120, 33))
    expected = [str(i) for i in gdf["id"][inside & (gdf["level"] == "county")]]
    assert expected
    url = "/downloads/boundaries.{}?bbox=116,30,120,33&level=county"
    data = fetch(client, url.format(ext)).data
    if ext == "geojson":
        got = [f["id"] for f in json.loads(data)["features"]]
    elif ext == "csv":
        got = [r["id"] for r in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))]
    else:
        got = pyogrio.read_dataframe(save(tmp_path, f"f.{ext}", data))["id"].tolist()
    assert got == expected
    items = json.loads(fetch(client, "/ogc/collections/boundaries/items?" + url.split("?")[1]).data)
    assert [f["id"] for f in items["features"]] == expected


def test_filtered_geojson_equals_the_items(client):
    query = "status=licensed&bbox=116,32,118,34"
    download = json.loads(fetch(client, f"/downloads/parks.geojson?{query}").data)
    items = json.loads(fetch(client, f"/ogc/collections/parks/items?{query}").data)
    assert download["features"] == items["features"] and download["features"]


@pytest.mark.parametrize("ext", ["gpkg", "kml", "csv"])
def test_an_empty_selection_is_a_valid_empty_file(client, ext, tmp_path):
    data = fetch(client, f"/downloads/parks.{ext}?bbox=0,0,1,1").data
    if ext == "csv":
        assert len(data.decode("utf-8-sig").strip().splitlines()) == 1  # the header
    else:
        assert len(pyogrio.read_dataframe(save(tmp_path, f"e.{ext}", data))) == 0


@pytest.mark.parametrize(
    ("url", "status", "parameter"),
    [
        ("/downloads/nowhere.csv", 404, "layer_id"),
        ("/downloads/parks.shp", 404, "ext"),
        ("/downloads/parks.csv?bbox=1,2,3", 400, "bbox"),
        ("/downloads/parks.kml?status=", 400, "status"),
        ("/downloads/parks.gpkg?limit=5", 400, "limit"),  # no paging for files
        ("/downloads/parks.geojson?f=json", 400, "f"),
        ("/downloads/wanbei-data.zip?bbox=1,2,3,4", 400, "bbox"),
    ],
)
def test_bad_download_requests(client, url, status, parameter):
    r = client.get(url)
    assert r.status_code == status and r.mimetype == "application/json"
    body = json.loads(r.data)
    assert body["parameter"] == parameter and body["code"] and body["description"]


def test_unknown_layer_lists_the_valid_ids(client):
    body = json.loads(client.get("/downloads/nowhere.geojson").data)
    assert body["valid"] == LAYER_IDS
    body = json.loads(client.get("/downloads/parks.xls").data)
    assert body["valid"] == list(FORMATS)


# --- the zip -------------------------------------------------------------------------------------


def test_zip_holds_everything(client, app, tmp_path):
    r = fetch(client, "/downloads/wanbei-data.zip")
    assert r.mimetype == "application/zip"
    dataset = app.extensions["wanbei"].dataset
    with zipfile.ZipFile(io.BytesIO(r.data)) as zf:
        names = set(zf.namelist())
        assert zf.testzip() is None
        expected = {"README.md", "LICENCES.md", "wanbei-data.gpkg"}
        expected |= {f"layers/{s.id}.{e}" for s in REGISTRY for e in FORMATS if e != "gpkg"}
        expected |= {f"tables/{name}.csv" for name in dataset.tables}
        assert names == expected
        readme = zf.read("README.md").decode()
        licences = zf.read("LICENCES.md").decode()
        for spec in REGISTRY:
            geojson = zf.read(f"layers/{spec.id}.geojson")
            assert geojson == fetch(client, f"/downloads/{spec.id}.geojson").data
            assert (
                zf.read(f"layers/{spec.id}.csv") == fetch(client, f"/downloads/{spec.id}.csv").data
            )
            assert f"`{spec.id}`" in readme
        gpkg = save(tmp_path, "all.gpkg", zf.read("wanbei-data.gpkg"))
        plan = zf.read("tables/plan.csv")
    assert sorted(pyogrio.list_layers(gpkg)[:, 0]) == sorted(LAYER_IDS)
    for spec in REGISTRY:
        assert len(pyogrio.read_dataframe(gpkg, layer=spec.id)) == len(dataset.layers[spec.id])
    assert "`lon`" in readme and "`wkt`" in readme and "byte-order mark" in readme
    assert "MIT" in licences and "CC BY 4.0" in licences
    assert plan.startswith(b"\xef\xbb\xbf")
    assert len(plan.decode("utf-8-sig").strip().splitlines()) == len(dataset.tables["plan"]) + 1


def test_map_offers_every_format_and_the_zip(client):
    page = client.get("/").get_data(as_text=True)
    menu = page[page.index('class="wb-downloads"') :]
    menu = menu[: menu.index("</details>")]
    for layer_id in LAYER_IDS:
        for ext in FORMATS:
            assert f'href="/downloads/{layer_id}.{ext}"' in menu
    assert 'href="/downloads/wanbei-data.zip"' in menu
    assert 'href="/ogc/"' in menu
