"""`wanbei-map serve --production`: the app under gunicorn, in real worker processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

WANBEI_MAP = str(Path(sys.executable).parent / "wanbei-map")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("WANBEI_")}


def wait_for(url: str, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"{url} did not answer within {timeout} s")


def test_production_server_serves_the_map_and_downloads(tmp_path, client):
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [WANBEI_MAP, "serve", "--production", "--port", str(port), "--workers", "2"]
            + ["--behind-proxy"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**env(), "WANBEI_PUBLIC_URL": "https://map.example.org/map/"},
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/", proc)
        with urllib.request.urlopen(base + "/") as page:
            assert page.status == 200
            assert page.headers["Server"] == "gunicorn"
            assert "沪苏浙城市结对合作帮扶皖北城市" in page.read().decode()
        with urllib.request.urlopen(base + "/downloads/pairings.geojson") as download:
            assert download.headers["Content-Type"] == "application/geo+json"
            assert download.read() == client.get("/downloads/pairings.geojson").data
        # Published at .../map/ (WANBEI_PUBLIC_URL), its URLs carry the prefix, whatever
        # prefix or host a client forges.
        forged = {"X-Forwarded-Prefix": "//evil.example", "X-Forwarded-Host": "evil.example"}
        request = urllib.request.Request(base + "/", headers=forged)
        with urllib.request.urlopen(request) as page:
            html = page.read().decode()
            assert 'src="/map/static/wanbei.js"' in html
            assert "evil.example" not in html
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    text = log.read_text()
    assert code == 0, text
    assert text.count("Booting worker") == 2, text
    assert "GET /downloads/pairings.geojson" in text  # the access log


def test_production_server_refuses_bad_data(tmp_path):
    proc = subprocess.run(
        [WANBEI_MAP, "serve", "--production", "--port", str(free_port()), "--data", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env(),
        timeout=60,
    )
    assert proc.returncode == 2
    assert "places.csv: file is missing" in proc.stderr
    assert "The server did not start" in proc.stderr
    assert "Booting worker" not in proc.stdout + proc.stderr


@pytest.mark.parametrize("command", ["serve --production", "own gunicorn command"])
def test_production_server_reloads_new_data_once_and_replaces_its_workers(
    tmp_path, data_copy, command
):
    """New data is prepared by the master alone; the workers are replaced, not each reloading.

    Also with a gunicorn command of one's own, given the hook (docs/deploy.md)."""
    from geo.importer import apply_import, plan_import

    port = free_port()
    log = tmp_path / "server.log"
    if command == "serve --production":
        argv = [WANBEI_MAP, "serve", "--production", "--port", str(port), "--workers", "2"]
        argv += ["--data", str(data_copy)]
    else:
        argv = [str(Path(sys.executable).parent / "gunicorn"), "-c", "python:webapp.production"]
        argv += ["--preload", "--workers", "2", "--bind", f"127.0.0.1:{port}"]
        argv += ["webapp:create_app()"]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**env(), "WANBEI_RELOAD_INTERVAL": "0.2", "WANBEI_DATA_DIR": str(data_copy)},
        )
    base = f"http://127.0.0.1:{port}"
    url = base + "/downloads/projects.geojson"
    try:
        wait_for(base + "/", proc)
        with urllib.request.urlopen(url) as response:
            assert "甬蚌新能源电池项目" not in response.read().decode()
        sheet = Path(__file__).parent / "data" / "projects_zh.xlsx"
        plan = plan_import(sheet, "projects", data_copy)
        apply_import(plan)
        deadline = time.monotonic() + 60
        served = ""
        while time.monotonic() < deadline and "甬蚌新能源电池项目" not in served:
            time.sleep(0.3)
            with urllib.request.urlopen(url) as response:
                served = response.read().decode()
        assert "甬蚌新能源电池项目" in served, log.read_text()
        for _ in range(10):  # every worker answers with the new data
            with urllib.request.urlopen(url) as response:
                assert "甬蚌新能源电池项目" in response.read().decode()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and log.read_text().count("Worker exiting") < 2:
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    text = log.read_text()
    assert code == 0, text
    assert text.count("reloaded the data: version " + plan.version_after) == 1, text
    assert "Handling signal: hup" in text, text
    assert text.count("Booting worker") == 4, text  # two at start, two with the new data
