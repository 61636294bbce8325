"""Layers as accessible tables (the ``/table`` page): the spec's popup fields, in a language."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from geo.spec import SPEC, Field, LayerSpec
from layers.i18n import Lang, money, text

#: The layers shown as tables (those with ``table`` columns in the spec).
TABLE_LAYERS = SPEC.ids_with("table")
_URL = re.compile(r"^https?://\S+$")
_UNKNOWN_EN = "unknown"


@dataclass(frozen=True)
class Cell:
    """One cell: its text, or for a source the parts with the URLs that can be links."""

    text: str
    parts: tuple[tuple[str, bool], ...] = ()  # (text, is_url) for sources
    unknown: bool = False


@dataclass(frozen=True)
class Table:
    """One layer as a table."""

    layer_id: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, str, tuple[Cell, ...]], ...]  # (feature id, pairing id, cells)


def label(field: Field, lang: Lang) -> str:
    """A field's column label in ``lang``."""
    return text(field.label_zh, field.label_en, lang) or field.name


def value_text(field: Field, value: object, lang: Lang) -> Cell:
    """A property value as a cell in ``lang``; missing values show the field's 'unknown' text."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        if not field.unknown_zh:
            return Cell("")
        return Cell(text(field.unknown_zh, _UNKNOWN_EN, lang) or "", unknown=True)
    if field.kind == "source":
        parts = tuple((p.strip(), bool(_URL.match(p.strip()))) for p in str(value).split(" ; "))
        return Cell(str(value), parts)
    if field.vocabulary and isinstance(value, str):
        words = SPEC.vocabulary(field.vocabulary).words
        if value in words:
            return Cell(text(words[value].zh, words[value].en, lang) or value)
    if field.kind == "money" and isinstance(value, int | float):
        return Cell(money(value, lang))
    if isinstance(value, float):
        return Cell(f"{value:,.1f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}")
    if isinstance(value, str) and lang == "zh-Hant":
        return Cell(text(value, None, lang) or value)
    return Cell(str(value))


def _english_twin(field: Field, gdf: gpd.GeoDataFrame) -> str | None:
    """The column holding the English of a field's text: ``X_en`` for ``X_zh`` or ``X``."""
    twin = field.name[:-3] + "_en" if field.name.endswith("_zh") else field.name + "_en"
    return twin if twin in gdf.columns and twin != field.name else None


def table(gdf: gpd.GeoDataFrame, spec: LayerSpec, lang: Lang, pair: str | None = None) -> Table:
    """Return the layer ``spec`` of ``gdf`` as a table in ``lang``.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The layer, with ``id`` and (except for pairings) ``pairing_id`` columns.
    spec : LayerSpec
        Its registry entry: the columns are its popup fields.
    lang : {"zh-Hans", "en", "zh-Hant"}
    pair : str, optional
        Keep only the rows of this pairing id.
    """
    pair_col = "id" if spec.id == "pairings" else "pairing_id"
    if pair is not None:
        gdf = gdf[gdf[pair_col] == pair]
    # In English the *_zh fields show their English twins, so the twins' own columns go.
    fields = tuple(f for f in spec.popup if not (lang == "en" and f.name.endswith("_en")))
    rows = []
    for record in gdf.drop(columns=gdf.geometry.name).to_dict("records"):
        cells = []
        for f in fields:
            twin = _english_twin(f, gdf)
            value = record.get(f.name)
            if lang == "en" and twin and record.get(twin):
                value = record[twin]
                cells.append(Cell(str(value)))
            else:
                cells.append(value_text(f, value, lang))
        rows.append((str(record["id"]), str(record[pair_col]), tuple(cells)))
    return Table(
        spec.id,
        text(spec.title_zh, spec.title_en, lang) or spec.id,
        tuple(label(f, lang) for f in fields),
        tuple(rows),
    )
