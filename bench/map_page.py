"""Map page size and latency: our page against a naive folium page, at 1k, 10k and 100k sites.

Ours: the page (HTML) and its map script (``/map.js``) carry no feature; the browser fetches each
layer's GeoJSON. The baseline is the naive folium page many projects start with: every project
site a ``folium.Marker`` (with its name as tooltip), the other layers as inlined ``folium.GeoJson``,
all in one HTML file rendered per request.

The N synthetic project sites come from ``bench/synth.py`` (the shipped data with its
``projects.csv`` replaced by N valid sites); the dataset is loaded and validated once per N,
outside the timings.

Figures, per N, side by side and as ratios (naive / ours):

- ``page``: bytes the browser gets before any layer data (ours: HTML + map.js; naive: the page);
- ``all``: bytes including every layer's data (ours: + every layer's GeoJSON download);
- ``build``: from the loaded dataset to the first page (ours: the app with every layer's
  GeoJSON bytes, the map, the page and its script; naive: building and rendering the map);
- ``request``: median time to answer one more request for the page (ours: ``/`` and ``/map.js``
  through Flask's test client, served from the per-version cache; naive: rendering again).

Run: ``.venv/bin/python bench/map_page.py [--sizes 1000 10000 100000] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import folium

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "bench"))

from synth import generate  # noqa: E402

from geo.dataset import CsvStore, Dataset  # noqa: E402
from webapp import DEFAULT_DATA_DIR, create_app  # noqa: E402


def synthetic(n: int, seed: int) -> Dataset:
    """The shipped data with N synthetic project sites (bench/synth.py), loaded and validated."""
    target = ROOT / ".cache" / "bench" / f"map-page-{n}"
    generate(DEFAULT_DATA_DIR, target, n, seed)
    return CsvStore(target).load()


class _Loaded:
    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset

    def load(self) -> Dataset:
        return self.dataset


def ours(dataset: Dataset, repeat: int) -> dict[str, float]:
    """Build the app on ``dataset``; measure its page."""
    started = time.perf_counter()
    app = create_app({"TESTING": True, "STORE": _Loaded(dataset)})
    client = app.test_client()
    page, script = client.get("/"), client.get("/map.js")
    build = time.perf_counter() - started
    assert page.status_code == script.status_code == 200
    layers = list(app.extensions["wanbei"].geojson.values())  # each layer's text, kept gzipped
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        client.get("/").close()
        client.get("/map.js").close()
        times.append(time.perf_counter() - t)
    return {
        "page": len(page.data) + len(script.data),
        # the layers' GeoJSON as the downloads give it (decompressed)
        "all": len(page.data) + len(script.data) + sum(text.size for text in layers),
        "build": build,
        "request": statistics.median(times),
    }


def naive_map(dataset: Dataset) -> folium.Map:
    """Every project site a marker, every other layer an inlined GeoJson: the naive page."""
    m = folium.Map(location=[32.5, 117.5], zoom_start=7)
    for layer_id, gdf in dataset.layers.items():
        if layer_id == "projects":
            group = folium.FeatureGroup(name=layer_id).add_to(m)
            for name, point in zip(gdf["name_zh"], gdf.geometry, strict=True):
                folium.Marker([point.y, point.x], tooltip=name).add_to(group)
        else:
            folium.GeoJson(gdf.to_json(), name=layer_id).add_to(m)
    folium.LayerControl().add_to(m)
    return m


def naive(dataset: Dataset, repeat: int) -> dict[str, float]:
    """Build and render the naive folium page of ``dataset``."""
    started = time.perf_counter()
    html = naive_map(dataset).get_root().render()
    build = time.perf_counter() - started
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        naive_map(dataset).get_root().render()
        times.append(time.perf_counter() - t)
    size = len(html.encode("utf-8"))
    return {"page": size, "all": size, "build": build, "request": statistics.median(times)}


def _size(b: float) -> str:
    return f"{b / 1e6:.2f} MB" if b >= 1e6 else f"{b / 1e3:.1f} KB"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    p.add_argument("--repeat", type=int, default=5, help="requests timed per figure")
    p.add_argument("--seed", type=int, default=20211209, help="seed of bench/synth.py")
    args = p.parse_args(argv)
    rows = []
    for n in args.sizes:
        dataset = synthetic(n, args.seed)
        a = ours(dataset, args.repeat)
        # The naive page is slow to render at 100k: fewer repeats there.
        b = naive(dataset, max(1, args.repeat if n < 50_000 else 1))
        rows.append((n, a, b))
        print(
            f"n={n}: ours page {_size(a['page'])}, all {_size(a['all'])}, "
            f"build {a['build']:.2f} s, request {a['request'] * 1e3:.2f} ms | naive page "
            f"{_size(b['page'])}, build {b['build']:.2f} s, request {b['request'] * 1e3:.0f} ms",
            file=sys.stderr,
            flush=True,
        )
    print(
        "| sites | page: ours | page: naive | ratio | all bytes: ours | all: naive | ratio "
        "| build: ours | build: naive | ratio | request: ours | request: naive | ratio |"
    )
    print("|" + "---|" * 13)
    for n, a, b in rows:
        print(
            f"| {n:,} | {_size(a['page'])} | {_size(b['page'])} | {b['page'] / a['page']:.0f}× "
            f"| {_size(a['all'])} | {_size(b['all'])} | {b['all'] / a['all']:.1f}× "
            f"| {a['build']:.2f} s | {b['build']:.2f} s | {b['build'] / a['build']:.1f}× "
            f"| {a['request'] * 1e3:.2f} ms | {b['request'] * 1e3:.0f} ms "
            f"| {b['request'] / a['request']:.0f}× |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
