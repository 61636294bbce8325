"""The /plan page (the work plan's targets, each city's progress, the milestones) and the
milestones for the map's year slider."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, url_for

from layers import plan
from layers.geojson import dumps
from layers.i18n import DEFAULT_LANG, LANG_NAMES, LANGS
from webapp.caching import conditional
from webapp.errors import ApiError
from webapp.i18n import lang_param, request_lang
from webapp.state import served

bp = Blueprint("plan", __name__)

#: The parameters of /plan.
PARAMETERS = ("lang", "year", "pair", "scope", "status")


def _bad(name: str, message: str, valid: list[str]) -> ApiError:
    return ApiError(400, "InvalidParameterValue", message, parameter=name, valid=valid)


def filters(choices: plan.Choices) -> plan.Filters:
    """The checked filters of the request; a bad or unknown parameter is a 400 naming it."""
    args = request.args
    for name in args:
        if name not in PARAMETERS:
            raise _bad(
                name,
                f"Unknown parameter {name!r}; /plan takes {', '.join(PARAMETERS)}.",
                list(PARAMETERS),
            )
        if len(args.getlist(name)) > 1:
            raise _bad(name, f"Give {name} once, instead got: {args.getlist(name)!r}.", [])
    years = [str(y) for y in choices.years]
    values = {
        "year": years,
        "pair": [pid for pid, _ in choices.pairs],
        "scope": [s for s, _ in choices.scopes],
        "status": [s for s, _ in choices.statuses],
    }
    picked: dict[str, str | None] = {}
    for name, valid in values.items():
        raw = args.get(name) or None
        if raw is not None and raw not in valid:
            raise _bad(
                name,
                f"Unknown {name} {raw!r}; use one of: {', '.join(valid)} (or leave it out).",
                valid,
            )
        picked[name] = raw
    return plan.Filters(
        year=int(picked["year"]) if picked["year"] else None,
        pair=picked["pair"],
        scope=picked["scope"],
        status=picked["status"],
    )


@bp.get("/plan")
def plan_page() -> Response:
    """The work plan as a table with filters, each city's progress, and the milestones."""
    lang = request_lang()
    dataset = served().dataset
    choices = plan.choices(dataset, lang)
    picked = filters(choices)

    def build() -> Response:
        html = render_template(
            "plan.html",
            lang=lang,
            langs=[(code, LANG_NAMES[code]) for code in LANGS],
            filters=picked,
            choices=choices,
            targets=plan.targets(dataset, picked, lang),
            progress=plan.progress(dataset, lang),
            milestones=plan.milestones(dataset, lang, picked.pair),
            args={k: v for k, v in request.args.items() if k != "lang"},
            map_url=url_for("map.index", lang=None if lang == DEFAULT_LANG else lang),
        )
        return Response(html, mimetype="text/html")

    return conditional(build, "page", lang)


@bp.get("/api/milestones.json")
def api_milestones() -> Response:
    """The milestones in ``lang`` (date order), for the map's year slider."""
    lang = lang_param()
    data = served()

    def build() -> Response:
        rows = plan.milestones(data.dataset, lang)
        body = dumps({"lang": lang, "version": data.version, "milestones": rows})
        return Response(body, mimetype="application/json")

    return conditional(build)
