"""Files derived from one data version, kept on disk rather than in memory.

The unfiltered downloads in CSV, GeoPackage and KML and the zip of everything are tens of MB
each at 100,000 sites: held in memory, a visitor who downloads them all would grow the server by
more than 200 MB. They are written once per data version under the cache directory and sent
from there.

* The directory: config ``CACHE_DIR`` (default ``$WANBEI_CACHE_DIR``); else a private directory
  made when the app is created and removed when the process that made it exits. Under
  ``gunicorn --preload`` the master makes it and the workers inherit it, so they share the files.
* A file is ``<dir>/<version>/<name>``, written to a temporary file in the same directory and
  then renamed (:func:`os.replace`): a reader sees a whole file or none, two processes building
  the same file is harmless, and a failed build leaves nothing behind.
* A compressible file of at least :data:`webapp.transfer.GZIP_MIN_BYTES` gets a ``.gz`` beside
  it (the bytes :func:`webapp.transfer.finish_data_response` would send), served to clients that
  accept gzip: the compression is done once per version, on disk, not per response in memory.
* :func:`forget_other_versions` removes the directories of the other versions (at every reload).
"""

from __future__ import annotations

import atexit
import errno
import logging
import os
import shutil
import tempfile
import threading
import weakref
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask import Flask, Response, request, send_file

from webapp.transfer import COMPRESSIBLE, GZIP_LEVEL, GZIP_MIN_BYTES

log = logging.getLogger(__name__)

SETTING = "CACHE_DIR"
ENV = "WANBEI_CACHE_DIR"
EXTENSION = "wanbei.cache_dir"
_PARTIAL = ".partial-"  # the prefix of the temporary files being written
_CHUNK = 1024 * 1024


class BuildError(Exception):
    """A cached file could not be made: ``stage`` is ``"build"`` (its writer raised) or
    ``"store"`` (writing it to the cache directory failed)."""

    def __init__(self, name: str, stage: str) -> None:
        super().__init__(f"{stage} of {name} failed")
        self.name, self.stage = name, stage


def init_app(app: Flask) -> Path:
    """Make sure the cache directory of ``app`` exists and is writable; return it.

    Raises
    ------
    ValueError
        When the configured directory cannot be made or written, naming the setting.
    """
    configured = app.config.get(SETTING) or os.environ.get(ENV)
    if configured:
        root = Path(configured)
        try:
            root.mkdir(parents=True, exist_ok=True)
            probe = tempfile.NamedTemporaryFile(dir=root, prefix=_PARTIAL)  # noqa: SIM115
            probe.close()
        except OSError as exc:
            raise ValueError(
                f"{SETTING} ({ENV}) must be a directory the server can write; "
                f"{str(configured)!r} is not: {exc.strerror or exc}. Set it to a writable "
                "directory, or leave it unset for a private temporary one."
            ) from None
    else:
        root = Path(tempfile.mkdtemp(prefix="wanbei-map-"))
        atexit.register(_remove_private, root, os.getpid())
    app.extensions[EXTENSION] = root
    return root


def _remove_private(root: Path, owner: int) -> None:
    # Forked workers inherit this handler: only the process that made the directory removes it.
    if os.getpid() == owner:
        shutil.rmtree(root, ignore_errors=True)


def forget_other_versions(root: Path, keep: str) -> None:
    """Remove every version directory under ``root`` but ``keep`` (and stray partial files).

    Parameters
    ----------
    root : pathlib.Path
        The cache directory.
    keep : str
        The name of the directory of the version being served.
    """
    try:
        entries = list(os.scandir(root))
    except FileNotFoundError:
        return
    for entry in entries:
        if entry.name == keep:
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        elif entry.name.startswith(_PARTIAL):
            Path(entry.path).unlink(missing_ok=True)


#: One build at a time in a process: a writer takes seconds of CPU and tens of MB (GDAL's copy of
#: a layer) at 100,000 sites, so builds queue rather than add up.
_BUILDING = threading.Lock()


@dataclass(frozen=True)
class VersionFiles:
    """The files of one data version: ``<root>/<version>/<name>``, each built once.

    Holds two names only; the bytes live on disk."""

    root: Path
    version: str

    @property
    def directory(self) -> Path:
        """Where this version's files are."""
        return self.root / self.version

    def path(self, name: str, write: Callable[[Path], None], media_type: str) -> Path:
        """The file ``name``, written by ``write(partial_path)`` if it is not on disk yet.

        ``write`` makes the file at the path it is given (a partial file in this version's
        directory, renamed into place once whole), so no build holds a whole file in memory.
        Builds run one at a time in a process (a request for a file being built waits for it);
        a file of a compressible ``media_type`` gets its ``.gz``, compressed from the file in
        chunks and renamed into place first, so the file's presence means both are there.
        Raises :class:`BuildError` if ``write`` raises (stage ``"build"``; ``"store"`` for a
        full or unwritable disk) or the file cannot be stored; nothing is left on disk then."""
        target = self.directory / name
        if target.is_file():
            return target
        with _BUILDING:
            if target.is_file():
                return target
            compress = _compressible(media_type)
            try:
                try:
                    self._build(target, write, compress)
                except FileNotFoundError:
                    # another process's reload removed this version's directory meanwhile
                    self._build(target, write, compress)
            except FileNotFoundError:
                log.exception("storing %s in %s failed", name, self.directory)
                raise BuildError(name, "store") from None
        return target

    def _build(self, target: Path, write: Callable[[Path], None], compress: bool) -> None:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = _partial_path(target)
        except FileNotFoundError:
            raise
        except OSError:
            log.exception("storing %s in %s failed", target.name, self.directory)
            raise BuildError(target.name, "store") from None
        try:
            try:
                write(partial)
            except FileNotFoundError:
                raise  # the directory went away: built again
            except Exception as exc:
                if isinstance(exc, OSError) and exc.errno in _DISK_ERRORS:
                    log.exception("storing %s in %s failed", target.name, self.directory)
                    raise BuildError(target.name, "store") from None
                log.exception("building %s of data version %s failed", target.name, self.version)
                raise BuildError(target.name, "build") from None
            try:
                os.chmod(partial, 0o644)
                if compress and partial.stat().st_size >= GZIP_MIN_BYTES:
                    _write_atomically(gz_path(target), _gzip_file_chunks(partial))
                os.replace(partial, target)
            except FileNotFoundError:
                raise
            except OSError:
                log.exception("storing %s in %s failed", target.name, self.directory)
                raise BuildError(target.name, "store") from None
        finally:
            _unlink_partials(partial)


