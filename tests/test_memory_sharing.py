"""One copy of each layer's GeoJSON text, kept gzipped in blocks that inflate on their own and
shared by the downloads and the OGC API's pages; the localized layers kept gzipped (issue 7,
server memory).

Every page and download must stay byte for byte what it was when each feature's text was a
separate fragment: these tests rebuild that from the whole-layer body and compare.
"""

from __future__ import annotations

import gzip
import json
import zlib

import numpy as np
import pytest

from geo.dataset import CsvStore
from layers import features as feat
from layers.geojson import (
    BLOCK,
    GeoJsonText,
    dumps,
    geojson_text,
    gzip_geojson,
    to_feature_collection,
    to_geojson_bytes,
)
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
        assert served.geojson[layer_id] is c.text, layer_id  # the same object, not a copy
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
    with app.app_context():
        localized = served.localized  # built with the data (on first use under TESTING)
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


# --- the text kept gzipped, in blocks ------------------------------------------------------------


def _one_member(text: GeoJsonText) -> bytes:
    """The content of ``text.data``, checked to be a single gzip member as browsers read it."""
    inflate = zlib.decompressobj(31)
    content = inflate.decompress(text.data) + inflate.flush()
    assert inflate.eof and inflate.unused_data == b""
    assert gzip.decompress(text.data) == content
    return content


def _blocks_hold_whole_features(text: GeoJsonText) -> None:
    assert text.blocks[0] == 0 and text.blocks[-1] == text.size
    assert len(text.offsets) == len(text.blocks)
    assert (np.diff(text.blocks) > 0).all() and (np.diff(text.offsets) > 0).all()
    k_first = np.searchsorted(text.blocks, text.starts, side="right") - 1
    k_last = np.searchsorted(text.blocks, text.ends - 1, side="right") - 1
    assert (k_first == k_last).all(), "a feature lies in one block"


@pytest.mark.parametrize("block", [None, 1, 200, 3000])
@pytest.mark.parametrize("layer_id", ["boundaries", "places", "pairings"])
def test_the_kept_text_is_one_gzip_member_with_blocks_that_inflate_alone(dataset, layer_id, block):
    gdf = dataset.layers[layer_id]
    text = geojson_text(gdf, block=block)
    expected = dumps(to_feature_collection(gdf))
    assert _one_member(text) == expected == text.body == to_geojson_bytes(gdf)
    assert text.size == len(expected)
    _blocks_hold_whole_features(text)
    for k in range(len(text.blocks) - 1):
        deflated = text.data[text.offsets[k] : text.offsets[k + 1]]
        assert (
            zlib.decompressobj(-15).decompress(deflated)
            == expected[text.blocks[k] : text.blocks[k + 1]]
        )
    if block == 1:  # every feature starts a block of its own (the first one, after the head)
        assert len(text.blocks) == 1 + len(gdf) + 1
        assert text.blocks[1:-1].tolist() == text.starts.tolist()
    if block is None:
        widths = np.diff(text.blocks)
        longest = int((text.ends - text.starts).max())
        assert widths.max() <= max(BLOCK, longest + 1)  # a feature, its comma


@pytest.mark.parametrize("block", [1, 150, 2000])
def test_features_spanning_block_edges_are_the_plain_text(dataset, block):
    gdf = dataset.layers["places"]
    text = geojson_text(gdf, block=block)
    assert len(text.blocks) > 3, "several blocks"
    fragments = [dumps(f) for f in to_feature_collection(gdf)["features"]]
    n = len(fragments)
    rng = np.random.default_rng(11)
    picks = [np.arange(n), np.arange(3, n - 2), rng.permutation(n), np.array([n - 1, 0, n - 1])]
    for edge in text.blocks[1:-1]:  # around each block edge
        i = int(np.searchsorted(text.starts, edge))
        assert text.starts[i] == edge
        picks += [np.arange(max(0, i - 2), min(n, i + 2)), np.array([max(0, i - 1)]), [i]]
    for positions in picks:
        assert text.features(positions) == b",".join(fragments[i] for i in positions)
    for i in range(n):
        assert text.feature(i) == fragments[i]
    with pytest.raises(IndexError):
        text.features(np.array([-1]))
    with pytest.raises(IndexError):
        text.feature(n)


