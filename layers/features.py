"""Feature collections for the OGC API and the downloads: metadata, extents and queries.

Everything here is built once per data version (:func:`build_catalog`) and only read by
requests: a spatial index per layer, the layer's GeoJSON text (one copy, gzip-compressed in
blocks that inflate on their own: the whole-layer download, with the offsets of each feature in
it), the time span of each feature and an index of the values of each queryable property. A
request parses its parameters with :func:`parse_query` (which raises :class:`QueryError` naming
the parameter at fault), selects with :meth:`Collection.select` and assembles its page from the
blocks of that text it needs.

No web framework here: :mod:`webapp.ogc` adapts these functions to HTTP.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import json
import math
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.dataset import Dataset
from geo.schema import TABLES
from layers.geojson import GeoJsonText, dumps, geojson_text
from layers.registry import REGISTRY, LayerSpec

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
#: ``limit`` when a request gives none, and the largest ``limit`` honoured (a larger one is
#: served as this maximum, as OGC API - Features Part 1 asks).
LIMIT_DEFAULT = 100
LIMIT_MAX = 10_000
#: Query parameters of ``items`` besides the queryable properties (``f`` is the format).
#: ``crs`` and ``bbox-crs`` (OGC API - Features Part 2) accept only CRS84, the one CRS served.
ITEMS_PARAMETERS = ("bbox", "bbox-crs", "crs", "datetime", "limit", "offset")
_PAGING = ("limit", "offset")

_YEAR_MONTH_DAY = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_DATE_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)
_OPEN = ("..", "")
_NO_TIME = -1  # day ordinal of a feature without a date: it never matches ``datetime``


class QueryError(ValueError):
    """A request parameter that cannot be honoured.

    Parameters
    ----------
    parameter : str
        The query or path parameter at fault (``bbox``, ``limit``, ``collectionId``…).
    description : str
        What was wrong and what would be right, for a person.
    kind : {"invalid", "not_found"}
        ``invalid`` for a malformed value; ``not_found`` for a collection or feature that does
        not exist (HTTP maps them to 400 and 404).
    """

    def __init__(
        self,
        parameter: str,
        description: str,
        kind: Literal["invalid", "not_found"] = "invalid",
    ) -> None:
        super().__init__(description)
        self.parameter, self.description, self.kind = parameter, description, kind


@dataclass(frozen=True)
class Queryable:
    """A property a collection can be filtered on by equality, as ``?name=value``."""

    name: str
    title: str
    type: Literal["string", "integer", "number"]
    description: str = ""
    enum: tuple[str, ...] = ()


@dataclass(frozen=True)
class Query:
    """A parsed ``items`` (or download) request."""

    bbox: tuple[float, float, float, float] | None = None
    interval: tuple[int, int] | None = None  # first and last day (proleptic ordinals), inclusive
    filters: tuple[tuple[str, Any], ...] = ()
    limit: int = LIMIT_DEFAULT
    offset: int = 0

    @property
    def filtered(self) -> bool:
        """Whether the query selects fewer than all features."""
        return self.bbox is not None or self.interval is not None or bool(self.filters)


@dataclass
class Collection:
    """One layer, prepared for queries: see :func:`build_collection`."""

    spec: LayerSpec
    gdf: gpd.GeoDataFrame
    text: GeoJsonText  # the layer's GeoJSON, gzipped (the download), and each feature's place
    ids: FeatureIds
    bounds: tuple[float, float, float, float] | None
    days: tuple[np.ndarray, np.ndarray]  # first and last day of each feature, _NO_TIME if none
    queryables: dict[str, Queryable]
    values: dict[str, dict[Any, np.ndarray]]  # queryable -> value -> sorted feature indices
    _sindex: Any = field(default=None, repr=False)  # STRtree (GeoDataFrame.sindex): not points
    _points: PointIndex | None = field(default=None, repr=False)  # a layer of points only

    @property
    def id(self) -> str:
        """The collection id: the layer id."""
        return self.spec.id

    def __len__(self) -> int:
        return len(self.text)

    @property
    def temporal_extent(self) -> tuple[str, str] | None:
        """First and last instant of the features' dates (RFC 3339, UTC), or None without dates."""
        first, last = self.days
        known = first != _NO_TIME
        if not known.any():
            return None
        start = dt.date.fromordinal(int(first[known].min()))
        end = dt.date.fromordinal(int(last[known].max()))
        return f"{start.isoformat()}T00:00:00Z", f"{end.isoformat()}T23:59:59Z"

    def feature_index(self, feature_id: str) -> int:
        """The position of feature ``feature_id``; raise QueryError (not found) if absent."""
        position = self.ids.position(feature_id)
        if position is None:
            raise QueryError(
                "featureId",
                f"Collection {self.id!r} has no feature {feature_id!r}.",
                "not_found",
            )
        return position

    def select(self, query: Query) -> np.ndarray | None:
        """The sorted positions of the features ``query`` matches; None when it matches all."""
        if not query.filtered:
            return None
        mask = np.ones(len(self), dtype=bool)
        if query.bbox is not None:
            mask &= self._bbox_mask(query.bbox)
        if query.interval is not None:
            lo, hi = query.interval
            first, last = self.days
            mask &= (first != _NO_TIME) & (first <= hi) & (last >= lo)
        for name, value in query.filters:
            hits = np.zeros(len(self), dtype=bool)
            hits[self.values[name].get(value, np.empty(0, dtype=np.int64))] = True
            mask &= hits
        return np.flatnonzero(mask)

    def page(self, selected: np.ndarray | None, limit: int, offset: int) -> np.ndarray:
        """The positions of one page of ``selected`` (all features when None)."""
        if selected is None:
            return np.arange(min(offset, len(self)), min(offset + limit, len(self)))
        return selected[offset : offset + limit]

    def features_json(self, positions: Iterable[int]) -> bytes:
        """The GeoJSON features at ``positions``, comma-separated (the inside of an array)."""
        return self.text.features(positions)

    def subset(self, selected: np.ndarray | None) -> gpd.GeoDataFrame:
        """The GeoDataFrame of ``selected`` (the whole layer when None)."""
        return self.gdf if selected is None else self.gdf.iloc[selected]

    def _bbox_mask(self, bbox: tuple[float, float, float, float]) -> np.ndarray:
        minx, miny, maxx, maxy = bbox
        # A bbox whose west edge is east of its east edge crosses the antimeridian (OGC API -
        # Features Part 1, 7.15.3): it is the union of [minx, 180] and [-180, maxx].
        crosses = minx > maxx
        boxes = [(minx, miny, maxx, maxy)]
        if crosses:
            boxes = [(minx, miny, 180.0, maxy), (-180.0, miny, maxx, maxy)]
        mask = np.zeros(len(self), dtype=bool)
        for b in boxes:
            if self._points is not None:
                mask[self._points.query(b)] = True
            else:
                mask[self._sindex.query(shapely.box(*b), predicate="intersects")] = True
        return mask


