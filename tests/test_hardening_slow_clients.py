"""Slow-header clients do not starve the others under the documented production setup
(issue 15, defect 11): `wanbei-map serve --production --behind-proxy` behind nginx, configured
with the nginx block of docs/deploy.md itself. All on loopback, bounded in time."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.test_serve_production import WANBEI_MAP, env, free_port, wait_for

DEPLOY = Path(__file__).resolve().parent.parent / "docs" / "deploy.md"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SLOW_CLIENTS = 150


def documented_server_block() -> str:
    """The first nginx block of docs/deploy.md (the one a deployment copies)."""
    blocks = re.findall(r"```nginx\n(.*?)```", DEPLOY.read_text(encoding="utf-8"), re.S)
    assert blocks, "docs/deploy.md has no nginx block"
    return blocks[0]


def test_the_documented_proxy_reads_headers_with_a_deadline_and_drops_forged_ones():
    block = documented_server_block()
    assert re.search(r"client_header_timeout\s+\d+s;", block)
    for header in ("X-Forwarded-Host", "X-Forwarded-Prefix"):
        assert f'proxy_set_header {header} "";' in block, header


def nginx_conf(tmp_path: Path, listen: int, upstream: int) -> Path:
    block = documented_server_block()
    block = block.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};")
    block = re.sub(r"listen 443 ssl;", f"listen 127.0.0.1:{listen};", block)
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / name).mkdir()
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"""
{"user root;" if os.geteuid() == 0 else ""}
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
worker_processes 1;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp_path}/client_body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
{block}
}}
""",
        encoding="utf-8",
    )
    return conf


def test_slow_header_clients_do_not_starve_others_behind_the_documented_proxy(tmp_path):
    if not Path(NGINX).exists():
        pytest.fail("nginx is missing: `make test` installs Debian's nginx-light package")
    app_port, proxy_port = free_port(), free_port()
    conf = nginx_conf(tmp_path, proxy_port, app_port)
    argv = [WANBEI_MAP, "serve", "--production", "--behind-proxy", "--port", str(app_port)]
    app = subprocess.Popen(
        argv + ["--workers", "1", "--threads", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**env(), "WANBEI_RELOAD_INTERVAL": "0"},
    )
    proxy = None
    slow: list[socket.socket] = []
    try:
        wait_for(f"http://127.0.0.1:{app_port}/", app)
        proxy = subprocess.Popen(
            [NGINX, "-c", str(conf), "-p", str(tmp_path), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{proxy_port}"
        wait_for(base + "/", proxy)
        for _ in range(SLOW_CLIENTS):  # each sends part of its headers, then trickles
            s = socket.create_connection(("127.0.0.1", proxy_port), timeout=5)
            s.sendall(b"GET / HTTP/1.1\r\nHost: map.example.org\r\n")
            slow.append(s)
        for round_ in range(3):
            for s in slow:
                try:
                    s.sendall(f"X-Slow-{round_}: 1\r\n".encode())
                except OSError:
                    pass
            started = time.monotonic()
            with urllib.request.urlopen(base + "/ogc/collections?f=json", timeout=10) as r:
                assert r.status == 200
                r.read()
            assert time.monotonic() - started < 5, "a normal request waited on the slow ones"
            time.sleep(0.5)
    finally:
        for s in slow:
            s.close()
        if proxy is not None:
            proxy.terminate()
            proxy.wait(timeout=30)
        app.terminate()
        app.wait(timeout=30)
