"""The view parameters of the map pages (``/`` and ``/embed``), checked at the boundary.

Each bad parameter is an :class:`ApiError` 400 that names it (an HTML page for these pages).
The browser writes the same parameters back into the URL (``permalink.js``, and the filters'
keys ``f_pair``, ``province``, ``sector``, ``status``, ``from``, ``to`` and ``cluster`` in
``officials.js``), so a link opens the view it was copied from. The values those keys may take
come from the served data (:func:`view_values`, built once per data version).

The sector filter's value is canonical, the Simplified Chinese of the data and the downloads, in
every language; its options are labelled in the page's language (:attr:`ViewValues.sector_labels`,
carried by the page's config). Links written before that by a Traditional Chinese page carry the
OpenCC form (``sector=汽車零部件``): they are still accepted, and the page reads them as the
canonical value (:attr:`ViewValues.sector_aliases`) and writes that back into the URL.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from geo.dataset import Dataset
from layers.i18n import LANGS, Lang
from layers.localize import localize_frame
from layers.registry import REGISTRY, SPEC
from layers.search import MAX_LIMIT, MAX_QUERY
from webapp.errors import ApiError

if TYPE_CHECKING:
    from werkzeug.datastructures import MultiDict


#: The overlay layers ``layers=`` may name (the boundaries are the offline basemap).
OVERLAYS = tuple(spec.id for spec in REGISTRY if spec.pane != "basemap")
#: The controls ``controls=`` may show on /embed, and those shown without it.
CONTROLS = ("zoom", "layers", "legend", "scale", "fullscreen", "search", "basemaps", "link")
DEFAULT_CONTROLS = ("zoom", "layers", "legend", "scale", "fullscreen", "link")
#: The zoom levels of the map (see layers.map.build_map).
ZOOMS = (4, 14)
TITLE_MAX = 120
#: The years of the programme: the range of the year filter (``from=``, ``to=``).
YEARS = (2021, 2030)
#: The sector filter's value for "sector unknown" (``NONE`` in officials.js).
NO_SECTOR = "__none__"
#: ``cluster=1`` draws the projects clustered (officials.js writes only ``1``).
CLUSTER = ("0", "1")


@dataclass(frozen=True)
class ViewValues:
    """The values the pair and filter parameters may take for one data version."""

    #: the city-level pair ids (``pair=``, ``f_pair=``)
    pairs: tuple[str, ...] = ()
    #: the adcodes of the helping provinces (``province=``)
    provinces: tuple[str, ...] = ()
    #: the sectors ``sector=`` accepts: the canonical ones, the keys of :attr:`sector_aliases`
    #: (old links) and :data:`NO_SECTOR`
    sectors: tuple[str, ...] = ()
    #: the status codes of the registry and the data (``status=``)
    statuses: tuple[str, ...] = ()
    #: language -> canonical sector -> the sector as the map's features in that language carry
    #: it (the option labels of the sector filter)
    sector_labels: Mapping[Lang, Mapping[str, str]] = field(default_factory=dict)
    #: a sector as another language writes it (OpenCC Traditional) -> the canonical sector, for
    #: the links written before the filter's value was canonical in every language
    sector_aliases: Mapping[str, str] = field(default_factory=dict)


def view_values(dataset: Dataset) -> ViewValues:
    """The values of the pair and filter parameters that ``dataset`` offers.

    Parameters
    ----------
    dataset : geo.dataset.Dataset
        A validated dataset.

    Returns
    -------
    ViewValues
        The sectors are those of the overlay layers as the data writes them (canonical), each
        with its label in every language: the text the map's features carry in that language,
        localized by :func:`layers.localize.localize_frame` as the map's layers are. A label
        that differs from its canonical sector is also accepted as an alias of it (the
        Traditional text old zh-Hant links carry). The statuses are codes, the same in every
        language.
    """
    pairings = dataset.layers["pairings"]
    city = pairings[pairings["level"] == "city"]
    pairs = tuple(city["id"])
    provinces = tuple(sorted({str(a)[:2] + "0000" for a in city["helping_adcode"]}))
    canonical: set[str] = set()
    statuses = set(SPEC.codes("status"))
    for layer_id in OVERLAYS:
        frame = dataset.layers[layer_id]
        if "sector" in frame.columns:
            canonical |= {v for v in frame["sector"] if isinstance(v, str) and v.strip()}
        if "status" in frame.columns:
            statuses |= {v for v in frame["status"] if isinstance(v, str) and v}
    labels = _sector_labels(sorted(canonical))
    aliases = {
        label: sector
        for lang in LANGS
        for sector, label in labels[lang].items()
        if label != sector and label not in canonical
    }
    return ViewValues(
        pairs=pairs,
        provinces=provinces,
        sectors=(*sorted(canonical | set(aliases)), NO_SECTOR),
        statuses=tuple(sorted(statuses)),
        sector_labels=labels,
        sector_aliases=aliases,
    )


def _sector_labels(sectors: list[str]) -> dict[Lang, dict[str, str]]:
    """Each canonical sector in every language, localized as a layer's ``sector`` column is."""
    frame = pd.DataFrame({"sector": sectors}, dtype=object)
    return {
        lang: dict(zip(sectors, localize_frame(frame, lang)["sector"], strict=True))  # type: ignore[arg-type]
        for lang in LANGS
    }


