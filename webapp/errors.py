"""Errors mapped to HTTP in one place: JSON for the data paths (the OGC API's exception shape,
``{"code", "description"}``, with the parameter at fault), a small HTML page for the rest."""

from __future__ import annotations

import logging

from flask import Flask, Response, json, render_template, request
from flask_babel import get_locale
from werkzeug.exceptions import HTTPException, InternalServerError

from layers.features import QueryError

log = logging.getLogger(__name__)

#: Paths whose clients are programs: they get JSON error bodies (and CORS, gzip: webapp.transfer).
DATA_PREFIXES = ("/downloads/", "/ogc", "/api/")


class ConfigError(ValueError):
    """A setting of the server (config key or environment variable) with a value it cannot use;
    the message names the setting and says what it takes. `wanbei-map serve` prints it and
    stops, without a traceback."""


class ClientGone(Exception):
    """The client of a response being built hung up: the work stops (answered 499, unread)."""


class BuildError(Exception):
    """A file of the download cache (:mod:`webapp.filecache`) could not be made: ``stage`` is
    ``"build"`` (its writer raised: a 500) or ``"store"`` (writing it to the cache directory
    failed: a 503, try again later)."""

    def __init__(self, name: str, stage: str) -> None:
        super().__init__(f"{stage} of {name} failed")
        self.name, self.stage = name, stage


class ApiError(Exception):
    """A client error with a machine-readable code and the parameter at fault."""

    def __init__(self, status: int, code: str, description: str, **extra: object) -> None:
        super().__init__(description)
        self.status, self.code, self.description, self.extra = status, code, description, extra
        #: Headers of the answer (e.g. ``Retry-After`` of a 503).
        self.headers: dict[str, str] = {}


#: The longest text an error body holds in one field: a message quoting a 100 KB parameter
#: value is cut (the app's own messages, lists of valid values included, are shorter).
MAX_QUOTED = 1500


def _bounded(value: object, limit: int = MAX_QUOTED) -> object:
    """``value`` with any text longer than ``limit`` characters cut short."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]}… ({len(value) - limit:,} more characters)"
    if isinstance(value, list | tuple):
        return [_bounded(v, limit) for v in value]
    return value


def _wants_json() -> bool:
    return request.path.startswith(DATA_PREFIXES)


def _json(status: int, code: str, description: str, **extra: object) -> Response:
    body = {"code": code, "description": description, **extra}
    body = json.dumps({k: _bounded(v) for k, v in body.items()}, ensure_ascii=False)
    return Response(body, status=status, mimetype="application/json")


def register(app: Flask) -> None:
    """Install the handlers on ``app``."""

    @app.errorhandler(ApiError)
    def api_error(exc: ApiError) -> Response:
        if _wants_json():
            response = _json(exc.status, exc.code, exc.description, **exc.extra)
        else:
            param, text = exc.extra.get("parameter"), _bounded(exc.description)
            message = f"{text} (parameter: {_bounded(param)})" if param else text
            response = _page(exc.status, message)
        response.headers.update(exc.headers)
        return response

    @app.errorhandler(QueryError)
    def query_error(exc: QueryError) -> Response:
        # a parameter of the OGC API's or a download's query (layers.features)
        if exc.kind == "not_found":
            return api_error(ApiError(404, "NotFound", exc.description, parameter=exc.parameter))
        return api_error(
            ApiError(400, "InvalidParameterValue", exc.description, parameter=exc.parameter)
        )

    @app.errorhandler(BuildError)
    def build_error(exc: BuildError) -> Response:
        # logged where it happened (webapp.filecache): the answer names no path
        if exc.stage == "store":
            return api_error(
                ApiError(
                    503,
                    "ServiceUnavailable",
                    f"{exc.name} could not be stored on the server; try again later "
                    "(the error is logged).",
                )
            )
        message = f"Building {exc.name} failed; the error is logged."
        return api_error(ApiError(500, "InternalServerError", message))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        if _wants_json():
            return _json(
                exc.code or 500, (exc.name or "error").replace(" ", ""), exc.description or ""
            )
        return _page(exc.code or 500, exc.description or exc.name)

    @app.errorhandler(ClientGone)
    def client_gone(exc: ClientGone) -> Response:
        # nobody reads it: the download's client hung up, and its build was stopped
        return Response(status=499)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.path)
        err = InternalServerError()
        if _wants_json():
            return _json(500, "InternalServerError", "The server failed; the error is logged.")
        return _page(500, err.description)


def _page(status: int, message: str) -> Response:
    # the page is written in the locale Flask-Babel chose (zh_Hans, en, zh_Hant): say so
    lang = str(get_locale() or "zh_Hans").replace("_", "-")
    message = _bounded(message, 2 * MAX_QUOTED + 100)  # a description and a parameter's name
    html = render_template("error.html", status=status, message=message, lang=lang)
    return Response(html, status=status, mimetype="text/html")
