"""Conversions between WGS84, GCJ-02 and BD-09 longitude/latitude.

China's web maps do not use WGS84: Amap (高德), Tencent and Google's China tiles use GCJ-02
(the "Mars" datum, an obfuscated WGS84 shifted by a few hundred metres), and Baidu uses BD-09
(GCJ-02 with a further shift). PROJ has no definition of either, so the conversions here wrap the
``coordtransform`` package (MIT; module ``coordTransform``; argument order ``(lon, lat)``), which
implements the published algorithm with a C extension for arrays.

Behaviour to be aware of
------------------------
* **Outside China.** GCJ-02 is only defined inside China. ``coordtransform`` approximates "inside
  China" by the rectangle 73.66 < lon < 135.05, 3.86 < lat < 53.55 (bounds exclusive). Points
  outside it are returned unchanged by every GCJ-02 conversion (the BD-09 step is still applied by
  the BD-09 functions). Points inside the rectangle but outside China (parts of Mongolia, Korea,
  western Japan, South-East Asia, ...) are shifted all the same, and the offset jumps by ~0.5 km
  across the rectangle's edges.
* **Accuracy of the inverse.** GCJ-02 → WGS84 (and BD-09 → WGS84) is the usual one-step inverse:
  it evaluates the shift at the GCJ-02 point instead of the unknown WGS84 point. Its error is
  below 3e-5° (~3 m) in eastern China and below 6e-5° anywhere in the rectangle, well below the
  precision of the source data.
* **NaN** values pass through as NaN.

All functions take scalars or array-likes (any shape; lists are converted to ``numpy`` arrays)
and return ``(lon, lat)``: two Python floats for scalar input, otherwise two ``float64`` arrays of
the broadcast shape of the inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, TypeAlias, TypeVar, overload

import coordTransform as _ct
import numpy as np
import numpy.typing as npt
import shapely

__all__ = [
    "CRS_NAMES",
    "CoordConverter",
    "CrsName",
    "LonLat",
    "bd09_to_wgs84",
    "gcj02_to_wgs84",
    "to_wgs84",
    "transform_geometry",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

CrsName: TypeAlias = Literal["wgs84", "gcj02", "bd09"]
CRS_NAMES: tuple[str, ...] = ("wgs84", "gcj02", "bd09")

ArrayLike: TypeAlias = npt.ArrayLike
FloatArray: TypeAlias = npt.NDArray[np.float64]
LonLat: TypeAlias = tuple[float, float] | tuple[FloatArray, FloatArray]
CoordConverter: TypeAlias = Callable[[FloatArray, FloatArray], tuple[ArrayLike, ArrayLike]]

_G = TypeVar("_G")


def _is_scalar(lon: object, lat: object) -> bool:
    return np.ndim(lon) == 0 and np.ndim(lat) == 0


@overload
def _apply(func: Callable[..., object], lon: float, lat: float) -> tuple[float, float]: ...
@overload
def _apply(
    func: Callable[..., object], lon: ArrayLike, lat: ArrayLike
) -> tuple[FloatArray, FloatArray]: ...
def _apply(func: Callable[..., object], lon: ArrayLike, lat: ArrayLike) -> LonLat:
    """Call a ``coordTransform`` function on scalars or on arrays of any shape."""
    if _is_scalar(lon, lat):
        x, y = func(float(lon), float(lat))  # type: ignore[arg-type, misc]
        return float(x), float(y)
    lon_a, lat_a = np.broadcast_arrays(
        np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    )
    shape = lon_a.shape
    if lon_a.size == 0:
        return np.empty(shape, dtype=np.float64), np.empty(shape, dtype=np.float64)
    # The C batch path only accepts 1-D contiguous float64 buffers.
    flat_lon = np.ascontiguousarray(lon_a.ravel())
    flat_lat = np.ascontiguousarray(lat_a.ravel())
    x, y = func(flat_lon, flat_lat)  # type: ignore[misc]
    return (
        np.asarray(x, dtype=np.float64).reshape(shape),
        np.asarray(y, dtype=np.float64).reshape(shape),
    )


@overload
def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]: ...
def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    """Convert GCJ-02 (Amap, Tencent) coordinates to WGS84.

    Parameters
    ----------
    lon, lat : float or array_like
        GCJ-02 longitude and latitude in degrees. Arrays must broadcast together.

    Returns
    -------
    tuple
        ``(lon, lat)`` in WGS84: floats for scalar input, else ``float64`` arrays.

    Notes
    -----
    One-step inverse (error below ~6e-5°, a few metres). Points outside coordtransform's China
    rectangle (73.66 < lon < 135.05, 3.86 < lat < 53.55) are returned unchanged.
    """
    return _apply(_ct.gcj02_to_wgs84, lon, lat)


@overload
def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]: ...
def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    """Convert WGS84 coordinates to GCJ-02 (Amap, Tencent).

    Parameters
    ----------
    lon, lat : float or array_like
        WGS84 longitude and latitude in degrees. Arrays must broadcast together.

    Returns
    -------
    tuple
        ``(lon, lat)`` in GCJ-02: floats for scalar input, else ``float64`` arrays.

    Notes
    -----
    Points outside coordtransform's China rectangle are returned unchanged.
    """
    return _apply(_ct.wgs84_to_gcj02, lon, lat)


@overload
def bd09_to_wgs84(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]: ...
def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    """Convert BD-09 (Baidu) coordinates to WGS84 (via GCJ-02).

    Parameters
    ----------
    lon, lat : float or array_like
        BD-09 longitude and latitude in degrees. Arrays must broadcast together.

    Returns
    -------
    tuple
        ``(lon, lat)`` in WGS84: floats for scalar input, else ``float64`` arrays.

    Notes
    -----
    The BD-09 → GCJ-02 step applies everywhere; the GCJ-02 → WGS84 step only inside
    coordtransform's China rectangle.
    """
    return _apply(_ct.bd09_to_wgs84, lon, lat)


@overload
def wgs84_to_bd09(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]: ...
def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    """Convert WGS84 coordinates to BD-09 (Baidu) (via GCJ-02).

    Parameters
    ----------
    lon, lat : float or array_like
        WGS84 longitude and latitude in degrees. Arrays must broadcast together.

    Returns
    -------
    tuple
        ``(lon, lat)`` in BD-09: floats for scalar input, else ``float64`` arrays.

    Notes
    -----
    The WGS84 → GCJ-02 step only applies inside coordtransform's China rectangle; the
    GCJ-02 → BD-09 step applies everywhere.
    """
    return _apply(_ct.wgs84_to_bd09, lon, lat)


def _identity(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    return _apply(lambda x, y: (x, y), lon, lat)


_TO_WGS84: dict[str, Callable[[ArrayLike, ArrayLike], LonLat]] = {
    "wgs84": _identity,
    "gcj02": gcj02_to_wgs84,
    "bd09": bd09_to_wgs84,
}


@overload
def to_wgs84(lon: float, lat: float, crs: CrsName) -> tuple[float, float]: ...
@overload
def to_wgs84(lon: ArrayLike, lat: ArrayLike, crs: CrsName) -> tuple[FloatArray, FloatArray]: ...
def to_wgs84(lon: ArrayLike, lat: ArrayLike, crs: CrsName) -> LonLat:
    """Convert coordinates given in ``crs`` to WGS84.

    Parameters
    ----------
    lon, lat : float or array_like
        Longitude and latitude in degrees. Arrays must broadcast together.
    crs : {"wgs84", "gcj02", "bd09"}
        The system the input is in. ``"wgs84"`` returns the values unchanged (as floats or
        ``float64`` arrays).

    Returns
    -------
    tuple
        ``(lon, lat)`` in WGS84: floats for scalar input, else ``float64`` arrays.

    Raises
    ------
    ValueError
        If ``crs`` is not one of the allowed names.
    """
    try:
        func = _TO_WGS84[crs]
    except (KeyError, TypeError):
        allowed = ", ".join(repr(name) for name in CRS_NAMES)
        raise ValueError(f"unknown crs {crs!r}; expected one of {allowed}") from None
    return func(lon, lat)


def transform_geometry(geom: _G, func: CoordConverter) -> _G:
    """Apply a ``(lon, lat) -> (lon, lat)`` converter to every vertex of a shapely geometry.

    Parameters
    ----------
    geom : shapely.Geometry or array_like of shapely.Geometry
        Any geometry type (points, lines, polygons, multi-parts, collections).
    func : callable
        A vectorised converter such as :func:`gcj02_to_wgs84`: called with two 1-D ``float64``
        arrays (x, y) and returning two arrays of the same length.

    Returns
    -------
    shapely.Geometry or numpy.ndarray
        A new geometry of the same type and structure. Z values, if any, are kept unchanged.
        Validity is not re-checked: the shift is smooth and tiny, but callers that need valid
        output should check ``shapely.is_valid``.
    """

    def _xy(x: FloatArray, y: FloatArray, *z: FloatArray) -> tuple[FloatArray, ...]:
        lon, lat = func(x, y)
        return (np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64), *z)

    return shapely.transform(geom, _xy, include_z=None, interleaved=False)  # type: ignore[return-value]
