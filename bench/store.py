#!/usr/bin/env python3
"""The prepared store of a data version: ours (gzip text, file cache, lean caches) against one
GeoPackage file per version (R*Tree for bbox, FTS5 for search, itself the download), at N sites.

Each design runs in a fresh child process on the same data (``bench/synth.py``, 100,000 project
sites, seed 20211209 by default), which loads and validates the data directory, then builds
what the design serves and answers the same requests on the projects layer:

**ours** (the app's own code): :func:`layers.features.catalog_of` (each layer's GeoJSON kept
gzipped in blocks, ids, point index, value indexes), :func:`layers.lean.prepare_lean` (the map's
payloads in three languages), :func:`layers.search.prepare_search`, and the projects' CSV, KML
and GeoPackage downloads written into a version's directory with their ``.gz``
(:class:`webapp.filecache.VersionFiles`, what the first download of each does). A page is
``Collection.select`` + ``page`` + :func:`layers.features.feature_collection_bytes`.

**GeoPackage** (a prototype of the design the issue proposes): every layer written by GDAL
(pyogrio) into one ``.gpkg`` with its R*Tree (``rtree_<layer>_geom``), plus an FTS5 table
(``trigram`` tokenizer: substring matching for Chinese) of the projects' search texts (the same
names, pinyin, initials, English and places as ours, from the same functions); read with the
standard library's ``sqlite3``. A page is one ``SELECT`` of ``json_object(...)`` of the
properties and the geometry blob (a point's WKB read with ``struct``) by ``fid``; a bbox asks the
R*Tree for the candidates' fids and bounds (32-bit, rounded outwards: those on an edge are
checked exactly on their geometry), counts them (``numberMatched``) and reads the first 1,000
rows by fid; a search is an FTS5 ``MATCH`` (a scan with ``instr`` for
queries under three characters) ranked by ours rule in SQL. The map's lean payload has no cache
here: it is made per request from the file (``pyogrio.read_dataframe`` of its columns +
:func:`layers.lean.lean_json`).

Measured: build time of each step (wall clock: the search's pinyin is worked out by a child
process), the median CPU time and wall time of each request (5 runs; on a loaded machine the
CPU time is the figure to compare), whether the two
designs return the same features and search results, the download's bytes, and the process's
RSS (after loading, after building, after the requests; the peak during the build from
``VmHWM`` reset with ``/proc/self/clear_refs``). Ratios are GeoPackage's figure over ours.

Run: ``.venv/bin/python bench/store.py [--projects 100000] [--seed 20211209]``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LAYER = "projects"
MIB = 1024 * 1024
OFFSETS = (0, 25_000, 50_000, 75_000, 99_000)
#: ogc_throughput's box, and boxes of 0.2° and 1° around a point inside the data.
BOXES = {
    "bbox 1.3° (ogc bench)": (116.5, 32.5, 117.8, 33.8),
    "bbox 1.0°": (116.3, 33.0, 117.3, 34.0),
    "bbox 0.2°": (116.7, 33.4, 116.9, 33.6),
}
QUERIES = ("合成项目09999", "合成项目0", "项目", "synthetic project 04567", "hcxm", "蚌埠")
REPEAT = 5


def _status(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name == key:
            return int(value.split()[0]) * 1024
    raise KeyError(key)


def _median(run, repeat: int = REPEAT) -> tuple[list[float], object]:  # noqa: ANN001
    """The median CPU time and wall time of ``repeat`` runs of ``run``, and its result."""
    cpu, wall, result = [], [], None
    for _ in range(repeat):
        start, used = time.perf_counter(), time.process_time()
        result = run()
        cpu.append(time.process_time() - used)
        wall.append(time.perf_counter() - start)
    return [statistics.median(cpu), statistics.median(wall)], result


def _digest(body: bytes) -> list:
    """A page's features as comparable values (key order ignored), and its numberMatched."""
    doc = json.loads(body)
    return [doc.get("numberMatched"), [json.dumps(f, sort_keys=True) for f in doc["features"]]]


# --- ours --------------------------------------------------------------------------------------


