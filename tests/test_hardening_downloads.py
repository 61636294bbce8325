"""Filtered downloads cannot pile up work (issue 15, defect 3): a few are built at once, the
others are refused at once with 503 and Retry-After instead of being queued."""

from __future__ import annotations

import threading
import time

from layers import features as feat
from webapp import create_app

FILTERED = "/downloads/parks.geojson?bbox=110,20,125,40"


def test_filtered_builds_beyond_the_bound_get_503_with_retry_after(monkeypatch):
    app = create_app({"TESTING": True, "DOWNLOAD_BUILDS": 1})
    started, release = threading.Event(), threading.Event()
    real = feat.write_feature_collection

    def slow(*args, **kwargs):
        started.set()
        release.wait(20)
        return real(*args, **kwargs)

    monkeypatch.setattr(feat, "write_feature_collection", slow)
    results = []
    first = threading.Thread(target=lambda: results.append(app.test_client().get(FILTERED)))
    first.start()
    try:
        assert started.wait(20)
        client = app.test_client()
        begun = time.monotonic()
        refused = client.get("/downloads/places.geojson?bbox=110,20,125,40")
        assert time.monotonic() - begun < 5, "refused at once, not queued behind the build"
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "10"
        assert refused.get_json()["code"] == "ServiceUnavailable"
        assert client.get("/downloads/parks.geojson").status_code == 200  # whole: no build
        assert client.get("/").status_code == 200
    finally:
        release.set()
        first.join(timeout=30)
    assert results[0].status_code == 200
    assert app.test_client().get(FILTERED).status_code == 200  # the slot is free again


def test_a_failed_build_frees_its_slot(monkeypatch):
    app = create_app({"TESTING": True, "DOWNLOAD_BUILDS": 1})

    def broken(*args, **kwargs):
        raise RuntimeError("writer failed")

    monkeypatch.setattr(feat, "write_feature_collection", broken)
    client = app.test_client()
    assert client.get(FILTERED).status_code == 500
    monkeypatch.undo()
    assert client.get(FILTERED).status_code == 200


def test_a_build_stops_when_the_server_says_its_client_hung_up(monkeypatch):
    app = create_app({"TESTING": True})
    writes = []
    real = feat.write_feature_collection

    def counting(collection, positions, out):
        writes.append(out)
        return real(collection, positions, out)

    monkeypatch.setattr(feat, "write_feature_collection", counting)
    client = app.test_client()
    gone = client.get(FILTERED, environ_overrides={"waitress.client_disconnected": lambda: True})
    assert gone.status_code == 499 and gone.data == b""
    here = client.get(FILTERED, environ_overrides={"waitress.client_disconnected": lambda: False})
    assert here.status_code == 200 and here.get_json()["features"]
    assert len(writes) == 2
    assert client.get(FILTERED).status_code == 200  # the slot was given back
