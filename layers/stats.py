"""What the officials' map derives from a dataset once per data version: pair summaries, the search
index and the statistics.

Every function here reads a :class:`geo.dataset.Dataset` and returns plain JSON-ready dicts and
lists (no NaN: a missing value is ``None``, shown as "unknown" by the page). The web app builds
them once per data version and serves them as they are.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.dataset import Dataset, within
from geo.spec import SPEC
from layers.charts import statistics_charts
from layers.geojson import dumps
from layers.i18n import DEFAULT_LANG, LANGS, Lang, text, to_traditional
from layers.lean import lean_layers
from layers.localize import OPEN_WORDS
from layers.romanize import raw_pinyin

#: How many named projects a pair summary lists when the projects layer is drawn lean.
NAMED_MAX = 50

#: The layers the search index covers, in the order results are ranked (``search`` in the spec).
SEARCH_LAYERS = SPEC.ids_with("search")


_SEP = " ; "


# --- helpers -------------------------------------------------------------------------------------


def _value(v: Any) -> Any:
    """A JSON value: NaN/NA/None become None, numpy scalars become Python ones."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item"):
        v = v.item()
        if isinstance(v, float) and math.isnan(v):
            return None
    return v


def _records(frame: pd.DataFrame, columns: Iterable[str]) -> list[dict[str, Any]]:
    cols = [c for c in columns if c in frame.columns]
    return [{c: _value(row[c]) for c in cols} for _, row in frame.iterrows()]


def _split_sources(values: Iterable[Any]) -> list[str]:
    """Every distinct source of ``values`` (cells holding sources joined by " ; "), in order."""
    seen: dict[str, None] = {}
    for v in values:
        v = _value(v)
        if not v:
            continue
        for part in str(v).split(_SEP):
            part = part.strip()
            if part:
                seen.setdefault(part, None)
    return list(seen)


def _bounds(geoms: gpd.GeoSeries) -> list[list[float]] | None:
    geoms = geoms[~geoms.is_empty & geoms.notna()]
    if geoms.empty:
        return None
    west, south, east, north = (float(x) for x in geoms.total_bounds)
    return [[south, west], [north, east]]


def _province_names(dataset: Dataset) -> dict[str, str]:
    b = dataset.layers["boundaries"]
    prov = b[b["level"] == "province"]
    return dict(zip(prov["adcode"], prov["name_zh"], strict=True))


def _provinces_en(names_zh: dict[str, str]) -> dict[str, str]:
    """The provinces' English names from their pinyin (the data gives none): 江苏省 → Jiangsu;
    all at once (one child process for pypinyin: :func:`layers.romanize.raw_pinyin`)."""
    codes = [code for code, name in names_zh.items() if name]
    bases = [re.sub("(省|市|自治区)$", "", names_zh[code]) for code in codes]
    return {
        code: full.capitalize() for code, (full, _) in zip(codes, raw_pinyin(bases), strict=True)
    }


def _words(vocabulary: str, code: Any, key: str) -> dict[str, Any]:
    """``{key_zh, key_en}``: the Chinese and English words of ``code`` in ``vocabulary``."""
    return {
        f"{key}_zh": SPEC.word(vocabulary, code, "zh"),
        f"{key}_en": SPEC.word(vocabulary, code, "en"),
    }


# --- pairs ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Pairing:
    id: str
    helping: str
    helped: str


def parent_pairs(pairings: pd.DataFrame) -> dict[str, str]:
    """Map every pairing id to the id of the city-level pair it belongs to.

    Parameters
    ----------
    pairings : pandas.DataFrame
        The pairings table or layer (``id``, ``level``, ``helping_adcode``, ``helped_adcode``).

    Returns
    -------
    dict of str to str
        A city pair maps to itself; a county pair to the city pair whose helping and helped units
        contain its own (by the adcode hierarchy). A county pair inside no city pair is left out.
    """
    city = [
        _Pairing(r.id, r.helping_adcode, r.helped_adcode)
        for r in pairings.itertuples()
        if r.level == "city"
    ]
    out = {p.id: p.id for p in city}
    for r in pairings.itertuples():
        if r.level == "city":
            continue
        for p in city:
            if within(r.helping_adcode, p.helping) and within(r.helped_adcode, p.helped):
                out[r.id] = p.id
                break
    return out


