#!/usr/bin/env python3
"""Write the spreadsheets tests/test_import.py imports (run from the repository root):

    .venv/bin/python tests/data/make_fixtures.py

The files are committed; a test checks that this script reproduces their cells. Every row is
made up for the tests (the names follow the officials' sheets' style; no row is a real project).
Coordinates are computed from data/gazetteer.csv and data/boundaries.geojson so that they lie
inside their unit, and are written in the coordinate system the row declares.
"""

from __future__ import annotations

import csv
import io
import sys
from datetime import datetime
from pathlib import Path

import openpyxl
from shapely.geometry import Point, shape

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from geo.coords import gcj02_to_wgs84, wgs84_to_bd09, wgs84_to_gcj02  # noqa: E402
from geo.gazetteer import load_gazetteer  # noqa: E402

GAZ = load_gazetteer(REPO / "data" / "gazetteer.csv")
GUZHEN, HUAIYUAN, WUHE = "340323", "340321", "340322"
# A fixed creation time, so that the workbooks' bytes do not change between runs.
CREATED = datetime(2026, 11, 23, 9, 0, 0)


def seat(adcode: str) -> tuple[float, float]:
    unit = GAZ[adcode]
    return unit.lon, unit.lat


def polygon(adcode: str):
    import json  # noqa: PLC0415

    features = json.loads((REPO / "data" / "boundaries.geojson").read_text())["features"]
    for f in features:
        if f["properties"]["adcode"] == adcode:
            return shape(f["geometry"])
    raise KeyError(adcode)


def gcj_trap(adcode: str) -> tuple[float, float]:
    """A GCJ-02 point whose true (WGS84) position is inside ``adcode`` but which, read as
    WGS84, lies outside it: near the unit's western edge (GCJ-02 shifts points east)."""
    poly = polygon(adcode)
    lon, lat = seat(adcode)
    x = lon
    while poly.covers(Point(x - 0.0005, lat)):
        x -= 0.0005
    for step in range(1, 40):
        wlon = x + 0.0002 * step
        glon, glat = wgs84_to_gcj02(wlon, lat)
        read_as_wgs = Point(glon, glat)
        back = Point(*gcj02_to_wgs84(glon, glat))
        if poly.covers(Point(wlon, lat)) and poly.covers(back) and not poly.covers(read_as_wgs):
            return round(glon, 6), round(glat, 6)
    # GCJ-02 shifts mostly east/north; from the eastern edge the shifted point leaves the unit
    x = lon
    while poly.covers(Point(x + 0.0005, lat)):
        x += 0.0005
    for step in range(1, 40):
        wlon = x - 0.0002 * step
        glon, glat = wgs84_to_gcj02(wlon, lat)
        if (
            poly.covers(Point(wlon, lat))
            and poly.covers(Point(*gcj02_to_wgs84(glon, glat)))
            and not poly.covers(Point(glon, glat))
        ):
            return round(glon, 6), round(glat, 6)
    raise RuntimeError(f"no GCJ-02 trap point found for {adcode}")


def workbook() -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    wb.properties.created = CREATED
    wb.properties.modified = CREATED
    wb.properties.creator = "wanbei-map tests"
    return wb


OUT = HERE  # where the files go (main's argument)


def save(wb: openpyxl.Workbook, name: str) -> None:
    wb.properties.modified = CREATED
    wb.save(OUT / name)


def projects_zh() -> None:
    """Chinese headers, a title row, units, date forms, place names, three coordinate systems."""
    g_lon, g_lat = (round(v, 6) for v in wgs84_to_gcj02(*seat(GUZHEN)))
    b_lon, b_lat = (round(v, 6) for v in wgs84_to_bd09(*seat(HUAIYUAN)))
    w_lon, w_lat = seat(WUHE)
    wb = workbook()
    ws = wb.active
    ws.title = "项目表"
    ws.append(["2023年宁波市与蚌埠市结对合作项目清单"])
    ws.append(
        [
            "序号",
            "项目名称",
            "结对城市",
            "所在地",
            "行业",
            "投资额",
            "单位",
            "状态",
            "签约时间",
            "经度",
            "纬度",
            "坐标系",
            "联系人",
            "来源",
        ]
    )
    src = "蚌埠市发展改革委 2023年结对合作项目清单"
    rows = [
        [1, "甬蚌新能源电池项目", "宁波—蚌埠", "蚌埠市固镇县", "新能源", 5000, "万元", "已签约",
         "2023年5月", g_lon, g_lat, "GCJ-02", "王某", src],
        [2, "甬蚌智能装备项目", "宁波-蚌埠", "五河", "智能装备", "1.2亿元", None, "在建",
         "2023-05-23", w_lon, w_lat, "WGS84", "李某", src],
        [3, "甬蚌食品加工项目", "宁波市—蚌埠市", "怀远县", "食品", 3, "亿元", "已投产",
         "2023.5.23", b_lon, b_lat, "BD-09", None, src],
        [4, "芯速联", "宁波—蚌埠", "340300", None, "8000万元", None, "已落地", "2022/5",
         None, None, None, None, None],
        [5, "甬蚌新材料项目", "宁波—蚌埠", "固镇", "新材料", "2,500", "万元", "开工",
         datetime(2024, 3, 1), None, None, None, None, src],
        ["合计", None, None, None, None, 18300, "万元", None, None, None, None, None, None, None],
    ]  # fmt: skip
    for r in rows:
        ws.append(r)
    save(wb, "projects_zh.xlsx")