def run_ours(data: Path, work: Path) -> dict:
    """Build and query with the app's own code."""
    from geo.dataset import CsvStore  # noqa: PLC0415
    from layers import features as feat  # noqa: PLC0415
    from layers.formats import FORMATS  # noqa: PLC0415
    from layers.lean import prepare_lean  # noqa: PLC0415
    from layers.registry import LAYERS  # noqa: PLC0415
    from layers.search import prepare_search  # noqa: PLC0415
    from webapp.filecache import VersionFiles, gz_path  # noqa: PLC0415
    from webapp.state import release_memory  # noqa: PLC0415

    out: dict = {"build": {}, "requests": {}, "bytes": {}, "rss": {}}
    start = time.perf_counter()
    dataset = CsvStore(data).load()
    out["load"] = time.perf_counter() - start
    release_memory()
    out["rss"]["loaded"] = _status("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")
    b = out["build"]
    start = time.perf_counter()
    catalog = feat.catalog_of(dataset)
    b["layers' GeoJSON, ids, indexes (catalog)"] = time.perf_counter() - start
    start = time.perf_counter()
    lean = prepare_lean(dataset)
    b["lean payloads (3 languages)"] = time.perf_counter() - start
    start = time.perf_counter()
    search = prepare_search(dataset)
    b["search"] = time.perf_counter() - start
    files = VersionFiles(work, "bench")
    spec, gdf = LAYERS[LAYER], dataset.layers[LAYER]
    paths = {}
    for ext in ("csv", "kml", "gpkg"):
        fmt = FORMATS[ext]
        start = time.perf_counter()
        paths[ext] = files.path(
            f"{LAYER}.{ext}", lambda p, fmt=fmt: fmt.write(spec, gdf, p), fmt.media_type
        )
        b[f"{ext} download + .gz (file cache)"] = time.perf_counter() - start
    release_memory()
    out["rss"]["build peak"] = _status("VmHWM")
    out["rss"]["built"] = _status("VmRSS")

    c = catalog.get(LAYER)
    r, digests = out["requests"], {}

    def page(query: feat.Query) -> bytes:
        selected = c.select(query)
        matched = len(c) if selected is None else len(selected)
        positions = c.page(selected, query.limit, query.offset)
        extra = {"numberMatched": matched, "numberReturned": len(positions)}
        return feat.feature_collection_bytes(c, positions, extra)

    for offset in OFFSETS:
        key = f"page of 1000 at offset {offset}"
        r[key], body = _median(lambda o=offset: page(feat.Query(limit=1000, offset=o)))
        digests[key] = _digest(body)
    for name, box in BOXES.items():
        key = f"{name}, first 1000"
        r[key], body = _median(lambda b=box: page(feat.Query(bbox=b, limit=1000)))
        digests[key] = _digest(body)
    for q in QUERIES:
        key = f"search {q!r}"
        r[key], found = _median(lambda q=q: search.search(q, [LAYER], limit=12))
        digests[key] = [found["matched"], [e["id"] for e in found["entries"]]]
    out["digests"] = digests
    body = lean.bodies[(LAYER, "zh-Hans")]
    r["map's lean payload (zh-Hans)"] = _median(lambda: body.data)[0]
    text = c.text
    out["bytes"]["GeoJSON (kept gzipped in blocks)"] = (text.size, len(text.data))
    for ext, path in paths.items():
        gz = gz_path(path)
        out["bytes"][ext] = (path.stat().st_size, gz.stat().st_size if gz.exists() else None)
    out["bytes"]["lean payloads (3 languages, gzipped)"] = (
        sum(len(v.data) for v in lean.bodies.values()),
        None,
    )
    release_memory()
    out["rss"]["after requests"] = _status("VmRSS")
    return out


# --- GeoPackage --------------------------------------------------------------------------------


