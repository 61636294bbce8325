"""The static export in a real browser, served by a plain static file server (no Python app):
the map loads and draws every layer, and nothing is fetched from another origin."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from layers.registry import LAYERS
from webapp.cli import main

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def static_site(tmp_path_factory):
    site = tmp_path_factory.mktemp("export") / "site"
    assert main(["export", str(site), "--data", "data"]) == 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=site,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(url + "/", timeout=2).close()
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("python -m http.server did not start")
            time.sleep(0.1)
    yield site, url
    proc.terminate()
    proc.wait(timeout=10)


def test_the_exported_map_draws_every_layer_from_a_static_server(page, static_site):
    site, url = static_site
    messages, requests, failed = [], [], []
    page.on("console", lambda m: messages.append((m.type, m.text)))
    page.on("pageerror", lambda e: messages.append(("error", str(e))))
    page.on("request", lambda r: requests.append(r.url))
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.goto(url + "/")
    page.wait_for_selector("html[data-wanbei-ready='1']", timeout=20_000)
    state = page.evaluate("() => window.wanbei.layers")
    for layer_id in LAYERS:
        data = json.loads((site / "downloads" / f"{layer_id}.geojson").read_text("utf-8"))
        expected = len(data["features"])
        assert state[layer_id] == {"count": expected, "loaded": True, "error": None}, layer_id
        assert page.locator(f"path.wb-{layer_id}").count() == expected, layer_id
    assert page.locator(".wb-legend").is_visible()
    assert [m for m in messages if m[0] in ("error", "warning")] == []
    assert failed == []
    assert [u for u in requests if not u.startswith(url + "/")] == []


def test_the_other_exported_pages_load_from_the_static_server(page, static_site):
    site, url = static_site
    others = sorted(p.parent.relative_to(site).as_posix() for p in site.glob("*/index.html"))
    assert "table" in others
    for name in others:
        tab = page.context.new_page()
        messages, requests, failed = [], [], []
        tab.on("console", lambda m, out=messages: out.append((m.type, m.text)))
        tab.on("pageerror", lambda e, out=messages: out.append(("error", str(e))))
        tab.on("request", lambda r, out=requests: out.append(r.url))
        tab.on("response", lambda r, out=failed: out.append(r.url) if r.status >= 400 else None)
        response = tab.goto(f"{url}/{name}/")
        tab.wait_for_load_state("load")
        assert response.status == 200, name
        assert failed == [], name
        assert [m for m in messages if m[0] == "error"] == [], name
        assert [u for u in requests if not u.startswith(url + "/")] == [], name
        tab.close()