@dataclass(frozen=True)
class FeatureIds:
    """Feature ids, sorted, with their positions: a lookup is a binary search.

    Two arrays instead of a dict of 100,000 ids (and as many int objects): a third of the
    memory, and ``O(log n)`` per lookup, which only single-feature requests make.
    """

    sorted: np.ndarray  # the ids (str objects, shared with the layer), sorted
    order: np.ndarray  # the position of each of them

    @classmethod
    def of(cls, ids: Sequence[Any]) -> FeatureIds:
        """Index ``ids`` (the ``id`` column of a layer); ValueError if one is repeated."""
        values = np.array([str(v) for v in ids], dtype=object)
        order = np.argsort(values, kind="stable")
        ordered = values[order]
        if len(ordered) > 1 and (ordered[1:] == ordered[:-1]).any():
            raise ValueError("duplicate feature ids")
        return cls(sorted=ordered, order=order)

    def position(self, feature_id: str) -> int | None:
        """The position of ``feature_id``, or None."""
        k = int(np.searchsorted(self.sorted, feature_id))
        if k < len(self.sorted) and self.sorted[k] == feature_id:
            return int(self.order[k])
        return None


@dataclass(frozen=True)
class PointIndex:
    """A spatial index of points: their positions sorted by longitude.

    A box is answered by two binary searches for its west and east edges, then a comparison of
    the latitudes of the points in between: ``O(log n + k)``. In memory, at 100,000 points,
    this is faster than an R-tree (``GeoDataFrame.sindex``), whose per-hit cost dominates for
    boxes holding thousands of points (``bench/bbox_index.py``).
    """

    order: np.ndarray  # positions, by longitude
    x: np.ndarray  # longitudes, sorted
    y: np.ndarray  # latitudes, in the same order

    @classmethod
    def of(cls, geoms: np.ndarray) -> PointIndex:
        """Index the points ``geoms`` (shapely Points, none missing)."""
        x, y = shapely.get_x(geoms), shapely.get_y(geoms)
        order = np.argsort(x, kind="stable")
        return cls(order=order, x=x[order], y=y[order])

    def query(self, box: tuple[float, float, float, float]) -> np.ndarray:
        """The positions of the points in ``box`` (edges included), unsorted."""
        minx, miny, maxx, maxy = box
        lo = int(np.searchsorted(self.x, minx, side="left"))
        hi = int(np.searchsorted(self.x, maxx, side="right"))
        ys = self.y[lo:hi]
        return self.order[lo:hi][(ys >= miny) & (ys <= maxy)]


