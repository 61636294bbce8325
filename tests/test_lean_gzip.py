"""The lean map payloads are kept gzip-compressed, written piece by piece, and are still the
payloads of the former rule (one ``dumps`` of the whole payload), byte for byte once decompressed;
``/api/lean`` serves the stored bytes to a client that accepts gzip and the text to any other.
"""

from __future__ import annotations

import gzip
import json
import math
import zlib

import numpy as np
import pandas as pd
import pytest

import layers.lean as lean_module
from geo.dataset import CsvStore
from layers.geojson import DECIMALS, dumps
from layers.i18n import LANGS
from layers.lean import LEAN_TYPE, LeanBody, lean_json, lean_payload, lean_properties, prepare_lean
from layers.localize import localize_frame
from layers.registry import LAYERS, REGISTRY
from webapp import DEFAULT_DATA_DIR

SITES = 2000


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """The shipped data with 2,000 synthetic project sites (``bench/synth.py``)."""
    from bench.synth import generate

    path = generate(DEFAULT_DATA_DIR, tmp_path_factory.mktemp("lean") / "data", SITES, 3)
    return CsvStore(path).load()


@pytest.fixture(scope="module")
def shipped():
    return CsvStore(DEFAULT_DATA_DIR).load()


def _plain(v):
    """A cell as JSON: missing values are null, numpy scalars Python ones."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float | np.floating):
        return None if math.isnan(v) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    return v


def former_payload(spec, gdf, version):
    """The payload as the former ``prepare_lean`` built it: one dict, dumped whole."""
    geoms = gdf.geometry
    present = (geoms.notna() & ~geoms.is_empty).to_numpy()
    xy = [(g.x, g.y) if p else (math.nan, math.nan) for g, p in zip(geoms, present, strict=True)]
    xy = np.round(np.array(xy, dtype=float).reshape(-1, 2), DECIMALS)
    lon, lat = ([None if math.isnan(v) else v for v in xy[:, k].tolist()] for k in (0, 1))
    properties = {}
    for name in lean_properties(spec, gdf.columns):
        values = gdf[name].astype(object)
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
        if len(uniques) > len(values) / 2:
            properties[name] = {"list": [_plain(v) for v in values]}
        else:
            properties[name] = {"values": [_plain(v) for v in uniques], "codes": codes.tolist()}
    return {
        "type": LEAN_TYPE,
        "layer": spec.id,
        "version": version,
        "count": len(gdf),
        "ids": [_plain(v) for v in gdf["id"]],
        "lon": lon,
        "lat": lat,
        "properties": properties,
    }


def _point_specs(dataset):
    return [s for s in REGISTRY if s.geometry == "point" and s.id in dataset.layers]


@pytest.mark.parametrize("data", ["shipped", "synthetic"])
def test_the_stored_payloads_are_the_former_ones_gzipped(request, data, monkeypatch):
    monkeypatch.setattr(lean_module, "CHUNK", 333)  # lists cut in pieces, a short last one
    dataset = request.getfixturevalue(data)
    bodies = prepare_lean(dataset).bodies
    specs = _point_specs(dataset)
    assert specs and set(bodies) == {(s.id, lang) for s in specs for lang in LANGS}
    for spec in specs:
        for lang in LANGS:
            body = bodies[(spec.id, lang)]
            assert isinstance(body, LeanBody)
            frame = localize_frame(dataset.layers[spec.id], lang)
            expected = dumps(former_payload(spec, frame, dataset.version))
            text = gzip.decompress(body.data)
            assert text == expected, (spec.id, lang)
            assert body.size == len(expected)
            assert len(body.data) < len(expected)
            assert lean_payload(spec, frame, dataset.version) == former_payload(
                spec, frame, dataset.version
            )
    projects = bodies[("projects", "zh-Hans")]
    if data == "synthetic":  # compressed: a fraction of the text
        assert len(projects.data) * 3 < projects.size


def test_missing_points_and_values_are_null(shipped):
    spec = LAYERS["projects"]
    gdf = shipped.layers["projects"].copy()
    gdf.loc[gdf.index[0], gdf.geometry.name] = None
    gdf.loc[gdf.index[1], "status"] = None
    body = lean_json(spec, gdf, "v")
    payload = json.loads(gzip.decompress(body.data))
    assert payload["lon"][0] is None and payload["lat"][0] is None
    assert gzip.decompress(body.data) == dumps(former_payload(spec, gdf, "v"))


def test_the_text_is_written_and_compressed_a_chunk_at_a_time(synthetic, monkeypatch):
    """No piece handed to the compressor is near the whole text: it is never held whole."""
    monkeypatch.setattr(lean_module, "CHUNK", 100)
    spec, gdf = LAYERS["projects"], synthetic.layers["projects"]
    sizes = []
    original = zlib.compressobj

    class Spy:
        def __init__(self, *args):
            self._inner = original(*args)

        def compress(self, data):
            sizes.append(len(data))
            return self._inner.compress(data)

        def flush(self):
            return self._inner.flush()

    monkeypatch.setattr(lean_module.zlib, "compressobj", Spy)
    body = lean_json(spec, gdf, synthetic.version)
    assert sum(sizes) == body.size
    assert max(sizes) < body.size / 20
    assert gzip.decompress(body.data) == dumps(former_payload(spec, gdf, synthetic.version))


@pytest.mark.parametrize("lang", LANGS)
def test_api_lean_sends_the_stored_gzip_or_the_text(app, client, lang):
    from webapp.state import served

    url = f"/api/lean/places.json?lang={lang}"
    with app.test_request_context(url):
        body = served().lean.bodies[("places", lang)]
    text = gzip.decompress(body.data)

    packed = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert packed.status_code == 200 and packed.mimetype == "application/json"
    assert packed.headers["Content-Encoding"] == "gzip"
    assert packed.get_data() == body.data  # the stored bytes, not compressed again
    assert "Accept-Encoding" in packed.headers["Vary"]

    plain = client.get(url)
    assert plain.status_code == 200 and plain.mimetype == "application/json"
    assert "Content-Encoding" not in plain.headers
    assert int(plain.headers["Content-Length"]) == body.size == len(text)
    assert plain.get_data() == text
    assert plain.get_json()["type"] == LEAN_TYPE
    assert plain.headers["ETag"] == packed.headers["ETag"]

    for headers in ({}, {"Accept-Encoding": "gzip"}):
        again = client.get(url, headers={"If-None-Match": plain.headers["ETag"], **headers})
        assert again.status_code == 304 and not again.get_data()