def mistakes() -> None:
    """A sheet full of mistakes: every row but the first has at least one."""
    trap_lon, trap_lat = gcj_trap(GUZHEN)
    g_lon, g_lat = seat(GUZHEN)
    wb = workbook()
    ws = wb.active
    ws.title = "项目表"
    ws.append(
        ["项目名称", "结对城市", "所在地", "投资额", "单位", "状态", "签约时间", "经度",
         "纬度", "坐标系", "联系电话"]
    )  # fmt: skip
    rows = [
        ["正确的项目", "宁波—蚌埠", "固镇县", 100, "万元", "已签约", "2023年5月", None, None,
         None, None],
        ["地名写错", "宁波—蚌埠", "固真县", 100, "万元", "已签约", "2023年5月", None, None,
         None, None],
        ["结对写反", "蚌埠—宁波", "固镇县", 100, "万元", "已签约", "2023", None, None, None,
         None],
        ["金额不是数", "宁波—蚌埠", "固镇县", "abc", "万元", "已签约", "2023", None, None,
         None, None],
        ["金额没有单位", "宁波—蚌埠", "固镇县", 5000, None, "已签约", "2023", None, None,
         None, None],
        ["月份不存在", "宁波—蚌埠", "固镇县", 1, "亿元", "已签约", "2023年13月", None, None,
         None, None],
        ["状态不认识", "宁波—蚌埠", "固镇县", 1, "亿元", "签了", "2023", None, None, None,
         None],
        ["只有经度", "宁波—蚌埠", "固镇县", 1, "亿元", "在建", "2023", g_lon, None, "WGS84",
         None],
        ["没有坐标系", "宁波—蚌埠", "固镇县", 1, "亿元", "在建", "2023", g_lon, g_lat, None,
         None],
        ["坐标系不认识", "宁波—蚌埠", "固镇县", 1, "亿元", "在建", "2023", g_lon, g_lat,
         "北京54", None],
        ["经纬度颠倒", "宁波—蚌埠", "固镇县", 1, "亿元", "在建", "2023", g_lat, g_lon,
         "WGS84", None],
        ["高德坐标当作WGS84", "宁波—蚌埠", "固镇县", 1, "亿元", "在建", "2023", trap_lon,
         trap_lat, "WGS84", None],
        ["不在受帮扶市", "宁波—蚌埠", "怀宁县", 1, "亿元", "在建", "2023", None, None, None,
         None],
        ["结对有两个", "徐州", None, 1, "亿元", "在建", "2023", None, None, None, None],
        ["区名有重名", "某某—某某", "鼓楼区", 1, "亿元", "在建", "2023", None, None, None,
         None],
        ["正确的项目", "宁波—蚌埠", "固镇县", 200, "万元", "已签约", "2023年5月", None, None,
         None, None],
        [None, "宁波—蚌埠", "固镇县", 1, "亿元", "在建", "2023", None, None, None, None],
        ["金额为负", "宁波—蚌埠", "固镇县", -5, "亿元", "在建", "2023", None, None, None,
         None],
    ]  # fmt: skip
    for r in rows:
        ws.append(r)
    notes = wb.create_sheet("填表说明")
    notes.append(["请按项目逐行填写。投资额单位为万元或亿元。"])
    save(wb, "mistakes.xlsx")


def parks_gb18030() -> None:
    """Parks as Excel saves "CSV" in China: GB18030, Chinese headers, areas with units."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["园区名称", "结对城市", "所在地", "面积", "揭牌时间", "状态", "可信度", "来源"])
    w.writerow(
        ["甬蚌产业合作园区", "宁波—蚌埠", "固镇县", "", "", "运营中", "", "蚌埠日报 2024-03-02"]
    )
    w.writerow(
        ["甬蚌合作产业园二期", "宁波—蚌埠", "蚌埠市固镇县", "2.5平方公里", "2024年3月", "已挂牌",
         "转载", "蚌埠日报 2024-03-02"]
    )  # fmt: skip
    w.writerow(["淮上甬淮科创园", "镇海—淮上", "淮上区", "300亩", "2024.3", "规划中", "待核实", ""])
    (OUT / "parks_gb18030.csv").write_bytes(out.getvalue().encode("gb18030"))


def partnerships_bom() -> None:
    """Partnerships as UTF-8 CSV with a BOM (Excel's "CSV UTF-8")."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["帮扶方", "受帮扶方", "结对城市", "类型", "年份", "人数", "来源"])
    w.writerow(["宁波市第一医院", "蚌埠市第一人民医院", "宁波—蚌埠", "医院合作", "2024年", "12人",
                "宁波日报 2024-04-01"])  # fmt: skip
    (OUT / "partnerships_bom.csv").write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))


def big(n: int = 400) -> None:
    """Many rows (for the interrupted import and the progress bar)."""
    wb = workbook()
    ws = wb.active
    ws.title = "项目表"
    ws.append(["项目名称", "结对城市", "所在地", "投资额(万元)", "状态", "签约时间"])
    places = ["固镇县", "五河县", "蚌埠市淮上区", "怀远县", "蚌埠市"]
    for i in range(n):
        ws.append(
            [f"测试项目{i:04d}", "宁波—蚌埠", places[i % len(places)], 100 + i, "已签约", 2023]
        )
    save(wb, "big.xlsx")


def main(argv: list[str] | None = None) -> int:
    """Write the fixtures into ``argv[0]`` (default: this directory)."""
    global OUT
    args = sys.argv[1:] if argv is None else argv
    OUT = Path(args[0]) if args else HERE
    OUT.mkdir(parents=True, exist_ok=True)
    projects_zh()
    mistakes()
    parks_gb18030()
    partnerships_bom()
    big()
    print(f"wrote the fixtures in {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