def run_gpkg(data: Path, work: Path) -> dict:
    """Build one GeoPackage of the version and query it with sqlite3."""
    import pyogrio  # noqa: PLC0415

    from geo.dataset import CsvStore  # noqa: PLC0415
    from layers.formats import write_gpkg  # noqa: PLC0415
    from layers.lean import lean_json, lean_properties  # noqa: PLC0415
    from layers.registry import LAYERS, REGISTRY  # noqa: PLC0415
    from webapp.state import release_memory  # noqa: PLC0415

    out: dict = {"build": {}, "requests": {}, "bytes": {}, "rss": {}}
    start = time.perf_counter()
    dataset = CsvStore(data).load()
    out["load"] = time.perf_counter() - start
    release_memory()
    out["rss"]["loaded"] = _status("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")
    path = work / "version.gpkg"
    path.unlink(missing_ok=True)
    b = out["build"]
    start = time.perf_counter()
    write_gpkg({s.id: dataset.layers[s.id] for s in REGISTRY}, path)  # R*Tree: GDAL's default
    b["every layer into one .gpkg with R*Trees (GDAL)"] = time.perf_counter() - start
    start = time.perf_counter()
    _add_search(dataset, path)
    b["search: FTS5 trigram table"] = time.perf_counter() - start
    release_memory()
    out["rss"]["build peak"] = _status("VmHWM")
    out["rss"]["built"] = _status("VmRSS")

    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    columns = [
        row[1]
        for row in db.execute(f'PRAGMA table_info("{LAYER}")')
        if row[1] not in ("fid", "geom")
    ]
    props = "json_object(" + ",".join(f"'{c}',t.\"{c}\"" for c in columns) + ")"
    count = db.execute(f'SELECT count(*) FROM "{LAYER}"').fetchone()[0]
    r, digests = out["requests"], {}

    def page(offset: int) -> bytes:
        rows = db.execute(
            f'SELECT t."id", {props}, t.geom FROM "{LAYER}" t WHERE t.fid > ? '
            "ORDER BY t.fid LIMIT 1000",
            (offset,),
        ).fetchall()
        return _collection(rows, count)

    def bbox(box: tuple[float, float, float, float]) -> bytes:
        return _collection(*_bbox_rows(db, props, box))

    for offset in OFFSETS:
        key = f"page of 1000 at offset {offset}"
        r[key], body = _median(lambda o=offset: page(o))
        digests[key] = _digest(body)
    for name, box in BOXES.items():
        key = f"{name}, first 1000"
        r[key], body = _median(lambda b=box: bbox(b))
        digests[key] = _digest(body)
    for q in QUERIES:
        key = f"search {q!r}"
        r[key], found = _median(lambda q=q: _search(db, q))
        digests[key] = found
    out["digests"] = digests
    spec, version = LAYERS[LAYER], dataset.version
    wanted = ["id", *lean_properties(spec, columns)]
    wanted += [f"{c[:-3]}_en" for c in wanted if c.endswith("_zh") and f"{c[:-3]}_en" in columns]

    def lean() -> bytes:
        gdf = pyogrio.read_dataframe(path, layer=LAYER, columns=list(dict.fromkeys(wanted)))
        return lean_json(spec, gdf, version).data

    r["map's lean payload (zh-Hans)"] = _median(lean, 3)[0]
    size = path.stat().st_size
    out["bytes"]["gpkg (every layer + FTS5)"] = (size, len(_gzip_file(path)))
    db.close()
    release_memory()
    out["rss"]["after requests"] = _status("VmRSS")
    del dataset
    release_memory()
    out["rss"]["without the dataset"] = _status("VmRSS")
    return out


def _gzip_file(path: Path) -> bytes:
    return gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)


def _add_search(dataset, path: Path) -> None:  # noqa: ANN001
    """The projects' search texts, as ours computes them, into an FTS5 table of the file."""
    from layers.search_terms import where_texts  # noqa: PLC0415
    from layers.searchindex import (  # noqa: PLC0415
        normalize,
        search_frame,
        search_pinyin,
        search_texts,
    )

    frame = search_frame(dataset, LAYER)
    where = where_texts(dataset, LAYER, frame, normalize)
    names_en = frame["name_en"] if "name_en" in frame else None
    texts = search_texts(frame["name_zh"], names_en, search_pinyin(frame["name_zh"]))
    with sqlite3.connect(path) as db:
        db.execute(
            f"CREATE VIRTUAL TABLE search_{LAYER} USING "
            "fts5(zh, pinyin, initials, en, place, tokenize='trigram')"
        )
        db.executemany(
            f"INSERT INTO search_{LAYER}(rowid, zh, pinyin, initials, en, place) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            ((i + 1, *t, w) for i, (t, w) in enumerate(zip(texts, where, strict=True))),
        )
        db.execute(f"INSERT INTO search_{LAYER}(search_{LAYER}) VALUES ('optimize')")


def _point(blob: bytes) -> tuple[float, float]:
    """x, y of a GeoPackage point blob (its header, envelope, then little/big-endian WKB)."""
    flags = blob[3]
    envelope = (0, 32, 48, 48, 64)[(flags >> 1) & 7]
    at = 8 + envelope
    order = "<" if blob[at] == 1 else ">"
    return struct.unpack_from(order + "dd", blob, at + 5)


