"""The work plan and the milestones as the ``/plan`` page shows them, in a language.

Everything here reads a :class:`geo.dataset.Dataset` and returns plain rows of text (no HTML):
the targets (filtered by year, pair, scope level and status), each 皖北 city's share of targets
done (:func:`geo.plan.city_progress`), and the dated milestones. The words of the plan's coded
values (status, scope level, kind of event) are the spec's (``geo/spec.toml``);
Traditional Chinese is converted by OpenCC as everywhere else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from geo.dataset import Dataset
from geo.plan import PROGRESS_CLASSES, city_progress
from geo.schema import MILESTONE_KINDS, PLAN_STATUSES, SCOPE_LEVELS
from geo.spec import SPEC
from layers.i18n import Lang, text

# The words of the coded values are the spec's (geo/spec.toml).
SCOPE_ZH, SCOPE_EN = (SPEC.vocabulary("scope_level").labels(x) for x in ("zh", "en"))
KIND_ZH, KIND_EN = (SPEC.vocabulary("milestone_kind").labels(x) for x in ("zh", "en"))
CONFIDENCE_ZH, CONFIDENCE_EN = (SPEC.vocabulary("confidence").labels(x) for x in ("zh", "en"))
#: The map's colouring of a city by its share of targets done (class → label).
PROGRESS_ZH, PROGRESS_EN = (SPEC.vocabulary("plan_progress").labels(x) for x in ("zh", "en"))
PLAN_STATUS_ZH, PLAN_STATUS_EN = (SPEC.vocabulary("plan_status").labels(x) for x in ("zh", "en"))
PLAN_UNITS_EN = SPEC.vocabulary("plan_unit").labels("en")
_COMPARATOR_ZH = {"at_least": "不少于 ", "exactly": "", "all": "全部", "none": ""}
_COMPARATOR_EN = {"at_least": "at least ", "exactly": "", "all": "all", "none": ""}

assert set(KIND_ZH) == set(MILESTONE_KINDS) == set(KIND_EN)
assert set(PLAN_STATUS_ZH) == set(PLAN_STATUSES) == set(PLAN_STATUS_EN)
assert set(SCOPE_ZH) == set(SCOPE_LEVELS) and set(PROGRESS_ZH) == set(PROGRESS_CLASSES)


def word(zh: dict[str, str], en: dict[str, str], code: Any, lang: Lang) -> str:
    """The word for ``code`` in ``lang`` from a Chinese and an English vocabulary."""
    code = _value(code)
    if code is None:
        return ""
    return text(zh.get(code, code), en.get(code, code), lang) or str(code)


def _value(v: Any) -> Any:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    return v


@dataclass(frozen=True)
class Filters:
    """The checked filters of the plan page (``None``: all)."""

    year: int | None = None
    pair: str | None = None
    scope: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class Choices:
    """What each filter may be: the plan's years, the city pairs (id, label), the words."""

    years: tuple[int, ...]
    pairs: tuple[tuple[str, str], ...]
    scopes: tuple[tuple[str, str], ...]
    statuses: tuple[tuple[str, str], ...]


def choices(dataset: Dataset, lang: Lang) -> Choices:
    """The values the page's filters offer, labelled in ``lang``."""
    plan = dataset.tables["plan"]
    return Choices(
        years=tuple(sorted(int(y) for y in plan["year"].dropna().unique())),
        pairs=tuple((pid, label) for pid, label in _pair_labels(dataset, lang).items()),
        scopes=tuple((s, word(SCOPE_ZH, SCOPE_EN, s, lang)) for s in SCOPE_LEVELS),
        statuses=tuple((s, word(PLAN_STATUS_ZH, PLAN_STATUS_EN, s, lang)) for s in PLAN_STATUSES),
    )


def _pair_labels(dataset: Dataset, lang: Lang) -> dict[str, str]:
    pairings = dataset.layers["pairings"]
    city = pairings[pairings["level"] == "city"]
    return {
        r.id: text(
            f"{r.helping_name_zh}—{r.helped_name_zh}",
            f"{r.helping_name_en} – {r.helped_name_en}",
            lang,
        )
        or r.id
        for r in city.itertuples()
    }


def _city_of_pair(dataset: Dataset) -> dict[str, str]:
    """Every pairing id (city or county) → the helped city of its city pair."""
    pairings = dataset.tables["pairings"]
    cities = pairings[pairings["level"] == "city"]
    out = {}
    for r in pairings.itertuples():
        for c in cities.itertuples():
            if str(r.helped_adcode)[:4] == str(c.helped_adcode)[:4]:
                out[r.id] = c.helped_adcode
    return out


def _place_name(dataset: Dataset, adcode: Any, lang: Lang) -> str:
    places = dataset.tables["places"].set_index("adcode")
    if _value(adcode) is None or adcode not in places.index:
        return str(adcode or "")
    return text(places.at[adcode, "name_zh"], places.at[adcode, "name_en"], lang) or adcode


def _scope_label(dataset: Dataset, row: Any, lang: Lang, pairs: dict[str, str]) -> str:
    level = row.scope_level
    if level == "pair" and _value(row.pairing_id):
        # a county pair has no label of its own here: the scope's words say who it is
        return pairs.get(row.pairing_id) or text(row.scope, None, lang) or row.pairing_id
    if level == "city" and _value(row.adcode):
        return _place_name(dataset, row.adcode, lang)
    return word(SCOPE_ZH, SCOPE_EN, level, lang)


