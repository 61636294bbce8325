"""Step 4: one row of a sheet while it is read, the context it is read against, and the
readers of its fields (text, values, dates, places, points, amounts, areas)."""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from geo import coords
from geo.gazetteer import Gazetteer, PlaceError, Unit, normalise_text, resolve_pairing
from geo.importer.headers import CRS_ALIASES, VALUE_ALIASES, SheetColumn
from geo.importer.normalise import (
    AMOUNT_UNITS,
    AREA_FORM,
    AREA_UNITS,
    cell_text,
    format_number,
    normalise_amount,
    normalise_date,
    parse_coordinate,
    pinyin_name,
    place_english,
)
from geo.importer.problems import ImportProblem
from geo.schema import TABLES

# --- one row -------------------------------------------------------------------------------------

_NO_PLACES: frozenset[str] = frozenset()
_KEPT_CELLS = frozenset({"id", "name_zh", "source"})  # what is asked of a row once it is read


@dataclass(slots=True)
class Row:
    """One data row of a sheet while it is read."""

    sheet: str
    number: int
    cells: dict[str, tuple[SheetColumn, object]]
    problems: list[ImportProblem] = field(default_factory=list)
    notes: list[ImportProblem] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)  # schema column -> text
    origin: dict[str, str] = field(default_factory=dict)  # schema column -> sheet column label
    id: str | None = None
    existing: dict[str, str] | None = None
    places: set[str] | frozenset[str] = field(default_factory=set)  # adcodes it needs in places

    def done(self) -> None:
        """The row is read: keep only what merging and reporting use (a sheet may have
        hundreds of thousands of rows)."""
        self.cells = {k: v for k, v in self.cells.items() if k in _KEPT_CELLS}
        if not self.places:
            self.places = _NO_PLACES

    def has(self, name: str) -> bool:
        return name in self.cells and cell_text(self.cells[name][1]) != ""

    def raw(self, name: str) -> object:
        return self.cells[name][1] if name in self.cells else None

    def text(self, name: str) -> str:
        return cell_text(self.raw(name))

    def column(self, name: str) -> SheetColumn | None:
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
        reason = sys.intern(reason)  # the same note on many rows is one string
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


class Context:
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
        self._resolved: dict[tuple, tuple[object, PlaceError | None]] = {}

    #: Resolved places and pairings are kept (a sheet repeats them on every row) up to this many.
    CACHE_SIZE = 4096

    def resolve_place(self, text: str, within: list[str] | None = None) -> Unit:
        """:meth:`Gazetteer.resolve`, remembered (its :class:`PlaceError` too)."""
        return self._cached(
            ("place", text, tuple(within or ())), self.gazetteer.resolve, text, within
        )

    def resolve_pairing(self, text: str, host: str | None = None) -> str:
        """:func:`geo.gazetteer.resolve_pairing` against the pairings table, remembered."""
        return self._cached(
            ("pairing", text, host), resolve_pairing, text, self.pairings, self.gazetteer, host=host
        )

    def _cached(self, key: tuple, function: Callable, *args: object, **kwargs: object):
        if key not in self._resolved:
            if len(self._resolved) >= self.CACHE_SIZE:
                self._resolved.clear()
            try:
                self._resolved[key] = (function(*args, **kwargs), None)
            except PlaceError as exc:
                self._resolved[key] = (None, exc)
        value, error = self._resolved[key]
        if error is not None:
            raise error
        return value

    def helped_of(self, pairing_id: str) -> str | None:
        for r in self.tables["pairings"]:
            if r["id"] == pairing_id:
                return r["helped_adcode"]
        return None

    def pairing_row(self, pairing_id: str) -> dict[str, str] | None:
        return next((r for r in self.tables["pairings"] if r["id"] == pairing_id), None)


def read_enum(row: Row, name: str, table: str, column: str, aliases_key: str) -> None:
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


def read_text(row: Row, name: str, column: str | None = None) -> None:
    if row.has(name):
        row.set(column or name, row.text(name), name)


def read_id(row: Row, name: str = "id") -> str | None:
    if not row.has(name):
        return None
    text = row.text(name)
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", text):
        row.problem(name, f'"{text}" is not a valid id', "use letters, digits, '.', '_', '-'")
        return None
    return text


def read_date(row: Row, name: str, column: str) -> None:
    if not row.has(name):
        return
    try:
        row.set(column, normalise_date(row.raw(name)), name)
    except ValueError as exc:
        row.problem(name, str(exc), "write it as 2023年5月, 2023-05-23, 2023.5.23 or 2023/5")


def read_year(row: Row, name: str, column: str) -> None:
    if not row.has(name):
        return
    raw = row.raw(name)
    try:
        row.set(column, normalise_date(raw)[:4], name)
    except ValueError as exc:
        row.problem(name, str(exc), "write a year such as 2023 (or a date: 2023年5月)")


def read_int(row: Row, name: str, column: str) -> None:
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


def read_place(row: Row, name: str, ctx: Context, within: list[str] | None = None) -> str | None:
    if not row.has(name):
        return None
    try:
        unit = ctx.resolve_place(row.text(name), within)
    except PlaceError as exc:
        row.problem(name, exc.reason, exc.suggestion)
        return None
    return unit.adcode


def read_pairing(row: Row, ctx: Context, host: str | None = None) -> str | None:
    if not row.has("pairing"):
        return None
    try:
        return ctx.resolve_pairing(row.text("pairing"), host)
    except PlaceError as exc:
        row.problem("pairing", exc.reason, exc.suggestion)
        return None


def read_point(row: Row, ctx: Context) -> None:
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
            read_enum(row, "precision", table, "precision", aliases_key)
        return
    try:
        lon, lat = parse_coordinate(row.raw("lon")), parse_coordinate(row.raw("lat"))
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
        read_enum(row, "precision", table, "precision", aliases_key)
    else:
        row.set("precision", "seat" if table == "places" else "exact")


def _row_crs(row: Row, ctx: Context) -> str | None:
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


def read_amount(row: Row) -> None:
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
        row.set(
            "investment_yi",
            format_number(normalise_amount(row.raw("investment"), unit)),
            "investment",
        )
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


def read_area(row: Row) -> None:
    if not row.has("area"):
        if row.has("area_unit"):
            read_enum(row, "area_unit", "parks", "area_unit", "area_unit")
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
        m = AREA_FORM.match(normalise_text(cell_text(raw)))
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
    row.set("area_value", format_number(number), "area")
    row.set("area_unit", unit, "area_unit" if row.has("area_unit") else "area")


def fill_name_en(row: Row, ctx: Context, place_level: str | None = None) -> None:
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


def fill_source(row: Row, ctx: Context) -> None:
    if row.has("source"):
        row.set("source", row.text("source"), "source")
    elif not row.current("source"):
        row.set("source", ctx.default_source)