def pair_summaries(dataset: Dataset, lean: Iterable[str] = ()) -> dict[str, Any]:
    """Summarise each city-level pair: both sides, its county pairs, parks, projects,
    partnerships, plan targets, sources, and the ids of its features in every layer.

    Parameters
    ----------
    dataset : geo.dataset.Dataset
        A validated dataset.
    lean : iterable of str
        Layers the map draws lean (:func:`layers.lean.lean_layers`): their feature ids are not
        listed in ``features`` (the map finds a feature's pair from its ``pairing_id``), and
        a lean ``projects`` layer lists only its first :data:`NAMED_MAX` named projects per pair
        (``named_count`` still counts them all).

    Returns
    -------
    dict
        ``{"version", "pairs": [...], "by_adcode": {adcode: pair id}, "provinces": [...]}``.
        In each pair, ``projects.count`` and ``projects.investment_yi`` are the totals the
        sources report for the pair (``None`` where they report none: never a sum of the
        named projects, whose amounts the sources do not give); ``features`` maps each layer
        id to the ids of the features that belong to the pair (drawn highlighted when the pair
        is focused); ``bounds`` is ``[[south, west], [north, east]]`` of those features;
        ``lean`` lists the layers left out of ``features``.
    """
    lean = [layer_id for layer_id in dataset.layers if layer_id in set(lean)]
    layers, tables = dataset.layers, dataset.tables
    pairings = layers["pairings"]
    parent = parent_pairs(pairings)
    provinces = _province_names(dataset)
    provinces_en = _provinces_en(provinces)
    places = layers["places"].set_index("id")
    corridor = layers["corridor"]
    boundary_ids = set(layers["boundaries"]["id"])
    plan = tables["plan"]

    def side(adcode: str, label: Any = None) -> dict[str, Any]:
        prov = adcode[:2] + "0000"
        known = adcode in places.index
        return {
            "adcode": adcode,
            "name_zh": _value(label) or (places.at[adcode, "name_zh"] if known else adcode),
            "name_en": places.at[adcode, "name_en"] if known else None,
            "province_adcode": prov,
            "province_zh": provinces.get(prov),
            "province_en": provinces_en.get(prov),
        }

    def of_pair(frame: pd.DataFrame, pair_id: str) -> pd.DataFrame:
        return frame[frame["pairing_id"].map(parent).eq(pair_id)]

    pairs = []
    by_adcode: dict[str, str] = {}
    for row in pairings[pairings["level"] == "city"].itertuples():
        pid = row.id
        county = pairings[pairings["id"].map(parent).eq(pid) & pairings["level"].ne("city")]
        parks = of_pair(layers["parks"], pid)
        projects = of_pair(layers["projects"], pid)
        partnerships = of_pair(layers["partnerships"], pid)
        totals = of_pair(tables["project_totals"], pid)
        own_plan = plan[plan["pairing_id"].eq(pid)]
        common_plan = plan[plan["pairing_id"].isna()]
        units = {row.helping_adcode, row.helped_adcode}
        units |= set(county["helping_adcode"]) | set(county["helped_adcode"])
        hosts = set(parks["host_adcode"]) | set(projects["host_adcode"])
        ends = set(partnerships["helping_adcode"]) | set(partnerships["helped_adcode"])
        place_ids = sorted((units | hosts | ends) & set(places.index))
        in_corridor = corridor[
            corridor["adcode"].isin(units)
            & (corridor["from_adcode"].isna() | corridor["from_adcode"].isin(units))
        ]
        for code in sorted(units):
            by_adcode.setdefault(code, pid)
        own = pairings[pairings["id"].eq(pid)]
        drawn = pd.concat([f.geometry for f in (own, county, parks, projects, partnerships)])
        summary = {
            "id": pid,
            "label_zh": f"{_value(row.helping_name_zh)}—{_value(row.helped_name_zh)}",
            "label_en": _pair_en(row.helping_name_en, row.helped_name_en),
            "helping": side(row.helping_adcode, row.helping_name_zh),
            "helped": side(row.helped_adcode, row.helped_name_zh),
            "since": _value(row.since),
            "confidence": _value(row.confidence),
            "length_km": _value(row.length_km),
            "note": _value(row.note),
            "county_pairs": _records(
                county,
                [
                    "id",
                    "helping_name_zh",
                    "helping_name_en",
                    "helped_name_zh",
                    "helped_name_en",
                    "since",
                    "confidence",
                    "note",
                ],
            ),
            "parks": [
                {**r, **_status(r["status"])}
                for r in _records(
                    parks,
                    [
                        "id",
                        "name_zh",
                        "name_en",
                        "host_name_zh",
                        "host_name_en",
                        "status",
                        "status_date",
                        "date",
                    ],
                )
            ],
            "projects": {
                "count": _value(row.projects_count),
                "investment_yi": _value(row.investment_yi),
                "named_count": len(projects),
                "named": [
                    {**r, **_status(r["status"])}
                    for r in _records(
                        projects.head(NAMED_MAX) if "projects" in lean else projects,
                        ["id", "name_zh", "name_en", "sector", "status", "year", "investment_yi"],
                    )
                ],
                "totals": _records(
                    totals,
                    [
                        "id",
                        "year_from",
                        "year_to",
                        "projects_count",
                        "investment_yi",
                        "investment_kind",
                        "note",
                    ],
                ),
            },
            "partnerships": [
                {**r, **_words("partnership_type", r["type"], "type")}
                for r in _records(
                    partnerships, ["id", "name_zh", "name_en", "type", "year", "date", "people"]
                )
            ],
            "plan": [_plan_record(r, "pair") for r in own_plan.itertuples()]
            + [_plan_record(r, "all") for r in common_plan.itertuples()],
            "sources": _split_sources(
                [row.source, *county["source"], *parks["source"], *projects["source"]]
                + [*totals["source"], *partnerships["source"], *own_plan["source"]]
                + [*own_plan["status_source"]]
            ),
            "features": {
                "pairings": [pid, *county["id"]],
                "places": place_ids,
                "parks": list(parks["id"]),
                "projects": list(projects["id"]),
                "partnerships": list(partnerships["id"]),
                "corridor": list(in_corridor["id"]),
                "boundaries": sorted(units & boundary_ids),
            },
            "bounds": _bounds(drawn),
        }
        for layer_id in lean:
            summary["features"].pop(layer_id, None)
        pairs.append(summary)
    helping_provinces = sorted({p["helping"]["province_adcode"] for p in pairs})
    return {
        "version": dataset.version,
        "pairs": pairs,
        "by_adcode": by_adcode,
        "provinces": [
            {"adcode": a, "name_zh": provinces.get(a, a), "name_en": provinces_en.get(a)}
            for a in helping_provinces
        ],
        "lean": lean,
    }


