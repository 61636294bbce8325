#!/usr/bin/env python3
"""OGC API - Features items throughput: this app against pygeoapi, side by side.

Both servers serve the same data: a copy of ``data/`` whose projects layer holds 100,000
synthetic sites (``bench/synth.py``). Both run under the same WSGI server (waitress, same
version, same thread count, one process each) on 127.0.0.1; the load comes from ``wrk`` (Debian's
package) in another process, for a fixed time, over a fixed number of connections. Every
request asks for a page of 1,000 features as GeoJSON; the pages walk the whole collection
(offset 0, 1000, … 99000). pygeoapi is installed from PyPI into its own venv
(``.cache/bench-venv``) so its pins do not touch ours, and is measured with two of its
providers on the same features: GeoJSON (the file the downloads serve) and Parquet (GeoParquet
written by geopandas; pygeoapi's fastest pure-Python file provider).

    python bench/ogc_throughput.py                 # everything (about 3 minutes)
    python bench/ogc_throughput.py --duration 5 --baselines parquet

Prints requests/s, p50 and p99 latency per server and the ratios; writes the figures as JSON to
``<work>/results.json``. Needs ``wrk`` (``apt-get install wrk``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import math
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import synth  # noqa: E402

PYGEOAPI = "pygeoapi==0.21.0"
BASELINE_DEPS = ("pyarrow", "s3fs", "geopandas")
PAGE = 1000
#: The bbox scenario's box: the middle of 皖北 (about 蚌埠–淮南–宿州), well over 1,000 sites.
BBOX = "116.5,32.5,117.8,33.8"


@dataclass
class Result:
    """One server's figures for one scenario."""

    server: str
    scenario: str
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    bytes_per_response: int


# --- set-up --------------------------------------------------------------------------------------


def ensure_data(work: Path, projects: int, seed: int) -> Path:
    """The synthetic data directory (regenerated when the count or seed changes)."""
    target = work / "data"
    marker = work / "data.marker"
    want = f"{projects} {seed} {synth_source_version()}"
    if not (target.is_dir() and marker.is_file() and marker.read_text() == want):
        print(f"generating {projects} synthetic projects in {target} …", flush=True)
        synth.generate(ROOT / "data", target, projects, seed)
        marker.write_text(want)
    return target


def synth_source_version() -> str:
    """The version of the real data the synthetic copy was made from."""
    from geo.dataset import data_version  # noqa: PLC0415

    return data_version(ROOT / "data")


def ensure_baseline_venv(venv: Path) -> Path:
    """A venv with pygeoapi and the same waitress as ours; returns its python."""
    python = venv / "bin" / "python"
    waitress = f"waitress=={importlib.metadata.version('waitress')}"
    stamp = venv / ".installed"
    want = " ".join((PYGEOAPI, waitress, *BASELINE_DEPS))
    if stamp.is_file() and stamp.read_text() == want:
        return python
    print(f"installing {want} into {venv} …", flush=True)
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, PYGEOAPI, waitress, *BASELINE_DEPS], check=True)
    stamp.write_text(want)
    return python


def export_features(data_dir: Path, out: Path, python: Path | None) -> tuple[Path, Path, list]:
    """The projects layer as GeoJSON and GeoParquet for pygeoapi; returns paths and bbox.

    The GeoParquet file is written from the GeoJSON by geopandas in the baseline venv (which has
    pyarrow; ours does not need it).
    """
    from geo.dataset import load_dataset  # noqa: PLC0415
    from layers.geojson import to_geojson_bytes  # noqa: PLC0415

    out.mkdir(parents=True, exist_ok=True)
    geojson, parquet = out / "projects.geojson", out / "projects.parquet"
    stamp = out / "export.marker"
    dataset = load_dataset(data_dir)
    gdf = dataset.layers["projects"]
    if not (stamp.is_file() and stamp.read_text() == dataset.version):
        geojson.write_bytes(to_geojson_bytes(gdf))
        if python is not None:
            code = (
                "import sys, geopandas as g; f = g.read_file(sys.argv[1]); "
                "f['lon'], f['lat'] = f.geometry.x, f.geometry.y; f.to_parquet(sys.argv[2])"
            )
            subprocess.run([str(python), "-c", code, str(geojson), str(parquet)], check=True)
        stamp.write_text(dataset.version)
    return geojson, parquet, [round(float(v), 6) for v in gdf.total_bounds]


