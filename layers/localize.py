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

#: The properties that are free text with English words in an open vocabulary of the spec
#: (``sector`` → ``汽车零部件`` = "Auto parts"), by the vocabulary's name.
OPEN_WORDS = {
    f.name: f.vocabulary
    for layer in SPEC.layers
    for f in layer.popup
    if f.vocabulary and SPEC.vocabulary(f.vocabulary).open
}

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
        A copy that says each text once, in ``lang``: ``title`` and ``description`` (for the
        spec's ``title_zh``/``title_en``…), each popup field's ``label`` and ``unknown`` (the
        text of a missing value, "" to hide it), each variant's ``title``, and ``values`` (the
        words of the coded fields), with ``lang`` added. No key names a language it does not
        hold.
    """
    out = {k: v for k, v in cfg.items() if not k.endswith(("_zh", "_en"))}
    out["lang"] = lang
    out["title"] = _label(cfg["title_zh"], cfg["title_en"], lang)
    out["description"] = _label(cfg["description_zh"], cfg["description_en"], lang)
    out["popup"] = [
        {
            **{k: v for k, v in f.items() if not k.endswith(("_zh", "_en"))},
            "label": _label(f["label_zh"], f["label_en"], lang),
            "unknown": _label(f["unknown_zh"], word("unknown", "en"), lang)
            if f["unknown_zh"]
            else "",
        }
        for f in cfg["popup"]
    ]
    out["variants"] = [
        {
            **{k: v for k, v in v.items() if not k.endswith(("_zh", "_en"))},
            "title": _label(v["title_zh"], v["title_en"], lang),
        }
        for v in cfg["variants"]
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
        For ``en``, each ``X_zh`` column with an ``X_en`` sibling, and each free-text column
        ``X`` with an ``X_en`` sibling (``site_note_en``), holds the English text (the Chinese
        where none is given: shown as the data has it), so the map's tooltips and popups read
        the same columns in every language; a column of :data:`OPEN_WORDS` holds the spec's
        English word for each value it knows; for ``zh-Hant``, the ``*_zh`` columns and the
        free-text columns of :data:`TEXT_PROPERTIES` are converted by OpenCC. ``zh-Hans``
        returns ``gdf`` itself.
    """
    if lang == "zh-Hans":
        return gdf
    out = gdf.copy()
    for col in gdf.columns:
        if col == "geometry":
            continue
        twin = f"{col[:-3]}_en" if col.endswith("_zh") else f"{col}_en"
        texts = col.endswith("_zh") or col in TEXT_PROPERTIES
        if lang == "en" and texts and twin in gdf.columns:
            en = gdf[twin]
            out[col] = [
                e if isinstance(e, str) and e.strip() else z
                for z, e in zip(gdf[col], en, strict=True)
            ]
        elif lang == "en" and col in OPEN_WORDS:
            words = SPEC.vocabulary(OPEN_WORDS[col]).words
            out[col] = [
                words[v].en if isinstance(v, str) and v in words and words[v].en else v
                for v in gdf[col]
            ]
        elif lang == "zh-Hant" and (col.endswith("_zh") or col in TEXT_PROPERTIES):
            out[col] = [to_traditional(v) if isinstance(v, str) else v for v in gdf[col]]
    return out


__all__ = ["localize_frame", "localize_layer_config", "word"]