def _pair_en(helping: Any, helped: Any) -> str | None:
    helping, helped = _value(helping), _value(helped)
    return f"{helping} – {helped}" if helping and helped else None


def _status(code: Any) -> dict[str, Any]:
    """The Chinese and English labels of a park's or project's status code."""
    return _words("status", code, "status")


def _plan_record(r: Any, applies: str) -> dict[str, Any]:
    return {
        "id": r.id,
        "year": _value(r.year),
        "target_zh": r.target_zh,
        "target_en": r.target_en,
        "value": _value(r.value),
        "unit": _value(r.unit),
        "unit_en": SPEC.word("plan_unit", _value(r.unit), "en"),
        "scope": _value(r.scope),
        "status": r.status,
        **_words("plan_status", r.status, "status"),
        "status_note": _value(r.status_note),
        "status_note_en": _value(getattr(r, "status_note_en", None)),
        "applies": applies,
    }


# --- search --------------------------------------------------------------------------------------


def pinyin(text: str) -> tuple[str, str]:
    """The toneless pinyin of ``text`` and its initials, both lower case with no separators.

    Parameters
    ----------
    text : str
        Any text; characters that are not Chinese are kept (lower-cased) in the full form and
        dropped from the initials.

    Returns
    -------
    tuple of str
        ``(full, initials)``, e.g. ``("bengbushi", "bbs")`` for 蚌埠市.
    """
    return pinyin_many([text])[0]