@dataclass
class Catalog:
    """Every collection of one data version."""

    version: str
    collections: dict[str, Collection]

    def get(self, collection_id: str) -> Collection:
        """The collection ``collection_id``; raise QueryError (not found) listing the ids."""
        try:
            return self.collections[collection_id]
        except KeyError:
            raise QueryError(
                "collectionId",
                f"Unknown collection {collection_id!r}; the collections are: "
                f"{', '.join(self.collections)}.",
                "not_found",
            ) from None


_CATALOG_KEY = "layers.features.catalog"
_catalog_lock = threading.Lock()


def catalog_of(dataset: Dataset) -> Catalog:
    """The catalog of ``dataset``, built once per dataset object (:func:`build_catalog`).

    The map's downloads and the OGC API both serve the layers' GeoJSON: asking here, they share
    one catalog, hence one copy of the text. It is kept in ``dataset.extra``, so it lives as
    long as the dataset it was built from.

    Parameters
    ----------
    dataset : geo.dataset.Dataset

    Returns
    -------
    Catalog
    """
    found = dataset.extra.get(_CATALOG_KEY)
    if found is None or found[0] is not dataset.layers:  # none, or a copy's of other layers
        with _catalog_lock:
            found = dataset.extra.get(_CATALOG_KEY)
            if found is None or found[0] is not dataset.layers:
                found = dataset.extra[_CATALOG_KEY] = (dataset.layers, build_catalog(dataset))
    return found[1]


def build_catalog(dataset: Dataset) -> Catalog:
    """Prepare every layer of the registry for queries.

    Parameters
    ----------
    dataset : geo.dataset.Dataset
        The validated dataset; every layer of :data:`layers.registry.REGISTRY` must be in it.

    Returns
    -------
    Catalog
    """
    return Catalog(
        version=dataset.version,
        collections={spec.id: build_collection(spec, dataset.layers[spec.id]) for spec in REGISTRY},
    )


