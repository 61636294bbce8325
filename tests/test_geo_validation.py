"""Each validation rule of geo/, shown failing on a copy of the data broken in one place."""

from __future__ import annotations

import pytest

from geo.dataset import load_dataset, within
from geo.errors import DataError, Problem
from tests.helpers import read_rows, set_cell, write_rows


def problems_of(data_dir) -> list[Problem]:
    with pytest.raises(DataError) as info:
        load_dataset(data_dir)
    return info.value.problems


def test_shipped_data_is_valid(data_copy):
    dataset = load_dataset(data_copy)
    assert {k: len(v) for k, v in dataset.layers.items()} == {
        "places": 39,
        "pairings": 15,
        "parks": 11,
        "projects": 3,
        "partnerships": 5,
        "corridor": 10,
        "boundaries": 72,
    }
    assert (dataset.layers["pairings"]["level"] == "city").sum() == 8
    assert all(gdf.crs.to_epsg() == 4326 for gdf in dataset.layers.values())


@pytest.mark.parametrize(
    ("file", "key", "key_value", "column", "value", "message"),
    [
        ("places.csv", "adcode", "340300", "adcode", "34030", "is not a 6-digit adcode"),
        ("places.csv", "adcode", "340300", "name_zh", "", "is empty; name_zh is required"),
        ("places.csv", "adcode", "340300", "level", "city", "'city' is not allowed; use one of"),
        ("places.csv", "adcode", "340300", "lon", "abc", "is not a number"),
        ("places.csv", "adcode", "340300", "lon", "32.9183", "lon and lat look swapped"),
        ("places.csv", "adcode", "340300", "province_adcode", "320000", "is not the province of"),
        (
            "pairings.csv",
            "id",
            "P-330200-340300",
            "helped_adcode",
            "340399",
            "'340399' is not an existing adcode of places.csv",
        ),
        ("pairings.csv", "id", "P-330200-340300", "since", "1850", "is not a plausible year"),
        ("parks.csv", "id", "PK-ningbo-bengbu", "date", "2022-13", "is not a date"),
        (
            "parks.csv",
            "id",
            "PK-ningbo-bengbu",
            "pairing_id",
            "P-nope",
            "is not an existing id of pairings.csv",
        ),
        (
            "parks.csv",
            "id",
            "PK-ningbo-bengbu",
            "host_adcode",
            "341324",
            "is not within 340300, the helped unit of P-330200-340300",
        ),
        ("parks.csv", "id", "PK-ningbo-bengbu", "lon", "117.31", "is empty but its pair is given"),
        ("parks.csv", "id", "PK-ningbo-bengbu", "area_value", "-3", "is negative"),
        (
            "projects.csv",
            "id",
            "PR-ningbo-bengbu-xinsulian",
            "park_id",
            "PK-songjiang-luan",
            "belongs to P-310117-341500, not to this project's pairing",
        ),
        (
            "projects.csv",
            "id",
            "PR-ningbo-bengbu-xinsulian",
            "investment_yi",
            "3亿",
            "is not a number (use '.' as the decimal mark, no units)",
        ),
        (
            "project_totals.csv",
            "id",
            "PT-330200-340300-2022",
            "year_to",
            "2021",
            "is before year_from",
        ),
    ],
)
def test_each_cell_rule_names_file_row_column(
    data_copy, file, key, key_value, column, value, message
):
    row = set_cell(data_copy / file, key, key_value, column, value)
    found = problems_of(data_copy)
    assert any(p.file == file and p.row == row and message in p.message for p in found), found
    # the column is named too, except for cross-column rules that point at the other column
    assert any(p.file == file and p.row == row for p in found)


def test_every_problem_is_reported_at_once(data_copy):
    r1 = set_cell(data_copy / "places.csv", "adcode", "340300", "level", "town")
    r2 = set_cell(data_copy / "parks.csv", "id", "PK-xuzhou-huaibei", "status", "open")
    r3 = set_cell(data_copy / "projects.csv", "id", "PR-ningbo-bengbu-yusheng", "year", "20x2")
    found = {(p.file, p.row, p.column) for p in problems_of(data_copy)}
    assert {
        ("places.csv", r1, "level"),
        ("parks.csv", r2, "status"),
        ("projects.csv", r3, "year"),
    } <= found


