"""The language of a request: ``?lang=``, else the Accept-Language header, else Chinese."""

from __future__ import annotations

from flask import Flask, Response, g, request
from flask_babel import Babel

from layers.i18n import DEFAULT_LANG, LANGS, Lang, check_lang
from webapp.errors import ApiError

# Accept-Language tags and the language each one means here.
_ACCEPT = {
    "zh-Hans": "zh-Hans",
    "zh-CN": "zh-Hans",
    "zh-SG": "zh-Hans",
    "zh": "zh-Hans",
    "zh-Hant": "zh-Hant",
    "zh-TW": "zh-Hant",
    "zh-HK": "zh-Hant",
    "zh-MO": "zh-Hant",
    "en": "en",
}


def request_lang() -> Lang:
    """The request's language; a bad ``lang`` parameter is a 400 that names it."""
    asked = request.args.get("lang")
    if asked is not None:
        try:
            return check_lang(asked)
        except ValueError as exc:
            raise ApiError(400, "InvalidParameterValue", str(exc), parameter="lang") from None
    g._wanbei_negotiated = True  # the answer varies with Accept-Language (see _vary)
    best = request.accept_languages.best_match(list(_ACCEPT))
    return _ACCEPT.get(best, DEFAULT_LANG) if best else DEFAULT_LANG  # type: ignore[return-value]


#: Our language tags and the Babel locales of the message catalogs in webapp/translations/.
LOCALES = {"zh-Hans": "zh_Hans", "en": "en", "zh-Hant": "zh_Hant"}


def _locale() -> str:
    try:
        return LOCALES[request_lang()]
    except ApiError:  # a bad ?lang= is reported by the view; its error page is in Chinese
        return LOCALES[DEFAULT_LANG]


def _vary(response: Response) -> Response:
    # whatever chose the language from Accept-Language (a page, Babel's locale of an error page)
    if g.get("_wanbei_negotiated"):
        response.vary.add("Accept-Language")
    return response


def init_app(app: Flask) -> None:
    """Message catalogs for the interface (Flask-Babel); the source language is zh-Hans;
    ``Vary: Accept-Language`` on every response whose language was negotiated."""
    Babel(app, default_locale=LOCALES[DEFAULT_LANG], locale_selector=_locale)
    app.after_request(_vary)


__all__ = ["LANGS", "LOCALES", "init_app", "request_lang"]
