"""Pages for the public: the accessible tables of pairings, parks and projects."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from layers.i18n import LANG_NAMES, LANGS, text
from layers.registry import LAYERS
from layers.tables import TABLE_LAYERS, table
from webapp.errors import ApiError
from webapp.i18n import request_lang
from webapp.state import served

bp = Blueprint("portal", __name__)


@bp.after_request
def _vary(response):
    response.vary.add("Accept-Language")
    return response


UI = {  # interface text: Simplified Chinese and English; Traditional is converted by OpenCC
    "table_title": ("结对合作一览表", "The pairing programme in tables"),
    "intro": (
        "沪苏浙城市结对合作帮扶皖北城市:结对关系、共建园区与合作项目。每行注明来源。",
        "Shanghai, Jiangsu and Zhejiang cities paired with northern Anhui: pairings, "
        "co-built parks and projects. Every row names its source.",
    ),
    "all_pairs": ("全部结对", "All pairs"),
    "pair": ("结对", "Pair"),
    "show": ("显示", "Show"),
    "map": ("查看地图", "Open the map"),
    "on_map": ("在地图上查看", "Show on the map"),
    "rows": ("行", "rows"),
    "none": ("无", "None"),
    "language": ("语言", "Language"),
}


def ui(lang: str) -> dict[str, str]:
    """Interface strings in ``lang``."""
    return {k: text(zh, en, lang) or zh for k, (zh, en) in UI.items()}  # type: ignore[arg-type]


@bp.get("/table")
def tables() -> str:
    """The pairings, parks and projects as tables, filtered by ``pair``."""
    lang = request_lang()
    data = served().dataset
    pairings = data.layers["pairings"]
    pair = request.args.get("pair") or None
    if pair is not None and pair not in set(pairings["id"]):
        raise ApiError(
            400,
            "InvalidParameterValue",
            f"Unknown pair {pair!r}; see the pairings table for the ids.",
            parameter="pair",
        )
    views = [table(data.layers[lid], LAYERS[lid], lang, pair) for lid in TABLE_LAYERS]
    options = [
        (
            row.id,
            text(
                f"{row.helping_name_zh}—{row.helped_name_zh}",
                f"{row.helping_name_en} – {row.helped_name_en}",
                lang,
            ),
        )
        for row in pairings.itertuples()
    ]
    return render_template(
        "table.html",
        lang=lang,
        t=ui(lang),
        tables=views,
        pair=pair,
        pairs=options,
        langs=[(code, LANG_NAMES[code]) for code in LANGS],
    )