def pinyin_many(texts: Sequence[str]) -> list[tuple[str, str]]:
    """:func:`pinyin` of each of ``texts``, worked out at once in a child process
    (:func:`layers.romanize.raw_pinyin`: pypinyin's dictionaries stay out of the server).

    Parameters
    ----------
    texts : sequence of str

    Returns
    -------
    list of tuple of str
        ``(full, initials)`` of each text, in order.
    """
    return [(normalize(full), initials.lower()) for full, initials in raw_pinyin(texts)]


_NOT_WORD = re.compile(r"[\s'’‘·•\-–—_()()/,,.。:;;]+")


def normalize(text: str) -> str:
    """Lower case without spaces, apostrophes, dashes, dots and brackets: how the page matches.

    The page applies the same rule to what a person types (see ``wanbei.search`` in
    ``officials.js``), so "Lu'an", "lu an" and "luan" all match 六安.
    """
    return _NOT_WORD.sub("", text.lower())


def search_index(dataset: Dataset, remote: Iterable[str] = ()) -> dict[str, Any]:
    """The entries the page searches: names in Chinese and English, pinyin and initials.

    Parameters
    ----------
    dataset : geo.dataset.Dataset
    remote : iterable of str
        Layers left out of the index (big layers, searched on the server instead: see
        :mod:`layers.search`).

    Returns
    -------
    dict
        ``{"version", "entries": [...], "remote": [...]}``; each entry has ``layer``, ``id``,
        ``name_zh``, ``name_en`` (or None), ``context_zh`` (the pair or the place a feature
        belongs to), ``pinyin``, ``initials`` and ``en`` (``name_en`` normalised), in the order
        of :data:`SEARCH_LAYERS`; ``remote`` lists the layers of :data:`SEARCH_LAYERS` left out.
    """
    remote = [layer_id for layer_id in SEARCH_LAYERS if layer_id in set(remote)]
    local = [layer_id for layer_id in SEARCH_LAYERS if layer_id not in remote]
    return {
        "version": dataset.version,
        "entries": search_entries(dataset, local),
        "remote": remote,
    }


def search_entries(dataset: Dataset, layer_ids: Iterable[str]) -> list[dict[str, Any]]:
    """The search entries of the features of ``layer_ids`` (see :func:`search_index`).

    Parameters
    ----------
    dataset : geo.dataset.Dataset
    layer_ids : iterable of str
        Layers of :data:`SEARCH_LAYERS`, in the order wanted.

    Returns
    -------
    list of dict
    """
    frames = {layer_id: search_frame(dataset, layer_id) for layer_id in layer_ids}
    sounds = iter(search_pinyin([n for f in frames.values() for n in f["name_zh"]]))  # at once
    entries = []
    for layer_id, frame in frames.items():
        pinyins = [next(sounds) for _ in range(len(frame))]
        texts = search_texts(frame["name_zh"], frame.get("name_en"), pinyins)
        for r, (_name, full, initials, en) in zip(frame.itertuples(), texts, strict=True):
            entries.append(
                {**search_entry(layer_id, r), "pinyin": full, "initials": initials, "en": en}
            )
    return entries


