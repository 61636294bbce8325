"""Cold start of ``wanbei-map serve`` on the shipped data against importing its dependencies.

Both in fresh processes, one after the other, ``--repeat`` times (median reported):

- *imports*: ``python -c "import geopandas, folium, flask, pyproj, shapely"`` from start to exit
  (the floor: no server of this stack can answer before these are imported);
- *serve*: ``wanbei-map serve --data data/ --port P`` (waitress, reloading off) from the start of
  the process until ``GET /`` first answers 200 on a free loopback port (polled every 10 ms),
  then stopped.

Prints both, and their ratio (the issue's bound: at most 2.5×).

Run: ``.venv/bin/python bench/coldstart.py [--repeat 7] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = Path(sys.executable).with_name("wanbei-map")
DEPENDENCIES = ("geopandas", "folium", "flask", "pyproj", "shapely")
#: The bound of issue 12 item 6: serve's cold start over the imports' time.
BOUND = 2.5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env() -> dict[str, str]:
    env = dict(os.environ, WANBEI_RELOAD_INTERVAL="0")
    env.pop("WANBEI_DATABASE_URL", None)
    return env


def time_imports() -> float:
    """Seconds for a fresh interpreter to import the dependencies and exit."""
    code = "import " + ", ".join(DEPENDENCIES)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=_env())
    return time.perf_counter() - started


def _ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            response.read()
            return response.status == 200
    except urllib.error.HTTPError:
        return False
    except OSError:
        return False


def time_serve(data_dir: Path, timeout: float = 120.0) -> float:
    """Seconds from starting ``wanbei-map serve`` to its first 200 on ``/``."""
    port = _free_port()
    cmd = [str(CLI), "serve", "--data", str(data_dir), "--host", "127.0.0.1", "--port", str(port)]
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        while True:
            if proc.poll() is not None:
                raise SystemExit(
                    f"wanbei-map serve exited with {proc.returncode}:\n{proc.stderr.read()}"
                )
            if _ok(url):
                return time.perf_counter() - started
            if time.perf_counter() - started > timeout:
                raise SystemExit(f"wanbei-map serve did not answer within {timeout:.0f} s")
            time.sleep(0.01)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def measure(repeat: int, data_dir: Path) -> dict:
    """Median seconds of each (interleaved, so that load changes hit both alike) and the ratio."""
    imports, serve = [], []
    time_imports()  # warm the file cache for both
    for _ in range(repeat):
        imports.append(time_imports())
        serve.append(time_serve(data_dir))
    imp, srv = statistics.median(imports), statistics.median(serve)
    return {
        "imports_s": imp,
        "serve_s": srv,
        "ratio": srv / imp,
        "bound": BOUND,
        "imports_all": imports,
        "serve_all": serve,
        "repeat": repeat,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeat", type=int, default=7, help="runs of each (default: %(default)s)")
    p.add_argument("--data", type=Path, default=ROOT / "data", help="data directory to serve")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = p.parse_args(argv)
    result = measure(max(args.repeat, 1), args.data)
    if args.json:
        print(json.dumps(result))
        return 0
    load = os.getloadavg()[0]
    print(f"cold start, median of {result['repeat']} (load average {load:.1f}):")
    print(f"  import {', '.join(DEPENDENCIES)}: {result['imports_s']:.2f} s")
    print(f"  wanbei-map serve until / answers 200: {result['serve_s']:.2f} s")
    verdict = "pass" if result["ratio"] <= BOUND else "FAIL"
    print(f"  ratio: {result['ratio']:.2f}× (bound ≤ {BOUND}×: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
