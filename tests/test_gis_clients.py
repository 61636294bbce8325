"""Real GIS clients read the OGC API: GDAL's OAPIF driver (through pyogrio) and OWSLib.

The app runs in a child process on a loopback port: GDAL fetches the next page while pyogrio
holds the GIL, so a server thread in the test process would never answer. That app serves pages
of at most 10 features, so every layer over 10 features is read across several pages.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request

import pandas as pd
import pyogrio
import pytest
import shapely

from layers.registry import LAYERS, REGISTRY
from webapp import DEFAULT_DATA_DIR

PAGE_MAX = 10
GDAL_DATE = re.compile(r"\d{4}/\d{2}/\d{2}")
SERVER = (
    f"PAGE_MAX = {PAGE_MAX}\n"
    """
import sys
from werkzeug.serving import make_server
from webapp import create_app

app = create_app({"DATA_DIR": sys.argv[1], "OGC_LIMIT_DEFAULT": 4, "OGC_LIMIT_MAX": PAGE_MAX})


@app.before_request
def count():
    from flask import request
    if request.path.endswith("/items"):
        print("ITEMS", request.full_path, flush=True)


server = make_server("127.0.0.1", 0, app, threaded=True)
print(server.server_port, flush=True)
server.serve_forever()
"""
)


class Server:
    """The app in a child process, and the items requests it has served."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(DEFAULT_DATA_DIR)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.url = f"http://127.0.0.1:{int(self.proc.stdout.readline())}/ogc"
        self.requests: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            if line.startswith("ITEMS "):
                self.requests.append(line.split(" ", 1)[1].strip())

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.reader.join(timeout=5)
        self.proc.stdout.close()


@pytest.fixture(scope="module")
def server():
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    running = Server()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def ogc_url(server):
    return server.url


@pytest.fixture(scope="module")
def layers(app):
    return app.extensions["wanbei"].dataset.layers


def same(a, b) -> bool:
    """A value GDAL read equals the layer's (missing equals missing; numbers by value)."""
    if pd.isna(a) or pd.isna(b):
        return bool(pd.isna(a) and pd.isna(b))
    if isinstance(a, pd.Timestamp):  # a property the schema calls a date (all YYYY-MM-DD)
        return a.strftime("%Y-%m-%d") == str(b)
    if isinstance(a, str) and GDAL_DATE.fullmatch(a):
        # GDAL parses each page on its own: in a page whose dates are all full, it reads them
        # as dates, then writes them into the text field (the schema's type) as YYYY/MM/DD
        return a.replace("/", "-") == str(b)
    if isinstance(a, float) or isinstance(b, float):
        return float(a) == pytest.approx(float(b))
    return str(a) == str(b)


def test_gdal_oapif_is_available():
    assert "OAPIF" in pyogrio.list_drivers(), "pyogrio's GDAL lacks the OAPIF driver"


def test_gdal_lists_every_collection(ogc_url):
    url = ogc_url
    listed = pyogrio.list_layers(f"OAPIF:{url}")
    assert listed[:, 0].tolist() == [s.id for s in REGISTRY]
    kinds = dict(zip(listed[:, 0], listed[:, 1], strict=True))
    assert kinds["places"] == "Point" and kinds["pairings"] == "LineString"


@pytest.mark.parametrize("layer_id", list(LAYERS))
def test_gdal_reads_every_feature_with_attributes(ogc_url, layers, layer_id):
    url = ogc_url
    got = pyogrio.read_dataframe(f"OAPIF:{url}", layer=layer_id)
    gdf = layers[layer_id]
    assert got.crs is not None and got.crs.equals("OGC:CRS84")
    assert got["id"].tolist() == [str(i) for i in gdf["id"]]
    for name in gdf.columns.drop("geometry"):
        for a, b in zip(got[name], gdf[name], strict=True):
            assert same(a, b), (layer_id, name, a, b)
    for g, e in zip(got.geometry, gdf.geometry, strict=True):
        assert shapely.equals_exact(g, e, tolerance=1.5e-6)


