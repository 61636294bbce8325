"""The data version the app serves, prepared once (:class:`Served`), and its reloading."""

from __future__ import annotations

import ctypes
import ctypes.util
import datetime as dt
import gc
import logging
import os
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, current_app, g, has_request_context

from geo.dataset import BOUNDARIES_FILE, CsvStore, Dataset, Store, data_version
from geo.errors import DataError
from geo.schema import TABLES
from layers.features import catalog_of
from layers.geojson import GeoJsonText
from layers.i18n import Lang
from layers.lean import LeanBodies
from layers.registry import REGISTRY
from layers.search import ServerSearch
from layers.stats import Derived
from webapp import filecache
from webapp.errors import ConfigError
from webapp.params import ViewValues
from webapp.prepared import (
    AFTER_FIRST_PAGE,
    AboutData,
    Gzipped,
    OgcData,
    Preparer,
    parts,
    version_time,
)


class Bounded(OrderedDict):
    """A dict of at most ``maxsize`` entries, the least recently used dropped first.

    For caches filled by requests: their keys come from a small set the app controls (endpoint,
    language, path prefix), and the bound holds even if a request could add a new one."""

    def __init__(self, maxsize: int) -> None:
        super().__init__()
        self.maxsize = maxsize
        self._lock = threading.Lock()

    def __getitem__(self, key: object) -> object:
        with self._lock:
            value = super().__getitem__(key)
            self.move_to_end(key)
            return value

    def get(self, key: object, default: object = None) -> object:
        try:
            return self[key]
        except KeyError:
            return default

    def __setitem__(self, key: object, value: object) -> None:
        with self._lock:
            super().__setitem__(key, value)
            self.move_to_end(key)
            while len(self) > self.maxsize:
                self.popitem(last=False)


#: Request-filled renderings kept per data version (the map of each language and path prefix,
#: each page: endpoints × languages × path prefixes, and the OpenAPI document: a handful in use).
RENDERED_KEPT = 30


@dataclass
class Served:
    """One prepared data version: the dataset and everything derived from it that requests
    only read, built by :func:`build` and dropped together at the next reload."""

    dataset: Dataset
    #: Each layer's GeoJSON, kept gzipped (the OGC catalog's text: one copy for both).
    geojson: dict[str, GeoJsonText]
    #: The HTTP ``Last-Modified`` of this version: when this process took it
    #: (:func:`webapp.prepared.version_time`), not the files' times.
    last_modified: dt.datetime = field(default_factory=version_time)
    #: The parts of :func:`webapp.prepared.parts`, by name (built by :func:`build`).
    prepared: dict[str, object] = field(default_factory=dict)
    #: Renderings that need a request for their URLs (the map, the pages, the OpenAPI
    #: document), filled on first use and bounded (:data:`RENDERED_KEPT`).
    rendered: Bounded = field(default_factory=lambda: Bounded(RENDERED_KEPT))
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    #: One lock per part: a request for a cheap part does not wait for another one's build.
    _locks: dict[str, threading.Lock] = field(default_factory=dict, repr=False)

    @property
    def version(self) -> str:
        """The data version."""
        return self.dataset.version

    def part(self, name: str) -> object:
        """The part ``name``; built here for data built without its preparers, or when it is
        asked for before :func:`prepare_in_background` came to it (then one waits for the
        other)."""
        found = self.prepared.get(name)
        if found is None:
            with self._lock:
                lock = self._locks.setdefault(name, threading.Lock())
            with lock:
                found = self.prepared.get(name)
                if found is None:
                    prepare = preparers_of(current_app)[name]
                    found = self.prepared[name] = prepare(self.dataset)
        return found

    @property
    def ogc(self) -> OgcData:
        """The OGC catalog and the version's cached files."""
        return self.part("ogc")  # type: ignore[return-value]

    @property
    def derived(self) -> Derived:
        """Pair summaries, search index, statistics and charts."""
        return self.part("derived")  # type: ignore[return-value]

    @property
    def lean(self) -> LeanBodies:
        """The lean payloads of the big point layers."""
        return self.part("lean")  # type: ignore[return-value]

    @property
    def search(self) -> ServerSearch:
        """The server's search."""
        return self.part("search")  # type: ignore[return-value]

    @property
    def view_values(self) -> ViewValues:
        """The values the map pages' parameters may take."""
        return self.part("view_values")  # type: ignore[return-value]

    @property
    def localized(self) -> dict[tuple[str, Lang], Gzipped]:
        """Every layer in the languages but the default, gzipped."""
        return self.part("localized")  # type: ignore[return-value]

    @property
    def about(self) -> AboutData:
        """The figures of the /about page."""
        return self.part("about")  # type: ignore[return-value]


