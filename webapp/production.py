"""``wanbei-map serve --production``: the app under gunicorn, with several worker processes.

The app (and so the validated dataset and every per-version cache) is built once in the master
process, before gunicorn forks its workers: invalid data stops start-up with every problem
listed, and the workers share the loaded data copy-on-write instead of each loading it again.
New data is likewise loaded once, by the master, which then replaces its workers
(:func:`_reload_by_workers`).
"""

from __future__ import annotations

import os
import signal
from functools import partial

from flask import Flask
from gunicorn.app.base import BaseApplication
from werkzeug.middleware.proxy_fix import ProxyFix

from webapp import state


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
        # Trust one proxy's X-Forwarded-For/-Proto/-Host/-Prefix (nginx: see docs/deploy.md).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_prefix=1)
    options = {
        "when_ready": partial(_reload_by_workers, app),
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "preload_app": True,
        "proc_name": "wanbei-map",
        "accesslog": "-",
        "errorlog": "-",
        "graceful_timeout": 10,
        "forwarded_allow_ips": "127.0.0.1,::1",
        # No admin socket in the home directory: nothing here uses it, and instances would share it.
        "control_socket_disable": True,
    }
    _Gunicorn(application, options).run()
    return 0


def _reload_by_workers(app: Flask, arbiter: object) -> None:
    """Once gunicorn is ready: new data is loaded by the master alone, then the workers are
    replaced (gunicorn's graceful reload, SIGHUP: new workers are forked with the new version,
    the old ones finish their requests and exit).

    Without this, every worker would also load and prepare each new version on its own, and
    keep its own copy: at 100,000 sites about 160 MB per worker instead of one copy shared by
    all of them."""
    reloader = app.extensions.get("wanbei.reloader")
    if reloader is None:
        return
    state.watch_in_children(False)
    master = os.getpid()
    reloader.after_swap.append(lambda _version: os.kill(master, signal.SIGHUP))
