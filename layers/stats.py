"""What the officials' map derives from a dataset once per data version: the pair summaries
(:mod:`layers.pairs`), the search index (:mod:`layers.searchindex`) and the statistics (here),
each in every language.

Every function here reads a :class:`geo.dataset.Dataset` and returns plain JSON-ready dicts and
lists (no NaN: a missing value is ``None``, shown as "unknown" by the page). The web app builds
them once per data version and serves them as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from geo.dataset import Dataset
from geo.spec import SPEC
from layers.charts import statistics_charts
from layers.geojson import dumps
from layers.i18n import DEFAULT_LANG, LANGS, Lang, text, to_traditional
from layers.lean import lean_layers
from layers.localize import OPEN_WORDS
from layers.pairs import (
    NAMED_MAX,
    figure_records,
    json_value,
    pair_label_en,
    pair_summaries,
    parent_pairs,
    plan_record,
    status_words,
    vocabulary_words,
)
from layers.searchindex import (
    SEARCH_LAYERS,
    normalize,
    pinyin,
    pinyin_many,
    search_entries,
    search_entry,
    search_frame,
    search_index,
    search_pinyin,
    search_texts,
)

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
        ``targets``: the plan year's targets with their status, and ``targets_by_status``;
        ``figures``: every figure of ``figures.csv`` by year, with its pair's label (``None``
        for a figure of a wider scope, which is never one pair's).
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
            "label_en": pair_label_en(r.helping_name_en, r.helped_name_en),
            "helping_zh": r.helping_name_zh,
            "helping_en": json_value(r.helping_name_en),
            "helped_zh": r.helped_name_zh,
            "helped_en": json_value(r.helped_name_en),
            "projects_count": json_value(r.projects_count),
            "projects_named": int(r.projects_named),
            "investment_yi": json_value(r.investment_yi),
            "totals_years": json_value(r.totals_years),
            "parks": int((park_pairs == r.id).sum()),
        }
        for r in city.itertuples()
    ]
    labels = {p["id"]: (p["label_zh"], p["label_en"]) for p in per_pair}
    figures = [
        {
            **f,
            "pair_zh": labels.get(parent.get(f["pairing_id"]), (None, None))[0],
            "pair_en": labels.get(parent.get(f["pairing_id"]), (None, None))[1],
        }
        for f in figure_records(dataset.tables["figures"])
    ]
    counts = parks["status"].value_counts()
    order = [s for s in SPEC.codes("status") if s in counts.index]
    parks_by_status = [{"status": s, **status_words(s), "count": int(counts[s])} for s in order]
    plan = dataset.tables["plan"]
    year = plan[plan["year"] == plan_year]
    targets = [
        plan_record(r, "pair" if json_value(r.pairing_id) else "all") for r in year.itertuples()
    ]
    by_status = year["status"].value_counts()
    known = [
        {
            "status": s,
            **vocabulary_words("plan_status", s, "status"),
            "count": int(by_status.get(s, 0)),
        }
        for s in SPEC.codes("plan_status")
    ]
    return {
        "version": dataset.version,
        "per_pair": per_pair,
        "parks_by_status": parks_by_status,
        "plan_year": plan_year,
        "targets": targets,
        "targets_by_status": known,
        "figures": figures,
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
        for key in ("layers", "entries"):
            for entry, original in zip(search_out[key], search[key], strict=True):
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


__all__ = [
    "NAMED_MAX",
    "SEARCH_LAYERS",
    "Derived",
    "Localized",
    "data_date",
    "derive",
    "localize",
    "localized",
    "normalize",
    "pair_summaries",
    "parent_pairs",
    "pinyin",
    "pinyin_many",
    "search_entries",
    "search_entry",
    "search_frame",
    "search_index",
    "search_pinyin",
    "search_texts",
    "statistics",
]