def build_collection(
    spec: LayerSpec, gdf: gpd.GeoDataFrame, text: GeoJsonText | None = None
) -> Collection:
    """Prepare one layer: its GeoJSON text, ids, extents, time spans and value indexes.

    Parameters
    ----------
    spec : layers.registry.LayerSpec
        The layer; its ``queryables`` and ``temporal`` name properties of ``gdf``.
    gdf : geopandas.GeoDataFrame
        The layer's features in EPSG:4326 with a unique ``id`` column.
    text : layers.geojson.GeoJsonText, optional
        The layer's text if already written (:func:`layers.geojson.geojson_text` of ``gdf``).

    Returns
    -------
    Collection
    """
    missing = [p for p in (*spec.queryables, *spec.temporal) if p not in gdf.columns]
    if missing:
        raise ValueError(
            f"Layer {spec.id!r} declares queryable or temporal properties it does not have: "
            f"{', '.join(missing)}; its properties are: {', '.join(gdf.columns)}"
        )
    gdf = gdf.reset_index(drop=True)
    if text is None:
        text = geojson_text(gdf)
    if len(text) != len(gdf):
        raise ValueError(f"The text of layer {spec.id!r} has {len(text)} features, not {len(gdf)}")
    try:
        ids = FeatureIds.of(gdf["id"].tolist())
    except ValueError:
        raise ValueError(f"Layer {spec.id!r} has duplicate feature ids") from None
    bounds = None
    if len(gdf) and not gdf.geometry.isna().all():
        bounds = tuple(round(float(v), 6) for v in gdf.total_bounds)
    queryables = {name: _queryable(spec, gdf, name) for name in spec.queryables}
    geoms = gdf.geometry.values
    points = len(gdf) > 0 and bool((shapely.get_type_id(geoms) == 0).all())
    return Collection(
        spec=spec,
        gdf=gdf,
        text=text,
        ids=ids,
        bounds=bounds,  # type: ignore[arg-type]
        days=_feature_days(gdf, spec.temporal),
        queryables=queryables,
        values={name: _value_index(gdf[name], q.type) for name, q in queryables.items()},
        _sindex=None if points else gdf.sindex,  # built here, once per data version
        _points=PointIndex.of(geoms) if points else None,
    )


# --- parsing request parameters ------------------------------------------------------------------


def parse_query(
    collection: Collection,
    args: Mapping[str, Sequence[str]],
    *,
    paging: bool = True,
    ignore: Iterable[str] = ("f",),
    limit_default: int = LIMIT_DEFAULT,
    limit_max: int = LIMIT_MAX,
) -> Query:
    """Parse the query parameters of an ``items`` request (or a download, ``paging=False``).

    Parameters
    ----------
    collection : Collection
        The collection queried (its queryables are the allowed property filters).
    args : mapping of str to sequence of str
        Every query parameter with all its values, as given (``werkzeug``'s ``MultiDict.lists()``
        gives this).
    paging : bool
        Whether ``limit`` and ``offset`` are allowed.
    ignore : iterable of str
        Parameters handled elsewhere (the format ``f``).
    limit_default, limit_max : int
        The page size when ``limit`` is absent, and the largest page served.

    Returns
    -------
    Query

    Raises
    ------
    QueryError
        Naming the first parameter at fault: an unknown parameter, a repeated one, or a value
        that does not parse.
    """
    known = [
        p
        for p in ITEMS_PARAMETERS
        if (paging or p not in _PAGING) and (p != "datetime" or collection.spec.temporal)
    ]
    known += list(collection.queryables)
    ignored = set(ignore)
    values: dict[str, str] = {}
    for name, given in args.items():
        if name in ignored:
            continue
        if name not in known:
            raise QueryError(
                name,
                f"Unknown parameter {name!r}; the parameters of {collection.id!r} are: "
                f"{', '.join([*known, *sorted(ignored)])}.",
            )
        if len(given) != 1:
            raise QueryError(name, f"Parameter {name!r} is given {len(given)} times; give it once.")
        values[name] = given[0]
    query = Query(limit=min(limit_default, limit_max))
    for name in ("crs", "bbox-crs"):
        if name in values and values[name] != CRS84:
            raise QueryError(
                name,
                f"Unsupported {name} {values[name]!r}; the only CRS served is {CRS84} "
                "(WGS84 longitude/latitude).",
            )
    if "bbox" in values:
        query = dataclasses.replace(query, bbox=parse_bbox(values["bbox"]))
    if "datetime" in values:
        query = dataclasses.replace(query, interval=parse_datetime(values["datetime"]))
    if "limit" in values:
        query = dataclasses.replace(
            query, limit=min(parse_int("limit", values["limit"], 1), limit_max)
        )
    if "offset" in values:
        query = dataclasses.replace(query, offset=parse_int("offset", values["offset"], 0))
    filters = tuple(
        (name, parse_value(collection.queryables[name], values[name]))
        for name in collection.queryables
        if name in values
    )
    return dataclasses.replace(query, filters=filters)


