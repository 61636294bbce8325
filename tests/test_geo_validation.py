"""Each validation rule of geo/, shown failing on a copy of the data broken in one place."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.dataset import load_dataset, within
from geo.errors import DataError, Problem
from tests.helpers import read_rows, set_cell, write_rows

DATA_DIR = Path(__file__).parents[1] / "data"
CRI = (
    "https://big5.cri.cn/gate/big5/news.cri.cn/2023-06-15/4cafbf5d-1630-4c4d-bd7a-12aefbaafda9.html"
)


def problems_of(data_dir) -> list[Problem]:
    with pytest.raises(DataError) as info:
        load_dataset(data_dir)
    return info.value.problems


def test_shipped_data_is_valid(data_copy):
    dataset = load_dataset(data_copy)
    assert {k: len(v) for k, v in dataset.layers.items()} == {
        "places": 43,
        "pairings": 18,
        "parks": 11,
        "projects": 27,
        "partnerships": 16,
        "corridor": 11,
        "boundaries": 72,
        "plan_progress": 8,
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
        # a grade above the first source's (松江—金安 rests on an aggregator only)
        (
            "pairings.csv",
            "id",
            "P-310117-341502",
            "confidence",
            "primary",
            "is 'primary' but its first source is graded 'weak' in sources.csv",
        ),
        # ...and below it: 苏阜产业园区's launch is in 阜阳日报, only its site is unknown
        (
            "parks.csv",
            "id",
            "PK-suzhou-fuyang",
            "confidence",
            "unconfirmed",
            "is 'unconfirmed' but its first source is graded 'primary'",
        ),
        ("sources.csv", "source", CRI, "grade", "confirmed", "'confirmed' is not allowed"),
        # a figure for all of 上海 is never one pair's
        (
            "figures.csv",
            "id",
            "FG-shanghai-huainan-projects",
            "pairing_id",
            "P-310112-340400",
            "must be empty: a region figure is not one pair's",
        ),
        ("figures.csv", "id", "FG-ningbo-bengbu-cadres", "pairing_id", "", "is empty but scope"),
        ("corridor.csv", "adcode", "341500", "status", "", "is empty; a link_target needs it"),
        ("corridor.csv", "adcode", "340100", "seq", "1", "1 is used twice"),
        ("corridor.csv", "adcode", "340100", "link_from", "310117", "must be empty for a member"),
        ("corridor.csv", "adcode", "341500", "seq", "10", "must be empty for a link_target"),
        ("corridor.csv", "adcode", "341500", "link_from", "340999", "is not an existing adcode"),
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
    last = len(path.read_text(encoding="utf-8").splitlines())
    assert any(p.row == last and "has 3 fields, the header has 23" in p.message for p in found)


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


def test_a_source_has_one_grade_wherever_it_is_cited(data_copy):
    # CRI's re-post of 安徽日报 is secondary: a row citing it first cannot be graded otherwise
    header, rows = read_rows(data_copy / "parks.csv")
    cri_first = [i for i, r in enumerate(rows) if r["source"].startswith(CRI)]
    assert len(cri_first) >= 3
    for i in cri_first[:2]:
        rows[i]["confidence"] = "primary"
    write_rows(data_copy / "parks.csv", header, rows)
    found = [p for p in problems_of(data_copy) if p.column == "confidence"]
    assert sorted(p.row for p in found) == [i + 2 for i in cri_first[:2]]


def test_every_graded_row_of_the_shipped_data_cites_graded_sources():
    from geo.dataset import source_items

    dataset = load_dataset(DATA_DIR)
    graded = set(dataset.tables["sources"]["source"])
    for name, frame in dataset.tables.items():
        if name == "sources" or "confidence" not in frame.columns:
            continue
        for row in frame.itertuples():
            assert row.confidence in ("primary", "secondary", "weak"), (name, row)
            missing = set(source_items(row.source)) - graded
            assert not missing, f"{name}.csv {row[1]}: grade {missing} in sources.csv"


def test_english_names_say_which_suzhou():
    # 苏州 (Jiangsu) and 宿州 (Anhui) are both "Suzhou" in pinyin
    import csv
    import re

    bare = re.compile(r"Suzhou(?! \((Anhui|Jiangsu)\)|, (Anhui|Jiangsu))")
    for path in sorted(DATA_DIR.glob("*.csv")):
        if path.name == "gazetteer.csv":
            continue
        with path.open(encoding="utf-8", newline="") as f:
            for line, row in enumerate(csv.DictReader(f), start=2):
                for col, value in row.items():
                    if col.endswith("_en") and value:
                        assert not bare.search(value), f"{path.name} row {line} {col}: {value}"


def test_named_projects_say_where_their_investor_comes_from():
    from geo.spec import SPEC

    dataset = load_dataset(DATA_DIR)
    projects, pairings = dataset.tables["projects"], dataset.tables["pairings"]
    city_of = {r.id: f"{r.helped_adcode[:4]}00" for r in pairings.itertuples()}
    assert len(projects) >= 24
    assert projects["pairing_id"].map(city_of).nunique() >= 6
    # one rule for all: the origin is stated or said not to be, never left open
    assert set(projects["investor_link"]) == {"stated", "not_stated"}
    assert projects["confidence"].isin(["primary", "secondary", "weak"]).all()
    kinds = projects.loc[projects["investment_yi"].notna(), "investment_kind"]
    assert kinds.dropna().isin(["agreed", "planned", "actual"]).all()
    popup = {f.name for f in SPEC.layer("projects").popup}
    assert {"company", "investor_link", "investment_kind", "confidence", "date"} <= popup


def test_readme_coverage_table_is_in_step_with_the_data():
    from geo import coverage

    readme = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    table = coverage.markdown(load_dataset(DATA_DIR))
    assert table in readme, "regenerate the coverage table: python -m geo.coverage"
    cov = coverage.coverage(load_dataset(DATA_DIR))
    assert len(cov) == 8 and cov["projects"].sum() == 27 and cov["parks"].sum() == 11
