"""The map page and its script are built once per data version, with ETag/304 and CDN caching;
a reload prepares every derived cache before the new data is served."""

from __future__ import annotations

import threading

import pytest

from geo.dataset import CsvStore
from webapp import create_app, prepared, state, views
from webapp.state import Reloader


@pytest.fixture
def fresh(data_copy):
    """An app of its own on a writable copy of the data."""
    app = create_app({"TESTING": True, "DATA_DIR": str(data_copy)})
    return app, app.test_client(), data_copy


@pytest.fixture
def fresh_now(data_copy):
    """The same, with every part built before create_app returns (as a server has them)."""
    app = create_app({"TESTING": True, "DATA_DIR": str(data_copy), "PREPARE": "now"})
    return app, app.test_client(), data_copy


def rename_a_park(data_dir) -> None:
    parks = data_dir / "parks.csv"
    text = parks.read_text(encoding="utf-8")
    name = CsvStore(data_dir).load().layers["parks"]["name_zh"].iloc[0]
    parks.write_text(text.replace(name, "新名字", 1), encoding="utf-8")


def test_the_page_has_an_etag_and_cdn_caching(client):
    r = client.get("/")
    assert r.status_code == 200 and r.mimetype == "text/html"
    etag, weak = r.get_etag()
    assert etag and weak
    cache = r.headers["Cache-Control"]
    assert "public" in cache and "max-age=60" in cache and "stale-while-revalidate=" in cache
    assert "Accept-Language" in r.headers["Vary"]


def test_the_page_answers_304_to_its_etag(client):
    first = client.get("/")
    again = client.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert "max-age=60" in again.headers["Cache-Control"]
    other = client.get("/", headers={"If-None-Match": 'W/"something-else"'})
    assert other.status_code == 200 and other.data == first.data


def test_the_page_is_rendered_once_per_version(fresh, monkeypatch):
    app, client, _ = fresh
    calls = []
    real = views.render_template
    monkeypatch.setattr(
        views, "render_template", lambda *a, **kw: calls.append(a[0]) or real(*a, **kw)
    )
    bodies = {client.get(url).data for url in ("/", "/", "/?basemap=osm", "/?pair=" + pair(app))}
    assert calls.count("map.html") == 1, calls
    assert len(bodies) == 1, "basemap and pair are read by the script: one page"


def pair(app) -> str:
    pairings = app.extensions["wanbei"].dataset.layers["pairings"]
    return str(pairings.loc[pairings["level"] == "city", "id"].iloc[0])


def test_bad_parameters_are_still_refused_once_cached(client):
    client.get("/")
    r = client.get("/?basemap=nope")
    assert r.status_code == 400 and "basemap" in r.get_data(as_text=True)


