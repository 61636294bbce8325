"""Take the README's screenshots of the map: serve the app on a loopback port, open it in
Debian's headless Chromium at 1366×800 and as a 390×844 phone, wait for every layer, save PNGs.

Usage: python scripts/screenshot.py [OUT.png [PHONE.png]]   (make screenshot)
       python scripts/screenshot.py --all DIR   (every size of the team brief in every language,
                                                 the map, /embed, /stats; for looking at them)
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from webapp import create_app

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


#: (viewport, file) of each screenshot: the officials' first view and the phone layout.
SIZES = ((1366, 800), (390, 844))


#: (name, path, viewport) of the look-at-everything run (``--all``).
MATRIX = (
    ("desk", "/", (1366, 800)),
    ("embed", "/embed", (640, 480)),
    ("column", "/embed", (360, 400)),
    ("column-tall", "/embed", (360, 800)),
    ("phone", "/", (390, 844)),
    ("stats-360", "/stats", (360, 800)),
)
LANGS = ("zh-Hans", "en", "zh-Hant")
#: The map drawn, its tools filled (the panel's filters, statistics: officials.js) and every
#: shown image of the page loaded (a lazy one in a closed panel never is).
READY = "html[data-wanbei-ready='1'][data-wanbei-tools='1']"
IMAGES = "() => Array.from(document.images).every(i => i.complete || !i.offsetParent)"


def wait_ready(page) -> None:
    page.wait_for_selector(READY, timeout=30_000)
    page.wait_for_function(IMAGES, timeout=30_000)


def everything(outdir: str) -> int:
    """Screenshots of :data:`MATRIX` in every language into ``outdir`` (``NAME-LANG.png``)."""
    server = make_server("127.0.0.1", 0, create_app(), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Path(outdir).mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for name, path, (width, height) in MATRIX:
                for lang in LANGS:
                    page = browser.new_page(viewport={"width": width, "height": height})
                    page.goto(f"http://127.0.0.1:{server.server_port}{path}?lang={lang}")
                    if path != "/stats":
                        wait_ready(page)
                    page.wait_for_timeout(800)
                    out = Path(outdir) / f"{name}-{lang}.png"
                    page.screenshot(path=str(out), full_page=path == "/stats")
                    page.close()
                    print(f"wrote {out}")
            browser.close()
    finally:
        server.shutdown()
    return 0


def main(out: str = "docs/screenshot.png", phone: str = "docs/screenshot-phone.png") -> int:
    server = make_server("127.0.0.1", 0, create_app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for (width, height), path in zip(SIZES, (out, phone), strict=True):
                page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
                page.goto(f"http://127.0.0.1:{server.server_port}/")
                wait_ready(page)
                page.wait_for_timeout(500)
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=path)
                page.close()
                print(f"wrote {path}")
            browser.close()
    finally:
        server.shutdown()
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--all"]:
        sys.exit(everything(sys.argv[2] if len(sys.argv) > 2 else "/tmp/wanbei-shots"))
    sys.exit(main(*sys.argv[1:]))