def search_frame(dataset: Dataset, layer_id: str) -> pd.DataFrame:
    """The features of a search layer, each with a ``name_zh`` (and ``name_en``) to search.

    Parameters
    ----------
    dataset : geo.dataset.Dataset
    layer_id : str
        A layer of :data:`SEARCH_LAYERS`.

    Returns
    -------
    pandas.DataFrame
        The layer itself (not a copy), or for the pairings a copy named by both places
        (``蚌埠市—宁波市``).
    """
    frame = dataset.layers[layer_id]
    if layer_id == "pairings":
        frame = frame.assign(
            name_zh=frame["helping_name_zh"] + "—" + frame["helped_name_zh"],
            name_en=frame["helping_name_en"] + " – " + frame["helped_name_en"],
        )
    return frame


def search_entry(layer_id: str, r: Any) -> dict[str, Any]:
    """What a search shows of one feature: ``layer``, ``id``, ``name_zh``, ``name_en``,
    ``context_zh`` and ``context_en`` (see :func:`search_index`).

    Parameters
    ----------
    layer_id : str
        A layer of :data:`SEARCH_LAYERS`.
    r : object
        One row of :func:`search_frame` of the layer, its cells as attributes (a row of
        ``itertuples``).

    Returns
    -------
    dict
    """
    return {
        "layer": layer_id,
        "id": r.id,
        "name_zh": _value(r.name_zh) or "",
        "name_en": _value(getattr(r, "name_en", None)),
        "context_zh": _context(layer_id, r),
        "context_en": _context(layer_id, r, english=True),
    }


def search_pinyin(names_zh: Iterable[Any]) -> list[tuple[str, str]]:
    """The :func:`pinyin` of each name (cells of :func:`search_frame`; missing ones give
    ``("", "")``), all worked out at once: one child process for a whole layer.

    Parameters
    ----------
    names_zh : iterable

    Returns
    -------
    list of tuple of str
    """
    return pinyin_many([_value(v) or "" for v in names_zh])


def search_texts(
    names_zh: Iterable[Any],
    names_en: Iterable[Any] | None = None,
    pinyins: Sequence[tuple[str, str]] | None = None,
) -> list[tuple]:
    """The texts a search matches of some features, their names given (a batch).

    Parameters
    ----------
    names_zh, names_en : iterable
        The features' cells (of :func:`search_frame`); missing values are NaN or None;
        ``names_en`` None when the layer has no English names.
    pinyins : sequence of (str, str), optional
        The :func:`pinyin` of each ``name_zh`` if already known (:func:`search_pinyin`: a
        whole layer's at once); else worked out here.

    Returns
    -------
    list of tuple of str
        For each feature, in order: ``(name_zh, pinyin, initials, en)``: ``name_zh`` as in
        :func:`search_entry` (``""`` when missing), its pinyin and initials (:func:`pinyin`), and
        ``name_en`` normalised (:func:`normalize`; ``""`` when missing).
    """
    zh = [_value(v) or "" for v in names_zh]
    en = [None] * len(zh) if names_en is None else [_value(v) for v in names_en]
    sounds = pinyin_many(zh) if pinyins is None else pinyins
    return [
        (name, *sound, normalize(name_en) if name_en else "")
        for name, name_en, sound in zip(zh, en, sounds, strict=True)
    ]


#: What a search result says of the feature it names: the property (and its vocabulary).
_CONTEXT = {
    "parks": ("pairing_name", None),
    "projects": ("pairing_name", None),
    "pairings": ("level", "pairing_level"),
    "places": ("level", "place_level"),
    "partnerships": ("type", "partnership_type"),
}


def _context(layer_id: str, r: Any, english: bool = False) -> str | None:
    prop, vocabulary = _CONTEXT.get(layer_id, (None, None))
    if prop is None:
        return None
    if vocabulary is None:
        return _value(getattr(r, f"{prop}_en" if english else f"{prop}_zh"))
    return SPEC.word(vocabulary, getattr(r, prop), "en" if english else "zh")


# --- statistics ----------------------------------------------------------------------------------


