"""Files derived from one data version, kept on disk rather than in memory.

The unfiltered downloads in CSV, GeoPackage and KML and the zip of everything are tens of MB
each at 100,000 sites: held in memory, a visitor who downloads them all would grow the server by
more than 200 MB. They are written once per data version under the cache directory and sent
from there.

* The directory: config ``CACHE_DIR`` (default ``$WANBEI_CACHE_DIR``), which must not be
  writable by the group or others; else a private directory ``<tmp>/wanbei-map-<pid>-XXXX``
  made when the app is created and removed when the process that made it exits (and, after a
  SIGKILL, by the next start-up, once that pid is dead). Under ``gunicorn --preload`` the master
  makes it and the workers inherit it, so they share the files.
* The app keeps its files in a directory of its own in there, :data:`OWNED`, marked by the file
  :data:`MARKER`: nothing else in the cache directory is ever touched.
* A file is ``<dir>/wanbei-map-cache/<version>/<name>``, written to a temporary file in the
  same directory and then renamed (:func:`os.replace`): a reader sees a whole file or none,
  two processes building the same file is harmless, and a failed build leaves nothing behind.
* A compressible file of at least :data:`webapp.transfer.GZIP_MIN_BYTES` gets a ``.gz`` beside
  it (the bytes :func:`webapp.transfer.finish_data_response` would send), served to clients that
  accept gzip: the compression is done once per version, on disk, not per response in memory.
* :func:`forget_other_versions` removes the directories of other versions (by their names,
  :func:`version_key`) and stray partial files: at start-up all but the current version, after
  each reload all but the new and the previous one (:mod:`webapp.ogc`).
* Files are opened without following symbolic links, so a link planted in a shared directory
  is never served (the file is built again in its place).
"""

from __future__ import annotations

import atexit
import errno
import logging
import os
import re
import shutil
import stat
import tempfile
import threading
import weakref
import zlib
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask import Flask, Response, request, send_file

from webapp.errors import BuildError, ConfigError
from webapp.transfer import COMPRESSIBLE, GZIP_LEVEL, GZIP_MIN_BYTES

log = logging.getLogger(__name__)

SETTING = "CACHE_DIR"
ENV = "WANBEI_CACHE_DIR"
EXTENSION = "wanbei.cache_dir"
_PARTIAL = ".partial-"  # the prefix of the temporary files being written
_CHUNK = 1024 * 1024
#: The directory of the app's own in the cache directory, and the file that marks it as such.
OWNED = "wanbei-map-cache"
MARKER = ".wanbei-map-cache"
_MARKER_TEXT = "This directory is wanbei-map's download cache: it removes what it made here.\n"
#: The name of a version's directory: the data version, the code's hash, the time stamp.
_VERSION_KEY = re.compile(r"[0-9A-Za-z_.-]+-[0-9a-f]{16}-[0-9]+")
#: A private default directory: ``wanbei-map-<pid>-`` and tempfile.mkdtemp's random letters.
_PRIVATE = re.compile(r"wanbei-map-([0-9]+)-[0-9A-Za-z_]+")


def init_app(app: Flask) -> Path:
    """Make sure the cache directory of ``app`` exists and is writable; return the directory
    the app owns in it (:data:`OWNED`), where the versions' files are.

    Raises
    ------
    webapp.errors.ConfigError
        When the configured directory cannot be made or written, is writable by the group or
        others, or holds a :data:`OWNED` directory without the marker; naming the setting.
    """
    configured = app.config.get(SETTING) or os.environ.get(ENV)
    if configured:
        root = Path(configured)
        try:
            root.mkdir(mode=0o755, parents=True, exist_ok=True)
            mode = root.stat().st_mode
            if mode & 0o022:
                raise _Refused(
                    f"it is writable by others (mode {stat.filemode(mode)}), who could plant "
                    "files in it. Make it writable by the server's user only (chmod go-w)"
                )
            owned = owned_directory(root)
            probe = tempfile.NamedTemporaryFile(dir=owned, prefix=_PARTIAL)  # noqa: SIM115
            probe.close()
        except _Refused as exc:
            raise ConfigError(f"{SETTING} ({ENV}) {str(configured)!r} is refused: {exc}.") from None
        except OSError as exc:
            raise ConfigError(
                f"{SETTING} ({ENV}) must be a directory the server can write; "
                f"{str(configured)!r} is not: {exc.strerror or exc}. Set it to a writable "
                "directory, or leave it unset for a private temporary one."
            ) from None
    else:
        remove_dead_private_directories()
        root = Path(tempfile.mkdtemp(prefix=f"wanbei-map-{os.getpid()}-"))
        atexit.register(_remove_private, root, os.getpid())
        owned = owned_directory(root)
    app.extensions[EXTENSION] = owned
    return owned


