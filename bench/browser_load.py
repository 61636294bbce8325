"""Time to a drawn, interactive map in headless Chromium: ours against a naive folium page.

At 1k, 10k and 100k synthetic project sites (``bench/synth.py``), the page is opened in a fresh
browser context (empty cache) and timed from the navigation to the first animation frame after
the map is ready:

- ours: ``/`` of a server of the synthetic data (werkzeug, threaded, in this process; warmed up
  by one request for each URL the page fetches so that the per-version caches and gzip bodies
  exist), ready when every layer is fetched and drawn (``html[data-wanbei-ready='1']``, set by
  wanbei.js); *tools* when the officials' tools are ready too (``html[data-wanbei-tools='1']``:
  pair summaries and search index loaded, filters filled), the page is then fully interactive.
  A point layer above 2,000 features (``layers.lean.LEAN_ABOVE``) comes lean
  (``/api/lean/<id>.json``) and is drawn on one canvas;
- naive: the folium page of ``bench/map_page.py`` (every project a ``folium.Marker`` with a
  tooltip, the other layers inlined), ready at its ``load`` event (its script draws everything
  while the page parses). Its CDN scripts are answered by Playwright from the pip-installed
  Leaflet (the others, unused by it, with empty bodies): no request leaves the machine. Above
  ``--naive-max`` sites, or when it takes over ``--timeout`` seconds, it is not measured.

Both are then checked: ours has every project in ``wanbei.layers``; the naive page has one
marker element per project. The figure is the median of ``--repeat`` loads (1 for the naive page
from 10,000 sites). *Data*: the bytes of JSON the page fetched (decoded, from the browser's
resource timing): every layer, the pair summaries and the search index.

Run: ``.venv/bin/python bench/browser_load.py [--sizes 1000 10000 100000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import logging
import re
import statistics
import sys
import threading
import time
import urllib.request
from pathlib import Path

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from map_page import naive_map  # noqa: E402
from synth import generate  # noqa: E402
from xstatic.pkg import leaflet  # noqa: E402

from geo.dataset import CsvStore  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from webapp import DEFAULT_DATA_DIR, create_app  # noqa: E402

NAIVE_ORIGIN = "http://naive.invalid"
FRAME = "() => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)))"
#: One interaction once ready: zoom in one level, until the next frame after the zoom ends.
ZOOM = """() => new Promise(r => {
  const map = window.wanbei.map, t = performance.now();
  map.once("zoomend", () =>
    requestAnimationFrame(() => setTimeout(() => r(performance.now() - t))));
  map.setZoom(map.getZoom() + 1, { animate: false });
})"""


class Server:
    """The app of ``data_dir`` on a loopback port, in a thread."""

    def __init__(self, data_dir: Path) -> None:
        self.app = create_app({"TESTING": True, "DATA_DIR": str(data_dir)})
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def warm(self) -> int:
        """Request the page, its script and every URL of data the page fetches once (layers,
        pair summaries, search index); return the page's HTML bytes."""
        sizes = {"/": len(self._get("/"))}
        script = self._get("/map.js").decode()
        layers = re.findall(r'"url": "([^"]+)"', script)
        if len(layers) < 7:
            raise SystemExit(f"found {len(layers)} layer URLs in /map.js, expected 7")
        for path in [*layers, "/api/pairs.json", "/api/search.json"]:
            self._get(path)
        return sizes["/"]

    def _get(self, path: str) -> bytes:
        request = urllib.request.Request(self.url + path, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.read()

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


#: The bytes of JSON data the page fetched (decoded), from the resource timing.
DATA_BYTES = """() => performance.getEntriesByType('resource')
  .filter(e => /\\/(downloads|api)\\//.test(e.name) && !/\\/charts\\//.test(e.name))
  .reduce((n, e) => n + e.decodedBodySize, 0)"""


def time_ours(browser, url: str, n: int) -> tuple[float, float, float, int]:
    """Ready (layers drawn), tools ready, zoom-in (s) and data bytes of one fresh load."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    try:
        started = time.perf_counter()
        page.goto(url + "/")
        page.wait_for_selector("html[data-wanbei-ready='1']", timeout=120_000)
        page.evaluate(FRAME)
        ready = time.perf_counter() - started
        page.wait_for_selector("html[data-wanbei-tools='1']", timeout=120_000)
        page.evaluate(FRAME)
        tools = time.perf_counter() - started
        count = page.evaluate("() => window.wanbei.layers.projects.count")
        if count != n:
            raise SystemExit(f"ours drew {count} projects, not {n}")
        data = page.evaluate(DATA_BYTES)
        return ready, tools, page.evaluate(ZOOM) / 1000, data
    finally:
        context.close()


def _naive_route(html: bytes):
    local = Path(leaflet.BASE_DIR)

    def handle(route) -> None:
        url = route.request.url
        if url.startswith(NAIVE_ORIGIN):
            route.fulfill(body=html, content_type="text/html; charset=utf-8")
        elif url.endswith("/leaflet.js"):
            route.fulfill(path=str(local / "leaflet.js"), content_type="text/javascript")
        elif url.endswith("/leaflet.css"):
            route.fulfill(path=str(local / "leaflet.css"), content_type="text/css")
        elif url.endswith(".js"):
            route.fulfill(body="", content_type="text/javascript")
        elif url.endswith(".css"):
            route.fulfill(body="", content_type="text/css")
        else:  # marker images and the tiles: none
            route.fulfill(status=404, body="")

    return handle


def time_naive(browser, html: bytes, n: int, timeout: float) -> float | None:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    context.route("**/*", _naive_route(html))
    page = context.new_page()
    try:
        started = time.perf_counter()
        page.goto(NAIVE_ORIGIN + "/", wait_until="load", timeout=timeout * 1000)
        page.evaluate(FRAME)
        elapsed = time.perf_counter() - started
        count = page.locator(".leaflet-marker-icon").count()  # + the other point layers'
        if count < n:
            raise SystemExit(f"the naive page drew {count} markers, fewer than {n}")
        return elapsed
    except Exception as exc:  # noqa: BLE001 - a timeout is a result: "not measured"
        if "Timeout" not in type(exc).__name__ and "Timeout" not in str(exc):
            raise
        return None
    finally:
        context.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    p.add_argument("--repeat", type=int, default=3, help="loads timed per figure (median)")
    p.add_argument("--seed", type=int, default=20211209, help="seed of bench/synth.py")
    p.add_argument("--naive-max", type=int, default=10000, help="largest naive page opened")
    p.add_argument("--timeout", type=float, default=90.0, help="seconds before giving up")
    args = p.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for n in args.sizes:
                target = ROOT / ".cache" / "bench" / f"browser-{n}"
                generate(DEFAULT_DATA_DIR, target, n, args.seed)
                server = Server(target)
                try:
                    html_bytes = server.warm()
                    runs = [time_ours(browser, server.url, n) for _ in range(args.repeat)]
                    ours = statistics.median(r[0] for r in runs)
                    tools = statistics.median(r[1] for r in runs)
                    zoom = statistics.median(r[2] for r in runs)
                    data = runs[0][3]
                finally:
                    server.close()
                naive = None
                if n <= args.naive_max:
                    html = naive_map(CsvStore(target).load()).get_root().render().encode()
                    times = []
                    for _ in range(1 if n >= 10_000 else args.repeat):
                        t = time_naive(browser, html, n, args.timeout)
                        if t is None:
                            break
                        times.append(t)
                    naive = statistics.median(times) if times else None
                rows.append((n, html_bytes, data, ours, tools, zoom, naive))
                shown = f"{naive:.2f} s" if naive is not None else "not measured"
                print(
                    f"n={n}: ours {ours:.2f} s, tools {tools:.2f} s, zoom {zoom * 1e3:.0f} ms, "
                    f"data {data / 1e6:.2f} MB | naive {shown}",
                    file=sys.stderr,
                    flush=True,
                )
        finally:
            browser.close()
    print(
        "| sites | page HTML: ours | data: ours | ready: ours | tools ready: ours "
        "| ready: naive folium | ratio (naive / ours) | zoom-in: ours |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for n, html_bytes, data, ours, tools, zoom, naive in rows:
        z = f"{html_bytes / 1e3:.1f} KB | {data / 1e6:.2f} MB | {ours:.2f} s | {tools:.2f} s"
        zoom_ms = f"{zoom * 1e3:.0f} ms"
        if naive is None:
            why = f"> {args.timeout:.0f} s" if n <= args.naive_max else "not opened"
            print(f"| {n:,} | {z} | {why} | — | {zoom_ms} |")
        else:
            print(f"| {n:,} | {z} | {naive:.2f} s | {naive / ours:.1f}× | {zoom_ms} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
