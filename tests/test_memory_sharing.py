"""One copy of each layer's GeoJSON text, shared by the downloads and the OGC API's pages; the
localized layers kept gzipped (issue 7, server memory).

Every page and download must stay byte for byte what it was when each feature's text was a
separate fragment: these tests rebuild that from the whole-layer body and compare.
"""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from geo.dataset import CsvStore
from layers import features as feat
from layers.geojson import dumps, geojson_text, gzip_geojson, to_feature_collection
from layers.localize import localize_frame
from layers.registry import LAYERS
from webapp import DEFAULT_DATA_DIR, state

LAYER_IDS = list(LAYERS)


@pytest.fixture(scope="module")
def dataset():
    return CsvStore(DEFAULT_DATA_DIR).load()


@pytest.mark.parametrize("layer_id", LAYER_IDS)
def test_the_text_is_the_collection_and_each_feature_is_a_slice_of_it(dataset, layer_id):
    gdf = dataset.layers[layer_id]
    text = geojson_text(gdf)
    features = to_feature_collection(gdf)["features"]
    assert text.body == dumps({"type": "FeatureCollection", "features": features})
    assert len(text) == len(features) == len(gdf)
    for i, f in enumerate(features):
        assert text.feature(i) == dumps(f)


@pytest.mark.parametrize("layer_id", ["parks", "projects", "boundaries", "pairings"])
def test_any_selection_joins_the_same_bytes_as_separate_fragments(dataset, layer_id):
    text = geojson_text(dataset.layers[layer_id])
    fragments = [text.feature(i) for i in range(len(text))]
    n = len(fragments)
    rng = np.random.default_rng(7)
    picks = [
        np.arange(0),
        np.arange(n),
        np.arange(1, n - 1),
        np.array([n - 1]),
        np.sort(rng.choice(n, size=n // 2, replace=False)),  # sorted, with runs and gaps
        rng.permutation(n)[: n // 3],  # any order
        np.array([p for p in (0, 1, 2, 5, 6, n - 1) if p < n]),
    ]
    for positions in picks:
        expected = b",".join(fragments[i] for i in positions)
        assert text.features(positions) == expected
        assert text.features(positions.tolist()) == expected
    with pytest.raises(IndexError):
        text.features(np.array([n]))


def test_the_downloads_and_the_catalog_share_one_copy_of_the_text(app):
    served = app.extensions["wanbei"]
    catalog = served.prepared["ogc"].catalog
    assert catalog is feat.catalog_of(served.dataset)
    for layer_id in LAYER_IDS:
        c = catalog.get(layer_id)
        assert served.geojson[layer_id] is c.text.body, layer_id  # the same object, not a copy
        assert not hasattr(c, "fragments")


def test_a_rebuilt_dataset_gets_its_own_catalog(dataset):
    again = CsvStore(DEFAULT_DATA_DIR).load()
    assert feat.catalog_of(again) is not feat.catalog_of(dataset)
    assert feat.catalog_of(dataset) is feat.catalog_of(dataset)


def _whole(client, layer_id: str) -> list[dict]:
    return json.loads(client.get(f"/downloads/{layer_id}.geojson").data)["features"]


@pytest.mark.parametrize("layer_id", ["parks", "projects", "boundaries", "places"])
def test_items_pages_are_the_whole_layers_features_at_the_same_positions(backend_client, layer_id):
    whole = _whole(backend_client, layer_id)
    for limit, offset in [
        (1, 0),
        (3, 2),
        (10, max(0, len(whole) - 4)),
        (10_000, 0),
        (5, len(whole)),
    ]:
        r = backend_client.get(
            f"/ogc/collections/{layer_id}/items?f=json&limit={limit}&offset={offset}"
        )
        assert r.status_code == 200
        page = json.loads(r.data)
        assert page["features"] == whole[offset : offset + limit]
        assert page["numberReturned"] == len(whole[offset : offset + limit])
    for f in whole[:3] + whole[-2:]:
        one = json.loads(backend_client.get(f"/ogc/collections/{layer_id}/items/{f['id']}").data)
        assert {k: v for k, v in one.items() if k != "links"} == f


def test_filtered_downloads_and_pages_are_the_whole_layers_features(backend_client):
    whole = _whole(backend_client, "parks")
    xs = sorted(f["geometry"]["coordinates"][0] for f in whole)
    ys = [f["geometry"]["coordinates"][1] for f in whole]
    bbox = (xs[0], min(ys), xs[len(xs) // 2], max(ys))  # the western half: gaps in positions

    def inside(f):
        x, y = f["geometry"]["coordinates"]
        return bbox[0] <= x <= bbox[2] and bbox[1] <= y <= bbox[3]

    expected = [f for f in whole if inside(f)]
    assert 1 < len(expected) < len(whole), "the box must select some, not all"
    query = "bbox=" + ",".join(map(str, bbox))
    download = json.loads(backend_client.get(f"/downloads/parks.geojson?{query}").data)
    assert download["features"] == expected
    page = json.loads(backend_client.get(f"/ogc/collections/parks/items?{query}&limit=2").data)
    assert page["features"] == expected[:2] and page["numberMatched"] == len(expected)


def test_the_localized_layers_are_built_with_the_data_and_kept_gzipped(app, client):
    served = app.extensions["wanbei"]
    localized = served.prepared["localized"]  # built before the first request
    assert set(localized) == {(i, lang) for i in LAYER_IDS for lang in ("en", "zh-Hant")}
    for layer_id in ("parks", "projects"):
        for lang in ("en", "zh-Hant"):
            expected = dumps(
                to_feature_collection(localize_frame(served.dataset.layers[layer_id], lang))
            )
            kept = localized[(layer_id, lang)]
            assert gzip.decompress(kept.data) == expected and kept.size == len(expected)
            url = f"/api/layers/{layer_id}.geojson?lang={lang}"
            plain = client.get(url)
            assert plain.data == expected and "Content-Encoding" not in plain.headers
            assert int(plain.headers["Content-Length"]) == len(expected)
            zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
            assert zipped.headers["Content-Encoding"] == "gzip"
            assert zipped.data == kept.data and gzip.decompress(zipped.data) == expected
            assert "Accept-Encoding" in zipped.headers["Vary"]
            again = client.get(url, headers={"If-None-Match": zipped.headers["ETag"]})
            assert again.status_code == 304


def test_gzip_geojson_is_the_compressed_text(dataset):
    gdf = dataset.layers["partnerships"]
    data, size = gzip_geojson(gdf)
    raw = geojson_text(gdf).body
    assert gzip.decompress(data) == raw and size == len(raw)


def test_a_large_build_releases_memory_and_a_small_one_does_not(dataset, monkeypatch):
    calls = []
    monkeypatch.setattr(state, "release_memory", lambda: calls.append(1))
    state.build(dataset)
    assert calls == []
    monkeypatch.setattr(state, "RELEASE_ABOVE", 10)
    state.build(dataset)
    assert calls == [1]


def test_feature_ids_find_every_feature_and_nothing_else(dataset):
    c = feat.catalog_of(dataset).get("boundaries")
    ids = dataset.layers["boundaries"]["id"].tolist()
    assert [c.feature_index(i) for i in ids] == list(range(len(ids)))
    for missing in ("", "0", ids[0] + "x", "~"):
        with pytest.raises(feat.QueryError, match="has no feature"):
            c.feature_index(missing)
    with pytest.raises(ValueError, match="duplicate"):
        feat.FeatureIds.of(["a", "b", "a"])
