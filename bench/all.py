"""Every figure of issue 12 item 6 in one run, side by side, with one table at the end.

- OGC items at N sites (default 100,000): requests/s of ``/ogc/collections/projects/items``
  against pygeoapi's Parquet provider, for pages and bbox (``bench/ogc_throughput.py``, which
  installs pygeoapi in ``.cache/bench-venv``; needs ``wrk``): at least 20×;
- RSS of ``wanbei-map serve`` at N sites through pages and the big downloads
  (``bench/memory.py``'s run: every download in every format, the zip, 300 requests): the peak
  (VmHWM) at most 500 MiB;
- the map page (HTML and ``/map.js``) at N sites (``bench/map_page.py``): at most 100 KB;
- N sites drawn and interactive in headless Chromium (``bench/browser_load.py``, officials'
  tools ready, median of 3): under 2 s;
- cold start of ``wanbei-map serve`` on the shipped data against importing geopandas, folium,
  flask, pyproj and shapely (``bench/coldstart.py``, medians of 5): at most 2.5×.

Run: ``.venv/bin/python bench/all.py [--sites 100000]`` (or ``make bench``); heavy: about
20 minutes on the 2-core machine. Prints the table as Markdown for ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

SEED = 20211209
MIB = 1024 * 1024


@dataclass
class Figure:
    name: str
    ours: str
    baseline: str
    ratio: str
    bound: str
    ok: bool | None  # None: not measured


def _data(n: int, seed: int) -> Path:
    from synth import generate  # noqa: PLC0415

    from webapp import DEFAULT_DATA_DIR  # noqa: PLC0415

    target = ROOT / ".cache" / "bench" / f"all-{n}"
    generate(DEFAULT_DATA_DIR, target, n, seed)
    return target


def ogc(n: int, seed: int, duration: int) -> list[Figure]:
    work = ROOT / ".cache" / "bench"
    cmd = [sys.executable, str(ROOT / "bench" / "ogc_throughput.py"), "--baselines", "parquet"]
    cmd += ["--projects", str(n), "--seed", str(seed), "--duration", str(duration)]
    cmd += ["--work", str(work)]
    subprocess.run(cmd, check=True)
    results = json.loads((work / "results.json").read_text())["results"]
    out = []
    for scenario in ("pages", "bbox"):
        rows = {r["server"]: r for r in results if r["scenario"] == scenario}
        ours, base = rows["wanbei-map"], rows["pygeoapi parquet"]
        ratio = ours["rps"] / base["rps"] if base["rps"] else float("inf")
        out.append(
            Figure(
                f"OGC items, {scenario}, {n:,} sites (req/s)",
                f"{ours['rps']:.1f}",
                f"pygeoapi Parquet {base['rps']:.1f}",
                f"{ratio:.1f}×",
                "≥ 20×",
                ratio >= 20 and ours["errors"] == 0,
            )
        )
    return out


def memory(data_dir: Path, n: int) -> list[Figure]:
    import memory as mem  # noqa: PLC0415

    figures = mem.serve(data_dir, 300)
    peak = figures["peak"] / MIB
    return [
        Figure(
            f"RSS of serve, {n:,} sites, pages + every download (peak)",
            f"{peak:.0f} MiB (first page {figures['first'] / MIB:.0f}, after "
            f"{figures['after'] / MIB:.0f})",
            "—",
            f"{peak / 500:.2f} of the bound",
            "≤ 500 MiB",
            peak <= 500,
        )
    ]


def map_page(n: int, seed: int) -> list[Figure]:
    import map_page as mp  # noqa: PLC0415

    sizes = {}
    for size in sorted({0, n}):
        if size == 0:
            from geo.dataset import CsvStore  # noqa: PLC0415
            from webapp import DEFAULT_DATA_DIR  # noqa: PLC0415

            dataset = CsvStore(DEFAULT_DATA_DIR).load()
        else:
            dataset = mp.synthetic(size, seed)
        sizes[size] = mp.ours(dataset, 1)["page"]
        del dataset
    kb = sizes[n] / 1000
    return [
        Figure(
            f"map page (HTML + /map.js), {n:,} sites",
            f"{kb:.1f} KB",
            f"shipped data {sizes[0] / 1000:.1f} KB",
            f"{sizes[n] / sizes[0]:.2f}×",
            "≤ 100 KB",
            kb <= 100,
        )
    ]


def browser(data_dir: Path, n: int, repeat: int) -> list[Figure]:
    import browser_load as bl  # noqa: PLC0415
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=bl.CHROMIUM, args=bl.CHROMIUM_ARGS)
        server = bl.Server(data_dir)
        try:
            server.warm()
            runs = [bl.time_ours(b, server.url, n) for _ in range(repeat)]
        finally:
            server.close()
            b.close()
    ready = statistics.median(r[0] for r in runs)
    tools = statistics.median(r[1] for r in runs)
    return [
        Figure(
            f"{n:,} sites drawn and interactive in Chromium (tools ready, median of {repeat})",
            f"{tools:.2f} s (drawn {ready:.2f} s)",
            "—",
            f"{tools / 2:.2f} of the bound",
            "< 2 s",
            tools < 2,
        )
    ]


def coldstart(repeat: int) -> list[Figure]:
    import coldstart as cs  # noqa: PLC0415

    r = cs.measure(repeat, ROOT / "data")
    return [
        Figure(
            f"cold start of serve, shipped data (median of {repeat})",
            f"{r['serve_s']:.2f} s",
            f"import of the 5 dependencies {r['imports_s']:.2f} s",
            f"{r['ratio']:.2f}×",
            f"≤ {cs.BOUND}×",
            r["ratio"] <= cs.BOUND,
        )
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sites", type=int, default=100_000, help="synthetic project sites")
    p.add_argument("--seed", type=int, default=SEED, help="seed of bench/synth.py")
    p.add_argument("--duration", type=int, default=15, help="seconds per wrk row (OGC)")
    p.add_argument(
        "--only",
        nargs="+",
        choices=["ogc", "memory", "page", "browser", "coldstart"],
        help="run only these",
    )
    args = p.parse_args(argv)
    wanted = set(args.only or ["ogc", "memory", "page", "browser", "coldstart"])
    started = dt.datetime.now(dt.UTC)
    loads = [os.getloadavg()[0]]
    figures: list[Figure] = []
    data_dir = _data(args.sites, args.seed) if wanted & {"memory", "browser"} else None
    steps = [
        ("coldstart", lambda: coldstart(5)),
        ("page", lambda: map_page(args.sites, args.seed)),
        ("browser", lambda: browser(data_dir, args.sites, 3)),
        ("memory", lambda: memory(data_dir, args.sites)),
        ("ogc", lambda: ogc(args.sites, args.seed, args.duration)),
    ]
    for name, step in steps:
        if name not in wanted:
            continue
        t = time.perf_counter()
        print(f"--- {name} …", file=sys.stderr, flush=True)
        try:
            figures += step()
        except (Exception, SystemExit):  # noqa: BLE001 - one failed figure, the others still run
            traceback.print_exc()
            figures.append(Figure(name, "failed (see above)", "—", "—", "—", None))
        loads.append(os.getloadavg()[0])
        print(f"--- {name}: {time.perf_counter() - t:.0f} s", file=sys.stderr, flush=True)
    print()
    print(
        f"{started:%Y-%m-%d %H:%M} UTC, {args.sites:,} sites (seed {args.seed}); load average "
        f"(1 min) {min(loads):.1f}–{max(loads):.1f} during the run"
    )
    print()
    print("| figure | ours | baseline | ratio | bound | pass |")
    print("|---|---|---|---|---|---|")
    for f in figures:
        verdict = {True: "pass", False: "**fail**", None: "not measured"}[f.ok]
        print(f"| {f.name} | {f.ours} | {f.baseline} | {f.ratio} | {f.bound} | {verdict} |")
    return 0 if all(f.ok for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
