"""The sector filter's value is canonical (the data's Simplified Chinese) in every language, its
options labelled in the page's language: the permalink, the download links and a link opened in
another language agree, on the GeoJSON layers and on a big layer drawn lean (headless Chromium).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from geo.spec import SPEC
from layers.i18n import LANGS, to_traditional
from layers.localize import localize_frame
from tests.conftest import LiveServer
from webapp import DEFAULT_DATA_DIR, create_app

SECTOR = "汽车零部件"  # the sector of the shipped data, as data/projects.csv writes it
SECTOR_HANT = "汽車零部件"  # its OpenCC Traditional form, as the zh-Hant map's features carry it
SECTOR_EN = "Auto parts"  # its English word in the spec, as the en map's features carry it
TOOLS = "html[data-wanbei-tools='1']"
# The ids of the features the map draws (a big layer is drawn lean, on one canvas).
DRAWN = """(layer) => {
    const e = wanbei.entries[layer];
    if (e.lean) return e.lean.features.filter((f, i) => e.lean.shown[i]).map(f => String(f.id));
    return Object.keys(e.features);
}"""
OPTIONS = """() => [...document.querySelectorAll('#wb-f-sector option')]
    .map(o => [o.value, o.textContent])"""


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def _download_href(page, layer: str = "projects") -> str:
    return page.locator(f".wb-downloads a[href*='/downloads/{layer}.geojson']").get_attribute(
        "href"
    )


def _open(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(TOOLS, timeout=20_000)


# --- the values: the server's side --------------------------------------------------------------


def test_the_labels_are_the_localized_layers_sectors(app):
    from webapp import views
    from webapp.params import NO_SECTOR, view_values
    from webapp.state import served

    with app.app_context():
        dataset = served().dataset
    values = view_values(dataset)
    projects = dataset.layers["projects"]
    canonical = {s for s in projects["sector"] if isinstance(s, str) and s}
    assert SECTOR in canonical
    for lang in LANGS:
        labels = values.sector_labels[lang]
        assert set(labels) == canonical
        # each label is the sector exactly as the map's features in that language carry it
        localized = localize_frame(projects, lang)
        for sector, shown in zip(projects["sector"], localized["sector"], strict=True):
            if sector in canonical:
                assert labels[sector] == shown
    assert values.sector_labels["zh-Hant"][SECTOR] == SECTOR_HANT == to_traditional(SECTOR)
    assert values.sector_labels["zh-Hans"][SECTOR] == SECTOR
    # in English the spec's word (geo/spec.toml, vocabulary sector)
    assert values.sector_labels["en"][SECTOR] == SECTOR_EN == SPEC.word("sector", SECTOR, "en")
    # every sector's zh-Hant label (old links carry the Traditional form) and its English word
    # in the spec are read as the canonical sector, unless that label is itself a sector
    aliases = {
        label: sector
        for sector in canonical
        for label in (to_traditional(sector), SPEC.word("sector", sector, "en"))
        if label != sector and label not in canonical
    }
    assert aliases[SECTOR_HANT] == SECTOR and aliases[SECTOR_EN] == SECTOR
    assert values.sector_aliases == aliases
    assert set(values.sectors) == canonical | set(aliases) | {NO_SECTOR}
    with app.test_request_context("/"):
        for lang in LANGS:
            config = views.officials_config(lang)
            assert config["sectors"] == values.sector_labels[lang]
            assert config["sector_aliases"] == aliases


def test_old_traditional_links_are_still_accepted(client):
    assert client.get(f"/?lang=zh-Hant&sector={SECTOR_HANT}").status_code == 200
    assert client.get(f"/?lang=en&sector={SECTOR_EN}").status_code == 200  # its English label
    assert client.get(f"/?lang=zh-Hant&sector={SECTOR}").status_code == 200
    bad = client.get("/?lang=zh-Hant&sector=汽車")
    assert bad.status_code == 400 and "(parameter: sector)" in bad.get_data(as_text=True)


# --- in the browser -------------------------------------------------------------------------------


@pytest.mark.browser
def test_zh_hant_filter_writes_the_canonical_sector(page, live_server, client):
    _open(page, live_server.url + "/?lang=zh-Hant")
    options = dict(page.evaluate(OPTIONS))
    assert options[SECTOR] == SECTOR_HANT, options  # the label is Traditional...
    assert SECTOR_HANT not in options  # ...the value canonical
    page.select_option("#wb-f-sector", label=SECTOR_HANT)
    assert page.evaluate("wanbei.officials.filter().sector") == SECTOR
    q = _query(page.url)
    assert q["sector"] == [SECTOR] and q["lang"] == ["zh-Hant"]

    drawn = page.evaluate(DRAWN, "projects")
    assert drawn, "the sector's projects are drawn"
    shown = page.evaluate(
        """(ids) => ids.map(id => wanbei.featureLayer('projects', id).feature.properties.sector)""",
        drawn,
    )
    assert set(shown) == {SECTOR_HANT}  # the zh-Hant features carry the label

    href = _download_href(page)
    assert _query(href)["sector"] == [SECTOR]
    download = client.get(href)
    assert download.status_code == 200
    ids = [f["id"] for f in download.get_json()["features"]]
    assert ids and sorted(ids) == sorted(drawn)  # the filtered download is what the map shows
    # the link is accepted by the server as it is
    assert client.get(page.url[len(live_server.url) :]).status_code == 200


@pytest.mark.browser
@pytest.mark.parametrize("sector", [SECTOR, SECTOR_HANT], ids=["canonical", "old-traditional"])
def test_a_link_shows_the_same_projects_in_every_language(page, live_server, sector):
    _open(page, live_server.url + f"/?sector={SECTOR}")
    expected = sorted(page.evaluate(DRAWN, "projects"))
    total = page.evaluate("wanbei.entries.projects.data.features.length")
    assert 0 < len(expected) < total

    for lang in ("zh-Hant", "en", "zh-Hans"):
        _open(page, live_server.url + f"/?lang={lang}&sector={sector}")
        assert sorted(page.evaluate(DRAWN, "projects")) == expected, lang
        assert page.evaluate("wanbei.officials.filter().sector") == SECTOR
        assert page.locator("#wb-f-sector").input_value() == SECTOR
        # an old link's Traditional form is written back canonical
        assert _query(page.url)["sector"] == [SECTOR]
        assert _query(_download_href(page))["sector"] == [SECTOR]


@pytest.mark.browser
def test_unknown_sector_option_on_zh_hant(page, live_server):
    """The features without a sector: their option is "unknown" in the page's language."""
    _open(page, live_server.url + "/?lang=zh-Hant&sector=__none__")
    options = dict(page.evaluate(OPTIONS))
    assert options["__none__"] == "未知"
    drawn = page.evaluate(DRAWN, "projects")
    empty = page.evaluate(
        "(ids) => ids.every(id => !wanbei.featureLayer('projects', id).feature.properties.sector)",
        drawn,
    )
    assert drawn and empty


