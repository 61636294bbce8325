"""bbox queries go through the layer's spatial index, built once per data version (points: sorted
by longitude; lines and polygons: an STRtree), and select exactly what a full scan selects."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from layers import features as feat
from layers.registry import LAYERS

BOXES = [
    (116.0, 32.0, 117.0, 33.0),
    (115.1, 31.5, 115.2, 31.6),
    (100.0, 10.0, 140.0, 50.0),
    (170.0, 32.0, 116.5, 34.0),  # crosses the antimeridian: [170, 180] ∪ [-180, 116.5]
    (0.0, 0.0, 1.0, 1.0),  # empty
]


@pytest.fixture(scope="module")
def many_projects(app) -> gpd.GeoDataFrame:
    """The shipped projects, repeated to 3,000 sites at random points over the region."""
    base = app.extensions["wanbei"].dataset.layers["projects"]
    rng = np.random.default_rng(7)
    gdf = base.iloc[rng.integers(0, len(base), 3000)].reset_index(drop=True)
    gdf["id"] = [f"PR-synthetic-{i}" for i in range(len(gdf))]
    xy = rng.uniform((114.8, 31.3), (119.0, 35.2), (len(gdf), 2))
    return gdf.set_geometry(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=base.crs)


def scan(gdf: gpd.GeoDataFrame, bbox) -> list[int]:
    minx, miny, maxx, maxy = bbox
    boxes = [bbox] if minx <= maxx else [(minx, miny, 180, maxy), (-180, miny, maxx, maxy)]
    hit = np.zeros(len(gdf), dtype=bool)
    for b in boxes:
        hit |= shapely.intersects(gdf.geometry.values, shapely.box(*b))
    return np.flatnonzero(hit).tolist()


@pytest.mark.parametrize("bbox", BOXES)
def test_point_bbox_uses_the_index_and_equals_a_scan(many_projects, bbox, monkeypatch):
    c = feat.build_collection(LAYERS["projects"], many_projects)
    assert isinstance(c._points, feat.PointIndex) and len(c._points.x) == len(many_projects)
    assert (np.diff(c._points.x) >= 0).all(), "sorted by longitude"
    calls = []
    real = feat.PointIndex.query

    def counted(self, box):
        calls.append(box)
        return real(self, box)

    monkeypatch.setattr(feat.PointIndex, "query", counted)
    got = c.select(feat.Query(bbox=bbox))
    assert got.tolist() == scan(many_projects, bbox)
    assert len(calls) == (2 if bbox[0] > bbox[2] else 1), "the index answers the bbox"


def test_points_on_the_edges_of_the_box_are_in_it():
    gdf = gpd.GeoDataFrame(
        {"id": ["a", "b", "c", "d"]},
        geometry=gpd.points_from_xy([116.0, 117.0, 116.5, 117.0001], [32.0, 33.0, 33.0, 32.5]),
        crs="EPSG:4326",
    )
    index = feat.PointIndex.of(gdf.geometry.values)
    assert sorted(index.query((116.0, 32.0, 117.0, 33.0)).tolist()) == [0, 1, 2]


def test_every_layer_of_the_catalog_has_its_index(app):
    catalog = app.extensions["wanbei"].prepared["ogc"].catalog
    for layer_id, c in catalog.collections.items():
        layer = app.extensions["wanbei"].dataset.layers[layer_id]
        points = bool((layer.geometry.geom_type == "Point").all())
        if points:
            assert isinstance(c._points, feat.PointIndex), layer_id
        else:
            assert isinstance(c._sindex, gpd.sindex.SpatialIndex), layer_id
        for bbox in BOXES:
            assert c.select(feat.Query(bbox=bbox)).tolist() == scan(layer, bbox), (layer_id, bbox)
