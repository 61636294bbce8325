"""``wanbei-map serve --production``: the app under gunicorn, with several worker processes.

The app (and so the validated dataset and every per-version cache) is built once in the master
process, before gunicorn forks its workers: invalid data stops start-up with every problem
listed, and the workers share the loaded data copy-on-write instead of each loading it again.
New data is likewise loaded once, by the master, which then replaces its workers
(:func:`when_ready`).
"""

from __future__ import annotations

import gc
import os
import signal
from typing import Any

from flask import Flask

from geo.extras import require
from webapp import proxy, state

BaseApplication = require(
    "gunicorn.app.base", "production", "wanbei-map serve --production"
).BaseApplication


class _Gunicorn(BaseApplication):
    """gunicorn's custom-application hook: serve an app that is already built."""

    def __init__(self, application, options: dict) -> None:
        self.application = application
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # settings differ between gunicorn releases
                self.cfg.set(key, value)

    def load(self):
        return self.application


def serve(
    app: Flask,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 2,
    threads: int = 4,
    behind_proxy: bool = False,
) -> int:
    """Run ``app`` under gunicorn until it is stopped (SIGTERM or SIGINT: graceful)."""
    application = app
    if behind_proxy:
        proxy.trust_proxy(app)  # X-Forwarded-For and -Proto of one proxy (docs/deploy.md)
    options = {
        "when_ready": when_ready,
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "preload_app": True,
        "proc_name": "wanbei-map",
        "accesslog": "-",
        "errorlog": "-",
        "graceful_timeout": 10,
        # a worker silent for this long is replaced (docs/deploy.md; nginx's proxy_read_timeout
        # matches it); idle kept-alive connections from the proxy are closed after keepalive
        "timeout": 120,
        "keepalive": 5,
        "forwarded_allow_ips": "127.0.0.1,::1",
        # No admin socket in the home directory: nothing here uses it, and instances would share it.
        "control_socket_disable": True,
    }
    state.wait_prepared(app)  # the workers share the parts instead of each building them
    _Gunicorn(application, options).run()
    return 0


def when_ready(arbiter: Any) -> None:
    """gunicorn's ``when_ready`` hook: new data is loaded by the master alone, then the
    workers are replaced (gunicorn's graceful reload, SIGHUP: new workers are forked with the
    new version; the old ones finish their requests and exit).

    Without it, every worker would also load and prepare each new version on its own and keep
    its own copy (at 100,000 sites about 160 MB per worker, instead of one copy shared by all),
    and for a while the workers would answer from different versions. ``serve --production``
    installs it; with a gunicorn command of your own, ``-c python:webapp.production`` does
    (with ``--preload``)."""
    if not arbiter.cfg.preload_app:
        arbiter.log.warning("wanbei-map: without --preload each worker loads and reloads the data")
        return
    app = arbiter.app.wsgi()
    _share_with_workers()
    reloader = getattr(app, "extensions", {}).get("wanbei.reloader")
    if reloader is None:
        return
    state.watch_in_children(False)
    master = os.getpid()

    def replace_workers(_version: str) -> None:
        _share_with_workers()
        os.kill(master, signal.SIGHUP)

    reloader.after_swap.append(replace_workers)


def _share_with_workers() -> None:
    """Before the master forks workers: collect, then freeze what is left (``gc.freeze``).

    A worker shares the master's pages until it writes to them; the collector writes into
    every object it examines, so without this each worker's first full collection would copy
    the pages of every container of the data version. Unfrozen again before the next
    collection, so the old version's cycles are freed after a reload."""
    gc.unfreeze()
    state.release_memory()
    gc.freeze()
