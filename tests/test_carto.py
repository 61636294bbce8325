"""The names and lines the map draws, built on the server: the pairs' short names (no id shown
to a person: tooltips and KML placemarks), the G60 corridor's line in its order and its link to
六安 from where the data says, and the boundaries' English names in an English layer."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from geo.dataset import _corridor, load_dataset
from layers.localize import localize_frame
from layers.registry import get

PAIR_ID = re.compile(r"P-\d{6}-\d{6}")
KML = "{http://www.opengis.net/kml/2.2}"


@pytest.fixture(scope="module")
def dataset():
    return load_dataset("data")


def test_the_pairs_are_named_by_their_ends(dataset):
    p = dataset.layers["pairings"].set_index("id")
    assert p.at["P-310112-340400", "name_zh"] == "上海·闵行 → 淮南"
    assert p.at["P-310112-340400", "name_en"] == "Shanghai·Minhang → Huainan"
    assert p.at["P-330211-340311", "helped_short_zh"] == "蚌埠·淮上"
    assert p.at["P-330105-341322", "helped_short_zh"] == "萧县"  # one character left: kept
    assert p.at["P-330113-341323", "helped_short_en"] == "Lingbi"
    assert p.at["P-320300-340602", "helping_short_zh"] == "徐州经开区"
    assert p.at["P-320300-340602", "helping_name_zh"] == "徐州经济技术开发区"
    assert p.at["P-320300-340602", "helping_short_en"] == "Xuzhou ETDZ"
    assert not p["name_zh"].str.contains(PAIR_ID).any()
    assert get("pairings").tooltip == "name_zh"


def test_no_kml_placemark_is_named_by_an_id(client):
    for layer in ("pairings", "corridor", "parks", "projects", "partnerships"):
        root = ET.fromstring(client.get(f"/downloads/{layer}.kml").data)
        names = [n.text or "" for n in root.iter(f"{KML}Placemark") for n in n.iter(f"{KML}name")]
        assert names, layer
        assert not [n for n in names if PAIR_ID.search(n) or n.startswith("link-")], names


def _corridor_input(seq, link_from) -> pd.DataFrame:
    rows = [("310117", "member"), ("330400", "member"), ("340100", "member")]
    rows += [("341500", "link_target")]
    return pd.DataFrame(
        {
            "adcode": [a for a, _ in rows],
            "role": [r for _, r in rows],
            "seq": pd.array(seq, dtype="Int64"),
            "status": [None, None, None, "in_progress"],
            "link_from": [None, None, None, link_from],
            "since": pd.array([None, None, None, 2023], dtype="Int64"),
            "confidence": "secondary",
            "source": "s",
            "note": None,
            "updated": "2026-12-07",
        }
    )


def _seats_names(dataset):
    places = dataset.layers["places"].set_index("id")
    seats = {a: (g.x, g.y) for a, g in places.geometry.items()}
    return seats, places[["name_zh", "name_en"]]


def test_the_corridor_line_follows_seq_and_the_link_starts_at_link_from(dataset):
    seats, names = _seats_names(dataset)
    out = _corridor(_corridor_input([3, 1, 2, None], "330400"), seats, names).set_index("id")
    line = out.loc["G60"]
    assert line["kind"] == "line" and line["name_zh"] == "长三角G60科创走廊"
    assert list(line.geometry.coords) == [seats["330400"], seats["340100"], seats["310117"]]
    link = out[out["kind"] == "link"].iloc[0]
    assert link["from_adcode"] == "330400" and link["link_drawn"] == "link_from"
    assert link.geometry.coords[0] == seats["330400"]
    assert link.geometry.coords[-1] == seats["341500"]
    assert link["status"] == "in_progress"


def test_a_link_without_link_from_says_it_was_computed(dataset):
    seats, names = _seats_names(dataset)
    out = _corridor(_corridor_input([1, 2, 3, None], None), seats, names)
    link = out[out["kind"] == "link"].iloc[0]
    assert link["link_drawn"] == "nearest_member" and link["from_adcode"] == "340100"


def test_the_shipped_corridor_link_is_not_from_the_nearest_member(dataset):
    corridor = dataset.layers["corridor"]
    link = corridor[corridor["kind"] == "link"]
    assert list(link["from_adcode"]) == ["310117"]
    assert (corridor["kind"] == "line").sum() == 1


def test_english_boundaries_carry_english_names(dataset):
    b = localize_frame(dataset.layers["boundaries"], "en").set_index("id")
    assert b.at["341500", "name_zh"] == "Lu'an"
    assert b.at["410000", "name_zh"] == "Henan"
    assert b.at["410000", "level"] == "neighbour"
    hant = localize_frame(dataset.layers["boundaries"], "zh-Hant").set_index("id")
    assert hant.at["320700", "name_zh"] == "連雲港市"
