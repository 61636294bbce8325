"""The unfiltered downloads in CSV, GeoPackage and KML and the zip are kept on disk per data
version (``webapp.filecache``), not in memory, and are served byte for byte as they were built."""

from __future__ import annotations

import dataclasses
import gc
import gzip
import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from layers import features as feat
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
    stored = data.files.directory / name
    assert stored.parent.parent == cache_dir / filecache.OWNED
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
    stored = ogc_data(app).files.directory / name
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
    stored = data.files.directory / ZIP_NAME
    assert not filecache.gz_path(stored).exists()
    expected = to_zip_bytes(data.dataset, data.data_time)
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


def _open_files() -> list[str]:
    """What this process's file descriptors point to."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            found.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            continue
    return found


def _open_files_under(directory: Path) -> list[str]:
    return [target for target in _open_files() if target.startswith(str(directory))]


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
            shutil.rmtree(Path(dst).parent)  # the other worker's cleanup
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


def _edit(data_dir: Path, old: str, new: str) -> None:
    path = data_dir / "projects.csv"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_reload_keeps_the_new_and_the_previous_version_only(own_app):
    app, cache, data_dir = own_app
    client = app.test_client()
    owned = cache / filecache.OWNED
    first = ogc_data(app).files.directory
    assert get(client, "/downloads/projects.csv")[0] == 200
    assert (first / "projects.csv").is_file()
    (owned / ".partial-abandoned").write_bytes(b"x")  # left by a process that was killed
    reloader = Reloader(app, app.extensions["wanbei.store"], interval=60)
    swaps = []
    reloader.after_swap.append(lambda version: swaps.append(sorted(os.listdir(owned))))
    # the hook is registered by ogc.init_app on the app's own reloader: do it for this one
    from webapp import downloads  # noqa: PLC0415

    downloads.watch_reloads(app, reloader)
    assert reloader.check() is False  # its first look: the same data
    _edit(data_dir, "Yusheng Auto Parts", "Yusheng Auto Partz")
    assert reloader.check() is False  # changed since the last look: taken once it stood still
    assert reloader.check() is True
    second = ogc_data(app).files.directory
    assert second != first
    # the old version was still on disk while the new one was prepared and swapped in
    assert first.name in swaps[0]
    assert (first / "projects.csv").is_file()  # the previous version is kept
    assert not (owned / ".partial-abandoned").exists()
    status, _, body = get(client, "/downloads/projects.csv")
    assert status == 200 and "Yusheng Auto Partz" in body.decode("utf-8-sig")
    _edit(data_dir, "Yusheng Auto Partz", "Yusheng Auto Partx")
    assert reloader.check() is False
    assert reloader.check() is True
    third = ogc_data(app).files.directory
    assert get(client, "/downloads/projects.csv")[0] == 200
    assert not first.exists()
    assert sorted(p.name for p in owned.iterdir() if p.is_dir()) == sorted(
        [second.name, third.name]
    )


def test_start_up_forgets_every_version_but_the_current(tmp_path, data_copy):
    cache = tmp_path / "cache"
    owned = cache / filecache.OWNED
    app = create_app({"TESTING": True, "DATA_DIR": str(data_copy), "CACHE_DIR": str(cache)})
    current = ogc_data(app).files.version
    stale = owned / filecache.version_key("0123456789abcdef", "fedcba9876543210", 1700000000)
    (stale).mkdir()
    (stale / "projects.csv").write_bytes(b"old")
    (owned / ".partial-123-projects.csv").write_bytes(b"partial")
    (owned / "notes").mkdir()  # not a version's name: not ours to remove
    app = create_app({"TESTING": True, "DATA_DIR": str(data_copy), "CACHE_DIR": str(cache)})
    assert ogc_data(app).files.version == current
    assert not stale.exists()
    assert sorted(p.name for p in owned.iterdir()) == sorted(
        [filecache.MARKER, "notes", *([current] if (owned / current).exists() else [])]
    )


def test_cache_dir_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("WANBEI_CACHE_DIR", str(tmp_path / "from-env"))
    app = create_app({"TESTING": True, "DATA_DIR": str(DEFAULT_DATA_DIR)})
    assert app.extensions[filecache.EXTENSION] == tmp_path / "from-env" / filecache.OWNED
    assert get(app.test_client(), "/downloads/parks.csv")[0] == 200
    owned = tmp_path / "from-env" / filecache.OWNED
    assert (owned / ogc_data(app).files.version / "parks.csv").is_file()


def test_default_is_a_private_directory_removed_by_its_maker(monkeypatch):
    monkeypatch.delenv("WANBEI_CACHE_DIR", raising=False)
    app = create_app({"TESTING": True, "DATA_DIR": str(DEFAULT_DATA_DIR)})
    root = app.extensions[filecache.EXTENSION].parent
    assert root.is_dir() and root.name.startswith(f"wanbei-map-{os.getpid()}-")
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


def test_forget_other_versions_removes_only_its_versions(tmp_path):
    """A configured CACHE_DIR may hold other things (``data/``, ``.venv/``): only the versions
    in the directory the app owns go, and only by their names."""
    root = tmp_path / "srv"
    for name in ("data", ".venv"):
        (root / name).mkdir(parents=True)
        (root / name / "kept.txt").write_text("not ours")
    owned = filecache.owned_directory(root)
    assert owned == root / filecache.OWNED and (owned / filecache.MARKER).is_file()
    keys = [
        filecache.version_key(f"{i:016x}", "0123456789abcdef", 1700000000 + i) for i in (1, 2, 3)
    ]
    for key in keys:
        (owned / key).mkdir()
        (owned / key / "f.csv").write_bytes(b"a")
    (owned / ".partial-123").write_bytes(b"b")
    (owned / "README").write_text("kept: not ours to remove")
    (owned / "other").mkdir()
    filecache.forget_other_versions(owned, {keys[1]})
    assert sorted(p.name for p in owned.iterdir()) == sorted(
        [filecache.MARKER, "README", "other", keys[1]]
    )
    assert sorted(p.name for p in root.iterdir()) == sorted([".venv", "data", filecache.OWNED])
    assert (root / "data" / "kept.txt").is_file() and (root / ".venv" / "kept.txt").is_file()
    filecache.forget_other_versions(root, set())  # not the owned directory: nothing goes
    assert (root / "data" / "kept.txt").is_file() and (owned / keys[1]).is_dir()
    filecache.forget_other_versions(tmp_path / "missing", {keys[1]})  # no error


def test_a_cache_dir_holding_other_things_survives_start_up(tmp_path):
    root = tmp_path / "srv"
    (root / "data").mkdir(parents=True)
    (root / "data" / "projects.csv").write_text("mine")
    (root / ".venv").mkdir()
    app = create_app({"TESTING": True, "DATA_DIR": str(DEFAULT_DATA_DIR), "CACHE_DIR": str(root)})
    assert get(app.test_client(), "/downloads/parks.csv")[0] == 200
    assert (root / "data" / "projects.csv").read_text() == "mine" and (root / ".venv").is_dir()


def test_an_owned_directory_without_the_marker_is_refused(tmp_path):
    (tmp_path / "srv" / filecache.OWNED / "something").mkdir(parents=True)
    with pytest.raises(ValueError, match=r"CACHE_DIR \(WANBEI_CACHE_DIR\).*marker"):
        create_app(
            {"TESTING": True, "DATA_DIR": str(DEFAULT_DATA_DIR), "CACHE_DIR": str(tmp_path / "srv")}
        )


@pytest.mark.parametrize("mode", [0o775, 0o757])
def test_a_group_or_world_writable_cache_dir_stops_start_up(tmp_path, mode):
    root = tmp_path / "shared"
    root.mkdir()
    root.chmod(mode)
    with pytest.raises(ValueError, match=r"CACHE_DIR \(WANBEI_CACHE_DIR\).*writable by others"):
        create_app({"TESTING": True, "DATA_DIR": str(DEFAULT_DATA_DIR), "CACHE_DIR": str(root)})
    assert not (root / filecache.OWNED).exists()


def test_a_planted_symlink_is_not_served(own_app, tmp_path):
    app, _, _ = own_app
    client = app.test_client()
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"secret " * 500)
    assert get(client, "/downloads/parks.csv")[0] == 200
    stored = ogc_data(app).files.directory / "parks.csv"
    for path in (stored, filecache.gz_path(stored)):
        path.unlink()
        path.symlink_to(secret)
    for headers in ({}, {"Accept-Encoding": "gzip"}):
        status, got, body = get(client, "/downloads/parks.csv", **headers)
        assert status == 200
        if got.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        assert body == fresh(app, "parks", "csv")
    assert not stored.is_symlink() and stored.read_bytes() == fresh(app, "parks", "csv")


def test_a_file_removed_before_it_is_opened_is_built_again(own_app, monkeypatch):
    """Another process's cleanup may remove the file between the look and the open."""
    app, _, _ = own_app
    client = app.test_client()
    assert get(client, "/downloads/parks.kml")[0] == 200
    stored = ogc_data(app).files.directory / "parks.kml"
    real_open = os.open
    removed = []

    def racing_open(path, flags, *args, **kwargs):
        if not removed and str(path).endswith("parks.kml"):
            removed.append(path)
            Path(path).unlink()
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(filecache.os, "open", racing_open)
    status, _, body = get(client, "/downloads/parks.kml")
    assert removed and status == 200
    assert body == fresh(app, "parks", "kml") == stored.read_bytes()


