"""GeoDataFrames as RFC 7946 GeoJSON: WGS84, no ``crs`` member, 6 decimals, CCW exteriors.

A layer's text is written once (:func:`geojson_text`): the whole FeatureCollection's bytes and
the offsets of each feature in them, so that a page of features is a join of slices of the same
bytes, not a second copy of the text.
"""

from __future__ import annotations

import io
import json
import math
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

DECIMALS = 6
#: Features converted to dicts at a time while writing a layer's text: bounds the memory of the
#: intermediate Python objects (the text itself is the only thing that grows with the layer).
CHUNK = 2000
_HEAD = b'{"type":"FeatureCollection","features":['
_TAIL = b"]}"


def to_feature_collection(gdf: gpd.GeoDataFrame, decimals: int = DECIMALS) -> dict[str, Any]:
    """Return ``gdf`` as an RFC 7946 FeatureCollection (a dict).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        In EPSG:4326, with an ``id`` column (used as each feature's ``id``).
    decimals : int
        Coordinates are rounded to this many decimals (6 is about 0.1 m).

    Returns
    -------
    dict
        Polygons have counter-clockwise exterior rings and clockwise holes; missing values are
        ``null``; there is no ``crs`` member (RFC 7946 is always WGS84).
    """
    _check_crs(gdf)
    return {"type": "FeatureCollection", "features": list(_features(gdf, decimals))}


def to_geojson_bytes(gdf: gpd.GeoDataFrame, decimals: int = DECIMALS) -> bytes:
    """Return ``gdf`` as compact UTF-8 GeoJSON bytes (see :func:`to_feature_collection`)."""
    return geojson_text(gdf, decimals).body


@dataclass(frozen=True, eq=False)
class GeoJsonText:
    """A FeatureCollection's compact bytes and where each feature's text lies in them.

    Feature ``i`` is ``body[starts[i]:ends[i]]``; consecutive features are separated by one
    comma, so the features ``i..j`` are the single slice ``body[starts[i]:ends[j]]``.
    """

    body: bytes
    starts: np.ndarray  # int64 offsets of each feature's first byte
    ends: np.ndarray  # int64 offsets just past each feature's last byte

    def __len__(self) -> int:
        return len(self.starts)

    def feature(self, position: int) -> bytes:
        """The text of the feature at ``position`` (a GeoJSON Feature object)."""
        return self.body[int(self.starts[position]) : int(self.ends[position])]

    def features(self, positions: Iterable[int] | np.ndarray) -> bytes:
        """The features at ``positions``, comma-separated (the inside of a JSON array).

        Parameters
        ----------
        positions : iterable of int
            Feature positions, in the order wanted (a selection is sorted; any order works).

        Returns
        -------
        bytes
            Equal to ``b",".join(feature(i) for i in positions)``, built from one slice per
            run of consecutive positions (a whole page of an unfiltered layer is one slice).
        """
        pos = (
            np.fromiter(positions, dtype=np.int64)
            if not isinstance(positions, np.ndarray)
            else positions
        )
        if pos.size == 0:
            return b""
        cut = np.flatnonzero(np.diff(pos) != 1) + 1
        first = pos[np.concatenate(([0], cut))]
        last = pos[np.concatenate((cut, [pos.size])) - 1]
        if first.min() < 0 or last.min() < 0:
            raise IndexError("feature positions must not be negative")
        view = memoryview(self.body)
        spans = zip(self.starts[first].tolist(), self.ends[last].tolist(), strict=True)
        return b",".join([view[a:b] for a, b in spans])


def geojson_text(gdf: gpd.GeoDataFrame, decimals: int = DECIMALS) -> GeoJsonText:
    """Write ``gdf`` as compact GeoJSON once, remembering where each feature is.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        In EPSG:4326, with an ``id`` column (see :func:`to_feature_collection`).
    decimals : int
        Coordinates are rounded to this many decimals.

    Returns
    -------
    GeoJsonText
        Its ``body`` is byte for byte ``dumps(to_feature_collection(gdf, decimals))``; the
        features are converted :data:`CHUNK` at a time, so no list of every feature's dict or
        text is held besides the body.
    """
    buffer = io.BytesIO()
    starts, ends = _write(gdf, decimals, buffer.write)
    return GeoJsonText(body=buffer.getvalue(), starts=starts, ends=ends)


