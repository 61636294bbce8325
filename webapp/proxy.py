"""Where the app is published: links and redirects never taken from what a client sends.

A client chooses its ``Host`` header, and behind a proxy also ``X-Forwarded-Host`` and
``X-Forwarded-Prefix`` unless the proxy overwrites them. Nothing the app builds is taken from
them: with ``PUBLIC_URL`` (``$WANBEI_PUBLIC_URL``, e.g. ``https://example.gov.cn/map/``) every
request is handled as if sent to that URL (its scheme, host and path prefix); without it, the
links the app writes are root-relative and a redirect's ``Location`` is a path. So a cache in
front cannot be filled with another origin's links, and the per-version caches keyed by the
path prefix hold one entry whatever the requests carry.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, redirect, request, url_for
from werkzeug.middleware.proxy_fix import ProxyFix

from webapp.errors import ConfigError

SETTING = "PUBLIC_URL"
ENV = "WANBEI_PUBLIC_URL"
#: The headers a client could use to change the app's idea of where it is: never trusted.
_UNTRUSTED = ("HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PREFIX", "HTTP_X_FORWARDED_PORT")


def parse_public_url(value: str | None) -> tuple[str, str, str] | None:
    """``value`` as (scheme, host[:port], path prefix without a trailing slash), or None.

    Raises :class:`~webapp.errors.ConfigError` naming the setting for anything but an
    ``http``/``https`` URL with a host and no query or fragment."""
    value = (value or "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(
            f"{SETTING} ({ENV}) must be the http(s) URL the map is published at, e.g. "
            f"https://map.example.gov.cn/ or https://example.gov.cn/map/, instead got: {value!r}"
        )
    return parts.scheme, parts.netloc, parts.path.rstrip("/")


class PublicUrl:
    """WSGI middleware: every request as if it were sent to the configured public URL."""

    def __init__(self, wsgi_app: Callable, scheme: str, host: str, prefix: str) -> None:
        self.wsgi_app, self.scheme, self.host, self.prefix = wsgi_app, scheme, host, prefix

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        environ["wsgi.url_scheme"] = self.scheme
        environ["HTTP_HOST"] = self.host  # werkzeug prefers it to SERVER_NAME
        path = environ.get("PATH_INFO", "")
        if self.prefix and (path == self.prefix or path.startswith(self.prefix + "/")):
            path = path[len(self.prefix) :]  # a proxy that passes the prefix on
        environ["PATH_INFO"], environ["SCRIPT_NAME"] = path, self.prefix
        for name in _UNTRUSTED:
            environ.pop(name, None)
        return self.wsgi_app(environ, start_response)


def init_app(app: Flask) -> None:
    """Publish ``app`` at ``PUBLIC_URL`` if set (checked now: a bad one stops start-up), and
    make the ``Location`` of redirects a path when it is not."""
    configured = parse_public_url(app.config.get(SETTING, os.environ.get(ENV)))
    app.extensions["wanbei.public_url"] = configured is not None
    if configured is not None:
        app.wsgi_app = PublicUrl(app.wsgi_app, *configured)  # type: ignore[method-assign]
    app.after_request(_relative_location)


def trust_proxy(app: Flask) -> None:
    """Behind one reverse proxy: take the visitor's address and scheme from its
    ``X-Forwarded-For`` and ``-Proto`` (for the logs); ``-Host`` and ``-Prefix`` are never
    trusted (the public URL is ``PUBLIC_URL``, or links are relative)."""
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=0, x_prefix=0)  # type: ignore[method-assign]


def external_url(endpoint: str, **values: Any) -> str:
    """The URL of ``endpoint``: absolute on the public URL when one is configured, else a path
    from the root (never on the request's host)."""
    public = current_app.extensions.get("wanbei.public_url", False)
    return url_for(endpoint, _external=public, **values)


def _relative_location(response: Response) -> Response:
    # werkzeug's slash redirects (RequestRedirect) are absolute, on the request's Host
    location = response.headers.get("Location")
    if not location or current_app.extensions.get("wanbei.public_url", False):
        return response
    parts = urlsplit(location)
    if parts.netloc and parts.netloc == request.host:
        path = "/" + parts._replace(scheme="", netloc="").geturl().lstrip("/")  # never //host
        return redirect(path, response.status_code)  # its body names the path too
    return response
