"""Take the README's screenshot of the map: serve the app on a loopback port, open it in
Debian's headless Chromium, wait for every layer, save a PNG.

Usage: python scripts/screenshot.py [OUT.png]   (make screenshot)
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


def main(out: str = "docs/screenshot.png") -> int:
    server = make_server("127.0.0.1", 0, create_app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1366, "height": 800}, locale="zh-CN")
            page.goto(f"http://127.0.0.1:{server.server_port}/")
            page.wait_for_selector("html[data-wanbei-ready='1']", timeout=30_000)
            page.wait_for_timeout(500)
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=out)
            browser.close()
    finally:
        server.shutdown()
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