def parse_int(name: str, text: str, minimum: int) -> int:
    """Parse a decimal integer of at least ``minimum``; raise QueryError naming ``name``."""
    if not re.fullmatch(r"[+-]?\d{1,18}", text.strip()):
        raise QueryError(name, f"Parameter {name!r} must be an integer, got {text!r}.")
    value = int(text)
    if value < minimum:
        raise QueryError(name, f"Parameter {name!r} must be at least {minimum}, got {value}.")
    return value


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """Parse ``bbox`` (WGS84 longitude/latitude, 4 numbers or 6 with heights).

    Parameters
    ----------
    text : str
        ``minLon,minLat,maxLon,maxLat`` or ``minLon,minLat,minZ,maxLon,maxLat,maxZ``. A west
        edge greater than the east edge denotes a box across the antimeridian.

    Returns
    -------
    tuple of 4 float
        ``(minx, miny, maxx, maxy)``; heights are ignored (every feature is 2D).

    Raises
    ------
    QueryError
        For a wrong count of numbers, a value that is not a finite number, a longitude outside
        [-180, 180], a latitude outside [-90, 90], or a south edge north of the north edge.
    """
    parts = text.split(",")
    if len(parts) not in (4, 6):
        raise QueryError(
            "bbox",
            f"Expected 4 numbers (minLon,minLat,maxLon,maxLat) or 6 (with heights) for bbox, "
            f"instead got {len(parts)}: {text!r}.",
        )
    numbers = []
    for part in parts:
        try:
            value = float(part)
        except ValueError:
            raise QueryError("bbox", f"bbox value {part!r} is not a number.") from None
        if not math.isfinite(value):
            raise QueryError("bbox", f"bbox value {part!r} is not a finite number.")
        numbers.append(value)
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    minx, miny, maxx, maxy = numbers
    for lon in (minx, maxx):
        if not -180 <= lon <= 180:
            raise QueryError("bbox", f"bbox longitude {lon:g} is outside [-180, 180].")
    for lat in (miny, maxy):
        if not -90 <= lat <= 90:
            raise QueryError("bbox", f"bbox latitude {lat:g} is outside [-90, 90].")
    if miny > maxy:
        raise QueryError("bbox", f"bbox south edge {miny:g} is north of its north edge {maxy:g}.")
    return minx, miny, maxx, maxy


def parse_datetime(text: str) -> tuple[int, int]:
    """Parse ``datetime``: an instant or an interval, either end of which may be open.

    Parameters
    ----------
    text : str
        An RFC 3339 date-time (``2023-06-15T08:00:00Z``), a date (``2023-06-15``), a month
        (``2023-06``) or a year (``2023``); or two of these joined by ``/``, where ``..`` or
        an empty string leaves that end open. A date, month or year stands for all its days.

    Returns
    -------
    (int, int)
        The first and last day covered (proleptic Gregorian ordinals, inclusive; date-times
        are taken in UTC).

    Raises
    ------
    QueryError
        For a malformed or impossible date, a date-time without a time zone, or an interval
        that ends before it starts.
    """
    parts = text.split("/")
    if len(parts) == 1:
        if text in _OPEN:
            raise QueryError("datetime", "datetime needs a date, a date-time or an interval.")
        return _parse_instant(text)
    if len(parts) != 2:
        raise QueryError(
            "datetime", f"datetime is an instant or one interval start/end, got {text!r}."
        )
    start, end = parts
    lo = dt.date.min.toordinal() if start in _OPEN else _parse_instant(start)[0]
    hi = dt.date.max.toordinal() if end in _OPEN else _parse_instant(end)[1]
    if lo > hi:
        raise QueryError("datetime", f"datetime interval {text!r} ends before it starts.")
    return lo, hi


