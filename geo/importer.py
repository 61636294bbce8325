"""Import the officials' spreadsheets (XLSX or CSV) into one table of the dataset.

:func:`plan_import` reads a file, maps its headers onto the schema through :data:`HEADERS`,
reads every cell (places through the gazetteer, amounts in 万元/亿元, dates in the common forms,
coordinates in WGS84/GCJ-02/BD-09), merges the rows into the current table by id, and validates
the *whole* resulting dataset with :func:`geo.dataset.load_dataset` in a temporary directory. It
writes nothing: it returns an :class:`ImportPlan` with every problem (sheet, row, column, value,
reason, suggestion), what would be added, changed and removed, and the bytes of the files to
write. :func:`apply_import` writes them with :mod:`geo.writer` (atomic, with backup and history).

The rules (also in ``docs/import.md``, whose header tables :func:`markdown` generates):

* **Headers.** Compared without spaces, case or full-width forms; a bracket after a header gives
  the column's unit or coordinate system: ``投资额(万元)``, ``面积(亩)``, ``经度(GCJ-02)``. A
  title row above the header is skipped (the header is the first of the first 10 rows with at
  least two known headers). Unknown columns are listed and ignored; ``序号`` is ignored silently.
* **Ids.** A row is matched to the table by its id when the sheet has an id column; otherwise
  by (pairing, Chinese name) for projects, parks and partnerships, by the pair for pairings and
  by the adcode for places. An unmatched row gets a new id derived from its content:
  ``PR-``/``PK-``/``PS-`` + the pairing's two adcodes + the first 8 hex digits of the SHA-1 of the
  Chinese name (so the same sheet imported twice gives the same ids); pairings get
  ``P-<helping>-<helped>``; places are keyed by adcode.
* **Merging.** Rows are added or replaced by id; columns the sheet lacks, and empty cells, keep
  the current value (an import never erases a value). ``updated`` is set to the import date on
  the rows added or changed. With ``replace=True`` the sheet is the whole table: rows it lacks
  are removed (only when every row of the sheet was accepted).
* **Places.** Adcodes or names (``蚌埠市固镇县``, ``固镇县``, ``固镇``) via
  :mod:`geo.gazetteer`, narrowed to the helped unit of the row's pairing. A unit that
  ``places.csv`` lacks is added to it from the gazetteer (its seat, an English name in pinyin).
* **Points.** ``经度``/``纬度`` in the coordinate system of the row (``坐标系``), else of the
  header bracket, else of the file (``crs=``); the schema's own ``lon``/``lat`` headers are WGS84.
  Stored as WGS84 (:mod:`geo.coords`). A row without coordinates is placed at its unit's seat
  (empty lon/lat, precision ``unit_seat``); with coordinates the precision is ``exact`` unless
  the sheet says otherwise.
* **Defaults for new rows.** ``name_en``: the pinyin of the Chinese name (noted in the report);
  ``source``: ``source=`` or the file's name; ``status``: ``unknown``; ``confidence``:
  ``unconfirmed``; a project's or park's unit: the helped unit of its pairing.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import math
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

import pandas as pd

from geo import coords
from geo.dataset import BOUNDARIES_FILE, data_version, load_dataset
from geo.errors import DataError
from geo.gazetteer import (
    Gazetteer,
    PlaceError,
    load_gazetteer,
    normalise_text,
    resolve_pairing,
    short_name,
)
from geo.load import _parse_cell
from geo.schema import TABLES, Table

__all__ = [
    "HEADERS",
    "IMPORT_LAYERS",
    "ImportPlan",
    "ImportProblem",
    "ImportLayer",
    "apply_import",
    "markdown",
    "normalise_amount",
    "normalise_date",
    "plan_import",
    "read_sheets",
]

ImportLayer = Literal["projects", "parks", "partnerships", "pairings", "places"]
IMPORT_LAYERS: tuple[str, ...] = ("projects", "parks", "partnerships", "pairings", "places")
PROGRAMME_PROVINCES = ("310000", "320000", "330000", "340000")

# --- the header table ----------------------------------------------------------------------------

_ID = ("id", "编号", "序列号")
_NAME_EN = ("name_en", "英文名", "英文名称", "english name", "name (english)")
_SOURCE = ("source", "来源", "资料来源", "信息来源", "数据来源", "出处")
_NOTE = ("note", "备注", "说明", "notes", "remarks")
_UPDATED = ("updated", "更新日期", "更新时间", "last updated")
_PAIRING = ("pairing_id", "pairing", "结对城市", "结对关系", "结对双方", "结对", "结对县区")
_LON = ("lon", "经度", "longitude", "lng")
_LAT = ("lat", "纬度", "latitude")
_CRS = ("crs", "坐标系", "坐标系统", "坐标类型")
_PRECISION = ("precision", "位置精度", "定位精度", "精度")
_CONFIDENCE = ("confidence", "可信度", "来源可信度")

#: Accepted headers of each layer: field → headers. A field is a column of the layer's table, or
#: an input read into one (``pairing`` → ``pairing_id``, ``host`` → ``host_adcode``,
#: ``investment`` + ``investment_unit`` → ``investment_yi``, ``crs`` → how lon/lat are read).
HEADERS: dict[str, dict[str, tuple[str, ...]]] = {
    "projects": {
        "id": (*_ID, "项目编号"),
        "name_zh": ("name_zh", "项目名称", "名称", "项目", "中文名"),
        "name_en": _NAME_EN,
        "pairing": _PAIRING,
        "park": ("park_id", "park", "所在园区", "所属园区", "园区", "园区名称"),
        "host": (
            "host_adcode",
            "host",
            "所在地",
            "项目所在地",
            "所在县区",
            "所在县(区)",
            "落户地",
            "落地县区",
            "行政区划代码",
        ),
        "lon": _LON,
        "lat": _LAT,
        "crs": _CRS,
        "precision": _PRECISION,
        "sector": ("sector", "行业", "所属行业", "产业", "产业类别", "行业类别", "industry"),
        "status": ("status", "状态", "项目状态", "进展", "进展情况", "项目进展"),
        "year": ("year", "年份", "签约年份", "签约年度", "签约时间", "签约日期", "date signed"),
        "investment": (
            "investment_yi",
            "investment",
            "投资额",
            "投资",
            "总投资",
            "总投资额",
            "协议投资",
            "协议投资额",
            "计划总投资",
        ),
        "investment_unit": ("unit", "单位", "金额单位", "投资单位", "计量单位"),
        "source": _SOURCE,
        "note": _NOTE,
        "updated": _UPDATED,
    },
    "parks": {
        "id": (*_ID, "园区编号"),
        "name_zh": ("name_zh", "园区名称", "名称", "园区", "中文名"),
        "name_en": _NAME_EN,
        "pairing": _PAIRING,
        "host": (
            "host_adcode",
            "host",
            "所在地",
            "园区所在地",
            "所在县区",
            "所在县(区)",
            "行政区划代码",
        ),
        "lon": _LON,
        "lat": _LAT,
        "crs": _CRS,
        "precision": _PRECISION,
        "area": ("area_value", "area", "面积", "规划面积", "占地面积"),
        "area_unit": ("area_unit", "面积单位", "单位"),
        "date": ("date", "日期", "时间", "签约时间", "揭牌时间", "设立时间"),
        "date_event": ("date_event", "事件", "日期事件"),
        "status": ("status", "状态", "园区状态", "进展"),
        "status_date": ("status_date", "状态日期", "状态时间"),
        "operating_model": ("operating_model", "运营模式", "合作模式"),
        "operator": ("operator", "运营主体", "运营公司", "运营单位"),
        "site_note": ("site_note", "位置", "位置说明", "地址", "选址"),
        "confidence": _CONFIDENCE,
        "source": _SOURCE,
        "note": _NOTE,
        "updated": _UPDATED,
    },
    "partnerships": {
        "id": _ID,
        "type": ("type", "类型", "合作类型"),
        "name_zh": ("name_zh", "名称", "合作名称", "项目名称", "中文名"),
        "name_en": _NAME_EN,
        "pairing": _PAIRING,
        "helping_name": ("helping_name", "帮扶方", "帮扶单位", "帮扶院校", "派出单位"),
        "helping": ("helping_adcode", "帮扶方所在地", "帮扶地区", "帮扶城市"),
        "helped_name": ("helped_name", "受帮扶方", "受帮扶单位", "受帮扶院校", "接收单位"),
        "helped": ("helped_adcode", "受帮扶方所在地", "受帮扶地区", "受帮扶城市"),
        "year": ("year", "年份", "年度"),
        "date": ("date", "日期", "开始日期", "开始时间", "时间"),
        "people": ("people", "人数", "交流人数", "人次"),
        "precision": _PRECISION,
        "source": _SOURCE,
        "note": _NOTE,
        "updated": _UPDATED,
    },
    "pairings": {
        "id": _ID,
        "level": ("level", "层级", "级别", "结对层级"),
        "pair": ("pair", "结对关系", "结对双方", "结对"),
        "helping": ("helping_adcode", "帮扶方", "帮扶城市", "帮扶地区"),
        "helping_label": ("helping_label", "帮扶主体", "帮扶单位名称"),
        "helped": ("helped_adcode", "受帮扶方", "受帮扶城市", "受帮扶地区"),
        "since": ("since", "起始年份", "结对时间", "开始年份", "起始时间", "年份"),
        "confidence": _CONFIDENCE,
        "source": _SOURCE,
        "note": _NOTE,
        "updated": _UPDATED,
    },
    "places": {
        "adcode": ("adcode", "行政区划代码", "区划代码", "代码"),
        "name_zh": ("name_zh", "名称", "地名", "行政区", "行政区名称", "中文名"),
        "name_en": _NAME_EN,
        "province_adcode": ("province_adcode", "省级代码", "所属省份代码"),
        "level": ("level", "级别", "行政级别"),
        "lon": _LON,
        "lat": _LAT,
        "crs": _CRS,
        "precision": ("precision", "位置精度", "精度"),
        "source": _SOURCE,
        "note": _NOTE,
        "updated": _UPDATED,
    },
}

#: How each field's cells are read (rendered into ``docs/import.md``).
READING: dict[str, str] = {
    "id": "kept as is (letters, digits, `.`, `_`, `-`); matched against the table",
    "adcode": "6-digit adcode, or a name (resolved through the gazetteer)",
    "name_zh": "text; the row's Chinese name (also matches rows that have no id)",
    "name_en": "text; when missing on a new row: pinyin of the Chinese name",
    "pairing": "a pair as `宁波—蚌埠` / `宁波市-蚌埠市` (helping first), a pairing id, or one "
    "partner's name when it names one pairing",
    "park": "a park id, or a park's Chinese name (full or without 产业园/园区)",
    "host": "an adcode or a place name: `蚌埠市固镇县`, `固镇县`, `固镇`; within the helped unit",
    "helping": "an adcode or a place name",
    "helped": "an adcode or a place name",
    "pair": "`A—B` (or `A-B`): helping side first; each side a place name or adcode",
    "lon": "decimal degrees (or `117°18′40″`); read in the row's coordinate system",
    "lat": "decimal degrees (or `33°19′06″`); read in the row's coordinate system",
    "crs": "`WGS84`, `GCJ-02` (高德/腾讯), `BD-09` (百度); converted to WGS84",
    "precision": "`exact`/精确, `approximate`/近似, `unit_seat`/驻地 (places: `seat`/驻地)",
    "investment": "a number in 亿元; or in the unit of the row (`单位`), of the header "
    "(`投资额(万元)`) or of the value (`5000万元`, `1.2亿`)",
    "investment_unit": "`亿元`, `万元` (or `亿`, `万`, `元`)",
    "area": "a number, or with its unit: `15平方公里`, `300亩`, `20公顷`",
    "area_unit": "`km2`/平方公里, `mu`/亩, `ha`/公顷",
    "year": "a year (`2023`, `2023年`) or any date form below (its year is kept)",
    "since": "a year, or a date (its year is kept)",
    "date": "`2023年5月`, `2023年5月23日`, `2023-05-23`, `2023.5.23`, `2023/5`, an Excel date → "
    "`YYYY[-MM[-DD]]`",
    "status_date": "as `date`",
    "status": "the schema's value or its Chinese label (已签约, 已落地, 在建, 投产…)",
    "type": "`college`/院校合作, `hospital`/医院合作, `cadre_exchange`/干部交流, `other`/其他",
    "level": "pairings: `city`/市级, `county`/县级; places: `prefecture`/地级市, "
    "`district`/市辖区, `county`/县, `county_city`/县级市 (else from the gazetteer)",
    "confidence": "`confirmed`/已证实, `secondary`/转载, `unconfirmed`/未证实",
    "people": "a whole number (`12`, `12人`)",
    "source": "text; URLs or document titles separated by ` ; `",
    "updated": "ignored: the import sets it on the rows it adds or changes",
}

#: Headers that are dropped without a note (besides the layer's own): row numbers, and the
#: columns the app's downloads derive (names of units and pairs, lengths, counts, the id of a
#: place), so that a downloaded table imports back as it is.
IGNORED_HEADERS = (
    "序号",
    "no",
    "no.",
    "#",
    "行号",
    "id",
    "host_name_zh",
    "host_name_en",
    "pairing_name_zh",
    "pairing_name_en",
    "helping_name_zh",
    "helping_name_en",
    "helped_name_zh",
    "helped_name_en",
    "length_km",
    "parks_count",
    "projects_named",
    "projects_count",
    "investment_yi",
    "wkt",
    "geometry",
)

#: Values accepted for the columns with allowed values, besides the schema's own.
VALUE_ALIASES: dict[str, dict[str, str]] = {
    "projects.status": {
        "签约": "signed",
        "已签约": "signed",
        "签约项目": "signed",
        "落地": "landed",
        "已落地": "landed",
        "签约落地": "landed",
        "已签约落地": "landed",
        "在建": "under_construction",
        "开工": "under_construction",
        "已开工": "under_construction",
        "新开工": "under_construction",
        "建设中": "under_construction",
        "投产": "operating",
        "已投产": "operating",
        "竣工投产": "operating",
        "运营": "operating",
        "运营中": "operating",
        "达产": "operating",
        "未知": "unknown",
        "不详": "unknown",
    },
    "parks.status": {
        "规划": "planned",
        "规划中": "planned",
        "签约": "agreement_signed",
        "已签约": "agreement_signed",
        "已签协议": "agreement_signed",
        "签署协议": "agreement_signed",
        "批复": "approved",
        "已批复": "approved",
        "获批": "approved",
        "启动": "launched",
        "已启动": "launched",
        "挂牌": "licensed",
        "已挂牌": "licensed",
        "揭牌": "licensed",
        "已揭牌": "licensed",
        "运营": "operating",
        "运营中": "operating",
        "未知": "unknown",
        "不详": "unknown",
    },
    "confidence": {
        "已证实": "confirmed",
        "证实": "confirmed",
        "确认": "confirmed",
        "已确认": "confirmed",
        "转载": "secondary",
        "转载来源": "secondary",
        "二手": "secondary",
        "未证实": "unconfirmed",
        "待证实": "unconfirmed",
        "待核实": "unconfirmed",
    },
    "precision": {
        "精确": "exact",
        "准确": "exact",
        "近似": "approximate",
        "大致": "approximate",
        "驻地": "unit_seat",
        "行政区驻地": "unit_seat",
        "所在地驻地": "unit_seat",
    },
    "places.precision": {"驻地": "seat", "行政区驻地": "seat", "近似": "approximate"},
    "partnerships.type": {
        "院校合作": "college",
        "院校": "college",
        "学院": "college",
        "医院合作": "hospital",
        "医院": "hospital",
        "干部交流": "cadre_exchange",
        "干部": "cadre_exchange",
        "挂职": "cadre_exchange",
        "跟班学习": "cadre_exchange",
        "其他": "other",
    },
    "pairings.level": {
        "市级": "city",
        "市": "city",
        "城市": "city",
        "县级": "county",
        "县区级": "county",
        "县(区)级": "county",
        "县": "county",
    },
    "places.level": {
        "地级市": "prefecture",
        "市辖区": "district",
        "区": "district",
        "县": "county",
        "县级市": "county_city",
    },
    "area_unit": {
        "平方公里": "km2",
        "平方千米": "km2",
        "km²": "km2",
        "亩": "mu",
        "公顷": "ha",
    },
}

CRS_ALIASES: dict[str, str] = {
    "wgs84": "wgs84",
    "wgs-84": "wgs84",
    "wgs1984": "wgs84",
    "gps": "wgs84",
    "epsg:4326": "wgs84",
    "4326": "wgs84",
    "gcj02": "gcj02",
    "gcj-02": "gcj02",
    "gcj": "gcj02",
    "高德": "gcj02",
    "amap": "gcj02",
    "腾讯": "gcj02",
    "火星坐标": "gcj02",
    "火星": "gcj02",
    "国测局": "gcj02",
    "bd09": "bd09",
    "bd-09": "bd09",
    "bd09ll": "bd09",
    "百度": "bd09",
    "baidu": "bd09",
}

AMOUNT_UNITS: dict[str, float] = {"亿元": 1.0, "亿": 1.0, "万元": 1e-4, "万": 1e-4, "元": 1e-8}
AREA_UNITS = {"平方公里": "km2", "平方千米": "km2", "km2": "km2", "km²": "km2", "亩": "mu"}
AREA_UNITS |= {"公顷": "ha", "ha": "ha", "mu": "mu"}

_ID_PREFIX = {"projects": "PR", "parks": "PK", "partnerships": "PS"}
_TOTAL_ROW = {"合计", "总计", "小计", "total"}
_BRACKET = re.compile(r"^(.*?)\s*[(（\[【]\s*(.*?)\s*[)）\]】]\s*$")
_NUMBER = r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_AMOUNT = re.compile(rf"^约?\s*({_NUMBER})\s*(亿元|亿|万元|万|元)?(?:人民币)?$")
_AREA = re.compile(rf"^约?\s*({_NUMBER})\s*(平方公里|平方千米|km2|km²|亩|公顷|ha|mu)?$")
_DATE_FORMS = (
    re.compile(r"^(\d{4})\s*年\s*(?:(\d{1,2})\s*月\s*(?:(\d{1,2})\s*日?)?)?$"),
    re.compile(r"^(\d{4})(?:[-./](\d{1,2})(?:[-./](\d{1,2}))?)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_DMS = re.compile(
    r"^(\d{1,3})°\s*(?:(\d{1,2})['′]\s*(?:(\d{1,2}(?:\.\d+)?)[\"″]?)?)?\s*[ENen东北]?$"
)


# --- problems and the plan -----------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class ImportProblem:
    """One problem (or note) in one place of the imported file.

    ``row`` is the spreadsheet's row number (1 = its first row); ``column`` the header as the
    sheet writes it, with its column letter for XLSX.
    """

    sheet: str
    row: int | None
    column: str | None
    value: str | None
    reason: str
    suggestion: str = ""

    def __str__(self) -> str:
        where = self.sheet
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        if self.value not in (None, "") and f'"{self.value}"' not in self.reason:
            where += f' "{self.value}"'
        text = f"{where}: {self.reason}"
        if self.suggestion:
            text += f" — {self.suggestion}"
        return text


@dataclass
class ImportPlan:
    """What an import would do; nothing is written until :func:`apply_import`."""

    file: str
    layer: str
    data_dir: str
    rows_read: int = 0
    rows_accepted: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    notes: list[ImportProblem] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    places_added: list[str] = field(default_factory=list)
    rejected_rows: list[tuple[str, int]] = field(default_factory=list)
    contents: dict[str, bytes] = field(default_factory=dict)
    version_before: str = ""
    version_after: str = ""

    @property
    def ok(self) -> bool:
        """No problem: every row was accepted."""
        return not self.problems

    @property
    def writable(self) -> bool:
        """There is something to write (possibly after rejecting rows)."""
        return bool(self.contents)

    def report(self) -> str:
        """Every problem and note, then the changes, for people."""
        out = [f"{self.file} → {self.layer}: {self.rows_read} row(s) read"]
        if self.problems:
            rejected = len(self.rejected_rows)
            out.append(
                f"{len(self.problems)} problem(s)"
                + (f"; {rejected} row(s) rejected" if rejected else "")
                + ":"
            )
            out += [f"  {p}" for p in self.problems]
        if self.notes:
            out.append(f"{len(self.notes)} note(s):")
            out += [f"  {n}" for n in self.notes]
        out.append(self.summary())
        for label, ids in (
            ("added", self.added),
            ("changed", self.changed),
            ("removed", self.removed),
            ("places added", self.places_added),
        ):
            if ids:
                more = f", … and {len(ids) - 30} more" if len(ids) > 30 else ""
                out.append(f"  {label}: {', '.join(ids[:30])}{more}")
        return "\n".join(out)

    def summary(self) -> str:
        """One line: the counts."""
        text = (
            f"{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged"
        )
        if self.places_added:
            text += f"; {len(self.places_added)} place(s) added to places.csv"
        return text


# --- reading the file ----------------------------------------------------------------------------


@dataclass
class Sheet:
    """The rows of one worksheet (or of a CSV file): ``(row number, cells)``."""

    name: str
    rows: list[tuple[int, list[object]]]
    letters: bool = True  # XLSX: columns have letters


class _FileError(Exception):
    pass


def read_sheets(path: str | Path, sheet: str | None = None) -> list[Sheet]:
    """Read an XLSX workbook (every sheet, or ``sheet``) or a CSV file.

    Parameters
    ----------
    path : str or pathlib.Path
        ``.xlsx``/``.xlsm`` (openpyxl; formulas give their saved values) or ``.csv``/``.txt``
        (UTF-8, UTF-8 with BOM or GB18030; comma, semicolon or tab separated).
    sheet : str, optional
        The only sheet to read.

    Returns
    -------
    list of Sheet

    Raises
    ------
    ValueError
        The file cannot be read; the message says why and what to do.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, sheet)
    if suffix in (".csv", ".txt", ".tsv"):
        return [_read_csv(path)]
    if suffix == ".xls":
        raise ValueError(f"{path.name}: old Excel .xls files are not read; save it as .xlsx or CSV")
    raise ValueError(f"{path.name}: unknown file type {suffix!r}; give an .xlsx or .csv file")


