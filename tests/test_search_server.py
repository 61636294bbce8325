"""The server's search (``layers.search``) gives what the former rule gave: the same entries, in
the same order, with the same scores and texts in every language, on the shipped data and on
2,000 synthetic project sites; and the page's index (``/api/search.json``) keeps its entries.

The former rule is written out here in plain Python, one entry at a time: an entry per feature
(as ``search_entries`` built them), scored as ``search`` in ``officials.js`` scores (Chinese
name starts with the query 0, holds it 1; for a query of Latin letters and digits, pinyin or
English starts with it 2, initials start with it 2 (two letters or more), pinyin or English holds
it 3; else the normalised query starts a term of the feature's ``where``, the city and county it
is in, 4), sorted by score, the length of the Chinese name, the layer's order and the row.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import random
import re

import numpy as np
import pytest

from geo.dataset import CsvStore
from geo.pinyin import READINGS as PINYIN_FIXES
from geo.spec import SPEC
from layers.i18n import LANGS
from layers.search import LayerSearch, prepare_search
from layers.search_terms import where_texts
from layers.stats import SEARCH_LAYERS, localize, normalize, search_entries
from webapp import DEFAULT_DATA_DIR

SITES = 2000


@pytest.fixture(scope="module")
def shipped():
    return CsvStore(DEFAULT_DATA_DIR).load()


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """2,000 synthetic sites, some of them renamed: missing and repeated names, a newline, names
    of other lengths, an English name missing."""
    from bench.synth import generate

    path = generate(DEFAULT_DATA_DIR, tmp_path_factory.mktemp("search") / "data", SITES, 5)
    dataset = CsvStore(path).load()
    projects = dataset.layers["projects"].copy()
    name_zh, name_en = (
        projects["name_zh"].to_numpy(dtype=object),
        projects["name_en"].to_numpy(dtype=object),
    )
    name_zh[3], name_en[3] = None, None
    name_zh[7] = "合成\n项目"
    name_zh[11] = name_zh[12] = "蚌埠合成园"
    name_zh[20] = "六安"
    name_zh[21] = "合成项目一"
    name_en[30] = None
    name_en[31] = "Lu'an – Synthetic Park"
    projects["name_zh"], projects["name_en"] = name_zh, name_en
    projects["name_zh"] = projects["name_zh"].astype("str")
    projects["name_en"] = projects["name_en"].astype("str")
    return dataclasses.replace(dataset, layers={**dataset.layers, "projects": projects})


def _plain(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return v


@functools.cache
def _fixes_loaded() -> None:
    from pypinyin import load_phrases_dict

    load_phrases_dict(PINYIN_FIXES)  # retrains pypinyin's segmenter: once


def former_pinyin(text):
    """The former rule, worked out in this process (the server asks a child process)."""
    from pypinyin import Style, lazy_pinyin

    _fixes_loaded()
    full = normalize("".join(lazy_pinyin(text, style=Style.NORMAL, errors="default")))
    initials = "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors="ignore"))
    return full, initials.lower()


def former_entries(dataset, layer_id):
    """The entries of one layer as the former ``search_entries`` built them."""
    frame = dataset.layers[layer_id]
    if layer_id == "pairings":
        frame = frame.assign(
            name_zh=frame["helping_name_zh"] + "—" + frame["helped_name_zh"],
            name_en=frame["helping_name_en"] + " – " + frame["helped_name_en"],
        )
    out = []
    wheres = where_texts(dataset, layer_id, frame, normalize)
    for r, where in zip(frame.itertuples(), wheres, strict=True):
        name_zh = _plain(r.name_zh) or ""
        name_en = _plain(getattr(r, "name_en", None))
        if layer_id in ("parks", "projects"):
            context = (_plain(r.pairing_name_zh), _plain(r.pairing_name_en))
        elif layer_id in ("pairings", "places"):
            level = "pairing_level" if layer_id == "pairings" else "place_level"
            context = tuple(SPEC.word(level, r.level, lang) for lang in ("zh", "en"))
        else:
            context = tuple(SPEC.word("partnership_type", r.type, lang) for lang in ("zh", "en"))
        full, initials = former_pinyin(name_zh)
        out.append(
            {
                "layer": layer_id,
                "id": r.id,
                "name_zh": name_zh,
                "name_en": name_en,
                "context_zh": context[0],
                "context_en": context[1],
                "pinyin": full,
                "initials": initials,
                "en": normalize(name_en) if name_en else "",
                "where": where,
            }
        )
    return out


def former_score(entry, raw, query):
    score = 9
    zh = entry["name_zh"].replace("\n", " ")
    if raw and "\n" not in raw and raw in zh:
        score = 0 if zh.startswith(raw) else 1
    if re.fullmatch(r"[a-z0-9]+", query):
        for text in (entry["pinyin"], entry["en"]):
            if query in text:
                score = min(score, 2 if text.startswith(query) else 3)
        if len(query) >= 2 and entry["initials"].startswith(query):
            score = min(score, 2)
    if score == 9 and query and ("|" + query) in entry["where"]:
        score = 4
    return score


def former_search(entries, query, layers, limit, lang):
    raw = query.strip()
    normal = normalize(raw)
    found = []
    if normal:
        for layer_id in layers:
            for row, e in enumerate(entries[layer_id]):
                score = former_score(e, raw, normal)
                if score < 9:
                    order = SEARCH_LAYERS.index(layer_id)
                    found.append((score, len(e["name_zh"]), order, row, e))
    found.sort(key=lambda f: f[:4])
    shown = [
        {k: e[k] for k in ("layer", "id", "name_zh", "name_en", "context_zh")} | {"score": score}
        for score, _length, _order, _row, e in found[:limit]
    ]
    if lang != "zh-Hans":
        shown = [{**localize(e, lang), "hans": e["name_zh"]} for e in shown]
    return {"query": raw, "matched": len(found), "entries": shown}


def queries(entries, seed):
    """Chinese prefixes and infixes, pinyin, initials, English, empty and unmatched queries."""
    rng = random.Random(seed)
    every = [e for layer in entries.values() for e in layer]
    out = ["", "  ", "-", "'", "xyzzy", "不存在的地方", "q", "a", "0", "00", "12", "合成", "项目0"]
    out += ["蚌埠", "bengbu", "bb", "BB", "Lu'an", "lu an", "luan", "六安", "Synthetic Project"]
    out += ["synthetic project 0001", "合成\n项目", "合成 项目", "project", "park", "—", "市—"]
    for e in rng.sample(every, min(80, len(every))):
        name, full, initials, en = e["name_zh"], e["pinyin"], e["initials"], e["en"]
        if name:
            i = rng.randrange(len(name))
            out += [name, name[: i + 1], name[i : i + 2], f" {name[:3]} "]
        if full:
            i = rng.randrange(len(full))
            out += [full[: i + 1], full[i : i + 4], full.upper()[:5]]
        if initials:
            out += [initials[:2], initials, initials[1:3]]
        if en:
            i = rng.randrange(len(en))
            out += [en[: i + 1], en[i : i + 5], (e["name_en"] or "")[:9]]
    return list(dict.fromkeys(out))


@pytest.mark.parametrize("data", ["shipped", "synthetic"])
def test_the_page_index_keeps_its_entries(request, data):
    dataset = request.getfixturevalue(data)
    expected = [e for layer in SEARCH_LAYERS for e in former_entries(dataset, layer)]
    assert search_entries(dataset, SEARCH_LAYERS) == expected


@pytest.mark.parametrize("data", ["shipped", "synthetic"])
def test_the_server_search_gives_what_the_former_rule_gave(request, data):
    dataset = request.getfixturevalue(data)
    entries = {layer: former_entries(dataset, layer) for layer in SEARCH_LAYERS}
    search = prepare_search(dataset)
    asked = queries(entries, seed=len(data))
    assert len(asked) > 250
    layer_sets = [list(SEARCH_LAYERS), ["projects"], ["places", "pairings"], ["partnerships"]]
    some_found = some_many = 0
    for k, query in enumerate(asked):
        lang = LANGS[k % len(LANGS)]
        layers = layer_sets[k % len(layer_sets)]
        for limit in (1, 12, 100):
            got = search.search(query, layers, limit, lang)
            assert got == former_search(entries, query, layers, limit, lang), (query, lang)
        some_found += got["matched"] > 0
        some_many += got["matched"] > 12
    # the queries found things, and more than a page of them
    assert some_found > len(asked) / 3 and some_many > (5 if data == "shipped" else 50)


def test_a_feature_is_found_by_the_city_or_county_it_is_in(shipped):
    """蚌埠 (or Bengbu) finds the park in 固镇县 of 蚌埠 and the projects in 蚌埠, after the
    features named 蚌埠…; a county's name finds what it hosts."""
    search = prepare_search(shipped)
    for query in ("蚌埠", "bengbu", "Bengbu"):
        found = search.search(query, limit=100)["entries"]
        names = [e["name_zh"] for e in found]
        assert "甬蚌产业合作园区" in names, query
        assert {"煜晟汽车零部件", "芯速联", "融光纳米"} <= set(names), query
        scores = [e["score"] for e in found]
        assert scores == sorted(scores) and scores[-1] == 4, query
    found = search.search("固镇", limit=100)["entries"]
    assert "甬蚌产业合作园区" in [e["name_zh"] for e in found]
    # a province finds nothing by place (only what is named after it)
    assert all(e["score"] < 4 for e in search.search("安徽", limit=100)["entries"])


def test_a_result_is_read_from_the_dataset(synthetic):
    """No list of every feature's id, name and context is kept: an entry reads the layer's own
    columns (its strings shared, not copied), and each text is one string with int32 offsets."""
    index = prepare_search(synthetic, ["projects"]).layers["projects"]
    assert isinstance(index, LayerSearch) and len(index) == SITES
    frame = synthetic.layers["projects"]
    entry = index.entry(5)
    assert entry["id"] is frame["id"].iloc[5] and entry["name_zh"] is frame["name_zh"].iloc[5]
    assert entry["context_zh"] is frame["pairing_name_zh"].iloc[5]
    for text in (index.zh, index.pinyin, index.initials, index.en):
        assert isinstance(text.joined, str) and text.starts.dtype == np.int32
        assert len(text.starts) == SITES + 1
    vars_ = {k: v for k, v in vars(index).items() if isinstance(v, list)}
    assert not vars_
    assert index.zh.lengths(np.array([0, 3, 7, 11])).tolist() == [10, 0, 5, 5]