@dataclass(frozen=True)
class ViewParams:
    """The checked view of a map page."""

    layers: tuple[str, ...] | None = None
    pair: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    center: tuple[float, float] | None = None
    zoom: int | None = None
    basemap: str | None = None
    controls: tuple[str, ...] = DEFAULT_CONTROLS
    title: str | None = None
    #: the filters of the URL, checked: ``f_pair``, ``province``, ``sector``, ``status`` (str),
    #: ``from``, ``to`` (int), ``cluster`` (bool)
    filters: Mapping[str, object] = field(default_factory=dict)


def _bad(parameter: str, message: str, **extra: object) -> ApiError:
    return ApiError(400, "InvalidParameterValue", message, parameter=parameter, **extra)


def _numbers(name: str, raw: str, count: int, what: str) -> list[float]:
    parts = raw.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != count or not all(math.isfinite(v) for v in values):
        raise _bad(name, f"Expected {what} for {name}, instead got: {raw!r}.")
    return values


def _lat_lon_ok(lat: float, lon: float) -> bool:
    return -90 <= lat <= 90 and -180 <= lon <= 180


def _ids(name: str, raw: str, valid: tuple[str, ...]) -> tuple[str, ...]:
    items = [p.strip() for p in raw.split(",")] if raw.strip() else []
    unknown = [p for p in items if p not in valid]
    if unknown:
        raise _bad(
            name,
            f"Unknown {name} value(s) {', '.join(map(repr, unknown))}; use a comma-separated "
            f"list of: {', '.join(valid)}.",
            valid=list(valid),
        )
    return tuple(dict.fromkeys(items))


def _one_of(name: str, raw: str, valid: tuple[str, ...], what: str) -> str:
    if raw not in valid:
        raise _bad(
            name,
            f"Unknown {what} {raw!r} for {name}; use one of: {', '.join(valid)}.",
            valid=list(valid),
        )
    return raw


def _year(name: str, raw: str) -> int:
    low, high = YEARS
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise _bad(
            name,
            f"{name} must be a year (a whole number) from {low} to {high}: {raw!r}.",
            valid=list(range(low, high + 1)),
        )
    return int(raw)


def _filters(args: Mapping[str, str], values: ViewValues) -> dict[str, object]:
    """The filters of ``args`` (an empty value is no filter, as in officials.js)."""
    out: dict[str, object] = {}
    checks = (
        ("f_pair", values.pairs, "pair"),
        ("province", values.provinces, "helping province adcode"),
        ("sector", values.sectors, "sector"),
        ("status", values.statuses, "status"),
    )
    for name, valid, what in checks:
        raw = args.get(name)
        if raw:
            out[name] = _one_of(name, raw, valid, what)
    years = {name: _year(name, args[name]) for name in ("from", "to") if args.get(name)}
    if "from" in years and "to" in years and years["from"] > years["to"]:
        raise _bad(
            "to",
            f"to ({years['to']}) must not be before from ({years['from']}).",
            valid=list(range(years["from"], YEARS[1] + 1)),
        )
    out.update(years)
    raw = args.get("cluster")
    if raw:
        out["cluster"] = _one_of("cluster", raw, CLUSTER, "value") == "1"
    return out


