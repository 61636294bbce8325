"""GeoDataFrames as RFC 7946 GeoJSON: WGS84, no ``crs`` member, 6 decimals, CCW exteriors."""

from __future__ import annotations

import json
import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

DECIMALS = 6


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
    if gdf.crs is None or gdf.crs.to_epsg() != 4326:
        raise ValueError(
            f"Expected a GeoDataFrame in EPSG:4326, got CRS {gdf.crs!r}; "
            "reproject it with .to_crs(4326) first"
        )
    geoms = _rfc7946_geometries(gdf.geometry.values, decimals)
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    records = gdf[columns].astype(object).to_dict("records")
    features = []
    for props, geom in zip(records, geoms, strict=True):
        clean = {k: _json_value(v) for k, v in props.items()}
        feature: dict[str, Any] = {"type": "Feature"}
        if clean.get("id") is not None:
            feature["id"] = clean["id"]
        feature |= {"geometry": geom, "properties": clean}
        features.append(feature)
    return {"type": "FeatureCollection", "features": features}


def to_geojson_bytes(gdf: gpd.GeoDataFrame, decimals: int = DECIMALS) -> bytes:
    """Return ``gdf`` as compact UTF-8 GeoJSON bytes (see :func:`to_feature_collection`)."""
    return dumps(to_feature_collection(gdf, decimals))


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