def test_a_feature_bigger_than_a_block_is_a_block_of_its_own(dataset):
    gdf = dataset.layers["boundaries"]
    fragments = [dumps(f) for f in to_feature_collection(gdf)["features"]]
    lengths = [len(f) for f in fragments]
    big = int(np.argmax(lengths))
    block = lengths[big] // 2
    assert 0 < big < len(gdf) - 1 and sorted(lengths)[-2] < lengths[big], "one feature is big"
    text = geojson_text(gdf, block=block)
    k = int(np.searchsorted(text.blocks, text.starts[big], side="right")) - 1
    assert text.blocks[k] == text.starts[big]  # it starts its block...
    assert text.blocks[k + 1] == text.starts[big + 1]  # ...and the next feature the next one
    assert text.feature(big) == fragments[big]
    assert text.features([big - 1, big, big + 1]) == b",".join(fragments[big - 1 : big + 2])
    _blocks_hold_whole_features(text)


def test_an_empty_layer_is_an_empty_collection(dataset):
    gdf = dataset.layers["parks"].iloc[:0]
    text = geojson_text(gdf)
    assert len(text) == 0
    assert _one_member(text) == b'{"type":"FeatureCollection","features":[]}' == text.body
    assert text.features([]) == b"" and text.features(np.arange(0)) == b""
    with pytest.raises(IndexError):
        text.feature(0)


@pytest.mark.parametrize("layer_id", ["boundaries", "parks", "projects"])
@pytest.mark.parametrize("path", ["/downloads/{}.geojson", "/api/layers/{}.geojson"])
def test_whole_layer_downloads_are_the_kept_stream_or_its_text(app, client, layer_id, path):
    text = app.extensions["wanbei"].geojson[layer_id]
    expected = dumps(to_feature_collection(app.extensions["wanbei"].dataset.layers[layer_id]))
    url = path.format(layer_id)
    plain = client.get(url)
    assert plain.status_code == 200 and plain.mimetype == "application/geo+json"
    assert plain.data == expected and "Content-Encoding" not in plain.headers
    assert int(plain.headers["Content-Length"]) == len(expected)
    zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert zipped.data == text.data and gzip.decompress(zipped.data) == expected
    assert int(zipped.headers["Content-Length"]) == len(text.data)
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert plain.headers["ETag"] == zipped.headers["ETag"]
    if path.startswith("/downloads"):
        disposition = f'attachment; filename="{layer_id}.geojson"'
        assert plain.headers["Content-Disposition"] == zipped.headers["Content-Disposition"]
        assert plain.headers["Content-Disposition"] == disposition
    for headers in ({}, {"Accept-Encoding": "gzip"}):
        head = client.head(url, headers=headers)
        assert head.status_code == 200 and head.data == b""
        got = client.get(url, headers=headers)
        assert head.headers["Content-Length"] == got.headers["Content-Length"]
        assert head.headers.get("Content-Encoding") == got.headers.get("Content-Encoding")
        again = client.get(url, headers={**headers, "If-None-Match": got.headers["ETag"]})
        assert again.status_code == 304 and again.data == b""


def test_requests_never_decompress_a_whole_layer(client, monkeypatch):
    def refuse(self):
        raise AssertionError("a request decompressed a whole layer's text")

    monkeypatch.setattr(GeoJsonText, "body", property(refuse))
    for url in [
        "/downloads/boundaries.geojson",
        "/api/layers/boundaries.geojson",
        "/downloads/parks.geojson?bbox=100,20,130,40",
        "/ogc/collections/boundaries/items?limit=5&offset=3",
        "/ogc/collections/parks/items?f=html",
    ]:
        for headers in ({}, {"Accept-Encoding": "gzip"}):
            assert client.get(url, headers=headers).status_code == 200, url
    one = json.loads(client.get("/ogc/collections/boundaries/items?limit=1").data)
    fid = one["features"][0]["id"]
    assert client.get(f"/ogc/collections/boundaries/items/{fid}").status_code == 200
    assert client.get(f"/ogc/collections/boundaries/items/{fid}?f=html").status_code == 200
