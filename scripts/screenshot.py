"""Take the README's screenshots of the map: serve the app on a loopback port, open it in
Debian's headless Chromium at 1366×800 and as a 390×844 phone, wait for every layer, save PNGs.

Usage: python scripts/screenshot.py [OUT.png [PHONE.png]]   (make screenshot)
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
                page.wait_for_selector("html[data-wanbei-ready='1']", timeout=30_000)
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
    sys.exit(main(*sys.argv[1:]))