def test_a_reload_changes_the_etag(fresh):
    app, client, data_dir = fresh
    before = client.get("/")
    script = client.get(script_url(before.get_data(as_text=True)))
    rename_a_park(data_dir)
    assert Reloader(app, app.extensions["wanbei.store"], 1).check()
    after = client.get("/", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    assert script_url(after.get_data(as_text=True)) != script_url(before.get_data(as_text=True))
    new_script = client.get("/map.js", headers={"If-None-Match": script.headers["ETag"]})
    assert new_script.status_code in (200, 304)  # the script names no data: it may be the same


def script_url(page: str) -> str:
    start = page.index('src="/map.js?v=') + len('src="')
    return page[start : page.index('"', start)]


def test_map_js_is_immutable_under_its_versioned_url(client):
    url = script_url(client.get("/").get_data(as_text=True))
    versioned = client.get(url)
    assert versioned.status_code == 200 and versioned.mimetype == "text/javascript"
    assert "immutable" in versioned.headers["Cache-Control"]
    assert "max-age=31536000" in versioned.headers["Cache-Control"]
    for stale in ("/map.js", "/map.js?v=old"):
        r = client.get(stale)
        assert r.status_code == 200 and "immutable" not in r.headers["Cache-Control"]
        assert "max-age=60" in r.headers["Cache-Control"]
    again = client.get(url, headers={"If-None-Match": versioned.headers["ETag"]})
    assert again.status_code == 304


def test_a_reload_prepares_everything_before_the_swap(fresh_now):
    app, client, data_dir = fresh_now
    every = set(state.preparers_of(app))
    assert {"ogc", "derived"} <= every
    assert set(app.extensions["wanbei"].prepared) == every
    rename_a_park(data_dir)
    swapped = []
    real_build = state.build

    def build(dataset, preparers=None):
        served = real_build(dataset, preparers)
        swapped.append(dict(served.prepared))  # what is ready when the swap happens
        return served

    state.build = build
    try:
        assert Reloader(app, app.extensions["wanbei.store"], 1).check()
    finally:
        state.build = real_build
    assert set(swapped[0]) == every
    new = app.extensions["wanbei"]
    assert new.prepared["ogc"].dataset is new.dataset
    assert new.prepared["derived"].version == new.dataset.version
    assert "新名字" in client.get("/ogc/collections/parks/items").get_data(as_text=True)
    assert new.prepared["ogc"] is swapped[0]["ogc"], "not rebuilt by the first request"


def test_data_built_without_preparers_is_prepared_on_first_use(fresh):
    app, client, data_dir = fresh
    rename_a_park(data_dir)
    app.extensions["wanbei"] = state.build(CsvStore(data_dir).load())
    assert app.extensions["wanbei"].prepared == {}
    assert "新名字" in client.get("/ogc/collections/parks/items").get_data(as_text=True)
    assert client.get("/api/pairs.json").status_code == 200
    assert {"ogc", "derived"} <= set(app.extensions["wanbei"].prepared)


def test_the_first_page_is_served_before_what_it_does_not_need_is_built(monkeypatch):
    # `wanbei-map serve` builds the officials' summaries, the server's search, the other
    # languages' layers and /about's figures in a thread after start-up (bench/coldstart.py):
    # the map page does not wait for them, a request that needs one does.
    release = threading.Event()
    real_derive = prepared.derive

    def held_derive(dataset):
        assert release.wait(120), "never released"
        return real_derive(dataset)

    monkeypatch.setattr(prepared, "derive", held_derive)
    app = create_app({"TESTING": True, "PREPARE": "background"})
    client = app.test_client()
    try:
        page = client.get("/")
        assert page.status_code == 200
        assert app.extensions["wanbei"].dataset.version in page.get_data(as_text=True)
        assert "derived" not in app.extensions["wanbei"].prepared
    finally:
        release.set()
    pairs = client.get("/api/pairs.json")
    assert pairs.status_code == 200 and pairs.get_json()["pairs"]
    state.wait_prepared(app, timeout=120)
    assert not app.extensions["wanbei.preparing"].is_alive()
    assert set(app.extensions["wanbei"].prepared) == set(state.preparers_of(app))
    derived = app.extensions["wanbei"].prepared["derived"]
    assert client.get("/api/pairs.json").data == derived.pairs, "built once, not per request"


def test_the_officials_json_is_gzipped_and_validated(client):
    import gzip
    import json

    plain = client.get("/api/search.json")
    packed = client.get("/api/search.json", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(packed.data)) == json.loads(plain.data)
    again = client.get("/api/search.json", headers={"If-None-Match": plain.headers["ETag"]})
    assert again.status_code == 304


def test_the_gzip_cache_is_bounded_in_bytes_and_count():
    from webapp import transfer

    cache = transfer._GzipCache()
    big = b"x" * (transfer._CACHE_BYTES // 4 + 1)
    cache.put("big", big)
    assert cache.get("big") is None  # over a quarter of the bound: never kept
    part = b"y" * (transfer._CACHE_BYTES // 5)
    for i in range(6):
        cache.put(f"k{i}", part)
    assert cache._size <= transfer._CACHE_BYTES
    assert cache.get("k0") is None and cache.get("k5") == part  # the oldest went first
    for i in range(transfer._CACHE_ENTRIES + 3):
        cache.put(f"n{i}", b"z")
    assert len(cache._items) == transfer._CACHE_ENTRIES
    assert transfer._CACHE_BYTES <= 16 * 1024 * 1024


def test_a_setting_that_changes_the_page_changes_its_etag(client):
    before = client.get("/")
    other = create_app({"TESTING": True, "MAP_REVIEW_NO": "审图号:GS(2026)0000号"}).test_client()
    after = other.get("/", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200, "a page shaped by other settings is not the one cached"
    assert after.headers["ETag"] != before.headers["ETag"]
    script = script_url(after.get_data(as_text=True))
    assert script != script_url(before.get_data(as_text=True)), "map.js?v= is kept a year"
    assert "GS(2026)0000" in other.get(script).get_data(as_text=True)
