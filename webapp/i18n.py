"""The language of a request: ``?lang=``, else the Accept-Language header, else Chinese."""

from __future__ import annotations

from flask import Flask, request
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
    best = request.accept_languages.best_match(list(_ACCEPT))
    return _ACCEPT.get(best, DEFAULT_LANG) if best else DEFAULT_LANG  # type: ignore[return-value]


#: Our language tags and the Babel locales of the message catalogs in webapp/translations/.
LOCALES = {"zh-Hans": "zh_Hans", "en": "en", "zh-Hant": "zh_Hant"}


def _locale() -> str:
    try:
        return LOCALES[request_lang()]
    except ApiError:  # a bad ?lang= is reported by the view; its error page is in Chinese
        return LOCALES[DEFAULT_LANG]


def init_app(app: Flask) -> None:
    """Message catalogs for the interface (Flask-Babel); the source language is zh-Hans."""
    Babel(app, default_locale=LOCALES[DEFAULT_LANG], locale_selector=_locale)


__all__ = ["LANGS", "LOCALES", "init_app", "request_lang"]
