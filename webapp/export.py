"""``wanbei-map export DIR``: the app's pages and files as a static site with relative URLs.

The pages are rendered by the app itself, through Flask's test client, mounted under a
placeholder script root (:data:`ROOT`); every URL the app builds then starts with that root, so
each one is found, fetched and rewritten as a URL relative to the file that holds it. What the
site needs is found by following those references from the pages (scripts, styles, icons, the
layer downloads, the pages they link to, the URLs of the map's config in ``map.js``) and the
``url(...)`` references of the stylesheets (Leaflet's images). Every layer is exported in every
download format the app serves.

Languages: a static host ignores ``?lang=``, so each language gets its own files. Simplified
Chinese (the default) is at the root as before; English and Traditional Chinese under ``en/``
and ``zh-Hant/``: ``en/index.html``, ``en/embed/index.html``, ``en/map.js``, the localized
layers ``en/api/layers/<id>.geojson`` and whatever else the app asks for with ``lang=en``. A
URL with ``lang=L`` is written under ``L/`` (the ``lang`` key dropped); a link from a page in
``L`` to another page without ``lang`` stays in ``L`` when that page exists in ``L`` (its
``<html lang>`` says so), else it goes to the root's page. The language links of a page
(``href="?lang=L"``) point at the page's file in ``L``. The downloads, scripts, styles and
vendored libraries are shared, once, at the root.
"""

from __future__ import annotations

import posixpath
import re
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from flask import Flask

from layers.i18n import DEFAULT_LANG, LANGS
from layers.registry import REGISTRY

#: The placeholder script root; it cannot occur in a URL the app builds for itself otherwise.
ROOT = "/_wanbei_static_export_"
_BASE_URL = "http://export.invalid" + ROOT
#: Pages exported in every language whenever the app has them; the pages they link to are
#: exported too.
PAGES = ("/", "/embed", "/table")
_REF = re.compile(
    r"(?:https?://export\.invalid)?" + re.escape(ROOT) + r"(/[^\"'\s)<>?#]*)(\?[^\"'\s)<>#]*)?"
)
_API = "/api/"
#: A link of a page to itself with other query parameters (the language links).
_SELF = re.compile(r"""(href=)(["'])\?([^"'#<>\s]*)\2""")
_HTML_LANG = re.compile(r"<html\b[^>]*?\slang=[\"']?([\w-]+)", re.IGNORECASE)
_CSS_URL = re.compile(r"url\(\s*['\"]?(?!data:|https?:|/|#)([^'\")?#]+)[^)]*\)")
#: The separators of a query in the files: plain, in HTML, in JSON written for HTML.
_AMP = re.compile(r"(&amp;|\\u0026|&)")
_TEXT = ("text/html", "text/css", "text/javascript", "application/javascript", "application/json")


class ExportError(Exception):
    """A page or file could not be rendered for the export."""


@dataclass(frozen=True)
class _Key:
    """One file of the site: an app path in a language (:data:`DEFAULT_LANG` when the URL
    names none and is not a page)."""

    path: str
    lang: str = DEFAULT_LANG


@dataclass
class _Fetched:
    mimetype: str
    body: bytes


def export_site(
    app: Flask, target: str | Path, formats: tuple[str, ...] | None = None
) -> list[str]:
    """Write the static site of ``app`` into ``target``; return the files written (relative).

    ``formats`` defaults to every download format the app serves. Existing files of the same
    names are replaced.
    """
    site = _Crawl(app, Path(target))
    for lang in LANGS:
        for path in PAGES:
            if path in site.rules:
                site.want(_Key(path, lang))
    formats = formats or tuple(download_formats(app))
    for spec in REGISTRY:
        for ext in formats:
            site.want(_Key(f"/downloads/{spec.id}.{ext}"))
    site.run()
    # the texts once every file's place is known
    for key, fetched in site.texts.items():
        text = site.relative(fetched.body.decode("utf-8"), key, fetched.mimetype)
        site.write(key, text.encode("utf-8"))
    return site.written


def download_formats(app: Flask) -> list[str]:
    """The download formats the app serves: those its 404 for an unknown format lists."""
    response = app.test_client().get(f"/downloads/{REGISTRY[0].id}.__none__")
    valid = (response.get_json(silent=True) or {}).get("valid") or ["geojson"]
    return list(valid)


