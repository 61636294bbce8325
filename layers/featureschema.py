"""The JSON Schema of a collection's features (OGC API - Features ``/collections/{id}/schema``).

Every property is typed from the whole layer, so a client that would otherwise guess the types
from the first page keeps every value. GDAL's OAPIF driver does that guessing: a first page
whose dates are all full makes a Date field, and a later ``2024-09`` or ``2026`` is then read as
null. A column is a ``date`` only when every value in it is a full YYYY-MM-DD; a column of dates
that may be YYYY or YYYY-MM (the dataset allows them) is text.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from layers.features import Collection

_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _property_schema(values: pd.Series) -> dict[str, Any]:
    """The JSON Schema of one property, from the layer's column of its values."""
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return {"type": "boolean"}
    if pd.api.types.is_integer_dtype(dtype):
        return {"type": "integer"}
    if pd.api.types.is_float_dtype(dtype):
        return {"type": "number"}
    known = values.dropna().astype(str)
    if len(known) and known.map(lambda v: bool(_FULL_DATE.fullmatch(v))).all():
        return {"type": "string", "format": "date"}
    return {"type": "string"}


def feature_schema(collection: Collection, schema_id: str) -> dict[str, Any]:
    """The JSON Schema of a GeoJSON feature of ``collection``, its properties typed."""
    gdf = collection.gdf
    # ``id`` is the feature's own member (each feature repeats it as a property): a client
    # reading both as fields would get two ``id`` columns (GDAL does), so it is typed once
    skip = {gdf.geometry.name, "id"}
    props = {name: _property_schema(gdf[name]) for name in gdf.columns if name not in skip}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_id,
        "title": f"{collection.spec.title_zh} / {collection.spec.title_en}",
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "string"},
            "geometry": {"type": ["object", "null"]},
            "properties": {"type": "object", "properties": props},
        },
    }
