"""OGC API - Features (Part 1: Core, GeoJSON, HTML, OpenAPI 3.0) under ``/ogc``.

The query logic lives in :mod:`layers.features`; this module adapts it to HTTP: format
negotiation (``f`` and ``Accept``) and links. Validators are :mod:`webapp.caching`'s, and a
:class:`layers.features.QueryError` is a 400/404 JSON body naming the parameter
(:mod:`webapp.errors`).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from flask import Blueprint, Flask, Response, current_app, render_template, request, url_for

from layers import features as feat
from layers.featureschema import feature_schema
from layers.formats import FORMATS
from layers.geojson import dumps
from layers.openapi import OPENAPI_MEDIA_TYPE, openapi_document
from webapp import transfer
from webapp.caching import conditional
from webapp.proxy import external_url
from webapp.state import served

bp = Blueprint("ogc", __name__, url_prefix="/ogc")

TITLE = "沪苏浙城市结对合作帮扶皖北城市 · OGC API – Features"
CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
)
REL_QUERYABLES = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
GEOJSON = "application/geo+json"
JSON = "application/json"
HTML = "text/html"

Fmt = Literal["json", "html"]


def init_app(app: Flask) -> None:
    """Register the API and the data-path HTTP handling."""
    app.config.setdefault("OGC_LIMIT_DEFAULT", feat.LIMIT_DEFAULT)
    app.config.setdefault("OGC_LIMIT_MAX", feat.LIMIT_MAX)
    app.register_blueprint(bp)
    app.jinja_env.globals["download_formats"] = FORMATS  # the map's download menu lists them
    transfer.init_app(app)


# --- request helpers -----------------------------------------------------------------------------


def _format(json_type: str = JSON) -> Fmt:
    """The format asked for: ``f`` if given (json or html), else by the Accept header."""
    given = request.args.getlist("f")
    if len(given) > 1:
        raise feat.QueryError("f", "Parameter 'f' is given more than once; give it once.")
    if given:
        if given[0] not in ("json", "html"):
            raise feat.QueryError(
                "f", f"Unknown format f={given[0]!r}; the formats are: json, html."
            )
        return given[0]  # type: ignore[return-value]
    best = request.accept_mimetypes.best_match([json_type, JSON, GEOJSON, HTML], default=json_type)
    return "html" if best == HTML else "json"


def _only_f() -> None:
    # `lang` is what every page of the app takes (a link from an English page keeps it): the
    # OGC resources are language-neutral, so it is accepted and ignored
    for name in request.args:
        if name not in ("f", "lang"):
            raise feat.QueryError(
                name,
                f"Unknown parameter {name!r}; this resource takes only f (json or html) "
                "and lang (ignored).",
            )


def _url(endpoint: str, fmt: str | None = None, **params: Any) -> str:
    if fmt is not None:
        params["f"] = fmt
    return external_url(endpoint, **params)


def _link(href: str, rel: str, media: str, title: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "type": media, "title": title}


def _self_links(endpoint: str, fmt: Fmt, json_type: str = JSON, **params: Any) -> list[dict]:
    other: Fmt = "html" if fmt == "json" else "json"
    types = {"json": json_type, "html": HTML}
    names = {"json": "JSON", "html": "HTML"}
    return [
        _link(_url(endpoint, fmt, **params), "self", types[fmt], f"This document ({names[fmt]})"),
        _link(
            _url(endpoint, other, **params),
            "alternate",
            types[other],
            f"This document as {names[other]}",
        ),
    ]


def _json(body: Any, media: str = JSON) -> Response:
    return Response(dumps(body), mimetype=media)


def _html(template: str, **context: Any) -> Response:
    page = render_template(
        f"ogc/{template}",
        title=TITLE,
        map_url=url_for("map.index"),
        zip_url=url_for("map.download_all"),
        formats=FORMATS.values(),
        **context,
    )
    return Response(page, mimetype=HTML)


def _download_links(collection_id: str) -> list[dict[str, str]]:
    return [
        _link(
            external_url("map.download", layer_id=collection_id, ext=f.ext),
            "enclosure",
            f.media_type.split(";")[0],
            f"Download as {f.title}",
        )
        for f in FORMATS.values()
    ]


# --- the resources -------------------------------------------------------------------------------


@bp.get("/", strict_slashes=False)
def landing() -> Response:
    """The landing page: links to the API definition, conformance and collections."""
    _only_f()
    fmt = _format()

    def build() -> Response:
        links = [
            *_self_links("ogc.landing", fmt),
            _link(
                _url("ogc.api", "json"), "service-desc", OPENAPI_MEDIA_TYPE, "The API definition"
            ),
            _link(_url("ogc.api", "html"), "service-doc", HTML, "The API documentation"),
            _link(_url("ogc.conformance", "json"), "conformance", JSON, "Conformance classes"),
            _link(_url("ogc.collections", "json"), "data", JSON, "The collections"),
            _link(external_url("map.index"), "related", HTML, "The map"),
            _link(
                external_url("map.download_all"),
                "enclosure",
                "application/zip",
                "All data in every format (zip)",
            ),
        ]
        body = {
            "title": TITLE,
            "description": (
                "沪苏浙8个城市(区)与皖北8市结对合作帮扶的地图图层:结对关系、共建园区、合作项目、"
                "院校合作与G60科创走廊。The layers of the map of the 沪苏浙–皖北 city-pairing "
                "programme."
            ),
            "links": links,
        }
        if fmt == "html":
            return _html("landing.html", body=body, catalog=served().ogc.catalog)
        return _json(body)

    return conditional(build)


@bp.get("/conformance")
def conformance() -> Response:
    """The conformance classes implemented."""
    _only_f()
    fmt = _format()

    def build() -> Response:
        body = {"conformsTo": list(CONFORMANCE), "links": _self_links("ogc.conformance", fmt)}
        if fmt == "html":
            return _html("conformance.html", body=body)
        return _json(body)

    return conditional(build)


@bp.get("/api")
def api() -> Response:
    """The OpenAPI 3.0 definition (JSON), or a page describing it (f=html)."""
    _only_f()
    fmt = _format(OPENAPI_MEDIA_TYPE)

    def build() -> Response:
        data = served()
        server = external_url("ogc.landing").rstrip("/")  # the public URL, or relative: one
        raw = data.rendered.get(("openapi", server))
        if raw is None:
            doc = openapi_document(
                data.ogc.catalog,
                server,
                title=TITLE,
                limit_default=current_app.config["OGC_LIMIT_DEFAULT"],
                limit_max=current_app.config["OGC_LIMIT_MAX"],
            )
            raw = data.rendered[("openapi", server)] = dumps(doc)
        if fmt == "html":
            return _html("api.html", doc=json.loads(raw), json_url=_url("ogc.api", "json"))
        return Response(raw, mimetype=OPENAPI_MEDIA_TYPE)

    return conditional(build)


def _collection_body(c: feat.Collection, fmt: Fmt, self_links: bool) -> dict[str, Any]:
    body = feat.collection_metadata(c)
    if self_links:
        links = _self_links("ogc.collection", fmt, collection_id=c.id)
    else:
        links = [
            _link(_url("ogc.collection", "json", collection_id=c.id), "collection", JSON, c.id)
        ]
    links += [
        _link(_url("ogc.items", "json", collection_id=c.id), "items", GEOJSON, "Features"),
        _link(_url("ogc.items", "html", collection_id=c.id), "items", HTML, "Features (HTML)"),
        _link(
            _url("ogc.queryables", "json", collection_id=c.id),
            REL_QUERYABLES,
            "application/schema+json",
            "Queryable properties",
        ),
        _link(
            _url("ogc.schema", "json", collection_id=c.id),
            "describedby",
            "application/schema+json",
            "Schema of the features (property types)",
        ),
        *_download_links(c.id),
    ]
    body["links"] = links
    return body


@bp.get("/collections")
def collections() -> Response:
    """Every collection, with its extents and links."""
    _only_f()
    fmt = _format()

    def build() -> Response:
        catalog = served().ogc.catalog
        body = {
            "links": _self_links("ogc.collections", fmt),
            "collections": [
                _collection_body(c, fmt, self_links=False) for c in catalog.collections.values()
            ],
        }
        if fmt == "html":
            return _html("collections.html", body=body, catalog=catalog)
        return _json(body)

    return conditional(build)


@bp.get("/collections/<collection_id>")
def collection(collection_id: str) -> Response:
    """One collection: its extents, queryables and links (items, downloads)."""
    c = served().ogc.catalog.get(collection_id)
    _only_f()
    fmt = _format()

    def build() -> Response:
        body = _collection_body(c, fmt, self_links=True)
        if fmt == "html":
            return _html("collection.html", body=body, c=c)
        return _json(body)

    return conditional(build)


@bp.get("/collections/<collection_id>/queryables")
def queryables(collection_id: str) -> Response:
    """The properties a collection's items can be filtered on (JSON Schema)."""
    c = served().ogc.catalog.get(collection_id)
    _only_f()
    fmt = _format("application/schema+json")

    def build() -> Response:
        schema_id = _url("ogc.queryables", "json", collection_id=c.id)
        body = feat.queryables_schema(c, schema_id)
        body["links"] = _self_links(
            "ogc.queryables", fmt, "application/schema+json", collection_id=c.id
        )
        if fmt == "html":
            return _html("queryables.html", body=body, c=c)
        return _json(body, "application/schema+json")

    return conditional(build)