def statistics(dataset: Dataset, plan_year: int = 2023) -> dict[str, Any]:
    """Figures for the statistics panel: per pair, parks by status, progress on a plan year.

    Parameters
    ----------
    dataset : geo.dataset.Dataset
    plan_year : int
        The work-plan year whose targets are counted (the sources give 2023's).

    Returns
    -------
    dict
        ``per_pair``: one row per city pair with ``projects_count`` and ``investment_yi`` as the
        sources report them (``None`` = unknown, never 0), ``projects_named`` and ``parks``;
        ``parks_by_status``: ``[{status, status_zh, count}]`` in the registry's status order;
        ``targets``: the plan year's targets with their status, and ``targets_by_status``.
    """
    pairings = dataset.layers["pairings"]
    parent = parent_pairs(pairings)
    city = pairings[pairings["level"] == "city"]
    parks = dataset.layers["parks"]
    park_pairs = parks["pairing_id"].map(parent)
    per_pair = [
        {
            "id": r.id,
            "label_zh": f"{r.helping_name_zh}—{r.helped_name_zh}",
            "label_en": _pair_en(r.helping_name_en, r.helped_name_en),
            "helping_zh": r.helping_name_zh,
            "helping_en": _value(r.helping_name_en),
            "helped_zh": r.helped_name_zh,
            "helped_en": _value(r.helped_name_en),
            "projects_count": _value(r.projects_count),
            "projects_named": int(r.projects_named),
            "investment_yi": _value(r.investment_yi),
            "parks": int((park_pairs == r.id).sum()),
        }
        for r in city.itertuples()
    ]
    counts = parks["status"].value_counts()
    order = [s for s in SPEC.codes("status") if s in counts.index]
    parks_by_status = [{"status": s, **_status(s), "count": int(counts[s])} for s in order]
    plan = dataset.tables["plan"]
    year = plan[plan["year"] == plan_year]
    targets = [
        _plan_record(r, "pair" if _value(r.pairing_id) else "all") for r in year.itertuples()
    ]
    by_status = year["status"].value_counts()
    known = [
        {"status": s, **_words("plan_status", s, "status"), "count": int(by_status.get(s, 0))}
        for s in SPEC.codes("plan_status")
    ]
    return {
        "version": dataset.version,
        "per_pair": per_pair,
        "parks_by_status": parks_by_status,
        "plan_year": plan_year,
        "targets": targets,
        "targets_by_status": known,
        "data_date": data_date(dataset),
    }


def data_date(dataset: Dataset) -> str | None:
    """The latest ``updated`` date of any row: when the dataset last changed (None if the
    tables carry no ``updated`` column or leave it empty)."""
    dates = [
        str(v)
        for frame in dataset.tables.values()
        if "updated" in frame.columns
        for v in frame["updated"].dropna()
    ]
    return max(dates) if dates else None


# --- languages -----------------------------------------------------------------------------------

#: Free text of the summaries and statistics without an English form: converted to Traditional
#: Chinese by OpenCC, left as it is in English. Sources are cited as published, never converted.
FREE_TEXT = frozenset({"note", "status_note", "scope", "unit", "sector"})


def localize(value: Any, lang: Lang) -> Any:
    """A copy of JSON-ready summaries (pairs, search index, statistics) in ``lang``.

    Parameters
    ----------
    value : dict, list or scalar
        What :func:`pair_summaries`, :func:`search_index` or :func:`statistics` returned (or a
        part of it).
    lang : {"zh-Hans", "en", "zh-Hant"}

    Returns
    -------
    dict, list or scalar
        For ``en``, each ``X_zh`` text with an ``X_en`` sibling holds the English text (the
        Chinese where none is given), and so does a :data:`FREE_TEXT` field with an ``X_en``
        sibling (``unit``); for ``zh-Hant``, every ``X_zh`` text and the free text of
        :data:`FREE_TEXT` are converted by OpenCC. The key names stay, so the page reads them
        unchanged, as it reads the localized layers (:func:`layers.localize.localize_frame`).
        ``zh-Hans`` returns ``value`` itself.
    """
    if lang == DEFAULT_LANG:
        return value
    return _localized(value, lang)