def _parse_instant(text: str) -> tuple[int, int]:
    try:
        match = _DATE_TIME.match(text)
        if match:
            stamp = dt.datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
            day = stamp.astimezone(dt.UTC).date().toordinal()
            return day, day
        span = partial_date_span(text)
    except (ValueError, OverflowError):
        raise QueryError(
            "datetime", f"datetime {text!r} is not a valid date or RFC 3339 date-time."
        ) from None
    if span is None:
        raise QueryError(
            "datetime",
            f"datetime {text!r} is not a date (YYYY, YYYY-MM, YYYY-MM-DD), an RFC 3339 "
            "date-time with a time zone (2023-06-15T08:00:00Z) or an interval start/end "
            "(.. for an open end).",
        )
    return span


def partial_date_span(text: str) -> tuple[int, int] | None:
    """The first and last day of ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` as ordinals.

    Returns None when ``text`` has none of these forms; raises ValueError for an impossible
    month or day.
    """
    match = _YEAR_MONTH_DAY.match(text)
    if not match:
        return None
    year, month, day = (int(g) if g else None for g in match.groups())
    if month is None:
        return dt.date(year, 1, 1).toordinal(), dt.date(year, 12, 31).toordinal()
    if day is None:
        last = calendar.monthrange(year, month)[1] if 1 <= month <= 12 else 0
        return dt.date(year, month, 1).toordinal(), dt.date(year, month, last).toordinal()
    day_ordinal = dt.date(year, month, day).toordinal()
    return day_ordinal, day_ordinal


def parse_value(queryable: Queryable, text: str) -> Any:
    """Parse the value of an equality filter by the property's type; raise QueryError."""
    if text == "":
        raise QueryError(queryable.name, f"Filter {queryable.name!r} needs a value.")
    if queryable.type == "integer":
        return parse_int(queryable.name, text, -(10**18))
    if queryable.type == "number":
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise QueryError(
                queryable.name, f"Filter {queryable.name!r} must be a number, got {text!r}."
            )
        return value
    return text


# --- what is built once per data version ---------------------------------------------------------


def _queryable(spec: LayerSpec, gdf: gpd.GeoDataFrame, name: str) -> Queryable:
    series = gdf[name]
    kind: Literal["string", "integer", "number"] = "string"
    if pd.api.types.is_integer_dtype(series.dtype):
        kind = "integer"
    elif pd.api.types.is_float_dtype(series.dtype):
        kind = "number"
    label = next((f for f in spec.popup if f.name == name), None)
    title = f"{label.label_zh} / {label.label_en}" if label else name
    column = (
        next((c for c in TABLES[spec.id].columns if c.name == name), None)
        if (spec.id in TABLES)
        else None
    )
    return Queryable(
        name=name,
        title=title,
        type=kind,
        description=column.meaning if column else "",
        enum=tuple(column.allowed) if column and column.allowed else (),
    )


def _value_index(series: pd.Series, kind: str) -> dict[Any, np.ndarray]:
    known = series.notna().to_numpy()
    positions = np.flatnonzero(known)
    values = series[known]
    if kind == "integer":
        keys = [int(v) for v in values]
    elif kind == "number":
        keys = [float(v) for v in values]
    else:
        keys = [str(v) for v in values]
    index: dict[Any, list[int]] = {}
    for key, pos in zip(keys, positions.tolist(), strict=True):
        index.setdefault(key, []).append(pos)
    return {k: np.asarray(v, dtype=np.int64) for k, v in index.items()}


