"""The language of a request: ``?lang=``, else the Accept-Language header, else Chinese."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import read_mo
from flask import Flask, Response, g, request
from flask_babel import Babel, get_locale

from layers.i18n import DEFAULT_LANG, LANGS, Lang, check_lang, money
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


def lang_param() -> Lang:
    """``?lang=`` alone, for the data the pages fetch (never Accept-Language: these URLs are
    cached as they are); a bad one is a 400 that names it."""
    try:
        return check_lang(request.args.get("lang", DEFAULT_LANG))
    except ValueError as exc:
        raise ApiError(400, "InvalidParameterValue", str(exc), parameter="lang") from None


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


#: The message catalogs: ``messages`` (Python and templates) and ``js`` (the scripts' words),
#: kept by ``scripts/i18n.py`` as ``babel.cfg`` says.
TRANSLATIONS = Path(__file__).with_name("translations")


@lru_cache(maxsize=len(LOCALES))
def js_messages(locale: str) -> dict[str, str]:
    """The scripts' words (the ``js`` catalog, extracted from ``wanbei.t("…")`` calls by Babel)
    translated into ``locale``: ``{msgid: text}``, only those that differ from their Chinese
    (``wanbei.t`` falls back to the msgid; zh_Hans has no catalog)."""
    mo = TRANSLATIONS / locale / "LC_MESSAGES" / "js.mo"
    if not mo.exists():
        return {}
    with mo.open("rb") as f:
        catalog = read_mo(f)
    return {m.id: m.string for m in catalog if m.id and m.string and m.string != m.id}


def init_app(app: Flask) -> None:
    """Message catalogs for the interface (Flask-Babel); the source language is zh-Hans;
    ``Vary: Accept-Language`` on every response whose language was negotiated. The templates
    get ``js_messages()``: the scripts' words in the request's language."""
    Babel(app, default_locale=LOCALES[DEFAULT_LANG], locale_selector=_locale)
    app.after_request(_vary)

    app.add_template_filter(money, "money")  # {{ amount_yi|money(lang) }}

    @app.context_processor
    def _scripts_words() -> dict:
        return {"js_messages": lambda: js_messages(str(get_locale()))}


__all__ = ["LANGS", "LOCALES", "init_app", "js_messages", "lang_param", "request_lang"]