def _read_xlsx(path: Path, only: str | None) -> list[Sheet]:
    import openpyxl  # noqa: PLC0415 - only imports need it

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any reader failure is the file's problem
        raise ValueError(f"{path.name}: cannot be read as an Excel workbook ({exc})") from None
    try:
        names = wb.sheetnames
        if only is not None and only not in names:
            raise ValueError(f"{path.name}: no sheet {only!r}; the sheets are: {', '.join(names)}")
        sheets = []
        for ws in wb.worksheets:
            if only is not None and ws.title != only:
                continue
            rows = [(i, list(values)) for i, values in enumerate(ws.iter_rows(values_only=True), 1)]
            sheets.append(Sheet(ws.title, rows))
        return sheets
    finally:
        wb.close()


def decode(data: bytes, name: str = "file") -> str:
    """Decode CSV bytes: UTF-8 (with or without BOM), else GB18030 (Excel's 'CSV' in China)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError(f"{name}: is neither UTF-8 nor GB18030 text; save it as CSV UTF-8")


def _read_csv(path: Path) -> Sheet:
    text = decode(path.read_bytes(), path.name)
    first = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return Sheet(path.name, [(i, list(r)) for i, r in enumerate(reader, 1)], letters=False)


# --- reading cells -------------------------------------------------------------------------------


class _Bad(Exception):
    """A cell that cannot be read: reason and suggestion."""

    def __init__(self, reason: str, suggestion: str = "") -> None:
        super().__init__(reason)
        self.reason, self.suggestion = reason, suggestion


def cell_text(value: object) -> str:
    """A cell as text: numbers without a trailing ``.0``, dates as ``YYYY-MM-DD``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(value)
    return re.sub(r"\s*[\r\n]+\s*", " ", str(value)).strip()