@bp.get("/collections/<collection_id>/schema")
def schema(collection_id: str) -> Response:
    """The JSON Schema of a collection's features: each property's type, from the whole layer."""
    c = served().ogc.catalog.get(collection_id)
    _only_f()
    fmt = _format("application/schema+json")

    def build() -> Response:
        body = feature_schema(c, _url("ogc.schema", "json", collection_id=c.id))
        body["links"] = _self_links(
            "ogc.schema", fmt, "application/schema+json", collection_id=c.id
        )
        if fmt == "html":
            return _html("schema.html", body=body, c=c)
        return _json(body, "application/schema+json")

    return conditional(build)


def _limits() -> dict[str, int]:
    return {
        "limit_default": current_app.config["OGC_LIMIT_DEFAULT"],
        "limit_max": current_app.config["OGC_LIMIT_MAX"],
    }


@bp.get("/collections/<collection_id>/items")
def items(collection_id: str) -> Response:
    """A page of a collection's features, filtered by bbox, datetime and properties."""
    c = served().ogc.catalog.get(collection_id)
    fmt = _format(GEOJSON)
    query = feat.parse_query(c, dict(request.args.lists()), **_limits())

    def build() -> Response:
        selected = c.select(query)
        matched = len(c) if selected is None else len(selected)
        page = c.page(selected, query.limit, query.offset)
        links = _page_links(c.id, fmt, query, matched, len(page))
        if fmt == "html":
            rows = [feat.feature_properties(c, int(i)) for i in page]
            return _html(
                "items.html",
                c=c,
                rows=rows,
                links=links,
                matched=matched,
                query=query,
                first=query.offset + 1,
            )
        extra = {"numberMatched": matched, "numberReturned": len(page), "links": links}
        return Response(feat.feature_collection_bytes(c, page, extra), mimetype=GEOJSON)

    return conditional(build)


