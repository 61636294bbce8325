"""`wanbei-map export DIR`: a static site with relative URLs and every layer's downloads."""

from __future__ import annotations

import json
import posixpath
import re
from html import unescape

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


# --- the three languages ----------------------------------------------------------------------

LANG_DIRS = {"zh-Hans": "", "en": "en/", "zh-Hant": "zh-Hant/"}


def _refs(html: str) -> list[str]:
    return [unescape(r) for r in re.findall(r'(?:src|href)="([^"]*)"', html)]


def _resolve(site, holder: str, ref: str):
    """The file of the site that ``ref``, found in the file ``holder``, names (None: outside)."""
    path = ref.split("#")[0].split("?")[0]
    if ref.startswith(("mailto:", "data:", "http:", "https:", "#")):
        return None
    name = posixpath.normpath(posixpath.join(posixpath.dirname(holder), path or "."))
    assert not name.startswith(".."), (holder, ref)
    target = site / name
    return target / "index.html" if path.endswith("/") or not path or target.is_dir() else target


def _config_urls(script: str) -> list[str]:
    """The URLs of a map.js config that the page fetches as they are (an ``*api_url`` is an
    API the script queries with parameters: the server's search, which has no static file)."""
    found = re.findall(r'"(url|[a-z_]+_url)": "([^"]*)"', script)
    return [url for key, url in found if not key.endswith("api_url")]


@pytest.mark.parametrize("lang, folder", LANG_DIRS.items())
@pytest.mark.parametrize("page", ["", "embed/", "table/", "about/"])
def test_each_page_in_each_language(site, lang, folder, page):
    html = (site / folder / page / "index.html").read_text(encoding="utf-8")
    assert re.search(r"<html lang=\"([^\"]+)\"", html).group(1) == lang
    # its language links lead to the exported page of each language, never to ?lang=
    links = dict(re.findall(r'<a href="([^"]*)" hreflang="([^"]+)"', html)[:3])
    assert sorted(links.values()) == sorted(LANG_DIRS)
    for href, other in links.items():
        assert "lang=" not in href
        target = _resolve(site, f"{folder}{page}index.html", href)
        assert target == site / LANG_DIRS[other] / page / "index.html", (href, other)


def test_every_url_of_every_language_is_a_file_of_the_site(site):
    pages = [p.relative_to(site).as_posix() for p in site.rglob("index.html")]
    assert {"en/index.html", "zh-Hant/embed/index.html", "en/table/index.html"} <= set(pages)
    for page in pages:
        for ref in _refs((site / page).read_text(encoding="utf-8")):
            target = _resolve(site, page, ref)
            assert target is None or target.is_file(), (page, ref)
            if target is not None:
                assert not re.search(r"[?&]lang=", ref), (page, ref)
    # the config of each map.js: every URL its page fetches (relative to map.js)
    for script in ("map.js", "en/map.js", "zh-Hant/map.js"):
        text = (site / script).read_text(encoding="utf-8")
        urls = _config_urls(text)
        assert len(urls) >= len(LAYERS)
        for url in urls:
            target = _resolve(site, script, url)
            assert target is not None and target.is_file(), (script, url)


@pytest.mark.parametrize("lang", ["en", "zh-Hant"])
def test_what_the_localized_map_fetches_is_the_apps_answer(site, client, lang):
    """Every file the config of ``LANG/map.js`` names (the localized layers, the pair
    summaries, the search index, the charts...) is what the app answers with ``lang=``."""
    script = (site / lang / "map.js").read_text(encoding="utf-8")
    urls = _config_urls(script)
    localized = 0
    for url in urls:
        name = _resolve(site, f"{lang}/map.js", url).relative_to(site).as_posix()
        if name.startswith(f"{lang}/"):
            served = client.get("/" + name[len(lang) + 1 :], query_string={"lang": lang})
            localized += 1
        else:
            served = client.get("/" + name)
        assert served.status_code == 200, url
        assert (site / name).read_bytes() == served.data, url
    assert localized >= len(LAYERS)
    names = json.loads((site / lang / "api/layers/parks.geojson").read_text("utf-8"))
    canonical = json.loads((site / "downloads/parks.geojson").read_text("utf-8"))
    assert [f["properties"]["name_zh"] for f in names["features"]] != [
        f["properties"]["name_zh"] for f in canonical["features"]
    ]


def test_shared_files_are_written_once(site):
    for shared in ("static", "vendor", "downloads"):
        assert (site / shared).is_dir()
        for lang in ("en", "zh-Hant"):
            assert not (site / lang / shared).exists()


def test_a_language_folder_holds_only_pages_in_its_language(site):
    """A page the app has in one language only (the OGC landing page refuses ``lang=``) is
    linked at the root from every language, never copied into a language folder."""
    for page in site.rglob("index.html"):
        folder = page.relative_to(site).parts[0]
        lang = folder if folder in ("en", "zh-Hant") else None
        html = page.read_text(encoding="utf-8")
        found = re.search(r"<html lang=\"([^\"]+)\"", html)
        if lang:
            assert found and found.group(1) == lang, page
    html = (site / "en" / "index.html").read_text(encoding="utf-8")
    assert "../ogc/" in _refs(html) and not (site / "en" / "ogc").exists()


def test_query_helpers():
    from webapp.export import _lang_of, _without_lang

    assert _lang_of("?v=1&amp;lang=en") == "en" and _lang_of("?v=1") is None
    assert _without_lang("?lang=zh-Hans&amp;pair=P-1") == "?pair=P-1"
    assert _without_lang("?v=2\\u0026lang=en") == "?v=2" and _without_lang("?lang=en") == ""


def test_the_export_follows_whatever_the_config_names(monkeypatch, tmp_path):
    """A URL added to the map's config (here the statistics in the page's language) is
    exported in each language without the export knowing it."""
    from flask import url_for

    from webapp import create_app, views
    from webapp.export import export_site

    config = views.officials_config

    def with_stats(*args, **kwargs):
        cfg = config(*args, **kwargs)
        lang = cfg.get("lang", "zh-Hans")
        cfg["stats_url"] = url_for("map.api_stats", lang=None if lang == "zh-Hans" else lang)
        return cfg

    monkeypatch.setattr(views, "officials_config", with_stats)
    app = create_app({"TESTING": True, "DATA_DIR": "data"})
    written = export_site(app, tmp_path, formats=("geojson",))
    assert {"api/stats.json", "en/api/stats.json", "zh-Hant/api/stats.json"} <= set(written)
    assert '"stats_url": "api/stats.json"' in (tmp_path / "en/map.js").read_text("utf-8")
