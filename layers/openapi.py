"""The OpenAPI 3.0 document of the OGC API - Features service, built from the catalog.

Every collection has its own paths (``/collections/parks/items``…) so that each lists its own
query parameters: its queryable properties, and ``datetime`` only where the layer has dates.
"""

from __future__ import annotations

from typing import Any

from layers.features import CRS84, LIMIT_DEFAULT, LIMIT_MAX, Catalog, Collection

OPENAPI_MEDIA_TYPE = "application/vnd.oai.openapi+json;version=3.0"
GEOJSON = "application/geo+json"
HTML = "text/html"
JSON = "application/json"


def openapi_document(
    catalog: Catalog,
    server_url: str,
    *,
    title: str,
    limit_default: int = LIMIT_DEFAULT,
    limit_max: int = LIMIT_MAX,
) -> dict[str, Any]:
    """Return the OpenAPI 3.0 document of the service.

    Parameters
    ----------
    catalog : layers.features.Catalog
        The collections served.
    server_url : str
        The URL of the landing page, without a trailing slash (``http://host/ogc``).
    title : str
        The API's title.
    limit_default, limit_max : int
        The documented default and maximum of ``limit``.

    Returns
    -------
    dict
        The document (JSON-serialisable).
    """
    paths: dict[str, Any] = {
        "/": _get(
            "getLandingPage",
            "Landing page",
            "The landing page: links to the API definition, the conformance classes and the "
            "collections.",
            {JSON: _ref("landingPage"), HTML: {}},
            tag="Capabilities",
        ),
        "/conformance": _get(
            "getConformanceDeclaration",
            "Conformance classes",
            "The conformance classes this service implements.",
            {JSON: _ref("confClasses"), HTML: {}},
            tag="Capabilities",
        ),
        "/api": _get(
            "getAPIDefinition",
            "This document",
            "The OpenAPI 3.0 definition of the service (JSON), or a page for people (f=html).",
            {OPENAPI_MEDIA_TYPE: {"type": "object"}, HTML: {}},
            tag="Capabilities",
        ),
        "/collections": _get(
            "getCollections",
            "Collections",
            "The feature collections: one per map layer.",
            {JSON: _ref("collections"), HTML: {}},
            tag="Capabilities",
        ),
    }
    for collection in catalog.collections.values():
        paths |= _collection_paths(collection, limit_default, limit_max)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": title,
            "version": "1.0.0",
            "description": (
                "OGC API - Features (Part 1: Core, GeoJSON, HTML, OpenAPI 3.0) over the layers "
                f"of the map. Data version {catalog.version}. Coordinates are WGS84 "
                f"longitude/latitude ({CRS84}). Errors are JSON objects with `code` and "
                "`description`, and `parameter` names the parameter at fault; an unknown query "
                "parameter is an error (400)."
            ),
            "license": {"name": "MIT"},
        },
        "servers": [{"url": server_url}],
        "tags": [
            {"name": "Capabilities", "description": "What the service offers."},
            {"name": "Data", "description": "The features of each collection."},
        ],
        "paths": paths,
        "components": {"schemas": _schemas(), "responses": _responses()},
    }


def _collection_paths(c: Collection, limit_default: int, limit_max: int) -> dict[str, Any]:
    base = f"/collections/{c.id}"
    title = f"{c.spec.title_zh} / {c.spec.title_en}"
    items_params = [
        {
            "name": "bbox",
            "in": "query",
            "required": False,
            "style": "form",
            "explode": False,
            "description": (
                "Only features whose geometry intersects the box minLon,minLat,maxLon,maxLat "
                "(WGS84; 6 numbers with heights are accepted, heights are ignored). A box whose "
                "minLon is greater than its maxLon crosses the antimeridian."
            ),
            "schema": {
                "type": "array",
                "minItems": 4,
                "maxItems": 6,
                "items": {"type": "number"},
            },
        },
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "style": "form",
            "explode": False,
            "description": (
                f"The page size: {limit_default} by default, at most {limit_max} (a larger value "
                "is served as the maximum)."
            ),
            "schema": {
                "type": "integer",
                "minimum": 1,
                "maximum": limit_max,
                "default": limit_default,
            },
        },
        {
            "name": "offset",
            "in": "query",
            "required": False,
            "style": "form",
            "explode": False,
            "description": "How many matching features to skip (the next links carry it).",
            "schema": {"type": "integer", "minimum": 0, "default": 0},
        },
    ]
    if c.spec.temporal:
        items_params.append(
            {
                "name": "datetime",
                "in": "query",
                "required": False,
                "style": "form",
                "explode": False,
                "description": (
                    "Only features whose date ("
                    + ", else ".join(c.spec.temporal)
                    + ") overlaps this instant or interval: an RFC 3339 date-time with a time "
                    "zone, a date, YYYY-MM or YYYY, or start/end with .. for an open end. A "
                    "partial date in the data stands for all its days; features without a date "
                    "never match."
                ),
                "schema": {"type": "string"},
            }
        )
    for q in c.queryables.values():
        schema: dict[str, Any] = {"type": q.type}
        if q.enum:
            schema["enum"] = list(q.enum)
        items_params.append(
            {
                "name": q.name,
                "in": "query",
                "required": False,
                "style": "form",
                "explode": False,
                "description": f"Only features whose {q.name} equals this value. {q.description}",
                "schema": schema,
            }
        )
    feature_id = {
        "name": "featureId",
        "in": "path",
        "required": True,
        "description": "The id of a feature.",
        "schema": {"type": "string"},
    }
    return {
        base: _get(
            f"describe_{c.id}",
            title,
            f"The collection {c.id}: its extents and links.",
            {JSON: _ref("collection"), HTML: {}},
        ),
        f"{base}/items": _get(
            f"getFeatures_{c.id}",
            f"{title}: features",
            f"The features of {c.id}, a page at a time.",
            {GEOJSON: _ref("featureCollectionGeoJSON"), HTML: {}},
            params=items_params,
            tag="Data",
        ),
        f"{base}/items/{{featureId}}": _get(
            f"getFeature_{c.id}",
            f"{title}: one feature",
            f"One feature of {c.id}.",
            {GEOJSON: _ref("featureGeoJSON"), HTML: {}},
            params=[feature_id],
            tag="Data",
            not_found=True,
        ),
        f"{base}/queryables": _get(
            f"getQueryables_{c.id}",
            f"{title}: queryables",
            f"The properties of {c.id} that items can be filtered on (?name=value).",
            {"application/schema+json": {"type": "object"}, HTML: {}},
        ),
        f"{base}/schema": _get(
            f"getSchema_{c.id}",
            f"{title}: schema",
            f"The JSON Schema of the features of {c.id}: each property's type.",
            {"application/schema+json": {"type": "object"}, HTML: {}},
        ),
    }