def test_gdal_keeps_partial_dates_past_the_first_page(ogc_url, layers):
    """A YYYY or YYYY-MM date after a first page of full dates survives: the schema says text.

    Without the schema, GDAL types ``date`` from the first page (full dates: a Date field) and
    reads the later 2026 and 2024-09 as null.
    """
    dates = layers["projects"]["date"].reset_index(drop=True)
    first = dates[:PAGE_MAX].dropna().astype(str)
    assert len(first) and (first.str.len() == len("YYYY-MM-DD")).all()
    partial = dates[PAGE_MAX:].dropna().astype(str)
    partial = partial[partial.str.len() < len("YYYY-MM-DD")]
    assert len(partial), "no partial date past the first page"
    info = pyogrio.read_info(f"OAPIF:{ogc_url}", layer="projects")
    assert dict(zip(info["fields"], info["dtypes"], strict=True))["date"] == "object"
    got = pyogrio.read_dataframe(f"OAPIF:{ogc_url}", layer="projects")
    assert got["date"][partial.index].tolist() == partial.tolist()


def test_gdal_pages_through_a_collection_bigger_than_a_page(server, layers):
    gdf = layers["boundaries"]
    assert len(gdf) > 3 * PAGE_MAX
    server.requests.clear()
    got = pyogrio.read_dataframe(f"OAPIF:{server.url}", layer="boundaries")
    assert got["id"].tolist() == [str(i) for i in gdf["id"]]
    # The child's request log is read by a thread: give it a moment to catch up.
    deadline = time.monotonic() + 10
    while True:
        pages = [r for r in list(server.requests) if "/boundaries/items" in r and "offset=" in r]
        if len(pages) >= len(gdf) // PAGE_MAX or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(pages) >= len(gdf) // PAGE_MAX, server.requests


def test_gdal_pushes_filters_to_the_server(ogc_url, layers):
    url = ogc_url
    parks = layers["parks"]
    got = pyogrio.read_dataframe(f"OAPIF:{url}", layer="parks", where="status = 'licensed'")
    assert got["id"].tolist() == [str(i) for i in parks["id"][parks["status"] == "licensed"]]
    box = (116.0, 32.0, 118.0, 34.0)
    got = pyogrio.read_dataframe(f"OAPIF:{url}", layer="boundaries", bbox=box)
    bounds = layers["boundaries"]
    expected = bounds["id"][bounds.geometry.intersects(shapely.box(*box))]
    assert set(got["id"]) == {str(i) for i in expected}


def test_owslib_reads_the_api(ogc_url, layers):
    from owslib.ogcapi.features import Features

    url = ogc_url
    api = Features(url)
    assert (
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
        in (api.conformance()["conformsTo"])
    )
    assert [c["id"] for c in api.collections()["collections"]] == [s.id for s in REGISTRY]
    assert api.collection("parks")["id"] == "parks"
    assert set(api.collection_queryables("projects")["properties"]) == set(
        LAYERS["projects"].queryables
    )
    gdf = layers["boundaries"]
    seen, offset = [], 0
    while True:
        page = api.collection_items("boundaries", limit=PAGE_MAX, offset=offset)
        assert page["numberMatched"] == len(gdf)
        seen += [f["id"] for f in page["features"]]
        if not any(link["rel"] == "next" for link in page["links"]):
            break
        offset += PAGE_MAX
    assert seen == [str(i) for i in gdf["id"]]
    licensed = api.collection_items("parks", status="licensed", limit=PAGE_MAX)
    parks = layers["parks"]
    assert licensed["numberMatched"] == int((parks["status"] == "licensed").sum())
    feature = api.collection_item("parks", str(parks["id"].iloc[0]))
    assert feature["properties"]["name_zh"] == parks["name_zh"].iloc[0]


def test_api_document_is_what_gdal_read(ogc_url):
    url = ogc_url
    with urllib.request.urlopen(f"{url}/api") as r:
        doc = json.load(r)
    limit = next(
        p
        for p in doc["paths"]["/collections/boundaries/items"]["get"]["parameters"]
        if p["name"] == "limit"
    )
    assert limit["schema"]["maximum"] == PAGE_MAX