class _Refused(Exception):
    """A cache directory the app will not use."""


def owned_directory(root: Path) -> Path:
    """The directory the app owns in the cache directory ``root``, made and marked if need be.

    Parameters
    ----------
    root : pathlib.Path
        The cache directory (it may hold other things: they are never touched).

    Returns
    -------
    pathlib.Path
        ``root / OWNED``, holding the file :data:`MARKER`.

    Raises
    ------
    OSError
        When it cannot be made.
    _Refused
        When it exists and holds other things but no marker (not made by this app).
    """
    owned = root / OWNED
    owned.mkdir(mode=0o755, exist_ok=True)
    marker = owned / MARKER
    if not marker.is_file():
        with os.scandir(owned) as entries:
            used = owned.is_symlink() or any(entries)
        if used:
            raise _Refused(
                f"{owned} exists but has no marker file {MARKER}: it was not made by this app. "
                "Remove it or choose another directory"
            )
        marker.write_text(_MARKER_TEXT, encoding="utf-8")
    return owned


def version_key(data_version: str, code_hash: str, stamp: int) -> str:
    """The name of the directory of one version's files (what :func:`forget_other_versions`
    recognises): the data version, the hash of the code (16 hex digits) and a time stamp."""
    text = f"{data_version}-{code_hash}-{stamp}"
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in text)


def remove_dead_private_directories() -> None:
    """Remove the private cache directories (``wanbei-map-<pid>-XXXX``) of this user in the
    temporary directory whose process is dead: a SIGKILL or the OOM killer does not run the
    ``atexit`` handler that removes them. A directory whose pid is alive is never touched."""
    tmp = Path(tempfile.gettempdir())
    try:
        entries = list(os.scandir(tmp))
    except OSError:
        return
    for entry in entries:
        found = _PRIVATE.fullmatch(entry.name)
        if found is None or int(found.group(1)) == os.getpid():
            continue
        try:
            if not entry.is_dir(follow_symlinks=False) or entry.stat().st_uid != os.getuid():
                continue
        except OSError:
            continue
        if not _alive(int(found.group(1))):
            log.info("removing %s, left by a process that was killed", entry.path)
            shutil.rmtree(entry.path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. EPERM: it exists, run by another user
        return True
    return True


def _remove_private(root: Path, owner: int) -> None:
    # Forked workers inherit this handler: only the process that made the directory removes it.
    if os.getpid() == owner:
        shutil.rmtree(root, ignore_errors=True)


def forget_other_versions(owned: Path, keep: Collection[str]) -> None:
    """Remove the version directories in ``owned`` but those in ``keep``, and partial files.

    Only entries named like a version (:func:`version_key`) or a partial file are removed, and
    only in a directory holding the :data:`MARKER` file: anything else stays.

    Parameters
    ----------
    owned : pathlib.Path
        The directory the app owns in the cache directory (:func:`owned_directory`).
    keep : collection of str
        The names of the versions to keep (the one served, and the previous one after a
        reload: its last requests may still be under way).
    """
    if not (owned / MARKER).is_file():
        return
    try:
        entries = list(os.scandir(owned))
    except FileNotFoundError:
        return
    for entry in entries:
        if entry.name in keep:
            continue
        if entry.name.startswith(_PARTIAL):
            Path(entry.path).unlink(missing_ok=True)
        elif _VERSION_KEY.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)


#: One lock per file being built (by its path): a file is built once in a process (a request
#: for it waits for the build), while builds of different files may run at once (a writer holds
#: a chunk of rows, ~+28 MB at 100,000 sites). An entry lives while a request uses it.
_LOCKS: dict[Path, tuple[threading.Lock, list[int]]] = {}
_LOCKS_GUARD = threading.Lock()


@contextmanager
def _building(target: Path) -> Iterator[None]:
    with _LOCKS_GUARD:
        lock, users = _LOCKS.setdefault(target, (threading.Lock(), [0]))
        users[0] += 1
    try:
        with lock:
            yield
    finally:
        with _LOCKS_GUARD:
            users[0] -= 1
            if not users[0]:
                del _LOCKS[target]


