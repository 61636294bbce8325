"""The URLs the permalink writes (officials.js and permalink.js, in a real browser) are accepted
by the server's checks of the view and filter parameters, and open the same view."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.browser

PAIR = "P-330200-340300"
TOOLS = "html[data-wanbei-tools='1']"
KEYS = ("f_pair", "province", "sector", "status", "from", "to", "cluster", "pair", "center")


@pytest.mark.parametrize(
    "path, lang, sector",
    # the sector is canonical (Simplified, as in the data) in every language, zh-Hant too
    [("/", "zh-Hans", "汽车零部件"), ("/embed", "en", "__none__"), ("/", "zh-Hant", "汽车零部件")],
)
def test_every_filter_the_permalink_writes_is_accepted(
    browser, live_server, client, path, lang, sector
):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}{path}?lang={lang}")
        page.wait_for_selector(TOOLS, timeout=20_000)
        page.evaluate(
            """([pair, sector]) => {
            wanbei.officials.setFilter({pair: pair, province: '330000', sector: sector,
                                        status: 'landed', from: 2022, to: 2023});
            wanbei.officials.focus(pair, {fly: false});
            wanbei.furniture.setClustering(true);
            wanbei.map.setView([32.1, 117.3], 8, {animate: false});
        }""",
            [PAIR, sector],
        )
        url = page.url
        q = parse_qs(urlsplit(url).query)
        assert set(KEYS) <= set(q), q
        assert q["sector"] == [sector] and q["from"] == ["2022"] and q["cluster"] == ["1"]
        assert q["to"] == ["2023"]
        before = page.evaluate("wanbei.officials.filter()")

        # the server accepts what the browser wrote...
        written = url[len(live_server.url) :]
        assert client.get(written).status_code == 200, written
        # ...and the link opens the same filters
        again = context.new_page()
        again.goto(url)
        again.wait_for_selector(TOOLS, timeout=20_000)
        assert again.evaluate("wanbei.officials.filter()") == before
        assert again.evaluate("wanbei.officials.focused()") == PAIR
        # one bad value of the same link is refused, naming its parameter
        bad = client.get(written.replace("province=330000", "province=340000"))
        assert bad.status_code == 400
        assert "(parameter: province)" in bad.get_data(as_text=True)
    finally:
        context.close()
