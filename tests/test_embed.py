"""/embed and the map's view parameters, frame-ancestors and the other headers, the localized
layers of the map."""

from __future__ import annotations

import json

import pytest

from geo.spec import SPEC
from layers.i18n import to_traditional
from layers.localize import localize_frame
from layers.map import layer_config, legend_config
from layers.registry import LAYERS
from webapp import create_app
from webapp.params import OVERLAYS

PAIR = "P-330200-340300"


def test_embed_page(client):
    r = client.get(f"/embed?pair={PAIR}&layers=parks&center=32,117&zoom=8&controls=zoom&title=x")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'class="wb-body wb-embed"' in html and 'id="wb-panel"' not in html
    assert 'id="wb-full-map"' in html and 'href="/"' in html


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("layers=parks,nope", "layers"),
        ("layers=boundaries", "layers"),
        ("pair=P-nope", "pair"),
        ("bbox=1,2,3", "bbox"),
        ("bbox=118,30,116,34", "bbox"),
        ("bbox=a,b,c,d", "bbox"),
        ("bbox=116,30,118,95", "bbox"),
        ("bbox=116,30,118,34&center=32,117&zoom=7", "center"),
        ("center=32&zoom=7", "center"),
        ("center=32,117,1&zoom=7", "center"),
        ("center=nan,117&zoom=7", "center"),
        ("center=95,117&zoom=7", "center"),
        ("center=32,117", "zoom"),
        ("center=32,117&zoom=3", "zoom"),
        ("center=32,117&zoom=7.5", "zoom"),
        ("zoom=7", "zoom"),
        ("lang=fr", "lang"),
        ("basemap=google", "basemap"),
        ("controls=zoom,minimap", "controls"),
        ("title=" + "x" * 121, "title"),
        ("title=a%0Ab", "title"),
    ],
)
def test_bad_parameter_is_a_400_naming_it(client, query, parameter):
    r = client.get("/embed?" + query)
    assert r.status_code == 400
    assert r.mimetype == "text/html"
    assert f"(parameter: {parameter})" in r.get_data(as_text=True)


@pytest.mark.parametrize("query", ["center=32,117&zoom=7", "layers=parks,projects", "lang=en"])
def test_the_main_map_takes_the_same_view(client, query):
    assert client.get("/?" + query).status_code == 200


@pytest.mark.parametrize(
    "query, parameter", [("zoom=99&center=1,2", "zoom"), ("layers=x", "layers")]
)
def test_the_main_map_checks_them_too(client, query, parameter):
    r = client.get("/?" + query)
    assert r.status_code == 400 and f"(parameter: {parameter})" in r.get_data(as_text=True)


def test_embed_sets_no_cookie_and_may_be_framed_by_anyone(client):
    r = client.get("/embed")
    assert "Set-Cookie" not in r.headers
    assert r.headers["Content-Security-Policy"].endswith("frame-ancestors *")
    assert "X-Frame-Options" not in r.headers
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize("path", ["/", "/table", "/map.js", "/stats", "/api/pairs.json"])
def test_other_responses_are_framed_by_the_app_only(client, path):
    r = client.get(path)
    assert r.headers["Content-Security-Policy"].endswith("frame-ancestors 'self'")
    assert r.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "Referrer-Policy" in r.headers


@pytest.mark.parametrize(
    "value, csp, xfo",
    [
        ("https://portal.example.gov.cn  'self'", "https://portal.example.gov.cn 'self'", None),
        ("'self'", "'self'", "SAMEORIGIN"),
        ("'none'", "'none'", "DENY"),
    ],
)
def test_frame_ancestors_from_the_environment(monkeypatch, client, value, csp, xfo):
    monkeypatch.setenv("WANBEI_FRAME_ANCESTORS", value)
    r = client.get("/embed")
    assert r.headers["Content-Security-Policy"].endswith(f"frame-ancestors {csp}")
    assert r.headers.get("X-Frame-Options") == xfo
    assert client.get("/").headers["Content-Security-Policy"].endswith("frame-ancestors 'self'")


def test_a_frame_ancestors_value_that_would_inject_a_directive_is_refused(monkeypatch):
    monkeypatch.setenv("WANBEI_FRAME_ANCESTORS", "* ; script-src *")
    with pytest.raises(ValueError, match="WANBEI_FRAME_ANCESTORS"):
        create_app({"TESTING": True})


