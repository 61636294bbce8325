"""Fixtures: the app from the factory, a client, a copy of the data to break, a live server and
a real browser (Debian's headless Chromium driven by Playwright)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from webapp import DEFAULT_DATA_DIR, create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def app():
    # one per process: every part built now, as a server has them (the browser tests' pages
    # then wait for none of them)
    return create_app({"TESTING": True, "DATA_DIR": str(DEFAULT_DATA_DIR), "PREPARE": "now"})


def prepare_every_part(app) -> None:
    """Build every part of the served version that an app under TESTING builds on first use
    (webapp.state.PREPARE_MODES), so that a browser's first page waits for none of them."""
    from webapp import state  # noqa: PLC0415

    with app.app_context():
        for name in state.preparers_of(app):
            app.extensions["wanbei"].part(name)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped data directory."""
    target = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, target, ignore=shutil.ignore_patterns("*.md"))
    return target


def _closing(app):
    """``app`` whose response bodies are closed even when a client goes away mid-response.

    werkzeug's development server closes a body after draining the request's socket; when the
    browser has already closed the connection (a test closed its page while the favicon was on
    its way) that drain raises first, and the body's open file is left to the garbage collector
    (a ResourceWarning, an error under ``filterwarnings = error``). Here the body is a generator
    that closes it when it is finished, or collected."""

    def wsgi(environ, start_response):
        body = app(environ, start_response)

        def chunks():
            try:
                yield from body
            finally:
                if hasattr(body, "close"):
                    body.close()

        return chunks()

    return wsgi


class LiveServer:
    def __init__(self, app) -> None:
        prepare_every_part(app)
        self.server = make_server("127.0.0.1", 0, _closing(app), threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(app):
    with LiveServer(app) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Tabs:
    """Browser tabs kept open from one test to the next, one per set of context options.

    A fresh context and tab cost Chromium about 1.8 core-seconds for one of our pages, a tab
    that stays open and goes to the next page about 0.8 (its renderer process and caches stay;
    docs/benchmarks.md, "The test suite"). A test borrows a tab (:meth:`borrow`); when it gives
    it back the tab goes to about:blank, and loses the test's listeners and routes, the other
    tabs it opened, and a viewport or media it changed. A test that closed the tab or its
    context gets a new one next time."""

    #: At most this many tabs are kept open (each holds a renderer process); the one given back
    #: longest ago is closed first.
    KEEP = 8

    def __init__(self, browser) -> None:
        self.browser = browser
        self.free: list[tuple[str, object]] = []  # (options, tab), the latest given back last

    def borrow(self, **options):
        key = repr(sorted(options.items()))
        mine = [i for i, (k, tab) in enumerate(self.free) if k == key and not tab.is_closed()]
        if mine:
            tab = self.free.pop(mine[-1])[1]
        else:
            tab = self.browser.new_context(**options).new_page()
        registered: list[tuple[str, object]] = []
        on, once = tab.on, tab.once
        tab.on = lambda event, f: (registered.append((event, f)), on(event, f))[1]
        tab.once = lambda event, f: (registered.append((event, f)), once(event, f))[1]
        tab.wanbei_return = lambda: self._give_back(key, tab, registered, options)
        return tab

    def _give_back(self, key, tab, registered, options) -> None:
        del tab.on, tab.once
        if tab.is_closed():
            return
        try:
            for other in tab.context.pages:
                if other is not tab:
                    other.close()
            tab.unroute_all(behavior="ignoreErrors")
            tab.context.unroute_all(behavior="ignoreErrors")
            tab.goto("about:blank")
            for event, f in registered:
                tab.remove_listener(event, f)
            if "viewport" in options:
                tab.set_viewport_size(options["viewport"])
            tab.emulate_media(media="null")
        except Exception:  # noqa: BLE001 - a tab that cannot be reset is not reused
            tab.context.close()
            return
        self.free.append((key, tab))
        while len(self.free) > self.KEEP:
            oldest = self.free.pop(0)[1]
            if not oldest.is_closed():
                oldest.context.close()


@pytest.fixture(scope="session")
def tabs(browser):
    return Tabs(browser)


# page.evaluate returns the value of its expression, serialised: an expression that returns a
# Leaflet object (map.setView(...), map.panBy(...) return the map) has Playwright walk the whole
# map's object graph, about 6 s. Write `void wanbei.map.setView(...)` when the value is not needed.
@pytest.fixture
def page(tabs):
    p = tabs.borrow(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    yield p
    p.wanbei_return()


# --- PostGIS: a real PostgreSQL started by the project's scripts/pg.sh --------------------------
# To run a test module on both stores, use the `backend_client` (or `backend_app`) fixture
# instead of `client` (`app`): it is parametrized over "csv" and "postgis".

PG_SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "pg.sh"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def database_url():
    """A PostGIS database: $WANBEI_TEST_DATABASE_URL, else a throwaway cluster of scripts/pg.sh
    made for this run — in a fresh directory under the temporary folder (owned by `postgres`
    when run as root, so that it can reach its files wherever the checkout is), on a free port —
    and deleted at the end."""
    url = os.environ.get("WANBEI_TEST_DATABASE_URL")
    if url:
        yield url
        return
    # Not under pytest's basetemp: that may be in a folder the postgres user cannot enter.
    base = Path(tempfile.mkdtemp(prefix="wanbei-pg-"))
    try:
        if os.geteuid() == 0:
            import pwd

            owner = pwd.getpwnam("postgres")
            os.chown(base, owner.pw_uid, owner.pw_gid)
        env = dict(os.environ, WANBEI_PG_DIR=str(base / "data"))
        for _ in range(3):  # another program may take the free port before the server does
            env["WANBEI_PG_PORT"] = str(_free_port())
            started = subprocess.run(
                [str(PG_SCRIPT), "start"], env=env, capture_output=True, text=True
            )
            if started.returncode == 0 or "could not bind" not in started.stderr:
                break
        if started.returncode != 0:
            pytest.fail(f"scripts/pg.sh start failed:\n{started.stderr}")
        try:
            yield started.stdout.strip().splitlines()[-1]
        finally:
            subprocess.run([str(PG_SCRIPT), "stop"], env=env, check=False)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _schema_name(prefix: str) -> str:
    import uuid

    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def drop_schema(url: str, schema: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture
def empty_postgis(database_url):
    """A PostgisStore whose tables exist (`db init`) in a schema of its own, and hold nothing."""
    from geo.postgis import PostgisStore

    store = PostgisStore(database_url, _schema_name("t"))
    store.init()
    yield store
    drop_schema(database_url, store.schema)


@pytest.fixture(scope="session")
def postgis_store(database_url):
    """A PostgisStore in a schema of its own, loaded with the shipped data/."""
    from geo.postgis import PostgisStore

    store = PostgisStore(database_url, _schema_name("s"))
    store.init()
    store.write_dir(DEFAULT_DATA_DIR)
    yield store
    drop_schema(database_url, store.schema)


@pytest.fixture(scope="session", params=["csv", "postgis"])
def backend(request):
    """The store the app reads: the shipped files, or PostGIS loaded with them."""
    from geo.dataset import CsvStore

    if request.param == "csv":
        return CsvStore(DEFAULT_DATA_DIR)
    return request.getfixturevalue("postgis_store")


@pytest.fixture(scope="session")
def backend_app(backend):
    return create_app({"TESTING": True, "STORE": backend})


@pytest.fixture
def backend_client(backend_app):
    return backend_app.test_client()
