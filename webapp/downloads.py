"""The downloads: each layer in every format, filtered like the OGC API's items, and the zip
of everything (routed in :mod:`webapp.views`).

An unfiltered file is built once per data version and sent from the disk cache
(:mod:`webapp.filecache`; the GeoJSON from the text kept in memory); a filtered one is written
to an anonymous temporary file, a few at a time.
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, request

from layers import features as feat
from layers.formats import FORMATS, ZIP_NAME, write_zip
from webapp import filecache, state, transfer
from webapp.caching import conditional
from webapp.errors import ApiError, ClientGone
from webapp.prepared import OgcData
from webapp.state import served

SLOTS = "wanbei.download_builds"


def init_app(app: Flask) -> None:
    """The slots of filtered downloads being built (config ``DOWNLOAD_BUILDS``); the cached
    files of the served version only are kept (and of the previous one, after a reload)."""
    builds = int(app.config.get("DOWNLOAD_BUILDS", DOWNLOAD_BUILDS))
    app.extensions[SLOTS] = threading.BoundedSemaphore(max(builds, 1))
    # the files of other versions go now, and after each reload (not before the swap: the old
    # version is served until then)
    filecache.forget_other_versions(app.extensions[filecache.EXTENSION], {_cache_key(app)})
    reloader = app.extensions.get("wanbei.reloader")
    if reloader is not None:
        watch_reloads(app, reloader)


def _cache_key(app: Flask) -> str:
    """The name of the cache directory of the version ``app`` serves."""
    with app.app_context():
        return app.extensions["wanbei"].ogc.files.version


def watch_reloads(app: Flask, reloader: state.Reloader) -> None:
    """After each swap of ``reloader``, remove the cached files of every version but the new
    and the previous one (whose last requests may still be under way)."""
    app_ref = weakref.ref(app)  # the reloader's thread must not keep the app alive
    previous = [_cache_key(app)]

    def forget(_version: str) -> None:
        found = app_ref()
        if found is None:
            return
        new = _cache_key(found)
        keep = {new, *previous}
        filecache.forget_other_versions(found.extensions[filecache.EXTENSION], keep)
        previous[:] = [new]

    reloader.after_swap.append(forget)


def download_response(layer_id: str, ext: str) -> Response:
    """A layer as a file, filtered by bbox, datetime and properties like the items."""
    data = served().ogc
    c = data.catalog.get(layer_id)
    fmt = FORMATS[ext]
    query = feat.parse_query(c, dict(request.args.lists()), paging=False, ignore=())

    def build() -> Response:
        if not query.filtered:
            if ext == "geojson":  # the layer's text as it is kept: gzipped
                text = served().geojson[layer_id]
                response = transfer.gzipped_response(text.data, text.size, fmt.media_type)
                response.headers["Content-Disposition"] = f'attachment; filename="{layer_id}.{ext}"'
                return response
            else:  # built once per data version, sent from the disk cache
                name = f"{layer_id}.{ext}"
                response = _file_response(
                    data, name, lambda to: fmt.write(c.spec, c.gdf, to), fmt.media_type
                )
                response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
                return response
        # written to an anonymous temporary file, sent from it, deleted when closed; a few at
        # a time (the others are told to come back), so abandoned requests cannot pile up work
        with _build_slot():
            out = tempfile.TemporaryFile(prefix="wanbei-download-")  # noqa: SIM115 - sent
            try:
                if ext == "geojson":  # the features' text, a chunk of them at a time
                    feat.write_feature_collection(c, c.select(query), _watched(out))
                else:
                    target = out if ext == "gpkg" else _watched(out)  # GDAL writes GeoPackage
                    fmt.write(c.spec, c.subset(c.select(query)), target)
                response = filecache.temp_file_response(out, fmt.media_type)
            except BaseException:
                out.close()
                raise
        response.headers["Content-Disposition"] = f'attachment; filename="{layer_id}.{ext}"'
        return response

    return conditional(build)


#: Filtered downloads built at once by a process (config ``DOWNLOAD_BUILDS``); each takes a
#: core for seconds at 100,000 sites (a KML of them, ~7 s), so more would only slow the rest.
DOWNLOAD_BUILDS = 2
#: The ``Retry-After`` of a filtered download refused while the others are being built.
RETRY_AFTER = 10


@contextlib.contextmanager
def _build_slot() -> Iterator[None]:
    """Hold one of the ``DOWNLOAD_BUILDS`` slots of filtered downloads while building one;
    when none is free, a 503 with ``Retry-After`` at once (not a queue of work whose clients
    may be gone by the time it is done)."""
    slots = current_app.extensions[SLOTS]
    if not slots.acquire(blocking=False):
        error = ApiError(
            503,
            "ServiceUnavailable",
            "The server is building other filtered downloads; try again in "
            f"{RETRY_AFTER} seconds (the whole layer, without filters, is sent at once).",
        )
        error.headers["Retry-After"] = str(RETRY_AFTER)
        raise error
    try:
        yield
    finally:
        slots.release()


class _Watched:
    """A file object whose ``write`` stops the writer (:class:`ClientGone`) once the request's
    client has hung up, as the WSGI server tells (waitress: ``waitress.client_disconnected``)."""

    def __init__(self, file: Any, gone: Callable[[], bool]) -> None:
        self._file, self._gone = file, gone

    def write(self, data: bytes) -> int:
        if self._gone():
            raise ClientGone
        return self._file.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


def _watched(file: Any) -> Any:
    gone = request.environ.get("waitress.client_disconnected")
    return _Watched(file, gone) if callable(gone) else file


def zip_response() -> Response:
    """Every layer in every format, the source tables, a README and the licences."""
    for name in request.args:
        raise feat.QueryError(name, f"Unknown parameter {name!r}; the zip takes no parameters.")
    data = served().ogc

    def build() -> Response:
        def zipped(to: Path) -> None:
            write_zip(data.dataset, to, data.data_time)

        response = _file_response(data, ZIP_NAME, zipped, "application/zip")
        response.headers["Content-Disposition"] = f'attachment; filename="{ZIP_NAME}"'
        return response

    return conditional(build)


def _file_response(
    data: OgcData, name: str, write: Callable[[Path], None], media_type: str
) -> Response:
    """The cached file ``name`` of ``data``'s version, built if need be (again if another
    process removed it before it was opened), as a response; a
    :class:`webapp.errors.BuildError` when it cannot be made (a 500 or 503, see
    :mod:`webapp.errors`)."""
    return filecache.file_response(
        data.files.path(name, write, media_type),
        media_type,
        rebuild=lambda: data.files.path(name, write, media_type),
    )
