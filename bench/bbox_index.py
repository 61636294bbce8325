"""bbox selection on the projects layer: our point index against a full scan and an R-tree.

With N synthetic project sites (``bench/synth.py``), :func:`layers.features.build_collection`
prepares the layer as the app does; then ``--boxes`` boxes of each size (a county-sized 0.2°, a
prefecture-sized 1°, and 3°, most of the region), each centred on a random site, are selected
through the collection
(``Collection.select``: the points sorted by longitude, two binary searches, then the latitudes
of the points in between: :class:`layers.features.PointIndex`), by comparing every point's
coordinates with the box (numpy, four vectorised comparisons: what the point layers did before)
and by the layer's STRtree (``GeoDataFrame.sindex.query``, what lines and polygons use). All three
give the same positions (checked); the figure is the median time per box; ratios are the other
method's time over ours.

Run: ``.venv/bin/python bench/bbox_index.py [--sizes 10000 100000] [--boxes 200]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from synth import generate  # noqa: E402

from geo.dataset import CsvStore  # noqa: E402
from layers import features as feat  # noqa: E402
from layers.registry import LAYERS  # noqa: E402
from webapp import DEFAULT_DATA_DIR  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    p.add_argument("--boxes", type=int, default=200)
    p.add_argument("--seed", type=int, default=20211209)
    args = p.parse_args(argv)
    rows = []
    for n in args.sizes:
        target = ROOT / ".cache" / "bench" / f"bbox-{n}"
        generate(DEFAULT_DATA_DIR, target, n, args.seed)
        gdf = CsvStore(target).load().layers["projects"]
        c = feat.build_collection(LAYERS["projects"], gdf)
        x, y = shapely.get_x(c.gdf.geometry.values), shapely.get_y(c.gdf.geometry.values)
        sindex = c.gdf.sindex
        rng = np.random.default_rng(args.seed)
        for size in (0.2, 1.0, 3.0):
            tree, scan, rtree, hits = [], [], [], []
            for _ in range(args.boxes):
                k = rng.integers(len(x))  # a box centred on a random site
                w, s = x[k] - size / 2, y[k] - size / 2
                box = (w, s, w + size, s + size)
                t = time.perf_counter()
                got = c.select(feat.Query(bbox=box))
                tree.append(time.perf_counter() - t)
                t = time.perf_counter()
                want = np.flatnonzero((x >= box[0]) & (x <= box[2]) & (y >= box[1]) & (y <= box[3]))
                scan.append(time.perf_counter() - t)
                t = time.perf_counter()
                hit = np.sort(sindex.query(shapely.box(*box), predicate="intersects"))
                rtree.append(time.perf_counter() - t)
                assert got.tolist() == want.tolist() == hit.tolist()
                hits.append(len(got))
            a, b, r = statistics.median(tree), statistics.median(scan), statistics.median(rtree)
            rows.append((n, size, statistics.median(hits), a, b, r))
            print(
                f"n={n} box {size}°: index {a * 1e6:.0f} µs, scan {b * 1e6:.0f} µs, "
                f"STRtree {r * 1e6:.0f} µs",
                file=sys.stderr,
            )
    print(
        "| sites | box | median hits | ours: sorted index | full scan | ratio | STRtree "
        "(GeoDataFrame.sindex) | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for n, size, hit, a, b, r in rows:
        print(
            f"| {n:,} | {size}° | {hit:,.0f} | {a * 1e6:.0f} µs | {b * 1e6:.0f} µs | {b / a:.1f}× "
            f"| {r * 1e6:.0f} µs | {r / a:.1f}× |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