def _localized(value: Any, lang: Lang) -> Any:
    if isinstance(value, list):
        return [_localized(v, lang) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, v in value.items():
        if isinstance(v, dict | list):
            out[key] = _localized(v, lang)
        elif isinstance(v, str) and key.endswith("_zh"):
            out[key] = text(v, value.get(f"{key[:-3]}_en"), lang)
        elif isinstance(v, str) and key in FREE_TEXT:
            en = value.get(f"{key}_en")
            if lang == "zh-Hant":
                out[key] = to_traditional(v)
            else:
                out[key] = en if isinstance(en, str) else _open_word(key, v)
        else:
            out[key] = v
    return out


def _open_word(key: str, value: str) -> str:
    """The spec's English word of a free-text value (``sector``), or the value as it is."""
    if key not in OPEN_WORDS:
        return value
    word = SPEC.vocabulary(OPEN_WORDS[key]).words.get(value)
    return word.en if word and word.en else value


@dataclass(frozen=True)
class Localized:
    """What the officials' map serves for one data version in one language, ready to send."""

    lang: Lang
    pairs: bytes
    search: bytes
    stats: dict[str, Any]
    charts: dict[str, str]


def localized(
    pairs: dict[str, Any], search: dict[str, Any], stats: dict[str, Any], lang: Lang
) -> Localized:
    """The pair summaries, search index, statistics and charts in ``lang`` (see :func:`localize`).

    Parameters
    ----------
    pairs, search, stats : dict
        What :func:`pair_summaries`, :func:`search_index` and :func:`statistics` returned.
    lang : {"zh-Hans", "en", "zh-Hant"}

    Returns
    -------
    Localized
        Each body says its ``lang``. A search entry in another language than zh-Hans keeps its
        Simplified name as ``hans``, so that what a person types in Chinese still matches.
    """
    search_out = localize(search, lang)
    if lang != DEFAULT_LANG:
        for entry, original in zip(search_out["entries"], search["entries"], strict=True):
            entry["hans"] = original["name_zh"]
    stats_out = localize(stats, lang)
    return Localized(
        lang=lang,
        pairs=dumps({**localize(pairs, lang), "lang": lang}),
        search=dumps({**search_out, "lang": lang}),
        stats=stats_out,
        charts=statistics_charts(stats_out, lang),
    )


# --- everything at once --------------------------------------------------------------------------


@dataclass(frozen=True)
class Derived:
    """What the officials' map serves for one data version, ready to send."""

    version: str
    pairs: bytes
    search: bytes
    stats: dict[str, Any]
    stats_json: bytes
    charts: dict[str, str]
    data_date: str | None
    #: The pair summaries, search index, statistics and charts in each language of
    #: :data:`layers.i18n.LANGS` (zh-Hans: the same bodies as above).
    languages: dict[str, Localized] = field(default_factory=dict)


def derive(dataset: Dataset) -> Derived:
    """Build the pair summaries, the search index, the statistics and their charts once.

    Parameters
    ----------
    dataset : geo.dataset.Dataset

    Returns
    -------
    Derived
        For the layers the map draws lean (:func:`layers.lean.lean_layers`), the pair
        summaries list no feature ids and the search index leaves them to the server's search.
    """
    stats = statistics(dataset)
    lean = lean_layers(dataset.layers)
    pairs, search = pair_summaries(dataset, lean), search_index(dataset, remote=lean)
    languages = {lang: localized(pairs, search, stats, lang) for lang in LANGS}
    return Derived(
        version=dataset.version,
        pairs=languages[DEFAULT_LANG].pairs,
        search=languages[DEFAULT_LANG].search,
        stats=stats,
        stats_json=dumps(stats),
        charts=languages[DEFAULT_LANG].charts,
        data_date=stats["data_date"],
        languages=languages,
    )
