"""Routes of the Flask app: the page, its script, the downloads, errors and headers."""

from __future__ import annotations

import json
import re

import pytest

from geo.errors import DataError
from layers.registry import LAYERS
from tests.helpers import set_cell
from webapp import create_app

EXTERNAL = re.compile(r"""(?:src|href)=["'](?:https?:)?//""")


def test_map_page_is_chinese_small_and_offline(client):
    r = client.get("/")
    assert r.status_code == 200 and r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    assert '<html lang="zh-Hans">' in html
    assert "沪苏浙城市结对合作帮扶皖北城市" in html
    assert not EXTERNAL.search(html), "every asset comes from the app itself"
    assert "<script>" not in html, "no inline script"
    assert len(r.data) < 20_000, "the page does not inline layer data"


def test_map_script_loads_every_layer_from_the_app(client):
    page = client.get("/").get_data(as_text=True)
    src = re.search(r'<script src="(/map\.js\?v=[0-9a-f]+)"', page).group(1)
    script = client.get(src).get_data(as_text=True)
    for layer_id in LAYERS:
        assert f'"url": "/downloads/{layer_id}.geojson"' in script
    assert "http://" not in script and "https://" not in script
    assert "wanbei.addLegend" in script and "L.control.scale()" in script


@pytest.mark.parametrize(
    "path",
    [
        "/vendor/leaflet/leaflet.js",
        "/vendor/leaflet/leaflet.css",
        "/vendor/leaflet/images/layers.png",
        "/static/wanbei.js",
        "/static/wanbei.css",
        "/static/favicon.svg",
    ],
)
def test_assets_are_served_locally(client, path):
    r = client.get(path)
    assert r.status_code == 200 and len(r.data) > 100
    r.close()


def test_favicon_ico_is_the_apps_own_icon(client):
    with client.get("/favicon.ico") as r, client.get("/static/favicon.svg") as svg:
        assert r.status_code == 200 and r.mimetype == "image/svg+xml"
        assert r.data == svg.data


def test_vendor_path_traversal_and_unknown_package(client):
    assert client.get("/vendor/leaflet/../../../etc/passwd").status_code == 404
    assert client.get("/vendor/nope/x.js").status_code == 404


@pytest.mark.parametrize("layer_id", list(LAYERS))
def test_download_geojson(client, layer_id, app):
    r = client.get(f"/downloads/{layer_id}.geojson")
    assert r.status_code == 200
    assert r.mimetype == "application/geo+json"
    assert r.headers["Content-Disposition"] == f'attachment; filename="{layer_id}.geojson"'
    doc = json.loads(r.data)
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    assert len(doc["features"]) == len(app.extensions["wanbei"].dataset.layers[layer_id])
    assert all("source" in f["properties"] for f in doc["features"])


def test_unknown_layer_is_a_404_listing_valid_ids(client):
    r = client.get("/downloads/nope.geojson")
    assert r.status_code == 404 and r.mimetype == "application/json"
    body = r.get_json()
    assert body["code"] == "NotFound" and "nope" in body["description"]
    assert set(LAYERS) <= set(body["valid"])


def test_unknown_page_is_an_html_404_without_traceback(client):
    r = client.get("/no/such/page")
    assert r.status_code == 404 and r.mimetype == "text/html"
    assert "Traceback" not in r.get_data(as_text=True)


def test_conditional_get(client):
    first = client.get("/downloads/parks.geojson")
    again = client.get("/downloads/parks.geojson", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_security_headers(client):
    r = client.get("/")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    assert r.headers["Referrer-Policy"]


def test_post_cannot_change_anything(client):
    assert client.post("/downloads/parks.geojson", data="{}").status_code == 405
    assert client.put("/").status_code == 405


def test_app_refuses_to_start_on_invalid_data(data_copy):
    row = set_cell(data_copy / "parks.csv", "id", "PK-ningbo-bengbu", "status", "open")
    with pytest.raises(DataError, match=rf"parks\.csv, row {row}, column status"):
        create_app({"DATA_DIR": str(data_copy)})


def test_unexpected_error_is_a_clean_500():
    app = create_app({"TESTING": False})

    @app.get("/api/boom")
    def boom():
        raise RuntimeError("secret detail")

    with app.test_client() as c:
        r = c.get("/api/boom")
    assert r.status_code == 500 and r.get_json()["code"] == "InternalServerError"
    assert "secret detail" not in r.get_data(as_text=True)