def build(dataset: Dataset, preparers: Mapping[str, Preparer] | None = None) -> Served:
    """Derive what requests serve from ``dataset``, once: each layer's GeoJSON and every part
    (:func:`webapp.prepared.parts`: the OGC catalog, the officials' summaries...), before it is
    served; without ``preparers``, each part is built on first use.

    Each layer's GeoJSON is the text of the layer's collection in the OGC catalog
    (:func:`layers.features.catalog_of`): the downloads and the API's pages share one copy."""
    catalog = catalog_of(dataset)
    out = Served(
        dataset=dataset,
        geojson={spec.id: catalog.get(spec.id).text for spec in REGISTRY},
    )
    _release_after(dataset)
    for name, prepare in (preparers or {}).items():
        out.prepared[name] = prepare(dataset)
        _release_after(dataset)  # each step's temporaries are returned before the next one
    return out


def _libc(symbol: str) -> Callable[..., int] | None:
    name = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(name), symbol, None) if name else None
    except OSError:
        return None


_trim = _libc("malloc_trim")
_mallopt = _libc("mallopt")
#: glibc's mallopt parameters (malloc.h) and the values set by :func:`tune_malloc`.
_M_MMAP_THRESHOLD, _M_ARENA_MAX = -3, -8
MMAP_THRESHOLD = 128 * 1024
ARENA_MAX = 2


def tune_malloc() -> bool:
    """Keep the C heap of a serving process from growing with its threads (glibc only).

    A page of 1,000 features is about 600 KB; by default glibc raises its mmap threshold to
    the largest block freed, so such pages end up in per-thread heaps (up to 8 per core) that
    keep their free space. A fixed threshold of 128 KB (large blocks are mapped and unmapped)
    and two heaps hold 19 MB less after 300 requests at 100,000 sites (``bench/memory.py``).
    Left alone when the operator set ``GLIBC_TUNABLES`` or ``MALLOC_ARENA_MAX``. Returns
    whether the settings were applied."""
    if _mallopt is None or {"GLIBC_TUNABLES", "MALLOC_ARENA_MAX"} & set(os.environ):
        return False
    return bool(_mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) and _mallopt(_M_ARENA_MAX, ARENA_MAX))


def release_memory() -> None:
    """Collect garbage and give the C heap's free pages back to the system (glibc only).

    Reading and preparing a data version leaves hundreds of MB of freed temporary objects at
    100,000 sites (parsed cells, feature dicts); without this, the process keeps them as free
    heap. Called after a large build and after a reload swap; a full collection takes 0.1–0.2 s."""
    gc.collect()
    if _trim is not None:
        _trim(0)


#: Features from which building a data version is followed by :func:`release_memory` (below,
#: the temporary objects are a few MB and a full collection would cost more than it gives).
RELEASE_ABOVE = 10_000


def _release_after(dataset: Dataset) -> None:
    if sum(len(layer) for layer in dataset.layers.values()) > RELEASE_ABOVE:
        release_memory()


def preparers_of(app: Flask) -> Mapping[str, Preparer]:
    """The parts of every data version ``app`` serves, and what builds each
    (:func:`webapp.prepared.parts`, with the app's cache directory)."""
    return app.extensions["wanbei.preparers"]


def store_for(config: Mapping) -> Store:
    """The store the configuration names: ``STORE``; else PostGIS at ``DATABASE_URL`` (default
    ``$WANBEI_DATABASE_URL``, schema ``DATABASE_SCHEMA``); else the files of ``DATA_DIR``."""
    if config.get("STORE") is not None:
        return config["STORE"]
    url = config.get("DATABASE_URL", os.environ.get("WANBEI_DATABASE_URL"))
    if url:
        from geo.postgis import SCHEMA, PostgisStore  # noqa: PLC0415 - psycopg only when used

        return PostgisStore(url, config.get("DATABASE_SCHEMA") or SCHEMA)
    return CsvStore(config["DATA_DIR"])


