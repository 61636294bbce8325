"""The map pages, their script, the data they fetch, the downloads' routes and the vendored
assets: each view checks its parameters, calls what does the work and wraps the answer."""

from __future__ import annotations

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
from flask_babel import force_locale, gettext
from markupsafe import Markup
from xstatic.pkg import leaflet, leaflet_markercluster

from layers.charts import CHARTS
from layers.formats import FORMATS, ZIP_NAME
from layers.geojson import dumps, to_feature_collection
from layers.i18n import DEFAULT_LANG, LANG_NAMES, LANGS, Lang, text
from layers.localize import localize_frame
from layers.map import Assets, basemap_config, build_map, render_map
from layers.registry import LAYERS, REGISTRY, SPEC
from layers.stats import data_date
from webapp import caching, downloads, transfer
from webapp.caching import conditional, page
from webapp.errors import ApiError
from webapp.headers import enabled_basemaps, is_embed, setting
from webapp.i18n import LOCALES, lang_param, request_lang
from webapp.params import CONTROLS, OVERLAYS, YEARS, ViewParams, search_params, view_params
from webapp.state import served

bp = Blueprint("map", __name__)

#: Front-end libraries, served from their pip-installed XStatic packages.
VENDOR = {"leaflet": leaflet.BASE_DIR, "markercluster": leaflet_markercluster.BASE_DIR}

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
    if layer_id in served().lean.big:
        return url_for("map.api_lean", layer_id=layer_id, lang=lang, v=served().version)
    # zh-Hans is the canonical download (so the static export needs no extra file)
    if lang == DEFAULT_LANG:
        return url_for("map.download", layer_id=layer_id, ext="geojson")
    return url_for("map.api_layer", layer_id=layer_id, lang=lang, v=served().version)


def script_version() -> str:
    """The cache-buster of ``map.js``: the data version, the code that renders the map and the
    settings that shape it."""
    return caching.script_version(served().version)


def _lang_arg(lang: Lang) -> Lang | None:
    """``lang`` for a URL: none for zh-Hans (the canonical URL, which the static export keeps)."""
    return None if lang == DEFAULT_LANG else lang


def officials_config(lang: Lang = DEFAULT_LANG) -> dict:
    """The config of the page's officials' tools (``wanbei.initOfficials``) in ``lang``: the
    URLs of the summaries, search index and charts in that language."""
    dataset = served().dataset  # not served().derived: the map page is served before it is built
    values = served().view_values
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
            {
                "name": name,
                "url": url_for("map.chart", name=name, v=dataset.version, lang=arg),
                # its layout for a narrow column (the side panel), named here so that the
                # static export finds it
                "narrow_url": url_for(
                    "map.chart", name=f"{name}-narrow", v=dataset.version, lang=arg
                ),
            }
            for name in CHARTS
        ],
        "years": list(YEARS),  # the range the server checks from= and to= against
        # the sector filter's values are canonical (the data's, the downloads'), its options
        # labelled as the features in ``lang`` carry them; old links' Traditional forms alias
        "sectors": dict(values.sector_labels[lang]),
        "sector_aliases": dict(values.sector_aliases),
        "print": {
            "title": title,
            "review_no": setting("MAP_REVIEW_NO"),
            "version": dataset.version,
            "data_date": data_date(dataset),
        },
    }


def _rendered_map(lang: Lang = DEFAULT_LANG):
    data = served()
    key = ("map", request.script_root, lang)
    rendered = data.rendered.get(key)
    if rendered is None:
        m = build_map(
            data.dataset.layers, assets(lang), officials=officials_config(lang), lang=lang
        )
        rendered = data.rendered[key] = render_map(m)
    return rendered


def _view() -> ViewParams:
    """The checked view parameters of a map page (each bad one is a 400 naming it)."""
    offered = [spec.id for spec in enabled_basemaps()]
    return view_params(request.args, offered, served().view_values, embed=is_embed())


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
            version=served().version,
            # the tile basemaps are declared by the page (map.js names no other origin)
            basemaps=[basemap_config(spec, lang) for spec in enabled_basemaps()],
        )

    return page(render, lang)


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
    lang = lang_param()
    versioned = request.args.get("v") == script_version()  # this URL always means these bytes
    return conditional(
        lambda: Response(_rendered_map(lang).script, mimetype="text/javascript"),
        "versioned" if versioned else "script",
    )


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
    lang = lang_param()
    if lang == DEFAULT_LANG:
        kept = served().geojson[layer_id]  # the layer's text, kept gzipped (the OGC catalog's)
    else:
        kept = served().localized[(layer_id, lang)]
    return conditional(
        lambda: transfer.gzipped_response(kept.data, kept.size, "application/geo+json"), "layer"
    )