def pygeoapi_config(path: Path, port: int, geojson: Path, parquet: Path, bbox: list[float]) -> None:
    """A minimal pygeoapi configuration with one collection per provider."""

    def resource(name: str, provider: dict) -> dict:
        return {
            "type": "collection",
            "title": name,
            "description": "100,000 synthetic project sites (bench/synth.py)",
            "keywords": ["projects"],
            "extents": {
                "spatial": {"bbox": bbox, "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}
            },
            "providers": [{"type": "feature", "id_field": "id", **provider}],
        }

    config = {
        "server": {
            "bind": {"host": "127.0.0.1", "port": port},
            "url": f"http://127.0.0.1:{port}",
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "language": "en-US",
            "gzip": False,
            "pretty_print": False,
            "cors": True,
            "limits": {"default_items": 10, "max_items": PAGE},
            "map": {"url": "http://127.0.0.1/{z}/{x}/{y}.png", "attribution": "none"},
        },
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {
                "title": "bench",
                "description": "bench",
                "keywords": ["bench"],
                "keywords_type": "theme",
                "terms_of_service": "none",
                "url": "http://127.0.0.1/",
            },
            "license": {"name": "MIT", "url": "http://127.0.0.1/"},
            "provider": {"name": "bench", "url": "http://127.0.0.1/"},
            "contact": {"name": "bench", "email": "bench@localhost", "role": "pointOfContact"},
        },
        "resources": {
            "projects_geojson": resource(
                "projects_geojson", {"name": "GeoJSON", "data": str(geojson)}
            ),
            "projects_parquet": resource(
                "projects_parquet",
                {
                    "name": "Parquet",
                    "data": {"source": str(parquet)},
                    "x_field": "lon",
                    "y_field": "lat",
                },
            ),
        },
    }
    path.write_text(json.dumps(config, ensure_ascii=False, indent=1))  # JSON is valid YAML


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


WAITRESS = (
    "import sys, waitress; from {module} import {factory}; "
    "waitress.serve({call}, host='127.0.0.1', port=int(sys.argv[1]), threads=int(sys.argv[2]), "
    "ident='bench', _quiet=True)"
)


def start_ours(data_dir: Path, port: int, threads: int, log: Path) -> subprocess.Popen:
    """This app under waitress."""
    code = WAITRESS.format(
        module="webapp", factory="create_app", call=f"create_app({{'DATA_DIR': {str(data_dir)!r}}})"
    )
    return _spawn([sys.executable, "-c", code, str(port), str(threads)], log, {})


