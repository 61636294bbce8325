"""GeoDataFrames as RFC 7946 GeoJSON: WGS84, no ``crs`` member, 6 decimals, CCW exteriors.

A layer's text is written once (:func:`geojson_text`) and kept gzip-compressed: one gzip member
(the whole-layer download as it is sent) made of blocks that inflate on their own, and the offsets
of each block and of each feature, so that a page of features inflates only the blocks it needs.
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
#: Bytes of text per independently compressed block of a layer's text (:func:`geojson_text`):
#: reading a feature inflates about this much; each block starts without the previous text as
#: its dictionary, which makes the stream about 30% larger than one plain gzip member (4.5 MB
#: instead of 3.5 MB for the 58 MB of 100,000 projects).
BLOCK = 64 * 1024
_GZIP_HEADER = 10  # the gzip header zlib writes (no name, comment or extra field)
_GZIP_TRAILER = 8  # CRC-32 and ISIZE


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
    buffer = io.BytesIO()
    write_features(gdf, decimals, buffer.write)
    return buffer.getvalue()


@dataclass(frozen=True, eq=False)
class GeoJsonText:
    """A FeatureCollection's compact text kept gzip-compressed, with random access to features.

    ``data`` is one gzip member (header, deflate data, CRC-32 and size) whose content is the
    whole FeatureCollection: the whole-layer download as it is. The deflate data was flushed
    with ``Z_FULL_FLUSH`` every :data:`BLOCK` bytes of text or so, only between two features,
    so block ``k`` (the text from ``blocks[k]`` to ``blocks[k + 1]``, deflated in
    ``data[offsets[k]:offsets[k + 1]]``) inflates on its own and holds whole features. Feature
    ``i`` is the text from ``starts[i]`` to ``ends[i]``; consecutive features are separated by
    one comma.
    """

    data: bytes  # a gzip member
    size: int  # bytes of the text (decompressed)
    starts: np.ndarray  # int64 text offsets of each feature's first byte
    ends: np.ndarray  # int64 text offsets just past each feature's last byte
    blocks: np.ndarray  # int64 text offset where each block starts, then ``size``
    offsets: np.ndarray  # int64 offset in ``data`` of each block's deflate data, then its end

    def __len__(self) -> int:
        return len(self.starts)

    @property
    def body(self) -> bytes:
        """The whole text, decompressed (for tests and exports; requests are served ``data``)."""
        return zlib.decompress(self.data, 31)

    def feature(self, position: int) -> bytes:
        """The text of the feature at ``position`` (a GeoJSON Feature object)."""
        start, end = int(self.starts[position]), int(self.ends[position])
        k = int(np.searchsorted(self.blocks, start, side="right")) - 1
        first = int(self.blocks[k])
        return self._inflate(k)[start - first : end - first]

    def features(self, positions: Iterable[int] | np.ndarray) -> bytes:
        """The features at ``positions``, comma-separated (the inside of a JSON array).

        Parameters
        ----------
        positions : iterable of int
            Feature positions, in the order wanted (a selection is sorted; any order works).

        Returns
        -------
        bytes
            Equal to ``b",".join(feature(i) for i in positions)``. Each run of consecutive
            positions is one span of the text; the blocks the spans lie in are inflated once
            each, in order, and only one of them is held at a time.
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
        lo, hi = self.starts[first], self.ends[last]
        # Each span is cut at the block edges it crosses: one segment per (span, block).
        k_lo = np.searchsorted(self.blocks, lo, side="right") - 1
        k_hi = np.searchsorted(self.blocks, hi - 1, side="right") - 1
        counts = k_hi - k_lo + 1
        span = np.repeat(np.arange(len(lo)), counts)
        within = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        block = k_lo[span] + within
        seg_lo = np.maximum(lo[span], self.blocks[block]) - self.blocks[block]
        seg_hi = np.minimum(hi[span], self.blocks[block + 1]) - self.blocks[block]
        pieces: list[bytes] = [b""] * len(block)
        order = np.argsort(block, kind="stable").tolist()
        block_l, lo_l, hi_l = block.tolist(), seg_lo.tolist(), seg_hi.tolist()
        current, text = -1, b""
        for s in order:
            if block_l[s] != current:
                current = block_l[s]
                text = self._inflate(current)
            pieces[s] = text[lo_l[s] : hi_l[s]]
        del text
        parts: list[bytes] = []
        for s, w in enumerate(within.tolist()):
            if s and not w:
                parts.append(b",")
            parts.append(pieces[s])
        return b"".join(parts)

    def _inflate(self, k: int) -> bytes:
        deflated = memoryview(self.data)[int(self.offsets[k]) : int(self.offsets[k + 1])]
        text = zlib.decompressobj(-15).decompress(deflated)  # -15: raw deflate data
        if len(text) != int(self.blocks[k + 1]) - int(self.blocks[k]):
            raise ValueError(f"block {k} of the compressed GeoJSON text is damaged")
        return text


