"""Step 2: the header tables (Chinese and English headers of every layer, values they accept)
and the mapping of a sheet's header row onto a layer's fields."""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from geo.gazetteer import normalise_text
from geo.importer.normalise import AMOUNT_UNITS, AREA_UNITS, cell_text
from geo.importer.problems import ImportProblem
from geo.importer.read import Sheet
from geo.spec import SPEC

ImportLayer = Literal["projects", "parks", "partnerships", "pairings", "places", "plan"]
#: The spec's importable layers, and the plan's targets (:meth:`geo.spec.Spec.import_tables`).
IMPORT_LAYERS: tuple[str, ...] = SPEC.import_tables()
PROGRAMME_PROVINCES = ("310000", "320000", "330000", "340000")

# --- the header table ----------------------------------------------------------------------------

#: Accepted headers of each layer: field → headers (``[import_headers.<table>]`` of the spec,
#: geo/spec.toml). A field is a column of the layer's table, or an input read into one
#: (``pairing`` → ``pairing_id``, ``host`` → ``host_adcode``, ``investment`` +
#: ``investment_unit`` → ``investment_yi``, ``crs`` → how lon/lat are read).
HEADERS: dict[str, dict[str, tuple[str, ...]]] = {
    layer: fields for layer, fields in SPEC.import_headers.items() if layer in IMPORT_LAYERS
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
    "confidence": "`primary`/一手来源, `secondary`/媒体转述, `weak`/弱来源, `unconfirmed`/未证实",
    "target_zh": "text; the target in Chinese (also matches rows that have no id)",
    "target_en": "text; required for a new target",
    "value": "a number",
    "unit": "text (家, 个, 条/对…)",
    "comparator": "`at_least`/不少于, `exactly`/等于, `all`/全部, `none` (default)",
    "scope": "text: who the target concerns, in the plan's words",
    "scope_level": "`province`/皖北各市, `pair`/结对, `city`/城市 (default: from pair or city)",
    "city": "the 皖北 city a city-level target concerns: an adcode or a name",
    "status_source": "text; required with a status other than unknown",
    "status_note": "text",
    "status_note_en": "text",
    "people": "a whole number (`12`, `12人`)",
    "investment_kind": "`agreed`/协议投资, `planned`/计划投资, `actual`/实际投资",
    "investor_link": "`stated`/来自帮扶方, `not_stated`/未说明",
    "site_level": "`road`/道路, `town`/乡镇, `zone`/园区, `unit`/县区, `unknown`/不详",
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
    "totals_years",
    "totals_source",
    "wkt",
    "geometry",
)

#: The vocabulary of the spec (geo/spec.toml) whose words and aliases each coded column accepts
#: (besides its codes), and the table whose words it takes.
VALUE_VOCABULARIES: dict[str, tuple[str, str | None]] = {
    "projects.status": ("status", "projects"),
    "parks.status": ("status", "parks"),
    "investment_kind": ("investment_kind", None),
    "investor_link": ("investor_link", None),
    "site_level": ("site_level", None),
    "confidence": ("confidence", None),
    "precision": ("precision", "parks"),
    "places.precision": ("precision", "places"),
    "partnerships.type": ("partnership_type", None),
    "pairings.level": ("pairing_level", None),
    "places.level": ("place_level", None),
    "area_unit": ("area_unit", None),
    "plan.status": ("plan_status", None),
    "plan.scope_level": ("scope_level", None),
    "plan.comparator": ("comparator", None),
}
#: Values accepted for the columns with allowed values, besides the schema's own: the aliases
#: and the Chinese word of each code, from the spec's vocabularies.
VALUE_ALIASES: dict[str, dict[str, str]] = {
    key: SPEC.vocabulary(vocabulary).aliases(table)
    for key, (vocabulary, table) in VALUE_VOCABULARIES.items()
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


_BRACKET = re.compile(r"^(.*?)\s*[(（\[【]\s*(.*?)\s*[)）\]】]\s*$")

# --- the header ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetColumn:
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
            out.setdefault(header_key(h), name)
    return out


def header_key(header: str) -> str:
    return normalise_text(header).replace("（", "(").replace("）", ")")


def split_header(header: str) -> tuple[str, str | None]:
    m = _BRACKET.match(unicodedata.normalize("NFKC", header))
    if m and m.group(1):
        return m.group(1), m.group(2)
    return header, None


def map_header(
    sheet: Sheet, layer: str
) -> tuple[int | None, list[SheetColumn], list[ImportProblem], list[ImportProblem]]:
    aliases = _alias_index(layer)
    best: tuple[int, int] | None = None
    for pos, (_, cells) in enumerate(sheet.head(10)):
        known = sum(
            1
            for c in cells
            if header_key(cell_text(c)) in aliases
            or header_key(split_header(cell_text(c))[0]) in aliases
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
    number, cells = sheet.head(10)[pos]
    columns: list[SheetColumn] = []
    problems: list[ImportProblem] = []
    notes: list[ImportProblem] = []
    seen: dict[str, SheetColumn] = {}
    for i, raw in enumerate(cells):
        header = cell_text(raw)
        if not header:
            continue
        label = f"{header} ({column_letter(i)})" if sheet.letters else header
        key = header_key(header)
        base, bracket = header, None
        if key not in aliases:
            base, bracket = split_header(header)
            key = header_key(base)
        if key not in aliases and key in {header_key(h) for h in IGNORED_HEADERS}:
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
        col = SheetColumn(i, header, label, name, unit, crs)
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


def column_letter(index: int) -> str:
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


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
