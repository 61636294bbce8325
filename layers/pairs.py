"""The summary of each city pair the officials' map shows: both sides, its county pairs, parks,
projects, partnerships, plan targets, sources and the ids of its features in every layer.

Every function here reads a :class:`geo.dataset.Dataset` and returns plain JSON-ready dicts and
lists (no NaN: a missing value is ``None``, shown as "unknown" by the page). The web app builds
them once per data version (:func:`layers.stats.derive`) and serves them as they are.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.dataset import Dataset, within
from geo.spec import SPEC
from layers.romanize import raw_pinyin

#: How many named projects a pair summary lists when the projects layer is drawn lean.
NAMED_MAX = 50

_SEP = " ; "


# --- helpers -------------------------------------------------------------------------------------


def json_value(v: Any) -> Any:
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
    return [{c: json_value(row[c]) for c in cols} for _, row in frame.iterrows()]


def _split_sources(values: Iterable[Any]) -> list[str]:
    """Every distinct source of ``values`` (cells holding sources joined by " ; "), in order."""
    seen: dict[str, None] = {}
    for v in values:
        v = json_value(v)
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


def vocabulary_words(vocabulary: str, code: Any, key: str) -> dict[str, Any]:
    """``{key_zh, key_en}``: the Chinese and English words of ``code`` in ``vocabulary``."""
    return {
        f"{key}_zh": SPEC.word(vocabulary, code, "zh"),
        f"{key}_en": SPEC.word(vocabulary, code, "en"),
    }


def figure_records(figures: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``figures.csv`` by year, with their unit, kind and scope words."""
    columns = ["id", "pairing_id", "scope", "scope_zh", "scope_en", "year_from", "year_to"]
    columns += ["date", "measure_zh", "measure_en", "value", "unit", "kind", "confidence"]
    columns += ["source", "note", "note_en"]
    ordered = figures.sort_values(["year_from", "year_to", "id"], kind="stable")
    return [
        {
            **r,
            **vocabulary_words("figure_unit", r["unit"], "unit"),
            **vocabulary_words("investment_kind", r["kind"], "kind"),
            **vocabulary_words("figure_scope", r["scope"], "scope_kind"),
            "money": r["unit"] == "yi_yuan",  # shown as money (亿元 / billion yuan)
            "own": r["scope"] == "pair",  # the pair as a whole: no scope to name
        }
        for r in _records(ordered, columns)
    ]


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
    plan_ids = set(layers["plan_progress"]["id"]) if "plan_progress" in layers else set()
    plan = tables["plan"]

    def side(adcode: str, label: Any = None) -> dict[str, Any]:
        prov = adcode[:2] + "0000"
        known = adcode in places.index
        return {
            "adcode": adcode,
            "name_zh": json_value(label) or (places.at[adcode, "name_zh"] if known else adcode),
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
        figures = of_pair(tables["figures"], pid)
        wider = tables["figures"][
            tables["figures"]["pairing_id"].isna()
            & tables["figures"]["helped_adcode"].eq(row.helped_adcode)
        ]
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
            "label_zh": f"{json_value(row.helping_name_zh)}—{json_value(row.helped_name_zh)}",
            "label_en": pair_label_en(row.helping_name_en, row.helped_name_en),
            "helping": side(row.helping_adcode, row.helping_name_zh),
            "helped": side(row.helped_adcode, row.helped_name_zh),
            "since": json_value(row.since),
            "confidence": json_value(row.confidence),
            "length_km": json_value(row.length_km),
            "note": json_value(row.note),
            "note_en": json_value(getattr(row, "note_en", None)),
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
                    "note_en",
                ],
            ),
            "parks": [
                {**r, **status_words(r["status"])}
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
                "count": json_value(row.projects_count),
                "investment_yi": json_value(row.investment_yi),
                "named_count": len(projects),
                "named": [
                    {**r, **status_words(r["status"])}
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
                        "date",
                        "source",
                        "note",
                        "note_en",
                    ],
                ),
            },
            # figures by year: the pair's own, then those of a wider scope about its helped city
            # (all of 上海, another programme), never counted as the pair's
            "figures": figure_records(figures),
            "wider_figures": figure_records(wider),
            "partnerships": [
                {**r, **vocabulary_words("partnership_type", r["type"], "type")}
                for r in _records(
                    partnerships, ["id", "name_zh", "name_en", "type", "year", "date", "people"]
                )
            ],
            "plan": [plan_record(r, "pair") for r in own_plan.itertuples()]
            + [plan_record(r, "all") for r in common_plan.itertuples()],
            "sources": _split_sources(
                [row.source, *county["source"], *parks["source"], *projects["source"]]
                + [*totals["source"], *partnerships["source"], *own_plan["source"]]
                + [*figures["source"], *wider["source"]]
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
                "plan_progress": sorted(units & plan_ids),
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


def pair_label_en(helping: Any, helped: Any) -> str | None:
    helping, helped = json_value(helping), json_value(helped)
    return f"{helping} – {helped}" if helping and helped else None


def status_words(code: Any) -> dict[str, Any]:
    """The Chinese and English labels of a park's or project's status code."""
    return vocabulary_words("status", code, "status")


def plan_record(r: Any, applies: str) -> dict[str, Any]:
    return {
        "id": r.id,
        "year": json_value(r.year),
        "target_zh": r.target_zh,
        "target_en": r.target_en,
        "value": json_value(r.value),
        "unit": json_value(r.unit),
        "unit_en": SPEC.word("plan_unit", json_value(r.unit), "en"),
        "scope": json_value(r.scope),
        "status": r.status,
        **vocabulary_words("plan_status", r.status, "status"),
        "status_note": json_value(r.status_note),
        "status_note_en": json_value(getattr(r, "status_note_en", None)),
        "applies": applies,
    }