def start_pygeoapi(python: Path, config: Path, port: int, threads: int, log: Path):
    """pygeoapi's Flask app under waitress, from the baseline venv."""
    openapi = config.with_name("pygeoapi-openapi.yml")
    env = {"PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}
    cli = python.with_name("pygeoapi")
    with log.open("w") as fh:
        subprocess.run(
            [str(cli), "openapi", "generate", str(config), "--output-file", str(openapi)],
            check=True,
            env={**os.environ, **env},
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    code = WAITRESS.format(module="pygeoapi.flask_app", factory="APP", call="APP")
    return _spawn([str(python), "-c", code, str(port), str(threads)], log, env)


def _spawn(cmd: list[str], log: Path, env: dict) -> subprocess.Popen:
    fh = log.open("a")
    return subprocess.Popen(
        cmd, cwd=ROOT, env={**os.environ, **env}, stdout=fh, stderr=subprocess.STDOUT
    )


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 180) -> None:
    """Poll ``url`` until it answers 200 (the server loads and validates its data first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=30) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not answer within {timeout} s")


def check_page(url: str) -> tuple[int, object]:
    """Fetch one page, check it holds PAGE features; return its size and its numberMatched."""
    with urllib.request.urlopen(url, timeout=120) as r:
        body = r.read()
    doc = json.loads(body)
    got = len(doc["features"])
    if got != PAGE:
        raise SystemExit(f"{url}: {got} features, expected {PAGE}")
    return len(body), doc.get("numberMatched")


def drain(url: str, timeout: float = 600) -> None:
    """Wait until ``url`` answers quickly: the server has finished the requests wrk abandoned.

    When wrk stops, the requests still running in the server go on; measuring the next server
    (or scenario) before they end would charge it for them.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        start = time.perf_counter()
        with urllib.request.urlopen(url, timeout=timeout) as r:
            r.read()
        if time.perf_counter() - start < 0.2:
            return
        time.sleep(1)
    raise SystemExit(f"{url} stayed slow for {timeout} s")


def timed_page(url: str) -> tuple[int, object, float]:
    """Check one page (see check_page); return its size, numberMatched and best of 3 times."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        size, matched = check_page(url)
        times.append(time.perf_counter() - start)
    return size, matched, min(times)


# --- load ----------------------------------------------------------------------------------------

LUA = """
local i = 0
request = function()
  local path = string.format("%s", (i %% %d) * %d)
  i = i + 1
  return wrk.format("GET", path)
end
"""


def run_wrk(base: str, path_fmt: str, pages: int, args, duration: int, script_dir: Path) -> dict:
    """Run wrk against ``base`` + ``path_fmt`` (with %d for the offset); parse its figures."""
    script = script_dir / f"walk-{abs(hash(path_fmt))}.lua"
    script.write_text(LUA % (path_fmt, pages, PAGE))
    cmd = [
        "wrk",
        f"-t{args.wrk_threads}",
        f"-c{args.connections}",
        f"-d{duration}s",
        "--timeout",
        "60s",
        "--latency",
        "-s",
        str(script),
        base,
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return parse_wrk(out)


def parse_wrk(out: str) -> dict:
    """Requests, requests/s, p50/p99 (ms) and errors from wrk's report."""

    def ms(text: str) -> float:
        value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
        return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    p50 = ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    errors = 0
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        errors += sum(int(g) for g in m.groups())
    return {"requests": requests, "rps": rps, "p50_ms": p50, "p99_ms": p99, "errors": errors}


def machine() -> str:
    """CPU model and count, OS, Python."""
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    system = f"{platform.platform()}; Python {platform.python_version()}"
    return f"{model}, {os.cpu_count()} cores; {system}"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--work", type=Path, default=ROOT / ".cache" / "bench")
    p.add_argument("--venv", type=Path, default=ROOT / ".cache" / "bench-venv")
    p.add_argument("--projects", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=20211209)
    p.add_argument("--threads", type=int, default=4, help="waitress threads, each server (4)")
    p.add_argument("--connections", type=int, default=4, help="wrk connections (4)")
    p.add_argument("--wrk-threads", type=int, default=1, help="wrk threads (1)")
    p.add_argument("--duration", type=int, default=15, help="seconds per measurement (15)")
    p.add_argument(
        "--min-requests",
        type=int,
        default=40,
        help="lengthen a slow server's measurement to about this many requests (40)",
    )
    p.add_argument(
        "--max-duration", type=int, default=120, help="but never beyond this many seconds (120)"
    )
    p.add_argument(
        "--baselines",
        default="geojson,parquet",
        help="pygeoapi providers to measure: geojson, parquet (default both)",
    )
    args = p.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    args.work.mkdir(parents=True, exist_ok=True)
    data_dir = ensure_data(args.work, args.projects, args.seed)
    baselines = [b for b in args.baselines.split(",") if b]
    python = ensure_baseline_venv(args.venv) if baselines else None
    geojson, parquet, bbox = export_features(data_dir, args.work / "pygeoapi", python)
    pages = (args.projects + PAGE - 1) // PAGE

    servers: list[tuple[str, str, subprocess.Popen]] = []
    results: list[Result] = []
    try:
        port = free_port()
        proc = start_ours(data_dir, port, args.threads, args.work / "ours.log")
        servers.append(("wanbei-map", f"http://127.0.0.1:{port}", proc))
        if baselines:
            gport = free_port()
            config = args.work / "pygeoapi" / "pygeoapi-config.yml"
            pygeoapi_config(config, gport, geojson, parquet, bbox)
            gproc = start_pygeoapi(python, config, gport, args.threads, args.work / "pygeoapi.log")
            servers.append(("pygeoapi", f"http://127.0.0.1:{gport}", gproc))
        targets = [("wanbei-map", servers[0][1], "/ogc/collections/projects/items")]
        for b in baselines:
            targets.append((f"pygeoapi {b}", servers[1][1], f"/collections/projects_{b}/items"))
        for server, base, proc in servers:
            wait_ready(
                base + ("/ogc/collections" if server == "wanbei-map" else "/collections"), proc
            )
        scenarios = [
            ("pages", f"?f=json&limit={PAGE}&offset=%d", pages),
            ("bbox", f"?f=json&limit={PAGE}&bbox={BBOX}&offset=%d", 1),
        ]
        for scenario, query, n_pages in scenarios:
            for name, base, path in targets:
                landing = base + ("/ogc/" if name == "wanbei-map" else "/")
                drain(landing)
                size, matched, single = timed_page(base + path + query.replace("%d", "0"))
                if scenario == "pages" and matched != args.projects:
                    print(f"note: {name} says numberMatched={matched} ({args.projects} features)")
                wanted = math.ceil(single * args.min_requests / args.connections)
                duration = min(args.max_duration, max(args.duration, wanted))
                print(f"{scenario}: measuring {name} for {duration} s …", flush=True)
                figures = run_wrk(base, path + query, n_pages, args, duration, args.work)
                results.append(Result(name, scenario, bytes_per_response=size, **figures))
                drain(landing)
    finally:
        for _, _, proc in servers:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    report(results, args)
    return 0


def report(results: list[Result], args) -> None:
    """Print one table per scenario and write results.json."""
    print()
    print(f"{dt.datetime.now().isoformat(timespec='seconds')} · {machine()}")
    print(
        f"{args.projects} features, pages of {PAGE} (GeoJSON), waitress {args.threads} threads "
        f"per server, wrk -t{args.wrk_threads} -c{args.connections}, ≥{args.duration} s each"
    )
    for scenario in dict.fromkeys(r.scenario for r in results):
        rows = [r for r in results if r.scenario == scenario]
        ours = rows[0]
        print()
        print(f"scenario: {scenario}")
        head = f"{'server':<20} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'requests':>9} "
        head += f"{'errors':>7} {'× req/s':>9}"
        print(head)
        print("-" * len(head))
        for r in rows:
            ratio = ours.rps / r.rps if r.rps else float("inf")
            print(
                f"{r.server:<20} {r.rps:>9.1f} {r.p50_ms:>9.1f} {r.p99_ms:>9.1f} "
                f"{r.requests:>9} {r.errors:>7} {ratio:>9.1f}"
            )
    print()
    print(
        "× req/s: wanbei-map's requests/s divided by the row's"
        " (issue 12: ≥ 20× against pygeoapi's Parquet provider)."
    )
    out = args.work / "results.json"
    out.write_text(
        json.dumps(
            {
                "date": dt.datetime.now().isoformat(timespec="seconds"),
                "machine": machine(),
                "args": {k: str(v) for k, v in vars(args).items()},
                "results": [asdict(r) for r in results],
            },
            indent=1,
        )
    )
    print(f"figures written to {out}")


if __name__ == "__main__":
    sys.exit(main())