def _collection(rows, matched: int) -> bytes:  # noqa: ANN001
    parts = []
    for fid, props, blob in rows:
        x, y = _point(blob)
        key = json.dumps(fid, ensure_ascii=False)
        geometry = f'{{"type":"Point","coordinates":[{x!r},{y!r}]}}'
        parts.append(f'{{"type":"Feature","id":{key},"geometry":{geometry},"properties":{props}}}')
    tail = f'],"numberMatched":{matched},"numberReturned":{len(parts)}}}'
    return ('{"type":"FeatureCollection","features":[' + ",".join(parts) + tail).encode()


def _bbox_rows(db, props: str, box: tuple[float, float, float, float]):  # noqa: ANN001, ANN202
    """The first 1,000 features in ``box`` by fid, and how many there are.

    The R*Tree is asked for the candidates' fids and bounds only; its bounds are 32-bit floats
    rounded outwards, so a candidate whose bounds lie inside the box is in it, and the few on
    an edge are checked exactly on their geometry. The page's rows are then read by fid."""
    import numpy as np  # noqa: PLC0415

    w, s, e, n = box
    found = db.execute(
        f"SELECT id, minx, maxx, miny, maxy FROM rtree_{LAYER}_geom "
        "WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?",
        (e, w, n, s),
    ).fetchall()
    if not found:
        return [], 0
    cand = np.array(found)
    fids = cand[:, 0].astype(np.int64)
    sure = (cand[:, 1] >= w) & (cand[:, 2] <= e) & (cand[:, 3] >= s) & (cand[:, 4] <= n)
    edge = fids[~sure].tolist()
    exact = []
    for start in range(0, len(edge), 900):
        chunk = edge[start : start + 900]
        marks = ",".join("?" * len(chunk))
        for fid, blob in db.execute(
            f'SELECT fid, geom FROM "{LAYER}" WHERE fid IN ({marks})', chunk
        ):
            x, y = _point(blob)
            if w <= x <= e and s <= y <= n:
                exact.append(fid)
    hits = np.sort(np.concatenate([fids[sure], np.array(exact, dtype=np.int64)]))
    first = hits[:1000].tolist()
    marks = ",".join("?" * len(first))
    rows = db.execute(
        f'SELECT t."id", {props}, t.geom FROM "{LAYER}" t WHERE t.fid IN ({marks}) ORDER BY t.fid',
        first,
    ).fetchall()
    return rows, len(hits)


def _search(db, raw: str) -> list:  # noqa: ANN001
    """Ours rule (layers/search.py) in SQL: the ids of the best 12 and how many match."""
    from layers.searchindex import normalize  # noqa: PLC0415

    q = normalize(raw)
    latin = q.isascii() and q.isalnum()
    score = (
        "CASE WHEN instr(zh, :raw) = 1 THEN 0 WHEN instr(zh, :raw) THEN 1 "
        + (
            "WHEN instr(pinyin, :q) = 1 OR instr(en, :q) = 1 "
            "OR (length(:q) >= 2 AND instr(initials, :q) = 1) THEN 2 "
            "WHEN instr(pinyin, :q) OR instr(en, :q) THEN 3 "
            if latin
            else ""
        )
        + "WHEN instr(place, '|' || :q) THEN 4 ELSE 9 END"
    )
    table = f"search_{LAYER}"
    if len(raw) >= 3 and len(q) >= 3:  # the trigram index finds the candidates
        where = f"{table} MATCH :match"
        match = " OR ".join(
            f'{col}:"{text}"'
            for col, text in (("zh", raw), ("pinyin", q), ("initials", q), ("en", q), ("place", q))
            if col == "zh" or latin or col == "place"
        )
    else:
        where, match = "1", ""
    sql = (
        f"SELECT rowid, {score} AS score, count(*) OVER () FROM {table} "
        f"WHERE {where} AND score < 9 ORDER BY score, length(zh), rowid LIMIT 12"
    )
    params = {"raw": raw, "q": q, "match": match}
    rows = db.execute(sql, params).fetchall()
    if not rows:
        return [0, []]
    ids = [
        db.execute(f'SELECT "id" FROM "{LAYER}" WHERE fid = ?', (rowid,)).fetchone()[0]
        for rowid, _score, _n in rows
    ]
    return [rows[0][2], ids]


# --- the parent --------------------------------------------------------------------------------


