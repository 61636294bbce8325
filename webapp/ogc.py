"""OGC API - Features (Part 1: Core, GeoJSON, HTML, OpenAPI 3.0) under ``/ogc``, and the downloads.

The query logic lives in :mod:`layers.features`; this module adapts it to HTTP: format
negotiation (``f`` and ``Accept``), links, validators and the mapping of
:class:`layers.features.QueryError` to 400/404 JSON bodies that name the parameter.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from flask import Blueprint, Flask, Response, current_app, render_template, request, url_for

from geo.dataset import Dataset
from layers import features as feat
from layers.featureschema import feature_schema
from layers.formats import FORMATS, ZIP_NAME, write_zip
from layers.geojson import dumps
from layers.openapi import OPENAPI_MEDIA_TYPE, openapi_document
from webapp import filecache, state, transfer
from webapp.errors import ApiError, ClientGone
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
MAX_AGE = 300  # seconds: the data can be reloaded, so caches check back soon

Fmt = Literal["json", "html"]


@dataclass
class OgcData:
    """What the OGC API and the downloads serve for one data version, built once."""

    dataset: Dataset
    catalog: feat.Catalog
    #: The HTTP ``Last-Modified`` of this version: when this process took it (see
    #: :func:`version_time`), not the files' times, which go back with a restored backup.
    last_modified: dt.datetime
    #: The newest modification time of the data files and the code: the time in the zip.
    data_time: dt.datetime
    #: The unfiltered downloads but GeoJSON and the zip: on disk, built once (webapp.filecache)
    files: filecache.VersionFiles
    #: server URL -> document: one (the public URL, or relative), bounded all the same
    openapi: state.Bounded = field(default_factory=lambda: state.Bounded(2))
    lock: threading.Lock = field(default_factory=threading.Lock)


def _code_stamp() -> tuple[str, dt.datetime]:
    """A hash and the newest modification time of the code that shapes the responses.

    Both go into the validators, so that a new release (new links, a changed page) is not
    answered 304 from a cache filled by the old one; the hash is the same in every worker.
    """
    root = Path(__file__).resolve().parent.parent
    files = sorted(
        [
            *(root / "layers").glob("*.py"),
            *(root / "webapp").glob("*.py"),
            *(root / "webapp" / "templates" / "ogc").glob("*.html"),
        ]
    )
    digest = hashlib.blake2b(digest_size=8)
    for path in files:
        digest.update(path.read_bytes())
    newest = max((p.stat().st_mtime for p in files), default=0.0)
    return digest.hexdigest(), dt.datetime.fromtimestamp(int(newest), dt.UTC)


CODE_HASH, CODE_MODIFIED = _code_stamp()


def init_app(app: Flask) -> None:
    """Register the API and the data-path HTTP handling; prepare the served data."""
    app.config.setdefault("OGC_LIMIT_DEFAULT", feat.LIMIT_DEFAULT)
    app.config.setdefault("OGC_LIMIT_MAX", feat.LIMIT_MAX)
    builds = int(app.config.get("DOWNLOAD_BUILDS", DOWNLOAD_BUILDS))
    app.extensions["wanbei.download_builds"] = threading.BoundedSemaphore(max(builds, 1))
    app.register_blueprint(bp)
    app.jinja_env.globals["download_formats"] = FORMATS  # the map's download menu lists them
    transfer.init_app(app)
    cache_dir = filecache.init_app(app)
    state.add_preparer(app, "ogc", functools.partial(prepare, cache_dir=cache_dir))
    # the files of other versions go now, and after each reload (not before the swap: the old
    # version is served until then)
    current = _cache_key(app)
    filecache.forget_other_versions(cache_dir, {current} if current else set())
    reloader = app.extensions.get("wanbei.reloader")
    if reloader is not None:
        watch_reloads(app, reloader)


def _cache_key(app: Flask) -> str | None:
    """The name of the cache directory of the version ``app`` serves (None before any)."""
    served_now = app.extensions.get("wanbei")
    data = served_now.prepared.get("ogc") if served_now is not None else None
    return data.files.version if isinstance(data, OgcData) else None


def watch_reloads(app: Flask, reloader: state.Reloader) -> None:
    """After each swap of ``reloader``, remove the cached files of every version but the new
    and the previous one (whose last requests may still be under way)."""
    app_ref = weakref.ref(app)  # the reloader's thread must not keep the app alive
    previous = [_cache_key(app)]

    def forget(_version: str) -> None:
        found = app_ref()
        new = _cache_key(found) if found is not None else None
        if found is None or new is None:
            return
        keep = {new, *(k for k in previous if k)}
        filecache.forget_other_versions(found.extensions[filecache.EXTENSION], keep)
        previous[:] = [new]

    reloader.after_swap.append(forget)


def prepare(dataset: Dataset, cache_dir: Path | None = None) -> OgcData:
    """Build what the API serves for ``dataset`` (by :func:`webapp.state.build`, at start-up
    and at every reload before the new data is served).

    Its files go in ``cache_dir`` (default: the current app's); nothing is removed here, while
    the old version is still served (see :func:`watch_reloads`)."""
    data_time = max(transfer.data_last_modified(dataset.source), CODE_MODIFIED)
    root = cache_dir if cache_dir is not None else current_app.extensions[filecache.EXTENSION]
    # the files depend on the data, the code and the time stamped in the zip: all in the name
    key = filecache.version_key(dataset.version, CODE_HASH, int(data_time.timestamp()))
    return OgcData(
        dataset=dataset,
        catalog=feat.catalog_of(dataset),  # shared with the layers' downloads (state.build)
        last_modified=version_time(),
        data_time=data_time,
        files=filecache.VersionFiles(root, key),
    )


_last_stamp = [dt.datetime.min.replace(tzinfo=dt.UTC)]
_stamp_lock = threading.Lock()


def version_time() -> dt.datetime:
    """The ``Last-Modified`` of a data version this process starts to serve: now (whole
    seconds), and always later than that of any version before it. So a client's
    ``If-Modified-Since`` never matches a version it has not seen, even when the data goes back
    in time (a backup copied back with its old modification times)."""
    with _stamp_lock:
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        _last_stamp[0] = max(now, _last_stamp[0] + dt.timedelta(seconds=1))
        return _last_stamp[0]


def ogc_data() -> OgcData:
    """The prepared data of the dataset this request serves."""
    return served().get("ogc", prepare)  # type: ignore[return-value]


# --- request helpers -----------------------------------------------------------------------------


def _api_error(exc: feat.QueryError) -> ApiError:
    if exc.kind == "not_found":
        return ApiError(404, "NotFound", exc.description, parameter=exc.parameter)
    return ApiError(400, "InvalidParameterValue", exc.description, parameter=exc.parameter)


def api_errors(view: Callable[..., Response]) -> Callable[..., Response]:
    """Turn :class:`layers.features.QueryError` into the JSON 400/404 of :mod:`webapp.errors`."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except feat.QueryError as exc:
            raise _api_error(exc) from None

    return wrapper


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


def _cached(build: Callable[[], Response]) -> Response:
    """Answer 304 when the validators match, else build the response and set them."""
    data = ogc_data()
    etag = transfer.etag_for(data.catalog.version, CODE_HASH, transfer.request_key(request))
    early = transfer.not_modified(etag, data.last_modified, MAX_AGE)
    if early is not None:
        return early
    return transfer.ranges(transfer.validated(build(), etag, data.last_modified, MAX_AGE))


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
@api_errors
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
            return _html("landing.html", body=body, catalog=ogc_data().catalog)
        return _json(body)

    return _cached(build)


@bp.get("/conformance")
@api_errors
def conformance() -> Response:
    """The conformance classes implemented."""
    _only_f()
    fmt = _format()

    def build() -> Response:
        body = {"conformsTo": list(CONFORMANCE), "links": _self_links("ogc.conformance", fmt)}
        if fmt == "html":
            return _html("conformance.html", body=body)
        return _json(body)

    return _cached(build)


@bp.get("/api")
@api_errors
def api() -> Response:
    """The OpenAPI 3.0 definition (JSON), or a page describing it (f=html)."""
    _only_f()
    fmt = _format(OPENAPI_MEDIA_TYPE)

    def build() -> Response:
        data = ogc_data()
        server = external_url("ogc.landing").rstrip("/")  # one document per version
        with data.lock:
            if server not in data.openapi:
                doc = openapi_document(
                    data.catalog,
                    server,
                    title=TITLE,
                    limit_default=current_app.config["OGC_LIMIT_DEFAULT"],
                    limit_max=current_app.config["OGC_LIMIT_MAX"],
                )
                data.openapi[server] = dumps(doc)
            raw = data.openapi[server]
        if fmt == "html":
            import json  # noqa: PLC0415 - the page lists the parsed document

            return _html("api.html", doc=json.loads(raw), json_url=_url("ogc.api", "json"))
        return Response(raw, mimetype=OPENAPI_MEDIA_TYPE)

    return _cached(build)


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
@api_errors
def collections() -> Response:
    """Every collection, with its extents and links."""
    _only_f()
    fmt = _format()

    def build() -> Response:
        catalog = ogc_data().catalog
        body = {
            "links": _self_links("ogc.collections", fmt),
            "collections": [
                _collection_body(c, fmt, self_links=False) for c in catalog.collections.values()
            ],
        }
        if fmt == "html":
            return _html("collections.html", body=body, catalog=catalog)
        return _json(body)

    return _cached(build)


@bp.get("/collections/<collection_id>")
@api_errors
def collection(collection_id: str) -> Response:
    """One collection: its extents, queryables and links (items, downloads)."""
    c = ogc_data().catalog.get(collection_id)
    _only_f()
    fmt = _format()

    def build() -> Response:
        body = _collection_body(c, fmt, self_links=True)
        if fmt == "html":
            return _html("collection.html", body=body, c=c)
        return _json(body)

    return _cached(build)


@bp.get("/collections/<collection_id>/queryables")
@api_errors
def queryables(collection_id: str) -> Response:
    """The properties a collection's items can be filtered on (JSON Schema)."""
    c = ogc_data().catalog.get(collection_id)
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

    return _cached(build)


@bp.get("/collections/<collection_id>/schema")
@api_errors
def schema(collection_id: str) -> Response:
    """The JSON Schema of a collection's features: each property's type, from the whole layer."""
    c = ogc_data().catalog.get(collection_id)
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

    return _cached(build)


def _limits() -> dict[str, int]:
    return {
        "limit_default": current_app.config["OGC_LIMIT_DEFAULT"],
        "limit_max": current_app.config["OGC_LIMIT_MAX"],
    }


@bp.get("/collections/<collection_id>/items")
@api_errors
def items(collection_id: str) -> Response:
    """A page of a collection's features, filtered by bbox, datetime and properties."""
    c = ogc_data().catalog.get(collection_id)
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

    return _cached(build)


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
@api_errors
def item(collection_id: str, feature_id: str) -> Response:
    """One feature."""
    c = ogc_data().catalog.get(collection_id)
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

    return _cached(build)


# --- downloads (routed in webapp.views) ----------------------------------------------------------


@api_errors
def download_response(layer_id: str, ext: str) -> Response:
    """A layer as a file, filtered by bbox, datetime and properties like the items."""
    data = ogc_data()
    c = data.catalog.get(layer_id)
    fmt = FORMATS[ext]
    query = feat.parse_query(c, dict(request.args.lists()), paging=False, ignore=())

    def build() -> Response:
        if not query.filtered:
            if ext == "geojson":  # the layer's text as it is kept: gzipped
                text = served().geojson[layer_id]
                response = transfer.gzipped_response(text.data, text.size, fmt.media_type)
                response.headers["Content-Disposition"] = f'attachment; filename="{layer_id}.{ext}"'
                return response
            else:  # built once per data version, sent from the disk cache
                name = f"{layer_id}.{ext}"
                response = _file_response(
                    data, name, lambda to: fmt.write(c.spec, c.gdf, to), fmt.media_type
                )
                response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
                return response
        # written to an anonymous temporary file, sent from it, deleted when closed; a few at
        # a time (the others are told to come back), so abandoned requests cannot pile up work
        with _build_slot():
            out = tempfile.TemporaryFile(prefix="wanbei-download-")  # noqa: SIM115 - sent
            try:
                if ext == "geojson":  # the features' text, a chunk of them at a time
                    feat.write_feature_collection(c, c.select(query), _watched(out))
                else:
                    target = out if ext == "gpkg" else _watched(out)  # GDAL writes GeoPackage
                    fmt.write(c.spec, c.subset(c.select(query)), target)
                response = filecache.temp_file_response(out, fmt.media_type)
            except BaseException:
                out.close()
                raise
        response.headers["Content-Disposition"] = f'attachment; filename="{layer_id}.{ext}"'
        return response

    return _cached(build)


#: Filtered downloads built at once by a process (config ``DOWNLOAD_BUILDS``); each takes a
#: core for seconds at 100,000 sites (a KML of them, ~7 s), so more would only slow the rest.
DOWNLOAD_BUILDS = 2
#: The ``Retry-After`` of a filtered download refused while the others are being built.
RETRY_AFTER = 10


@contextlib.contextmanager
def _build_slot() -> Iterator[None]:
    """Hold one of the ``DOWNLOAD_BUILDS`` slots of filtered downloads while building one;
    when none is free, a 503 with ``Retry-After`` at once (not a queue of work whose clients
    may be gone by the time it is done)."""
    slots = current_app.extensions["wanbei.download_builds"]
    if not slots.acquire(blocking=False):
        error = ApiError(
            503,
            "ServiceUnavailable",
            "The server is building other filtered downloads; try again in "
            f"{RETRY_AFTER} seconds (the whole layer, without filters, is sent at once).",
        )
        error.headers["Retry-After"] = str(RETRY_AFTER)
        raise error
    try:
        yield
    finally:
        slots.release()


class _Watched:
    """A file object whose ``write`` stops the writer (:class:`ClientGone`) once the request's
    client has hung up, as the WSGI server tells (waitress: ``waitress.client_disconnected``)."""

    def __init__(self, file: Any, gone: Callable[[], bool]) -> None:
        self._file, self._gone = file, gone

    def write(self, data: bytes) -> int:
        if self._gone():
            raise ClientGone
        return self._file.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


def _watched(file: Any) -> Any:
    gone = request.environ.get("waitress.client_disconnected")
    return _Watched(file, gone) if callable(gone) else file


@api_errors
def zip_response() -> Response:
    """Every layer in every format, the source tables, a README and the licences."""
    for name in request.args:
        raise feat.QueryError(name, f"Unknown parameter {name!r}; the zip takes no parameters.")
    data = ogc_data()

    def build() -> Response:
        def zipped(to: Path) -> None:
            write_zip(data.dataset, to, data.data_time)

        response = _file_response(data, ZIP_NAME, zipped, "application/zip")
        response.headers["Content-Disposition"] = f'attachment; filename="{ZIP_NAME}"'
        return response

    return _cached(build)


def _file_response(
    data: OgcData, name: str, write: Callable[[Path], None], media_type: str
) -> Response:
    """The cached file ``name`` of ``data``'s version, built if need be (again if another
    process removed it before it was opened), as a response."""
    return filecache.file_response(
        _stored(data, name, write, media_type),
        media_type,
        rebuild=lambda: _stored(data, name, write, media_type),
    )


def _stored(data: OgcData, name: str, write: Callable[[Path], None], media_type: str) -> Path:
    """The cached file ``name`` of ``data``'s version; a JSON 500 (the writer failed) or 503
    (the cache directory could not be written) without a traceback if it cannot be made."""
    try:
        return data.files.path(name, write, media_type)
    except filecache.BuildError as exc:
        if exc.stage == "store":
            raise ApiError(
                503,
                "ServiceUnavailable",
                f"{name} could not be stored on the server; try again later (the error is logged).",
            ) from None
        raise ApiError(
            500, "InternalServerError", f"Building {name} failed; the error is logged."
        ) from None
