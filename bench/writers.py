#!/usr/bin/env python3
"""Our KML and CSV writers (``layers/formats.py``) against GDAL's drivers and pandas, at N sites.

The projects layer of ``bench/synth.py``'s data (100,000 sites, seed 20211209 by default) is
loaded once and pickled; each case then runs in a fresh child process, which unpickles the
layer, imports what it needs, resets its RSS high-water mark (``/proc/self/clear_refs``) and
writes the layer to a file. Measured per case: the CPU time (user + system, of the process: GDAL
works in it) and the wall time of the write, the child's RSS before it, its peak (``VmHWM``)
during it, and the bytes written. On a loaded machine the CPU time is the figure to compare.

KML:

- **ours**: :func:`layers.formats.write_kml` (streaming, the layout of GDAL's LIBKML driver);
- **GDAL KML**: ``pyogrio.write_dataframe(driver="KML")``, a ``Name`` column added (a copy of
  ``name_zh``: the driver's ``NameField`` takes its column out of the properties);
- **GDAL LIBKML**: the same with the LIBKML driver (``LIBKML_NAME_FIELD=name_zh``), if present.

CSV (each GDAL/pandas case gets the same columns as ours: the text cells neutralised by a
vectorised copy of :func:`layers.formats.neutralise`, ``lon``/``lat`` at the end, counted in
its time and memory):

- **ours**: :func:`layers.formats.write_csv`;
- **GDAL CSV**: ``driver="CSV"``, ``WRITE_BOM=YES``, ``LINEFORMAT=CRLF``, no geometry;
- **GDAL CSV AS_XY**: the same with ``GEOMETRY=AS_XY`` (GDAL's own X, Y columns, first);
- **pandas**: ``DataFrame.to_csv`` (``utf-8-sig``, CRLF).

Then the parent reads every output back and checks what users need (the tests' features):
KML read back by GDAL with the same ids, names, properties and points; a placemark's name in
Chinese; whether the feature id shows in the balloon (issue 13); well-formed XML with characters
XML forbids; CSV cells equal to ours, the BOM, CRLF, formulas neutralised and numbers untouched
(issue 15). Ratios are the case's figure over ours.

Run: ``.venv/bin/python bench/writers.py [--projects 100000] [--seed 20211209]``.
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import json
import os
import pickle
import re
import subprocess
import sys
import time
from pathlib import Path
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LAYER = "projects"
KML_CASES = ("kml-ours", "kml-gdal", "kml-libkml")
CSV_CASES = ("csv-ours", "csv-gdal", "csv-gdal-xy", "csv-pandas")
MIB = 1024 * 1024


# --- the child: one case, one fresh process ------------------------------------------------------


def _status(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name == key:
            return int(value.split()[0]) * 1024
    raise KeyError(key)


def _neutralised(gdf):  # noqa: ANN001, ANN202 - pandas in, pandas out
    """A DataFrame of ``gdf``'s columns with text cells as ours (neutralised, missing as None)
    and ``lon``/``lat`` at the end: what the GDAL and pandas CSV cases write."""
    import numpy as np  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415
    import shapely  # noqa: PLC0415

    from layers.formats import _NUMBER, FORMULA_START  # noqa: PLC0415
    from layers.geojson import DECIMALS  # noqa: PLC0415

    frame = pd.DataFrame(index=gdf.index)
    start = "^[" + re.escape("".join(FORMULA_START)) + "]"
    for name in gdf.columns:
        if name == gdf.geometry.name:
            continue
        column = gdf[name]
        if pd.api.types.is_string_dtype(column.dtype) or column.dtype == object:
            text = column.astype(object)
            risky = text.str.match(start, na=False) & ~text.str.fullmatch(_NUMBER.pattern, na=False)
            text = text.where(~risky, "'" + text.astype(str))
            frame[name] = text.where(text.notna(), None)
        else:
            frame[name] = column
    geom = gdf.geometry.values
    frame["lon"] = np.round(shapely.get_x(geom), DECIMALS)
    frame["lat"] = np.round(shapely.get_y(geom), DECIMALS)
    return frame


def run_case(case: str, frame_path: Path, out: Path) -> dict:
    """Write the pickled layer with ``case``'s writer to ``out``; time and peak memory."""
    import pyogrio  # noqa: PLC0415

    from layers import formats  # noqa: PLC0415
    from layers.registry import LAYERS  # noqa: PLC0415
    from webapp.state import release_memory  # noqa: PLC0415

    with open(frame_path, "rb") as fh:
        gdf = pickle.load(fh)
    spec = LAYERS[LAYER]
    out.unlink(missing_ok=True)
    gc.collect()
    release_memory()
    before = _status("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    start, cpu = time.perf_counter(), time.process_time()
    if case == "kml-ours":
        formats.write_kml(spec, gdf, out)
    elif case == "kml-gdal":
        frame = formats._writable(gdf)
        frame.insert(0, "Name", frame[spec.tooltip])  # the driver's NameField takes its column
        pyogrio.write_dataframe(frame, out, layer=LAYER, driver="KML")
    elif case == "kml-libkml":
        pyogrio.set_gdal_config_options({"LIBKML_NAME_FIELD": spec.tooltip})
        pyogrio.write_dataframe(formats._writable(gdf), out, layer=LAYER, driver="LIBKML")
    elif case == "csv-ours":
        formats.write_csv(spec, gdf, out)
    elif case in ("csv-gdal", "csv-gdal-xy"):
        import geopandas as gpd  # noqa: PLC0415

        frame = _neutralised(gdf)
        options = {"WRITE_BOM": "YES", "LINEFORMAT": "CRLF"}
        if case == "csv-gdal-xy":
            frame = gpd.GeoDataFrame(frame.drop(columns=["lon", "lat"]), geometry=gdf.geometry)
            options["GEOMETRY"] = "AS_XY"
        else:
            frame = gpd.GeoDataFrame(frame, geometry=[None] * len(frame), crs=gdf.crs)
        pyogrio.write_dataframe(frame, out, driver="CSV", layer_options=options)
    elif case == "csv-pandas":
        _neutralised(gdf).to_csv(out, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    else:
        raise SystemExit(f"unknown case {case!r}")
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {
        "case": case,
        "seconds": seconds,
        "cpu": cpu,
        "before": before,
        "peak": _status("VmHWM"),
        "bytes": out.stat().st_size,
    }


# --- the parent ----------------------------------------------------------------------------------


def ensure_layer(work: Path, projects: int, seed: int) -> Path:
    """The pickled projects layer of the synthetic data (made once per count, seed and data)."""
    from bench import synth  # noqa: PLC0415
    from geo.dataset import CsvStore, data_version  # noqa: PLC0415

    work.mkdir(parents=True, exist_ok=True)
    frame = work / f"{LAYER}-{projects}-{seed}.pkl"
    marker = frame.with_suffix(".marker")
    want = f"{projects} {seed} {data_version(ROOT / 'data')}"
    if frame.is_file() and marker.is_file() and marker.read_text() == want:
        return frame
    print(f"generating {projects} synthetic sites …", flush=True)
    data = synth.generate(ROOT / "data", work / "data", projects, seed)
    gdf = CsvStore(data).load().layers[LAYER]
    with open(frame, "wb") as fh:
        pickle.dump(gdf, fh, protocol=pickle.HIGHEST_PROTOCOL)
    marker.write_text(want)
    return frame


def child(case: str, frame: Path, out: Path) -> dict:
    """Run ``case`` in a fresh interpreter and return its figures."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", case, "--frame", str(frame), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        return {"case": case, "error": (done.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _read(path: Path):  # noqa: ANN202
    import pyogrio  # noqa: PLC0415

    return pyogrio.read_dataframe(path)


def check_kml(case: str, path: Path, gdf) -> list[str]:  # noqa: ANN001
    """What a user of the KML gets, as short findings (the features tests check)."""
    import numpy as np  # noqa: PLC0415

    from layers.registry import LAYERS  # noqa: PLC0415

    spec = LAYERS[LAYER]
    got = _read(path)
    notes = [f"{len(got)} placemarks read back"]
    names = got["Name"] if "Name" in got else got.get("name")
    ok = names is not None and names.astype(str).tolist() == gdf[spec.tooltip].astype(str).tolist()
    notes.append("names = name_zh" if ok else "NAMES DIFFER")
    ids = got["id"].astype(str).tolist() if "id" in got else []
    notes.append("ids read back" if ids == gdf["id"].astype(str).tolist() else "IDS DIFFER")
    same = np.allclose(got.geometry.x, gdf.geometry.x, atol=1e-6) and np.allclose(
        got.geometry.y, gdf.geometry.y, atol=1e-6
    )
    notes.append("points equal" if same else "POINTS DIFFER")
    missing = [c for c in gdf.columns if c not in got.columns and c != gdf.geometry.name]
    notes.append(f"missing columns: {missing}" if missing else "every property")
    head = path.read_bytes()[:20000].decode("utf-8", "replace")
    shown_id = re.search(r'<SimpleData name="id">', head) is not None
    notes.append("id SHOWN in the balloon (SimpleData)" if shown_id else "id not in the balloon")
    notes.append("has <Style>" if "<Style" in head else "no <Style>")
    notes.append("has <description>" if "<description" in head else "no <description>")
    return notes


def hostile_kml(case: str, tmp: Path) -> str:
    """Whether the writer of ``case`` keeps KML well-formed with characters XML forbids."""
    import geopandas as gpd  # noqa: PLC0415
    import shapely  # noqa: PLC0415

    from layers import formats  # noqa: PLC0415
    from layers.registry import LAYERS  # noqa: PLC0415

    gdf = gpd.GeoDataFrame(
        {
            "id": ["a", "b"],
            "name_zh": ["蚌埠\x0b市\x00", 'a & <b> ]]> "c"\ttab'],
            "name_en": ["x", "y"],
        },
        geometry=[shapely.Point(117, 33)] * 2,
        crs="EPSG:4326",
    )
    path = tmp / f"hostile-{case}.kml"
    path.unlink(missing_ok=True)
    try:
        if case == "kml-ours":
            formats.write_kml(LAYERS[LAYER], gdf, path)
        else:
            import pyogrio  # noqa: PLC0415

            driver = "KML" if case == "kml-gdal" else "LIBKML"
            pyogrio.write_dataframe(gdf, path, driver=driver)
        ElementTree.fromstring(path.read_bytes())
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return f"hostile text: FAILS ({type(exc).__name__}: {str(exc)[:60]})"
    return "hostile text: well-formed"


def check_csv(path: Path, ours: Path) -> list[str]:
    """The CSV at ``path`` against ours: BOM, line ends, header, differing cells."""
    data = path.read_bytes()
    notes = ["BOM" if data.startswith(b"\xef\xbb\xbf") else "NO BOM"]
    notes.append("CRLF" if b"\r\n" in data[:4096] else "LF only")
    mine = list(csv.reader(io.StringIO(ours.read_bytes().decode("utf-8-sig"), newline="")))
    theirs = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    if theirs[0] != mine[0]:
        notes.append(f"header {theirs[0][:3]}…{theirs[0][-2:]}")
        index = {name: k for k, name in enumerate(theirs[0])}
        order = [index.get({"lon": "X", "lat": "Y"}.get(n, n)) for n in mine[0]]
    else:
        order = list(range(len(mine[0])))
    differing, example = 0, ""
    for a, b in zip(mine[1:], theirs[1:], strict=False):
        for k, cell in enumerate(a):
            other = b[order[k]] if order[k] is not None and order[k] < len(b) else None
            if other != cell:
                differing += 1
                example = example or f"{mine[0][k]}: {cell!r} vs {other!r}"
    notes.append(f"{len(theirs) - 1} rows")
    notes.append(f"{differing} cells differ from ours" + (f" (e.g. {example})" if example else ""))
    return notes


def hostile_csv(case: str, tmp: Path) -> str:
    """Whether the writer of ``case`` neutralises formulas and leaves numbers as they are."""
    import geopandas as gpd  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415
    import shapely  # noqa: PLC0415

    texts = ['=HYPERLINK("http://x")', "+cmd", "@SUM(1+1)", "-2+3", "\t=1", "-2.5", "+86", "a-b"]
    gdf = gpd.GeoDataFrame(
        {"id": [f"x{i}" for i in range(len(texts))], "note": texts, "amount": [-1.5] * len(texts)},
        geometry=[shapely.Point(117, 33)] * len(texts),
        crs="EPSG:4326",
    )
    gdf["note"] = gdf["note"].astype(pd.StringDtype())
    small = tmp / f"hostile-{case}.pkl"
    with open(small, "wb") as fh:
        pickle.dump(gdf, fh)
    result = child(case, small, tmp / f"hostile-{case}.csv")
    if "error" in result:
        return f"hostile: FAILS ({result['error'][:60]})"
    rows = list(
        csv.reader(
            io.StringIO((tmp / f"hostile-{case}.csv").read_bytes().decode("utf-8-sig"), newline="")
        )
    )
    col = rows[0].index("note")
    got = [r[col] for r in rows[1:]]
    want = ["'" + t for t in texts[:5]] + texts[5:]
    amounts = {r[rows[0].index("amount")] for r in rows[1:]}
    return (
        "formulas neutralised, numbers as they are"
        if got == want and amounts == {"-1.5"}
        else f"HOSTILE DIFFERS: {got} {amounts}"
    )


def main(argv: list[str] | None = None) -> int:
    """Command line: every case in its own process, then the checks and the table."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--projects", type=int, default=100_000, help="synthetic sites (100000)")
    p.add_argument("--seed", type=int, default=20211209, help="random seed (20211209)")
    p.add_argument("--work", type=Path, default=ROOT / ".cache" / "bench" / "writers")
    p.add_argument("--cases", nargs="*", default=[*KML_CASES, *CSV_CASES])
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--frame", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(run_case(args.child, args.frame, args.out)))
        return 0

    import pyogrio  # noqa: PLC0415

    load_start = os.getloadavg()
    frame = ensure_layer(args.work, args.projects, args.seed)
    drivers = pyogrio.list_drivers()
    cases = [c for c in args.cases if c != "kml-libkml" or "LIBKML" in drivers]
    print(
        f"{args.projects} sites, seed {args.seed}; GDAL {pyogrio.__gdal_version_string__}, "
        f"pyogrio {pyogrio.__version__}; load average {load_start[0]:.1f}",
        flush=True,
    )
    results = {}
    for case in cases:
        ext = case.split("-")[0]
        results[case] = child(case, frame, args.work / f"{case}.{ext}")
        r = results[case]
        print(f"  {case}: {r.get('error') or format(r['seconds'], '.2f') + ' s'}", flush=True)
    with open(frame, "rb") as fh:
        gdf = pickle.load(fh)
    findings = {}
    for case in cases:
        if "error" in results[case]:
            findings[case] = ["FAILED: " + results[case]["error"]]
            continue
        path = args.work / f"{case}.{case.split('-')[0]}"
        if case.startswith("kml"):
            findings[case] = [*check_kml(case, path, gdf), hostile_kml(case, args.work)]
        else:
            findings[case] = [
                *check_csv(path, args.work / "csv-ours.csv"),
                hostile_csv(case, args.work),
            ]
    load_end = os.getloadavg()
    print(f"\nload average at the end {load_end[0]:.1f} (a background test suite runs)\n")
    header = (
        "| case | CPU time | × ours | wall time | RSS before | peak RSS | peak − before | × ours "
        "| bytes | × ours |"
    )
    print(header)
    print("|---" * 10 + "|")
    for family in ("kml", "csv"):
        base = results.get(f"{family}-ours", {})
        for case in cases:
            r = results[case]
            if not case.startswith(family) or "error" in r:
                continue
            grow = r["peak"] - r["before"]
            base_grow = base.get("peak", 0) - base.get("before", 0)
            print(
                f"| {case} | {r['cpu']:.2f} s | {_ratio(r['cpu'], base.get('cpu'))} "
                f"| {r['seconds']:.2f} s | {r['before'] / MIB:.0f} MiB "
                f"| {r['peak'] / MIB:.0f} MiB | {grow / MIB:.0f} MiB "
                f"| {_ratio(grow, base_grow)} | {r['bytes'] / MIB:.1f} MiB "
                f"| {_ratio(r['bytes'], base.get('bytes'))} |"
            )
    print()
    for case in cases:
        print(f"- {case}: " + "; ".join(findings[case]))
    return 0


def _ratio(value: float, base: float | None) -> str:
    return f"{value / base:.2f}×" if base else "—"


if __name__ == "__main__":
    sys.exit(main())