def gzip_geojson(
    gdf: gpd.GeoDataFrame,
    decimals: int = DECIMALS,
    level: int = 6,
    transform: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame] | None = None,
) -> tuple[bytes, int]:
    """Write ``gdf`` as gzip-compressed compact GeoJSON without holding the uncompressed text.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        In EPSG:4326, with an ``id`` column.
    decimals : int
        Coordinates are rounded to this many decimals.
    level : int
        The zlib compression level.
    transform : callable, optional
        Applied to each chunk of :data:`CHUNK` rows before it is written (e.g. a translation of
        its texts), so that a transformed copy of the whole layer is never held; it must keep
        the chunk's rows, in order.

    Returns
    -------
    (bytes, int)
        A gzip member whose content is :func:`to_geojson_bytes` of ``gdf`` (transformed), and
        the size of that content in bytes.
    """
    compressor = zlib.compressobj(level, zlib.DEFLATED, 31)  # 31: a gzip header and trailer
    parts: list[bytes] = []
    size = 0

    def write(data: bytes) -> None:
        nonlocal size
        size += len(data)
        parts.append(compressor.compress(data))

    _write(gdf, decimals, write, transform)
    parts.append(compressor.flush())
    return b"".join(parts), size


def _write(
    gdf: gpd.GeoDataFrame,
    decimals: int,
    write: Callable[[bytes], object],
    transform: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    _check_crs(gdf)
    starts = np.empty(len(gdf), dtype=np.int64)
    ends = np.empty(len(gdf), dtype=np.int64)
    write(_HEAD)
    offset = len(_HEAD)
    for i, feature in enumerate(_features(gdf, decimals, transform)):
        if i:
            write(b",")
            offset += 1
        text = dumps(feature)
        write(text)
        starts[i], offset = offset, offset + len(text)
        ends[i] = offset
    write(_TAIL)
    return starts, ends


def _check_crs(gdf: gpd.GeoDataFrame) -> None:
    if gdf.crs is None or gdf.crs.to_epsg() != 4326:
        raise ValueError(
            f"Expected a GeoDataFrame in EPSG:4326, got CRS {gdf.crs!r}; "
            "reproject it with .to_crs(4326) first"
        )


def _features(
    gdf: gpd.GeoDataFrame,
    decimals: int,
    transform: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame] | None = None,
) -> Iterator[dict[str, Any]]:
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    for start in range(0, len(gdf), CHUNK):
        part = gdf.iloc[start : start + CHUNK]
        if transform is not None:
            part = transform(part)
            if len(part) != min(CHUNK, len(gdf) - start):
                raise ValueError("transform must keep the rows of each chunk")
        geoms = _rfc7946_geometries(part.geometry.values, decimals)
        records = part[columns].astype(object).to_dict("records")
        for props, geom in zip(records, geoms, strict=True):
            clean = {k: _json_value(v) for k, v in props.items()}
            feature: dict[str, Any] = {"type": "Feature"}
            if clean.get("id") is not None:
                feature["id"] = clean["id"]
            feature |= {"geometry": geom, "properties": clean}
            yield feature


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON, Chinese left as is, NaN refused."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def _rfc7946_geometries(geoms: np.ndarray, decimals: int) -> list[dict | None]:
    geoms = shapely.orient_polygons(geoms, exterior_cw=False)
    geoms = shapely.transform(geoms, lambda xy: np.round(xy, decimals))
    return [None if g is None else shapely.geometry.mapping(g) for g in geoms]


def _json_value(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float | np.floating):
        return None if math.isnan(v) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v
