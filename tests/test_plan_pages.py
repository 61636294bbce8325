"""The /plan page and /api/milestones.json: three languages, the filters, a 400 naming each bad
parameter, and the links to the page."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

NINGBO_BENGBU = "P-330200-340300"


class Rows(HTMLParser):
    """The ``data-id`` rows of each ``data-table`` of a page, and every link."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[dict[str, str]]] = {}
        self.links: list[str] = []
        self._table: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and "data-table" in a:
            self._table = a["data-table"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table and len(a) > 0 and any(k.startswith("data-") for k in a):
            self.tables[self._table].append(a)
        elif tag == "a" and "href" in a:
            self.links.append(a["href"])

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None


def parse(body: bytes) -> Rows:
    rows = Rows()
    rows.feed(body.decode())
    return rows


def text_of(body: bytes) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body.decode()))


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "zh-Hans",
            ["工作计划与进展", "已完成", "大事记", "在上海挂牌成立安徽长三角绿色农产品服务中心"],
        ),
        (
            "en",
            ["Work plan and progress", "Done", "Milestones", "green farm-produce service centre"],
        ),
        (
            "zh-Hant",
            ["工作計劃與進展", "已完成", "大事記", "在上海掛牌成立安徽長三角綠色農產品服務中心"],
        ),
    ],
)
def test_the_plan_page_in_three_languages(client, lang, words):
    r = client.get(f"/plan?lang={lang}")
    assert r.status_code == 200 and r.mimetype == "text/html"
    assert f'<html lang="{lang}">' in r.get_data(as_text=True)
    body = text_of(r.data)
    for w in words:
        assert w in body, (lang, w)
    page = parse(r.data)
    assert len(page.tables["targets"]) == 29
    assert len(page.tables["progress"]) == 8
    assert len(page.tables["milestones"]) == 21
    assert "Accept-Language" in r.headers["Vary"]


def test_english_page_has_no_chinese_status_words(client):
    body = text_of(client.get("/plan?lang=en").data)
    for zh in ("已完成", "未知", "推进中", "媒体转述", "皖北各市"):
        assert zh not in body


def test_the_language_follows_accept_language(client):
    r = client.get("/plan", headers={"Accept-Language": "en"})
    assert "Work plan and progress" in r.get_data(as_text=True)


def test_agri_centre_done_with_date_and_source(client):
    page = parse(client.get("/plan").data)
    row = next(r for r in page.tables["targets"] if r["data-id"] == "T2023-agri-centre")
    assert row["data-status"] == "done"
    body = client.get("/plan?status=done").get_data(as_text=True)
    assert "2023-03-16" in body and "news.cri.cn/2023-03-17" in body


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=done", {"T2023-agri-centre"}),
        ("status=in_progress", {"T2023-cadres", "T2023-g60-luan"}),
        ("scope=city", {"T2023-bonded-zone", "T2023-g60-luan", "T2023-luan-platform"}),
        ("scope=pair&pair=P-320500-341200", {"T2023-college-fuyang", "T2023-fuyang-one-to-one"}),
        ("year=2023&status=partly_done", {"T2023-parks"}),
        ("status=not_done", set()),
    ],
)
def test_filters(client, query, expected):
    r = client.get(f"/plan?{query}")
    assert r.status_code == 200
    assert {row["data-id"] for row in parse(r.data).tables["targets"]} == expected


def test_pair_filter_keeps_the_pairs_city_and_every_city(client):
    page = parse(client.get(f"/plan?pair={NINGBO_BENGBU}&lang=en").data)
    ids = {r["data-id"] for r in page.tables["targets"]}
    assert {"T2023-ftz", "T2023-bonded-zone", "T2023-college-bengbu", "T2023-agri-centre"} <= ids
    assert not ids & {"T2023-g60-luan", "T2023-college-fuyang"}
    kinds = {r["data-id"] for r in page.tables["milestones"]}
    assert "M-2022-bengbu-liaison-office" in kinds and "M-2023-09-22-bus" not in kinds
    assert "M-2023-03-16-agri-centre" in kinds, "events of every city stay"


def test_progress_rows_say_unknown_never_zero(client):
    page = parse(client.get("/plan").data)
    assert {r["data-progress"] for r in page.tables["progress"]} <= {
        "unknown",
        "none",
        "some",
        "most",
        "all",
    }
    body = text_of(client.get("/plan?lang=en").data)
    assert "33.3%" in body  # 1 done of the 3 targets with a reported progress


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("year=2022", "year"),
        ("year=abc", "year"),
        ("pair=P-nope", "pair"),
        ("pair=P-330211-340311", "pair"),  # a county pair: the filter takes city pairs
        ("scope=county", "scope"),
        ("status=started", "status"),
        ("lang=fr", "lang"),
        ("colour=red", "colour"),
        ("status=done&status=unknown", "status"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(client, query, parameter):
    r = client.get(f"/plan?{query}")
    assert r.status_code == 400
    body = r.get_data(as_text=True)
    assert parameter in body
    assert "Traceback" not in body


def test_data_text_is_text_not_html(client):
    body = client.get("/plan?lang=en").get_data(as_text=True)
    assert "&#34;6+1&#34;" in body or "&quot;6+1&quot;" in body


def test_milestones_api_in_three_languages(client):
    for lang, word in (("zh-Hans", "园区揭牌"), ("en", "Park unveiled"), ("zh-Hant", "園區揭牌")):
        r = client.get(f"/api/milestones.json?lang={lang}")
        assert r.status_code == 200 and r.mimetype == "application/json"
        body = json.loads(r.data)
        assert body["lang"] == lang and len(body["milestones"]) == 21
        assert word in {m["kind_label"] for m in body["milestones"]}
        dates = [m["date"] for m in body["milestones"]]
        assert dates == sorted(dates)
        assert all(m["year"] == int(m["date"][:4]) for m in body["milestones"])
    bad = client.get("/api/milestones.json?lang=fr")
    assert bad.status_code == 400 and json.loads(bad.data)["parameter"] == "lang"


def test_the_map_menu_and_about_link_to_the_plan(client):
    for lang in ("zh-Hans", "en", "zh-Hant"):
        links = parse(client.get(f"/?lang={lang}").data).links
        assert f"/plan?lang={lang}" in links
        about = parse(client.get(f"/about?lang={lang}").data).links
        assert f"/plan?lang={lang}" in about


def test_the_pages_progress_colours_are_the_maps():
    from pathlib import Path

    from layers.registry import LAYERS

    css = (Path(__file__).parents[1] / "webapp" / "static" / "plan.css").read_text()
    for v in LAYERS["plan_progress"].variants:
        rule = re.search(rf"\.wb-progress-{v.value} {{ background: (#[0-9a-f]{{6}})", css)
        assert rule and rule.group(1) == v.style["fillColor"], v.value
