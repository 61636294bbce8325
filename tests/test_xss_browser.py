"""Text from data is always text: a copy of the data whose every free-text cell carries HTML and
script payloads is drawn, every popup and tooltip is opened, and nothing runs or is injected."""

from __future__ import annotations

import pytest

from geo.schema import TABLES
from tests.conftest import LiveServer
from tests.helpers import read_rows, write_rows
from webapp import create_app

pytestmark = pytest.mark.browser

PAYLOAD = (
    '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
    '"><svg onload="window.__xss=3"></svg>javascript:window.__xss=4'
)


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    import shutil

    from webapp import DEFAULT_DATA_DIR

    data = tmp_path_factory.mktemp("hostile") / "data"
    shutil.copytree(DEFAULT_DATA_DIR, data, ignore=shutil.ignore_patterns("*.md"))
    for table in TABLES.values():
        free_text = [
            c.name for c in table.columns if c.kind in ("text", "source") and not c.allowed
        ]
        header, rows = read_rows(data / table.filename)
        for i, row in enumerate(rows):
            for col in free_text:
                if col == table.key:
                    row[col] = f"{PAYLOAD} {i}"  # a key stays unique (sources.csv)
                elif col in ("name_zh", "helping_name", "helped_name"):
                    row[col] = row[col] + PAYLOAD  # keep names distinguishable
                else:
                    row[col] = PAYLOAD
        write_rows(data / table.filename, header, rows)
    app = create_app({"TESTING": True, "DATA_DIR": str(data)})
    with LiveServer(app) as server:
        yield server


INJECTED = """() => ({
    xss: window.__xss === undefined ? null : window.__xss,
    imgs: document.querySelectorAll('img[src="x"]').length,
    inlineScripts: [...document.scripts].filter(s => !s.src).length,
    svgOnload: document.querySelectorAll('svg[onload]').length,
    jsLinks: document.querySelectorAll('a[href^="javascript:"]').length,
})"""
CLEAN = {"xss": None, "imgs": 0, "inlineScripts": 0, "svgOnload": 0, "jsLinks": 0}


@pytest.mark.parametrize(
    "path, basemap_title",
    [
        ("/", "行政区划(底图)"),
        ("/?lang=en", "Boundaries (basemap)"),
        ("/embed", "行政区划(底图)"),
        ("/embed?lang=zh-Hant&controls=zoom,layers,legend,search", "行政區劃(底圖)"),
    ],
)
def test_payloads_show_as_text_and_never_run(page, hostile_server, path, basemap_title):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(hostile_server.url + path)
    page.wait_for_selector("html[data-wanbei-ready='1']", timeout=20_000)
    opened = page.evaluate("""async () => {
        const map = Object.values(window).find(v => v instanceof L.Map);
        const texts = [];
        const layers = [];
        map.eachLayer(l => { if (l.feature && l.getPopup && l.getPopup()) layers.push(l); });
        for (const l of layers) {
            // no pan to each popup: the map stays put (a pan moves and relabels it each time)
            l.getPopup().options.autoPan = false;
            l.openPopup();
            await new Promise(r => setTimeout(r, 0));
            texts.push(document.querySelector('.leaflet-popup-content').textContent);
            l.closePopup();
            if (l.getTooltip()) { l.openTooltip(); l.closeTooltip(); }
        }
        return texts;
    }""")
    assert len(opened) > 100, "every feature's popup was opened"
    missing = [t[:80] for t in opened if PAYLOAD not in t and basemap_title not in t]
    assert missing == [], "the payload shows literally, as text"
    assert page.evaluate(INJECTED) == CLEAN
    assert dialogs == []


def test_embed_title_parameter_is_text(page, hostile_server):
    from urllib.parse import quote

    page.goto(hostile_server.url + "/embed?title=" + quote(PAYLOAD[:100]))
    page.wait_for_selector("html[data-wanbei-embed='1']", timeout=20_000)
    assert page.locator("#wb-embed-title").text_content() == PAYLOAD[:100].strip()
    assert page.evaluate(INJECTED) == CLEAN


@pytest.mark.parametrize("path", ["/table", "/table?lang=zh-Hant", "/table?lang=en"])
def test_table_payloads_show_as_text(page, hostile_server, path):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(hostile_server.url + path)
    cells = page.evaluate("[...document.querySelectorAll('td, th')].map(c => c.textContent)")
    assert sum(PAYLOAD in c for c in cells) > 20, "the payloads show literally, as text"
    assert page.evaluate(INJECTED) == CLEAN
    assert dialogs == []


@pytest.mark.parametrize("path", ["/", "/?lang=zh-Hant"])
def test_tables_beside_the_map_show_payloads_as_text(page, hostile_server, path):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(hostile_server.url + path)
    page.wait_for_selector("html[data-wanbei-tools='1']", timeout=20_000)
    page.click("#wb-tables-toggle")
    page.select_option("#wb-pair-select", "P-330200-340300")  # the caption names the pair
    cells = []
    for layer in ("pairings", "parks", "projects"):
        page.select_option("#wb-tables-layer", layer)
        page.wait_for_function(
            "(l) => document.getElementById('wb-tables-body').dataset.layer === l", arg=layer
        )
        page.click("#wb-tables-body tr[data-id] button")  # choose a row: its popup opens
        # the newest popup: the one closed by it fades out for 200 ms beside it
        page.locator(".leaflet-popup-content").last.wait_for()
        cells += page.evaluate(
            "[...document.querySelectorAll('#wb-tables caption, #wb-tables th, #wb-tables td')]"
            ".map(c => c.textContent)"
        )
    assert sum(PAYLOAD in c for c in cells) >= 10, "the payloads show literally, as text"
    caption = page.locator("#wb-tables-caption").text_content()
    assert caption.count(PAYLOAD) == 2, "the focused pair's names in the caption too"
    assert page.evaluate(INJECTED) == CLEAN
    assert dialogs == []
