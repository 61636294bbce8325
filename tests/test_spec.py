"""The one spec (geo/spec.toml): checked at import, read by every consumer, one word per thing."""

from __future__ import annotations

import tomllib

import pytest

from geo import schema
from geo.dataset import LAYER_IDS
from geo.spec import SPEC, SPEC_FILE, SpecError, build
from layers.i18n import to_traditional
from layers.registry import REGISTRY
from layers.stats import SEARCH_LAYERS
from layers.tables import TABLE_LAYERS, value_text


def _raw() -> dict:
    with SPEC_FILE.open("rb") as f:
        return tomllib.load(f)


def test_the_consumers_read_the_spec():
    assert REGISTRY is SPEC.layers
    assert set(LAYER_IDS) == set(SPEC.ids) and LAYER_IDS[-1] == "boundaries"
    assert TABLE_LAYERS == ("pairings", "parks", "projects")
    assert SEARCH_LAYERS == ("pairings", "places", "parks", "projects", "partnerships")
    assert schema.PARKS.column("status").allowed == SPEC.codes("status", "parks")
    assert "licensed" in schema.PARKS.column("status").allowed
    assert "licensed" not in schema.PROJECTS.column("status").allowed
    assert schema.PLAN.column("status").allowed == SPEC.codes("plan_status")
    assert schema.PLACES.column("precision").allowed == ("seat", "approximate")


def test_every_coded_column_is_a_vocabulary():
    """A column with allowed words (other than province codes) takes them from the spec."""
    codes = {c for v in SPEC.vocabularies.values() for c in v.words}
    for table in schema.TABLES.values():
        for column in table.columns:
            if column.allowed and column.name != "province_adcode":
                assert set(column.allowed) <= codes, (table.name, column.name)


def test_one_word_per_thing_in_every_place():
    """The table page and the popups show the spec's word ('Licensed', never 'licensed')."""
    parks = SPEC.layer("parks")
    status = parks.field("status")
    assert value_text(status, "licensed", "en").text == "Licensed"
    assert value_text(status, "licensed", "zh-Hans").text == "已挂牌"
    place_level = SPEC.layer("places").field("level")
    # a county is a county, not a "county pair"
    assert value_text(place_level, "county", "en").text == "County"
    pair_level = SPEC.layer("pairings").field("level")
    assert value_text(pair_level, "county", "en").text == "County pair"


def test_a_bad_spec_lists_every_problem():
    raw = _raw()
    raw["vocabularies"]["status"]["words"]["new"] = {"zh": "新"}  # no English
    raw["layers"][1]["geometry"] = "blob"
    raw["layers"][2]["popup"].append({"name": "x", "zh": "x", "en": "x", "vocabulary": "nope"})
    raw["layers"].append(dict(raw["layers"][0]))  # an id given twice
    with pytest.raises(SpecError) as err:
        build(raw, "spec.toml")
    text = str(err.value)
    for expected in (
        "vocabularies.status.words.new: no English word",
        "geometry must be one of",
        "unknown vocabulary 'nope'",
        "ids given twice: ['boundaries']",
    ):
        assert expected in text


def test_the_spec_is_plain_json_for_the_browser():
    import json

    body = json.loads(json.dumps(SPEC.as_json(), ensure_ascii=False))
    licensed = body["vocabularies"]["status"]["words"]["licensed"]
    assert (licensed["zh"], licensed["en"], licensed["tables"]) == ("已挂牌", "Licensed", ["parks"])
    assert "挂牌" in licensed["aliases"]
    assert [layer["id"] for layer in body["layers"]] == list(SPEC.ids)