def init_app(app: Flask) -> None:
    """Load and validate the data and prepare all it serves before the first request; a
    DataError stops start-up."""
    tune_malloc()
    mode = prepare_mode(app)
    reload_interval(app)  # a bad setting stops start-up before the data is loaded
    store = store_for(app.config)
    app.extensions["wanbei.store"] = store
    app.extensions["wanbei.preparers"] = parts(filecache.init_app(app))
    later = [] if mode == "now" else [n for n in preparers_of(app) if n in AFTER_FIRST_PAGE]
    now = {name: p for name, p in preparers_of(app).items() if name not in later}
    app.extensions["wanbei"] = build(store.load(), now)
    if mode == "background":
        prepare_in_background(app, later)
    start_reloader(app, store)


#: When the parts the first page does not need (:data:`webapp.prepared.AFTER_FIRST_PAGE`) are
#: built at start-up: in a thread just after it (the default), by the first request that needs
#: each (the default under ``TESTING``: most tests' apps never ask for them), or before
#: :func:`create_app` returns. A reload always builds every part before the swap.
PREPARE_MODES = ("background", "on use", "now")


def prepare_mode(app: Flask) -> str:
    """The config's ``PREPARE`` (one of :data:`PREPARE_MODES`)."""
    value = app.config.get("PREPARE") or ("on use" if app.testing else "background")
    if value not in PREPARE_MODES:
        raise ConfigError(f"PREPARE must be one of {', '.join(PREPARE_MODES)}, got {value!r}")
    return value


def prepare_in_background(app: Flask, names: list[str]) -> threading.Thread | None:
    """Build the parts ``names`` of the served version in a thread, so that the server answers
    its first page sooner (``bench/coldstart.py``); a request that needs one before builds it
    or waits for it (:meth:`Served.part`). Returns the thread (None when there is nothing)."""
    current = app.extensions["wanbei"]
    if not names:
        return None

    def run() -> None:
        with app.app_context():
            for name in names:
                try:
                    current.part(name)
                except Exception:  # noqa: BLE001 - a request that needs it builds it again
                    log.exception("preparing %s in the background failed", name)
                _release_after(current.dataset)

    thread = threading.Thread(target=run, name="wanbei-prepare", daemon=True)
    app.extensions["wanbei.preparing"] = thread
    thread.start()
    return thread


def wait_prepared(app: Flask, timeout: float | None = None) -> None:
    """Wait until :func:`prepare_in_background` is done (before forking workers, which must
    share the parts rather than each build them)."""
    thread = app.extensions.get("wanbei.preparing")
    if thread is not None:
        thread.join(timeout)


def served() -> Served:
    """The current app's served data: the same object for the whole of a request, even when a
    reload swaps in new data meanwhile."""
    if not has_request_context():
        return current_app.extensions["wanbei"]
    pinned = g.get("_wanbei_served")
    if pinned is None:
        pinned = g._wanbei_served = current_app.extensions["wanbei"]
    return pinned


# --- reloading -----------------------------------------------------------------------------------
# A thread per app polls the data every RELOAD_INTERVAL seconds (config; default
# $WANBEI_RELOAD_INTERVAL, else 2, and 0 = off; off by default under TESTING). For a data
# directory it compares the files' stat first (cheap) and hashes them only when that changed (or
# when `wanbei-map reload` touched the trigger file); other stores are asked for their version.
# A change of the files' stat is taken only once they have stood still for a whole interval (the
# same stat at two looks in a row): a file still being copied in is not published half-written.
# `wanbei-map reload` (the trigger file) is an explicit commit, taken at the next look.
# New data is loaded and validated in the thread; when valid, the whole Served object is swapped
# in one assignment (requests keep the one they started with); when not, the report is logged
# and the last good data stays served.

log = logging.getLogger(__name__)

#: The file ``wanbei-map reload`` touches in the data directory.
RELOAD_TRIGGER = ".reload"
_reloaders: weakref.WeakSet[Reloader] = weakref.WeakSet()


