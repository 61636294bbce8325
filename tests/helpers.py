"""Small helpers: break a copy of the data in one precise place; serve a static site."""

from __future__ import annotations

import contextlib
import csv
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def write_rows(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def set_cell(path: Path, key: str, key_value: str, column: str, value: str) -> int:
    """Set one cell; return the line number of the changed row (the header is line 1)."""
    header, rows = read_rows(path)
    for i, row in enumerate(rows):
        if row[key] == key_value:
            row[column] = value
            write_rows(path, header, rows)
            return i + 2
    raise KeyError(f"no row with {key}={key_value} in {path}")


@contextlib.contextmanager
def static_server(site: Path) -> Iterator[str]:
    """Serve ``site`` with ``python -m http.server`` on a free loopback port; yield its URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=site,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/", timeout=2).close()
                break
            except OSError as err:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("python -m http.server did not start") from err
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