def normalise_date(value: object) -> str:
    """Return a date as ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``.

    Parameters
    ----------
    value : str, datetime, date or number
        ``2023``, ``2023年``, ``2023年5月``, ``2023年5月23日``, ``2023-05-23``, ``2023-5``,
        ``2023.5.23``, ``2023/5``, ``20230523``, an Excel date cell.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        Not a date in any of these forms, or not a real date (2023-02-30).
    """
    if isinstance(value, datetime | date):
        d = value.date() if isinstance(value, datetime) else value
        return d.isoformat()
    text = unicodedata.normalize("NFKC", cell_text(value)).strip()
    for form in _DATE_FORMS:
        m = form.match(text)
        if m:
            year, month, day = (int(g) if g else None for g in m.groups())
            if not 1949 <= year <= 2100:
                raise ValueError(f"{year} is not a plausible year")
            if month is None:
                return f"{year:04d}"
            if not 1 <= month <= 12:
                raise ValueError(f"month {month} does not exist")
            if day is None:
                return f"{year:04d}-{month:02d}"
            try:
                return date(year, month, day).isoformat()
            except ValueError:
                raise ValueError(f"{year}-{month:02d}-{day:02d} does not exist") from None
    raise ValueError(f'"{text}" is not a date')


def normalise_amount(value: object, unit: str | None = None) -> float:
    """Return an amount of money in 亿元 (100 million yuan).

    Parameters
    ----------
    value : str or number
        ``12.5``, ``5000万元``, ``1.2亿``, ``3,000``; a unit written in the value wins.
    unit : str, optional
        The unit of a bare number: ``亿元``, ``万元``, ``亿``, ``万`` or ``元``.

    Returns
    -------
    float
        Rounded to 6 decimals (1 元 is 1e-8 亿元; 6 decimals keep 100 元).

    Raises
    ------
    ValueError
        Not an amount, a negative one, or no unit anywhere.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        number, own = float(value), None
    else:
        text = normalise_text(cell_text(value))
        m = _AMOUNT.match(text)
        if not m:
            raise ValueError(f'"{cell_text(value)}" is not an amount')
        number, own = float(m.group(1).replace(",", "")), m.group(2)
    if own and unit and AMOUNT_UNITS[own] != AMOUNT_UNITS.get(unit, AMOUNT_UNITS[own]):
        raise ValueError(f"the value says {own} but the unit column says {unit}")
    unit = own or unit
    if unit is None:
        raise ValueError("no unit (亿元 or 万元)")
    if unit not in AMOUNT_UNITS:
        raise ValueError(f'unknown unit "{unit}"')
    if number < 0 or not math.isfinite(number):
        raise ValueError(f"{number} is not a positive amount")
    return round(number * AMOUNT_UNITS[unit], 6)


def _number(value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = normalise_text(cell_text(value)).replace(",", "")
    return float(text)


def _coordinate(value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = unicodedata.normalize("NFKC", cell_text(value)).strip().replace(" ", "")
    try:
        return float(text.rstrip("°"))
    except ValueError:
        pass
    m = _DMS.match(text)
    if not m:
        raise ValueError(f'"{text}" is not a coordinate in decimal degrees')
    d, mi, s = (float(g) if g else 0.0 for g in m.groups())
    return round(d + mi / 60 + s / 3600, 6)


def _fmt(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return repr(round(float(value), 6))


# --- the header ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    index: int
    header: str  # as written
    label: str  # as shown in the report: header and column letter
    field: str
    unit: str | None  # from a bracket: 万元, 亩…
    crs: str | None  # from a bracket: GCJ-02…


def _alias_index(layer: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, headers in HEADERS[layer].items():
        for h in headers:
            out.setdefault(_header_key(h), name)
    return out


def _header_key(header: str) -> str:
    return normalise_text(header).replace("（", "(").replace("）", ")")


def _split_header(header: str) -> tuple[str, str | None]:
    m = _BRACKET.match(unicodedata.normalize("NFKC", header))
    if m and m.group(1):
        return m.group(1), m.group(2)
    return header, None


def _map_header(
    sheet: Sheet, layer: str
) -> tuple[int | None, list[_Column], list[ImportProblem], list[ImportProblem]]:
    aliases = _alias_index(layer)
    best: tuple[int, int] | None = None
    for pos, (_, cells) in enumerate(sheet.rows[:10]):
        known = sum(
            1
            for c in cells
            if _header_key(cell_text(c)) in aliases
            or _header_key(_split_header(cell_text(c))[0]) in aliases
        )
        if known >= 2:
            best = (pos, known)
            break
    if best is None:
        accepted = ", ".join(h[1] if len(h) > 1 else h[0] for h in HEADERS[layer].values())
        return (
            None,
            [],
            [
                ImportProblem(
                    sheet.name,
                    None,
                    None,
                    None,
                    f"no header row for {layer} in the first 10 rows",
                    f"name the columns, e.g. {accepted} (see docs/import.md)",
                )
            ],
            [],
        )
    pos = best[0]
    number, cells = sheet.rows[pos]
    columns: list[_Column] = []
    problems: list[ImportProblem] = []
    notes: list[ImportProblem] = []
    seen: dict[str, _Column] = {}
    for i, raw in enumerate(cells):
        header = cell_text(raw)
        if not header:
            continue
        label = f"{header} ({_letter(i)})" if sheet.letters else header
        key = _header_key(header)
        base, bracket = header, None
        if key not in aliases:
            base, bracket = _split_header(header)
            key = _header_key(base)
        if key not in aliases and key in {_header_key(h) for h in IGNORED_HEADERS}:
            continue
        if key not in aliases:
            near = difflib.get_close_matches(key, list(aliases), n=1, cutoff=0.6)
            notes.append(
                ImportProblem(
                    sheet.name,
                    number,
                    label,
                    None,
                    "unknown column, ignored",
                    f"did you mean {near[0]}?" if near else "",
                )
            )
            continue
        name = aliases[key]
        unit, crs = _bracket_meaning(bracket)
        if key == "investment_yi":
            unit = "亿元"
        if bracket and unit is None and crs is None:
            notes.append(
                ImportProblem(
                    sheet.name,
                    number,
                    label,
                    None,
                    f'the bracket "{bracket}" is not a unit; ignored',
                )
            )
        if name in seen:
            problems.append(
                ImportProblem(
                    sheet.name,
                    number,
                    label,
                    None,
                    f"gives {name} like column {seen[name].label}; this one is ignored",
                    "keep one of the two columns",
                )
            )
            continue
        col = _Column(i, header, label, name, unit, crs)
        seen[name] = col
        columns.append(col)
    return pos, columns, problems, notes


def _bracket_meaning(bracket: str | None) -> tuple[str | None, str | None]:
    if not bracket:
        return None, None
    key = normalise_text(bracket)
    if key in AMOUNT_UNITS:
        return key, None
    if key in AREA_UNITS:
        return AREA_UNITS[key], None
    if key in CRS_ALIASES:
        return None, CRS_ALIASES[key]
    return None, None


def _letter(index: int) -> str:
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


# --- one row -------------------------------------------------------------------------------------


@dataclass
class _Row:
    """One data row of a sheet while it is read."""

    sheet: str
    number: int
    cells: dict[str, tuple[_Column, object]]
    problems: list[ImportProblem] = field(default_factory=list)
    notes: list[ImportProblem] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)  # schema column -> text
    origin: dict[str, str] = field(default_factory=dict)  # schema column -> sheet column label
    id: str | None = None
    existing: dict[str, str] | None = None
    places: set[str] = field(default_factory=set)  # adcodes the row needs in places.csv

    def has(self, name: str) -> bool:
        return name in self.cells and cell_text(self.cells[name][1]) != ""

    def raw(self, name: str) -> object:
        return self.cells[name][1] if name in self.cells else None

    def text(self, name: str) -> str:
        return cell_text(self.raw(name))

    def column(self, name: str) -> _Column | None:
        return self.cells[name][0] if name in self.cells else None

    def label(self, name: str) -> str | None:
        col = self.column(name)
        return col.label if col else name

    def problem(self, name: str, reason: str, suggestion: str = "", value: str | None = None):
        if value is None:
            value = self.text(name) if name in self.cells else None
        self.problems.append(
            ImportProblem(self.sheet, self.number, self.label(name), value, reason, suggestion)
        )

    def note(self, name: str | None, reason: str, suggestion: str = "") -> None:
        label = self.label(name) if name else None
        self.notes.append(ImportProblem(self.sheet, self.number, label, None, reason, suggestion))

    def set(self, column: str, text: str, from_field: str | None = None) -> None:
        self.values[column] = text
        if from_field and from_field in self.cells:
            self.origin[column] = self.cells[from_field][0].label

    def current(self, column: str) -> str:
        """The value the row will have: the sheet's, else the existing row's, else ""."""
        if column in self.values:
            return self.values[column]
        if self.existing:
            return self.existing.get(column, "")
        return ""


class _Context:
    """What every row is read against: the tables, the gazetteer, the options."""

    def __init__(
        self,
        layer: str,
        tables: dict[str, list[dict[str, str]]],
        gazetteer: Gazetteer,
        crs: str | None,
        default_source: str,
        today: str,
    ) -> None:
        self.layer = layer
        self.tables = tables
        self.gazetteer = gazetteer
        self.crs = crs
        self.default_source = default_source
        self.today = today
        self.key = TABLES[layer].key
        self.existing = {r[self.key]: r for r in tables[layer]}
        self.pairings = pd.DataFrame(
            tables["pairings"],
            columns=[c.name for c in TABLES["pairings"].columns],
            dtype=object,
        ).replace({"": None})
        self.places = {r["adcode"] for r in tables["places"]}

    def helped_of(self, pairing_id: str) -> str | None:
        for r in self.tables["pairings"]:
            if r["id"] == pairing_id:
                return r["helped_adcode"]
        return None

    def pairing_row(self, pairing_id: str) -> dict[str, str] | None:
        return next((r for r in self.tables["pairings"] if r["id"] == pairing_id), None)


def _read_enum(row: _Row, name: str, table: str, column: str, aliases_key: str) -> None:
    """A value of ``table.column``'s allowed values, or one of its Chinese aliases."""
    if not row.has(name):
        return
    text = row.text(name)
    allowed = TABLES[table].column(column).allowed
    aliases = {normalise_text(a): v for a, v in VALUE_ALIASES.get(aliases_key, {}).items()}
    norm = normalise_text(text)
    if norm in allowed:
        row.set(column, norm, name)
        return
    if norm in aliases and aliases[norm] in allowed:
        row.set(column, aliases[norm], name)
        return

    labels = {a: v for a, v in VALUE_ALIASES.get(aliases_key, {}).items() if v in allowed}
    near = difflib.get_close_matches(norm, list(allowed) + list(labels), n=1, cutoff=0.5)
    hint = f"did you mean {near[0]}? " if near else ""
    choices = [
        f"{v} ({'/'.join(a for a, w in labels.items() if w == v)})" if v in labels.values() else v
        for v in allowed
    ]
    row.problem(
        name, f'"{text}" is not a known {column}', f"{hint}use one of: {', '.join(choices)}"
    )