@bp.get("/api/layers/<layer_id>/items/<feature_id>.json")
def api_layer_item(layer_id: str, feature_id: str) -> Response:
    """One feature for a map popup in ``lang`` (the OGC API's item is canonical, zh-Hans)."""
    _check_layer(layer_id)
    lang = lang_param()
    return conditional(
        lambda: Response(
            _localized_item(layer_id, feature_id, lang), mimetype="application/geo+json"
        )
    )


def _localized_item(layer_id: str, feature_id: str, lang: Lang) -> bytes:
    """The GeoJSON Feature ``feature_id`` of ``layer_id`` in ``lang``: one row of the served
    layer, localized as the map's layers are (cheap: no per-version cache of every feature)."""
    collection = served().ogc.catalog.get(layer_id)
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
    return downloads.download_response(layer_id, ext)


@bp.get(f"/downloads/{ZIP_NAME}")
def download_all() -> Response:
    """Every layer in every format, the source tables, a README and the licences, zipped."""
    return downloads.zip_response()


@bp.get("/api/pairs.json")
def api_pairs() -> Response:
    """Each city pair's summary (texts in ``lang``) and the ids of its features in every layer."""
    return _json_bytes(served().derived.languages[lang_param()].pairs)


@bp.get("/api/search.json")
def api_search() -> Response:
    """The search index: names in ``lang``, Chinese and English, pinyin and initials."""
    return _json_bytes(served().derived.languages[lang_param()].search)


@bp.get("/api/stats.json")
def api_stats() -> Response:
    """The figures of the statistics panel."""
    return _json_bytes(served().derived.stats_json)


@bp.get("/spec.json")
def api_spec() -> Response:
    """The spec of the layers and vocabularies (``geo/spec.toml``) as JSON, for scripts."""
    return _json_bytes(dumps(SPEC.as_json()))


@bp.get("/charts/<name>.svg")
def chart(name: str) -> Response:
    """One chart of the statistics in ``lang``, as SVG drawn by the app."""
    charts = served().derived.languages[lang_param()].charts
    if name not in charts:
        raise ApiError(
            404, "NotFound", f"Unknown chart {name!r}.", parameter="name", valid=list(charts)
        )
    return conditional(lambda: Response(charts[name], mimetype="image/svg+xml"))


@bp.get("/stats")
def stats_page() -> Response:
    """The statistics on a page of their own (printable), in the request's language."""
    lang = request_lang()
    derived = served().derived
    localized = derived.languages[lang]
    return page(
        lambda: render_template(
            "stats.html",
            lang=lang,
            stats=localized.stats,
            # The SVG is built by ElementTree in layers/charts.py, every text escaped there.
            charts={name: Markup(svg) for name, svg in localized.charts.items()},
            version=derived.version,
            map_url=url_for("map.index", lang=_lang_arg(lang)),
        ),
        lang,
    )


@bp.get("/api/lean/<layer_id>.json")
def api_lean(layer_id: str) -> Response:
    """One point layer for the map, lean: ids, coordinates and the properties it filters on."""
    _check_layer(layer_id)
    lean = served().lean
    if layer_id not in lean.layer_ids():
        raise ApiError(
            404,
            "NotFound",
            f"Layer {layer_id!r} is not a point layer: it has no lean payload.",
            parameter="layer_id",
            valid=lean.layer_ids(),
        )
    body = lean.bodies[(layer_id, lang_param())]  # kept gzipped
    return conditional(
        lambda: transfer.gzipped_response(body.data, body.size, "application/json"), "layer"
    )


@bp.get("/api/search")
def api_search_query() -> Response:
    """Search names on the server (``q``, ``layer`` repeatable, ``limit``, ``lang``)."""
    search = served().search
    q, layers, limit = search_params(request.args, list(search.layers))
    lang = lang_param()
    return conditional(
        lambda: Response(dumps(search.search(q, layers, limit, lang)), mimetype="application/json")
    )


def _json_bytes(body: bytes) -> Response:
    return conditional(lambda: Response(body, mimetype="application/json"))


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
