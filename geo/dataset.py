"""Load a data directory into validated GeoDataFrames, one per map layer.

:class:`CsvStore` is the embedded default store: it reads ``data/`` and returns a
:class:`Dataset`. Anything that yields a ``Dataset`` (a PostGIS store, say) can replace it.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import LineString, Point

from geo import coords, plan
from geo.errors import DataError, Problem
from geo.links import geodesic_km, geodesic_line, nearest
from geo.load import read_tables
from geo.schema import BOUNDARY_LEVELS, BOUNDARY_PROPERTIES, TABLES
from geo.spec import SPEC

CRS = "EPSG:4326"
BOUNDARIES_FILE = "boundaries.geojson"
#: The layers of a dataset (the spec's), the basemap's last.
LAYER_IDS = tuple(sorted(SPEC.ids, key=lambda i: SPEC.layer(i).pane == "basemap"))


@dataclass(frozen=True)
class Dataset:
    """A validated dataset: the typed tables, one GeoDataFrame per layer, and a version."""

    tables: dict[str, pd.DataFrame]
    layers: dict[str, gpd.GeoDataFrame]
    version: str
    source: str = ""
    #: What is derived from this dataset and lives as long as it, by owner (e.g. the OGC catalog
    #: of :func:`layers.features.catalog_of`, which the downloads share).
    extra: dict = field(default_factory=dict)


class Store(Protocol):
    """Where the data comes from."""

    def load(self) -> Dataset:  # pragma: no cover - a protocol
        ...


class CsvStore:
    """The embedded default store: the CSV and GeoJSON files of a data directory."""

    def __init__(self, data_dir: str | Path) -> None:
        self.data_dir = Path(data_dir)

    def load(self) -> Dataset:
        """Read, validate and build every layer; raise DataError listing every problem."""
        return load_dataset(self.data_dir)


def load_dataset(data_dir: str | Path) -> Dataset:
    """Read and validate every file of ``data_dir`` and build the map layers.

    Parameters
    ----------
    data_dir : str or pathlib.Path
        A directory holding the CSV files of :mod:`geo.schema` and ``boundaries.geojson``.

    Returns
    -------
    Dataset

    Raises
    ------
    DataError
        With every problem found, each naming its file, row and column.
    """
    data_dir = Path(data_dir)
    tables, boundaries, problems = read_data_dir(data_dir)
    return build_dataset(
        tables, boundaries, problems, version=data_version(data_dir), source=str(data_dir)
    )


def read_data_dir(
    data_dir: str | Path,
) -> tuple[dict[str, pd.DataFrame], gpd.GeoDataFrame, list[Problem]]:
    """Read the typed tables and the boundaries of ``data_dir``, collecting every file problem.

    Returns
    -------
    (dict of str to pandas.DataFrame, geopandas.GeoDataFrame, list of Problem)
        The tables as :func:`geo.load.read_tables` gives them (with ``row_number``), the
        boundaries, and the problems found in reading them.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError([Problem(str(data_dir), None, None, "is not a directory")], str(data_dir))
    tables, problems = read_tables(data_dir)
    boundaries, found = read_boundaries(data_dir / BOUNDARIES_FILE)
    return tables, boundaries, problems + found


def build_dataset(
    tables: dict[str, pd.DataFrame],
    boundaries: gpd.GeoDataFrame,
    problems: list[Problem],
    *,
    version: str,
    source: str,
) -> Dataset:
    """Check the rules that join columns and tables, then build the layers: every store's path.

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        Typed tables as :func:`geo.load.read_tables` gives them, with a ``row_number`` column.
    boundaries : geopandas.GeoDataFrame
        The boundary polygons with the properties of ``BOUNDARY_PROPERTIES``.
    problems : list of Problem
        Problems already found in reading the tables and boundaries.
    version, source : str
        The data version and where the data comes from (for messages).

    Returns
    -------
    Dataset

    Raises
    ------
    DataError
        With ``problems`` and every problem these checks find.
    """
    problems = list(problems) + check_rows(tables)
    if not problems:
        problems += check_points_in_units(tables, boundaries)
    if problems:
        raise DataError(problems, source)
    layers = build_layers(tables, boundaries)
    return Dataset(
        tables={k: v.drop(columns="row_number") for k, v in tables.items()},
        layers=layers,
        version=version,
        source=source,
    )


