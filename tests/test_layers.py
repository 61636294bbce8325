"""The layer registry and the GeoJSON it produces."""

from __future__ import annotations

import json
import re
import sys

import geopandas as gpd
import numpy as np
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from shapely import Point, Polygon

from geo.dataset import LAYER_IDS
from layers.geojson import to_feature_collection, to_geojson_bytes
from layers.map import legend_config
from layers.registry import LAYERS, REGISTRY, get


def test_registry_has_the_layer_ids_of_the_issue():
    assert (
        set(LAYERS)
        == set(LAYER_IDS)
        == {
            "places",
            "pairings",
            "parks",
            "projects",
            "partnerships",
            "corridor",
            "boundaries",
            "plan_progress",
        }
    )
    assert len(REGISTRY) == len(LAYERS)


def test_unknown_layer_lists_the_valid_ids():
    expected = "Unknown layer 'nope'; the layers are: boundaries, plan_progress, places"
    with pytest.raises(KeyError, match=expected):
        get("nope")


@pytest.mark.parametrize("spec", REGISTRY, ids=lambda s: s.id)
def test_popup_tooltip_and_variant_fields_exist_in_the_layer(app, spec):
    gdf = app.extensions["wanbei"].dataset.layers[spec.id]
    fields = {f.name for f in spec.popup} | {spec.tooltip} | {v.prop for v in spec.variants}
    assert fields <= set(gdf.columns)
    assert "source" in {f.name for f in spec.popup}, "every popup shows the source"
    if spec.id == "plan_progress":  # a colour scale: its legend shows every class
        assert set(gdf["progress"]) <= {v.value for v in spec.variants}
        return
    for v in spec.variants:
        assert v.value in set(gdf[v.prop]), f"variant {v.value} matches no feature"


def test_legend_has_a_row_per_layer_or_variant():
    items = legend_config()["items"]
    assert {i["layer"] for i in items} == set(LAYERS)
    assert [i["title"] for i in items if i["layer"] == "pairings"] == [
        "市级结对(帮扶→受帮扶)",
        "县(区)级结对",
    ]


def tiny() -> gpd.GeoDataFrame:
    cw_square = Polygon([(117, 32), (117, 33), (118, 33), (118, 32)])  # clockwise
    return gpd.GeoDataFrame(
        {"id": ["a", "b"], "name": ["蚌埠<b>", None], "n": [1.5, np.nan]},
        geometry=[Point(117.123456789, 32.987654321), cw_square],
        crs="EPSG:4326",
    )


def test_geojson_is_rfc7946():
    fc = json.loads(json.dumps(to_feature_collection(tiny())))
    assert "crs" not in fc and fc["type"] == "FeatureCollection"
    point, square = fc["features"]
    assert point["id"] == "a" and point["geometry"]["coordinates"] == [117.123457, 32.987654]
    assert point["properties"] == {"id": "a", "name": "蚌埠<b>", "n": 1.5}
    assert square["properties"]["name"] is None and square["properties"]["n"] is None
    ring = square["geometry"]["coordinates"][0]
    assert shapely.LinearRing(ring).is_ccw, "exterior rings are counter-clockwise"


def test_geojson_bytes_are_compact_utf8_and_round_trip():
    raw = to_geojson_bytes(tiny())
    assert "蚌埠".encode() in raw and b"NaN" not in raw
    back = gpd.read_file(raw.decode(), engine="pyogrio")
    expected = tiny()
    expected["geometry"] = shapely.orient_polygons(
        shapely.set_precision(expected.geometry.values, 1e-6), exterior_cw=False
    )
    assert_geodataframe_equal(
        back[["id", "name", "n", "geometry"]], expected, check_less_precise=True, normalize=True
    )


def test_geojson_refuses_other_crs():
    with pytest.raises(ValueError, match="Expected a GeoDataFrame in EPSG:4326, got CRS"):
        to_feature_collection(tiny().to_crs(3857))


@pytest.mark.parametrize("layer_id", LAYER_IDS)
def test_shipped_layers_have_at_most_six_decimals(client, layer_id):
    text = client.get(f"/downloads/{layer_id}.geojson").get_data(as_text=True)
    decimals = [len(m) for m in re.findall(r"-?\d+\.(\d+)", text.split('"properties"')[0])]
    assert decimals and max(decimals) <= 6
    assert '"crs"' not in text
    doc = json.loads(text)
    for feature in doc["features"]:
        geom = shapely.geometry.shape(feature["geometry"])
        for poly in getattr(geom, "geoms", [geom]):
            if poly.geom_type == "Polygon":
                assert poly.exterior.is_ccw
                assert all(not ring.is_ccw for ring in poly.interiors)


def test_geo_and_layers_do_not_import_flask():
    import subprocess

    code = (
        "import sys, geo.dataset, geo.load, geo.links, geo.coords, layers.registry, "
        "layers.geojson, layers.map; "
        "bad = [m for m in ('flask', 'webapp', 'werkzeug') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    code = (
        "import sys, geo.dataset, geo.load; "
        "sys.exit(1 if any(m in sys.modules for m in ('folium', 'branca', 'layers')) else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_data_readme_documents_every_column():
    from pathlib import Path

    from geo.schema import markdown

    readme = (Path(__file__).parents[1] / "data" / "README.md").read_text(encoding="utf-8")
    assert markdown() in readme, "regenerate the tables of data/README.md from geo.schema"
