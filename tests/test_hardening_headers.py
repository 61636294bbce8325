"""Nothing a client sends in Host or X-Forwarded-* reaches a link, a redirect or a cache key
(issue 15, defects 1 and 2): the app behind one proxy, as `serve --production --behind-proxy`."""

from __future__ import annotations

import gc
import tracemalloc

import pytest

from webapp import DEFAULT_DATA_DIR, create_app, proxy
from webapp.errors import ConfigError

#: Pages, the map script, the OGC API (links, OpenAPI), a data file and a slash redirect.
PATHS = (
    "/",
    "/embed?lang=en",
    "/map.js?lang=en",
    "/ogc/api",
    "/ogc?f=json",
    "/ogc/collections/parks/items?limit=2",
    "/ogc/collections//parks",
    "/downloads/parks.csv",
)


def _forged(i: int) -> dict[str, str]:
    return {
        "Host": f"h{i}.evil.example",
        "X-Forwarded-Host": f"fh{i}.evil.example",
        "X-Forwarded-Prefix": f"//p{i}.evil.example",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-For": f"10.0.{i // 250}.{i % 250}",
    }


def _app(**config):
    app = create_app({"TESTING": True, "DATA_DIR": str(DEFAULT_DATA_DIR), **config})
    proxy.trust_proxy(app)  # as serve --production --behind-proxy
    return app


@pytest.fixture(scope="module")
def proxied_app():
    return _app()


def _cache_sizes(app) -> tuple[int, ...]:
    served = app.extensions["wanbei"]
    openapi = [key for key in served.rendered if key[0] == "openapi"]
    return len(served.rendered), len(openapi)


def _no_foreign_origin(response) -> None:
    assert "evil.example" not in response.get_data(as_text=True), response.request.path
    for name, value in response.headers.items():
        assert "evil.example" not in value, (response.request.path, name, value)


def test_a_thousand_forged_hosts_and_prefixes_leave_memory_and_caches_flat(proxied_app):
    client = proxied_app.test_client()
    for path in PATHS:  # warm: each page, map and document built once
        client.get(path).close()
    sizes = _cache_sizes(proxied_app)
    assert sizes[1] == 1, "one OpenAPI document per data version"

    def growth(first: int) -> int:
        """Bytes still held after 1,000 requests with forged headers never seen before."""
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        for i in range(first, first + 1000):
            response = client.get(PATHS[i % len(PATHS)], headers=_forged(i))
            assert response.status_code in (200, 308), response.request.path
            _no_foreign_origin(response)
            response.close()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before

    # twice, with new hosts each time: what each forged host costs is held after both; what
    # another thread of this process (a live server, a reloader) allocates meanwhile, after one
    tracemalloc.start()
    try:
        grown = [growth(0), growth(1000)]
    finally:
        tracemalloc.stop()
    assert _cache_sizes(proxied_app) == sizes
    assert min(grown) < 2_000_000, f"{grown} bytes more after each 1,000 forged requests"


def test_links_are_relative_and_redirects_are_paths_without_a_public_url(proxied_app):
    client = proxied_app.test_client()
    r = client.get("/ogc/collections?f=json", headers=_forged(1))
    hrefs = [link["href"] for link in r.get_json()["links"]]
    assert hrefs and all(h.startswith("/ogc/collections?f=") for h in hrefs)
    r = client.get("/ogc/collections//parks?f=json", headers=_forged(2))
    assert r.status_code == 308
    assert r.headers["Location"] == "/ogc/collections/parks?f=json"
    page = client.get("/", headers=_forged(3)).get_data(as_text=True)
    assert 'src="/static/wanbei.js"' in page
    for path in ("/ogc/api?f=html", "/table", "/about", "/stats", "/nowhere"):
        _no_foreign_origin(client.get(path, headers=_forged(4)))


def test_the_public_url_gives_scheme_host_and_prefix_whatever_the_request_says():
    client = _app(PUBLIC_URL="https://map.example.gov.cn/wanbei/").test_client()
    for path in ("/ogc?f=json", "/wanbei/ogc?f=json"):  # a proxy may strip the prefix or not
        r = client.get(path, headers=_forged(4))
        _no_foreign_origin(r)
        links = {link["rel"]: link["href"] for link in r.get_json()["links"]}
        assert links["self"] == "https://map.example.gov.cn/wanbei/ogc/?f=json"
        assert links["related"] == "https://map.example.gov.cn/wanbei/"
    r = client.get("/ogc/api", headers=_forged(5))
    assert r.get_json()["servers"] == [{"url": "https://map.example.gov.cn/wanbei/ogc"}]
    r = client.get("/ogc/collections//parks", headers=_forged(6))
    assert r.headers["Location"] == "https://map.example.gov.cn/wanbei/ogc/collections/parks"
    page = client.get("/", headers=_forged(7)).get_data(as_text=True)
    assert 'src="/wanbei/static/wanbei.js"' in page


@pytest.mark.parametrize(
    "value", ["map.example.org", "ftp://map.example.org/", "https:///x", "https://a.b/?q=1"]
)
def test_a_bad_public_url_stops_start_up_naming_the_setting(value):
    with pytest.raises(ConfigError, match="PUBLIC_URL"):
        create_app({"TESTING": True, "PUBLIC_URL": value})
