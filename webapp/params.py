"""The view parameters of the map pages (``/`` and ``/embed``), checked at the boundary.

Each bad parameter is an :class:`ApiError` 400 that names it (an HTML page for these pages).
The browser writes the same parameters back into the URL (``permalink.js``), so a link opens
the view it was copied from.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from layers.registry import REGISTRY
from webapp.errors import ApiError

#: The overlay layers ``layers=`` may name (the boundaries are the offline basemap).
OVERLAYS = tuple(spec.id for spec in REGISTRY if spec.pane != "basemap")
#: The controls ``controls=`` may show on /embed, and those shown without it.
CONTROLS = ("zoom", "layers", "legend", "scale", "fullscreen", "search", "basemaps", "link")
DEFAULT_CONTROLS = ("zoom", "layers", "legend", "scale", "fullscreen", "link")
#: The zoom levels of the map (see layers.map.build_map).
ZOOMS = (4, 14)
TITLE_MAX = 120


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


def view_params(
    args: Mapping[str, str], basemaps: list[str], pairs: list[str], embed: bool = False
) -> ViewParams:
    """Check the view parameters of ``args``; ``controls`` and ``title`` only when ``embed``."""
    out: dict[str, object] = {}
    if "layers" in args:
        out["layers"] = _ids("layers", args["layers"], OVERLAYS)
    pair = args.get("pair")
    if pair:
        if pair not in pairs:
            raise _bad("pair", f"Unknown pair {pair!r}.", valid=pairs)
        out["pair"] = pair
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
        if not raw.isdigit() or not ZOOMS[0] <= int(raw) <= ZOOMS[1]:
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
