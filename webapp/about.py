"""The /about page: the data's sources and licences, and the attribution they ask for."""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from geo import provenance
from layers.i18n import LANG_NAMES, LANGS, Lang, text
from webapp.caching import page
from webapp.i18n import request_lang
from webapp.state import served

bp = Blueprint("about", __name__)


@bp.get("/about")
def about() -> Response:
    """Sources, licences and attributions of the data, with the data version."""
    lang: Lang = request_lang()
    return page(
        lambda: render_template(
            "about.html",
            lang=lang,
            langs=[(code, LANG_NAMES[code]) for code in LANGS],
            t=lambda zh, en: text(zh, en, lang),
            about=served().about,
            dataset=provenance.DATASET,
            references=provenance.REFERENCES,
            software=provenance.SOFTWARE,
        ),
        lang,
    )
