"""The unfiltered downloads in CSV, GeoPackage and KML and the zip are kept on disk per data
version (``webapp.filecache``), not in memory, and are served byte for byte as they were built."""

from __future__ import annotations

import dataclasses
import gc
import gzip
import os
import threading
from pathlib import Path

import pytest

from layers.formats import FORMATS, ZIP_NAME, to_zip_bytes
from webapp import DEFAULT_DATA_DIR, create_app, filecache
from webapp.state import Reloader

#: GDAL stamps a GeoPackage with the time it was written unless told a fixed one: with it, two
#: builds of the same data are the same bytes.
FIXED_DATE = "2001-02-03T04:05:06.000Z"
LAYERS = ("projects", "parks")
EXTS = ("csv", "gpkg", "kml")


@pytest.fixture(scope="module")
def fixed_gdal_date():
    old = os.environ.get("OGR_CURRENT_DATE")
    os.environ["OGR_CURRENT_DATE"] = FIXED_DATE
    yield
    if old is None:
        del os.environ["OGR_CURRENT_DATE"]
    else:
        os.environ["OGR_CURRENT_DATE"] = old


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("download-cache") / "cache"  # made by the app


@pytest.fixture(scope="module")
def app(cache_dir, fixed_gdal_date):
    return create_app(
        {"TESTING": True, "DATA_DIR": str(DEFAULT_DATA_DIR), "CACHE_DIR": str(cache_dir)}
    )


def ogc_data(app):
    return app.extensions["wanbei"].prepared["ogc"]


def get(client, path: str, **headers: str):
    response = client.get(path, headers=headers)
    try:
        return response.status_code, dict(response.headers), response.get_data()
    finally:
        response.close()


def fresh(app, layer_id: str, ext: str) -> bytes:
    collection = ogc_data(app).catalog.get(layer_id)
    return FORMATS[ext].to_bytes(collection.spec, collection.gdf)


@pytest.mark.parametrize("ext", EXTS)
@pytest.mark.parametrize("layer_id", LAYERS)
def test_download_twice_is_the_writers_bytes_and_on_disk(app, cache_dir, layer_id, ext):
    client = app.test_client()
    data = ogc_data(app)
    name = f"{layer_id}.{ext}"
    stored = cache_dir / data.files.version / name
    first = get(client, f"/downloads/{name}")
    assert first[0] == 200
    assert stored.is_file()  # written by the first request
    mtime = stored.stat().st_mtime_ns
    second = get(client, f"/downloads/{name}")
    assert second[0] == 200
    assert stored.stat().st_mtime_ns == mtime  # not built again
    expected = fresh(app, layer_id, ext)
    assert first[2] == second[2] == expected == stored.read_bytes()
    headers = second[1]
    assert headers["Content-Type"].startswith(FORMATS[ext].media_type)
    assert headers["Content-Length"] == str(len(expected))
    assert headers["Content-Disposition"] == f'attachment; filename="{name}"'
    assert headers["Cache-Control"] == "public, max-age=300"
    assert "Expires" not in headers and "Content-Encoding" not in headers
    assert headers["ETag"].startswith('W/"') and headers["Last-Modified"]
    # the validators still answer 304
    assert get(client, f"/downloads/{name}", **{"If-None-Match": headers["ETag"]})[0] == 304


