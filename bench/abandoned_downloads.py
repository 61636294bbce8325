#!/usr/bin/env python3
"""`/` while 20 filtered downloads are requested and abandoned at once, against a baseline.

Each checkout (this one, and a baseline checkout given with ``--baseline``, e.g. made by
``git worktree add /tmp/base-web 754fa8c``) serves its own data with the same 100,000 synthetic
project sites (its ``bench/synth.py``, same seed) with ``wanbei-map serve``. 20 clients each
ask for the projects as KML filtered by a bbox that holds every site and hang up at once; then
``/`` is requested one after the other for ``--window`` seconds. Printed: the latency of
``/`` (median, worst), how many took over a second or failed, and the server's CPU seconds in
the window (the work still done for clients that left), side by side, with the ratio
baseline / this checkout. A request of ``/`` not answered by the end of the window counts with
the time it waited (a lower bound: the ratio is then "at least").

    python bench/abandoned_downloads.py --baseline /tmp/base-web
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ABANDONED = "/downloads/projects.kml?bbox=100,10,130,50"
#: Run ``wanbei-map serve`` from a checkout with this project's Python (the baseline's code).
LAUNCH = "import sys; sys.path.insert(0, sys.argv[1]); from webapp.cli import main; " + (
    "sys.exit(main(sys.argv[2:]))"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _get(url: str, timeout: float) -> tuple[int, float]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError:
        status = 0  # timed out or refused
    return status, time.perf_counter() - started


def _abandon(port: int, path: str) -> None:
    """Send a whole GET for ``path`` and hang up without reading a byte."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())


def run(checkout: Path, data_dir: Path, abandoned: int, window: float) -> dict[str, float]:
    """Serve ``data_dir`` from ``checkout``, abandon the downloads, time ``/``; stop it."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANBEI_")}
    env["WANBEI_RELOAD_INTERVAL"] = "0"
    argv = [sys.executable, "-c", LAUNCH, str(checkout), "serve", "--data", str(data_dir)]
    proc = subprocess.Popen(
        [*argv, "--port", str(port)],
        cwd=checkout,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 1200  # a loaded machine takes minutes at 100,000
        while _get(base + "/", 5)[0] != 200:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server of {checkout} did not start")
            time.sleep(0.2)
        for _ in range(3):  # warm: the page is rendered once per version
            _get(base + "/", 30)
        cpu_before = _cpu_seconds(proc.pid)
        for _ in range(abandoned):
            _abandon(port, ABANDONED)
        times, slow, failed = [], 0, 0
        end = time.monotonic() + window
        while time.monotonic() < end:
            status, seconds = _get(base + "/", max(end - time.monotonic(), 1.0))
            times.append(seconds)  # one not answered counts with the time it was given
            failed += status != 200
            slow += seconds > 1.0
            time.sleep(0.1)
        cpu = _cpu_seconds(proc.pid) - cpu_before
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    return {
        "median": statistics.median(times) if times else float("nan"),
        "worst": max(times) if times else float("nan"),
        "answered": len(times) - failed,
        "slow": slow,
        "failed": failed,
        "cpu": cpu,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--baseline", type=Path, required=True, help="a checkout of the baseline")
    p.add_argument("--projects", type=int, default=100_000)
    p.add_argument("--abandoned", type=int, default=20)
    p.add_argument("--window", type=float, default=20.0, help="seconds of / requests")
    p.add_argument("--seed", type=int, default=20211209, help="seed of bench/synth.py")
    args = p.parse_args(argv)
    rows = {}
    for label, checkout in (("baseline", args.baseline.resolve()), ("this", ROOT)):
        # each checkout's own data with the same synthetic sites (the columns may differ)
        data_dir = ROOT / ".cache" / "bench" / f"abandoned-{label}-{args.projects}"
        if not (data_dir / "projects.csv").is_file():
            synth = [sys.executable, str(checkout / "bench" / "synth.py"), str(data_dir)]
            synth += ["--projects", str(args.projects), "--seed", str(args.seed)]
            subprocess.run(synth, cwd=checkout, check=True, stdout=subprocess.DEVNULL)
        rows[label] = run(checkout, data_dir, args.abandoned, args.window)
        print(f"{label}: {rows[label]}", file=sys.stderr, flush=True)
    b, t = rows["baseline"], rows["this"]
    print(
        f"{args.abandoned} filtered KML downloads of {args.projects:,} sites abandoned at once; "
        f"/ requested for {args.window:.0f} s"
    )
    print(f"{'':32} {'baseline':>10} {'this':>10} {'baseline/this':>14}")
    for key, name, unit in (
        ("median", "/ latency, median", "s"),
        ("worst", "/ latency, worst", "s"),
        ("cpu", "server CPU in the window", "s"),
    ):
        ratio = b[key] / max(t[key], 1e-3)
        print(f"{name:32} {b[key]:>9.2f}{unit} {t[key]:>9.2f}{unit} {ratio:>13.1f}x")
    for key, name in (("answered", "/ answered"), ("slow", "/ over 1 s"), ("failed", "/ failed")):
        print(f"{name:32} {b[key]:>10} {t[key]:>10}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