def test_report_lists_file_row_and_column(data_copy):
    row = set_cell(data_copy / "parks.csv", "id", "PK-xuzhou-huaibei", "status", "open")
    with pytest.raises(
        DataError,
        match=rf"parks\.csv, row {row}, column status: 'open' is not "
        r"allowed; use one of: planned, agreement_signed",
    ):
        load_dataset(data_copy)


def test_duplicate_ids(data_copy):
    header, rows = read_rows(data_copy / "parks.csv")
    rows.append(dict(rows[0]))
    write_rows(data_copy / "parks.csv", header, rows)
    found = problems_of(data_copy)
    assert any(p.row == len(rows) + 1 and "is already used in row 2" in p.message for p in found)


def test_missing_and_unknown_columns(data_copy):
    header, rows = read_rows(data_copy / "projects.csv")
    header = [h if h != "sector" else "industry" for h in header]
    for r in rows:
        r["industry"] = r.pop("sector")
    write_rows(data_copy / "projects.csv", header, rows)
    found = [(p.file, p.column, p.message) for p in problems_of(data_copy)]
    assert (
        "projects.csv",
        "sector",
        "column is missing from the header; add it (it may stay empty)",
    ) in found
    assert any(c == "industry" and m.startswith("unknown column") for _, c, m in found)


def test_missing_file(data_copy):
    (data_copy / "corridor.csv").unlink()
    assert any(
        p.file == "corridor.csv" and "file is missing" in p.message for p in problems_of(data_copy)
    )


def test_wrong_number_of_fields(data_copy):
    path = data_copy / "projects.csv"
    path.write_text(path.read_text(encoding="utf-8") + "PR-x,only,three\n", encoding="utf-8")
    found = problems_of(data_copy)
    assert any(p.row == 5 and "has 3 fields, the header has 16" in p.message for p in found)


def test_not_utf8(data_copy):
    (data_copy / "plan.csv").write_bytes("id,year\n目标,2023\n".encode("gb18030"))
    assert any(p.file == "plan.csv" and "is not UTF-8" in p.message for p in problems_of(data_copy))


def test_point_outside_its_unit(data_copy):
    # 泗县's seat moved into 固镇县: inside China, inside Anhui, but not in its own county.
    set_cell(data_copy / "places.csv", "adcode", "341324", "lon", "117.3112")
    row = set_cell(data_copy / "places.csv", "adcode", "341324", "lat", "33.3184")
    found = problems_of(data_copy)
    assert any(p.row == row and "lies outside unit 341324" in p.message for p in found), found


def test_unconverted_gcj02_point_is_named(data_copy):
    # A park placed with the raw Amap (GCJ-02) point of a spot just inside 固镇县's boundary:
    # its GCJ-02 coordinates fall outside, its WGS84 conversion inside.
    from shapely import Point

    from geo.coords import wgs84_to_gcj02
    from geo.dataset import read_boundaries

    boundaries, _ = read_boundaries(data_copy / "boundaries.geojson")
    county = boundaries.set_index("adcode").geometry["340323"]
    # walk west→east along the seat's latitude to the last point inside the county
    seat_lat = 33.3184
    lon = 117.3112
    while county.covers(Point(lon + 0.001, seat_lat)):
        lon += 0.001
    glon, glat = wgs84_to_gcj02(lon, seat_lat)
    assert not county.covers(Point(glon, glat))
    set_cell(data_copy / "parks.csv", "id", "PK-ningbo-bengbu", "precision", "approximate")
    set_cell(data_copy / "parks.csv", "id", "PK-ningbo-bengbu", "lon", f"{glon:.6f}")
    row = set_cell(data_copy / "parks.csv", "id", "PK-ningbo-bengbu", "lat", f"{glat:.6f}")
    found = problems_of(data_copy)
    assert any(
        p.row == row and "looks like GCJ-02 (Amap): convert it to WGS84" in p.message for p in found
    ), found


def test_broken_boundaries_file(data_copy):
    (data_copy / "boundaries.geojson").write_text("{not json", encoding="utf-8")
    assert any(
        p.file == "boundaries.geojson" and "cannot be read" in p.message
        for p in problems_of(data_copy)
    )


def test_not_a_directory(tmp_path):
    with pytest.raises(DataError, match="is not a directory"):
        load_dataset(tmp_path / "nope")


@pytest.mark.parametrize(
    ("child", "parent", "inside"),
    [
        ("340323", "340300", True),
        ("340323", "340000", True),
        ("341324", "340300", False),
        ("340300", "340300", True),
        ("340311", "340323", False),
    ],
)
def test_within(child, parent, inside):
    assert within(child, parent) is inside
