"""Pages for the public: the accessible tables of pairings, parks and projects."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from layers.i18n import LANG_NAMES, LANGS, text
from layers.registry import LAYERS
from layers.tables import TABLE_LAYERS, table
from webapp.caching import conditional
from webapp.errors import ApiError
from webapp.i18n import request_lang
from webapp.state import served

bp = Blueprint("portal", __name__)


@bp.get("/table")
def tables() -> Response:
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

    def build() -> Response:
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
        html = render_template(
            "table.html",
            lang=lang,
            tables=views,
            pair=pair,
            pairs=options,
            langs=[(code, LANG_NAMES[code]) for code in LANGS],
        )
        return Response(html, mimetype="text/html")

    return conditional(build, "page", lang)