def test_map_script_in_each_language(client):
    en = client.get("/map.js?lang=en").get_data(as_text=True)
    assert '"title": "Legend"' in en and '"title": "Co-built parks"' in en
    assert "/api/layers/parks.geojson?lang=en" in en
    hant = client.get("/map.js?lang=zh-Hant").get_data(as_text=True)
    assert '"title": "圖例"' in hant and "共建園區" in hant
    hans = client.get("/map.js").get_data(as_text=True)
    assert '"title": "图例"' in hans and "/downloads/parks.geojson" in hans
    r = client.get("/map.js?lang=de")
    assert r.status_code == 400 and "(parameter: lang)" in r.get_data(as_text=True)


def test_map_page_language(client):
    html = client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html and "map.js?v=" in html and "lang=en" in html
    assert "Download data" in html and "Co-built parks" in html and "Embed the map" in html
    assert (
        client.get("/", headers={"Accept-Language": "zh-TW"})
        .get_data(as_text=True)
        .startswith('<!doctype html>\n<html lang="zh-Hant">')
    )


def test_localized_layer_data(client, app):
    hant = client.get("/api/layers/parks.geojson?lang=zh-Hant")
    assert hant.status_code == 200 and hant.mimetype == "application/geo+json"
    canonical = json.loads(client.get("/downloads/parks.geojson").get_data())
    features = json.loads(hant.get_data())["features"]
    for a, b in zip(canonical["features"], features, strict=True):
        assert b["properties"]["name_zh"] == to_traditional(a["properties"]["name_zh"])
        assert b["properties"]["source"] == a["properties"]["source"]
        assert b["geometry"] == a["geometry"]
    en = json.loads(client.get("/api/layers/parks.geojson?lang=en").get_data())["features"]
    for a, b in zip(canonical["features"], en, strict=True):
        want = a["properties"]["name_en"] or a["properties"]["name_zh"]
        assert b["properties"]["name_zh"] == want
    # the downloads stay canonical
    assert json.loads(client.get("/downloads/parks.geojson").get_data()) == canonical


@pytest.mark.parametrize(
    "path, parameter, status",
    [
        ("/api/layers/parks.geojson?lang=xx", "lang", 400),
        ("/api/layers/nope.geojson", "layer_id", 404),
    ],
)
def test_localized_layer_errors_are_json(client, path, parameter, status):
    r = client.get(path)
    assert r.status_code == status and r.get_json()["parameter"] == parameter


def test_layer_config_and_legend_localized():
    spec = LAYERS["projects"]
    en = layer_config(spec, "/x", "en")
    assert en["title"] == spec.title_en
    assert [f["label"] for f in en["popup"]] == [f.label_en for f in spec.popup]
    # no key names a language it does not hold
    assert not [k for k in en if k.endswith(("_zh", "_en"))]
    assert not [k for f in en["popup"] for k in f if k.endswith(("_zh", "_en"))]
    assert en["values"]["status"]["operating"] == "Operating"
    hant = layer_config(spec, "/x", "zh-Hant")
    assert hant["title"] == to_traditional(spec.title_zh)
    assert hant["values"]["status"] == {
        k: to_traditional(v) for k, v in SPEC.vocabulary("status").labels("zh").items()
    }
    assert legend_config(lang="en")["title"] == "Legend"
    assert legend_config(lang="zh-Hant")["title"] == "圖例"


def test_every_coded_value_has_english():
    for vocabulary in SPEC.vocabularies.values():
        for word in vocabulary.words.values():
            assert word.zh and (word.en or vocabulary.open), (vocabulary.name, word)


def test_localize_frame_leaves_ids_and_codes(app):
    from webapp.state import served

    with app.app_context():
        gdf = served().dataset.layers["projects"]
    hant = localize_frame(gdf, "zh-Hant")
    assert list(hant["id"]) == list(gdf["id"]) and list(hant["status"]) == list(gdf["status"])
    assert localize_frame(gdf, "zh-Hans") is gdf


def test_overlays_are_the_registry_minus_the_basemap():
    assert "boundaries" not in OVERLAYS and "parks" in OVERLAYS


def test_embed_is_exported(tmp_path, app):
    from webapp.export import export_site

    written = export_site(app, tmp_path, formats=("geojson",))
    assert "embed/index.html" in written
    html = (tmp_path / "embed" / "index.html").read_text()
    assert 'src="../map.js' in html and 'href="../static/embed.css' in html


# --- the filters of the permalink (officials.js writeURL), checked by the server ---------------

FILTERS_OK = [
    f"f_pair={PAIR}",
    "province=310000",
    "province=320000",
    "province=330000",
    "sector=汽车零部件",
    "sector=汽車零部件",  # the zh-Hant map filters its Traditional text
    "sector=__none__",
    "status=landed",
    "status=operating",  # a code of the registry, though no feature has it now
    "from=2021",
    "to=2030",
    "from=2023&to=2023",
    "cluster=1",
    "cluster=0",
    "f_pair=&province=&sector=&status=&from=&to=",  # empty: no filter, as in the browser
]