#: A writer's OSError that means the disk, not the writer: answered 503 like a failed store.
_DISK_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES})


def _partial_path(target: Path) -> Path:
    """A new name for a partial file beside ``target``, ending with its name (GDAL picks its
    driver's checks by the extension); the writer makes the file."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=_PARTIAL, suffix=f"-{target.name}")
    os.close(fd)
    os.unlink(name)  # GDAL's GeoPackage writer wants to create the file itself
    return Path(name)


def _unlink_partials(partial: Path) -> None:
    # the partial file and what a writer may leave beside it (SQLite's journal files)
    for path in (partial, *(partial.with_name(partial.name + s) for s in _SIDE_FILES)):
        path.unlink(missing_ok=True)


_SIDE_FILES = ("-journal", "-wal", "-shm")


def gz_path(path: Path) -> Path:
    """Where the gzip-compressed copy of the cached file ``path`` is."""
    return path.with_name(path.name + ".gz")


def _compressible(media_type: str) -> bool:
    return media_type.split(";")[0].strip().startswith(COMPRESSIBLE)


def _gzip_file_chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as source:
        yield from _gzip_stream(source)


def _gzip_stream(source: IO[bytes]) -> Iterator[bytes]:
    # The bytes of gzip.compress(source.read(), GZIP_LEVEL, mtime=0), a chunk at a time.
    deflate = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
    while piece := source.read(_CHUNK):
        yield deflate.compress(piece)
    yield deflate.flush()


def _write_atomically(target: Path, chunks) -> None:  # noqa: ANN001
    fd, partial = tempfile.mkstemp(dir=target.parent, prefix=_PARTIAL)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
        os.chmod(partial, 0o644)
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def file_response(path: Path, media_type: str) -> Response:
    """Send the cached file ``path`` as ``media_type``: its ``.gz`` with ``Content-Encoding:
    gzip`` to a client that accepts gzip when there is one, else the file itself.

    The file is opened here, so a reload that removes it meanwhile does not cut the response
    short; the WSGI server closes it when the response is sent (with its ``wsgi.file_wrapper``,
    ``sendfile`` where it can), or else it is closed when the response is collected. The caller
    sets the validators and ``Content-Disposition``."""
    compressed = gz_path(path)
    gzipped = request.accept_encodings["gzip"] > 0 and compressed.is_file()
    file = open(compressed if gzipped else path, "rb")  # noqa: SIM115 - the response closes it
    try:
        size = os.fstat(file.fileno()).st_size
    except BaseException:
        file.close()
        raise
    return _send(file, size, media_type, gzipped)


def _send(file: IO[bytes], size: int, media_type: str, gzipped: bool) -> Response:
    """A response sending the open ``file`` of ``size`` bytes, which it closes when done."""
    try:
        response = send_file(
            file, mimetype=media_type.split(";")[0], conditional=False, etag=False, max_age=0
        )
    except BaseException:
        file.close()
        raise
    try:  # closed with its wrapper also when nobody calls the response's close()
        weakref.finalize(response.response, file.close)
    except TypeError:  # pragma: no cover - a server's file wrapper without weak references
        pass
    response.content_length = size
    response.headers.pop("Expires", None)  # send_file's; the caller sets Cache-Control
    if ";" in media_type:
        response.headers["Content-Type"] = media_type
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    return response


def temp_file_response(file: IO[bytes], media_type: str) -> Response:
    """Send ``file``, an anonymous temporary file just written (e.g. a filtered download), as
    ``media_type``; the response closes it, which deletes it.

    A client that accepts gzip gets a body of a compressible type and at least
    :data:`webapp.transfer.GZIP_MIN_BYTES` compressed (into another temporary file, in chunks),
    with ``Content-Encoding: gzip``: the bytes the after-request gzip would have sent."""
    try:
        size = file.seek(0, os.SEEK_END)
        file.seek(0)
        gzipped = (
            request.accept_encodings["gzip"] > 0
            and _compressible(media_type)
            and size >= GZIP_MIN_BYTES
        )
        if gzipped:
            compressed = tempfile.TemporaryFile(prefix="wanbei-")  # noqa: SIM115 - sent below
            try:
                for chunk in _gzip_stream(file):
                    compressed.write(chunk)
            except BaseException:
                compressed.close()
                raise
            file.close()
            file = compressed
            size = file.tell()
            file.seek(0)
    except BaseException:
        file.close()
        raise
    return _send(file, size, media_type, gzipped)