def ensure_data(work: Path, projects: int, seed: int) -> Path:
    """The synthetic data directory (made once per count, seed and shipped data)."""
    from bench import synth  # noqa: PLC0415
    from geo.dataset import data_version  # noqa: PLC0415

    target, marker = work / "data", work / "data.marker"
    want = f"{projects} {seed} {data_version(ROOT / 'data')}"
    if not (target.is_dir() and marker.is_file() and marker.read_text() == want):
        print(f"generating {projects} synthetic sites …", flush=True)
        synth.generate(ROOT / "data", target, projects, seed)
        marker.write_text(want)
    return target


def child(design: str, data: Path, work: Path) -> dict:
    """Run ``design`` in a fresh interpreter; its figures."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", design, "--data", str(data), "--work", str(work)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"{design} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _ratio(value: float | None, base: float | None) -> str:
    return f"{value / base:.2f}×" if value is not None and base else "—"


def report(ours: dict, gpkg: dict) -> None:
    """Print the figures side by side."""
    print("\n| build step | ours | GeoPackage |\n|---|---|---|")
    print(f"| load + validate the data (both) | {_ms(ours['load'])} | {_ms(gpkg['load'])} |")
    for step, seconds in ours["build"].items():
        print(f"| {step} | {_ms(seconds)} | |")
    for step, seconds in gpkg["build"].items():
        print(f"| {step} | | {_ms(seconds)} |")
    a, b = sum(ours["build"].values()), sum(gpkg["build"].values())
    print(f"| **total build** | **{_ms(a)}** | **{_ms(b)}** ({_ratio(b, a)}) |")

    print(
        "\n| request (median of 5) | CPU: ours | CPU: GeoPackage | × ours "
        "| wall: ours | wall: GeoPackage | same result |"
    )
    print("|---|---|---|---|---|---|---|")
    for key, (cpu, wall) in ours["requests"].items():
        other_cpu, other_wall = gpkg["requests"].get(key, (None, None))
        same = ""
        if key in ours["digests"]:
            same = "yes" if ours["digests"][key] == gpkg["digests"].get(key) else "NO"
            if same == "NO" and key.startswith("search"):
                same = f"NO: {ours['digests'][key]} vs {gpkg['digests'].get(key)}"
        print(
            f"| {key} | {_ms(cpu)} | {_ms(other_cpu)} | {_ratio(other_cpu, cpu)} "
            f"| {_ms(wall)} | {_ms(other_wall)} | {same} |"
        )

    print("\n| bytes | file | gzipped |\n|---|---|---|")
    for design, figures in (("ours", ours), ("GeoPackage", gpkg)):
        for name, (size, gz) in figures["bytes"].items():
            gz_text = f"{gz / MIB:.1f} MiB" if gz else "—"
            print(f"| {design}: {name} | {size / MIB:.1f} MiB | {gz_text} |")

    print("\n| RSS | ours | GeoPackage | × ours |\n|---|---|---|---|")
    for key in ("loaded", "build peak", "built", "after requests", "without the dataset"):
        x, y = ours["rss"].get(key), gpkg["rss"].get(key)
        cell = lambda v: f"{v / MIB:.0f} MiB" if v else "—"  # noqa: E731
        print(f"| {key} | {cell(x)} | {cell(y)} | {_ratio(y, x)} |")


def main(argv: list[str] | None = None) -> int:
    """Command line: each design in its own process, then the table."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--projects", type=int, default=100_000, help="synthetic sites (100000)")
    p.add_argument("--seed", type=int, default=20211209, help="random seed (20211209)")
    p.add_argument("--work", type=Path, default=ROOT / ".cache" / "bench" / "store")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        run = run_ours if args.child == "ours" else run_gpkg
        with tempfile.TemporaryDirectory(dir=args.work, prefix=f"{args.child}-") as tmp:
            print(json.dumps(run(args.data, Path(tmp))))
        return 0
    args.work.mkdir(parents=True, exist_ok=True)
    data = ensure_data(args.work, args.projects, args.seed)
    sqlite_version = sqlite3.sqlite_version
    print(
        f"{args.projects} sites, seed {args.seed}; SQLite {sqlite_version}; "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    ours = child("ours", data, args.work)
    print(f"ours done; load average {os.getloadavg()[0]:.1f}", flush=True)
    gpkg = child("gpkg", data, args.work)
    print(f"GeoPackage done; load average {os.getloadavg()[0]:.1f} (a background suite runs)")
    report(ours, gpkg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