def _forget_locks() -> None:
    # a forked child has none of its parent's threads: locks they held would never be released
    global _LOCKS_GUARD
    _LOCKS.clear()
    _LOCKS_GUARD = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_locks)


class _Vanished(Exception):
    """The version's directory went away during a build (another process's cleanup)."""


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
        A file is built once in a process (a request for a file being built waits for it);
        different files may be built at once. A file of a compressible ``media_type`` gets its
        ``.gz``, compressed from the file in chunks and renamed into place first, so the file's
        presence means both are there. When the version's directory is removed during the
        build (another process's cleanup), whatever the writer raised, it is built once more.
        Raises :class:`BuildError` if ``write`` raises (stage ``"build"``; ``"store"`` for a
        full or unwritable disk) or the file cannot be stored; nothing is left on disk then."""
        target = self.directory / name
        if _is_regular(target):
            return target
        with _building(target):
            if _is_regular(target):
                return target
            compress = _compressible(media_type)
            try:
                try:
                    self._build(target, write, compress)
                except _Vanished:
                    self._build(target, write, compress)
            except _Vanished:
                log.error(
                    "storing %s in %s failed: the directory was removed", name, self.directory
                )
                raise BuildError(name, "store") from None
        return target

    def _gone(self) -> bool:
        return not self.directory.is_dir()

    def _build(self, target: Path, write: Callable[[Path], None], compress: bool) -> None:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = _partial_path(target)
        except OSError:
            raise self._store_failed(target) from None
        try:
            try:
                write(partial)
            except Exception as exc:
                if self._gone() or (isinstance(exc, OSError) and exc.errno in _DISK_ERRORS):
                    raise self._store_failed(target) from None  # _Vanished: built again
                log.exception("building %s of data version %s failed", target.name, self.version)
                raise BuildError(target.name, "build") from None
            try:
                os.chmod(partial, 0o644)
                if compress and partial.stat().st_size >= GZIP_MIN_BYTES:
                    _write_atomically(gz_path(target), _gzip_file_chunks(partial))
                os.replace(partial, target)
            except OSError:
                raise self._store_failed(target) from None
        finally:
            _unlink_partials(partial)

    def _store_failed(self, target: Path) -> Exception:
        """What to raise when writing ``target`` into the cache failed: :class:`_Vanished` if
        another process removed this version's directory (the caller builds again), else a
        logged :class:`BuildError` of stage ``"store"``."""
        if self._gone():
            return _Vanished()
        log.exception("storing %s in %s failed", target.name, self.directory)
        return BuildError(target.name, "store")


def _is_regular(path: Path) -> bool:
    """Whether ``path`` is a regular file itself (not a symbolic link to one)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


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


def file_response(
    path: Path, media_type: str, rebuild: Callable[[], Path] | None = None
) -> Response:
    """Send the cached file ``path`` as ``media_type``: its ``.gz`` with ``Content-Encoding:
    gzip`` to a client that accepts gzip when there is one, else the file itself.

    The file is opened here (never through a symbolic link), so a reload that removes it
    meanwhile does not cut the response short; the WSGI server closes it when the response is
    sent (with its ``wsgi.file_wrapper``, ``sendfile`` where it can), or else it is closed when
    the response is collected. When the file is gone before it could be opened (another
    process's cleanup) or is a link, ``rebuild()`` (e.g. :meth:`VersionFiles.path`) makes it
    once more. The caller sets the validators and ``Content-Disposition``."""
    try:
        file, gzipped = _open_cached(path)
    except (FileNotFoundError, _Link):
        if rebuild is None:
            raise
        file, gzipped = _open_cached(rebuild())
    try:
        size = os.fstat(file.fileno()).st_size
    except BaseException:
        file.close()
        raise
    return _send(file, size, media_type, gzipped)


class _Link(Exception):
    """A cached file is a symbolic link (planted): not served."""


def _open_cached(path: Path) -> tuple[IO[bytes], bool]:
    compressed = gz_path(path)
    gzipped = request.accept_encodings["gzip"] > 0 and _is_regular(compressed)
    try:
        fd = os.open(compressed if gzipped else path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _Link(str(path)) from None
        if gzipped and isinstance(exc, FileNotFoundError):  # the .gz went: the file itself
            return _open_cached_plain(path), False
        raise
    return os.fdopen(fd, "rb"), gzipped


def _open_cached_plain(path: Path) -> IO[bytes]:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _Link(str(path)) from None
        raise
    return os.fdopen(fd, "rb")


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
