"""The map page, its script, the layer downloads and the vendored assets."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request, send_from_directory, url_for
from xstatic.pkg import leaflet, leaflet_markercluster

from layers.map import Assets, build_map, render_map
from layers.registry import LAYERS, REGISTRY
from webapp.errors import ApiError
from webapp.state import served

bp = Blueprint("map", __name__)

#: Front-end libraries, served from their pip-installed XStatic packages.
VENDOR = {"leaflet": leaflet.BASE_DIR, "markercluster": leaflet_markercluster.BASE_DIR}

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'self'"
)


def assets() -> Assets:
    """The URLs of the page's scripts, styles and layers, on this app's origin."""
    return Assets(
        css=(
            url_for("map.vendor", name="leaflet", filename="leaflet.css"),
            url_for("static", filename="wanbei.css"),
        ),
        js=(
            url_for("map.vendor", name="leaflet", filename="leaflet.js"),
            url_for("static", filename="wanbei.js"),
        ),
        layer_url=lambda layer_id: url_for("map.download", layer_id=layer_id, ext="geojson"),
    )


def _rendered_map():
    data = served()
    key = request.script_root
    if key not in data.maps:
        data.maps[key] = render_map(build_map(data.dataset.layers, assets()))
    return data.maps[key]


@bp.get("/")
def index() -> str:
    """The full-window map of the network."""
    page_assets = assets()
    return render_template(
        "map.html",
        rendered=_rendered_map(),
        assets=page_assets,
        layers=REGISTRY,
        version=served().dataset.version,
    )


@bp.get("/map.js")
def map_script() -> Response:
    """The script that builds the map (kept out of the page so no inline script is needed)."""
    response = Response(_rendered_map().script, mimetype="text/javascript")
    return _conditional(response, max_age=3600)


@bp.get("/downloads/<layer_id>.<ext>")
def download(layer_id: str, ext: str) -> Response:
    """A layer as a file: RFC 7946 GeoJSON."""
    if layer_id not in LAYERS:
        raise ApiError(
            404,
            "NotFound",
            f"Unknown layer {layer_id!r}.",
            parameter="layer_id",
            valid=list(LAYERS),
        )
    if ext != "geojson":
        raise ApiError(
            404, "NotFound", f"Unknown format {ext!r}.", parameter="ext", valid=["geojson"]
        )
    response = Response(served().geojson[layer_id], mimetype="application/geo+json")
    response.headers["Content-Disposition"] = f'attachment; filename="{layer_id}.geojson"'
    return _conditional(response, max_age=300)


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
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    return response