class Reloader:
    """Watch one app's store and swap in new data that validates."""

    def __init__(self, app: Flask, store: Store, interval: float) -> None:
        self._app = weakref.ref(app)
        self.store = store
        self.interval = interval
        self.data_dir = getattr(store, "data_dir", None)
        self.last_error: DataError | None = None
        self.reloads = 0
        self._refused: str | None = None
        self._signature: tuple | None = None  # the first look hashes the files
        self._seen: tuple | None = None  # the stat at the last look (files still changing?)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        #: Called with the new version after each swap (``serve --production`` replaces its
        #: workers, which were forked with the old one).
        self.after_swap: list[Callable[[str], None]] = []

    def start(self) -> None:
        """Start polling in a daemon thread."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="wanbei-reloader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop polling (waits for a reload under way)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=30)

    def check(self) -> bool:
        """Reload now if the data changed and then stood still since the last look (or
        ``wanbei-map reload`` was run); return whether new data is now served."""
        with self._lock:
            return self._check()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            if self._app() is None:
                return
            try:
                self.check()
            except Exception:  # noqa: BLE001 - the thread must outlive any failure
                log.exception("checking %s for new data failed", self.store)

    def _check(self) -> bool:
        app = self._app()
        if app is None:
            return False
        signature = self._stat()
        if self.data_dir is not None and signature == self._signature:
            return False
        forced = self.data_dir is not None and _trigger(signature) != _trigger(self._signature)
        settled = signature == self._seen
        self._seen = signature
        if self.data_dir is not None and not forced and not settled:
            return False  # changed since the last look: maybe still being written; next look
        version = self._version()
        current = app.extensions["wanbei"]
        if version is None or version == current.dataset.version:
            self._signature = signature
            return False
        if version == self._refused and not forced:
            self._signature = signature
            return False
        try:
            dataset = self.store.load()
        except DataError as exc:
            self.last_error, self._refused, self._signature = exc, version, signature
            log.error(
                "new data refused; still serving version %s:\n%s",
                current.dataset.version,
                exc.report(),
            )
            return False
        if dataset.version != version:  # the files changed while they were read: next time
            return False
        started = time.perf_counter()
        app.extensions["wanbei"] = build(dataset, preparers_of(app))
        old = current.dataset.version
        del current  # the old version is freed when its last request ends
        _release_after(dataset)
        self._signature, self._refused, self.last_error = signature, None, None
        self.reloads += 1
        log.warning(
            "reloaded the data: version %s (was %s); prepared in %.2f s",
            version,
            old,
            time.perf_counter() - started,
        )
        for hook in self.after_swap:
            hook(version)
        return True

    def _stat(self) -> tuple | None:
        if self.data_dir is None:
            return None
        names = [t.filename for t in TABLES.values()] + [BOUNDARIES_FILE, RELOAD_TRIGGER]
        out = []
        for name in names:
            try:
                st = os.stat(Path(self.data_dir) / name)
            except OSError:
                out.append((name, None))
                continue
            out.append((name, st.st_mtime_ns, st.st_size, st.st_ino))
        return tuple(out)

    def _version(self) -> str | None:
        if self.data_dir is not None:
            return data_version(Path(self.data_dir))
        version = getattr(self.store, "version", None)
        return version() if callable(version) else None


def _trigger(signature: tuple | None) -> object:
    return signature[-1] if signature else None


def reload_interval(app: Flask) -> float:
    """Seconds between two looks at the data; 0 when reloading is off."""
    value = app.config.get("RELOAD_INTERVAL")
    if value is None:
        value = os.environ.get("WANBEI_RELOAD_INTERVAL", "0" if app.testing else "2")
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ConfigError(
            f"RELOAD_INTERVAL (WANBEI_RELOAD_INTERVAL) must be a number of seconds, got {value!r}"
        ) from None
    return max(seconds, 0.0)


def start_reloader(app: Flask, store: Store) -> Reloader | None:
    """Start watching ``store`` for ``app`` unless the interval is 0."""
    interval = reload_interval(app)
    if interval <= 0:
        return None
    reloader = Reloader(app, store, interval)
    app.extensions["wanbei.reloader"] = reloader
    _reloaders.add(reloader)
    reloader.start()
    return reloader


#: Whether a forked child process watches the data on its own (see :func:`watch_in_children`).
_WATCH_IN_CHILDREN = [True]


def watch_in_children(watch: bool) -> None:
    """Whether processes forked from this one restart their reloaders (default: yes).

    ``serve --production`` says no: the master alone reloads (once, not once per worker) and
    then replaces its workers, which are forked again with the new version and share it."""
    _WATCH_IN_CHILDREN[0] = watch


def _after_fork() -> None:
    # Threads do not survive fork(): a forked child that serves watches on its own, unless
    # its parent reloads for it (watch_in_children).
    if not _WATCH_IN_CHILDREN[0]:
        return
    for reloader in list(_reloaders):
        if reloader._thread is not None and not reloader._stop.is_set():
            reloader._lock = threading.Lock()
            reloader.start()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
