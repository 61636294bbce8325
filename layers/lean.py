"""The lean map payload of a point layer: ids, coordinates and the few properties the map styles
and filters on, as compact columnar JSON.

A point layer with more than :data:`LEAN_ABOVE` features is drawn by the map from this payload
instead of its GeoJSON (``wanbei.js`` decodes it and draws the points on one canvas); a popup
fetches the whole feature from the OGC API when it is opened. The payload of 100,000 project
sites is about a tenth of their GeoJSON and parses in a fraction of the time.

The format (``type`` = :data:`LEAN_TYPE`)::

    {"type": "wanbei.lean", "layer": "projects", "version": "...", "count": 2,
     "ids": ["PR-1", "PR-2"], "lon": [117.1, 116.9], "lat": [33.6, 32.9],
     "properties": {"status": {"values": ["signed", null], "codes": [0, 1]}, ...}}

Each property is dictionary-encoded: ``values`` holds its distinct values (JSON as in the
layer's GeoJSON, ``null`` for a missing one) and ``codes`` the index into ``values`` of each
feature, in the order of ``ids``; a property whose values are mostly distinct (the names shown on
hover) is a plain ``list`` instead. A feature without a geometry has ``null`` coordinates.

The payloads are kept gzip-compressed (:class:`LeanBody`; the web app sends the stored bytes to
a client that accepts gzip): 1.5 MB instead of 7 MB per language at 100,000 sites. Each is
written and compressed :data:`CHUNK` features at a time, so its whole text is never held.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.dataset import Dataset
from layers.geojson import DECIMALS, dumps, json_value
from layers.i18n import LANGS, Lang
from layers.localize import localize_frame
from layers.registry import REGISTRY, LayerSpec

#: A point layer with more features than this is served and drawn lean (the same threshold as
#: ``wanbei.CANVAS_ABOVE`` in ``webapp/static/wanbei.js``); the shipped layers stay GeoJSON.
LEAN_ABOVE = 2000
#: The ``type`` member of a lean payload.
LEAN_TYPE = "wanbei.lean"
#: Properties shown beside the map (the pair column of ``tables.js``), carried when the layer
#: has them, besides the tooltip property (shown on hover).
SHOWN_PROPERTIES = ("pairing_name_zh",)


def lean_properties(spec: LayerSpec, columns: Iterable[str]) -> tuple[str, ...]:
    """The properties a lean payload of ``spec`` carries.

    Parameters
    ----------
    spec : LayerSpec
        The layer's registry entry.
    columns : iterable of str
        The columns the layer has.

    Returns
    -------
    tuple of str
        The variant properties (styles), the timeline properties (the year slider),
        its ``filters`` (what the officials' tools filter on: ``officials.js``'s pair, sector and
        status filters; ``sector`` is localized as in the layer's GeoJSON for the map, and a
        feature passes when it carries the filter's label in the page's language), the tooltip
        property (shown on hover) and
        :data:`SHOWN_PROPERTIES`, in that order, each once, those the layer has.
    """
    have = set(columns)
    wanted = [v.prop for v in spec.variants] + list(spec.timeline) + list(spec.filters)
    wanted += [spec.tooltip, *SHOWN_PROPERTIES]
    return tuple(dict.fromkeys(p for p in wanted if p in have and p != "id"))


def lean_layers(
    layers: Mapping[str, gpd.GeoDataFrame],
    registry: tuple[LayerSpec, ...] = REGISTRY,
    above: int = LEAN_ABOVE,
) -> tuple[str, ...]:
    """The ids of the point layers with more than ``above`` features (drawn lean by the map).

    Parameters
    ----------
    layers : mapping of str to geopandas.GeoDataFrame
        The dataset's layers.
    registry : tuple of LayerSpec
        The layers to consider, in registry order.
    above : int
        The threshold (:data:`LEAN_ABOVE`).

    Returns
    -------
    tuple of str
    """
    return tuple(
        spec.id
        for spec in registry
        if spec.geometry == "point" and spec.id in layers and len(layers[spec.id]) > above
    )


def lean_payload(spec: LayerSpec, gdf: gpd.GeoDataFrame, version: str = "") -> dict[str, Any]:
    """The lean payload of one point layer (see the module's docstring for the format).

    Parameters
    ----------
    spec : LayerSpec
        A layer whose ``geometry`` is ``"point"``.
    gdf : geopandas.GeoDataFrame
        Its features in EPSG:4326, with an ``id`` column; every geometry a Point (or missing).
    version : str
        The data version, recorded in the payload.

    Returns
    -------
    dict
        JSON-ready; coordinates rounded to :data:`layers.geojson.DECIMALS` like the GeoJSON.

    Raises
    ------
    ValueError
        If the layer is not a point layer, lacks ids, is not in EPSG:4326 or holds another
        geometry type; the message names what was found.
    """
    _check(spec, gdf)
    return json.loads(b"".join(_payload_parts(spec, gdf, version)))


def lean_json(spec: LayerSpec, gdf: gpd.GeoDataFrame, version: str = "") -> LeanBody:
    """The lean payload of one point layer as compact JSON, gzip-compressed.

    The text is written and compressed :data:`CHUNK` features at a time, so it is never held
    whole; once decompressed it is :func:`layers.geojson.dumps` of :func:`lean_payload`.

    Parameters
    ----------
    spec, gdf, version
        As for :func:`lean_payload`.

    Returns
    -------
    LeanBody
        The gzip member and the size of the JSON text in bytes.

    Raises
    ------
    ValueError
        As :func:`lean_payload`.
    """
    _check(spec, gdf)
    return _gzipped(_payload_parts(spec, gdf, version))


def _check(spec: LayerSpec, gdf: gpd.GeoDataFrame) -> None:
    if spec.geometry != "point":
        raise ValueError(
            f"Expected a point layer for a lean payload, instead got {spec.id!r} "
            f"of geometry {spec.geometry!r}"
        )
    if "id" not in gdf.columns:
        raise ValueError(f"Expected an 'id' column in layer {spec.id!r}, found none")
    if gdf.crs is None or gdf.crs.to_epsg() != 4326:
        raise ValueError(
            f"Expected layer {spec.id!r} in EPSG:4326, got CRS {gdf.crs!r}; "
            "reproject it with .to_crs(4326) first"
        )


#: Features (list items) encoded at a time: a payload's text is written piece by piece.
CHUNK = 2000


def _payload_parts(spec: LayerSpec, gdf: gpd.GeoDataFrame, version: str) -> Iterator[bytes]:
    """The compact JSON of the payload, piece by piece (never the whole text at once): the same
    bytes as :func:`layers.geojson.dumps` of the payload's dict."""
    geoms = gdf.geometry
    present = geoms.notna() & ~geoms.is_empty
    kinds = set(geoms[present].geom_type)
    if kinds - {"Point"}:
        raise ValueError(
            f"Expected only Point geometries in layer {spec.id!r}, instead got: "
            f"{', '.join(sorted(kinds))}"
        )
    lon = np.full(len(gdf), np.nan)
    lat = np.full(len(gdf), np.nan)
    lon[present.to_numpy()] = np.round(geoms[present].x.to_numpy(), DECIMALS)
    lat[present.to_numpy()] = np.round(geoms[present].y.to_numpy(), DECIMALS)
    head = {"type": LEAN_TYPE, "layer": spec.id, "version": version, "count": len(gdf)}
    yield dumps(head)[:-1] + b',"ids":'
    ids = gdf["id"].astype(object).to_numpy()
    yield from _list(len(ids), lambda a, b: [json_value(v) for v in ids[a:b].tolist()])
    yield b',"lon":'
    yield from _list(len(lon), lambda a, b: _floats(lon[a:b]))
    yield b',"lat":'
    yield from _list(len(lat), lambda a, b: _floats(lat[a:b]))
    yield b',"properties":{'
    for i, name in enumerate(lean_properties(spec, gdf.columns)):
        yield (b"," if i else b"") + dumps(name) + b":"
        yield from _dictionary(gdf[name])
    yield b"}}"


def _list(n: int, items: Callable[[int, int], list]) -> Iterator[bytes]:
    """A JSON array of ``n`` items, :data:`CHUNK` at a time (``items(start, stop)``)."""
    yield b"["
    for start in range(0, n, CHUNK):
        yield (b"," if start else b"") + dumps(items(start, start + CHUNK))[1:-1]
    yield b"]"


def _floats(values: np.ndarray) -> list[float | None]:
    if not np.isnan(values).any():
        return values.tolist()
    return [None if v != v else v for v in values.tolist()]  # NaN != NaN


def _dictionary(column: pd.Series) -> Iterator[bytes]:
    """``column`` dictionary-encoded (its distinct values and one code per row), or as a plain
    ``list`` when most of its values are distinct (names), as JSON."""
    values = column.astype(object).to_numpy()
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    if len(uniques) > len(column) / 2:
        del codes, uniques
        yield b'{"list":'
        yield from _list(len(values), lambda a, b: [json_value(v) for v in values[a:b].tolist()])
    else:
        yield b'{"values":' + dumps([json_value(v) for v in uniques]) + b',"codes":'
        yield from _list(len(codes), lambda a, b: codes[a:b].tolist())
    yield b"}"


#: The zlib compression level of the payloads (as :data:`webapp.transfer.GZIP_LEVEL`).
GZIP_LEVEL = 6


class LeanBody(NamedTuple):
    """One lean payload kept gzip-compressed."""

    data: bytes  # a gzip member
    size: int  # bytes of the JSON once decompressed


def _gzipped(parts: Iterable[bytes], level: int = GZIP_LEVEL) -> LeanBody:
    compressor = zlib.compressobj(level, zlib.DEFLATED, 31)  # 31: a gzip header and trailer
    out: list[bytes] = []
    size = 0
    for part in parts:
        size += len(part)
        out.append(compressor.compress(part))
    out.append(compressor.flush())
    return LeanBody(b"".join(out), size)


@dataclass(frozen=True)
class LeanBodies:
    """The lean payload of every point layer of one data version, in every language."""

    version: str
    #: The layers the map draws lean (more than :data:`LEAN_ABOVE` features).
    big: tuple[str, ...]
    #: ``(layer id, lang)`` -> the payload's compact JSON, gzip-compressed (about a fifth of
    #: the text: 1.5 MB instead of 7 MB for 100,000 sites).
    bodies: dict[tuple[str, Lang], LeanBody]

    def layer_ids(self) -> list[str]:
        """The layers that have a lean payload (every point layer)."""
        return list(dict.fromkeys(layer for layer, _lang in self.bodies))


def prepare_lean(dataset: Dataset, registry: tuple[LayerSpec, ...] = REGISTRY) -> LeanBodies:
    """Build the lean payloads of every point layer of ``dataset`` in every language, once.

    Parameters
    ----------
    dataset : geo.dataset.Dataset
        A validated dataset (its ``layers`` and ``version`` are read).
    registry : tuple of LayerSpec
        The layers.

    Returns
    -------
    LeanBodies
        Each payload kept gzip-compressed (:func:`lean_json`). The properties carried are
        localized as the layer's GeoJSON for the map is (:func:`layers.localize.localize_frame`):
        the ids and coordinates are the same in every language.
    """
    bodies: dict[tuple[str, Lang], LeanBody] = {}
    for spec in registry:
        if spec.geometry != "point" or spec.id not in dataset.layers:
            continue
        gdf = dataset.layers[spec.id]
        carried = lean_properties(spec, gdf.columns)
        # the English siblings of the names too: localize_frame reads them
        english = [f"{c[:-3]}_en" for c in carried if c.endswith("_zh")]
        columns = ["id", *carried, *(c for c in english if c in gdf.columns), gdf.geometry.name]
        lean = gdf[columns]
        for lang in LANGS:
            # one language at a time: its localized frame and compressed text, never the text
            bodies[(spec.id, lang)] = lean_json(spec, localize_frame(lean, lang), dataset.version)
    return LeanBodies(
        version=dataset.version, big=lean_layers(dataset.layers, registry), bodies=bodies
    )


__all__ = [
    "SHOWN_PROPERTIES",
    "LEAN_ABOVE",
    "LEAN_TYPE",
    "LeanBodies",
    "LeanBody",
    "lean_json",
    "lean_layers",
    "lean_payload",
    "lean_properties",
    "prepare_lean",
]
