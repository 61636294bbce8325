"""Tests for geo.coords (WGS84 / GCJ-02 / BD-09 conversions)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Geod

from geo.coords import (
    bd09_to_wgs84,
    gcj02_to_wgs84,
    to_wgs84,
    transform_geometry,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

GEOD = Geod(ellps="WGS84")

# (adcode, unit, GCJ-02 centre from cpca 0.5.5 resources/adcodes.csv, WGS84 seat from facts.md)
REFERENCE_SEATS = [
    ("340300", "蚌埠市", (117.388512, 32.91663), (117.3827, 32.9183)),
    ("341324", "泗县", (117.910629, 33.482982), (117.9052, 33.4847)),
    ("340323", "固镇县", (117.316913, 33.31688), (117.3112, 33.3184)),
    ("310112", "闵行区", (121.380831, 31.1129), (121.3762, 31.1148)),
    ("330100", "杭州市", (120.209789, 30.24692), (120.2052, 30.2493)),
    ("320300", "徐州市", (117.284124, 34.205768), (117.2784, 34.2071)),
]


@pytest.mark.parametrize(("adcode", "name", "gcj", "wgs"), REFERENCE_SEATS)
def test_reference_seats(
    adcode: str, name: str, gcj: tuple[float, float], wgs: tuple[float, float]
) -> None:
    lon, lat = gcj02_to_wgs84(*gcj)
    assert isinstance(lon, float) and isinstance(lat, float)
    assert lon == pytest.approx(wgs[0], abs=1e-4), (adcode, name)
    assert lat == pytest.approx(wgs[1], abs=1e-4), (adcode, name)
    assert to_wgs84(*gcj, crs="gcj02") == (lon, lat)


@pytest.mark.parametrize(("adcode", "name", "gcj", "wgs"), REFERENCE_SEATS)
def test_offset_is_about_500_m_east_south_east(
    adcode: str, name: str, gcj: tuple[float, float], wgs: tuple[float, float]
) -> None:
    lon, lat = gcj02_to_wgs84(*gcj)
    azimuth, _, dist = GEOD.inv(lon, lat, *gcj)
    assert 350 < dist < 700, (adcode, name, dist)
    assert 90 < azimuth < 135, (adcode, name, azimuth)


def test_offset_magnitude_over_east_china() -> None:
    rng = np.random.default_rng(42)
    lon = rng.uniform(114.0, 123.0, 2000)
    lat = rng.uniform(27.0, 36.0, 2000)
    glon, glat = wgs84_to_gcj02(lon, lat)
    _, _, dist = GEOD.inv(lon, lat, glon, glat)
    assert dist.min() > 300
    assert dist.max() < 800


def test_round_trips() -> None:
    rng = np.random.default_rng(7)
    lon = rng.uniform(74.0, 135.0, 5000)
    lat = rng.uniform(18.0, 53.0, 5000)
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    np.testing.assert_allclose(back[0], lon, rtol=0, atol=6e-5)
    np.testing.assert_allclose(back[1], lat, rtol=0, atol=6e-5)
    back = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    np.testing.assert_allclose(back[0], lon, rtol=0, atol=6e-5)
    np.testing.assert_allclose(back[1], lat, rtol=0, atol=6e-5)
    # Scalar round trip in eastern China is better than 3e-5 degrees.
    assert gcj02_to_wgs84(*wgs84_to_gcj02(117.3827, 32.9183)) == pytest.approx(
        (117.3827, 32.9183), abs=3e-5
    )


def test_bd09_is_gcj02_plus_baidu_shift() -> None:
    lon, lat = 117.3827, 32.9183
    blon, blat = wgs84_to_bd09(lon, lat)
    glon, glat = wgs84_to_gcj02(lon, lat)
    # BD-09 adds roughly (+0.0065, +0.006) degrees on top of GCJ-02.
    assert blon - glon == pytest.approx(0.0065, abs=0.0015)
    assert blat - glat == pytest.approx(0.006, abs=0.0015)
    assert to_wgs84(blon, blat, crs="bd09") == pytest.approx((lon, lat), abs=6e-5)


def test_vectorised_matches_scalar_and_keeps_shape() -> None:
    lon = np.array([[117.388512, 117.910629, 121.380831], [120.209789, 117.284124, 117.316913]])
    lat = np.array([[32.91663, 33.482982, 31.1129], [30.24692, 34.205768, 33.31688]])
    for func in (gcj02_to_wgs84, wgs84_to_gcj02, bd09_to_wgs84, wgs84_to_bd09):
        x, y = func(lon, lat)
        assert isinstance(x, np.ndarray) and x.dtype == np.float64
        assert x.shape == lon.shape and y.shape == lat.shape
        for idx in np.ndindex(lon.shape):
            assert (x[idx], y[idx]) == func(float(lon[idx]), float(lat[idx]))
    # Lists, broadcasting and empty arrays.
    x, y = gcj02_to_wgs84([117.388512, 117.910629], 33.0)
    assert x.shape == (2,) and y.shape == (2,)
    x, y = gcj02_to_wgs84(np.array([]), np.array([]))
    assert x.shape == (0,) and y.shape == (0,)


def test_nan_passes_through() -> None:
    x, y = gcj02_to_wgs84(np.array([np.nan, 117.0]), np.array([30.0, 30.0]))
    assert np.isnan(x[0]) and not np.isnan(x[1])


def test_outside_china_is_unchanged() -> None:
    # coordtransform treats everything outside 73.66 < lon < 135.05, 3.86 < lat < 53.55 as
    # "not in China" and returns it unchanged.
    for lon, lat in [(2.3522, 48.8566), (-74.0, 40.7), (140.0, 35.0), (100.0, 60.0)]:
        assert gcj02_to_wgs84(lon, lat) == (lon, lat)
        assert wgs84_to_gcj02(lon, lat) == (lon, lat)
    x, y = gcj02_to_wgs84(np.array([2.3522, 117.0]), np.array([48.8566, 30.0]))
    assert (x[0], y[0]) == (2.3522, 48.8566)
    assert (x[1], y[1]) != (117.0, 30.0)


def test_to_wgs84_identity_and_errors() -> None:
    assert to_wgs84(117, 32, crs="wgs84") == (117.0, 32.0)
    x, y = to_wgs84([117.0, 118.0], [32.0, 33.0], crs="wgs84")
    np.testing.assert_array_equal(x, [117.0, 118.0])
    np.testing.assert_array_equal(y, [32.0, 33.0])
    with pytest.raises(ValueError, match=r"unknown crs 'WGS84'.*'wgs84', 'gcj02', 'bd09'"):
        to_wgs84(117.0, 32.0, crs="WGS84")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"unknown crs 'epsg:4326'; expected one of"):
        to_wgs84(117.0, 32.0, crs="epsg:4326")  # type: ignore[arg-type]


def test_transform_geometry() -> None:
    poly = shapely.Polygon(
        [(117.3, 32.9), (117.5, 32.9), (117.5, 33.0), (117.3, 33.0)],
        holes=[[(117.35, 32.93), (117.35, 32.97), (117.45, 32.97), (117.45, 32.93)]],
    )
    out = transform_geometry(poly, gcj02_to_wgs84)
    assert out.geom_type == "Polygon" and out.is_valid
    assert len(out.interiors) == 1
    got = shapely.get_coordinates(out)
    exp = np.column_stack(gcj02_to_wgs84(*shapely.get_coordinates(poly).T))
    np.testing.assert_array_equal(got, exp)
    # The shift is roughly 500 m west-north-west, so the area barely changes.
    assert out.area == pytest.approx(poly.area, rel=1e-3)
    assert out.centroid.x < poly.centroid.x and out.centroid.y > poly.centroid.y

    # Z is preserved; collections and multi-parts keep their structure.
    pt = transform_geometry(shapely.Point(117.388512, 32.91663, 12.5), gcj02_to_wgs84)
    assert pt.has_z and pt.z == 12.5
    assert (pt.x, pt.y) == gcj02_to_wgs84(117.388512, 32.91663)
    coll = shapely.from_wkt(
        "GEOMETRYCOLLECTION (POINT (117 32), MULTILINESTRING ((117 32, 118 33), (118 32, 117 33)))"
    )
    out = transform_geometry(coll, wgs84_to_gcj02)
    assert out.geom_type == "GeometryCollection"
    assert [g.geom_type for g in out.geoms] == ["Point", "MultiLineString"]
    assert shapely.get_num_coordinates(out) == 5
