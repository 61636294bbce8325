"""The wanbei-map command: help, validate, and serve refusing invalid data."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.helpers import read_rows, set_cell
from webapp.cli import main

EXE = [sys.executable, "-m", "webapp.cli"]


@pytest.mark.parametrize("args", [["--help"], ["serve", "--help"], ["validate", "--help"]])
def test_help(args, capsys):
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "usage: wanbei-map" in out


def test_validate_ok(data_copy, capsys):
    assert main(["validate", str(data_copy)]) == 0
    places = len(read_rows(data_copy / "places.csv")[1])
    pairings = len(read_rows(data_copy / "pairings.csv")[1])
    assert "valid (" in (out := capsys.readouterr().out)
    assert f" {places} places, {pairings} pairings, " in out


def test_validate_lists_every_problem_and_fails(data_copy, capsys):
    r1 = set_cell(data_copy / "places.csv", "adcode", "340300", "level", "town")
    r2 = set_cell(data_copy / "projects.csv", "id", "PR-ningbo-bengbu-yusheng", "year", "20x2")
    assert main(["validate", str(data_copy)]) == 1
    err = capsys.readouterr().err
    assert "2 problem(s) in the data" in err
    assert f"places.csv, row {r1}, column level: 'town' is not allowed" in err
    assert f"projects.csv, row {r2}, column year: '20x2' is not a whole number" in err


def test_serve_refuses_invalid_data(data_copy):
    set_cell(data_copy / "parks.csv", "id", "PK-ningbo-bengbu", "status", "open")
    out = subprocess.run(
        [*EXE, "serve", "--data", str(data_copy), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert "column status: 'open' is not allowed" in out.stderr
    assert "The server did not start" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("WANBEI_RELOAD_INTERVAL", "soon", "RELOAD_INTERVAL (WANBEI_RELOAD_INTERVAL) must be"),
        ("WANBEI_CACHE_DIR", "/proc/no-such-place", "CACHE_DIR (WANBEI_CACHE_DIR) must be"),
    ],
)
def test_serve_refuses_a_bad_setting_without_a_traceback(data_copy, variable, value, message):
    out = subprocess.run(
        [*EXE, "serve", "--data", str(data_copy), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, variable: value},
    )
    assert out.returncode == 2
    assert message in out.stderr
    assert "The server did not start: fix the setting" in out.stderr
    assert "Traceback" not in out.stderr


def test_serve_stopped_by_sigterm_exits_cleanly_and_removes_its_cache(data_copy, tmp_path):
    """A service manager stops the server with SIGTERM: exit status 0, and the private
    download cache (a directory in the temporary directory) is gone."""
    import signal
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANBEI_")}
    proc = subprocess.Popen(
        [*EXE, "serve", "--data", str(data_copy), "--port", str(port)],
        env={**env, "TMPDIR": str(tmp)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, "the server exited"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/downloads/places.csv") as r:
                    r.read()
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.2)
        made = [p for p in tmp.iterdir() if p.name.startswith("wanbei-map-")]
        assert made and any(made[0].rglob("places.csv"))
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert not [p for p in tmp.iterdir() if p.name.startswith("wanbei-map-")]
