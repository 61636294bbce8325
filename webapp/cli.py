"""The ``wanbei-map`` command: serve the map, validate a data directory, the PostGIS store,
the static export (a click group, like Flask's own command line)."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import click

from geo.coords import CRS_NAMES
from geo.dataset import load_dataset
from geo.errors import DataError
from geo.extras import MissingExtra
from geo.spec import SPEC
from geo.text import printable


class _Usage:
    """Writes the usage line as ``usage: wanbei-map …`` (as the command always has)."""

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        pieces = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix="usage: ")


class _Command(_Usage, click.Command):
    pass


class _Group(_Usage, click.Group):
    command_class = _Command
    group_class = type  # subgroups are _Group too


def _default_data_dir() -> str:
    from webapp import DEFAULT_DATA_DIR  # noqa: PLC0415 - keeps `validate` free of Flask

    return str(DEFAULT_DATA_DIR)


def _data_dir(data: str | None) -> str:
    return data or os.environ.get("WANBEI_DATA_DIR") or _default_data_dir()


def _quiet() -> bool:
    """No progress bar under CI or when stderr is not a terminal."""
    return os.environ.get("CI", "").lower() in ("true", "1") or not sys.stderr.isatty()


def _err(*lines: str) -> None:
    for line in lines:
        print(line, file=sys.stderr)


@click.group(
    cls=_Group,
    help="The map of the 沪苏浙–皖北 city pairing programme.",
)
def cli() -> None:
    """The command-line interface."""


# --- serve ---------------------------------------------------------------------------------------


@cli.command(
    short_help="serve the map",
    help="Validate the data, then serve the map and its downloads. The server refuses to start "
    "on invalid data and prints every problem. Without --production it is for one machine and a "
    "trusted network (a few slow clients can hold it up); for the public, use --production "
    "behind a reverse proxy (docs/deploy.md).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    help="address to listen on (default: 127.0.0.1; 0.0.0.0 for every interface)",
)
@click.option("--port", type=int, default=8000, help="port (default: 8000)")
@click.option(
    "--data", metavar="DIR", help="data directory (default: $WANBEI_DATA_DIR or the shipped data/)"
)
@click.option("--threads", type=int, default=4, help="worker threads (default: 4)")
@click.option(
    "--production",
    is_flag=True,
    help="serve with gunicorn: several worker processes (see docs/deploy.md)",
)
@click.option(
    "--workers",
    type=int,
    default=2,
    help="gunicorn worker processes with --production (default: 2)",
)
@click.option(
    "--behind-proxy",
    is_flag=True,
    help="with --production: trust one reverse proxy's X-Forwarded-For and -Proto",
)
def serve(
    host: str,
    port: int,
    data: str | None,
    threads: int,
    production: bool,
    workers: int,
    behind_proxy: bool,
) -> int:
    import waitress  # noqa: PLC0415

    from webapp import create_app  # noqa: PLC0415
    from webapp.errors import ConfigError  # noqa: PLC0415

    if production:  # before the app is built: says at once if gunicorn is missing
        from webapp.production import serve as serve_production  # noqa: PLC0415
    config = {"DATA_DIR": data, "DATABASE_URL": None} if data else None
    try:
        app = create_app(config)
    except DataError as exc:
        _err(exc.report(), "The server did not start: fix the data and try again.")
        return 2
    except ConfigError as exc:  # a setting (WANBEI_RELOAD_INTERVAL, WANBEI_CACHE_DIR...)
        _err(str(exc), "The server did not start: fix the setting and try again.")
        return 2
    print(
        f"Serving the map on http://{host}:{port}/ (data version "
        f"{app.extensions['wanbei'].dataset.version}); Ctrl+C stops it.",
        flush=True,
    )
    if production:
        return serve_production(
            app, host=host, port=port, workers=workers, threads=threads, behind_proxy=behind_proxy
        )
    if host not in ("127.0.0.1", "localhost", "::1"):
        _err(
            "Note: without --production this server is for one machine and a trusted network; "
            "for the public, run --production behind a reverse proxy (docs/deploy.md)."
        )
    # SIGTERM (systemd, docker stop) ends the server like Ctrl+C: the exit handlers run, and
    # remove the private download cache (else it is left until the next start sweeps it)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    waitress.serve(
        app,
        host=host,
        port=port,
        threads=threads,
        ident="wanbei-map",
        # read ahead so that a client that hangs up is noticed while its download is built
        channel_request_lookahead=1,
    )
    return 0


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)


# --- db ------------------------------------------------------------------------------------------


@cli.group(
    short_help="the PostGIS store",
    help="Create the PostGIS tables, or load a data directory into them. The app reads from "
    "PostGIS when WANBEI_DATABASE_URL is set.",
    subcommand_metavar="DB_COMMAND [ARGS]...",
)
def db() -> None:
    """The PostGIS store."""


def _where(command: Callable) -> Callable:
    """The options that say which database and schema."""
    command = click.option(
        "--schema", default="wanbei", help="schema of the tables (default: wanbei)"
    )(command)
    return click.option(
        "--database", metavar="URL", help="postgresql:// URL (default: $WANBEI_DATABASE_URL)"
    )(command)


_INIT = "create the postgis extension, tables and indexes"
_LOAD = "validate a data directory, then replace the database's data in one transaction"


@db.command("init", short_help=_INIT, help=_INIT)
@_where
@click.option("--reset", is_flag=True, help="drop the schema and its data first")
def db_init(database: str | None, schema: str, reset: bool) -> int:
    return _db(database, schema, lambda store: store.init(reset=reset))


@db.command("load", short_help=_LOAD, help=_LOAD)
@_where
@click.argument("dir", required=False, metavar="[DIR]")
def db_load(database: str | None, schema: str, dir: str | None) -> int:  # noqa: A002
    return _db(database, schema, None, dir or _default_data_dir())


def _db(database: str | None, schema: str, init: Callable | None, data_dir: str = "") -> int:
    from geo.postgis import PostgisStore, psycopg  # noqa: PLC0415 - names the extra if missing

    url = database or os.environ.get("WANBEI_DATABASE_URL")
    if not url:
        _err("No database: give --database URL or set WANBEI_DATABASE_URL.")
        return 2
    store = PostgisStore(url, schema)
    try:
        if init is not None:
            init(store)
            print(f"{store.where}: tables and spatial indexes ready")
            return 0
        dataset = store.write_dir(data_dir)
    except DataError as exc:
        _err(exc.report())
        if init is None:
            _err("Nothing was loaded: the database is unchanged.")
        return 1
    except psycopg.Error as exc:
        _err(f"{store.where}: {str(exc).strip()}")
        return 1
    counts = ", ".join(f"{len(gdf)} {name}" for name, gdf in dataset.layers.items())
    print(f"{store.where}: loaded {data_dir} ({counts}; version {dataset.version})")
    return 0


# --- export --------------------------------------------------------------------------------------


@cli.command(
    short_help="write the map as a static site",
    help="Write the map, its scripts and styles and every layer's downloads as static files with "
    "relative URLs, for any static host: no Python, no internet. Simplified Chinese at DIR/, "
    "English at DIR/en/, Traditional Chinese at DIR/zh-Hant/.",
)
@click.argument("dir", metavar="DIR")
@click.option(
    "--data",
    metavar="DIR",
    help="data directory (default: $WANBEI_DATABASE_URL, $WANBEI_DATA_DIR or data/)",
)
def export(dir: str, data: str | None) -> int:  # noqa: A002
    from webapp import create_app  # noqa: PLC0415
    from webapp.export import ExportError, export_site  # noqa: PLC0415

    target = Path(dir)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        _err(f"{target} is not an empty directory: give a new or empty one.")
        return 2
    config = {"DATA_DIR": data, "DATABASE_URL": None} if data else None
    try:
        files = export_site(create_app(config), target)
    except DataError as exc:
        _err(exc.report())
        return 1
    except ExportError as exc:
        _err(f"Export failed: {exc}")
        return 1
    print(f"Wrote {len(files)} files to {target}; its index.html is the map. Any static host")
    print("serves it as it is (try: python -m http.server --directory DIR).")
    return 0


# --- import --------------------------------------------------------------------------------------


@cli.command(
    "import",
    short_help="import an official's spreadsheet into one table",
    help="Read an XLSX or CSV file (UTF-8, GB18030, Big5 or Shift-JIS; Chinese or English "
    "headers, see docs/import.md), merge its rows into a table by id and validate the whole "
    "resulting dataset before anything is written. Writes are atomic, keep a backup in "
    "DIR/.backup/ and are recorded in DIR/history.jsonl. Exits 0 when every row was accepted, 1 "
    "when any was rejected, 2 when the file cannot be read (not a workbook or CSV, an encoding "
    "not read, or over the limits WANBEI_IMPORT_MAX_ROWS, WANBEI_IMPORT_MAX_CELLS, "
    "WANBEI_IMPORT_MAX_MB).",
)
@click.argument("file", metavar="FILE")
@click.option(
    "--layer",
    required=True,
    type=click.Choice(SPEC.import_tables()),
    help="the table the rows go into",
)
@click.option("--data", metavar="DIR", help="data directory (default: $WANBEI_DATA_DIR or data/)")
@click.option(
    "--dry-run",
    is_flag=True,
    help="show what would be added, changed and removed, and write nothing",
)
@click.option(
    "--accept-valid",
    is_flag=True,
    help="import the valid rows and list the rejected ones (default: import nothing when any "
    "row is invalid)",
)
@click.option(
    "--crs",
    type=click.Choice(CRS_NAMES),
    help="coordinate system of the file's 经度/纬度 (a 坐标系 column wins per row)",
)
@click.option(
    "--replace", is_flag=True, help="the file is the whole table: remove the rows it lacks"
)
@click.option("--sheet", help="read only this sheet of a workbook")
@click.option("--source", help="source of the rows that give none (default: the file's name)")
@click.option("--user", metavar="NAME", help="who imports (kept in history.jsonl)")
@click.option(
    "--database",
    metavar="URL",
    help="also write the whole dataset to this PostGIS database, in one transaction, before the "
    "files (default: $WANBEI_DATABASE_URL; none: files only)",
)
@click.option("--schema", default="wanbei", help="schema of the tables (default: wanbei)")
def import_(
    file: str,
    layer: str,
    data: str | None,
    dry_run: bool,
    accept_valid: bool,
    crs: str | None,
    replace: bool,
    sheet: str | None,
    source: str | None,
    user: str | None,
    database: str | None,
    schema: str,
) -> int:
    from tqdm import tqdm  # noqa: PLC0415

    from geo.importer import apply_import, plan_import  # noqa: PLC0415

    data_dir = _data_dir(data)
    bar = None

    def progress(done: int, total: int | None) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="row", desc="reading", disable=_quiet())
        bar.update(done - bar.n)

    try:
        plan = plan_import(
            file,
            layer,
            data_dir,
            crs=crs,
            accept_valid=accept_valid,
            replace=replace,
            source=source,
            sheet=sheet,
            progress=progress,
        )
    except (ValueError, FileNotFoundError) as exc:  # the file cannot be read (FileError)
        _err(printable(exc), "Nothing written.")
        return 2
    finally:
        if bar is not None:
            bar.close()
    print(plan.report())
    if dry_run:
        print("Dry run: nothing written.")
        return 1 if plan.problems else 0
    if plan.problems and not accept_valid:
        _err(
            "Nothing written: fix the problems above, or import the valid rows with --accept-valid."
        )
        return 1
    if not plan.contents:
        print("Nothing to write: the data already holds these rows.")
        return 1 if plan.problems else 0
    url = database or os.environ.get("WANBEI_DATABASE_URL")
    try:
        if url:
            record = _import_to_database(plan, url, schema, user)
        else:
            record = apply_import(plan, user=user)
    except (RuntimeError, DataError) as exc:
        _err(exc.report() if isinstance(exc, DataError) else printable(exc), "Nothing written.")
        return 1
    if url:
        print(f"Wrote the whole dataset to {record['database']} in one transaction.")
    print(
        f"Wrote {', '.join(record['files'])} in {data_dir} (data version "
        f"{plan.version_before} → {plan.version_after}); the previous files are in .backup/ "
        "and the change is recorded in history.jsonl."
    )
    if plan.problems:
        _err(f"{len(plan.rejected_rows)} row(s) were rejected (listed above).")
        return 1
    return 0


def _import_to_database(plan, url: str, schema: str, user: str | None) -> dict:
    """The database first, in one transaction (psycopg errors become RuntimeError)."""
    from geo.importer import apply_import_to_database  # noqa: PLC0415
    from geo.postgis import PostgisStore, psycopg  # noqa: PLC0415 - names the extra if missing

    store = PostgisStore(url, schema)
    try:
        record = apply_import_to_database(plan, store, user=user)
    except psycopg.Error as exc:
        raise RuntimeError(f"{store.where}: {str(exc).strip()}") from None
    return {**record, "database": store.where}


# --- reload, validate ----------------------------------------------------------------------------


@cli.command(
    short_help="make running servers pick up the data now",
    help="Validate the data directory, then touch its trigger file (DIR/.reload): servers of "
    "that directory reload within WANBEI_RELOAD_INTERVAL seconds, or keep serving their data if "
    "it does not validate. Servers also notice changed files by themselves; this only forces "
    "the check.",
)
@click.option("--data", metavar="DIR", help="data directory (default: $WANBEI_DATA_DIR or data/)")
def reload(data: str | None) -> int:
    from geo.writer import atomic_write, recover  # noqa: PLC0415
    from webapp.state import RELOAD_TRIGGER  # noqa: PLC0415

    data_dir = Path(_data_dir(data))
    recover(data_dir)  # an import killed after its commit: complete it, history line and all
    try:
        dataset = load_dataset(data_dir)
    except DataError as exc:
        _err(exc.report())
        print("Not reloaded: a server would refuse this data and keep serving the old.")
        return 1
    atomic_write(data_dir / RELOAD_TRIGGER, f"{dataset.version}\n".encode())
    print(
        f"{data_dir}: valid (version {dataset.version}). Servers of this directory reload it "
        "within their WANBEI_RELOAD_INTERVAL (default 2 s)."
    )
    return 0


@cli.command(
    short_help="check a data directory",
    help="Check every file of a data directory and print every problem with its file, row and "
    "column. Exits 0 when the data is valid, 1 otherwise.",
)
@click.argument("dir", required=False, metavar="[DIR]")
def validate(dir: str | None) -> int:  # noqa: A002
    data_dir = dir or _default_data_dir()
    try:
        dataset = load_dataset(Path(data_dir))
    except DataError as exc:
        _err(exc.report())
        return 1
    counts = ", ".join(f"{len(gdf)} {name}" for name, gdf in dataset.layers.items())
    print(f"{data_dir}: valid ({counts}; version {dataset.version})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``wanbei-map``: the command's exit status.

    ``--help`` and a usage error end in ``SystemExit`` (0 and 2), as they always have.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        with cli.make_context("wanbei-map", args) as ctx:
            return cli.invoke(ctx)
    except click.exceptions.Exit as exc:  # --help
        raise SystemExit(exc.exit_code) from None
    except click.ClickException as exc:  # a usage error: the usage line and what was wrong
        exc.show()
        raise SystemExit(exc.exit_code) from None
    except MissingExtra as exc:  # an optional dependency (geo/extras.py): how to install it
        _err(str(exc))
        return 2


if __name__ == "__main__":
    sys.exit(main())