def test_the_browser_reads_the_spec_as_json(client):
    response = client.get("/spec.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["vocabularies"]["status"]["words"]["licensed"]["en"] == "Licensed"
    assert [layer["id"] for layer in body["layers"]] == list(SPEC.ids)


@pytest.mark.parametrize(
    ("hans", "hant"),
    [
        ("已签协议", "已簽協議"),
        ("已签约", "已簽約"),
        ("已签约落地", "已簽約落地"),
        ("签署", "簽署"),
        ("会签", "會簽"),
        ("签合同", "簽合同"),
        ("标签", "標籤"),
        ("抽签", "抽籤"),
        ("合作项目", "合作項目"),
        ("干部交流", "幹部交流"),
        ("共建园区", "共建園區"),
    ],
)
def test_traditional_chinese_signs_with_the_right_character(hans, hant):
    assert to_traditional(hans) == hant


def test_every_word_of_the_spec_in_traditional_chinese_signs_with_簽():
    words = [w.zh for v in SPEC.vocabularies.values() for w in v.words.values()]
    assert not [w for w in words if "籤" in to_traditional(w)]


def test_english_data_words_come_from_the_spec_or_an_english_column():
    import geopandas as gpd
    from shapely.geometry import Point

    from layers.localize import localize_frame

    frame = gpd.GeoDataFrame(
        {
            "id": ["a", "b"],
            "sector": ["汽车零部件", "新行业"],
            "operating_model": ["管委会+公司平台", None],
            "site_note": ["based on 安徽固镇经济开发区", "蚌埠经开区"],
            "site_note_en": ["based on the Guzhen Economic Development Zone", None],
        },
        geometry=[Point(117, 33), Point(117.1, 33)],
        crs="EPSG:4326",
    )
    en = localize_frame(frame, "en")
    assert list(en["sector"]) == ["Auto parts", "新行业"]  # an unknown word stays as written
    assert en["operating_model"][0] == "Management committee with a company platform"
    assert list(en["site_note"]) == ["based on the Guzhen Economic Development Zone", "蚌埠经开区"]
    assert localize_frame(frame, "zh-Hans") is frame


@pytest.mark.parametrize(
    ("yi", "lang", "text"),
    [
        (21.6, "en", "2.16 billion yuan"),
        (150, "en", "15 billion yuan"),
        (3.5, "en", "350 million yuan"),
        (0.05, "en", "5 million yuan"),
        (21.6, "zh-Hans", "21.6 亿元"),
        (21.6, "zh-Hant", "21.6 億元"),
        (1200, "zh-Hans", "1,200 亿元"),
    ],
)
def test_money_in_every_language(yi, lang, text):
    from layers.i18n import money

    assert money(yi, lang) == text


def test_money_on_the_tables_and_the_stats_page(client):
    projects = SPEC.layer("pairings").field("investment_yi")
    assert value_text(projects, 21.6, "en").text == "2.16 billion yuan"
    html = client.get("/stats?lang=en").get_data(as_text=True)
    assert "billion yuan" in html and "100 million" not in html and "亿元" not in html
    assert "亿元" in client.get("/stats").get_data(as_text=True)


def test_the_importer_reads_the_spec_words_and_aliases():
    from geo.importer.headers import VALUE_ALIASES

    parks, projects = VALUE_ALIASES["parks.status"], VALUE_ALIASES["projects.status"]
    assert parks["已挂牌"] == parks["揭牌"] == "licensed"
    # one word, two tables: the spec's `tables` say which code it is
    assert parks["签约"] == "agreement_signed" and projects["签约"] == "signed"
    assert VALUE_ALIASES["places.precision"]["驻地"] == "seat"
    assert VALUE_ALIASES["precision"]["驻地"] == "unit_seat"


def test_an_alias_may_name_one_code_per_table():
    raw = _raw()
    words = raw["vocabularies"]["status"]["words"]
    words["licensed"]["aliases"] = [*words["licensed"]["aliases"], "规划"]  # planned's, in parks
    with pytest.raises(SpecError, match="'规划' names both 'planned' and 'licensed' in parks"):
        build(raw)


def test_the_importer_reads_its_headers_from_the_spec():
    from geo.importer.headers import HEADERS

    assert HEADERS["parks"] == SPEC.import_headers["parks"]
    assert "园区名称" in HEADERS["parks"]["name_zh"]
    raw = _raw()
    del raw["import_headers"]["parks"]
    with pytest.raises(SpecError, match=r"no headers for the importable layers \['parks'\]"):
        build(raw)
