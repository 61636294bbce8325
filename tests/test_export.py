"""`wanbei-map export DIR`: a static site with relative URLs and every layer's downloads."""

from __future__ import annotations

import re

import geopandas as gpd
import pytest
from geopandas.testing import assert_geodataframe_equal

from layers.registry import LAYERS
from webapp.cli import main
from webapp.export import download_formats


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    target = tmp_path_factory.mktemp("export") / "site"
    assert main(["export", str(target), "--data", "data"]) == 0
    return target


def test_the_site_has_the_map_its_assets_and_every_layer(site):
    for name in (
        "index.html",
        "map.js",
        "static/wanbei.js",
        "static/wanbei.css",
        "vendor/leaflet/leaflet.js",
        "vendor/leaflet/leaflet.css",
        "vendor/leaflet/images/layers.png",
    ):
        assert (site / name).is_file(), name
    for layer_id in LAYERS:
        assert (site / "downloads" / f"{layer_id}.geojson").is_file(), layer_id


def test_every_url_is_relative(site):
    html = (site / "index.html").read_text(encoding="utf-8")
    refs = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert "map.js" in [r.split("?")[0] for r in refs]
    assert [r for r in refs if r.startswith(("/", "http:", "https:"))] == []
    script = (site / "map.js").read_text(encoding="utf-8")
    urls = re.findall(r'"url": "([^"]*)"', script)
    assert {f"downloads/{i}.geojson" for i in LAYERS} <= set(urls)
    # Every URL the page and its script name on the site's own origin is a file of the site (a
    # page: its index.html). Opt-in basemaps of other origins are named in the script's config.
    for ref in refs + urls:
        path = ref.split("?")[0].split("#")[0]
        if path.startswith(("mailto:", "data:", "https:")):
            continue
        target = site / path
        assert (target / "index.html" if path.endswith("/") or not path else target).is_file(), ref
    for path in site.rglob("*"):
        if path.suffix in (".html", ".js", ".css"):
            assert "_wanbei_static_export_" not in path.read_text(encoding="utf-8"), path


def test_every_layer_in_every_download_format_is_the_apps_data(site, app, client, tmp_path):
    formats = download_formats(app)
    assert "geojson" in formats
    for layer_id in LAYERS:
        for ext in formats:
            served = client.get(f"/downloads/{layer_id}.{ext}")
            assert served.status_code == 200
            exported = site / "downloads" / f"{layer_id}.{ext}"
            if ext == "gpkg":  # a GeoPackage records when it was written: compare its contents
                copy = tmp_path / f"{layer_id}.gpkg"
                copy.write_bytes(served.data)
                assert_geodataframe_equal(gpd.read_file(exported), gpd.read_file(copy))
            else:
                assert exported.read_bytes() == served.data, ext


def test_export_refuses_a_directory_that_is_not_empty(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["export", str(tmp_path)]) == 2
    assert "is not an empty directory" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