def _get(
    operation_id: str,
    summary: str,
    description: str,
    content: dict[str, Any],
    *,
    params: list[dict[str, Any]] | None = None,
    tag: str = "Capabilities",
    not_found: bool = False,
) -> dict[str, Any]:
    fmt = {
        "name": "f",
        "in": "query",
        "required": False,
        "style": "form",
        "explode": False,
        "description": "The format: json (the default) or html; the Accept header also chooses.",
        "schema": {"type": "string", "enum": ["json", "html"]},
    }
    responses: dict[str, Any] = {
        "200": {
            "description": summary,
            "content": {
                media: {"schema": schema} if schema else {} for media, schema in content.items()
            },
        },
        "304": {"description": "Not modified since the ETag or date the request gave."},
        "400": {"$ref": "#/components/responses/InvalidParameter"},
    }
    if not_found or operation_id.startswith(
        ("describe_", "getFeatures_", "getQueryables_", "getSchema_")
    ):
        responses["404"] = {"$ref": "#/components/responses/NotFound"}
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "description": description,
            "tags": [tag],
            "parameters": [*(params or []), fmt],
            "responses": responses,
        }
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _responses() -> dict[str, Any]:
    body = {JSON: {"schema": _ref("exception")}}
    return {
        "InvalidParameter": {
            "description": "A parameter is unknown, repeated or malformed; `parameter` names it.",
            "content": body,
        },
        "NotFound": {
            "description": "No such collection or feature; `parameter` names the path part.",
            "content": body,
        },
    }


def _schemas() -> dict[str, Any]:
    link = {
        "type": "object",
        "required": ["href", "rel"],
        "properties": {
            "href": {"type": "string"},
            "rel": {"type": "string"},
            "type": {"type": "string"},
            "title": {"type": "string"},
            "hreflang": {"type": "string"},
        },
    }
    links = {"type": "array", "items": _ref("link")}
    extent = {
        "type": "object",
        "properties": {
            "spatial": {
                "type": "object",
                "properties": {
                    "bbox": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "array",
                            "minItems": 4,
                            "maxItems": 6,
                            "items": {"type": "number"},
                        },
                    },
                    "crs": {"type": "string"},
                },
            },
            "temporal": {
                "type": "object",
                "properties": {
                    "interval": {
                        "type": "array",
                        "items": {
                            "type": "array",
                            "minItems": 2,
                            "maxItems": 2,
                            "items": {"type": "string", "nullable": True},
                        },
                    },
                    "trs": {"type": "string"},
                },
            },
        },
    }
    collection = {
        "type": "object",
        "required": ["id", "links"],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "links": links,
            "extent": _ref("extent"),
            "itemType": {"type": "string"},
            "crs": {"type": "array", "items": {"type": "string"}},
        },
    }
    geometry = {
        "type": "object",
        "nullable": True,
        "required": ["type"],
        "properties": {"type": {"type": "string"}},
    }
    feature = {
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
            "geometry": geometry,
            "properties": {"type": "object", "nullable": True},
            "links": links,
        },
    }
    return {
        "exception": {
            "type": "object",
            "required": ["code", "description"],
            "properties": {
                "code": {"type": "string"},
                "description": {"type": "string"},
                "parameter": {"type": "string"},
            },
        },
        "link": link,
        "extent": extent,
        "landingPage": {
            "type": "object",
            "required": ["links"],
            "properties": {
                "title": {"type": "string"},
                "description": {"type": "string"},
                "links": links,
            },
        },
        "confClasses": {
            "type": "object",
            "required": ["conformsTo"],
            "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}},
        },
        "collections": {
            "type": "object",
            "required": ["links", "collections"],
            "properties": {"links": links, "collections": {"type": "array", "items": collection}},
        },
        "collection": collection,
        "featureGeoJSON": feature,
        "featureCollectionGeoJSON": {
            "type": "object",
            "required": ["type", "features"],
            "properties": {
                "type": {"type": "string", "enum": ["FeatureCollection"]},
                "features": {"type": "array", "items": _ref("featureGeoJSON")},
                "links": links,
                "numberMatched": {"type": "integer", "minimum": 0},
                "numberReturned": {"type": "integer", "minimum": 0},
                "timeStamp": {"type": "string", "format": "date-time"},
            },
        },
    }