def view_params(
    args: Mapping[str, str],
    basemaps: list[str],
    values: ViewValues,
    embed: bool = False,
) -> ViewParams:
    """Check the view parameters of ``args`` against the offered ``basemaps`` and the data's
    ``values`` (see :func:`view_values`); ``controls`` and ``title`` only when ``embed``."""
    out: dict[str, object] = {}
    if "layers" in args:
        out["layers"] = _ids("layers", args["layers"], OVERLAYS)
    pair = args.get("pair")
    if pair:
        out["pair"] = _one_of("pair", pair, values.pairs, "pair")
    out["filters"] = _filters(args, values)
    basemap = args.get("basemap")
    if basemap is not None:
        if basemap not in basemaps:
            raise _bad("basemap", f"Unknown basemap {basemap!r}.", valid=basemaps)
        out["basemap"] = basemap
    if "bbox" in args:
        if "center" in args:
            raise _bad("center", "Give either bbox or center (with zoom), not both.")
        w, s, e, n = _numbers("bbox", args["bbox"], 4, "four numbers minlon,minlat,maxlon,maxlat")
        if not (_lat_lon_ok(s, w) and _lat_lon_ok(n, e) and w < e and s < n):
            raise _bad(
                "bbox", f"bbox must be minlon,minlat,maxlon,maxlat in WGS84: {args['bbox']!r}."
            )
        out["bbox"] = (w, s, e, n)
    if "center" in args:
        lat, lon = _numbers("center", args["center"], 2, "two numbers lat,lon")
        if not _lat_lon_ok(lat, lon):
            raise _bad("center", f"center must be lat,lon in WGS84: {args['center']!r}.")
        out["center"] = (lat, lon)
    if "zoom" in args:
        raw = args["zoom"]
        if not (raw.isascii() and raw.isdigit()) or not ZOOMS[0] <= int(raw) <= ZOOMS[1]:
            raise _bad(
                "zoom", f"zoom must be a whole number from {ZOOMS[0]} to {ZOOMS[1]}: {raw!r}."
            )
        if "center" not in out:
            raise _bad("zoom", "zoom needs center=lat,lon.")
        out["zoom"] = int(raw)
    elif "center" in out:
        raise _bad("zoom", "center needs zoom (a whole number).")
    if embed:
        if "controls" in args:
            out["controls"] = _ids("controls", args["controls"], CONTROLS)
        if "title" in args:
            title = args["title"].strip()
            if len(title) > TITLE_MAX or any(ord(c) < 32 for c in title):
                raise _bad("title", f"title must be one line of at most {TITLE_MAX} characters.")
            out["title"] = title or None
    return ViewParams(**out)  # type: ignore[arg-type]


def search_params(args: MultiDict[str, str], valid: list[str]) -> tuple[str, list[str] | None, int]:
    """``q``, ``layer`` (repeatable, each one of ``valid``) and ``limit`` of ``/api/search``,
    checked (a 400 names a bad one)."""
    unknown = [name for name in args if name not in ("q", "layer", "limit", "lang")]
    if unknown:
        raise ApiError(
            400,
            "InvalidParameterValue",
            f"Unknown parameter {unknown[0]!r}; /api/search takes q, layer, limit and lang.",
            parameter=unknown[0],
        )
    if len(args.getlist("q")) != 1 or not args["q"].strip():
        raise ApiError(
            400,
            "InvalidParameterValue",
            "Give the text to search once, e.g. q=蚌埠 or q=bengbu; "
            f"instead got: {args.getlist('q')!r}.",
            parameter="q",
        )
    q = args["q"]
    if len(q) > MAX_QUERY:
        raise ApiError(
            400,
            "InvalidParameterValue",
            f"The query is {len(q)} characters long; give at most {MAX_QUERY}.",
            parameter="q",
        )
    layers = args.getlist("layer") or None
    for layer in layers or ():
        if layer not in valid:
            raise ApiError(
                400,
                "InvalidParameterValue",
                f"Unknown layer {layer!r}; the layers searched are: {', '.join(valid)}.",
                parameter="layer",
                valid=valid,
            )
    raw = args.get("limit", "12")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ApiError(
            400,
            "InvalidParameterValue",
            f"Expected a limit from 1 to {MAX_LIMIT}, instead got: {raw!r}.",
            parameter="limit",
        )
    return q, layers, int(raw)
