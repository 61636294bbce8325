#!/usr/bin/env python3
"""Write a copy of the data directory whose ``projects.csv`` holds N synthetic project sites.

The sites are spread over the helped units of the city pairs (皖北's 8 cities), each a random
point inside its unit's boundary polygon, with a random sector, status, year and investment. The
generator is deterministic for a given ``--seed`` and the copy validates like the real data
(``wanbei-map validate DIR``): every other file is the shipped one.

    python bench/synth.py .cache/bench/data --projects 100000 --seed 20211209
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.dataset import load_dataset, read_boundaries  # noqa: E402
from geo.load import read_tables  # noqa: E402

SECTORS = ("汽车零部件", "新能源", "电子信息", "装备制造", "新材料", "生物医药", "食品加工", "")
STATUSES = ("signed", "landed", "under_construction", "operating", "unknown")


def generate(source: Path, target: Path, projects: int, seed: int) -> Path:
    """Copy ``source`` to ``target`` and replace its projects.csv by ``projects`` synthetic rows."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.md"))
    tables, problems = read_tables(source)
    if problems:
        raise SystemExit(f"{source} does not validate: {problems[0]}")
    boundaries, _ = read_boundaries(source / "boundaries.geojson")
    polygons = dict(zip(boundaries["adcode"], boundaries.geometry, strict=True))
    pairs = tables["pairings"]
    pairs = pairs[(pairs["level"] == "city") & pairs["helped_adcode"].isin(polygons)]
    if pairs.empty:
        raise SystemExit("no city pairing whose helped unit has a boundary polygon")
    rng = np.random.default_rng(seed)
    choice = rng.integers(0, len(pairs), projects)
    lon = np.empty(projects)
    lat = np.empty(projects)
    for k, helped in enumerate(pairs["helped_adcode"]):
        rows = np.flatnonzero(choice == k)
        xs, ys = _points_in(polygons[helped], len(rows), rng)
        lon[rows], lat[rows] = xs, ys
    header = list(tables["projects"].columns.drop("row_number"))
    with (target / "projects.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        years = rng.integers(2021, 2026, projects)
        sectors = rng.integers(0, len(SECTORS), projects)
        statuses = rng.integers(0, len(STATUSES), projects)
        invest = np.round(rng.gamma(1.5, 2.0, projects), 2)
        no_invest = rng.random(projects) < 0.3
        pair_ids = pairs["id"].to_numpy()
        helped = pairs["helped_adcode"].to_numpy()
        for i in range(projects):
            row = {
                "id": f"PR-synth-{i:06d}",
                "name_zh": f"合成项目{i:06d}",
                "name_en": f"Synthetic project {i:06d}",
                "pairing_id": pair_ids[choice[i]],
                "park_id": "",
                "host_adcode": helped[choice[i]],
                "lon": f"{lon[i]:.6f}",
                "lat": f"{lat[i]:.6f}",
                "precision": "approximate",
                "sector": SECTORS[sectors[i]],
                "status": STATUSES[statuses[i]],
                "year": str(years[i]),
                "investment_yi": "" if no_invest[i] else f"{invest[i]:g}",
                "source": f"synthetic: bench/synth.py --seed {seed}",
                "note": "",
                "updated": "2026-01-01",
            }
            writer.writerow({k: row.get(k, "") for k in header})
    return target


def _points_in(polygon, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` uniform random points strictly inside ``polygon``, 6 decimals (rejection sampling)."""
    minx, miny, maxx, maxy = polygon.bounds
    shapely.prepare(polygon)
    xs, ys = [], []
    have = 0
    while have < n:
        x = np.round(rng.uniform(minx, maxx, 2 * (n - have) + 16), 6)
        y = np.round(rng.uniform(miny, maxy, 2 * (n - have) + 16), 6)
        inside = shapely.contains_xy(polygon, x, y)
        xs.append(x[inside])
        ys.append(y[inside])
        have += int(inside.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def main(argv: list[str] | None = None) -> int:
    """Command line: write the synthetic data directory, then validate it."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("target", type=Path, help="directory to write (replaced if it exists)")
    p.add_argument("--source", type=Path, default=ROOT / "data", help="data to copy")
    p.add_argument("--projects", type=int, default=100_000, help="synthetic sites (100000)")
    p.add_argument("--seed", type=int, default=20211209, help="random seed (20211209)")
    p.add_argument("--no-validate", action="store_true", help="skip the validation")
    args = p.parse_args(argv)
    start = time.perf_counter()
    generate(args.source, args.target, args.projects, args.seed)
    print(f"wrote {args.projects} projects to {args.target} in {time.perf_counter() - start:.1f} s")
    if not args.no_validate:
        start = time.perf_counter()
        dataset = load_dataset(args.target)
        print(
            f"valid: {len(dataset.layers['projects'])} projects, version {dataset.version} "
            f"({time.perf_counter() - start:.1f} s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
