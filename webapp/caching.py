"""The one cache rule of every answer that depends on the data: its validators and its
``Cache-Control``.

* ETag: a weak tag made from the data version, the code version
  (:data:`webapp.prepared.CODE_HASH`), the settings that shape answers (:data:`SHAPING`) and
  what the answer varies with in the request: the path prefix, path, query string and
  ``Accept`` (:func:`request_key`), and whatever else the view names (the language a page
  negotiated). No body is hashed.
* Last-Modified: when this process took the data version
  (:attr:`webapp.state.Served.last_modified`).
* A request whose ``If-None-Match`` (or ``If-Modified-Since``) matches is answered 304 before the
  body is built (werkzeug's :func:`~werkzeug.http.is_resource_modified`); ``Range`` is honoured
  on whole files by werkzeug's :meth:`~werkzeug.wrappers.Response.make_conditional`.
* ``Cache-Control`` from :data:`POLICIES`, by the kind of answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Literal

from flask import Response, request
from werkzeug.http import is_resource_modified

from layers.i18n import Lang
from webapp.headers import setting
from webapp.prepared import CODE_HASH
from webapp.state import served

Policy = Literal["page", "script", "data", "layer", "versioned"]

#: How long browsers and CDNs keep each kind of answer. The data can be reloaded at any time,
#: so answers are kept briefly and revalidated (a 304 costs no body), except under a URL that
#: names the version it depends on (``?v=``).
POLICIES: dict[Policy, str] = {
    # the pages name the data version in their script URLs: revalidated in the background
    "page": "public, max-age=60, stale-while-revalidate=600",
    "script": "public, max-age=60",
    # the API's documents, pages of items, downloads, summaries, search answers
    "data": "public, max-age=300",
    # a whole layer for the map (its URL carries ?v= where it is big)
    "layer": "public, max-age=3600",
    "versioned": "public, max-age=31536000, immutable",
}


#: The settings that change what an answer holds (a basemap offered, the map's review number,
#: the links' public URL, the API's limits): a restart with another value is a new ETag.
SHAPING = ("TIANDITU_TOKEN", "MAP_REVIEW_NO", "PUBLIC_URL", "OGC_LIMIT_DEFAULT", "OGC_LIMIT_MAX")


def settings_key() -> str:
    """The values of the :data:`SHAPING` settings (config, else ``WANBEI_<name>``)."""
    return "\0".join(str(setting(name) or "") for name in SHAPING)


def script_version(version: str) -> str:
    """A short name of the data ``version``, the code and the :data:`SHAPING` settings: the
    ``?v=`` of a URL that is cached as immutable (``map.js``)."""
    digest = hashlib.blake2b(f"{CODE_HASH}\0{settings_key()}".encode(), digest_size=4)
    return f"{version}{digest.hexdigest()}"


def etag(version: str, *parts: str) -> str:
    """A weak-ETag value for an answer that depends only on the data ``version``, the code
    and ``parts``."""
    digest = hashlib.blake2b(digest_size=12)
    for part in (version, CODE_HASH, *parts):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def request_key() -> tuple[str, ...]:
    """What an answer depends on in the request: path prefix, path, query string, ``Accept``
    (not the host: links are relative or on the configured public URL, see
    :mod:`webapp.proxy`)."""
    return (
        request.script_root,
        request.path,
        request.query_string.decode("latin-1"),
        request.headers.get("Accept", ""),
    )


def conditional(build: Callable[[], Response], policy: Policy = "data", *also: str) -> Response:
    """The answer ``build()`` makes, with its validators and caching headers; a 304 without
    calling ``build`` when the request's validators match.

    ``also`` names what the answer varies with besides :func:`request_key` (the language a
    page chose from ``Accept-Language``)."""
    data = served()
    tag = etag(data.version, settings_key(), *request_key(), *also)
    if is_resource_modified(request.environ, etag=tag, last_modified=data.last_modified):
        response = build()
    else:
        response = Response(status=304)
    response.set_etag(tag, weak=True)
    response.last_modified = data.last_modified
    response.headers["Cache-Control"] = POLICIES[policy]
    response.vary.add("Accept")
    if policy == "page":
        response.vary.add("Accept-Language")
    return _ranges(response)


def page(render: Callable[[], str], lang: Lang) -> Response:
    """A page in ``lang`` whose HTML depends on nothing else in the request (the map pages
    read their view parameters in the browser), rendered once per data version, endpoint,
    path prefix and language, and answered by :func:`conditional`."""
    data = served()

    def build() -> Response:
        key = (request.endpoint, request.script_root, lang)
        body = data.rendered.get(key)
        if body is None:
            body = data.rendered[key] = render().encode()
        return Response(body, mimetype="text/html")

    return conditional(build, "page", lang)


def _ranges(response: Response) -> Response:
    """Honour ``Range`` (and ``If-Range``) on a whole file sent as it is stored: a broken
    download resumes. Other answers, and a file sent gzip-encoded, are left whole."""
    if (
        response.status_code != 200
        or not response.direct_passthrough
        or "Content-Encoding" in response.headers
        or response.content_length is None
    ):
        return response
    return response.make_conditional(
        request, accept_ranges=True, complete_length=response.content_length
    )
