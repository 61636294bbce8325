"""``wanbei-map export DIR``: the app's pages and files as a static site with relative URLs.

The pages are rendered by the app itself, through Flask's test client, mounted under a
placeholder script root (:data:`ROOT`); every URL the app builds then starts with that root, so
each one is found, fetched and rewritten as a URL relative to the file that holds it. What the
site needs is found by following those references from the pages (scripts, styles, icons, the
layer downloads, the pages they link to) and the ``url(...)`` references of the stylesheets
(Leaflet's images). Every layer is exported in every download format the app serves.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from flask import Flask

from layers.registry import REGISTRY

#: The placeholder script root; it cannot occur in a URL the app builds for itself otherwise.
ROOT = "/_wanbei_static_export_"
_BASE_URL = "http://export.invalid" + ROOT
#: Pages exported whenever the app has them; the pages they link to are exported too.
PAGES = ("/", "/embed/", "/embed", "/table")
_REF = re.compile(
    r"(?:https?://export\.invalid)?" + re.escape(ROOT) + r"(/[^\"'\s)<>?#]*)(\?[^\"'\s)<>#]*)?"
)
_CSS_URL = re.compile(r"url\(\s*['\"]?(?!data:|https?:|/|#)([^'\")?#]+)[^)]*\)")
_TEXT = ("text/html", "text/css", "text/javascript", "application/javascript", "application/json")


class ExportError(Exception):
    """A page or file could not be rendered for the export."""


def export_site(
    app: Flask, target: str | Path, formats: tuple[str, ...] | None = None
) -> list[str]:
    """Write the static site of ``app`` into ``target``; return the files written (relative).

    ``formats`` defaults to every download format the app serves. Existing files of the same
    names are replaced.
    """
    target = Path(target)
    client = app.test_client()
    rules = {
        r.rule for r in app.url_map.iter_rules() if "GET" in (r.methods or ()) and not r.arguments
    }
    # Every page of the app (a route with no parameter and no file extension) is written as
    # DIR/<path>/index.html when the export reaches it, and linked to as "<path>/".
    pages = {r for r in rules if not _has_extension(r)}
    queue = [p for p in PAGES if p in rules]
    for spec in REGISTRY:
        queue += [f"/downloads/{spec.id}.{ext}" for ext in formats or download_formats(app)]
    done: set[str] = set()
    written: list[str] = []
    while queue:
        path = queue.pop(0)
        if path in done:
            continue
        done.add(path)
        response = client.get(path, base_url=_BASE_URL)
        try:
            body = response.get_data()
        finally:
            response.close()
        if response.status_code != 200:
            raise ExportError(
                f"GET {path} answered {response.status_code}; the export is incomplete"
            )
        name = _file_for(path, path in pages)
        if response.mimetype in _TEXT:
            text = body.decode("utf-8")
            for ref, _query in _REF.findall(text):
                if ref in done or ref in queue:
                    continue
                if _has_extension(ref) or (response.mimetype == "text/html" and ref in pages):
                    queue.append(ref)
            if response.mimetype == "text/css":
                base = posixpath.dirname(path)
                for rel in _CSS_URL.findall(text):
                    queue.append(posixpath.normpath(posixpath.join(base, rel.strip())))
            body = _relative(text, name, pages).encode("utf-8")
        out = target / name
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(body)
        written.append(name)
    return written


def download_formats(app: Flask) -> list[str]:
    """The download formats the app serves: those its 404 for an unknown format lists."""
    response = app.test_client().get(f"/downloads/{REGISTRY[0].id}.__none__")
    valid = (response.get_json(silent=True) or {}).get("valid") or ["geojson"]
    return list(valid)


def _has_extension(path: str) -> bool:
    return "." in posixpath.basename(path)


def _file_for(path: str, is_page: bool) -> str:
    """The file that answers ``path`` on a static host."""
    path = path.lstrip("/")
    if is_page:
        return posixpath.join(path.rstrip("/"), "index.html") if path else "index.html"
    return path


def _relative(text: str, name: str, pages: set[str]) -> str:
    """Rewrite every app URL in ``text`` (the file ``name``) relative to that file."""
    here = posixpath.dirname(name) or "."

    def rewrite(m: re.Match) -> str:
        path, query = m.group(1), m.group(2) or ""
        page = path in pages or path + "/" in pages
        dest = _file_for(path, page)
        if page:
            dest = posixpath.dirname(dest) or "."
        rel = posixpath.relpath(dest, here)
        if page:
            rel = "./" if rel == "." else rel + "/"
        return rel + query

    return _REF.sub(rewrite, text)