@pytest.mark.parametrize("path", ["/", "/embed"])
@pytest.mark.parametrize("query", FILTERS_OK)
def test_valid_filters_are_accepted(client, path, query):
    assert client.get(f"{path}?{query}").status_code == 200


@pytest.mark.parametrize(
    "query, parameter, allowed",
    [
        ("f_pair=P-nope", "f_pair", PAIR),
        ("f_pair=P-330105-341322", "f_pair", PAIR),  # a county-level pair: not a filter
        ("province=340000", "province", "310000, 320000, 330000"),  # a helped province
        ("province=31", "province", "310000"),
        ("sector=汽车", "sector", "汽车零部件"),
        ("sector=none", "sector", "__none__"),
        ("status=closed", "status", "landed"),
        ("status=已签约落地", "status", "landed"),  # the label, not the code
        ("from=2020", "from", "2021 to 2030"),
        ("to=2031", "to", "2021 to 2030"),
        ("from=2022.0", "from", "2021 to 2030"),
        ("to=-2025", "to", "2021 to 2030"),
        ("from=２０２２", "from", "2021 to 2030"),  # full-width digits
        ("from=abc", "from", "2021 to 2030"),
        ("from=2027&to=2024", "to", "must not be before from (2027)"),
        ("cluster=yes", "cluster", "0, 1"),
        ("pair=P-nope&f_pair=P-nope", "pair", PAIR),
    ],
)
@pytest.mark.parametrize("path", ["/", "/embed"])
def test_bad_filter_is_a_400_naming_it_and_its_values(client, path, query, parameter, allowed):
    r = client.get(f"{path}?{query}")
    assert r.status_code == 400 and r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    assert f"(parameter: {parameter})" in html and allowed in html
    assert "Traceback" not in html


def test_view_values_come_from_the_data(app):
    from webapp.params import NO_SECTOR, view_values
    from webapp.state import served

    with app.app_context():
        dataset = served().dataset
    values = view_values(dataset)
    pairings = dataset.layers["pairings"]
    assert set(values.pairs) == set(pairings.loc[pairings["level"] == "city", "id"])
    assert values.provinces == ("310000", "320000", "330000")
    sectors = {s for s in dataset.layers["projects"]["sector"] if isinstance(s, str)}
    english = {SPEC.word("sector", s, "en") for s in sectors}  # the spec's words: 'Auto parts'
    assert "Auto parts" in english
    assert sectors and sectors | {to_traditional(s) for s in sectors} | english | {
        NO_SECTOR
    } == set(values.sectors)
    assert set(SPEC.codes("status")) <= set(values.statuses)
    for layer_id in ("parks", "projects"):
        assert set(dataset.layers[layer_id]["status"].dropna()) <= set(values.statuses)


def test_filter_values_follow_the_data(data_copy):
    """A sector that only a new data version has is accepted once that version is served."""
    import pandas as pd

    path = data_copy / "projects.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[0, "sector"] = "新材料"
    frame.to_csv(path, index=False)
    client = create_app({"TESTING": True, "DATA_DIR": str(data_copy)}).test_client()
    assert client.get("/?sector=新材料").status_code == 200
    assert client.get("/embed?sector=新材料").status_code == 200
    assert client.get("/?sector=新能源").status_code == 400


@pytest.mark.parametrize(
    "query",
    [
        # composed like writeURL() (officials.js) and write() (permalink.js) compose them
        f"pair={PAIR}&f_pair={PAIR}&province=330000&sector=汽车零部件&status=landed"
        "&from=2022&to=2026&cluster=1&center=31.20000,119.90000&zoom=9&layers=parks,pairings",
        "lang=zh-Hant&status=operating&to=2025&center=32.10000,117.30000&zoom=7",
        "lang=en&sector=__none__&from=2030&basemap=offline",
        f"lang=en&f_pair={PAIR}&bbox=115,30,121,34",
    ],
)
@pytest.mark.parametrize("path", ["/", "/embed"])
def test_a_permalink_is_accepted(client, path, query):
    assert client.get(f"{path}?{query}").status_code == 200


@pytest.mark.parametrize(
    "query, lang",
    [
        ("status=nope", "zh-Hans"),
        ("lang=en&status=nope", "en"),
        ("lang=zh-Hant&status=nope", "zh-Hant"),
        ("lang=fr", "zh-Hans"),  # a bad lang: the page falls back to the default language
    ],
)
def test_the_error_page_says_its_language(client, query, lang):
    r = client.get("/?" + query)
    assert r.status_code == 400
    assert f'<html lang="{lang}">' in r.get_data(as_text=True)