def _read_text(row: _Row, name: str, column: str | None = None) -> None:
    if row.has(name):
        row.set(column or name, row.text(name), name)


def _read_id(row: _Row, name: str = "id") -> str | None:
    if not row.has(name):
        return None
    text = row.text(name)
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", text):
        row.problem(name, f'"{text}" is not a valid id', "use letters, digits, '.', '_', '-'")
        return None
    return text


def _read_date(row: _Row, name: str, column: str) -> None:
    if not row.has(name):
        return
    try:
        row.set(column, normalise_date(row.raw(name)), name)
    except ValueError as exc:
        row.problem(name, str(exc), "write it as 2023年5月, 2023-05-23, 2023.5.23 or 2023/5")


def _read_year(row: _Row, name: str, column: str) -> None:
    if not row.has(name):
        return
    raw = row.raw(name)
    try:
        row.set(column, normalise_date(raw)[:4], name)
    except ValueError as exc:
        row.problem(name, str(exc), "write a year such as 2023 (or a date: 2023年5月)")


def _read_int(row: _Row, name: str, column: str) -> None:
    if not row.has(name):
        return
    text = re.sub(r"(人次|人|名|个|家)$", "", normalise_text(row.text(name)))
    try:
        value = float(text.replace(",", ""))
        if not value.is_integer() or value < 0:
            raise ValueError
    except ValueError:
        row.problem(name, "is not a whole number", "write a count such as 12")
        return
    row.set(column, str(int(value)), name)


def _read_place(row: _Row, name: str, ctx: _Context, within: list[str] | None = None) -> str | None:
    if not row.has(name):
        return None
    try:
        unit = ctx.gazetteer.resolve(row.text(name), within=within)
    except PlaceError as exc:
        row.problem(name, exc.reason, exc.suggestion)
        return None
    return unit.adcode


def _read_pairing(row: _Row, ctx: _Context, host: str | None = None) -> str | None:
    if not row.has("pairing"):
        return None
    try:
        return resolve_pairing(row.text("pairing"), ctx.pairings, ctx.gazetteer, host=host)
    except PlaceError as exc:
        row.problem("pairing", exc.reason, exc.suggestion)
        return None


def _read_point(row: _Row, ctx: _Context) -> None:
    """lon/lat/crs/precision → WGS84 lon, lat and precision (the point group)."""
    table = ctx.layer
    aliases_key = "places.precision" if table == "places" else "precision"
    has_lon, has_lat = row.has("lon"), row.has("lat")
    if has_lon != has_lat:
        missing = "lat" if has_lon else "lon"
        row.problem(
            missing, "is empty but its pair is given", "give both 经度 and 纬度, or neither"
        )
        return
    if not has_lon:
        if row.has("precision"):
            _read_enum(row, "precision", table, "precision", aliases_key)
        return
    try:
        lon, lat = _coordinate(row.raw("lon")), _coordinate(row.raw("lat"))
    except ValueError as exc:
        row.problem("lon" if "lon" in str(exc) else "lat", str(exc), "write decimal degrees")
        return
    if 3 <= lon <= 54 and 73 <= lat <= 136:
        row.problem(
            "lon", f"{lon}, {lat}: longitude and latitude look swapped", "swap 经度 and 纬度"
        )
        return
    crs = _row_crs(row, ctx)
    if crs is None:
        return
    wlon, wlat = coords.to_wgs84(lon, lat, crs)  # type: ignore[arg-type]
    row.set("lon", f"{wlon:.6f}", "lon")
    row.set("lat", f"{wlat:.6f}", "lat")
    if crs != "wgs84":
        name = {"gcj02": "GCJ-02", "bd09": "BD-09"}[crs]
        row.note("lon", f"converted from {name} to WGS84: {wlon:.6f}, {wlat:.6f}")
    if row.has("precision"):
        _read_enum(row, "precision", table, "precision", aliases_key)
    else:
        row.set("precision", "seat" if table == "places" else "exact")


