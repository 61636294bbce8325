"""HTTP for the data paths (``/ogc``, ``/downloads``, ``/api``): gzip and CORS (their
validators and caching are :mod:`webapp.caching`'s, as every answer's).

* gzip for bodies over :data:`GZIP_MIN_BYTES` when the client accepts it; the compressed bytes of
  the most recent large responses are kept, keyed by ETag, so a popular download is compressed
  once. Bodies kept compressed by the app (:func:`gzipped_response`) are sent as they are, or
  decompressed on the fly for a client that does not accept gzip.
* ``Access-Control-Allow-Origin: *``: the data is public and read-only.
"""

from __future__ import annotations

import gzip
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterator

from flask import Flask, Response, request

from webapp.errors import DATA_PREFIXES

GZIP_MIN_BYTES = 1024
GZIP_LEVEL = 6
#: Media types worth compressing (GeoPackage and zip are binary; zip is compressed already).
COMPRESSIBLE = (
    "application/json",
    "application/geo+json",
    "application/schema+json",
    "application/vnd.oai.openapi+json",
    "application/vnd.google-earth.kml+xml",
    "application/geopackage+sqlite3",
    "text/",
)
_CACHE_ENTRIES = 32
#: At most this many compressed bytes are kept (each process; a body of over a quarter of it is
#: compressed anew each time): part of the 500 MB the server stays under at 100,000 sites.
_CACHE_BYTES = 16 * 1024 * 1024


class _GzipCache:
    """Compressed bodies of recent large responses, by ETag (bounded in count and bytes)."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            body = self._items.get(key)
            if body is not None:
                self._items.move_to_end(key)
            return body

    def put(self, key: str, body: bytes) -> None:
        with self._lock:
            if key in self._items or len(body) > _CACHE_BYTES // 4:
                return
            self._items[key] = body
            self._size += len(body)
            while len(self._items) > _CACHE_ENTRIES or self._size > _CACHE_BYTES:
                _, old = self._items.popitem(last=False)
                self._size -= len(old)


def gzipped_response(data: bytes, size: int, mimetype: str) -> Response:
    """A response whose body is kept gzip-compressed: ``data``, a gzip member of ``size``
    bytes once decompressed.

    A client that accepts gzip gets ``data`` as it is (``Content-Encoding: gzip``); any other
    is sent the body decompressed on the fly, piece by piece (never all of it in memory)."""
    if request.accept_encodings["gzip"] > 0:
        response = Response(data, mimetype=mimetype)
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = Response(_gunzip(data), mimetype=mimetype)
        response.content_length = size
    response.vary.add("Accept-Encoding")
    return response


def _gunzip(data: bytes, step: int = 64 * 1024) -> Iterator[bytes]:
    inflate = zlib.decompressobj(31)  # 31: a gzip header and trailer
    view = memoryview(data)
    for start in range(0, len(data), step):
        yield inflate.decompress(view[start : start + step])
    yield inflate.flush()


def _wants_gzip(response: Response) -> bool:
    if response.status_code != 200 or response.direct_passthrough or response.is_streamed:
        return False
    if "Content-Encoding" in response.headers:
        return False
    if not response.mimetype.startswith(COMPRESSIBLE):
        return False
    if (response.content_length or 0) < GZIP_MIN_BYTES:
        return False
    return request.accept_encodings["gzip"] > 0


def finish_data_response(response: Response, cache: _GzipCache) -> Response:
    """CORS on every data response; gzip for large ones the client accepts."""
    if not request.path.startswith(DATA_PREFIXES):
        return response
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "ETag, Last-Modified, Content-Disposition"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Accept, If-None-Match"
        response.headers["Access-Control-Max-Age"] = "86400"
    response.vary.add("Accept-Encoding")
    if not _wants_gzip(response):
        return response
    etag, weak = response.get_etag()
    body = cache.get(etag) if etag else None
    if body is None:
        body = gzip.compress(response.get_data(), compresslevel=GZIP_LEVEL, mtime=0)
        if etag:
            cache.put(etag, body)
    response.set_data(body)
    response.headers["Content-Encoding"] = "gzip"
    return response


def init_app(app: Flask) -> None:
    """Install the data-path handling on ``app``."""
    cache = _GzipCache()
    app.after_request(lambda response: finish_data_response(response, cache))
