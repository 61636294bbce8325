"""The importer against hostile or unlucky files: every row read whatever the sheet declares,
limits instead of exhausted memory, encodings detected, control characters refused (in the import
and in validation) and never echoed raw, exit codes as documented."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from geo.dataset import load_dataset
from geo.errors import DataError
from geo.importer import plan_import
from geo.importer.read import FileError, Limits
from webapp.cli import main

TODAY = "2026-12-07"
HEADER = ["项目名称", "英文名", "结对", "所在地", "来源"]


def project(i: int) -> list[object]:
    return [f"测试项目{i:05d}", f"Test Project {i}", "宁波—蚌埠", "固镇县", "test"]


def workbook(path: Path, rows: int, dimension: str | None = None) -> Path:
    """A sheet of ``rows`` projects; ``dimension`` replaces the ``<dimension>`` it declares."""
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("项目")
    ws.append(HEADER)
    for i in range(rows):
        ws.append(project(i))
    wb.save(path)
    if dimension is not None:
        _rewrite_sheet(path, lambda xml: _declare(xml, dimension))
    return path


def _declare(xml: bytes, ref: str) -> bytes:
    """The sheet declaring the size ``ref`` (in place of what it declared)."""
    xml = re.sub(rb"<dimension [^>]*/>", b"", xml)
    return xml.replace(b"</sheetPr>", b'</sheetPr><dimension ref="%s"/>' % ref.encode(), 1)


def _rewrite_sheet(path: Path, change) -> None:
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in parts.items():
            z.writestr(name, change(body) if name.startswith("xl/worksheets/") else body)


def imported(data_dir: Path) -> dict[str, dict[str, str]]:
    text = (data_dir / "projects.csv").read_text(encoding="utf-8")
    return {r["id"]: r for r in csv.DictReader(io.StringIO(text))}


# --- every row, whatever the sheet declares ------------------------------------------------------


def test_rows_past_the_declared_dimension_are_imported(data_copy, tmp_path):
    sheet = workbook(tmp_path / "understated.xlsx", 12, dimension="A1:E3")
    with zipfile.ZipFile(sheet) as z:
        assert b'<dimension ref="A1:E3"' in z.read("xl/worksheets/sheet1.xml")
    plan = plan_import(sheet, "projects", data_copy, today=TODAY)
    assert plan.rows_read == 12 and len(plan.added) == 12, plan.report()
    # the same note on many rows is one line of the report
    assert "项目, 12 rows (2, 3, 4, …): no coordinates: placed at the seat of" in plan.report()
    assert main(["import", str(sheet), "--layer", "projects", "--data", str(data_copy)]) == 0
    names = {r["name_zh"] for r in imported(data_copy).values()}
    assert {f"测试项目{i:05d}" for i in range(12)} <= names


# --- limits --------------------------------------------------------------------------------------


def test_a_sheet_over_the_row_limit_is_refused_naming_the_limit(data_copy, tmp_path):
    sheet = workbook(tmp_path / "many.xlsx", 300)
    with pytest.raises(FileError, match=r"more than 200 rows.*WANBEI_IMPORT_MAX_ROWS"):
        plan_import(sheet, "projects", data_copy, limits=Limits(rows=200))
    # counted as they stream too (here the sheet is chosen by name, and declares 3 rows)
    _rewrite_sheet(sheet, lambda xml: _declare(xml, "A1:E3"))
    with pytest.raises(FileError, match="more than 200 rows"):
        plan_import(sheet, "projects", data_copy, sheet="项目", limits=Limits(rows=200))
    with pytest.raises(FileError, match=r"more than 1,000 cells.*WANBEI_IMPORT_MAX_CELLS"):
        plan_import(sheet, "projects", data_copy, sheet="项目", limits=Limits(cells=1000))
    with pytest.raises(
        FileError, match=r"unpacks to .* MB, more than .* 1 MB.*WANBEI_IMPORT_MAX_MB"
    ):
        plan_import(
            workbook(tmp_path / "big.xlsx", 6000),
            "projects",
            data_copy,
            limits=Limits(unpacked_mb=1),
        )


def test_a_small_file_unpacking_to_two_million_rows_stops_with_a_clear_error(
    data_copy, tmp_path, capsys
):
    """The zip bomb of the report: a few hundred KB, 2,000,000 rows once unpacked."""
    bomb = workbook(tmp_path / "bomb.xlsx", 1)
    filler = b"".join(b'<row r="%d"/>' % n for n in range(3, 2_000_003))
    _rewrite_sheet(bomb, lambda xml: xml.replace(b"</sheetData>", filler + b"</sheetData>"))
    assert bomb.stat().st_size < 8 * 2**20
    before = (data_copy / "projects.csv").read_bytes()
    code = main(["import", str(bomb), "--layer", "projects", "--data", str(data_copy)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "more than 500,000 rows" in err and "WANBEI_IMPORT_MAX_ROWS" in err
    assert "Traceback" not in err and "MemoryError" not in err
    assert (data_copy / "projects.csv").read_bytes() == before


def test_the_limits_come_from_the_environment(monkeypatch, data_copy, tmp_path, capsys):
    monkeypatch.setenv("WANBEI_IMPORT_MAX_ROWS", "50")
    assert Limits.from_env().rows == 50
    sheet = workbook(tmp_path / "sixty.xlsx", 60)
    assert main(["import", str(sheet), "--layer", "projects", "--data", str(data_copy)]) == 2
    assert "more than 50 rows" in capsys.readouterr().err
    monkeypatch.setenv("WANBEI_IMPORT_MAX_ROWS", "many")
    assert main(["import", str(sheet), "--layer", "projects", "--data", str(data_copy)]) == 2
    assert "WANBEI_IMPORT_MAX_ROWS='many' is not a positive whole number" in capsys.readouterr().err


def test_an_unreadable_workbook_exits_2(data_copy, tmp_path, capsys):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 this is not a workbook")
    assert main(["import", str(broken), "--layer", "projects", "--data", str(data_copy)]) == 2
    err = capsys.readouterr().err
    assert "broken.xlsx: cannot be read as an Excel workbook" in err and "Traceback" not in err


# --- encodings -----------------------------------------------------------------------------------


def _csv(path: Path, text: str, encoding: str) -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_big5_is_read_and_converted_to_the_datasets_simplified_chinese(data_copy, tmp_path):
    sheet = _csv(
        tmp_path / "big5.csv",
        "項目名稱,結對,所在地,狀態,來源\n煜晟汽車零部件二期,寧波—蚌埠,固鎮縣,已簽約,測試\n",
        "big5",
    )
    plan = plan_import(sheet, "projects", data_copy, today=TODAY)
    assert plan.problems == [], plan.report()
    assert any("read as Big5" in n.reason for n in plan.notes)
    (added,) = plan.added
    plan_rows = csv.DictReader(io.StringIO(plan.contents["projects.csv"].decode()))
    row = next(r for r in plan_rows if r["id"] == added)
    assert row["name_zh"] == "煜晟汽车零部件二期"
    assert row["host_adcode"] == "340323" and row["status"] == "signed"


def test_shift_jis_is_read_right(data_copy, tmp_path):
    sheet = _csv(
        tmp_path / "sjis.csv",
        "name_zh,pairing_id,host_adcode,source\n東京精密部品工場,P-330200-340300,340323,テスト\n",
        "shift_jis",
    )
    plan = plan_import(sheet, "projects", data_copy, today=TODAY)
    assert plan.problems == [], plan.report()
    assert any("read as Shift-JIS" in n.reason for n in plan.notes)
    text = plan.contents["projects.csv"].decode()
    assert "東京精密部品工場" in text and "テスト" in text


def test_an_encoding_not_read_is_refused_naming_it(data_copy, tmp_path, capsys):
    sheet = _csv(tmp_path / "latin.csv", "name_zh,note\nCafé crème,Naïve résumé\n", "cp1252")
    args = ["import", str(sheet), "--layer", "projects", "--data", str(data_copy)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert re.search(r"latin\.csv: looks like cp125\d text, which the import does not read", err)


def test_gb18030_is_still_read(data_copy, tmp_path):
    sheet = _csv(
        tmp_path / "gb.csv",
        "项目名称,结对,所在地,来源\n国标编码项目,宁波—蚌埠,固镇县,测试\n",
        "gb18030",
    )
    plan = plan_import(sheet, "projects", data_copy, today=TODAY)
    assert plan.problems == [] and len(plan.added) == 1, plan.report()
    assert "国标编码项目" in plan.contents["projects.csv"].decode()


# --- control characters --------------------------------------------------------------------------

HOSTILE = {
    "NUL": "煜晟\x00二期",
    "ESC": "\x1b[2J\x1b[31m红色项目",
    "RLO": "项目\u202egnp.exe",
    "FFFE": "项目\ufffe",
    "C1": "项目\x9b31m",
}


def test_control_characters_are_refused_with_row_and_column_and_never_echoed(
    data_copy, tmp_path, capsys
):
    sheet = tmp_path / "hostile.csv"
    rows = [HEADER, project(0)]
    for i, value in enumerate(HOSTILE.values(), 1):
        rows.append(project(i))
        rows[-1][0] = value  # 项目名称, rows 3 to 7
    with open(sheet, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    before = (data_copy / "projects.csv").read_bytes()
    args = ["import", str(sheet), "--layer", "projects", "--data", str(data_copy)]
    assert main(args) == 1
    out = capsys.readouterr()
    for number, code in enumerate(("U+0000", "U+001B", "U+202E", "U+FFFE", "U+009B"), 3):
        line = next(ln for ln in out.out.splitlines() if f"row {number}," in ln)
        assert "column 项目名称" in line and code in line and "remove it" in line, line
    assert "row 2," not in out.out.split("problem(s)")[1].split("note(s)")[0]
    for char in "\x00\x1b\u202e\ufffe\x9b":
        assert char not in out.out and char not in out.err
    assert (data_copy / "projects.csv").read_bytes() == before


def test_validation_refuses_control_characters_naming_file_row_and_column(data_copy, capsys):
    path = data_copy / "projects.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    note = rows[0].index("note")
    rows[1][note] = "看\x1b]0;pwned\x07这里\u202e"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_dataset(data_copy)
    (problem,) = [p for p in info.value.problems if p.column == "note"]
    assert (problem.file, problem.row) == ("projects.csv", 2)
    assert "U+001B (ESC)" in problem.message
    assert main(["validate", str(data_copy)]) == 1
    err = capsys.readouterr().err
    assert "projects.csv, row 2, column note" in err
    assert "\x1b" not in err and "\x07" not in err and "\u202e" not in err