def _row_crs(row: _Row, ctx: _Context) -> str | None:
    if row.has("crs"):
        key = normalise_text(row.text("crs"))
        if key in CRS_ALIASES:
            return CRS_ALIASES[key]
        row.problem(
            "crs", f'"{row.text("crs")}" is not a coordinate system', "use WGS84, GCJ-02 or BD-09"
        )
        return None
    col = row.column("lon")
    if col and col.crs:
        return col.crs
    if ctx.crs:
        return ctx.crs
    if col and col.header.strip().lower() in ("lon", "longitude", "lng"):
        return "wgs84"  # the schema's own header: WGS84 by definition
    row.problem(
        "lon",
        "the coordinate system of 经度/纬度 is not declared",
        "add a 坐标系 column (WGS84, GCJ-02, BD-09), write it in the header (经度(GCJ-02)) "
        "or import with --crs",
    )
    return None


def _read_amount(row: _Row) -> None:
    if not row.has("investment"):
        return
    unit = None
    if row.has("investment_unit"):
        unit = normalise_text(row.text("investment_unit"))
        if unit not in AMOUNT_UNITS:
            row.problem(
                "investment_unit",
                f'"{row.text("investment_unit")}" is not a unit of money',
                "use 亿元 or 万元",
            )
            return
    elif row.column("investment") and row.column("investment").unit:
        unit = row.column("investment").unit
    try:
        row.set("investment_yi", _fmt(normalise_amount(row.raw("investment"), unit)), "investment")
    except ValueError as exc:
        reason = str(exc)
        if reason.startswith("no unit"):
            hint = (
                "give it in a 单位 column, in the header (投资额(万元)) or in the value (5000万元)"
            )
        elif "not an amount" in reason:
            hint = "write a number and its unit, e.g. 5000万元 or 1.2亿元"
        else:
            hint = ""
        row.problem("investment", reason, hint)


def _read_area(row: _Row) -> None:
    if not row.has("area"):
        if row.has("area_unit"):
            _read_enum(row, "area_unit", "parks", "area_unit", "area_unit")
        return
    raw = row.raw("area")
    unit = None
    if row.has("area_unit"):
        key = normalise_text(row.text("area_unit"))
        unit = AREA_UNITS.get(key) or VALUE_ALIASES["area_unit"].get(key)
        if unit is None:
            row.problem(
                "area_unit",
                f'"{row.text("area_unit")}" is not a unit of area',
                "use 平方公里, 亩 or 公顷",
            )
            return
    elif row.column("area") and row.column("area").unit:
        unit = row.column("area").unit
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        number, own = float(raw), None
    else:
        m = _AREA.match(normalise_text(cell_text(raw)))
        if not m:
            row.problem("area", "is not an area", "write a number and its unit, e.g. 15平方公里")
            return
        number, own = float(m.group(1).replace(",", "")), m.group(2)
        own = AREA_UNITS.get(own) if own else None
    if own and unit and own != unit:
        row.problem("area", f"the value says {own} but the unit column says {unit}")
        return
    unit = own or unit
    if unit is None:
        row.problem("area", "no unit", "give the unit: 15平方公里, 300亩, or a 面积单位 column")
        return
    row.set("area_value", _fmt(number), "area")
    row.set("area_unit", unit, "area_unit" if row.has("area_unit") else "area")


def _name_en(row: _Row, ctx: _Context, place_level: str | None = None) -> None:
    if row.has("name_en"):
        row.set("name_en", row.text("name_en"), "name_en")
        return
    if row.existing and row.existing.get("name_en"):
        return
    name = row.current("name_zh")
    if not name:
        return
    english = place_english(name, place_level) if place_level else pinyin_name(name)
    row.set("name_en", english)
    row.note(
        "name_en" if "name_en" in row.cells else None,
        f'name_en "{english}" is the pinyin of {name}',
        "give an English name in a 英文名 column to replace it",
    )


def _source(row: _Row, ctx: _Context) -> None:
    if row.has("source"):
        row.set("source", row.text("source"), "source")
    elif not row.current("source"):
        row.set("source", ctx.default_source)


# --- English names -------------------------------------------------------------------------------

# Readings pypinyin gets wrong in place names of the programme's provinces.
_PLACE_READINGS = {"闵行": ["min", "hang"], "蚌山": ["beng", "shan"], "长丰": ["chang", "feng"]}
_PLACE_SUFFIX_EN = {
    "自治县": " Autonomous County",
    "县": " County",
    "区": " District",
    "新区": " New Area",
    "旗": " Banner",
}


def _syllables(text: str) -> list[str]:
    from pypinyin import lazy_pinyin  # noqa: PLC0415 - loads its dictionaries when needed

    for phrase, reading in _PLACE_READINGS.items():
        if text == phrase:
            return list(reading)
    out = lazy_pinyin(text)
    if text.startswith("长") and out and out[0] == "zhang":
        out[0] = "chang"
    if text.startswith("蚌") and out and out[0] == "bang":
        out[0] = "beng"
    return out


def place_english(name_zh: str, level: str | None = None) -> str:
    """A pinyin English name for a unit: 固镇县 → Guzhen County, 六安市 → Lu'an."""
    stem = short_name(name_zh)
    suffix = ""
    for zh, en in sorted(_PLACE_SUFFIX_EN.items(), key=lambda kv: -len(kv[0])):
        if name_zh.endswith(zh) and name_zh != stem:
            suffix = en
            break
    syl = _syllables(stem)
    word = ""
    for i, s in enumerate(syl):
        if i and s[:1] in "aoe":
            word += "'"
        word += s
    return word[:1].upper() + word[1:] + suffix


def pinyin_name(name_zh: str) -> str:
    """A pinyin transliteration, one capitalised syllable per character: 煜晟 → Yu Sheng."""
    from pypinyin import lazy_pinyin  # noqa: PLC0415

    parts = [p.strip() for p in lazy_pinyin(name_zh) if p.strip()]
    return " ".join(p[:1].upper() + p[1:] for p in parts)


def _place_level(gazetteer: Gazetteer, adcode: str) -> str:
    unit = gazetteer[adcode]
    if unit.level == "prefecture":
        return "prefecture"
    if unit.name_zh.endswith("市"):
        return "county_city"
    if unit.name_zh.endswith("区"):
        return "district"
    return "county"


def _place_row(gazetteer: Gazetteer, adcode: str, today: str, reason: str) -> dict[str, str]:
    unit = gazetteer[adcode]
    level = _place_level(gazetteer, adcode)
    return {
        "adcode": adcode,
        "name_zh": unit.name_zh,
        "name_en": place_english(unit.name_zh, level),
        "province_adcode": gazetteer.province_of(adcode),
        "level": level,
        "lon": f"{unit.lon:.6f}",
        "lat": f"{unit.lat:.6f}",
        "precision": "seat" if unit.precision == "seat" else "approximate",
        "source": f"data/gazetteer.csv: {unit.source}",
        "note": reason,
        "updated": today,
    }


# --- the layers ----------------------------------------------------------------------------------


def _generated_id(layer: str, pairing_id: str, name_zh: str) -> str:
    digest = hashlib.sha1(normalise_text(name_zh).encode()).hexdigest()[:8]
    tail = pairing_id[2:] if pairing_id.startswith("P-") else pairing_id
    return f"{_ID_PREFIX[layer]}-{tail}-{digest}"


def _match_by_name(ctx: _Context, pairing_id: str | None, name_zh: str) -> dict | None:
    key = normalise_text(name_zh)
    found = [
        r
        for r in ctx.tables[ctx.layer]
        if normalise_text(r.get("name_zh", "")) == key
        and (pairing_id is None or r.get("pairing_id") == pairing_id)
    ]
    return found[0] if len(found) == 1 else None


def _identify(row: _Row, ctx: _Context, pairing_id: str | None) -> None:
    """Set ``row.id`` and ``row.existing``: by id, else by (pairing, name), else a new id."""
    given = _read_id(row)
    if row.has("id") and given is None:
        return
    if given:
        row.id = given
        row.existing = ctx.existing.get(given)
        return
    name = row.text("name_zh")
    if not name:
        return
    match = _match_by_name(ctx, pairing_id, name)
    if match is not None:
        row.id, row.existing = match["id"], match
    elif pairing_id:
        row.id = _generated_id(ctx.layer, pairing_id, name)
        row.existing = ctx.existing.get(row.id)


def _sited(row: _Row, ctx: _Context) -> None:
    """Projects and parks: a named point in a unit of a pairing."""
    layer = ctx.layer
    host_hint = None
    if row.has("host"):
        try:
            host_hint = ctx.gazetteer.resolve(row.text("host")).adcode
        except PlaceError:
            host_hint = None
    pairing_id = _read_pairing(row, ctx, host=host_hint)
    if row.has("pairing") and pairing_id is None:
        pairing_id = ""  # reported
    _identify(row, ctx, pairing_id or None)
    if pairing_id is None and row.existing:
        pairing_id = row.existing.get("pairing_id")
    if pairing_id:
        row.set("pairing_id", pairing_id, "pairing")
    elif pairing_id is None:
        row.problem("pairing", "is missing", "give the pair, e.g. 宁波—蚌埠", value="")
    helped = ctx.helped_of(pairing_id) if pairing_id else None
    host = _read_place(row, "host", ctx, within=[helped] if helped else None)
    if host:
        row.set("host_adcode", host, "host")
        row.places.add(host)
    elif not row.has("host") and not (row.existing and row.existing.get("host_adcode")) and helped:
        row.set("host_adcode", helped)
        row.note(
            None,
            f"no 所在地: placed in {ctx.gazetteer.qualified_name(helped)}, "
            "the helped unit of its pairing",
        )
    _read_text(row, "name_zh")
    if not row.current("name_zh"):
        row.problem("name_zh", "is missing", "give the Chinese name", value="")
    _name_en(row, ctx)
    _read_point(row, ctx)
    if row.values.get("precision") == "unit_seat" and row.values.get("lon"):
        # drawn at the unit's seat: the coordinates (the app's downloads give the seat) are not
        # the site's, and are not stored
        row.set("lon", "")
        row.set("lat", "")
        row.notes = [n for n in row.notes if not n.reason.startswith("converted from")]
    if "lon" not in row.values and not (row.existing and row.existing.get("lon")):
        if "precision" in row.values and row.values["precision"] != "unit_seat":
            row.problem(
                "precision",
                f"is {row.values['precision']} but no coordinates are given",
                "give 经度/纬度, or leave 精度 empty",
            )
        row.set("precision", "unit_seat", "precision" if row.has("precision") else None)
        if not row.existing or row.existing.get("precision") != "unit_seat":
            where = row.current("host_adcode")
            if where in ctx.gazetteer:
                row.note(
                    None,
                    f"no coordinates: placed at the seat of "
                    f"{ctx.gazetteer.qualified_name(where)} (precision unit_seat)",
                )
    _read_enum(row, "status", layer, "status", f"{layer}.status")
    if not row.current("status"):
        row.set("status", "unknown")
    _source(row, ctx)
    _read_text(row, "note")
    if layer == "projects":
        _project_fields(row, ctx)
    else:
        _park_fields(row, ctx)
    if row.id is None and not row.problems:
        row.problem(
            "name_zh",
            "cannot identify the row",
            "give an id or the Chinese name and the pair",
            value="",
        )


