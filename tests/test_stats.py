"""Pair summaries, the search index, the statistics and their charts (layers.stats,
layers.charts), the API that serves them, the basemaps and the page's CSP."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from geo.dataset import load_dataset
from layers import charts, stats
from layers.map import basemaps
from layers.registry import REGISTRY
from tests.helpers import set_cell
from webapp import DEFAULT_DATA_DIR, create_app

NINGBO_BENGBU = "P-330200-340300"


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(DEFAULT_DATA_DIR)


@pytest.fixture(scope="module")
def summaries(dataset):
    return {p["id"]: p for p in stats.pair_summaries(dataset)["pairs"]}


# --- pairs ---------------------------------------------------------------------------------------


def test_parent_pairs_puts_county_pairs_under_their_city_pair():
    pairings = pd.DataFrame(
        {
            "id": ["P-A", "P-B", "P-a1", "P-a2", "P-x"],
            "level": ["city", "city", "county", "county", "county"],
            "helping_adcode": ["330100", "310117", "330105", "310117", "320500"],
            "helped_adcode": ["341300", "341500", "341322", "341502", "341200"],
        }
    )
    assert stats.parent_pairs(pairings) == {
        "P-A": "P-A",
        "P-B": "P-B",
        "P-a1": "P-A",  # 拱墅区 in 杭州市, 萧县 in 宿州市
        "P-a2": "P-B",  # the same district helps a county of the helped city
    }  # P-x is in no city pair: left out


def test_every_city_pair_is_summarised_with_its_own_features(dataset, summaries):
    pairings = dataset.tables["pairings"]
    assert set(summaries) == set(pairings.loc[pairings["level"] == "city", "id"])
    parent = stats.parent_pairs(pairings)
    for layer_id in ("parks", "projects", "partnerships"):
        frame = dataset.layers[layer_id]
        for pid, summary in summaries.items():
            mine = set(frame.loc[frame["pairing_id"].map(parent) == pid, "id"])
            assert set(summary["features"][layer_id]) == mine, (pid, layer_id)
    # every park, project and partnership belongs to exactly one summary
    for layer_id in ("parks", "projects", "partnerships"):
        ids = [i for s in summaries.values() for i in s["features"][layer_id]]
        assert sorted(ids) == sorted(dataset.layers[layer_id]["id"])


def test_ningbo_bengbu_summary(summaries):
    s = summaries[NINGBO_BENGBU]
    assert s["helping"]["name_zh"] == "宁波市" and s["helped"]["name_zh"] == "蚌埠市"
    assert s["helping"]["province_zh"] == "浙江省"
    assert {c["id"] for c in s["county_pairs"]} == {"P-330211-340311", "P-330203-340322"}
    assert s["projects"]["count"] == 11 and s["projects"]["investment_yi"] == pytest.approx(21.6)
    assert s["projects"]["named_count"] == 7  # 3 seed projects, 4 of round 2
    assert {"340300", "330200", "340323", "340311"} <= set(s["features"]["places"])
    assert set(s["features"]["boundaries"]) >= {"330200", "340300"}
    assert [t["id"] for t in s["plan"] if t["applies"] == "pair"] == [
        "T2023-college-bengbu",
        "T2023-ftz",
        "T2023-bonded-zone",
    ]
    assert all(t["applies"] == "all" for t in s["plan"][3:])
    assert "安徽日报 2023-02-22 《沪苏浙城市结对帮扶皖北城市明确年度重点任务》" in s["sources"]
    assert len(s["sources"]) == len(set(s["sources"]))
    (south, west), (north, east) = s["bounds"]
    assert south < 29.9 < 32.9 < north and west < 117.4 < 121.6 < east


def test_totals_the_sources_do_not_give_are_unknown_not_zero(summaries):
    s = summaries["P-320100-341100"]
    assert s["projects"]["count"] is None and s["projects"]["investment_yi"] is None
    assert len(s["parks"]) == 3


def test_summaries_follow_the_data(data_copy):
    set_cell(data_copy / "parks.csv", "id", "PK-ningbo-bengbu-micro", "status", "operating")
    changed = load_dataset(data_copy)
    s = next(p for p in stats.pair_summaries(changed)["pairs"] if p["id"] == NINGBO_BENGBU)
    assert {p["id"]: p["status_zh"] for p in s["parks"]}["PK-ningbo-bengbu-micro"] == "运营中"
    parks = {r["status"]: r["count"] for r in stats.statistics(changed)["parks_by_status"]}
    assert parks["operating"] == 1 and "agreement_signed" not in parks


def test_clicks_on_a_unit_find_its_pair(dataset):
    by_adcode = stats.pair_summaries(dataset)["by_adcode"]
    assert by_adcode["340300"] == NINGBO_BENGBU and by_adcode["330200"] == NINGBO_BENGBU
    assert by_adcode["341322"] == "P-330100-341300"  # 萧县, through its county pair
    assert "330400" not in by_adcode  # 嘉兴 is in the G60 corridor, in no pair


# --- search --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "full", "initials"),
    [
        ("蚌埠市", "bengbushi", "bbs"),
        ("闵行区", "minhangqu", "mhq"),
        ("六安市", "luanshi", "las"),
        ("甬蚌产业合作园区", "yongbengchanyehezuoyuanqu", "ybcyhzyq"),
        ("徐州—淮北(段园)", "xuzhouhuaibeiduanyuan", "xzhbdy"),
    ],
)
def test_pinyin(text, full, initials):
    assert stats.pinyin(text) == (full, initials)


def test_normalize_matches_what_people_type():
    assert stats.normalize("Lu'an") == stats.normalize("lu an") == "luan"
    assert stats.normalize("Xuzhou–Huaibei (Duanyuan)") == "xuzhouhuaibeiduanyuan"


def test_search_index_covers_every_named_feature(dataset):
    index = stats.search_index(dataset)
    assert index["version"] == dataset.version
    entries = index["entries"]
    for layer_id in ("places", "parks", "projects", "partnerships", "pairings"):
        ids = {e["id"] for e in entries if e["layer"] == layer_id}
        assert ids == set(dataset.layers[layer_id]["id"]), layer_id
    bengbu = next(e for e in entries if e["layer"] == "places" and e["id"] == "340300")
    assert bengbu == {
        "layer": "places",
        "id": "340300",
        "name_zh": "蚌埠市",
        "name_en": "Bengbu",
        "context_zh": "地级市",
        "context_en": "Prefecture-level city",
        "pinyin": "bengbushi",
        "initials": "bbs",
        "en": "bengbu",
        "where": "|蚌埠市|bengbu",
    }
    # the layers themselves are found by their names
    assert [e["layer"] for e in index["layers"]] == [
        spec.id for spec in REGISTRY if spec.id != "boundaries"
    ]
    assert all(e["kind"] == "layer" and e["id"] is None for e in index["layers"])
    pair = next(e for e in entries if e["id"] == NINGBO_BENGBU)
    assert pair["name_zh"] == "宁波市—蚌埠市" and pair["pinyin"] == "ningboshibengbushi"


# --- statistics and charts -----------------------------------------------------------------------


def test_statistics(dataset):
    s = stats.statistics(dataset)
    assert len(s["per_pair"]) == 8
    ningbo = next(r for r in s["per_pair"] if r["id"] == NINGBO_BENGBU)
    assert ningbo["projects_count"] == 11 and ningbo["parks"] == 2
    unknown = [r for r in s["per_pair"] if r["investment_yi"] is None]
    assert len(unknown) == 7, "only Ningbo–Bengbu has a reported total"
    assert sum(r["count"] for r in s["parks_by_status"]) == len(dataset.layers["parks"])
    plan = dataset.tables["plan"]
    assert len(s["targets"]) == int((plan["year"] == 2023).sum())
    assert sum(r["count"] for r in s["targets_by_status"]) == len(s["targets"])
    assert s["data_date"] is None or len(s["data_date"]) == 10


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


NS = {"s": charts.SVG_NS}


def test_bar_chart_draws_unknown_as_a_word_not_a_bar():
    svg = parse(
        charts.bar_chart(
            "t", ["a", "b<script>", "c"], [charts.Series("s", (2.0, None, 4.0), "#123")], "u"
        )
    )
    bars = svg.findall("s:rect[@class='bar']", NS)
    widths = [float(b.get("width")) for b in bars]
    assert len(widths) == 2 and widths[0] == pytest.approx(widths[1] / 2, abs=0.1)
    unknown = svg.findall("s:text[@class='unknown']", NS)
    assert [t.text for t in unknown] == ["未知"]
    texts = [t.text for t in svg.iter(f"{{{charts.SVG_NS}}}text")]
    assert "b<script>" in texts, "labels are text, escaped by ElementTree"
    assert svg.find("s:title", NS).text == "t"


def test_bar_chart_checks_its_series():
    with pytest.raises(ValueError, match="Series 's' has 1 values for 2 categories"):
        charts.bar_chart("t", ["a", "b"], [charts.Series("s", (1.0,), "#000")])


def test_statistics_charts_are_svg(dataset):
    drawn = charts.statistics_charts(stats.statistics(dataset))
    assert list(drawn) == [*charts.CHARTS, *(f"{name}-narrow" for name in charts.CHARTS)]
    for name, svg in drawn.items():
        root = parse(svg)
        assert root.tag == f"{{{charts.SVG_NS}}}svg", name
        assert not re.search(r"\sstyle=", svg), "the CSP forbids inline styles"
    for name in ("investment", "investment-narrow"):
        investment = parse(drawn[name])
        assert len(investment.findall("s:rect[@class='bar']", NS)) == 1
        assert len(investment.findall("s:text[@class='unknown']", NS)) == 7


def test_narrow_charts_are_drawn_at_the_shown_width_with_words_wrapped():
    title = "Agreed investment by pair (billion yuan), a title longer than a narrow column"
    svg = parse(
        charts.bar_chart_narrow(
            title,
            ["Shanghai Songjiang District – Lu'an", "b"],
            [charts.Series("s", (2.0, 4.0), "#123")],
            " billion yuan",
            note="“unknown”: the sources give no investment total for the pair, in many words",
        )
    )
    assert svg.get("width") == "100%" and svg.get("viewBox") is None, "its text never scaled"
    widths = [float(b.get("width").rstrip("%")) for b in svg.findall("s:rect[@class='bar']", NS)]
    assert widths[0] == pytest.approx(widths[1] / 2, abs=0.01) and widths[1] < 100
    texts = [t.text for t in svg.iter(f"{{{charts.SVG_NS}}}text")]
    heading = [t.text for t in svg.findall("s:text[@font-weight='600']", NS)]
    assert " ".join(heading) == title and len(heading) > 1, "the title wrapped"
    assert all(charts._text_width(t, 12) <= charts.NARROW_MIN for t in texts if t)
    ys = [float(t.get("y")) for t in svg.iter(f"{{{charts.SVG_NS}}}text")]
    assert max(ys) < float(svg.get("height")), "everything inside its height"
    parts = parse(charts.stacked_bar_narrow("t", [("done", 1, "#0f0"), ("unknown", 3, "#999")]))
    shares = [float(r.get("width").rstrip("%")) for r in parts.findall("s:rect[@class='bar']", NS)]
    assert sum(shares) == pytest.approx(96, abs=0.02)
    assert shares[1] == pytest.approx(3 * shares[0], abs=0.02)


# --- basemaps, views and CSP ---------------------------------------------------------------------


def test_tianditu_is_offered_only_with_a_token():
    assert [b.id for b in basemaps(None)] == ["offline", "osm", "gaode"]
    with_token = basemaps("ab/c")
    assert [b.id for b in with_token] == ["offline", "osm", "tianditu", "gaode"]
    tianditu = with_token[2]
    assert [t.url.split("/")[3] for t in tianditu.tiles] == ["vec_w", "cva_w"]
    assert all(t.url.endswith("&tk=ab%2Fc") for t in tianditu.tiles), "the token is quoted"
    assert tianditu.origins() == [f"https://t{i}.tianditu.gov.cn" for i in range(8)]
    assert {b.id: b.crs for b in with_token}["gaode"] == "gcj02"


def test_the_api_serves_what_was_built_once(client, app):
    pairs = client.get("/api/pairs.json")
    assert pairs.status_code == 200 and pairs.mimetype == "application/json"
    version = app.extensions["wanbei"].dataset.version
    assert json.loads(pairs.data)["version"] == version
    assert client.get("/api/search.json").get_json()["entries"]
    assert client.get("/api/stats.json").get_json()["per_pair"]
    derived = app.extensions["wanbei"].prepared["derived"]  # built with the data
    client.get("/api/pairs.json")
    assert app.extensions["wanbei"].prepared["derived"] is derived, "not rebuilt per request"
    svg = client.get("/charts/investment.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    assert client.get("/charts/nope.svg").status_code == 404
    page = client.get("/stats")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "宁波市—蚌埠市" in text and text.count("<svg") == 2 * len(charts.CHARTS)
    assert client.get("/charts/investment-narrow.svg").status_code == 200


@pytest.mark.parametrize(
    ("query", "parameter"),
    [("?basemap=bing", "basemap"), ("?basemap=tianditu", "basemap"), ("?pair=P-nope", "pair")],
)
def test_bad_view_parameters_are_a_400_naming_them(client, query, parameter):
    r = client.get("/" + query)
    assert r.status_code == 400
    assert parameter in r.get_data(as_text=True)


def test_csp_allows_the_tile_hosts_of_the_enabled_basemaps_only(client):
    csp = client.get("/").headers["Content-Security-Policy"]
    img = next(d for d in csp.split("; ") if d.startswith("img-src"))
    assert "https://tile.openstreetmap.org" in img
    assert "https://webrd01.is.autonavi.com" in img
    assert "tianditu" not in img
    assert "script-src 'self';" in csp


def test_token_and_review_number_from_the_config():
    app = create_app(
        {"TESTING": True, "TIANDITU_TOKEN": "tok123", "MAP_REVIEW_NO": "GS(2024)0000号"}
    )
    client = app.test_client()
    csp = client.get("/").headers["Content-Security-Policy"]
    assert "https://t7.tianditu.gov.cn" in csp
    page = client.get("/").get_data(as_text=True)
    assert "tk=tok123" in page, "the page declares the basemaps"
    script = client.get("/map.js").get_data(as_text=True)
    assert "GS(2024)0000号" in script and "tk=tok123" not in script
    assert client.get("/?basemap=tianditu").status_code == 200


def test_figures_by_year_are_the_pairs_own_or_said_to_be_wider(summaries, dataset, client):
    ningbo = summaries[NINGBO_BENGBU]
    assert [t["year_from"] for t in ningbo["projects"]["totals"]] == [2022]  # 11 projects, 2022
    assert ningbo["projects"]["totals"][0]["source"].startswith("安徽日报 2023-02-22")
    pairing = dataset.layers["pairings"].set_index("id").loc[NINGBO_BENGBU]
    assert pairing["totals_years"] == "2022" and pairing["totals_source"].startswith("安徽日报")
    assert "FG-ningbo-bengbu-cadres" in {f["id"] for f in ningbo["figures"]}
    huainan = summaries["P-310112-340400"]
    own = {f["id"] for f in huainan["figures"]}
    wider = {f["id"]: f for f in huainan["wider_figures"]}
    assert "FG-minhang-2022h1-trips" in own and not any(i.startswith("FG-shanghai") for i in own)
    assert wider["FG-shanghai-huainan-projects"]["scope_kind_zh"] == "帮扶方全域(非本结对)"
    # the two programmes for 六安 are told apart: 上海's is not 松江's
    luan = summaries["P-310117-341500"]
    assert not luan["figures"] and all(
        f["scope"] == "other_programme" for f in luan["wider_figures"]
    )
    # every figure is on /stats, with its year and unit, and a wider one names no pair
    figures = stats.statistics(dataset)["figures"]
    assert len(figures) == len(dataset.tables["figures"])
    assert all(f["pair_zh"] is None for f in figures if f["scope"] in ("region", "all_pairs"))
    html = client.get("/stats").get_data(as_text=True)
    assert "按年份的数字" in html and "亿元" in html and "11 (2022)" in html
    english = client.get("/stats?lang=en").get_data(as_text=True)
    assert "Figures by year" in english
    assert "All of Shanghai → Huainan (not only Minhang)" in english