@pytest.mark.parametrize("ext", EXTS)
def test_gzip_is_the_stored_gz_of_the_same_bytes(app, cache_dir, ext):
    client = app.test_client()
    name = f"projects.{ext}"
    status, headers, body = get(client, f"/downloads/{name}", **{"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in headers["Vary"]
    expected = fresh(app, "projects", ext)
    assert gzip.decompress(body) == expected
    # what the after_request gzip would have sent: the same compressed bytes
    assert body == gzip.compress(expected, compresslevel=6, mtime=0)
    stored = cache_dir / ogc_data(app).files.version / name
    assert filecache.gz_path(stored).read_bytes() == body
    assert headers["Content-Length"] == str(len(body))


def test_the_zip_is_cached_on_disk(app, cache_dir):
    client = app.test_client()
    data = ogc_data(app)
    first = get(client, f"/downloads/{ZIP_NAME}", **{"Accept-Encoding": "gzip"})
    second = get(client, f"/downloads/{ZIP_NAME}")
    assert first[0] == second[0] == 200
    assert "Content-Encoding" not in first[1]  # a zip is compressed already
    assert first[1]["Content-Type"] == "application/zip"
    assert first[1]["Content-Disposition"] == f'attachment; filename="{ZIP_NAME}"'
    stored = cache_dir / data.files.version / ZIP_NAME
    assert not filecache.gz_path(stored).exists()
    expected = to_zip_bytes(data.dataset, data.last_modified)
    assert first[2] == second[2] == stored.read_bytes() == expected


def _bytes_held(obj: object, seen: set[int] | None = None) -> int:
    """The bytes reachable from ``obj`` through dataclass fields, dicts, lists and tuples."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return len(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return sum(_bytes_held(getattr(obj, f.name), seen) for f in dataclasses.fields(obj))
    if isinstance(obj, dict):
        return sum(_bytes_held(k, seen) + _bytes_held(v, seen) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return sum(_bytes_held(v, seen) for v in obj)
    return 0


def test_nothing_is_held_in_memory(app):
    client = app.test_client()
    for layer_id in LAYERS:
        for ext in EXTS:
            assert get(client, f"/downloads/{layer_id}.{ext}")[0] == 200
    assert get(client, f"/downloads/{ZIP_NAME}")[0] == 200
    data = ogc_data(app)
    held = dataclasses.replace(data, dataset=None, catalog=None)  # those hold the data itself
    assert _bytes_held(held) == 0
    assert isinstance(data.files, filecache.VersionFiles)
    assert len(data.files.directory.name) > 16  # the data version and the code's hash


def _open_files_under(directory: Path) -> list[str]:
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(directory)):
            found.append(target)
    return found


def test_responses_left_open_close_their_file(app, cache_dir):
    """A client that never closes its response (as many tests do) leaves no file open."""
    client = app.test_client()
    assert client.get("/downloads/parks.csv").data
    assert client.get("/downloads/parks.csv", headers={"Accept-Encoding": "gzip"}).data
    assert client.head("/downloads/parks.kml").data == b""
    gc.collect()
    assert _open_files_under(cache_dir) == []


def test_filtered_downloads_are_not_cached(app):
    client = app.test_client()
    directory = ogc_data(app).files.directory
    before = sorted(p.name for p in directory.iterdir()) if directory.exists() else []
    status, headers, body = get(client, "/downloads/projects.csv?bbox=116,32,118,34")
    assert status == 200 and body
    after = sorted(p.name for p in directory.iterdir()) if directory.exists() else []
    assert after == before


@pytest.fixture
def own_app(tmp_path, data_copy, fixed_gdal_date):
    """An app of its own (its cache starts empty), on a copy of the data."""
    cache = tmp_path / "own-cache"
    app = create_app({"TESTING": True, "DATA_DIR": str(data_copy), "CACHE_DIR": str(cache)})
    return app, cache, data_copy


def _no_files(directory: Path) -> bool:
    return not directory.exists() or not any(directory.iterdir())


def test_a_failing_writer_leaves_no_file_and_gives_a_clean_500(own_app, monkeypatch, caplog):
    app, cache, _ = own_app
    client = app.test_client()

    def broken(spec, gdf, target):
        raise RuntimeError("the KML writer broke")

    monkeypatch.setitem(FORMATS, "kml", dataclasses.replace(FORMATS["kml"], write=broken))
    status, headers, body = get(client, "/downloads/projects.kml")
    assert status == 500
    assert headers["Content-Type"] == "application/json"
    text = body.decode()
    assert '"code": "InternalServerError"' in text
    assert "projects.kml" in text and "logged" in text
    assert "Traceback" not in text and "the KML writer broke" not in text
    assert "the KML writer broke" in caplog.text  # the operator sees it in the log
    assert _no_files(ogc_data(app).files.directory)
    monkeypatch.undo()  # the writer works again: the file is built now
    assert get(client, "/downloads/projects.kml")[0] == 200
    assert (ogc_data(app).files.directory / "projects.kml").is_file()


def test_a_failed_write_leaves_no_partial_file_and_gives_a_503(own_app, monkeypatch, caplog):
    app, cache, _ = own_app
    client = app.test_client()

    def full(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(filecache.os, "replace", full)
    status, headers, body = get(client, f"/downloads/{ZIP_NAME}")
    assert status == 503
    text = body.decode()
    assert '"code": "ServiceUnavailable"' in text and ZIP_NAME in text
    assert "Traceback" not in text and "No space left" in caplog.text
    assert _no_files(ogc_data(app).files.directory)  # the partial file was removed
    monkeypatch.undo()
    assert get(client, f"/downloads/{ZIP_NAME}")[0] == 200


def test_a_version_directory_removed_while_writing_is_made_again(own_app, monkeypatch):
    """Another worker's reload may remove this version's directory while a file is written."""
    app, _, _ = own_app
    replace = os.replace
    failures = []

    def racing(src, dst):
        if not failures:
            failures.append(dst)
            raise FileNotFoundError(2, "No such file or directory", str(dst))
        replace(src, dst)

    monkeypatch.setattr(filecache.os, "replace", racing)
    status, _, body = get(app.test_client(), "/downloads/parks.csv")
    assert status == 200 and body == fresh(app, "parks", "csv")
    assert len(failures) == 1
    assert sorted(p.name for p in ogc_data(app).files.directory.iterdir()) == [
        "parks.csv",
        "parks.csv.gz",
    ]


def test_one_build_for_concurrent_requests(own_app, monkeypatch):
    app, _, _ = own_app
    calls = []
    write = FORMATS["csv"].write

    def counting(spec, gdf, target):
        calls.append(spec.id)
        write(spec, gdf, target)

    monkeypatch.setitem(FORMATS, "csv", dataclasses.replace(FORMATS["csv"], write=counting))
    statuses = []
    bodies = set()

    def fetch() -> None:
        status, _, body = get(app.test_client(), "/downloads/projects.csv")
        statuses.append(status)
        bodies.add(body)

    threads = [threading.Thread(target=fetch) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert statuses == [200] * 4 and len(bodies) == 1
    assert calls == ["projects"]


def test_a_reload_removes_the_old_versions_files(own_app):
    app, cache, data_dir = own_app
    client = app.test_client()
    old = ogc_data(app).files.directory
    assert get(client, "/downloads/projects.csv")[0] == 200
    assert (old / "projects.csv").is_file()
    (cache / ".partial-abandoned").write_bytes(b"x")  # left by a process that was killed
    reloader = Reloader(app, app.extensions["wanbei.store"], interval=60)
    assert reloader.check() is False  # its first look: the same data
    path = data_dir / "projects.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace("Yusheng Auto Parts", "Yusheng Auto Partz"),
        encoding="utf-8",
    )
    assert reloader.check() is True
    new = ogc_data(app).files.directory
    assert new != old
    assert not old.exists()
    assert not (cache / ".partial-abandoned").exists()
    status, _, body = get(client, "/downloads/projects.csv")
    assert status == 200 and "Yusheng Auto Partz" in body.decode("utf-8-sig")
    assert sorted(p.name for p in cache.iterdir()) == [new.name]


def test_cache_dir_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("WANBEI_CACHE_DIR", str(tmp_path / "from-env"))
    app = create_app({"TESTING": True, "DATA_DIR": str(DEFAULT_DATA_DIR)})
    assert app.extensions[filecache.EXTENSION] == tmp_path / "from-env"
    assert get(app.test_client(), "/downloads/parks.csv")[0] == 200
    assert (tmp_path / "from-env" / ogc_data(app).files.version / "parks.csv").is_file()


def test_default_is_a_private_directory_removed_by_its_maker(monkeypatch):
    monkeypatch.delenv("WANBEI_CACHE_DIR", raising=False)
    app = create_app({"TESTING": True, "DATA_DIR": str(DEFAULT_DATA_DIR)})
    root = app.extensions[filecache.EXTENSION]
    assert root.is_dir() and root.name.startswith("wanbei-map-")
    assert oct(root.stat().st_mode & 0o777) == oct(0o700)
    assert get(app.test_client(), "/downloads/parks.kml")[0] == 200
    filecache._remove_private(root, os.getpid() + 1)  # a forked worker exiting: kept
    assert root.is_dir()
    filecache._remove_private(root, os.getpid())  # the process that made it exiting
    assert not root.exists()


def test_an_unwritable_cache_dir_stops_start_up(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(ValueError, match=r"CACHE_DIR \(WANBEI_CACHE_DIR\) must be a directory"):
        create_app(
            {
                "TESTING": True,
                "DATA_DIR": str(DEFAULT_DATA_DIR),
                "CACHE_DIR": str(blocker / "cache"),
            }
        )


def test_forget_other_versions(tmp_path):
    for name in ("v1", "v2", "v3"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "f.csv").write_bytes(b"a")
    (tmp_path / ".partial-123").write_bytes(b"b")
    (tmp_path / "README").write_text("kept: not ours to remove")
    filecache.forget_other_versions(tmp_path, "v2")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README", "v2"]
    filecache.forget_other_versions(tmp_path / "missing", "v2")  # no error


# --- the writers stream: to a path or a file object, a chunk of rows at a time --------------------


def _many(gdf, n: int):
    """``gdf``'s rows repeated up to ``n`` rows, ids made unique."""
    import pandas as pd  # noqa: PLC0415

    reps = -(-n // len(gdf))
    big = pd.concat([gdf] * reps, ignore_index=True).iloc[:n].copy()
    big["id"] = [f"{i}-{k}" for k, i in enumerate(big["id"])]
    return big


class _Sink:
    """A binary file object that counts what is written and keeps nothing."""

    def __init__(self) -> None:
        self.size = 0
        self.largest = 0
        self.writes = 0

    def write(self, chunk) -> int:
        n = len(chunk)
        self.size += n
        self.largest = max(self.largest, n)
        self.writes += 1
        return n


@pytest.mark.parametrize("ext", ["csv", "kml"])
def test_writers_write_in_chunks_of_rows_with_the_same_bytes(app, monkeypatch, ext):
    from layers import formats  # noqa: PLC0415

    collection = ogc_data(app).catalog.get("parks")
    gdf = _many(collection.gdf, 300)
    whole = FORMATS[ext].to_bytes(collection.spec, gdf)
    monkeypatch.setattr(formats, "CHUNK_ROWS", 7)
    assert FORMATS[ext].to_bytes(collection.spec, gdf) == whole
    sink = _Sink()
    FORMATS[ext].write(collection.spec, gdf, sink)
    assert sink.size == len(whole)
    assert sink.writes >= 300 // 7
    assert sink.largest < len(whole) / 20


def _python_peak(write, *args) -> tuple[int, int]:
    """The peak of Python's allocations while ``write(*args, sink)`` runs, and its bytes."""
    import tracemalloc  # noqa: PLC0415

    sink = _Sink()
    tracemalloc.start()
    try:
        write(*args, sink)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, sink.size


@pytest.mark.parametrize("ext", ["csv", "kml"])
def test_a_big_layer_is_written_with_bounded_python_memory(app, monkeypatch, ext):
    """Three times the rows, three times the file, not three times the memory: the writers
    hold a chunk of rows, never the whole text (which would take 1 to 3 times the file)."""
    from layers import formats  # noqa: PLC0415

    collection = ogc_data(app).catalog.get("projects")
    monkeypatch.setattr(formats, "CHUNK_ROWS", 500)
    write = FORMATS[ext].write
    small_peak, small_size = _python_peak(write, collection.spec, _many(collection.gdf, 2000))
    big_peak, big_size = _python_peak(write, collection.spec, _many(collection.gdf, 6000))
    assert big_size > 2.9 * small_size and big_size > 1_000_000
    assert big_peak < 1.3 * small_peak, (small_peak, big_peak)
    assert big_peak < big_size, (big_peak, big_size)


def test_the_zip_is_written_entry_by_entry_with_the_same_bytes(app, tmp_path):
    import datetime as dt  # noqa: PLC0415
    import zipfile  # noqa: PLC0415

    from layers.formats import write_zip  # noqa: PLC0415

    dataset = ogc_data(app).dataset
    when = dt.datetime(2024, 5, 6, 7, 8, 9)
    write_zip(dataset, tmp_path / "z.zip", when)
    assert (tmp_path / "z.zip").read_bytes() == to_zip_bytes(dataset, when)
    with zipfile.ZipFile(tmp_path / "z.zip") as zf:
        names = zf.namelist()
        assert names[:2] == ["README.md", "LICENCES.md"]
        spec = ogc_data(app).catalog.get("parks").spec
        gdf = ogc_data(app).catalog.get("parks").gdf
        assert zf.read("layers/parks.kml") == FORMATS["kml"].to_bytes(spec, gdf)
        assert zf.read("layers/parks.csv") == FORMATS["csv"].to_bytes(spec, gdf)


def test_the_writer_is_given_a_new_partial_path_in_the_version_directory(own_app):
    app, _, _ = own_app
    files = ogc_data(app).files
    seen = []

    def write(path: Path) -> None:
        seen.append(path)
        assert path.parent == files.directory and not path.exists()
        assert path.name.startswith(".partial-") and path.name.endswith("-notes.csv")
        path.write_bytes(b"a,b\r\n" * 1000)
        path.with_name(path.name + "-journal").write_bytes(b"j")  # e.g. SQLite's

    stored = files.path("notes.csv", write, "text/csv")
    assert stored == files.directory / "notes.csv" and len(seen) == 1
    assert stored.read_bytes() == b"a,b\r\n" * 1000
    assert gzip.decompress(filecache.gz_path(stored).read_bytes()) == stored.read_bytes()
    assert sorted(p.name for p in files.directory.iterdir()) == ["notes.csv", "notes.csv.gz"]


def test_a_full_disk_while_writing_is_a_503(own_app, monkeypatch, caplog):
    app, _, _ = own_app

    def full(spec, gdf, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setitem(FORMATS, "csv", dataclasses.replace(FORMATS["csv"], write=full))
    status, headers, body = get(app.test_client(), "/downloads/parks.csv")
    assert status == 503 and '"code": "ServiceUnavailable"' in body.decode()
    assert "No space left" in caplog.text
    assert _no_files(ogc_data(app).files.directory)


def _open_temp_downloads() -> list[str]:
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if "wanbei-" in target and "(deleted)" in target:
            found.append(target)
    return found


@pytest.mark.parametrize("ext", EXTS)
def test_a_filtered_download_is_sent_from_a_temporary_file(app, ext):
    client = app.test_client()
    everything = "bbox=-180,-90,180,90"
    gc.collect()
    before = _open_temp_downloads()
    response = client.get(f"/downloads/projects.{ext}?{everything}", buffered=False)
    assert response.status_code == 200
    assert response.direct_passthrough or response.is_streamed  # not a body held in memory
    body = b"".join(response.response)
    response.close()
    gc.collect()
    assert _open_temp_downloads() == before  # closed, and so deleted
    assert body == fresh(app, "projects", ext)  # every feature: the unfiltered bytes
    assert response.headers["Content-Length"] == str(len(body))
    assert response.headers["Content-Type"].startswith(FORMATS[ext].media_type)
    assert response.headers["Content-Disposition"] == f'attachment; filename="projects.{ext}"'


@pytest.mark.parametrize("ext", ["csv", "kml"])
def test_a_large_filtered_download_is_gzipped_like_before(app, ext):
    status, headers, body = get(
        app.test_client(),
        f"/downloads/boundaries.{ext}?level=county",
        **{"Accept-Encoding": "gzip"},
    )
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    plain = get(app.test_client(), f"/downloads/boundaries.{ext}?level=county")[2]
    assert body == gzip.compress(plain, compresslevel=6, mtime=0)
    assert headers["Content-Length"] == str(len(body))
    assert (
        get(
            app.test_client(),
            f"/downloads/boundaries.{ext}?level=county",
            **{"If-None-Match": headers["ETag"]},
        )[0]
        == 304
    )
