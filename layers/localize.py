"""The map's layers in a language: localized layer configs, legend and feature properties.

The spec's labels and words are Simplified Chinese (``*_zh``) and English (``*_en``); the data's
names come as ``X_zh`` with an ``X_en`` sibling. Traditional Chinese is always converted from the
Simplified text by OpenCC (:func:`layers.i18n.to_traditional`). The downloads stay canonical:
only the map asks for localized layer data.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd

from geo.spec import SPEC
from layers.i18n import Lang, text, to_traditional

#: The interface words of the map's layers that are not in the registry.
WORDS = {"legend": ("图例", "Legend"), "unknown": ("未知", "unknown")}

#: Free-text (Chinese) properties converted to Traditional besides the ``*_zh`` ones.
TEXT_PROPERTIES = frozenset(
    {"note", "site_note", "operating_model", "operator", "helping_name", "helped_name", "sector"}
)


def word(key: str, lang: Lang) -> str:
    """One of :data:`WORDS` in ``lang``."""
    zh, en = WORDS[key]
    return text(zh, en, lang) or zh


def _label(zh: str, en: str, lang: Lang) -> str:
    return text(zh, en, lang) or ""


def _values(popup: list[dict[str, Any]], lang: Lang) -> dict[str, dict[str, str]]:
    """``{property: {code: word}}`` of the coded fields, from the spec's vocabularies."""
    out = {}
    for f in popup:
        if f.get("vocabulary"):
            vocabulary = SPEC.vocabulary(f["vocabulary"])
            en = vocabulary.labels("en")
            out[f["name"]] = {
                c: _label(zh, en[c], lang) for c, zh in vocabulary.labels("zh").items()
            }
    return out


def localize_layer_config(cfg: dict[str, Any], lang: Lang) -> dict[str, Any]:
    """The config of ``wanbei.loadLayer`` (see :func:`layers.map.layer_config`) in ``lang``.

    Parameters
    ----------
    cfg : dict
        The Simplified Chinese config; its ``*_zh`` keys are what the client shows.
    lang : {"zh-Hans", "en", "zh-Hant"}

    Returns
    -------
    dict
        A copy whose ``title_zh``, popup ``label_zh``/``unknown_zh``, variant titles and
        ``values`` are in ``lang`` (the key names stay, so the client reads them unchanged),
        with ``lang`` added.
    """
    out = dict(cfg, lang=lang)
    out["title_zh"] = _label(cfg["title_zh"], cfg["title_en"], lang)
    out["popup"] = [
        dict(
            f,
            label_zh=_label(f["label_zh"], f["label_en"], lang),
            unknown_zh=_label(f["unknown_zh"], word("unknown", "en"), lang)
            if f["unknown_zh"]
            else "",
        )
        for f in cfg["popup"]
    ]
    out["variants"] = [
        dict(v, title_zh=_label(v["title_zh"], v["title_en"], lang)) for v in cfg["variants"]
    ]
    out["values"] = _values(cfg["popup"], lang)
    return out


def localize_frame(gdf: gpd.GeoDataFrame, lang: Lang) -> gpd.GeoDataFrame:
    """A copy of one layer whose names and texts are in ``lang``.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        A layer of the dataset.
    lang : {"zh-Hans", "en", "zh-Hant"}

    Returns
    -------
    geopandas.GeoDataFrame
        For ``en``, each ``X_zh`` column with an ``X_en`` sibling holds the English text (the
        Chinese where none is given), so the map's tooltips and popups read the same columns in
        every language; for ``zh-Hant``, the ``*_zh`` columns and the free-text columns of
        :data:`TEXT_PROPERTIES` are converted by OpenCC. ``zh-Hans`` returns ``gdf`` itself.
    """
    if lang == "zh-Hans":
        return gdf
    out = gdf.copy()
    for col in gdf.columns:
        if col == "geometry":
            continue
        if lang == "en" and col.endswith("_zh") and f"{col[:-3]}_en" in gdf.columns:
            en = gdf[f"{col[:-3]}_en"]
            out[col] = [
                e if isinstance(e, str) and e.strip() else z
                for z, e in zip(gdf[col], en, strict=True)
            ]
        elif lang == "zh-Hant" and (col.endswith("_zh") or col in TEXT_PROPERTIES):
            out[col] = [to_traditional(v) if isinstance(v, str) else v for v in gdf[col]]
    return out


__all__ = ["localize_frame", "localize_layer_config", "word"]