def data_version(data_dir: Path) -> str:
    """A short hash of the bytes of every data file: it changes whenever the data does."""
    digest = hashlib.sha256()
    names = [t.filename for t in TABLES.values()] + [BOUNDARIES_FILE]
    for name in sorted(names):
        path = data_dir / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.is_file() else b"")
    return digest.hexdigest()[:16]


def read_boundaries(path: Path) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Read the boundary polygons; report missing properties, bad levels and bad geometry."""
    name = path.name
    empty = gpd.GeoDataFrame({p: [] for p in BOUNDARY_PROPERTIES}, geometry=[], crs=CRS)
    if not path.is_file():
        return empty, [Problem(name, None, None, f"file is missing from {path.parent}")]
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # noqa: BLE001 - any reader failure is a data problem to report
        return empty, [Problem(name, None, None, f"cannot be read as GeoJSON: {exc}")]
    missing = [p for p in BOUNDARY_PROPERTIES if p not in gdf.columns]
    if missing:
        return empty, [
            Problem(name, None, p, "property is missing from the features") for p in missing
        ]
    problems: list[Problem] = []
    for i, feat in enumerate(gdf.itertuples(index=False)):
        where = f"feature {i}"
        if feat.level not in BOUNDARY_LEVELS:
            problems.append(
                Problem(
                    name,
                    None,
                    "level",
                    f"{where}: {feat.level!r} is not one of {', '.join(BOUNDARY_LEVELS)}",
                )
            )
        geom = feat.geometry
        if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(
                Problem(
                    name,
                    None,
                    "geometry",
                    f"{where} ({feat.adcode}): needs a non-empty Polygon or MultiPolygon",
                )
            )
        elif not geom.is_valid:
            problems.append(
                Problem(
                    name,
                    None,
                    "geometry",
                    f"{where} ({feat.adcode}): invalid polygon ({shapely.is_valid_reason(geom)})",
                )
            )
    dup = gdf["adcode"][gdf["adcode"].duplicated()]
    problems += [Problem(name, None, "adcode", f"{a!r} appears twice") for a in dup]
    gdf = gdf.set_crs(CRS, allow_override=True)
    return gdf, problems


def check_rows(tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """Rules that join columns or tables: coordinates vs. precision, units within their pair."""
    problems: list[Problem] = []
    places = tables["places"].set_index("adcode")
    for adcode, row in places.iterrows():
        prov = row["province_adcode"]
        if adcode and prov and str(adcode)[:2] != str(prov)[:2]:
            problems.append(
                Problem(
                    "places.csv",
                    int(row["row_number"]),
                    "province_adcode",
                    f"{prov} is not the province of {adcode} (expected {str(adcode)[:2]}0000)",
                )
            )
    pairings = tables["pairings"].set_index("id")
    for name in ("parks", "projects"):
        problems += _check_point_columns(f"{name}.csv", tables[name])
        problems += _check_in_helped_unit(f"{name}.csv", tables[name], pairings, "host_adcode")
    projects = tables["projects"]
    parks = tables["parks"].set_index("id")
    for row in projects.itertuples():
        if row.park_id in parks.index and pd.notna(row.pairing_id):
            park_pair = parks.loc[row.park_id, "pairing_id"]
            if park_pair != row.pairing_id:
                problems.append(
                    Problem(
                        "projects.csv",
                        int(row.row_number),
                        "park_id",
                        f"park {row.park_id} belongs to {park_pair}, "
                        f"not to this project's pairing {row.pairing_id}",
                    )
                )
    part = tables["partnerships"]
    problems += _check_in_helped_unit("partnerships.csv", part, pairings, "helped_adcode")
    for row in tables["project_totals"].itertuples():
        if pd.notna(row.year_from) and pd.notna(row.year_to) and row.year_from > row.year_to:
            problems.append(
                Problem(
                    "project_totals.csv",
                    int(row.row_number),
                    "year_to",
                    f"{row.year_to} is before year_from {row.year_from}",
                )
            )
    problems += _check_corridor(tables["corridor"])
    problems += _check_figures(tables["figures"])
    problems += check_grades(tables)
    problems += plan.check_scopes(tables)
    return problems


def _check_corridor(corridor: pd.DataFrame) -> list[Problem]:
    name, problems = "corridor.csv", []
    members = corridor["role"] == "member"
    if not members.any():
        problems.append(Problem(name, None, "role", "no row has role 'member'"))
    for row in corridor.itertuples():
        member = row.role == "member"
        for col, value, needed in (
            ("seq", row.seq, member),
            ("status", row.status, not member),
            ("link_from", row.link_from, False),
        ):
            if pd.isna(value) and needed:
                problems.append(
                    Problem(name, int(row.row_number), col, f"is empty; a {row.role} needs it")
                )
            elif pd.notna(value) and member and col != "seq":
                problems.append(
                    Problem(name, int(row.row_number), col, "must be empty for a member")
                )
            elif pd.notna(value) and not member and col == "seq":
                problems.append(
                    Problem(name, int(row.row_number), col, f"must be empty for a {row.role}")
                )
    dup = corridor["seq"].notna() & corridor["seq"].duplicated()
    problems += [
        Problem(name, int(r), "seq", f"{s} is used twice; members' seq must be unique")
        for r, s in zip(corridor.loc[dup, "row_number"], corridor.loc[dup, "seq"], strict=True)
    ]
    return problems


#: Figure scopes that belong to one pair (the others never name a pairing).
PAIR_SCOPES = ("pair", "pair_part")


def _check_figures(figures: pd.DataFrame) -> list[Problem]:
    problems = []
    for row in figures.itertuples():
        where = ("figures.csv", int(row.row_number))
        if row.scope in PAIR_SCOPES and pd.isna(row.pairing_id):
            problems.append(Problem(*where, "pairing_id", f"is empty but scope is {row.scope}"))
        elif pd.notna(row.scope) and row.scope not in PAIR_SCOPES and pd.notna(row.pairing_id):
            problems.append(
                Problem(
                    *where,
                    "pairing_id",
                    f"must be empty: a {row.scope} figure is not one pair's "
                    "(name the unit in helped_adcode and scope_zh)",
                )
            )
        if pd.notna(row.year_from) and pd.notna(row.year_to) and row.year_from > row.year_to:
            problems.append(Problem(*where, "year_to", f"is before year_from {row.year_from}"))
    return problems


def source_items(value: object) -> list[str]:
    """The sources of one ``source`` cell (separated by `` ; ``)."""
    if pd.isna(value):
        return []
    return [s.strip() for s in str(value).split(" ; ") if s.strip()]


def _graded_source(table: str, row) -> object:
    # a plan target's grade is its status's source, the target's own while the status is unknown
    if table == "plan" and pd.notna(row.status_source):
        return row.status_source
    return row.source


def check_grades(tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """Each row's ``confidence`` is the grade ``sources.csv`` gives its first source.

    The first source of a row is the one for its main fact (the park exists, the project was
    signed…); later sources add detail. A plan target is graded by its ``status_source`` when
    it has one. Rows whose first source is not graded in
    ``sources.csv`` are not checked (an import may bring new sources).
    """
    grades = dict(zip(tables["sources"]["source"], tables["sources"]["grade"], strict=True))
    problems = []
    for name, frame in tables.items():
        if name == "sources" or not {"confidence", "source"} <= set(frame.columns):
            continue
        required = TABLES[name].column("confidence").required
        for row in frame.itertuples():
            if required and pd.isna(row.confidence):
                continue  # reported as a required cell
            first = next(iter(source_items(_graded_source(name, row))), None)
            if first not in grades or row.confidence == grades[first]:
                continue
            got = "empty" if pd.isna(row.confidence) else repr(row.confidence)
            problems.append(
                Problem(
                    f"{name}.csv",
                    int(row.row_number),
                    "confidence",
                    f"is {got} but its first source is graded {grades[first]!r} in sources.csv "
                    "(a row's grade is that of its first source, the one for its main fact)",
                )
            )
    return problems


def _check_point_columns(name: str, frame: pd.DataFrame) -> list[Problem]:
    problems = []
    for row in frame.itertuples():
        has_lon, has_lat = not np.isnan(row.lon), not np.isnan(row.lat)
        if has_lon != has_lat:
            col = "lat" if has_lon else "lon"
            problems.append(
                Problem(
                    name,
                    int(row.row_number),
                    col,
                    "is empty but its pair is given; give both lon and lat, or neither",
                )
            )
        elif row.precision == "unit_seat" and has_lon:
            problems.append(
                Problem(
                    name,
                    int(row.row_number),
                    "precision",
                    "is unit_seat but lon/lat "
                    "are given; use exact or approximate, or empty lon/lat",
                )
            )
        elif row.precision in ("exact", "approximate") and not has_lon:
            problems.append(
                Problem(
                    name,
                    int(row.row_number),
                    "lon",
                    f"is empty but precision is {row.precision}; give lon/lat or use unit_seat",
                )
            )
    return problems


def _check_in_helped_unit(
    name: str, frame: pd.DataFrame, pairings: pd.DataFrame, column: str
) -> list[Problem]:
    problems = []
    for row in frame.itertuples():
        pairing, unit = row.pairing_id, getattr(row, column)
        if pairing not in pairings.index or pd.isna(unit):
            continue
        helped = pairings.loc[pairing, "helped_adcode"]
        if not within(unit, helped):
            problems.append(
                Problem(
                    name,
                    int(row.row_number),
                    column,
                    f"{unit} is not within {helped}, the helped unit of {pairing}",
                )
            )
    return problems


def within(child: str, parent: str) -> bool:
    """Whether adcode ``child`` is ``parent`` or lies inside it, by the adcode hierarchy."""
    if parent.endswith("0000"):
        return child[:2] == parent[:2]
    if parent.endswith("00"):
        return child[:4] == parent[:4]
    return child == parent


def check_points_in_units(
    tables: dict[str, pd.DataFrame], boundaries: gpd.GeoDataFrame
) -> list[Problem]:
    """Check that each given point lies inside its own unit's polygon.

    A point outside is reported with the likely cause: lon/lat swapped, or GCJ-02 (Amap)
    coordinates that were not converted to WGS84.
    """
    polys = dict(zip(boundaries["adcode"], boundaries.geometry, strict=True))
    problems: list[Problem] = []
    checks = [("places.csv", tables["places"], "adcode")]
    checks += [(f"{n}.csv", tables[n], "host_adcode") for n in ("parks", "projects")]
    for name, frame, unit_col in checks:
        for row in frame.itertuples():
            if np.isnan(row.lon) or np.isnan(row.lat):
                continue
            unit = getattr(row, unit_col)
            poly_code = _polygon_for(unit, polys)
            if poly_code is None:
                problems.append(
                    Problem(
                        name,
                        int(row.row_number),
                        unit_col,
                        f"no boundary polygon for "
                        f"{unit} or its prefecture/province in {BOUNDARIES_FILE}",
                    )
                )
                continue
            message = _point_message(row.lon, row.lat, polys[poly_code], poly_code)
            if message:
                problems.append(Problem(name, int(row.row_number), "lon", message))
    return problems


def _polygon_for(adcode: str, polys: dict) -> str | None:
    for code in (adcode, adcode[:4] + "00", adcode[:2] + "0000"):
        if code in polys:
            return code
    return None


def _point_message(lon: float, lat: float, poly, code: str) -> str | None:
    if poly.covers(Point(lon, lat)):
        return None
    if poly.covers(Point(lat, lon)):
        return f"({lon}, {lat}) lies outside unit {code} but inside it with lon and lat swapped"
    wlon, wlat = coords.gcj02_to_wgs84(lon, lat)
    if poly.covers(Point(wlon, wlat)):
        return (
            f"({lon}, {lat}) lies outside unit {code}; it looks like GCJ-02 (Amap): "
            f"convert it to WGS84 ({wlon:.6f}, {wlat:.6f})"
        )
    return f"({lon}, {lat}) lies outside unit {code}; check the point and the unit"


# --- building the layers -------------------------------------------------------------------------


def build_layers(
    tables: dict[str, pd.DataFrame], boundaries: gpd.GeoDataFrame
) -> dict[str, gpd.GeoDataFrame]:
    """Turn validated tables into one GeoDataFrame per layer (EPSG:4326)."""
    t = {k: v.drop(columns="row_number") for k, v in tables.items()}
    places = t["places"]
    seats = {
        a: (lon, lat) for a, lon, lat in zip(places.adcode, places.lon, places.lat, strict=True)
    }
    names = places.set_index("adcode")[["name_zh", "name_en"]]
    levels = dict(zip(places.adcode, places.level, strict=True))
    # the provinces (上海 is not a place) name the districts of a municipality: 上海·闵行
    units = pd.concat(
        [
            names,
            boundaries.set_index("adcode")[["name_zh", "name_en"]].drop(
                names.index, errors="ignore"
            ),
        ]
    )
    layers = {
        "places": _points(places, places.lon, places.lat).assign(id=places.adcode),
        "pairings": _pairings(t, seats, names, _ShortNames(units, levels)),
        "parks": _sited(t["parks"], seats, names, t["pairings"]),
        "projects": _sited(t["projects"], seats, names, t["pairings"]),
        "partnerships": _partnerships(t, seats),
        "corridor": _corridor(t["corridor"], seats, names),
        # provinces first, so that prefectures and counties are drawn on top of them
        "boundaries": boundaries.assign(
            id=boundaries["adcode"], _rank=boundaries["level"].map(BOUNDARY_LEVELS.index)
        ).sort_values(["_rank", "adcode"], ignore_index=True)[
            ["id", *BOUNDARY_PROPERTIES, "geometry"]
        ],
        "plan_progress": plan.progress_layer(t, boundaries, seats, names),
    }
    for spec in SPEC.layers:  # the point layers the spec declares with no code of their own
        if spec.points:
            table = t[spec.points]
            layers[spec.id] = _points(table, table.lon, table.lat)
    return {k: _id_first(layers[k]) for k in LAYER_IDS}


def _id_first(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    cols = ["id", *[c for c in gdf.columns if c not in ("id", "geometry")], "geometry"]
    return gpd.GeoDataFrame(gdf[cols].reset_index(drop=True), geometry="geometry", crs=CRS)


def _points(frame: pd.DataFrame, lon, lat) -> gpd.GeoDataFrame:
    # A shallow copy: pandas copies on write, so the layer shares the table's columns (at
    # 100,000 projects, 12 MB less per data version) and neither can change the other.
    points = gpd.points_from_xy(lon, lat)
    return gpd.GeoDataFrame(frame.copy(deep=False), geometry=points, crs=CRS, copy=False)


def _pair_label(pairings: pd.DataFrame, names: pd.DataFrame, lang: str = "zh") -> dict[str, str]:
    sep = "—" if lang == "zh" else " – "
    return {
        row.id: sep.join(names.loc[[row.helping_adcode, row.helped_adcode], f"name_{lang}"])
        for row in pairings.itertuples()
    }


class _ShortNames:
    """The names a map label gives a pair's ends: 淮南, 上海·闵行, 灵璧 (Huainan,
    Shanghai·Minhang, Lingbi): 市/区/县 dropped when two characters or more remain, and a
    district named after its city."""

    SUFFIXES_ZH = ("市", "区", "县")
    SUFFIXES_EN = (" District", " County")
    # a party named by a label (no adcode of its own), in English: its city and its kind
    KINDS_EN = (
        ("经济技术开发区", "ETDZ"),
        ("高新技术产业开发区", "High-tech Zone"),
        ("新材料科技园", "New Materials Park"),
        ("开发区", "Development Zone"),
    )

    def __init__(self, units: pd.DataFrame, levels: dict[str, str]) -> None:
        self.units = units
        self.levels = levels

    def _bare(self, adcode: str, lang: str) -> str:
        zh = str(self.units.loc[adcode, "name_zh"])
        name = str(self.units.loc[adcode, f"name_{lang}"] or zh)
        stripped = zh[:-1] if zh.endswith(self.SUFFIXES_ZH) and len(zh) > 2 else zh
        if stripped == zh:
            return name if lang == "en" else zh.removesuffix("省")
        if lang == "zh":
            return stripped
        for suffix in self.SUFFIXES_EN:
            name = name.removesuffix(suffix)
        return name

    def __call__(self, adcode: str, lang: str, label: object = None) -> str:
        if isinstance(label, str) and label:  # a party without an adcode: 徐州经济技术开发区
            if lang == "zh":  # the usual short form on the map; the popup has the full name
                return label.replace("经济技术开发区", "经开区")
            kind = next((en for zh, en in self.KINDS_EN if label.endswith(zh)), "Park")
            return f"{self._bare(adcode, lang)} {kind}"
        name = self._bare(adcode, lang)
        if self.levels.get(adcode) != "district":
            return name
        for parent in (adcode[:4] + "00", adcode[:2] + "0000"):
            if parent in self.units.index:
                return f"{self._bare(parent, lang)}·{name}"
        return name


def _pairings(t: dict, seats: dict, names: pd.DataFrame, short: _ShortNames) -> gpd.GeoDataFrame:
    p = t["pairings"].copy()
    # what the map shows of each end and of the pair (its labels and tooltip), never the id
    for lang in ("zh", "en"):
        p[f"helping_short_{lang}"] = [
            short(a, lang, label)
            for a, label in zip(p.helping_adcode, p.helping_label, strict=True)
        ]
        p[f"helped_short_{lang}"] = [short(a, lang) for a in p.helped_adcode]
        p[f"name_{lang}"] = p[f"helping_short_{lang}"] + " → " + p[f"helped_short_{lang}"]
    p.insert(
        3,
        "helping_name_zh",
        [
            names.loc[a, "name_zh"] if pd.isna(label) else label
            for a, label in zip(p.helping_adcode, p.helping_label, strict=True)
        ],
    )
    p.insert(4, "helping_name_en", [names.loc[a, "name_en"] for a in p.helping_adcode])
    p.insert(7, "helped_name_zh", [names.loc[a, "name_zh"] for a in p.helped_adcode])
    p.insert(8, "helped_name_en", [names.loc[a, "name_en"] for a in p.helped_adcode])
    p = p.drop(columns="helping_label")
    lines = [
        geodesic_line(seats[a], seats[b])
        for a, b in zip(p.helping_adcode, p.helped_adcode, strict=True)
    ]
    p["length_km"] = [
        round(geodesic_km(seats[a], seats[b]), 1)
        for a, b in zip(p.helping_adcode, p.helped_adcode, strict=True)
    ]
    totals = (
        t["project_totals"]
        .groupby("pairing_id")
        .agg(
            projects_count=("projects_count", "sum"),
            investment_yi=("investment_yi", lambda s: s.sum(min_count=1)),
        )
    )
    named = t["projects"].groupby("pairing_id").size()
    p["parks_count"] = p["id"].map(t["parks"].groupby("pairing_id").size()).fillna(0).astype(int)
    p["projects_named"] = p["id"].map(named).fillna(0).astype(int)
    p["projects_count"] = p["id"].map(totals["projects_count"]).astype("Int64")
    p["investment_yi"] = p["id"].map(totals["investment_yi"]).astype(float)
    # the totals say which years they cover and where they come from (not the pairing's source)
    by_pair = t["project_totals"].groupby("pairing_id")
    p["totals_years"] = p["id"].map(by_pair.apply(_years, include_groups=False))
    p["totals_source"] = p["id"].map(by_pair["source"].agg(lambda s: " ; ".join(dict.fromkeys(s))))
    return gpd.GeoDataFrame(p, geometry=lines, crs=CRS)


def _years(frame: pd.DataFrame) -> str:
    spans = sorted({(int(a), int(b)) for a, b in zip(frame.year_from, frame.year_to, strict=True)})
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in spans)


def _sited(frame: pd.DataFrame, seats: dict, names: pd.DataFrame, pairings) -> gpd.GeoDataFrame:
    f = frame.copy(deep=False)  # copy on write: the table's columns are shared, not copied
    given = ~np.isnan(f.lon)
    lon = np.where(given, f.lon, [seats[a][0] for a in f.host_adcode])
    lat = np.where(given, f.lat, [seats[a][1] for a in f.host_adcode])
    for lang in ("zh", "en"):
        name = names[f"name_{lang}"].to_dict()
        f[f"host_name_{lang}"] = [name[a] for a in f.host_adcode]
    f["pairing_name_zh"] = f.pairing_id.map(_pair_label(pairings, names))
    f["pairing_name_en"] = f.pairing_id.map(_pair_label(pairings, names, "en"))
    f = f.drop(columns=["lon", "lat"])
    return _points(f, lon, lat)


def _partnerships(t: dict, seats: dict) -> gpd.GeoDataFrame:
    p = t["partnerships"].copy()
    pairs = list(zip(p.helping_adcode, p.helped_adcode, strict=True))
    p["length_km"] = [round(geodesic_km(seats[a], seats[b]), 1) for a, b in pairs]
    return gpd.GeoDataFrame(
        p, geometry=[geodesic_line(seats[a], seats[b]) for a, b in pairs], crs=CRS
    )


#: The corridor's name, for the line that joins its members.
CORRIDOR_NAME = ("长三角G60科创走廊", "Yangtze River Delta G60 S&T Innovation Corridor")


def _first(values: pd.Series | None) -> object:
    """The first value of ``values`` that is not empty (None when there is none)."""
    given = values.dropna() if values is not None else ()
    return given.iloc[0] if len(given) else None


def _corridor(frame: pd.DataFrame, seats: dict, names: pd.DataFrame) -> gpd.GeoDataFrame:
    members = frame[frame.role == "member"].sort_values("seq", kind="stable")
    member_codes = list(members.adcode)
    rows, geoms = [], []
    for r in members.itertuples(index=False):
        rows.append(
            {
                "id": r.adcode,
                "kind": "member",
                "adcode": r.adcode,
                "name_zh": names.loc[r.adcode, "name_zh"],
                "name_en": names.loc[r.adcode, "name_en"],
                "from_adcode": None,
                "seq": r.seq,
                "status": None,
                "link_drawn": None,
                "since": r.since,
                "length_km": np.nan,
                "confidence": r.confidence,
                "source": r.source,
                "note": r.note,
                "note_en": getattr(r, "note_en", None),
                "updated": r.updated,
            }
        )
        geoms.append(Point(seats[r.adcode]))
    if len(member_codes) >= 2:
        # one line through the members in the corridor's order (seq): it reads as a corridor
        order = [seats[m] for m in member_codes]
        rows.append(
            {
                "id": "G60",
                "kind": "line",
                "adcode": None,
                "name_zh": CORRIDOR_NAME[0],
                "name_en": CORRIDOR_NAME[1],
                "from_adcode": None,
                "seq": pd.NA,
                "status": None,
                "link_drawn": None,
                "since": pd.NA,
                "length_km": round(sum(geodesic_km(a, b) for a, b in itertools.pairwise(order)), 1),
                "confidence": members.confidence.iloc[0],
                "source": " ; ".join(dict.fromkeys(members.source.dropna())),
                "note": members.note.dropna().iloc[0] if members.note.notna().any() else None,
                "note_en": _first(members.get("note_en")),
                "updated": max(members.updated.dropna(), default=None),
            }
        )
        geoms.append(LineString(order))
    for r in frame[frame.role != "member"].itertuples(index=False):
        given = pd.notna(r.link_from)
        origin = (
            r.link_from
            if given
            else member_codes[nearest(seats[r.adcode], [seats[m] for m in member_codes])]
        )
        rows.append(
            {
                "id": f"link-{origin}-{r.adcode}",
                "kind": "link",
                "adcode": r.adcode,
                "name_zh": f"{names.loc[origin, 'name_zh']}—{names.loc[r.adcode, 'name_zh']}",
                "name_en": f"{names.loc[origin, 'name_en']} – {names.loc[r.adcode, 'name_en']}",
                "from_adcode": origin,
                "seq": pd.NA,
                "status": r.status,
                # how the line's start was chosen: the data's link_from, or computed
                "link_drawn": "link_from" if given else "nearest_member",
                "since": r.since,
                "length_km": round(geodesic_km(seats[origin], seats[r.adcode]), 1),
                "confidence": r.confidence,
                "source": r.source,
                "note": r.note,
                "note_en": getattr(r, "note_en", None),
                "updated": r.updated,
            }
        )
        geoms.append(geodesic_line(seats[origin], seats[r.adcode]))
    out = pd.DataFrame(rows)
    out["since"] = out["since"].astype("Int64")
    out["seq"] = out["seq"].astype("Int64")
    return gpd.GeoDataFrame(out, geometry=geoms, crs=CRS)
