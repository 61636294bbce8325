"""The map page, its script, the layer downloads and the vendored assets."""

from __future__ import annotations

import os

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
from markupsafe import Markup
from xstatic.pkg import leaflet, leaflet_markercluster

from layers.charts import CHARTS
from layers.formats import FORMATS, ZIP_NAME
from layers.map import Assets, BasemapSpec, basemap_config, basemaps, build_map, render_map
from layers.registry import LAYERS, REGISTRY
from layers.stats import Derived, derive
from webapp import ogc
from webapp.errors import ApiError
from webapp.state import served

bp = Blueprint("map", __name__)

#: Front-end libraries, served from their pip-installed XStatic packages.
VENDOR = {"leaflet": leaflet.BASE_DIR, "markercluster": leaflet_markercluster.BASE_DIR}

#: The Content-Security-Policy of every response; ``{tiles}`` becomes the tile origins of the
#: enabled basemaps, and nothing else (see :func:`csp`).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:{tiles}; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'self'"
)

#: The client modules of the map page, in load order: ``wanbei.js`` first (the namespace and
#: the layers), then the modules that extend it (see the header of each file).
CLIENT_MODULES = (
    "wanbei.js",
    "coords.js",
    "basemaps.js",
    "furniture.js",
    "officials.js",
    "export.js",
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


def csp() -> str:
    """The CSP with the tile origins of the enabled basemaps in ``img-src``."""
    origins = [o for spec in enabled_basemaps() for o in spec.origins()]
    return CSP.format(tiles="".join(f" {o}" for o in origins))


def assets() -> Assets:
    """The URLs of the page's scripts, styles and layers, on this app's origin."""
    return Assets(
        css=(
            url_for("map.vendor", name="leaflet", filename="leaflet.css"),
            url_for("map.vendor", name="markercluster", filename="MarkerCluster.css"),
            url_for("static", filename="wanbei.css"),
        ),
        js=(
            url_for("map.vendor", name="leaflet", filename="leaflet.js"),
            url_for("map.vendor", name="markercluster", filename="leaflet.markercluster.js"),
            *(url_for("static", filename=name) for name in CLIENT_MODULES),
        ),
        layer_url=lambda layer_id: url_for("map.download", layer_id=layer_id, ext="geojson"),
    )


def _derived() -> Derived:
    """Pair summaries, search index and statistics of the served data version (built once)."""
    data = served()
    cached = current_app.extensions.get("wanbei.derived")
    if cached is None or cached.version != data.dataset.version:
        cached = current_app.extensions["wanbei.derived"] = derive(data.dataset)
    return cached


def officials_config() -> dict:
    """The config of the page's officials' tools (``wanbei.initOfficials``)."""
    derived = _derived()
    return {
        "pairs_url": url_for("map.api_pairs"),
        "search_url": url_for("map.api_search"),
        "stats_page": url_for("map.stats_page"),
        "charts": [
            {"name": name, "url": url_for("map.chart", name=name, v=derived.version)}
            for name in CHARTS
        ],
        "years": [2021, 2030],
        "print": {
            "title": "沪苏浙城市结对合作帮扶皖北城市",
            "review_no": _setting("MAP_REVIEW_NO"),
            "version": derived.version,
            "data_date": derived.data_date,
        },
    }


def _rendered_map():
    data = served()
    key = request.script_root
    if key not in data.maps:
        m = build_map(data.dataset.layers, assets(), officials=officials_config())
        data.maps[key] = render_map(m)
    return data.maps[key]


@bp.get("/")
def index() -> str:
    """The full-window map of the network; ``basemap`` and ``pair`` pick the view."""
    specs = enabled_basemaps()
    offered = [spec.id for spec in specs]
    basemap = request.args.get("basemap")
    if basemap is not None and basemap not in offered:
        raise ApiError(
            400,
            "InvalidParameter",
            f"Unknown basemap {basemap!r}.",
            parameter="basemap",
            valid=offered,
        )
    pair = request.args.get("pair")
    pairings = served().dataset.layers["pairings"]
    city_pairs = list(pairings.loc[pairings["level"] == "city", "id"])
    if pair is not None and pair not in city_pairs:
        raise ApiError(
            400, "InvalidParameter", f"Unknown pair {pair!r}.", parameter="pair", valid=city_pairs
        )
    page_assets = assets()
    return render_template(
        "map.html",
        rendered=_rendered_map(),
        assets=page_assets,
        layers=REGISTRY,
        version=served().dataset.version,
        # the tile basemaps are declared by the page (map.js names no other origin)
        basemaps=[basemap_config(spec) for spec in specs],
    )


@bp.get("/map.js")
def map_script() -> Response:
    """The script that builds the map (kept out of the page so no inline script is needed)."""
    response = Response(_rendered_map().script, mimetype="text/javascript")
    return _conditional(response, max_age=3600)


@bp.get("/downloads/<layer_id>.<ext>")
def download(layer_id: str, ext: str) -> Response:
    """A layer as GeoJSON, CSV, GeoPackage or KML, filtered like the OGC API items."""
    if layer_id not in LAYERS:
        raise ApiError(
            404,
            "NotFound",
            f"Unknown layer {layer_id!r}.",
            parameter="layer_id",
            valid=list(LAYERS),
        )
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
    """Each city pair's summary and the ids of its features in every layer."""
    return _json_bytes(_derived().pairs)


@bp.get("/api/search.json")
def api_search() -> Response:
    """The search index: names in Chinese and English, pinyin and initials."""
    return _json_bytes(_derived().search)


@bp.get("/api/stats.json")
def api_stats() -> Response:
    """The figures of the statistics panel."""
    return _json_bytes(_derived().stats_json)


@bp.get("/charts/<name>.svg")
def chart(name: str) -> Response:
    """One chart of the statistics, as SVG drawn by the app."""
    charts = _derived().charts
    if name not in charts:
        raise ApiError(
            404, "NotFound", f"Unknown chart {name!r}.", parameter="name", valid=list(charts)
        )
    return _conditional(Response(charts[name], mimetype="image/svg+xml"), max_age=300)


@bp.get("/stats")
def stats_page() -> str:
    """The statistics on a page of their own (printable)."""
    derived = _derived()
    return render_template(
        "stats.html",
        stats=derived.stats,
        # The SVG is built by ElementTree in layers/charts.py, every text escaped there.
        charts={name: Markup(svg) for name, svg in derived.charts.items()},
        version=derived.version,
    )


def _json_bytes(body: bytes) -> Response:
    return _conditional(Response(body, mimetype="application/json"), max_age=300)


@bp.get("/vendor/<name>/<path:filename>")
def vendor(name: str, filename: str) -> Response:
    """A file of a vendored front-end library."""
    if name not in VENDOR:
        abort(404)
    return send_from_directory(VENDOR[name], filename, max_age=86400)


def _conditional(response: Response, max_age: int) -> Response:
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.add_etag()
    return response.make_conditional(request)


def security_headers(response: Response) -> Response:
    """Headers every response carries."""
    response.headers.setdefault("Content-Security-Policy", csp())
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    return response