@pytest.fixture(scope="module")
def lean_server(tmp_path_factory):
    """The app on a copy of the data with 2,110 synthetic project sites (bench/synth.py): more
    than wanbei.CANVAS_ABOVE, so the map draws them lean, from /api/lean/projects.json."""
    from bench.synth import generate

    data = generate(DEFAULT_DATA_DIR, tmp_path_factory.mktemp("synth") / "data", 2110, 7)
    with LiveServer(create_app({"TESTING": True, "DATA_DIR": str(data)})) as server:
        yield server


@pytest.mark.browser
def test_the_lean_layer_and_the_tables_agree_on_zh_hant(page, lean_server):
    lean = page.request.get(lean_server.url + "/api/lean/projects.json?lang=zh-Hant").json()
    carried = {v for v in lean["properties"]["sector"]["values"] if v}
    assert "電子信息" in carried and "电子信息" not in carried  # localized, like the GeoJSON

    _open(page, lean_server.url + "/?lang=zh-Hant")
    assert page.evaluate("!!wanbei.entries.projects.lean")
    options = dict(page.evaluate(OPTIONS))
    # every sector the lean features carry has one option, valued canonical
    assert {label for value, label in options.items() if value not in ("", "__none__")} == carried
    assert options["电子信息"] == "電子信息" and "電子信息" not in options

    page.select_option("#wb-f-sector", label="電子信息")
    assert _query(page.url)["sector"] == ["电子信息"]
    drawn = page.evaluate(DRAWN, "projects")
    assert 0 < len(drawn) < 2110
    href = _download_href(page)
    assert _query(href)["sector"] == ["电子信息"]
    features = page.request.get(lean_server.url + href).json()["features"]
    assert sorted(f["id"] for f in features) == sorted(drawn)

    # the tables beside the map list the same features
    page.click("#wb-tables-toggle")
    page.select_option("#wb-tables-layer", "projects")
    page.wait_for_function("() => wanbei.tables.layer() === 'projects'")
    page.evaluate("() => new Promise(r => setTimeout(() => setTimeout(r, 0), 0))")
    assert sorted(page.evaluate("wanbei.tables.rowIds()")) == sorted(drawn)