class _Crawl:
    """Fetch every file the site needs, writing the binary ones at once and keeping the texts,
    whose URLs are rewritten at the end (each file's place is then known: a page asked for in
    a language it does not have is the root's page)."""

    def __init__(self, app: Flask, target: Path) -> None:
        self.client = app.test_client()
        self.target = target
        self.rules = {
            r.rule
            for r in app.url_map.iter_rules()
            if "GET" in (r.methods or ()) and not r.arguments
        }
        # Every page of the app (a route with no parameter and no file extension, outside the
        # JSON API) is written as DIR/[lang/]<path>/index.html when the export reaches it,
        # linked to as "<path>/". An API queried with parameters (/api/search) has no file.
        self.pages = {r for r in self.rules if not _has_extension(r) and not r.startswith(_API)}
        self.texts: dict[_Key, _Fetched] = {}
        self.alias: dict[_Key, _Key] = {}
        self.queue: deque[_Key] = deque()
        self.seen: set[_Key] = set()
        self.written: list[str] = []

    def is_page(self, path: str) -> bool:
        return path in self.pages or path + "/" in self.pages

    def want(self, key: _Key) -> None:
        if key not in self.seen:
            self.seen.add(key)
            self.queue.append(key)

    def write(self, key: _Key, body: bytes) -> None:
        name = self.file_for(key)
        out = self.target / name
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(body)
        self.written.append(name)

    def key_of(self, path: str, query: str, within: _Key) -> _Key:
        """The file an app URL found in the file ``within`` means."""
        lang = _lang_of(query)
        if lang not in LANGS:
            # a page links to the same language's page; other files are shared
            lang = within.lang if self.is_page(path) else DEFAULT_LANG
        return _Key(path, lang)

    def run(self) -> None:
        while self.queue:
            key = self.queue.popleft()
            status, fetched = self._get(key)
            if key.lang != DEFAULT_LANG and self.is_page(key.path) and not _in(fetched, key.lang):
                # a page in one language only (its <html lang> says so, or it refuses ?lang=)
                self.alias[key] = _Key(key.path)
                self.want(_Key(key.path))
                continue
            if status != 200:
                lang = f" (lang={key.lang})" if key.lang != DEFAULT_LANG else ""
                raise ExportError(
                    f"GET {key.path}{lang} answered {status}; the export is incomplete"
                )
            if fetched.mimetype in _TEXT:
                self.texts[key] = fetched
                self._follow(fetched.body.decode("utf-8"), key, fetched.mimetype)
            else:
                self.write(key, fetched.body)

    def _get(self, key: _Key) -> tuple[int, _Fetched]:
        query = {} if key.lang == DEFAULT_LANG else {"lang": key.lang}
        response = self.client.get(key.path, query_string=query, base_url=_BASE_URL)
        try:
            body = response.get_data()
        finally:
            response.close()
        return response.status_code, _Fetched(response.mimetype, body)

    def _follow(self, text: str, key: _Key, mimetype: str) -> None:
        """Queue what ``text`` (the file of ``key``) refers to."""
        html = mimetype == "text/html"
        for path, query in _REF.findall(text):
            if _has_extension(path) or (html and self.is_page(path)):
                self.want(self.key_of(path, query, key))
        if html:
            for _attr, _quote, query in _SELF.findall(text):
                self.want(self.key_of(key.path, query, key))
        if mimetype == "text/css":
            base = posixpath.dirname(key.path)
            for rel in _CSS_URL.findall(text):
                self.want(_Key(posixpath.normpath(posixpath.join(base, rel.strip()))))

    def file_for(self, key: _Key) -> str:
        """The file that answers ``key`` on a static host."""
        key = self.alias.get(key, key)
        path = key.path.lstrip("/")
        if self.is_page(key.path):
            path = posixpath.join(path.rstrip("/"), "index.html") if path else "index.html"
        return path if key.lang == DEFAULT_LANG else f"{key.lang}/{path}"

    def relative(self, text: str, key: _Key, mimetype: str) -> str:
        """Rewrite every app URL in ``text`` (the file of ``key``) relative to that file."""
        here = posixpath.dirname(self.file_for(key)) or "."

        def url(dest: _Key, query: str) -> str:
            name = self.file_for(dest)
            page = self.is_page(dest.path)
            if page:
                name = posixpath.dirname(name) or "."
            rel = posixpath.relpath(name, here)
            if page:
                rel = "./" if rel == "." else rel + "/"
            return rel + _without_lang(query)

        def ref(m: re.Match) -> str:
            path, query = m.group(1), m.group(2) or ""
            return url(self.key_of(path, query, key), query)

        def self_link(m: re.Match) -> str:
            attr, quote, query = m.groups()
            return f"{attr}{quote}{url(self.key_of(key.path, query, key), query)}{quote}"

        text = _REF.sub(ref, text)
        if mimetype == "text/html":
            text = _SELF.sub(self_link, text)
        return text


def _in(fetched: _Fetched, lang: str) -> bool:
    """Whether a page answered in ``lang`` (``<html lang>``)."""
    if fetched.mimetype != "text/html":
        return False
    found = _HTML_LANG.search(fetched.body.decode("utf-8", "replace"))
    return bool(found) and found.group(1) == lang


def _lang_of(query: str) -> str | None:
    """The ``lang`` of a query as found in a file (``?a=1&amp;lang=en``), if any."""
    for part in _AMP.split(query.lstrip("?"))[0::2]:
        if part.startswith("lang="):
            return unquote(part[5:])
    return None


def _without_lang(query: str) -> str:
    """``query`` without its ``lang`` (the file's folder says it), written as it was."""
    tokens = _AMP.split(query.lstrip("?"))
    kept = [p for p in tokens[0::2] if p and not p.startswith("lang=")]
    sep = tokens[1] if len(tokens) > 1 else "&"
    return "?" + sep.join(kept) if kept else ""


def _has_extension(path: str) -> bool:
    return "." in posixpath.basename(path)
