"""The headers every response carries: the Content-Security-Policy (with the tile origins of
the enabled basemaps), who may frame the pages, and the other security headers."""

from __future__ import annotations

import os

from flask import Flask, Response, current_app, request

from layers.map import BasemapSpec, basemaps
from webapp.errors import ConfigError

#: The Content-Security-Policy of every response; ``{tiles}`` becomes the tile origins of the
#: enabled basemaps, and nothing else; ``{ancestors}`` who may frame the page (see :func:`csp`).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:{tiles}; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors {ancestors}"
)
#: Who may frame ``/embed`` without ``WANBEI_FRAME_ANCESTORS``: any origin. Every other page
#: may be framed by the app itself only.
DEFAULT_FRAME_ANCESTORS = "*"


def setting(name: str) -> str | None:
    """A setting from the app config, else from the environment variable ``WANBEI_<name>``."""
    value = current_app.config.get(name, os.environ.get(f"WANBEI_{name}"))
    if value is None:
        return None
    return str(value).strip() or None


def enabled_basemaps() -> tuple[BasemapSpec, ...]:
    """The basemaps this app offers (Tianditu only with ``TIANDITU_TOKEN``)."""
    return basemaps(setting("TIANDITU_TOKEN"))


def parse_frame_ancestors(value: str | None) -> str:
    """``value`` as the sources of ``frame-ancestors`` (``*`` when unset); ValueError if it
    is not a space-separated list of CSP sources (it could add a directive)."""
    value = (value or "").strip() or DEFAULT_FRAME_ANCESTORS
    if any(c in value for c in ";,\r\n"):
        raise ConfigError(
            f"WANBEI_FRAME_ANCESTORS must be space-separated CSP sources, e.g. "
            f"\"https://portal.example.gov.cn 'self'\", instead got: {value!r}"
        )
    return " ".join(value.split())


def frame_ancestors() -> str:
    """The sources that may frame ``/embed``: ``WANBEI_FRAME_ANCESTORS`` (space-separated CSP
    sources, e.g. ``https://www.example.gov.cn 'self'``), by default ``*`` (any origin)."""
    return parse_frame_ancestors(setting("FRAME_ANCESTORS"))


def is_embed() -> bool:
    """Whether the request is for the embeddable map."""
    return request.endpoint == "map.embed"


def csp(embed: bool = False) -> str:
    """The CSP with the tile origins of the enabled basemaps in ``img-src``; the embeddable map
    may be framed by :func:`frame_ancestors`, everything else by the app itself only."""
    origins = [o for spec in enabled_basemaps() for o in spec.origins()]
    ancestors = frame_ancestors() if embed else "'self'"
    return CSP.format(tiles="".join(f" {o}" for o in origins), ancestors=ancestors)


def _x_frame_options(embed: bool) -> str | None:
    """The legacy header consistent with the CSP (none where CSP allows other origins)."""
    if not embed:
        return "SAMEORIGIN"
    return {"'none'": "DENY", "'self'": "SAMEORIGIN"}.get(frame_ancestors())


def security_headers(response: Response) -> Response:
    """Headers every response carries; ``/embed`` also never sets a cookie."""
    embed = is_embed()
    response.headers.setdefault("Content-Security-Policy", csp(embed))
    frame_options = _x_frame_options(embed)
    if frame_options:
        response.headers.setdefault("X-Frame-Options", frame_options)
    if embed:
        response.headers.remove("Set-Cookie")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    return response


def init_app(app: Flask) -> None:
    """Check the settings (a bad one stops the app at start-up rather than failing every
    /embed) and add the headers to every response."""
    parse_frame_ancestors(
        app.config.get("FRAME_ANCESTORS", os.environ.get("WANBEI_FRAME_ANCESTORS"))
    )
    app.after_request(security_headers)
