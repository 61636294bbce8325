"""axe-core, run in headless Chromium, finds no serious or critical accessibility violation."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/table",
        "/table?lang=en&pair=P-330200-340300",
        "/table?lang=zh-Hant",
        "/embed",
        "/embed?lang=en&pair=P-330200-340300&controls=zoom,layers,legend,scale,search,link",
        "/?lang=zh-Hant",
        "/?lang=en",
    ],
)
def test_no_serious_or_critical_violation(page, live_server, path):
    page.goto(live_server.url + path)
    if path.startswith(("/?", "/embed")) or path == "/":
        page.wait_for_selector("html[data-wanbei-ready='1']", timeout=20_000)
    results = Axe().run(page)
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == []
    assert results.response["passes"], "axe ran its rules"


def test_tables_are_keyboard_reachable(page, live_server):
    page.goto(live_server.url + "/table")
    focused = []
    for _ in range(12):
        page.keyboard.press("Tab")
        focused.append(
            page.evaluate(
                "document.activeElement.tagName + ':' + "
                "(document.activeElement.getAttribute('role') || '')"
            )
        )
    assert "SELECT:" in focused and "DIV:region" in focused
