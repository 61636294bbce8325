"""The /about page: the data's sources and licences, and the attribution they ask for."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, current_app, render_template

from geo import provenance
from layers.i18n import LANG_NAMES, LANGS, Lang, text
from webapp.i18n import request_lang
from webapp.state import served

bp = Blueprint("about", __name__)


@dataclass(frozen=True)
class AboutData:
    """What the page shows of one data version (built once per version)."""

    version: str
    updated: str
    sources: list[provenance.SourceCount]
    history: list[dict]


def _about_data() -> AboutData:
    dataset = served().dataset
    cached: AboutData | None = current_app.extensions.get("wanbei.about")
    if cached is None or cached.version != dataset.version:
        cached = AboutData(
            version=dataset.version,
            updated=provenance.last_updated(dataset.tables),
            sources=provenance.row_sources(dataset.tables),
            history=provenance.history(dataset.source) if dataset.source else [],
        )
        current_app.extensions["wanbei.about"] = cached
    return cached


@bp.get("/about")
def about() -> Response:
    """Sources, licences and attributions of the data, with the data version."""
    lang: Lang = request_lang()
    html = render_template(
        "about.html",
        lang=lang,
        langs=[(code, LANG_NAMES[code]) for code in LANGS],
        t=lambda zh, en: text(zh, en, lang),
        about=_about_data(),
        dataset=provenance.DATASET,
        references=provenance.REFERENCES,
        software=provenance.SOFTWARE,
    )
    response = Response(html, mimetype="text/html")
    response.vary.add("Accept-Language")
    return response