def test_a_writer_failing_because_the_directory_went_away_is_retried(own_app, monkeypatch):
    """Whatever the writer raised: if the version directory is gone, the build runs again."""
    app, _, _ = own_app
    write = FORMATS["kml"].write
    calls = []

    def vanishing(spec, gdf, target):
        calls.append(target)
        if len(calls) == 1:
            shutil.rmtree(Path(target).parent)
            raise RuntimeError("GDAL: cannot open the file")  # not a FileNotFoundError
        write(spec, gdf, target)

    monkeypatch.setitem(FORMATS, "kml", dataclasses.replace(FORMATS["kml"], write=vanishing))
    status, _, body = get(app.test_client(), "/downloads/projects.kml")
    assert status == 200 and len(calls) == 2
    assert body == fresh(app, "projects", "kml")


def test_a_writers_own_file_not_found_is_a_500(own_app, monkeypatch):
    app, _, _ = own_app
    calls = []

    def missing(spec, gdf, target):
        calls.append(target)
        raise FileNotFoundError(2, "No such file or directory", "/usr/share/some-template")

    monkeypatch.setitem(FORMATS, "kml", dataclasses.replace(FORMATS["kml"], write=missing))
    status, _, body = get(app.test_client(), "/downloads/projects.kml")
    assert status == 500 and '"code": "InternalServerError"' in body.decode()
    assert len(calls) == 1
    assert _no_files(ogc_data(app).files.directory)