def _target_value(row: Any, lang: Lang) -> str:
    value, unit, comp = _value(row.value), _value(row.unit), row.comparator
    if value is None:
        return word(_COMPARATOR_ZH, _COMPARATOR_EN, comp, lang) if comp == "all" else ""
    number = f"{value:g}"
    if lang == "en":
        unit_text = PLAN_UNITS_EN.get(unit, unit) if unit else ""
        return f"{_COMPARATOR_EN.get(comp, '')}{number} {unit_text}".strip()
    prefix = text(_COMPARATOR_ZH.get(comp, ""), None, lang) or ""
    return f"{prefix}{number} {text(unit, None, lang) or ''}".strip()


def concerns(row: Any, pair: str, city: str, city_of_pair: dict[str, str]) -> bool:
    """Whether a target or milestone ``row`` concerns the city pair ``pair`` (helping ``city``)."""
    if row.scope_level == "province":
        return True
    if _value(row.pairing_id) and city_of_pair.get(row.pairing_id) == city:
        return True
    return row.scope_level == "city" and _value(row.adcode) == city


def targets(dataset: Dataset, filters: Filters, lang: Lang) -> list[dict[str, Any]]:
    """The plan's targets passing ``filters``, as rows of text in ``lang``.

    A ``pair`` filter keeps the targets that concern the pair's 皖北 city: those of every city
    (``province``), of the pair (or one of its county pairs), and of the city itself.
    """
    plan = dataset.tables["plan"]
    pairs = _pair_labels(dataset, lang)
    city_of_pair = _city_of_pair(dataset)
    city = city_of_pair.get(filters.pair) if filters.pair else None
    out = []
    for r in plan.itertuples():
        if filters.year is not None and int(r.year) != filters.year:
            continue
        if filters.scope is not None and r.scope_level != filters.scope:
            continue
        if filters.status is not None and r.status != filters.status:
            continue
        if filters.pair is not None and not concerns(r, filters.pair, city, city_of_pair):
            continue
        note = r.status_note_en if lang == "en" and _value(r.status_note_en) else r.status_note
        out.append(
            {
                "id": r.id,
                "year": int(r.year),
                "target": text(r.target_zh, r.target_en, lang),
                "value": _target_value(r, lang),
                "scope_level": r.scope_level,
                "scope": _scope_label(dataset, r, lang, pairs),
                "status": r.status,
                "status_label": word(PLAN_STATUS_ZH, PLAN_STATUS_EN, r.status, lang),
                "status_date": _value(r.status_date) or "",
                "status_note": text(_value(note), None, lang) or "",
                "status_source": _value(r.status_source) or "",
                "confidence": word(CONFIDENCE_ZH, CONFIDENCE_EN, r.confidence, lang),
                "source": r.source,
            }
        )
    return out


def progress(dataset: Dataset, lang: Lang, plan_year: int | None = None) -> list[dict[str, Any]]:
    """Each helped city's share of the targets of ``plan_year`` done, as rows in ``lang``."""
    pairs = _pair_labels(dataset, lang)
    out = []
    for c in city_progress(dataset.tables["plan"], dataset.tables["pairings"], plan_year):
        share = c.share_done
        out.append(
            {
                "adcode": c.adcode,
                "city": _place_name(dataset, c.adcode, lang),
                "pair_id": c.pairing_id,
                "pair": pairs.get(c.pairing_id, c.pairing_id),
                "plan_year": c.plan_year,
                "targets": c.targets,
                "known": c.known,
                "counts": c.counts,
                "share_done": None if share is None else round(100 * share, 1),
                "progress": c.progress,
                "progress_label": word(PROGRESS_ZH, PROGRESS_EN, c.progress, lang),
            }
        )
    return out


def milestones(dataset: Dataset, lang: Lang, pair: str | None = None) -> list[dict[str, Any]]:
    """The milestones in date order (of ``pair`` and of every city when given), in ``lang``."""
    frame = dataset.tables["milestones"]
    pairs = _pair_labels(dataset, lang)
    city_of_pair = _city_of_pair(dataset)
    city = city_of_pair.get(pair) if pair else None
    out = []
    for r in frame.sort_values("date", kind="stable").itertuples():
        if pair is not None and not concerns(r, pair, city, city_of_pair):
            continue
        note = r.note_en if lang == "en" and _value(r.note_en) else r.note
        out.append(
            {
                "id": r.id,
                "date": r.date,
                "year": int(str(r.date)[:4]),
                "kind": r.kind,
                "kind_label": word(KIND_ZH, KIND_EN, r.kind, lang),
                "name": text(r.name_zh, r.name_en, lang),
                "scope": _scope_label(dataset, r, lang, pairs),
                "place": _place_name(dataset, r.adcode, lang) if _value(r.adcode) else "",
                "pair_id": _value(r.pairing_id) or "",
                "confidence": word(CONFIDENCE_ZH, CONFIDENCE_EN, r.confidence, lang),
                "note": text(_value(note), None, lang) or "",
                "source": r.source,
            }
        )
    return out


__all__ = [
    "Choices",
    "Filters",
    "choices",
    "concerns",
    "milestones",
    "progress",
    "targets",
]
