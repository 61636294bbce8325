"""The /table page: every row, the pair filter, three languages, bad parameters."""

from __future__ import annotations

import re

import pytest

from layers.i18n import to_traditional
from layers.tables import TABLE_LAYERS


def rows(html: str, layer: str) -> list[str]:
    body = html.split(f'data-layer="{layer}"')[1].split("</table>")[0]
    return re.findall(r'<tr id="[^"]+" data-id="([^"]+)"', body)


def test_tables_list_every_row(client, app):
    html = client.get("/table").get_data(as_text=True)
    layers = app.extensions["wanbei"].dataset.layers
    for layer in TABLE_LAYERS:
        assert rows(html, layer) == list(layers[layer]["id"])
    assert '<html lang="zh-Hans">' in html and "结对关系" in html


def test_pair_filter(client, app):
    html = client.get("/table?pair=P-330200-340300").get_data(as_text=True)
    assert rows(html, "pairings") == ["P-330200-340300"]
    assert rows(html, "parks") == ["PK-ningbo-bengbu", "PK-ningbo-bengbu-micro"]
    projects = app.extensions["wanbei"].dataset.layers["projects"]
    assert rows(html, "projects") == list(
        projects[projects["pairing_id"] == "P-330200-340300"]["id"]
    )
    assert len(rows(html, "projects")) >= 3


@pytest.mark.parametrize(("query", "param"), [("lang=fr", "lang"), ("pair=P-nope", "pair")])
def test_bad_parameters_are_400_naming_them(client, query, param):
    r = client.get(f"/table?{query}")
    assert r.status_code == 400
    assert f"(parameter: {param})" in r.get_data(as_text=True)


def test_english(client):
    html = client.get("/table?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Ningbo–Bengbu Industrial Cooperation Park" in html
    assert "Co-built parks" in html and "English name" not in html
    assert "<h1>The pairing programme in tables</h1>" in html  # from the en message catalog


def test_traditional_from_accept_language_is_converted_by_opencc(client):
    r = client.get("/table", headers={"Accept-Language": "zh-TW,zh;q=0.8,en;q=0.5"})
    html = r.get_data(as_text=True)
    assert '<html lang="zh-Hant">' in html
    assert to_traditional("甬蚌产业合作园区") == "甬蚌產業合作園區"
    assert "甬蚌產業合作園區" in html and "甬蚌产业合作园区" not in html
    assert "Accept-Language" in r.headers["Vary"]
    assert "<h1>結對合作一覽表</h1>" in html  # the zh_Hant catalog, filled by OpenCC


def test_message_catalogs_are_complete_and_current():
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "scripts/i18n.py", "--check"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_query_parameter_beats_accept_language(client):
    html = client.get("/table?lang=zh-Hans", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert '<html lang="zh-Hans">' in html


def test_unknown_values_are_marked(client):
    html = client.get("/table?pair=P-330200-340300").get_data(as_text=True)
    assert '<span class="wb-unknown">未知</span>' in html