def test_different_files_are_built_at_the_same_time(own_app, monkeypatch):
    """One lock per file: a slow build of one file does not hold up another's."""
    app, _, _ = own_app
    csv_started = threading.Event()
    seen = []
    write_kml, write_csv = FORMATS["kml"].write, FORMATS["csv"].write

    def slow_kml(spec, gdf, target):
        seen.append(csv_started.wait(timeout=10))  # the CSV's build starts meanwhile
        write_kml(spec, gdf, target)

    def csv(spec, gdf, target):
        csv_started.set()
        write_csv(spec, gdf, target)

    monkeypatch.setitem(FORMATS, "kml", dataclasses.replace(FORMATS["kml"], write=slow_kml))
    monkeypatch.setitem(FORMATS, "csv", dataclasses.replace(FORMATS["csv"], write=csv))
    statuses = []
    threads = [
        threading.Thread(target=lambda p=p: statuses.append(get(app.test_client(), p)[0]))
        for p in ("/downloads/parks.kml", "/downloads/parks.csv")
    ]
    threads[0].start()
    threads[1].start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(statuses) == [200, 200]
    assert seen == [True]
    assert not filecache._LOCKS  # the locks of finished builds are dropped


def test_private_directories_of_dead_processes_are_removed(tmp_path, monkeypatch):
    """A process killed by SIGKILL or the OOM killer leaves its directory: the next start-up
    removes it, and never the directory of a live process."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415
    import tempfile  # noqa: PLC0415

    monkeypatch.delenv("WANBEI_CACHE_DIR", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(dead.stdout)
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        made = {}
        for label, pid in (("dead", dead_pid), ("alive", alive.pid), ("parent", os.getppid())):
            made[label] = tmp_path / f"wanbei-map-{pid}-abc_1234"
            (made[label] / filecache.OWNED).mkdir(parents=True)
        other = tmp_path / f"other-{dead_pid}-abc_1234"
        other.mkdir()
        app = create_app({"TESTING": True, "DATA_DIR": str(DEFAULT_DATA_DIR)})
        root = app.extensions[filecache.EXTENSION].parent
        assert root.parent == tmp_path
        assert not made["dead"].exists()
        assert made["alive"].is_dir() and made["parent"].is_dir() and other.is_dir()
        filecache._remove_private(root, os.getpid())
    finally:
        alive.kill()
        alive.wait()


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


def _open_temp_files() -> list[str]:
    """The deleted files under the temporary directory this process holds open (an anonymous
    TemporaryFile is ``<tmpdir>/#<inode> (deleted)``: O_TMPFILE, no name of ours)."""
    import tempfile  # noqa: PLC0415

    under = tempfile.gettempdir() + "/"
    return [t for t in _open_files() if t.startswith(under) and t.endswith(" (deleted)")]


@pytest.fixture
def sent(app):
    """The responses the app sent (server side), in order."""
    from flask import request_finished  # noqa: PLC0415

    responses = []

    def record(sender, response, **extra) -> None:
        responses.append(response)

    request_finished.connect(record, app)
    yield responses
    request_finished.disconnect(record, app)


@pytest.mark.parametrize("ext", [*EXTS, "geojson"])
def test_a_filtered_download_is_sent_from_a_temporary_file(app, sent, ext):
    client = app.test_client()
    everything = "bbox=-180,-90,180,90"
    gc.collect()
    before = _open_temp_files()
    response = client.get(f"/downloads/projects.{ext}?{everything}", buffered=False)
    assert response.status_code == 200
    served_response = sent[-1]
    # a file passed through to the server, not a body held in memory
    assert served_response.direct_passthrough and not isinstance(served_response.response, list)
    during = _open_temp_files()
    assert len(during) == len(before) + 1  # the temporary file being sent
    body = b"".join(response.response)
    response.close()
    del served_response, sent[:]
    gc.collect()
    assert _open_temp_files() == before  # closed, and so deleted
    if ext == "geojson":  # every feature: the unfiltered layer's text
        collection = ogc_data(app).catalog.get("projects")
        assert body == feat.feature_collection_bytes(collection, range(len(collection)))
        assert body == gzip.decompress(app.extensions["wanbei"].geojson["projects"].data)
    else:
        assert body == fresh(app, "projects", ext)  # every feature: the unfiltered bytes
    assert response.headers["Content-Length"] == str(len(body))
    assert response.headers["Content-Type"].startswith(FORMATS[ext].media_type)
    assert response.headers["Content-Disposition"] == f'attachment; filename="projects.{ext}"'


@pytest.mark.parametrize("chunk", [1, 7, 10_000])
def test_a_filtered_geojson_is_the_same_bytes_written_in_chunks(app, monkeypatch, chunk):
    import io  # noqa: PLC0415

    collection = ogc_data(app).catalog.get("places")
    n = len(collection)
    monkeypatch.setattr(feat, "CHUNK_FEATURES", chunk)
    for positions in ([], [0], [0, 2, 3, 5, n - 1], list(range(1, n, 3)), list(range(n))):
        out = io.BytesIO()
        feat.write_feature_collection(collection, np.asarray(positions, dtype=np.int64), out)
        assert out.getvalue() == feat.feature_collection_bytes(collection, positions)
    status, headers, body = get(app.test_client(), "/downloads/places.geojson?bbox=116,32,118,34")
    query = feat.parse_query(collection, {"bbox": ["116,32,118,34"]}, paging=False, ignore=())
    selected = collection.select(query)
    assert 0 < len(selected) < len(collection)
    assert status == 200 and body == feat.feature_collection_bytes(collection, selected)
    assert headers["Content-Type"] == "application/geo+json"
    zipped = get(
        app.test_client(),
        "/downloads/places.geojson?bbox=116,32,118,34",
        **{"Accept-Encoding": "gzip"},
    )
    assert zipped[1]["Content-Encoding"] == "gzip"
    assert zipped[2] == gzip.compress(body, compresslevel=6, mtime=0)


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
