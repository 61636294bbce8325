"""What one data version serves, and the one step that builds it (no Flask here).

A data version is served as :class:`webapp.state.Served`: the dataset, each layer's GeoJSON and
the *parts* listed by :func:`parts`, each built by a function of the dataset alone. They are
all built by :func:`webapp.state.build` before the version is served (at start-up and at each
reload, before the swap) and dropped together with it. The version's identity for caches is the
data version and the code version (:data:`CODE_HASH`): see :mod:`webapp.caching`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from geo import provenance
from geo.dataset import Dataset
from layers import features as feat
from layers.geojson import gzip_geojson
from layers.i18n import DEFAULT_LANG, LANGS, Lang
from layers.lean import prepare_lean
from layers.localize import localize_frame
from layers.registry import REGISTRY
from layers.search import prepare_search
from layers.stats import derive
from webapp import filecache
from webapp.params import view_values

#: Builds one part of a data version from its dataset.
Preparer = Callable[[Dataset], object]

ROOT = Path(__file__).resolve().parent.parent


def code_stamp(root: Path = ROOT) -> tuple[str, dt.datetime]:
    """A hash and the newest modification time of the code that shapes the responses: the
    Python of ``geo/``, ``layers/`` and ``webapp/``, the spec, the templates and the message
    catalogs.

    Both go into the validators, so that a new release (new links, a changed page) is not
    answered 304 from a cache filled by the old one; the hash is the same in every worker.
    """
    files = sorted(
        [
            *(root / "geo").glob("*.py"),
            *(root / "geo").glob("*.toml"),
            *(root / "layers").glob("*.py"),
            *(root / "webapp").glob("*.py"),
            *(root / "webapp" / "templates").rglob("*.html"),
            *(root / "webapp" / "translations").rglob("*.mo"),
        ]
    )
    digest = hashlib.blake2b(digest_size=8)
    for path in files:
        digest.update(path.read_bytes())
    newest = max((p.stat().st_mtime for p in files), default=0.0)
    return digest.hexdigest(), dt.datetime.fromtimestamp(int(newest), dt.UTC)


#: The code version: part of every ETag and of the name of a version's cached files.
CODE_HASH, CODE_MODIFIED = code_stamp()


_last_stamp = [dt.datetime.min.replace(tzinfo=dt.UTC)]
_stamp_lock = threading.Lock()


def version_time() -> dt.datetime:
    """The ``Last-Modified`` of a data version this process starts to serve: now (whole
    seconds), and always later than that of any version before it. So a client's
    ``If-Modified-Since`` never matches a version it has not seen, even when the data goes back
    in time (a backup copied back with its old modification times)."""
    with _stamp_lock:
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        _last_stamp[0] = max(now, _last_stamp[0] + dt.timedelta(seconds=1))
        return _last_stamp[0]


def data_last_modified(source: str) -> dt.datetime:
    """The latest modification time of the files of a data directory (now, for other stores)."""
    path = Path(source) if source else None
    if path is not None and path.is_dir():
        times = [p.stat().st_mtime for p in path.iterdir() if p.is_file()]
        if times:
            stamp = dt.datetime.fromtimestamp(int(max(times)), dt.UTC)
            return min(stamp, dt.datetime.now(dt.UTC).replace(microsecond=0))
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


@dataclass
class OgcData:
    """What the OGC API and the downloads serve for one data version."""

    dataset: Dataset
    catalog: feat.Catalog
    #: The newest modification time of the data files and the code: the time in the zip.
    data_time: dt.datetime
    #: The unfiltered downloads but GeoJSON and the zip: on disk, built once (webapp.filecache)
    files: filecache.VersionFiles


def prepare_ogc(dataset: Dataset, cache_dir: Path) -> OgcData:
    """What the API and the downloads serve for ``dataset``; its files go in ``cache_dir``
    (nothing is removed here, while the old version is still served: see
    :func:`webapp.downloads.watch_reloads`)."""
    data_time = max(data_last_modified(dataset.source), CODE_MODIFIED)
    # the files depend on the data, the code and the time stamped in the zip: all in the name
    key = filecache.version_key(dataset.version, CODE_HASH, int(data_time.timestamp()))
    return OgcData(
        dataset=dataset,
        catalog=feat.catalog_of(dataset),  # shared with the layers' downloads (state.build)
        data_time=data_time,
        files=filecache.VersionFiles(cache_dir, key),
    )


@dataclass(frozen=True)
class Gzipped:
    """A body kept gzip-compressed (see :func:`webapp.transfer.gzipped_response`)."""

    data: bytes  # a gzip member
    size: int  # bytes once decompressed


def localized_geojson(dataset: Dataset) -> dict[tuple[str, Lang], Gzipped]:
    """Every layer's GeoJSON in every language but the default, gzip-compressed.

    The map of ``?lang=en`` or ``zh-Hant`` fetches these. Kept compressed (about 1/17 of
    the text: 3.4 MB instead of 59 MB each at 100,000 sites) and written without holding the
    uncompressed text (:func:`layers.geojson.gzip_geojson`), two more languages add a few MB
    to the process, not twice the canonical text."""
    out = {}
    for spec in REGISTRY:
        for lang in LANGS:
            if lang != DEFAULT_LANG:
                gdf = dataset.layers[spec.id]  # translated chunk by chunk while written
                data, size = gzip_geojson(gdf, transform=partial(localize_frame, lang=lang))
                out[(spec.id, lang)] = Gzipped(data, size)
    return out


@dataclass(frozen=True)
class AboutData:
    """What the /about page shows of one data version."""

    version: str
    updated: str
    sources: list[provenance.SourceCount]
    history: list[dict]


def about_data(dataset: Dataset) -> AboutData:
    """The data's update time, its sources with their row counts, and its import history."""
    return AboutData(
        version=dataset.version,
        updated=provenance.last_updated(dataset.tables),
        sources=provenance.row_sources(dataset.tables),
        history=provenance.history(dataset.source) if dataset.source else [],
    )


#: Parts the map page does not need: `wanbei-map serve` builds them just after start-up, in a
#: thread, and answers its first page meanwhile (:func:`webapp.state.prepare_in_background`).
AFTER_FIRST_PAGE = frozenset({"derived", "search", "localized", "about"})


def parts(cache_dir: Path) -> Mapping[str, Preparer]:
    """Every part of a data version, by name, and the function that builds it: the one list
    of what a data version serves besides its dataset and its layers' GeoJSON."""
    return {
        "ogc": partial(prepare_ogc, cache_dir=cache_dir),  # the catalog, the cached files
        "derived": derive,  # pair summaries, search index, statistics and charts
        "lean": prepare_lean,  # the lean payloads of the big point layers
        "search": prepare_search,  # the server's search
        "view_values": view_values,  # the values the map pages' parameters may take
        "localized": localized_geojson,  # every layer in the other languages, gzipped
        "about": about_data,  # the /about page's figures
    }
