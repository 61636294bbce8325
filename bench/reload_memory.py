"""The server's memory while it reloads new data, single-process and under gunicorn.

A reload prepares the new data version while the old one is still served, so for a while both
are in memory. This bench starts a server of N synthetic project sites (``bench/synth.py``),
warms it up, then replaces ``projects.csv`` by another N sites (another seed) and follows the
server's processes until the new version is served everywhere:

- ``serve``: ``wanbei-map serve`` (waitress, one process): its RSS before, its peak during the
  reload (``VmHWM``, reset just before the change), and after (warmed up again);
- ``serve --production --workers W``: gunicorn's master and its workers. Since they share pages
  (copy-on-write), the figure for the whole server is the sum of each process's PSS
  (``/proc/PID/smaps_rollup``), sampled every 0.1 s; the largest RSS of one process is given too.

``--baseline DIR`` runs the same servers from another checkout too (e.g. the code before a
change: ``git worktree add /tmp/base <commit>``), one after the other in the same run, and
prints the ratio of the baseline's peak to this checkout's.

Run: ``.venv/bin/python bench/reload_memory.py [--sites 100000] [--workers 2] [--only serve]
[--baseline DIR]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from memory import WARM, _free_port, _get, _requests, wait_ready  # noqa: E402
from synth import generate  # noqa: E402

from layers.registry import LAYERS  # noqa: E402
from webapp import DEFAULT_DATA_DIR  # noqa: E402

MB = 2**20


def _tree(pid: int) -> list[int]:
    """``pid`` and its children (gunicorn's workers)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [pid, *(int(c) for c in children)]


def _field(path: str, key: str) -> int:
    """A ``key: N kB`` field of a /proc file, in bytes (0 if the process is gone)."""
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _sample(pid: int) -> tuple[int, int, int]:
    """(sum of PSS, largest RSS, processes) of the server's process tree."""
    pids = _tree(pid)
    pss = sum(_field(f"/proc/{p}/smaps_rollup", "Pss") for p in pids)
    rss = max((_field(f"/proc/{p}/status", "VmRSS") for p in pids), default=0)
    return pss, rss, len(pids)


def _etag(url: str) -> str:
    import urllib.request  # noqa: PLC0415

    with urllib.request.urlopen(url, timeout=300) as response:
        response.read()
        return response.headers["ETag"]


def run(
    kind: str, sites: int, workers: int, seeds: tuple[int, int], code: Path = ROOT
) -> dict[str, float]:
    """Serve ``sites`` synthetic sites with ``kind`` from the checkout ``code``, reload new
    ones, return the figures."""
    data = ROOT / ".cache" / "bench" / f"reload-{sites}"
    generate(DEFAULT_DATA_DIR, data, sites, seeds[0])
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "webapp.cli", "serve", "--data", str(data), "--port", str(port)]
    if kind != "serve":
        cmd += ["--production", "--workers", str(workers)]
    env = {**os.environ, "WANBEI_RELOAD_INTERVAL": "1"}
    env.pop("WANBEI_DATABASE_URL", None)
    proc = subprocess.Popen(
        cmd, cwd=code, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        started = time.perf_counter()
        wait_ready(proc, base, str(data))
        cold = time.perf_counter() - started
        warm = [*WARM, *(f"/downloads/{i}.geojson" for i in LAYERS)]
        for path in warm + _requests(60):
            assert _get(base + path) == 200, path
        time.sleep(2)  # gunicorn: every worker is up
        before = _sample(proc.pid)
        old_tag = _etag(base + "/downloads/projects.geojson")
        with tempfile.TemporaryDirectory(dir=data.parent) as tmp:
            generate(DEFAULT_DATA_DIR, Path(tmp) / "next", sites, seeds[1])
            for p in _tree(proc.pid):  # the peak from here on
                Path(f"/proc/{p}/clear_refs").write_text("5")
            changed = time.perf_counter()
            os.replace(Path(tmp) / "next" / "projects.csv", data / "projects.csv")
        peak_pss, peak_rss, most = before
        swapped = None
        settle_until = None
        while True:
            pss, rss, n = _sample(proc.pid)
            peak_pss, peak_rss, most = max(peak_pss, pss), max(peak_rss, rss), max(most, n)
            if swapped is None and _etag(base + "/downloads/projects.geojson") != old_tag:
                swapped = time.perf_counter() - changed
                settle_until = time.perf_counter() + (15 if kind != "serve" else 2)
            if settle_until is not None and time.perf_counter() > settle_until:
                if kind == "serve" or n == workers + 1:
                    break
            if time.perf_counter() - changed > 900:
                raise SystemExit("the new data was not served within 15 minutes")
            time.sleep(0.1)
        hwm = max(_field(f"/proc/{p}/status", "VmHWM") for p in _tree(proc.pid))
        for path in warm + _requests(60):
            assert _get(base + path) == 200, path
        time.sleep(1)
        after = _sample(proc.pid)
        return {
            "cold": cold,
            "before_pss": before[0],
            "before_rss": before[1],
            "peak_pss": peak_pss,
            "peak_rss": max(peak_rss, hwm),
            "after_pss": after[0],
            "after_rss": after[1],
            "processes": most,
            "swapped": swapped,
        }
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sites", type=int, default=100_000)
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers (--production)")
    p.add_argument("--seed", type=int, default=20211209, help="seed of the first data")
    p.add_argument("--only", choices=("serve", "production"), help="run one kind of server")
    p.add_argument("--baseline", type=Path, help="another checkout to run side by side")
    args = p.parse_args(argv)
    kinds = [args.only] if args.only else ["serve", "production"]
    codes = [("this checkout", ROOT)]
    if args.baseline:
        codes.append(("baseline", args.baseline.resolve()))
    rows = []
    for kind in kinds:
        label = "serve" if kind == "serve" else f"serve --production --workers {args.workers}"
        for name, code in codes:
            m = run(kind, args.sites, args.workers, (args.seed, args.seed + 1), code)
            rows.append((label, name, m))
            print(f"{label} ({name}): {m}", file=sys.stderr, flush=True)
    print(
        f"| server ({args.sites:,} sites) | code | processes | before: PSS total | largest RSS "
        "| during the reload: peak PSS total | peak RSS of one process | after: PSS total "
        "| largest RSS | new data served after | ratio (peak PSS: baseline / this) |"
    )
    print("|" + "---|" * 11)
    ours = {label: m for label, name, m in rows if name == "this checkout"}
    for label, name, m in rows:
        ratio = f"{m['peak_pss'] / ours[label]['peak_pss']:.2f}×"
        print(
            f"| {label} | {name} | {m['processes']} | {m['before_pss'] / MB:.0f} MB "
            f"| {m['before_rss'] / MB:.0f} MB | {m['peak_pss'] / MB:.0f} MB "
            f"| {m['peak_rss'] / MB:.0f} MB | {m['after_pss'] / MB:.0f} MB "
            f"| {m['after_rss'] / MB:.0f} MB | {m['swapped']:.1f} s | {ratio} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
