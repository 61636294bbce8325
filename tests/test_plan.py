"""The work plan and the milestones: their files' rules, each city's share of targets done."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.dataset import load_dataset
from geo.errors import DataError
from geo.plan import PROGRESS_CLASSES, CityProgress, city_progress
from geo.schema import MILESTONE_KINDS, TABLES
from tests.helpers import set_cell
from webapp import DEFAULT_DATA_DIR

AGRI_CENTRE = "T2023-agri-centre"


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(DEFAULT_DATA_DIR)


def problems_of(data_dir):
    with pytest.raises(DataError) as info:
        load_dataset(data_dir)
    return info.value.problems


def test_every_target_of_the_2023_plan_article_is_a_row(dataset):
    plan = dataset.tables["plan"].set_index("id")
    assert (plan["year"] == 2023).sum() >= 18
    # the targets the audit found missing, each a row of its own
    for target in (
        "T2023-fuyang-one-to-one",
        "T2023-foreign-firms",
        "T2023-joint-credit",
        "T2023-fin-branches",
        "T2023-sub-funds",
        "T2023-cadres",
        "T2023-hospital-experts",
        "T2023-medical-training",
        "T2023-teachers",
        "T2023-matchmaking",
        "T2023-digital",
        "T2023-overseas-logistics",
        "T2023-luan-platform",
        "T2023-bonded-zone",
        "T2023-ftz",
        "T2023-landmark",
    ):
        assert target in plan.index, target
    assert set(plan["scope_level"]) == {"province", "pair", "city"}
    # a status other than unknown always says when and where it was reported
    known = plan[plan["status"] != "unknown"]
    assert known["status_date"].notna().all() and known["status_source"].notna().all()
    assert plan["source"].notna().all()


def test_the_agri_centre_is_done_on_2023_03_16(dataset):
    row = dataset.tables["plan"].set_index("id").loc[AGRI_CENTRE]
    assert row["status"] == "done" and row["status_date"] == "2023-03-16"
    assert "news.cri.cn/2023-03-17" in row["status_source"]


def test_milestones_are_dated_and_sourced(dataset):
    milestones = dataset.tables["milestones"]
    assert len(milestones) >= 15
    assert milestones["date"].notna().all() and milestones["source"].notna().all()
    kinds = set(milestones["kind"])
    for kind in (
        "plan_issued",
        "park_unveiled",
        "company_founded",
        "cadres_sent",
        "bus_line_opened",
        "centre_opened",
    ):
        assert kind in kinds, kind
    assert kinds <= set(MILESTONE_KINDS)
    centre = milestones[milestones["kind"] == "centre_opened"].iloc[0]
    assert centre["date"] == "2023-03-16"


@pytest.mark.parametrize(
    ("file", "key_value", "column", "value", "message"),
    [
        ("plan.csv", "T2023-ftz", "pairing_id", "", "is empty but scope_level is pair"),
        ("plan.csv", "T2023-g60-luan", "adcode", "", "is empty but scope_level is city"),
        ("plan.csv", "T2023-g60-luan", "adcode", "341502", "is not a city helped by a city pair"),
        ("plan.csv", "T2023-ftz", "scope_level", "county", "'county' is not allowed; use one of"),
        ("plan.csv", "T2023-ftz", "status", "started", "'started' is not allowed; use one of"),
        ("plan.csv", "T2023-ftz", "confidence", "", "is empty; confidence is required"),
        ("milestones.csv", "M-2023-09-22-bus", "kind", "party", "'party' is not allowed"),
        ("milestones.csv", "M-2023-09-22-bus", "date", "2023-13", "is not a date"),
        ("milestones.csv", "M-2023-09-22-bus", "date", "", "is empty; date is required"),
        ("milestones.csv", "M-2023-09-22-bus", "pairing_id", "", "scope_level is pair"),
        (
            "milestones.csv",
            "M-2023-09-22-bus",
            "pairing_id",
            "P-nope",
            "is not an existing id of pairings.csv",
        ),
        ("milestones.csv", "M-2023-09-22-bus", "source", "", "is empty; source is required"),
    ],
)
def test_a_broken_cell_is_reported_with_file_row_and_column(
    data_copy, file, key_value, column, value, message
):
    row = set_cell(data_copy / file, "id", key_value, column, value)
    found = [p for p in problems_of(data_copy) if p.file == file and p.column == column]
    assert found and found[0].row == row and message in found[0].message, found


def test_a_missing_milestones_file_is_reported(data_copy):
    (data_copy / "milestones.csv").unlink()
    assert any(
        p.file == "milestones.csv" and "file is missing" in p.message
        for p in problems_of(data_copy)
    )


def test_the_new_tables_are_in_the_schema():
    assert TABLES["milestones"].key == "id"
    assert "scope_level" in [c.name for c in TABLES["plan"].columns]


# --- each city's share of targets done -----------------------------------------------------------

PAIRINGS = pd.DataFrame(
    {
        "id": ["P-a", "P-b", "P-a-county"],
        "level": ["city", "city", "county"],
        "helping_adcode": ["310112", "330200", "310112"],
        "helped_adcode": ["340400", "340300", "340421"],
    }
)


def _plan(rows):
    cols = ["id", "year", "scope_level", "pairing_id", "adcode", "status"]
    return pd.DataFrame([dict(zip(cols, r, strict=True)) for r in rows])


def test_a_city_with_no_reported_status_is_unknown_not_zero():
    plan = _plan(
        [
            ("t1", 2023, "province", None, None, "unknown"),
            ("t2", 2023, "pair", "P-b", None, "done"),
        ]
    )
    got = {c.adcode: c for c in city_progress(plan, PAIRINGS)}
    assert got["340400"].share_done is None and got["340400"].progress == "unknown"
    assert got["340400"].targets == 1 and got["340400"].known == 0
    assert got["340300"].share_done == 1 and got["340300"].progress == "all"
    assert got["340300"].target_ids == ("t1", "t2")


def test_the_share_counts_only_targets_with_a_reported_status():
    plan = _plan(
        [
            ("t1", 2023, "province", None, None, "done"),
            ("t2", 2023, "province", None, None, "in_progress"),
            ("t3", 2023, "province", None, None, "partly_done"),
            ("t4", 2023, "province", None, None, "unknown"),
            ("t5", 2023, "city", None, "340400", "not_done"),
            ("t6", 2023, "pair", "P-a-county", None, "done"),  # a county pair counts for its city
            ("t0", 2022, "province", None, None, "done"),  # another year: not counted
        ]
    )
    got = {c.adcode: c for c in city_progress(plan, PAIRINGS)}
    huainan, bengbu = got["340400"], got["340300"]
    assert huainan.targets == 6 and huainan.known == 5
    assert huainan.share_done == pytest.approx(2 / 5) and huainan.progress == "some"
    assert bengbu.targets == 4 and bengbu.share_done == pytest.approx(1 / 3)
    assert huainan.plan_year == 2023


@pytest.mark.parametrize(
    ("done", "other", "expected"),
    [(0, 2, "none"), (1, 3, "some"), (1, 1, "most"), (3, 1, "most"), (2, 0, "all")],
)
def test_progress_classes(done, other, expected):
    c = CityProgress("340400", "P-a", 2023, {"done": done, "not_done": other, "unknown": 4}, ())
    assert c.progress == expected and expected in PROGRESS_CLASSES


def test_shipped_plan_gives_every_helped_city_a_share(dataset):
    progress = city_progress(dataset.tables["plan"], dataset.tables["pairings"])
    assert len(progress) == 8
    for c in progress:
        assert c.counts["done"] >= 1, "the agri-centre (all 皖北) is done"
        assert AGRI_CENTRE in c.target_ids
    luan = next(c for c in progress if c.adcode == "341500")
    assert "T2023-g60-luan" in luan.target_ids
    bengbu = next(c for c in progress if c.adcode == "340300")
    assert {"T2023-ftz", "T2023-bonded-zone"} <= set(bengbu.target_ids)
    assert "T2023-g60-luan" not in bengbu.target_ids


# --- statuses update through the importer --------------------------------------------------------


def _write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def test_a_status_is_updated_by_import_and_the_map_follows(data_copy, tmp_path):
    from geo.importer import apply_import, plan_import

    sheet = _write(
        tmp_path / "进展.csv",
        "编号,进展,进展日期,进展来源,进展说明,可信度\n"
        "T2023-srdi,已完成,2024-01,https://example.gov.cn/report,培育专精特新企业逾60家,一手来源\n",
    )
    plan = plan_import(sheet, "plan", data_copy, today="2026-12-07")
    assert plan.problems == [] and plan.changed == ["T2023-srdi"]
    apply_import(plan)
    dataset = load_dataset(data_copy)
    row = dataset.tables["plan"].set_index("id").loc["T2023-srdi"]
    assert row["status"] == "done" and row["status_date"] == "2024-01"
    assert row["status_source"] == "https://example.gov.cn/report"
    assert row["confidence"] == "primary"
    huainan = dataset.layers["plan_progress"].set_index("id").loc["340400"]
    assert huainan["done"] == 2 and huainan["share_done"] == pytest.approx(50.0)


def test_a_status_without_its_source_and_date_is_rejected(data_copy, tmp_path):
    from geo.importer import plan_import

    sheet = _write(tmp_path / "s.csv", "id,status,confidence\nT2023-srdi,done,secondary\n")
    plan = plan_import(sheet, "plan", data_copy, today="2026-12-07")
    reasons = {(p.row, p.column, p.reason) for p in plan.problems}
    assert (2, "status", "is done but the row gives no source for it") in reasons
    assert (2, "status", "is done but has no date") in reasons
    assert plan.contents == {}, "nothing is written"


def test_an_unknown_status_word_is_named(data_copy, tmp_path):
    from geo.importer import plan_import

    sheet = _write(tmp_path / "s.csv", "id,进展\nT2023-srdi,差不多\n")
    plan = plan_import(sheet, "plan", data_copy, today="2026-12-07")
    assert any(p.column == "进展" and "is not a known status" in p.reason for p in plan.problems)