def geojson_text(
    gdf: gpd.GeoDataFrame, decimals: int = DECIMALS, level: int = 6, block: int | None = None
) -> GeoJsonText:
    """Write ``gdf`` as compact GeoJSON once, gzip-compressed, remembering where each feature is.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        In EPSG:4326, with an ``id`` column (see :func:`to_feature_collection`).
    decimals : int
        Coordinates are rounded to this many decimals.
    level : int
        The zlib compression level.
    block : int, optional
        Bytes of text per independently compressed block (default :data:`BLOCK`); a block is
        cut only between features, and a feature longer than this is a block of its own.

    Returns
    -------
    GeoJsonText
        Its ``data`` decompresses to ``dumps(to_feature_collection(gdf, decimals))``. The features
        are converted :data:`CHUNK` at a time and compressed as they are written, so neither
        every feature's dict nor the uncompressed text is ever held.
    """
    block = BLOCK if block is None else block
    compressor = zlib.compressobj(level, zlib.DEFLATED, 31)  # 31: a gzip header and trailer
    parts: list[bytes] = []
    written = 0  # compressed bytes so far
    blocks = [0]
    offsets = [-1]  # the first block's deflate data starts after the gzip header (below)

    def put(data: bytes) -> None:
        nonlocal written
        if data:
            parts.append(data)
            written += len(data)

    def before_feature(offset: int, length: int) -> None:
        if offset > blocks[-1] and offset - blocks[-1] + length > block:
            put(compressor.flush(zlib.Z_FULL_FLUSH))  # what follows inflates on its own
            blocks.append(offset)
            offsets.append(written)

    def write(text: bytes) -> None:
        put(compressor.compress(text))

    starts, ends, size = write_features(gdf, decimals, write, before_feature=before_feature)
    put(compressor.flush())
    data = b"".join(parts)
    parts.clear()
    if data[:4] != b"\x1f\x8b\x08\x00":  # no optional header fields: 10 bytes
        raise RuntimeError("zlib wrote an unexpected gzip header")
    offsets[0] = _GZIP_HEADER
    blocks.append(size)
    offsets.append(len(data) - _GZIP_TRAILER)
    return GeoJsonText(
        data=data,
        size=size,
        starts=starts,
        ends=ends,
        blocks=np.array(blocks, dtype=np.int64),
        offsets=np.array(offsets, dtype=np.int64),
    )


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
    _, _, size = write_features(
        gdf, decimals, lambda b: parts.append(compressor.compress(b)), transform
    )
    parts.append(compressor.flush())
    return b"".join(parts), size


def write_features(
    gdf: gpd.GeoDataFrame,
    decimals: int,
    write: Callable[[bytes], object],
    transform: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame] | None = None,
    before_feature: Callable[[int, int], object] | None = None,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Write ``gdf`` as an RFC 7946 FeatureCollection piece by piece, by calling ``write``;
    return each feature's start and end, and the text's size. ``transform`` is applied to each
    chunk of rows before it is written (it must keep the rows, e.g. a translation).

    ``before_feature(offset, length)`` is called before each feature's text is written (after
    the comma that precedes it) with its offset and length in bytes."""
    _check_crs(gdf)
    starts = np.empty(len(gdf), dtype=np.int64)
    ends = np.empty(len(gdf), dtype=np.int64)
    write(_HEAD)
    offset = len(_HEAD)
    for i, feature in enumerate(_features(gdf, decimals, transform)):
        text = dumps(feature)
        if i:
            write(b",")
            offset += 1
        if before_feature is not None:
            before_feature(offset, len(text))
        write(text)
        starts[i], offset = offset, offset + len(text)
        ends[i] = offset
    write(_TAIL)
    return starts, ends, offset + len(_TAIL)


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
            clean = {k: json_value(v) for k, v in props.items()}
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


def json_value(v: Any) -> Any:
    """``v`` as a JSON value: a missing value (None, NA, NaT, NaN) is None, numpy scalars are
    Python numbers and booleans."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float | np.floating):
        return None if math.isnan(v) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v