def _feature_days(
    gdf: gpd.GeoDataFrame, temporal: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray]:
    first = np.full(len(gdf), _NO_TIME, dtype=np.int64)
    last = np.full(len(gdf), _NO_TIME, dtype=np.int64)
    for name in temporal:
        for i, value in enumerate(gdf[name].tolist()):
            if first[i] != _NO_TIME or value is None or value is pd.NA:
                continue
            if isinstance(value, float) and math.isnan(value):
                continue
            span = partial_date_span(str(int(value)) if isinstance(value, int | float) else value)
            if span is None:
                raise ValueError(f"{name}={value!r} is not a YYYY[-MM[-DD]] date")
            first[i], last[i] = span
    return first, last


# --- documents -----------------------------------------------------------------------------------


def collection_metadata(collection: Collection) -> dict[str, Any]:
    """The JSON of ``/collections/{id}`` without links: id, titles, extents, CRS, item type."""
    spec = collection.spec
    extent: dict[str, Any] = {}
    if collection.bounds is not None:
        extent["spatial"] = {"bbox": [list(collection.bounds)], "crs": CRS84}
    temporal = collection.temporal_extent
    if temporal is not None:
        extent["temporal"] = {
            "interval": [list(temporal)],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        }
    description = spec.description_zh or spec.title_zh
    return {
        "id": spec.id,
        "title": f"{spec.title_zh} / {spec.title_en}",
        "description": description,
        "extent": extent,
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": CRS84,
        "numberOfFeatures": len(collection),
        "geometry": spec.geometry,
        "queryables": list(collection.queryables),
        "temporalProperties": list(spec.temporal),
    }


def queryables_schema(collection: Collection, schema_id: str) -> dict[str, Any]:
    """The JSON Schema of ``/collections/{id}/queryables`` (OGC API - Features Part 3)."""
    props: dict[str, Any] = {}
    for q in collection.queryables.values():
        prop: dict[str, Any] = {"title": q.title, "type": q.type}
        if q.description:
            prop["description"] = q.description
        if q.enum:
            prop["enum"] = list(q.enum)
        props[q.name] = prop
    return {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": schema_id,
        "type": "object",
        "title": f"{collection.spec.title_zh} / {collection.spec.title_en}",
        "properties": props,
        "additionalProperties": True,
    }


def feature_collection_bytes(
    collection: Collection,
    positions: Sequence[int] | np.ndarray,
    extra: Mapping[str, Any] | None = None,
) -> bytes:
    """A GeoJSON FeatureCollection of the features at ``positions``, plus ``extra`` members.

    The features are slices of the layer's prepared text (of the blocks they lie in, inflated),
    so a page costs an inflation and a join, not a serialisation.
    """
    head = b'{"type":"FeatureCollection","features":['
    tail = b"]"
    if extra:
        tail += b"," + dumps(dict(extra))[1:-1]
    return head + collection.features_json(positions) + tail + b"}"


#: Features written at a time by :func:`write_feature_collection` (~0.6 MB of text).
CHUNK_FEATURES = 1000


def write_feature_collection(
    collection: Collection, positions: Sequence[int] | np.ndarray, out: BinaryIO
) -> None:
    """Write the bytes of :func:`feature_collection_bytes` (no ``extra``) to ``out``, the
    features :data:`CHUNK_FEATURES` at a time: memory bounded by a chunk, not the selection.

    Parameters
    ----------
    collection : Collection
        The layer.
    positions : sequence of int or numpy.ndarray
        The positions of the features, in order.
    out : binary file object
        Where to write.
    """
    pos = np.asarray(positions, dtype=np.int64)
    out.write(b'{"type":"FeatureCollection","features":[')
    for start in range(0, pos.size, CHUNK_FEATURES):
        if start:
            out.write(b",")
        out.write(collection.features_json(pos[start : start + CHUNK_FEATURES]))
    out.write(b"]}")


def feature_bytes(collection: Collection, position: int, links: list[dict[str, Any]]) -> bytes:
    """One GeoJSON Feature with ``links`` added."""
    fragment = collection.text.feature(position)
    return fragment[:-1] + b',"links":' + dumps(links) + b"}"


def feature_properties(collection: Collection, position: int) -> dict[str, Any]:
    """The properties of one feature, JSON values (None for missing)."""
    return json.loads(collection.text.feature(position))["properties"]
