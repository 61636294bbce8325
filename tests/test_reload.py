"""A running server picks up new data without a restart and without failing a request."""

from __future__ import annotations

import csv
import logging
import os
import re
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from geo.importer import apply_import, plan_import
from tests.conftest import LiveServer
from webapp import create_app
from webapp.cli import main
from webapp.state import Reloader

FIXTURES = Path(__file__).resolve().parent / "data"
INTERVAL = 0.1
PATHS = ("/downloads/projects.geojson", "/downloads/places.geojson", "/about", "/")


def fetch(url: str, etag: str | None = None) -> tuple[int, str | None, bytes]:
    request = urllib.request.Request(url, headers={"If-None-Match": etag} if etag else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers.get("ETag"), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("ETag"), exc.read()


def wait_for(condition, timeout: float = 60.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return False


class Hammer:
    """Threads that request the pages until stopped, recording every status."""

    def __init__(self, base: str, threads: int = 4) -> None:
        self.base = base
        self.statuses: list[tuple[str, int]] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(i,)) for i in range(threads)]

    def _run(self, i: int) -> None:
        n = 0
        while not self._stop.is_set() and n < 5000:  # bounded, whatever happens
            path = PATHS[(i + n) % len(PATHS)]
            n += 1
            try:
                status, _, _ = fetch(self.base + path)
            except Exception as exc:  # noqa: BLE001 - a failed request is what we look for
                self.errors.append(f"{path}: {exc!r}")
                continue
            self.statuses.append((path, status))

    def __enter__(self) -> Hammer:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=60)


@pytest.fixture
def reloading(data_copy):
    app = create_app({"TESTING": True, "DATA_DIR": str(data_copy), "RELOAD_INTERVAL": INTERVAL})
    reloader: Reloader = app.extensions["wanbei.reloader"]
    with LiveServer(app) as server:
        yield app, server, reloader, data_copy
    reloader.stop()


def _append_bad_project(path: Path) -> None:
    """Append a copy of the last project with a new id and an adcode that does not exist."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    bad = {**rows[-1], "id": "PR-bad", "host_adcode": "340399"}
    with open(path, "a", encoding="utf-8", newline="") as f:
        csv.DictWriter(f, fieldnames=list(bad), lineterminator="\n").writerow(bad)


def served_version(app) -> str:
    return app.extensions["wanbei"].dataset.version


def test_reload_under_load_then_refuse_bad_data(reloading, caplog):
    app, server, reloader, data_dir = reloading
    url = server.url + "/downloads/projects.geojson"
    status, etag, body = fetch(url)
    assert status == 200 and etag
    assert fetch(url, etag)[0] == 304
    first = served_version(app)
    with Hammer(server.url) as hammer:
        time.sleep(0.3)
        plan = plan_import(FIXTURES / "projects_zh.xlsx", "projects", data_dir)
        apply_import(plan)
        assert wait_for(lambda: served_version(app) == plan.version_after)
        time.sleep(0.3)
        # invalid data: refused, logged with its report, the good data stays served
        with caplog.at_level(logging.ERROR, logger="webapp.state"):
            _append_bad_project(data_dir / "projects.csv")
            assert wait_for(lambda: reloader.last_error is not None)
            time.sleep(0.3)
        assert served_version(app) == plan.version_after
        time.sleep(0.2)
    assert hammer.errors == []
    assert len(hammer.statuses) > 50
    assert {s for _, s in hammer.statuses} == {200}, sorted(set(hammer.statuses))
    report = "\n".join(r.getMessage() for r in caplog.records)
    assert "new data refused; still serving version " + plan.version_after in report
    assert re.search(
        r"projects\.csv, row \d+, column host_adcode: '340399' is not an existing adcode", report
    )
    status, new_etag, new_body = fetch(url, etag)
    assert status == 200 and new_etag != etag and new_body != body
    assert "甬蚌新能源电池项目" in new_body.decode()
    assert first != plan.version_after and reloader.reloads == 1


def test_reload_command_forces_a_look(reloading):
    """A change the file's stat does not show (same size, mtime put back) is picked up only
    when ``wanbei-map reload`` touches the trigger file."""
    app, server, reloader, data_dir = reloading
    assert wait_for(lambda: reloader._signature is not None)  # its first look is done
    path = data_dir / "projects.csv"
    before = os.stat(path)
    text = path.read_text(encoding="utf-8")
    changed = text.replace("Yusheng Auto Parts", "Yusheng Auto Partz")
    assert len(changed.encode()) == len(text.encode())
    with open(path, "r+b") as f:  # in place: same inode
        f.write(changed.encode())
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    version = served_version(app)
    time.sleep(5 * INTERVAL)
    assert served_version(app) == version
    assert main(["reload", "--data", str(data_dir)]) == 0
    assert wait_for(lambda: served_version(app) != version)
    assert b"Yusheng Auto Partz" in fetch(server.url + "/downloads/projects.geojson")[2]


def test_reload_command_refuses_invalid_data(data_copy, capsys):
    (data_copy / "places.csv").write_text("adcode\n", encoding="utf-8")
    assert main(["reload", "--data", str(data_copy)]) == 1
    assert "Not reloaded" in capsys.readouterr().out
    assert not (data_copy / ".reload").exists()


def test_no_reloader_when_off(data_copy):
    app = create_app({"TESTING": True, "DATA_DIR": str(data_copy)})
    assert "wanbei.reloader" not in app.extensions
    app = create_app({"TESTING": True, "DATA_DIR": str(data_copy), "RELOAD_INTERVAL": "0"})
    assert "wanbei.reloader" not in app.extensions
    with pytest.raises(ValueError, match="RELOAD_INTERVAL"):
        create_app({"TESTING": True, "DATA_DIR": str(data_copy), "RELOAD_INTERVAL": "soon"})


def test_a_request_keeps_the_data_it_started_with(data_copy):
    """served() returns the same object for a whole request, even across a swap."""
    from webapp.state import build, served

    app = create_app({"TESTING": True, "DATA_DIR": str(data_copy)})
    with app.test_request_context("/"):
        first = served()
        app.extensions["wanbei"] = build(first.dataset)
        assert served() is first
    with app.test_request_context("/"):
        assert served() is app.extensions["wanbei"] is not first
