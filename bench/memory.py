"""Server memory and cold start of ``wanbei-map serve``, with the shipped data and with synthetic
project sites (``bench/synth.py``); and the time a reload takes to prepare a data version.

For each data directory (the shipped ``data/``, then 1k / 10k / 100k sites), a fresh
``wanbei-map serve --data DIR`` process (waitress, 4 threads) is started and measured:

- ``cold start``: from the process's start to the first 200 on ``/``;
- ``RSS``: the resident memory of the process (``VmRSS`` in ``/proc/PID/status``) after that
  first page, after warm-up (``/map.js``, every layer's GeoJSON, also in English and Traditional
  Chinese, the officials' JSON, then every layer in every download format, the zip of
  everything and a KML download filtered to every project), and after ``--requests`` more
  requests (items pages, bbox queries, filtered downloads in each format, the page); the
  peak (``VmHWM``) too, which covers the first build of each download;
- ``prepare``: in this process, loading and validating the directory, then
  :func:`webapp.state.build` with every preparer of the app (the layers' GeoJSON, the OGC catalog,
  the officials' summaries) — what a reload does before it swaps the new data in.

The ratios are against the shipped data (a baseline of the same server, not another product).

``--pages`` (with the largest size) also times how a page of features is assembled, side by
side: from one ``bytes`` object per feature (the layout before issue 7's memory work), from
slices of one uncompressed whole-layer text (its first step), both rebuilt here from the same
text, and from the blocks of the gzipped text that is kept now (each block a page needs is
inflated); and the memory each layout holds.

Run: ``.venv/bin/python bench/memory.py [--sizes 1000 10000 100000] [--requests 300] [--pages]``.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from synth import generate  # noqa: E402

from geo.dataset import CsvStore  # noqa: E402
from layers import features as feat  # noqa: E402
from layers.formats import FORMATS, ZIP_NAME  # noqa: E402
from layers.registry import LAYERS  # noqa: E402
from webapp import DEFAULT_DATA_DIR, create_app, state  # noqa: E402

CLI = ROOT / ".venv" / "bin" / "wanbei-map"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of ``pid`` in bytes."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) * 1024
    return out


def _get(url: str) -> int:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


#: The page's own data, fetched first when a server is warmed up.
WARM = ("/map.js", "/api/pairs.json", "/api/search.json", "/api/stats.json")


def wait_ready(proc: subprocess.Popen, base: str, label: str) -> None:
    """Wait until the server ``proc`` answers 200 on ``base + "/"``; exit if it stops."""
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"the server of {label} exited with {proc.returncode}")
        try:
            if _get(base + "/") == 200:
                return
        except OSError:
            time.sleep(0.05)


def _requests(n: int) -> list[str]:
    paths = []
    for i in range(n):
        k = i % 6
        w, s = 115.5 + (i % 20) * 0.1, 32.0 + (i % 15) * 0.1
        if k == 0:
            paths.append(f"/ogc/collections/projects/items?limit=1000&offset={(i * 997) % 90000}")
        elif k == 1:
            paths.append(f"/ogc/collections/projects/items?bbox={w},{s},{w + 0.5},{s + 0.5}")
        elif k == 2:
            ext = ("csv", "kml", "gpkg", "geojson")[(i // 6) % 4]
            paths.append(f"/downloads/projects.{ext}?bbox={w},{s},{w + 0.3},{s + 0.3}")
        elif k == 3:
            paths.append("/")
        elif k == 4:
            paths.append("/ogc/collections/projects/items?f=html&limit=50")
        else:
            paths.append(f"/downloads/{list(LAYERS)[i % len(LAYERS)]}.geojson")
    return paths


def serve(data_dir: Path, requests: int) -> dict[str, float]:
    """Start a server of ``data_dir``; measure its cold start and memory; stop it."""
    port = _free_port()
    env = {**os.environ, "WANBEI_RELOAD_INTERVAL": "0"}
    env.pop("WANBEI_DATABASE_URL", None)
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(CLI), "serve", "--data", str(data_dir), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(proc, base, str(data_dir))
        cold = time.perf_counter() - started
        first = _status(proc.pid)["VmRSS"]
        warm = list(WARM)
        warm += [
            f"/api/layers/{i}.geojson?lang={lang}" for i in LAYERS for lang in ("en", "zh-Hant")
        ]
        # every download: each layer in each format, and the zip of everything (built once per
        # data version, on disk); then a filtered download that matches every project
        warm += [f"/downloads/{i}.{ext}" for i in LAYERS for ext in FORMATS]
        warm += [f"/downloads/{ZIP_NAME}", "/downloads/projects.kml?bbox=100,10,130,50"]
        for path in warm:
            assert _get(base + path) == 200, path
        warmed = _status(proc.pid)["VmRSS"]
        for path in _requests(requests):
            assert _get(base + path) == 200, path
        after = _status(proc.pid)
        return {
            "cold": cold,
            "first": first,
            "warm": warmed,
            "after": after["VmRSS"],
            "peak": after["VmHWM"],
        }
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def prepare(data_dir: Path) -> tuple[float, float]:
    """Seconds to load and validate ``data_dir``, and to build what is served from it."""
    app = create_app({"TESTING": True, "DATA_DIR": str(DEFAULT_DATA_DIR)})
    t = time.perf_counter()
    dataset = CsvStore(data_dir).load()
    loaded = time.perf_counter() - t
    t = time.perf_counter()
    built = state.build(dataset, state.preparers_of(app))
    elapsed = time.perf_counter() - t
    assert set(built.prepared) == set(state.preparers_of(app))
    return loaded, elapsed


def pages(data_dir: Path, repeat: int = 20) -> list[tuple[str, int, float, float, float]]:
    """Seconds to assemble pages of projects: one bytes per feature and slices of the plain
    text (before) vs inflated blocks of the gzipped text (now); then the bytes each holds."""
    dataset = CsvStore(data_dir).load()
    c = feat.catalog_of(dataset).get("projects")
    body = c.text.body  # the former layouts, rebuilt from the same text
    starts, ends = c.text.starts, c.text.ends
    fragments = [body[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]

    def sliced(p: np.ndarray) -> bytes:  # the former GeoJsonText.features, on the plain text
        cut = np.flatnonzero(np.diff(p) != 1) + 1
        first, last = p[np.concatenate(([0], cut))], p[np.concatenate((cut, [p.size])) - 1]
        view = memoryview(body)
        spans = zip(starts[first].tolist(), ends[last].tolist(), strict=True)
        return b",".join([view[a:b] for a, b in spans])

    n = len(c)
    box = feat.Query(bbox=(116.5, 32.5, 117.8, 33.8))
    selected = c.select(box)
    cases = [
        (
            "page of 1,000 (offset walk)",
            [np.arange(o, min(o + 1000, n)) for o in range(0, n, n // 20)],
        ),
        (
            "bbox page of 1,000",
            [selected[o : o + 1000] for o in range(0, len(selected), len(selected) // 20)],
        ),
        ("bbox page of 10", [selected[o : o + 10] for o in range(0, len(selected), 997)]),
        ("one feature", [np.array([i]) for i in range(0, n, 1009)]),
        ("bbox download (every hit)", [selected]),
    ]
    layouts = [
        lambda p: b",".join([fragments[i] for i in p]),
        sliced,
        c.features_json,
    ]
    rows = []
    for label, positions in cases:
        for p in positions:
            assert layouts[0](p) == layouts[1](p) == c.features_json(p), label
        times = []
        for assemble in layouts:
            t = time.perf_counter()
            for _ in range(repeat):
                for p in positions:
                    assemble(p)
            times.append((time.perf_counter() - t) / (repeat * len(positions)))
        rows.append((label, len(positions[0]), *times))
    offsets = starts.nbytes + ends.nbytes
    kept = len(c.text.data) + offsets + c.text.blocks.nbytes + c.text.offsets.nbytes
    held_fragments = sys.getsizeof(fragments) + sum(sys.getsizeof(f) for f in fragments)
    rows.append(("held: text and offsets", n, held_fragments, len(body) + offsets, kept))
    return rows


def _mb(b: float) -> str:
    return f"{b / 2**20:.0f} MB"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    p.add_argument("--requests", type=int, default=300, help="requests after warm-up")
    p.add_argument("--seed", type=int, default=20211209, help="seed of bench/synth.py")
    p.add_argument("--pages", action="store_true", help="also time page assembly (largest size)")
    args = p.parse_args(argv)
    dirs = [("shipped data", DEFAULT_DATA_DIR)]
    for n in args.sizes:
        target = ROOT / ".cache" / "bench" / f"memory-{n}"
        generate(DEFAULT_DATA_DIR, target, n, args.seed)
        dirs.append((f"{n:,} sites", target))
    rows = []
    for label, data_dir in dirs:
        m = serve(data_dir, args.requests)
        loaded, built = prepare(data_dir)
        rows.append((label, m, loaded, built))
        print(
            f"{label}: cold start {m['cold']:.2f} s; RSS {_mb(m['first'])} → {_mb(m['warm'])} "
            f"→ {_mb(m['after'])} (peak {_mb(m['peak'])}); load {loaded:.2f} s, "
            f"prepare {built:.2f} s",
            file=sys.stderr,
            flush=True,
        )
    base = rows[0][1]
    print(
        "| data | cold start | ratio | RSS after first / | RSS warmed up | RSS after "
        f"{args.requests} requests | peak RSS | ratio (peak) | load + validate | prepare |"
    )
    print("|" + "---|" * 10)
    for label, m, loaded, built in rows:
        print(
            f"| {label} | {m['cold']:.2f} s | {m['cold'] / base['cold']:.1f}× "
            f"| {_mb(m['first'])} | {_mb(m['warm'])} | {_mb(m['after'])} | {_mb(m['peak'])} "
            f"| {m['peak'] / base['peak']:.1f}× | {loaded:.2f} s | {built:.2f} s |"
        )
    if args.pages:
        print()
        print(
            "| projects: assembling | features | one bytes per feature (before) "
            "| slices of the plain text (before) | blocks of the gzipped text (now) "
            "| one bytes per feature / now | slices / now |"
        )
        print("|---|---|---|---|---|---|---|")
        for label, count, fragments, sliced, now in pages(dirs[-1][1]):
            unit = _mb if label.startswith("held") else (lambda s: f"{s * 1e3:.3f} ms")
            print(
                f"| {label} | {count:,} | {unit(fragments)} | {unit(sliced)} | {unit(now)} "
                f"| {fragments / now:.2f}× | {sliced / now:.2f}× |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