def _page_links(cid: str, fmt: Fmt, query: feat.Query, matched: int, returned: int) -> list[dict]:
    params = {k: v for k, v in request.args.items() if k not in ("f", "offset", "limit")}
    params["limit"] = query.limit

    def at(offset: int, f: str) -> str:
        extra = {"offset": offset} if offset else {}
        return _url("ogc.items", f, collection_id=cid, **params, **extra)

    types = {"json": GEOJSON, "html": HTML}
    other = "html" if fmt == "json" else "json"
    links = [
        _link(at(query.offset, fmt), "self", types[fmt], "This page"),
        _link(at(query.offset, other), "alternate", types[other], f"This page as {other.upper()}"),
        _link(_url("ogc.collection", "json", collection_id=cid), "collection", JSON, cid),
    ]
    if query.offset + returned < matched:
        links.append(_link(at(query.offset + query.limit, fmt), "next", types[fmt], "Next page"))
    if query.offset > 0:
        prev = max(0, min(query.offset, matched) - query.limit)
        links.append(_link(at(prev, fmt), "prev", types[fmt], "Previous page"))
    return links


@bp.get("/collections/<collection_id>/items/<path:feature_id>")
def item(collection_id: str, feature_id: str) -> Response:
    """One feature."""
    c = served().ogc.catalog.get(collection_id)
    position = c.feature_index(feature_id)
    _only_f()
    fmt = _format(GEOJSON)

    def build() -> Response:
        ids = {"collection_id": c.id, "feature_id": feature_id}
        links = [
            *_self_links("ogc.item", fmt, GEOJSON, **ids),
            _link(_url("ogc.collection", "json", collection_id=c.id), "collection", JSON, c.id),
        ]
        if fmt == "html":
            props = feat.feature_properties(c, position)
            return _html("item.html", c=c, props=props, feature_id=feature_id, links=links)
        return Response(feat.feature_bytes(c, position, links), mimetype=GEOJSON)

    return conditional(build)
