"""Geodesic links between points: the geometry of pairings, partnerships and the corridor."""

from __future__ import annotations

import numpy as np
from pyproj import Geod
from shapely import LineString

WGS84 = Geod(ellps="WGS84")


def geodesic_line(
    start: tuple[float, float], end: tuple[float, float], segment_km: float = 10.0
) -> LineString:
    """Return the geodesic from ``start`` to ``end`` as a line densified every ``segment_km``.

    Parameters
    ----------
    start, end : tuple of float
        ``(lon, lat)`` in WGS84 degrees.
    segment_km : float
        Largest distance between two vertices of the result.

    Returns
    -------
    shapely.LineString
        From ``start`` to ``end`` (so its direction is the link's direction).
    """
    _check_point(start, "start")
    _check_point(end, "end")
    if segment_km <= 0:
        raise ValueError(f"segment_km must be positive, got {segment_km!r}")
    length_km = geodesic_km(start, end)
    n_inner = max(int(np.ceil(length_km / segment_km)) - 1, 0)
    inner = WGS84.npts(start[0], start[1], end[0], end[1], n_inner) if n_inner else []
    return LineString([start, *inner, end])


def geodesic_km(start: tuple[float, float], end: tuple[float, float]) -> float:
    """Return the geodesic distance in km between two ``(lon, lat)`` points on WGS84."""
    _check_point(start, "start")
    _check_point(end, "end")
    _, _, metres = WGS84.inv(start[0], start[1], end[0], end[1])
    return float(metres) / 1000.0


def nearest(point: tuple[float, float], candidates: list[tuple[float, float]]) -> int:
    """Return the index of the candidate nearest to ``point`` along the ellipsoid."""
    if not candidates:
        raise ValueError("nearest() needs at least one candidate point, got none")
    lons = np.array([c[0] for c in candidates], dtype=float)
    lats = np.array([c[1] for c in candidates], dtype=float)
    _, _, dist = WGS84.inv(np.full_like(lons, point[0]), np.full_like(lats, point[1]), lons, lats)
    return int(np.argmin(dist))


def _check_point(p: tuple[float, float], name: str) -> None:
    if len(p) != 2 or not all(np.isfinite(v) for v in p):
        raise ValueError(f"Expected a (lon, lat) pair of finite numbers for {name}, got {p!r}")
    if not (-180 <= p[0] <= 180 and -90 <= p[1] <= 90):
        raise ValueError(f"Expected lon in [-180, 180] and lat in [-90, 90] for {name}, got {p!r}")