def _project_fields(row: _Row, ctx: _Context) -> None:
    _read_text(row, "sector")
    _read_year(row, "year", "year")
    _read_amount(row)
    if row.has("park"):
        text = row.text("park")
        parks = ctx.tables["parks"]
        found = [p for p in parks if p["id"] == text] or [
            p
            for p in parks
            if normalise_text(text)
            in {normalise_text(p["name_zh"]), normalise_text(_park_short(p["name_zh"]))}
        ]
        if len(found) == 1:
            row.set("park_id", found[0]["id"], "park")
        else:
            names = [p["name_zh"] for p in parks if p["pairing_id"] == row.current("pairing_id")]
            near = difflib.get_close_matches(
                text, names or [p["name_zh"] for p in parks], n=2, cutoff=0.4
            )
            row.problem(
                "park",
                f'unknown park "{text}"' if not found else f'"{text}" names {len(found)} parks',
                f"did you mean {' or '.join(near)}?" if near else "give the park's id (parks.csv)",
            )


def _park_short(name: str) -> str:
    return re.sub(r"(产业合作园|合作园区|产业园区|产业园|园区|园)$", "", name)


def _park_fields(row: _Row, ctx: _Context) -> None:
    _read_area(row)
    _read_date(row, "date", "date")
    _read_text(row, "date_event")
    _read_date(row, "status_date", "status_date")
    for name in ("operating_model", "operator", "site_note"):
        _read_text(row, name)
    _read_enum(row, "confidence", "parks", "confidence", "confidence")
    if not row.current("confidence"):
        row.set("confidence", "unconfirmed")


def _partnership(row: _Row, ctx: _Context) -> None:
    helping = _read_place(row, "helping", ctx)
    pairing_id = _read_pairing(row, ctx, host=None)
    if row.has("pairing") and pairing_id is None:
        pairing_id = ""
    _identify(row, ctx, pairing_id or None)
    if pairing_id is None and row.existing:
        pairing_id = row.existing.get("pairing_id")
    if pairing_id:
        row.set("pairing_id", pairing_id, "pairing")
    elif pairing_id is None:
        row.problem("pairing", "is missing", "give the pair, e.g. 宁波—蚌埠", value="")
    pair = ctx.pairing_row(pairing_id) if pairing_id else None
    helped = _read_place(row, "helped", ctx, within=[pair["helped_adcode"]] if pair else None)
    for side, code in (("helping", helping), ("helped", helped)):
        column = f"{side}_adcode"
        if code:
            row.set(column, code, side)
        elif not row.has(side) and pair and not row.current(column):
            row.set(column, pair[column])
        if row.current(column):
            row.places.add(row.current(column))
        _read_text(row, f"{side}_name")
        if not row.current(f"{side}_name") and row.current(column) in ctx.gazetteer:
            row.set(f"{side}_name", ctx.gazetteer[row.current(column)].name_zh)
    _read_enum(row, "type", "partnerships", "type", "partnerships.type")
    if not row.current("type"):
        row.set("type", "other")
    _read_text(row, "name_zh")
    if not row.current("name_zh") and row.current("helping_name") and row.current("helped_name"):
        row.set("name_zh", f"{row.current('helping_name')}—{row.current('helped_name')}")
        if row.id is None and pairing_id:
            row.id = _generated_id("partnerships", pairing_id, row.values["name_zh"])
            row.existing = ctx.existing.get(row.id)
    if not row.current("name_zh"):
        row.problem("name_zh", "is missing", "give the partnership's Chinese name", value="")
    _name_en(row, ctx)
    _read_year(row, "year", "year")
    _read_date(row, "date", "date")
    _read_int(row, "people", "people")
    if row.has("precision"):
        _read_enum(row, "precision", "partnerships", "precision", "precision")
    elif not row.current("precision"):
        row.set("precision", "unit_seat")
    _source(row, ctx)
    _read_text(row, "note")


def _pairing(row: _Row, ctx: _Context) -> None:
    helping = helped = None
    if row.has("pair"):
        parts = [p for p in re.split(r"\s*(?:—+|–|―|－|-+>?|→|~|～)\s*", row.text("pair")) if p]
        if len(parts) != 2:
            row.problem("pair", "is not a pair", "write it helping side first, e.g. 宁波—蚌埠")
        else:
            codes = []
            for part in parts:
                try:
                    codes.append(ctx.gazetteer.resolve(part).adcode)
                except PlaceError as exc:
                    row.problem("pair", exc.reason, exc.suggestion)
                    codes.append(None)
            helping, helped = codes
    if row.has("helping"):
        helping = _read_place(row, "helping", ctx)
    if row.has("helped"):
        helped = _read_place(row, "helped", ctx)
    given = _read_id(row)
    if given:
        row.id = given
    elif helping and helped:
        row.id = f"P-{helping}-{helped}"
    row.existing = ctx.existing.get(row.id) if row.id else None
    for side, code, source in (("helping", helping, "helping"), ("helped", helped, "helped")):
        src = source if row.has(source) else "pair"
        if code:
            row.set(f"{side}_adcode", code, src)
            row.places.add(code)
        elif not row.current(f"{side}_adcode") and not row.problems:
            row.problem(src, f"the {side} unit is missing", "give the pair as 宁波—蚌埠", value="")
    if given and helping and helped and given != f"P-{helping}-{helped}":
        row.problem("id", f"does not match the pair; expected P-{helping}-{helped}")
    _read_text(row, "helping_label")
    _read_enum(row, "level", "pairings", "level", "pairings.level")
    if not row.current("level") and helping and helped:
        both = all(
            ctx.gazetteer[c].level == "prefecture" for c in (helping, helped) if c in ctx.gazetteer
        )
        row.set("level", "city" if both else "county")
    _read_year(row, "since", "since")
    _read_enum(row, "confidence", "pairings", "confidence", "confidence")
    if not row.current("confidence"):
        row.set("confidence", "unconfirmed")
    _source(row, ctx)
    _read_text(row, "note")


def _place(row: _Row, ctx: _Context) -> None:
    adcode = None
    if row.has("adcode"):
        adcode = _read_place(row, "adcode", ctx)
    elif row.has("name_zh"):
        adcode = _read_place(row, "name_zh", ctx)
    else:
        row.problem("adcode", "is missing", "give the adcode or the name of the unit", value="")
    if not adcode:
        return
    row.id = adcode
    row.existing = ctx.existing.get(adcode)
    unit = ctx.gazetteer[adcode]
    province = ctx.gazetteer.province_of(adcode)
    if province not in PROGRAMME_PROVINCES:
        row.problem(
            "adcode" if row.has("adcode") else "name_zh",
            f"{ctx.gazetteer.qualified_name(adcode)} is outside 上海, 江苏, 浙江 and 安徽",
        )
        return
    row.set("adcode", adcode, "adcode" if row.has("adcode") else "name_zh")
    if row.has("name_zh") and row.has("adcode"):
        named = row.text("name_zh")
        if normalise_text(named) not in {
            normalise_text(unit.name_zh),
            normalise_text(short_name(unit.name_zh)),
        }:
            row.problem(
                "name_zh",
                f"{adcode} is {unit.name_zh} in the gazetteer",
                f"check the adcode or write {unit.name_zh}",
            )
    if not row.current("name_zh") or row.has("name_zh"):
        row.set("name_zh", row.existing["name_zh"] if row.existing else unit.name_zh)
    row.set("province_adcode", province)
    _read_enum(row, "level", "places", "level", "places.level")
    if not row.current("level"):
        row.set("level", _place_level(ctx.gazetteer, adcode))
    _name_en(row, ctx, place_level=row.current("level"))
    _read_point(row, ctx)
    if not row.current("lon"):
        row.set("lon", f"{unit.lon:.6f}")
        row.set("lat", f"{unit.lat:.6f}")
        row.set("precision", "seat" if unit.precision == "seat" else "approximate")
        row.note(None, f"seat of {unit.name_zh} from the gazetteer ({unit.source})")
        if not row.has("source") and not row.current("source"):
            row.set("source", f"data/gazetteer.csv: {unit.source}")
    _source(row, ctx)
    _read_text(row, "note")


_READERS: dict[str, Callable[[_Row, _Context], None]] = {
    "projects": _sited,
    "parks": _sited,
    "partnerships": _partnership,
    "pairings": _pairing,
    "places": _place,
}


# --- tables as text ------------------------------------------------------------------------------


def _read_table_text(path: Path, table: Table) -> tuple[list[str], list[dict[str, str]]]:
    if not path.is_file():
        return [c.name for c in table.columns], []
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = list(reader.fieldnames or [c.name for c in table.columns])
    return header, [{k: (v or "") for k, v in r.items() if k is not None} for r in reader]


