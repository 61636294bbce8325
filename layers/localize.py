"""The map's layers in a language: localized layer configs, legend and feature properties.

The registry's labels are Simplified Chinese (``*_zh``) and English (``*_en``); the data's names
come as ``X_zh`` with an ``X_en`` sibling. Traditional Chinese is always converted from the
Simplified text by OpenCC (:func:`layers.i18n.to_traditional`). The downloads stay canonical:
only the map asks for localized layer data.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd

from layers.i18n import Lang, text, to_traditional

#: English for the coded values of :data:`layers.registry.VALUES_ZH`.
VALUES_EN: dict[str, dict[str, str]] = {
    "level": {
        "city": "City pair",
        "county": "County pair",
        "prefecture": "Prefecture-level city",
        "district": "District",
        "county_city": "County-level city",
        "province": "Province",
        "neighbour": "Neighbouring province",
    },
    "precision": {
        "exact": "Exact",
        "approximate": "Approximate",
        "unit_seat": "Unknown, shown at the seat of its division",
        "seat": "Seat of the division",
    },
    "confidence": {
        "confirmed": "Confirmed",
        "secondary": "Secondary source",
        "unconfirmed": "Unconfirmed",
    },
    "status": {
        "planned": "Planned",
        "agreement_signed": "Agreement signed",
        "approved": "Approved",
        "launched": "Launched",
        "licensed": "Licensed",
        "operating": "Operating",
        "unknown": "Unknown",
        "signed": "Signed",
        "landed": "Signed and landed",
        "under_construction": "Under construction",
    },
    "type": {
        "college": "College partnership",
        "hospital": "Hospital partnership",
        "cadre_exchange": "Cadre exchange",
        "other": "Other",
    },
    "kind": {"member": "Corridor member", "link": "Outreach link"},
    "area_unit": {"km2": "km²", "mu": "mu", "ha": "ha"},
}

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


def _values(values_zh: dict[str, dict[str, str]], lang: Lang) -> dict[str, dict[str, str]]:
    if lang == "en":
        return {
            k: {c: VALUES_EN.get(k, {}).get(c, v) for c, v in m.items()}
            for k, m in values_zh.items()
        }
    return {k: {c: _label(v, "", lang) for c, v in m.items()} for k, m in values_zh.items()}


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
    out["values"] = _values(cfg["values"], lang)
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


__all__ = ["VALUES_EN", "localize_frame", "localize_layer_config", "word"]
