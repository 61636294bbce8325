"""The map page, its script, the layer downloads and the vendored assets."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import force_locale, get_locale, gettext
from markupsafe import Markup
from xstatic.pkg import leaflet, leaflet_markercluster

from layers.charts import CHARTS
from layers.formats import FORMATS, ZIP_NAME
from layers.geojson import dumps, to_feature_collection
from layers.i18n import DEFAULT_LANG, LANG_NAMES, LANGS, Lang, check_lang, text
from layers.lean import LeanBodies, prepare_lean
from layers.localize import localize_frame
from layers.map import Assets, BasemapSpec, basemap_config, basemaps, build_map, render_map
from layers.registry import LAYERS, REGISTRY, SPEC
from layers.search import MAX_LIMIT, MAX_QUERY, ServerSearch, prepare_search
from layers.stats import Derived, derive
from webapp import ogc, state, transfer
from webapp.errors import ApiError, ConfigError
from webapp.i18n import LOCALES, request_lang
from webapp.params import (
    CONTROLS,
    OVERLAYS,
    YEARS,
    ViewParams,
    ViewValues,
    view_params,
    view_values,
)
from webapp.state import served

bp = Blueprint("map", __name__)

#: Front-end libraries, served from their pip-installed XStatic packages.
VENDOR = {"leaflet": leaflet.BASE_DIR, "markercluster": leaflet_markercluster.BASE_DIR}

#: The Content-Security-Policy of every response; ``{tiles}`` becomes the tile origins of the
#: enabled basemaps, and nothing else; ``{ancestors}`` who may frame the page (see :func:`csp`).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:{tiles}; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors {ancestors}"
)
#: Who may frame ``/embed`` without ``WANBEI_FRAME_ANCESTORS``: any origin. Every other page
#: may be framed by the app itself only.
DEFAULT_FRAME_ANCESTORS = "*"

#: The client modules of the map page, in load order: ``wanbei.js`` first (the namespace and
#: the layers), then the modules that extend it (see the header of each file).
CLIENT_MODULES = (
    "wanbei.js",
    "lean.js",
    "coords.js",
    "basemaps.js",
    "arcs.js",
    "labels.js",
    "fallback.js",
    "furniture.js",
    "summary.js",
    "search.js",
    "officials.js",
    "export.js",
    "permalink.js",
    "embed.js",
    "tables.js",
    "layout.js",
    "milestones.js",
)


def _setting(name: str) -> str | None:
    """A setting from the app config, else from the environment variable ``WANBEI_<name>``."""
    value = current_app.config.get(name, os.environ.get(f"WANBEI_{name}"))
    if value is None:
        return None
    return str(value).strip() or None


def enabled_basemaps() -> tuple[BasemapSpec, ...]:
    """The basemaps this app offers (Tianditu only with ``TIANDITU_TOKEN``)."""
    return basemaps(_setting("TIANDITU_TOKEN"))


def parse_frame_ancestors(value: str | None) -> str:
    """``value`` as the sources of ``frame-ancestors`` (``*`` when unset); ValueError if it
    is not a space-separated list of CSP sources (it could add a directive)."""
    value = (value or "").strip() or DEFAULT_FRAME_ANCESTORS
    if any(c in value for c in ";,\r\n"):
        raise ConfigError(
            f"WANBEI_FRAME_ANCESTORS must be space-separated CSP sources, e.g. "
            f"\"https://portal.example.gov.cn 'self'\", instead got: {value!r}"
        )
    return " ".join(value.split())


def frame_ancestors() -> str:
    """The sources that may frame ``/embed``: ``WANBEI_FRAME_ANCESTORS`` (space-separated CSP
    sources, e.g. ``https://www.example.gov.cn 'self'``), by default ``*`` (any origin)."""
    return parse_frame_ancestors(_setting("FRAME_ANCESTORS"))


# A bad setting stops the app at start-up rather than failing every /embed.
bp.record_once(
    lambda setup: parse_frame_ancestors(
        setup.app.config.get("FRAME_ANCESTORS", os.environ.get("WANBEI_FRAME_ANCESTORS"))
    )
)


def is_embed() -> bool:
    """Whether the request is for the embeddable map."""
    return request.endpoint == "map.embed"


def csp(embed: bool = False) -> str:
    """The CSP with the tile origins of the enabled basemaps in ``img-src``; the embeddable map
    may be framed by :func:`frame_ancestors`, everything else by the app itself only."""
    origins = [o for spec in enabled_basemaps() for o in spec.origins()]
    ancestors = frame_ancestors() if embed else "'self'"
    return CSP.format(tiles="".join(f" {o}" for o in origins), ancestors=ancestors)


def _x_frame_options(embed: bool) -> str | None:
    """The legacy header consistent with the CSP (none where CSP allows other origins)."""
    if not embed:
        return "SAMEORIGIN"
    return {"'none'": "DENY", "'self'": "SAMEORIGIN"}.get(frame_ancestors())


def assets(lang: Lang = DEFAULT_LANG) -> Assets:
    """The URLs of the page's scripts, styles and layers, on this app's origin."""
    return Assets(
        css=(
            url_for("map.vendor", name="leaflet", filename="leaflet.css"),
            url_for("map.vendor", name="markercluster", filename="MarkerCluster.css"),
            url_for("static", filename="wanbei.css"),
            url_for("static", filename="embed.css"),
            url_for("static", filename="carto.css"),
            url_for("static", filename="plan.css"),
        ),
        js=(
            url_for("map.vendor", name="leaflet", filename="leaflet.js"),
            url_for("map.vendor", name="markercluster", filename="leaflet.markercluster.js"),
            *(url_for("static", filename=name) for name in CLIENT_MODULES),
        ),
        layer_url=lambda layer_id: _layer_url(layer_id, lang),
    )


def _layer_url(layer_id: str, lang: Lang) -> str:
    # a big point layer is drawn from its lean payload (ids, points, the filtered properties)
    if layer_id in _lean().big:
        return url_for("map.api_lean", layer_id=layer_id, lang=lang, v=served().dataset.version)
    # zh-Hans is the canonical download (so the static export needs no extra file)
    if lang == DEFAULT_LANG:
        return url_for("map.download", layer_id=layer_id, ext="geojson")
    return url_for("map.api_layer", layer_id=layer_id, lang=lang, v=served().dataset.version)


def _derived() -> Derived:
    """Pair summaries, search index and statistics of the served data version (built once)."""
    return served().get("derived", derive)  # type: ignore[return-value]


# Built with the data (at start-up and at each reload, before the swap), not by a request.
bp.record_once(lambda setup: state.add_preparer(setup.app, "derived", derive))


def _lean() -> LeanBodies:
    """The lean payloads of the point layers of the served data version (built once)."""
    return served().get("lean", prepare_lean)  # type: ignore[return-value]


def _server_search() -> ServerSearch:
    """The server's search of the served data version (built once)."""
    return served().get("search", prepare_search)  # type: ignore[return-value]


bp.record_once(lambda setup: state.add_preparer(setup.app, "lean", prepare_lean))
bp.record_once(lambda setup: state.add_preparer(setup.app, "search", prepare_search))

#: Caching of the pages by a browser or a CDN: they name the data version in their script URLs,
#: so they are kept briefly and revalidated (ETag) in the background.
PAGE_CACHE = "public, max-age=60, stale-while-revalidate=600"
#: Caching of a response whose URL carries the version it depends on (``?v=``).
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"


def script_version() -> str:
    """The cache-buster of ``map.js``: the data version and the code that renders the map."""
    return f"{served().dataset.version}{ogc.CODE_HASH[:8]}"


def cached_page(render: Callable[[], str], *key: object) -> Response:
    """A page rendered once per data version, script root, locale and ``key``; 304 when the
    request's ``If-None-Match`` names it; headers for a CDN."""
    data = served()
    full_key = (request.endpoint, request.script_root, str(get_locale()), *key)
    cached = data.pages.get(full_key)
    if cached is None:
        body = render().encode()
        cached = data.pages[full_key] = (body, hashlib.blake2b(body, digest_size=12).hexdigest())
    body, etag = cached
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        response = Response(body, mimetype="text/html")
    response.set_etag(etag, weak=True)
    response.headers["Cache-Control"] = PAGE_CACHE
    response.vary.add("Accept-Language")
    return response


def _lang_arg(lang: Lang) -> Lang | None:
    """``lang`` for a URL: none for zh-Hans (the canonical URL, which the static export keeps)."""
    return None if lang == DEFAULT_LANG else lang


def officials_config(lang: Lang = DEFAULT_LANG) -> dict:
    """The config of the page's officials' tools (``wanbei.initOfficials``) in ``lang``: the
    URLs of the summaries, search index and charts in that language."""
    derived = _derived()
    values: ViewValues = served().get("view_values", view_values)  # type: ignore[assignment]
    arg = _lang_arg(lang)
    with force_locale(LOCALES[lang]):
        title = gettext("沪苏浙城市结对合作帮扶皖北城市")
    return {
        "lang": lang,
        "pairs_url": url_for("map.api_pairs", lang=arg),
        "search_url": url_for("map.api_search", lang=arg),
        "search_api_url": url_for("map.api_search_query", lang=arg),
        "stats_page": url_for("map.stats_page", lang=arg),
        "charts": [
            {"name": name, "url": url_for("map.chart", name=name, v=derived.version, lang=arg)}
            for name in CHARTS
        ],
        "years": list(YEARS),  # the range the server checks from= and to= against
        # the sector filter's values are canonical (the data's, the downloads'), its options
        # labelled as the features in ``lang`` carry them; old links' Traditional forms alias
        "sectors": dict(values.sector_labels[lang]),
        "sector_aliases": dict(values.sector_aliases),
        "print": {
            "title": title,
            "review_no": _setting("MAP_REVIEW_NO"),
            "version": derived.version,
            "data_date": derived.data_date,
        },
    }


def _rendered_map(lang: Lang = DEFAULT_LANG):
    data = served()
    key = f"{request.script_root}|{lang}"
    rendered = data.maps.get(key)
    if rendered is None:
        m = build_map(
            data.dataset.layers, assets(lang), officials=officials_config(lang), lang=lang
        )
        rendered = data.maps[key] = render_map(m)
    return rendered


def _view() -> ViewParams:
    """The checked view parameters of a map page (each bad one is a 400 naming it)."""
    values: ViewValues = served().get("view_values", view_values)  # type: ignore[assignment]
    offered = [spec.id for spec in enabled_basemaps()]
    return view_params(request.args, offered, values, embed=is_embed())


# The values the view parameters may take, built with each data version (not per request).
bp.record_once(lambda setup: state.add_preparer(setup.app, "view_values", view_values))


def _map_page(template: str) -> Response:
    """``/`` or ``/embed``: the view parameters are checked here and applied by the page's
    script (permalink.js, embed.js), so the HTML is the same for every value of them."""
    lang = request_lang()
    _view()

    def render() -> str:
        return render_template(
            template,
            lang=lang,
            t=lambda zh, en: text(zh, en, lang),
            langs=[(code, LANG_NAMES[code]) for code in LANGS],
            rendered=_rendered_map(lang),
            assets=assets(lang),
            map_script=url_for(
                "map.map_script", v=script_version(), lang=None if lang == DEFAULT_LANG else lang
            ),
            layers=REGISTRY,
            overlays=[spec for spec in REGISTRY if spec.id in OVERLAYS],
            controls=CONTROLS,
            version=served().dataset.version,
            # the tile basemaps are declared by the page (map.js names no other origin)
            basemaps=[basemap_config(spec, lang) for spec in enabled_basemaps()],
        )

    return cached_page(render, lang)


@bp.get("/")
def index() -> Response:
    """The full-window map of the network; the URL's view parameters pick the view."""
    return _map_page("map.html")


@bp.get("/embed")
def embed() -> Response:
    """The map for iframes, without the officials' panels; parameters pick view and controls."""
    return _map_page("embed.html")


@bp.get("/map.js")
def map_script() -> Response:
    """The script that builds the map (kept out of the page so no inline script is needed)."""
    response = Response(_rendered_map(_lang_param()).script, mimetype="text/javascript")
    response = _conditional(response, max_age=60)
    if request.args.get("v") == script_version():  # this URL always means these bytes
        response.headers["Cache-Control"] = IMMUTABLE_CACHE
    return response


def _lang_param() -> Lang:
    """``?lang=`` alone (never Accept-Language: these URLs are cached as they are)."""
    raw = request.args.get("lang", DEFAULT_LANG)
    try:
        return check_lang(raw)
    except ValueError as exc:
        raise ApiError(400, "InvalidParameterValue", str(exc), parameter="lang") from None


def _check_layer(layer_id: str) -> None:
    """A 404 that names the parameter and lists the valid layer ids."""
    if layer_id not in LAYERS:
        raise ApiError(
            404,
            "NotFound",
            f"Unknown layer {layer_id!r}.",
            parameter="layer_id",
            valid=list(LAYERS),
        )


@bp.get("/api/layers/<layer_id>.geojson")
def api_layer(layer_id: str) -> Response:
    """One layer for the map in ``lang`` (names and texts localized; /downloads is canonical)."""
    _check_layer(layer_id)
    lang = _lang_param()
    if lang == DEFAULT_LANG:
        kept = served().geojson[layer_id]  # the layer's text, kept gzipped (the OGC catalog's)
    else:
        kept = served().get("localized", state.localized_geojson)[(layer_id, lang)]
    response = transfer.gzipped_response(kept.data, kept.size, "application/geo+json")
    return _conditional(response, max_age=3600)


# Every layer in every language, built with the data (not by the first request), kept gzipped.
bp.record_once(lambda setup: state.add_preparer(setup.app, "localized", state.localized_geojson))


@bp.get("/api/layers/<layer_id>/items/<feature_id>.json")
def api_layer_item(layer_id: str, feature_id: str) -> Response:
    """One feature for a map popup in ``lang`` (the OGC API's item is canonical, zh-Hans)."""
    _check_layer(layer_id)
    body = _localized_item(layer_id, feature_id, _lang_param())
    return _conditional(Response(body, mimetype="application/geo+json"), max_age=300)


def _localized_item(layer_id: str, feature_id: str, lang: Lang) -> bytes:
    """The GeoJSON Feature ``feature_id`` of ``layer_id`` in ``lang``: one row of the served
    layer, localized as the map's layers are (cheap: no per-version cache of every feature)."""
    collection = ogc.ogc_data().catalog.get(layer_id)
    position = collection.ids.position(feature_id)
    if position is None:
        raise ApiError(
            404,
            "NotFound",
            f"Layer {layer_id!r} has no feature {feature_id!r}.",
            parameter="feature_id",
        )
    row = localize_frame(collection.gdf.iloc[[position]], lang)
    return dumps(to_feature_collection(row)["features"][0])


@bp.get("/downloads/<layer_id>.<ext>")
def download(layer_id: str, ext: str) -> Response:
    """A layer as GeoJSON, CSV, GeoPackage or KML, filtered like the OGC API items."""
    _check_layer(layer_id)
    if ext not in FORMATS:
        raise ApiError(
            404, "NotFound", f"Unknown format {ext!r}.", parameter="ext", valid=list(FORMATS)
        )
    return ogc.download_response(layer_id, ext)


@bp.get(f"/downloads/{ZIP_NAME}")
def download_all() -> Response:
    """Every layer in every format, the source tables, a README and the licences, zipped."""
    return ogc.zip_response()


@bp.get("/api/pairs.json")
def api_pairs() -> Response:
    """Each city pair's summary (texts in ``lang``) and the ids of its features in every layer."""
    return _json_bytes(_derived().languages[_lang_param()].pairs)


@bp.get("/api/search.json")
def api_search() -> Response:
    """The search index: names in ``lang``, Chinese and English, pinyin and initials."""
    return _json_bytes(_derived().languages[_lang_param()].search)


@bp.get("/api/stats.json")
def api_stats() -> Response:
    """The figures of the statistics panel."""
    return _json_bytes(_derived().stats_json)


@bp.get("/spec.json")
def api_spec() -> Response:
    """The spec of the layers and vocabularies (``geo/spec.toml``) as JSON, for scripts."""
    return _json_bytes(dumps(SPEC.as_json()))


@bp.get("/charts/<name>.svg")
def chart(name: str) -> Response:
    """One chart of the statistics in ``lang``, as SVG drawn by the app."""
    charts = _derived().languages[_lang_param()].charts
    if name not in charts:
        raise ApiError(
            404, "NotFound", f"Unknown chart {name!r}.", parameter="name", valid=list(charts)
        )
    return _conditional(Response(charts[name], mimetype="image/svg+xml"), max_age=300)


@bp.get("/stats")
def stats_page() -> str:
    """The statistics on a page of their own (printable), in the request's language."""
    lang = request_lang()
    derived = _derived()
    localized = derived.languages[lang]
    return render_template(
        "stats.html",
        lang=lang,
        stats=localized.stats,
        # The SVG is built by ElementTree in layers/charts.py, every text escaped there.
        charts={name: Markup(svg) for name, svg in localized.charts.items()},
        version=derived.version,
        map_url=url_for("map.index", lang=_lang_arg(lang)),
    )


@bp.get("/api/lean/<layer_id>.json")
def api_lean(layer_id: str) -> Response:
    """One point layer for the map, lean: ids, coordinates and the properties it filters on."""
    _check_layer(layer_id)
    lean = _lean()
    if layer_id not in lean.layer_ids():
        raise ApiError(
            404,
            "NotFound",
            f"Layer {layer_id!r} is not a point layer: it has no lean payload.",
            parameter="layer_id",
            valid=lean.layer_ids(),
        )
    body = lean.bodies[(layer_id, _lang_param())]  # kept gzipped
    response = transfer.gzipped_response(body.data, body.size, "application/json")
    return _conditional(response, max_age=3600)


@bp.get("/api/search")
def api_search_query() -> Response:
    """Search names on the server (``q``, ``layer`` repeatable, ``limit``, ``lang``)."""
    search = _server_search()
    q, layers, limit = _search_params(list(search.layers))
    body = dumps(search.search(q, layers, limit, _lang_param()))
    return _conditional(Response(body, mimetype="application/json"), max_age=300)


def _search_params(valid: list[str]) -> tuple[str, list[str] | None, int]:
    """``q``, ``layer`` and ``limit`` of ``/api/search``, checked (a 400 names a bad one)."""
    args = request.args
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


def _json_bytes(body: bytes) -> Response:
    return _conditional(Response(body, mimetype="application/json"), max_age=300)


@bp.get("/favicon.ico")
def favicon() -> Response:
    """The app's icon where browsers and crawlers look for it (the SVG the pages link)."""
    return send_from_directory(
        current_app.static_folder, "favicon.svg", mimetype="image/svg+xml", max_age=86400
    )


@bp.get("/vendor/<name>/<path:filename>")
def vendor(name: str, filename: str) -> Response:
    """A file of a vendored front-end library."""
    if name not in VENDOR:
        abort(404)
    return send_from_directory(VENDOR[name], filename, max_age=86400)


def _conditional(response: Response, max_age: int) -> Response:
    """Caching headers and a 304 for ``response``, whose body is fixed by the data version, the
    code and the URL: the ETag is made from those, so no body is hashed per request."""
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    key = f"{script_version()}|{request.script_root}|{request.full_path}"
    response.set_etag(hashlib.sha256(key.encode()).hexdigest()[:24], weak=True)
    return response.make_conditional(request)


def security_headers(response: Response) -> Response:
    """Headers every response carries; ``/embed`` also never sets a cookie."""
    embed = is_embed()
    response.headers.setdefault("Content-Security-Policy", csp(embed))
    frame_options = _x_frame_options(embed)
    if frame_options:
        response.headers.setdefault("X-Frame-Options", frame_options)
    if embed:
        response.headers.remove("Set-Cookie")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    return response