def _table_bytes(header: list[str], rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for r in rows:
        writer.writerow([r.get(c, "") for c in header])
    return out.getvalue().encode("utf-8")


def _canon(table: Table, row: dict[str, str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for col in table.columns:
        if col.name == "updated":
            continue
        text = row.get(col.name, "") or ""
        if col.kind in ("float", "lon", "lat") and text:
            try:
                out[col.name] = round(float(text), 9)
                continue
            except ValueError:
                pass
        out[col.name] = text
    return out


# --- planning and applying -----------------------------------------------------------------------


def plan_import(
    path: str | Path,
    layer: ImportLayer,
    data_dir: str | Path,
    *,
    crs: str | None = None,
    accept_valid: bool = False,
    replace: bool = False,
    source: str | None = None,
    sheet: str | None = None,
    today: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportPlan:
    """Read ``path`` into ``layer``, merge it into ``data_dir`` and validate the result.

    Parameters
    ----------
    path : str or pathlib.Path
        The spreadsheet: ``.xlsx`` or ``.csv`` (UTF-8, UTF-8 with BOM or GB18030).
    layer : {"projects", "parks", "partnerships", "pairings", "places"}
        The table the rows go into.
    data_dir : str or pathlib.Path
        The data directory (also where ``gazetteer.csv`` is read, else the shipped one).
    crs : {"wgs84", "gcj02", "bd09"}, optional
        The coordinate system of the file's 经度/纬度 (a row's ``坐标系`` wins).
    accept_valid : bool
        Keep the valid rows when some are rejected (the default keeps none).
    replace : bool
        The file is the whole table: rows it lacks are removed.
    source : str, optional
        The source of rows that give none (default: the file's name).
    sheet : str, optional
        Read only this sheet of a workbook.
    today : str, optional
        The ``updated`` date of changed rows (YYYY-MM-DD; default: today, UTC).
    progress : callable, optional
        Called as ``progress(done, total)`` while rows are read.

    Returns
    -------
    ImportPlan
        ``contents`` holds the files to write; empty when nothing would change, or when rows
        were rejected and ``accept_valid`` is false.
    """
    if layer not in IMPORT_LAYERS:
        raise ValueError(f"unknown layer {layer!r}; expected one of {', '.join(IMPORT_LAYERS)}")
    if crs is not None and crs not in coords.CRS_NAMES:
        crs_key = normalise_text(crs)
        if crs_key not in CRS_ALIASES:
            raise ValueError(f"unknown crs {crs!r}; expected one of wgs84, gcj02, bd09")
        crs = CRS_ALIASES[crs_key]
    path, data_dir = Path(path), Path(data_dir)
    today = today or datetime.now(UTC).date().isoformat()
    plan = ImportPlan(file=path.name, layer=layer, data_dir=str(data_dir))
    try:
        sheets = read_sheets(path, sheet)
    except ValueError as exc:
        plan.problems.append(ImportProblem(path.name, None, None, None, str(exc)))
        return plan
    gaz_path = data_dir / "gazetteer.csv"
    gazetteer = load_gazetteer(gaz_path if gaz_path.is_file() else None)
    headers: dict[str, list[str]] = {}
    tables: dict[str, list[dict[str, str]]] = {}
    for name in ("places", "pairings", "parks", layer):
        headers[name], tables[name] = _read_table_text(data_dir / f"{name}.csv", TABLES[name])
    ctx = _Context(
        layer,
        tables,
        gazetteer,
        crs,
        source or f"{path.name} (imported {today})",
        today,
    )
    plan.version_before = data_version(data_dir) if data_dir.is_dir() else ""

    rows = _read_rows(sheets, layer, plan, ctx, progress)
    _check_duplicates(rows)
    _plan_merge(plan, rows, ctx, headers, data_dir, accept_valid, replace)
    return plan


def _read_rows(
    sheets: list[Sheet],
    layer: str,
    plan: ImportPlan,
    ctx: _Context,
    progress: Callable[[int, int], None] | None,
) -> list[_Row]:
    mapped = []
    for sh in sheets:
        pos, columns, problems, notes = _map_header(sh, layer)
        if pos is None:
            if len(sheets) > 1 and any(_map_header(s, layer)[0] is not None for s in sheets):
                plan.notes.append(
                    ImportProblem(sh.name, None, None, None, f"no {layer} header; sheet skipped")
                )
            else:
                plan.problems += problems
            continue
        plan.problems += problems
        plan.notes += notes
        mapped.append((sh, pos, columns))
    total = sum(len(sh.rows) - pos - 1 for sh, pos, _ in mapped)
    done = 0
    rows: list[_Row] = []
    for sh, pos, columns in mapped:
        for number, cells in sh.rows[pos + 1 :]:
            done += 1
            if progress:
                progress(done, total)
            values = {
                c.field: (c, cells[c.index] if c.index < len(cells) else None) for c in columns
            }
            if all(cell_text(v) == "" for _, v in values.values()):
                continue
            first = next((cell_text(v) for v in cells if cell_text(v)), "")
            if normalise_text(first) in _TOTAL_ROW:
                plan.notes.append(ImportProblem(sh.name, number, None, first, "total row skipped"))
                continue
            row = _Row(sh.name, number, values)
            _READERS[layer](row, ctx)
            if row.id is None and not row.problems:
                row.problem(
                    "id",
                    "cannot identify the row",
                    "give an id, or the name and the pair",
                    value="",
                )
            rows.append(row)
    plan.rows_read = len(rows)
    return rows


def _check_duplicates(rows: list[_Row]) -> None:
    first: dict[str, _Row] = {}
    for row in rows:
        if row.id is None:
            continue
        if row.id in first:
            other = first[row.id]
            row.problem(
                "id" if row.has("id") else "name_zh",
                f"is the same row as row {other.number} of {other.sheet} (id {row.id})",
                "keep one of the two rows",
                value=row.text("id") or row.text("name_zh"),
            )
        else:
            first[row.id] = row


def _plan_merge(
    plan: ImportPlan,
    rows: list[_Row],
    ctx: _Context,
    headers: dict[str, list[str]],
    data_dir: Path,
    accept_valid: bool,
    replace: bool,
) -> None:
    layer, table = ctx.layer, TABLES[ctx.layer]
    header = headers[layer]
    candidates = [r for r in rows if not r.problems]
    unattributed = False
    for _ in range(len(rows) + 1):  # drop the rows the dataset rejects, then try again
        merged, places_added, origin = _merge(plan, candidates, ctx, table, header, replace, rows)
        for row in candidates:  # cell checks the schema makes
            _check_cells(row, merged.get(row.id), table)
        bad = [r for r in candidates if r.problems]
        if bad:
            candidates = [r for r in candidates if not r.problems]
            continue
        contents = {}
        if places_added:
            contents["places.csv"] = _table_bytes(
                headers["places"], ctx.tables["places"] + places_added
            )
        ordered = list(merged.values())
        contents[f"{layer}.csv"] = _table_bytes(header, ordered)
        unattributed = _validate(plan, ctx, data_dir, contents, ordered, origin, rows)
        bad = [r for r in candidates if r.problems]
        if unattributed or not bad:
            break
        candidates = [r for r in candidates if not r.problems]
    plan.problems += [p for r in rows for p in r.problems]
    plan.problems = sorted(set(plan.problems), key=_problem_key)
    plan.notes = sorted(
        set(plan.notes + [n for r in rows if not r.problems for n in r.notes]), key=_problem_key
    )
    plan.rejected_rows = sorted({(r.sheet, r.number) for r in rows if r.problems})
    accepted = [r for r in rows if not r.problems]
    plan.rows_accepted = len(accepted)
    merged, places_added, _ = _merge(plan, accepted, ctx, table, header, replace, rows)
    if plan.rejected_rows and replace:
        plan.removed = []
        plan.problems.append(
            ImportProblem(
                plan.file,
                None,
                None,
                None,
                "rows were rejected, so no row is removed",
                "with --replace every row of the file must be accepted",
            )
        )
    if unattributed or (plan.problems and not accept_valid):
        plan.contents = {}
        return
    if not (plan.added or plan.changed or plan.removed or places_added):
        plan.contents = {}
        return
    contents = {}
    if places_added:
        contents["places.csv"] = _table_bytes(
            headers["places"], ctx.tables["places"] + places_added
        )
    contents[f"{layer}.csv"] = _table_bytes(header, list(merged.values()))
    plan.contents = contents
    plan.version_after = _version_of(data_dir, contents)


def _merge(
    plan: ImportPlan,
    rows: list[_Row],
    ctx: _Context,
    table: Table,
    header: list[str],
    replace: bool,
    all_rows: list[_Row],
) -> tuple[dict[str, dict[str, str]], list[dict[str, str]], dict[str, object]]:
    """The new table (id → row), the places to add, and where each row comes from."""
    merged = {r[table.key]: dict(r) for r in ctx.tables[ctx.layer]}
    origin: dict[str, object] = {key: None for key in merged}
    plan.added, plan.changed, plan.unchanged, plan.removed = [], [], [], []
    for row in rows:
        old = merged.get(row.id)
        new = dict(old) if old else {c: "" for c in header}
        new.update(row.values)
        new[table.key] = row.id
        origin[row.id] = row
        if old is not None and row.values.get("source") and "source" in old:
            new["source"] = merge_sources(old["source"], row.values["source"])
        if old is None:
            new["updated"] = ctx.today
            merged[row.id] = new
            plan.added.append(row.id)
        elif _canon(table, old) != _canon(table, new):
            if not row.has("source") and "source" in old:  # the change's source: this file
                new["source"] = merge_sources(new["source"], ctx.default_source)
            new["updated"] = ctx.today
            merged[row.id] = new
            plan.changed.append(row.id)
        else:
            plan.unchanged.append(row.id)
    if replace and not any(r.problems for r in all_rows):
        keep = {r.id for r in all_rows}
        for key in list(merged):
            if key not in keep:
                plan.removed.append(key)
                del merged[key]
    places_added: list[dict[str, str]] = []
    plan.places_added = []
    if ctx.layer != "places":
        known = set(ctx.places)
        for row in rows:
            for code in sorted(row.places):
                if code in known or code not in ctx.gazetteer:
                    continue
                known.add(code)
                if ctx.gazetteer.province_of(code) not in PROGRAMME_PROVINCES:
                    continue  # the dataset's validation reports it
                name = ctx.gazetteer.qualified_name(code)
                places_added.append(
                    _place_row(
                        ctx.gazetteer, code, ctx.today, f"added by the import of {plan.file}"
                    )
                )
                plan.places_added.append(code)
                row.note(None, f"{name} ({code}) added to places.csv from the gazetteer")
    return merged, places_added, origin


def merge_sources(old: str, new: str) -> str:
    """``old`` with the parts of ``new`` it lacks appended (``' ; '`` separated): a changed row
    keeps the sources of what it already held."""
    parts = [p.strip() for p in old.split(" ; ") if p.strip()]
    for part in (p.strip() for p in new.split(" ; ")):
        if part and part not in parts:
            parts.append(part)
    return " ; ".join(parts)


def _check_cells(row: _Row, merged: dict[str, str] | None, table: Table) -> None:
    if merged is None:
        return
    for col in table.columns:
        text = merged.get(col.name, "")
        label = row.origin.get(col.name)
        if text == "":
            if col.required:
                if label is None:
                    row.problems.append(
                        ImportProblem(
                            row.sheet,
                            row.number,
                            col.name,
                            "",
                            f"{col.name} is required and the sheet has no value for it",
                            f"add a column for it ({_header_hint(table.name, col.name)})",
                        )
                    )
                else:
                    row.problems.append(
                        ImportProblem(row.sheet, row.number, label, "", "is empty but required")
                    )
            continue
        _, error = _parse_cell(col, text)
        if error:
            row.problems.append(
                ImportProblem(row.sheet, row.number, label or col.name, text, error)
            )


def _header_hint(layer: str, column: str) -> str:
    headers = HEADERS[layer].get(column, (column,))
    return ", ".join(headers[:2])


def _validate(
    plan: ImportPlan,
    ctx: _Context,
    data_dir: Path,
    contents: dict[str, bytes],
    ordered: list[dict[str, str]],
    origin: dict[str, object],
    rows: list[_Row],
) -> bool:
    """Validate the whole dataset with ``contents``; attribute each problem to a sheet row.

    Returns True when a problem cannot be attributed to a row of the sheet (the existing data
    would break): then nothing can be written.
    """
    layer_file = f"{plan.layer}.csv"
    with tempfile.TemporaryDirectory(prefix="wanbei-import-") as tmp:
        tmp_dir = Path(tmp)
        for t in TABLES.values():
            src = data_dir / t.filename
            if src.is_file():
                shutil.copyfile(src, tmp_dir / t.filename)
        if (data_dir / BOUNDARIES_FILE).is_file():
            shutil.copyfile(data_dir / BOUNDARIES_FILE, tmp_dir / BOUNDARIES_FILE)
        for name, data in contents.items():
            (tmp_dir / name).write_bytes(data)
        try:
            load_dataset(tmp_dir)
            return False
        except DataError as exc:
            found = exc.problems
    unattributed = False
    first_added = len(ctx.tables["places"]) + 2  # line of the first place the import adds
    for p in found:
        row: _Row | None = None
        if p.file == layer_file and p.row is not None and 0 <= p.row - 2 < len(ordered):
            key = ordered[p.row - 2][TABLES[plan.layer].key]
            candidate = origin.get(key)
            row = candidate if isinstance(candidate, _Row) else None
        elif p.file == "places.csv" and p.row is not None and p.row >= first_added:
            index = p.row - first_added
            code = plan.places_added[index] if index < len(plan.places_added) else None
            row = next((r for r in rows if code in r.places and not r.problems), None)
        if row is None:
            unattributed = True
            plan.problems.append(
                ImportProblem(
                    f"data/{p.file}", p.row, p.column, None, f"after the import: {p.message}"
                )
            )
            continue
        label = row.origin.get(p.column or "", p.column)
        suggestion = ""
        if "GCJ-02" in p.message:
            suggestion = (
                "if the coordinates come from Amap or Tencent, say 坐标系 GCJ-02 (or --crs gcj02)"
            )
        row.problems.append(
            ImportProblem(row.sheet, row.number, label, None, p.message, suggestion)
        )
    return unattributed


def _version_of(data_dir: Path, contents: dict[str, bytes]) -> str:
    with tempfile.TemporaryDirectory(prefix="wanbei-version-") as tmp:
        tmp_dir = Path(tmp)
        for t in [*TABLES.values()]:
            src = data_dir / t.filename
            if t.filename in contents:
                (tmp_dir / t.filename).write_bytes(contents[t.filename])
            elif src.is_file():
                shutil.copyfile(src, tmp_dir / t.filename)
        if (data_dir / BOUNDARIES_FILE).is_file():
            shutil.copyfile(data_dir / BOUNDARIES_FILE, tmp_dir / BOUNDARIES_FILE)
        return data_version(tmp_dir)


def _problem_key(p: ImportProblem) -> tuple:
    return (p.sheet, p.row if p.row is not None else -1, p.column or "", p.reason)


def apply_import(plan: ImportPlan, user: str | None = None) -> dict:
    """Write the plan's files atomically with backups; append the history record.

    Parameters
    ----------
    plan : ImportPlan
        From :func:`plan_import`, with ``contents`` to write.
    user : str, optional
        Who imported (stored in the history record).

    Returns
    -------
    dict
        The history record.
    """
    from geo.writer import write_files  # noqa: PLC0415

    if not plan.contents:
        raise ValueError("the plan has nothing to write")
    if data_version(Path(plan.data_dir)) != plan.version_before:
        raise RuntimeError(
            f"{plan.data_dir} changed since the import was planned; run the import again"
        )
    record = {
        "action": "import",
        "layer": plan.layer,
        "import": plan.file,
        "added": len(plan.added),
        "changed": len(plan.changed),
        "removed": len(plan.removed),
        "rejected": len(plan.rejected_rows),
        "ids": {"added": plan.added, "changed": plan.changed, "removed": plan.removed},
        "places_added": plan.places_added,
        "user": user,
        "version_before": plan.version_before,
        "version_after": plan.version_after,
    }
    return write_files(plan.data_dir, plan.contents, record).record


def apply_import_to_database(plan: ImportPlan, store: object, user: str | None = None) -> dict:
    """Write the plan to a PostGIS store in one transaction, then to the data directory.

    The database must hold the data the plan was made against (the data directory's version
    before the import). The whole resulting dataset is validated and written to the database
    in one transaction (:meth:`geo.postgis.PostgisStore.write_dir`); only when that succeeded
    are the files written, as by :func:`apply_import`.

    Parameters
    ----------
    plan : ImportPlan
        From :func:`plan_import`, with ``contents`` to write.
    store : geo.postgis.PostgisStore
        The database (anything with ``version()`` and ``write_dir(dir, source=...)``).
    user : str, optional
        Who imported (stored in the history record).

    Returns
    -------
    dict
        The history record.

    Raises
    ------
    RuntimeError
        If the database or the data directory no longer hold the data the plan was made
        against; nothing is written.
    DataError
        If the resulting dataset does not validate; nothing is written.
    """
    if not plan.contents:
        raise ValueError("the plan has nothing to write")
    data_dir = Path(plan.data_dir)
    held = store.version()  # type: ignore[attr-defined]
    if held != plan.version_before:
        raise RuntimeError(
            f"{store} holds data version {held}, not the version {plan.version_before} of "
            f"{data_dir} that the import was planned against: load the directory first "
            f"(wanbei-map db load {data_dir}) and run the import again"
        )
    with tempfile.TemporaryDirectory(prefix="wanbei-import-") as tmp:
        staged = Path(tmp)
        for name in [t.filename for t in TABLES.values()] + [BOUNDARIES_FILE]:
            if (data_dir / name).is_file():
                shutil.copy2(data_dir / name, staged / name)
        for name, body in plan.contents.items():
            (staged / name).write_bytes(body)
        if data_version(staged) != plan.version_after:
            raise RuntimeError(f"{data_dir} changed since the import was planned; run it again")
        store.write_dir(staged, source=str(data_dir.resolve()))  # type: ignore[attr-defined]
    return apply_import(plan, user=user)


# --- docs ----------------------------------------------------------------------------------------


def markdown() -> str:
    """The header tables of every layer as Markdown (the body of ``docs/import.md``)."""
    out: list[str] = []
    for layer, fields in HEADERS.items():
        out.append(f"### `--layer {layer}` → `data/{layer}.csv`\n")
        out.append("| field | accepted headers | how cells are read |")
        out.append("|---|---|---|")
        for name, aliases in fields.items():
            headers = ", ".join(f"`{a}`" for a in aliases)
            reading = READING.get(name, "text").replace("|", "\\|")
            out.append(f"| `{name}` | {headers} | {reading} |")
        out.append("")
    out.append("### Values\n")
    out.append("| column | accepted values → stored value |")
    out.append("|---|---|")
    for key, aliases in VALUE_ALIASES.items():
        pairs = ", ".join(f"{a} → `{v}`" for a, v in aliases.items())
        out.append(f"| `{key}` | {pairs} |")
    crs = ", ".join(f"{a} → `{v}`" for a, v in CRS_ALIASES.items())
    out.append(f"| `crs` | {crs} |")
    out.append("")
    return "\n".join(out)


if __name__ == "__main__":  # python -m geo.importer > the tables of docs/import.md
    print(markdown())
