"""The ``wanbei-map`` command: serve the map, validate a data directory, the PostGIS store,
the static export."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from geo.dataset import load_dataset
from geo.errors import DataError
from geo.extras import MissingExtra
from geo.spec import SPEC
from geo.text import printable


def _default_data_dir() -> str:
    from webapp import DEFAULT_DATA_DIR  # noqa: PLC0415 - keeps `validate` free of Flask

    return str(DEFAULT_DATA_DIR)


def _serve(args: argparse.Namespace) -> int:
    import waitress  # noqa: PLC0415

    from webapp import create_app  # noqa: PLC0415
    from webapp.errors import ConfigError  # noqa: PLC0415

    if args.production:  # before the app is built: says at once if gunicorn is missing
        from webapp.production import serve  # noqa: PLC0415
    config = {"DATA_DIR": args.data, "DATABASE_URL": None} if args.data else None
    try:
        app = create_app(config)
    except DataError as exc:
        print(exc.report(), file=sys.stderr)
        print("The server did not start: fix the data and try again.", file=sys.stderr)
        return 2
    except ConfigError as exc:  # a setting (WANBEI_RELOAD_INTERVAL, WANBEI_CACHE_DIR...)
        print(exc, file=sys.stderr)
        print("The server did not start: fix the setting and try again.", file=sys.stderr)
        return 2
    print(
        f"Serving the map on http://{args.host}:{args.port}/ (data version "
        f"{app.extensions['wanbei'].dataset.version}); Ctrl+C stops it.",
        flush=True,
    )
    if args.production:
        return serve(
            app,
            host=args.host,
            port=args.port,
            workers=args.workers,
            threads=args.threads,
            behind_proxy=args.behind_proxy,
        )
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            "Note: without --production this server is for one machine and a trusted network; "
            "for the public, run --production behind a reverse proxy (docs/deploy.md).",
            file=sys.stderr,
        )
    # SIGTERM (systemd, docker stop) ends the server like Ctrl+C: the exit handlers run, and
    # remove the private download cache (else it is left until the next start sweeps it)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    waitress.serve(
        app,
        host=args.host,
        port=args.port,
        threads=args.threads,
        ident="wanbei-map",
        # read ahead so that a client that hangs up is noticed while its download is built
        channel_request_lookahead=1,
    )
    return 0


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _db(args: argparse.Namespace) -> int:
    from geo.postgis import PostgisStore, psycopg  # noqa: PLC0415 - names the extra if missing

    url = args.database or os.environ.get("WANBEI_DATABASE_URL")
    if not url:
        print("No database: give --database URL or set WANBEI_DATABASE_URL.", file=sys.stderr)
        return 2
    store = PostgisStore(url, args.schema)
    try:
        if args.db_command == "init":
            store.init(reset=args.reset)
            print(f"{store.where}: tables and spatial indexes ready")
            return 0
        data_dir = args.dir or _default_data_dir()
        dataset = store.write_dir(data_dir)
    except DataError as exc:
        print(exc.report(), file=sys.stderr)
        if args.db_command == "load":
            print("Nothing was loaded: the database is unchanged.", file=sys.stderr)
        return 1
    except psycopg.Error as exc:
        print(f"{store.where}: {str(exc).strip()}", file=sys.stderr)
        return 1
    counts = ", ".join(f"{len(gdf)} {name}" for name, gdf in dataset.layers.items())
    print(f"{store.where}: loaded {data_dir} ({counts}; version {dataset.version})")
    return 0


def _export(args: argparse.Namespace) -> int:
    from webapp import create_app  # noqa: PLC0415
    from webapp.export import ExportError, export_site  # noqa: PLC0415

    target = Path(args.dir)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        print(f"{target} is not an empty directory: give a new or empty one.", file=sys.stderr)
        return 2
    config = {"DATA_DIR": args.data, "DATABASE_URL": None} if args.data else None
    try:
        files = export_site(create_app(config), target)
    except DataError as exc:
        print(exc.report(), file=sys.stderr)
        return 1
    except ExportError as exc:
        print(f"Export failed: {exc}", file=sys.stderr)
        return 1
    print(f"Wrote {len(files)} files to {target}; its index.html is the map. Any static host")
    print("serves it as it is (try: python -m http.server --directory DIR).")
    return 0


def _data_dir(args: argparse.Namespace) -> str:
    return args.data or os.environ.get("WANBEI_DATA_DIR") or _default_data_dir()


def _quiet() -> bool:
    """No progress bar under CI or when stderr is not a terminal."""
    return os.environ.get("CI", "").lower() in ("true", "1") or not sys.stderr.isatty()


def _import(args: argparse.Namespace) -> int:
    from tqdm import tqdm  # noqa: PLC0415

    from geo.importer import apply_import, plan_import  # noqa: PLC0415

    data_dir = _data_dir(args)
    bar = None

    def progress(done: int, total: int | None) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="row", desc="reading", disable=_quiet())
        bar.update(done - bar.n)

    try:
        plan = plan_import(
            args.file,
            args.layer,
            data_dir,
            crs=args.crs,
            accept_valid=args.accept_valid,
            replace=args.replace,
            source=args.source,
            sheet=args.sheet,
            progress=progress,
        )
    except (ValueError, FileNotFoundError) as exc:  # the file cannot be read (FileError)
        print(printable(exc), file=sys.stderr)
        print("Nothing written.", file=sys.stderr)
        return 2
    finally:
        if bar is not None:
            bar.close()
    print(plan.report())
    if args.dry_run:
        print("Dry run: nothing written.")
        return 1 if plan.problems else 0
    if plan.problems and not args.accept_valid:
        print(
            "Nothing written: fix the problems above, or import the valid rows with "
            "--accept-valid.",
            file=sys.stderr,
        )
        return 1
    if not plan.contents:
        print("Nothing to write: the data already holds these rows.")
        return 1 if plan.problems else 0
    url = args.database or os.environ.get("WANBEI_DATABASE_URL")
    try:
        if url:
            record = _import_to_database(plan, url, args)
        else:
            record = apply_import(plan, user=args.user)
    except (RuntimeError, DataError) as exc:
        print(exc.report() if isinstance(exc, DataError) else printable(exc), file=sys.stderr)
        print("Nothing written.", file=sys.stderr)
        return 1
    if url:
        print(f"Wrote the whole dataset to {record['database']} in one transaction.")
    print(
        f"Wrote {', '.join(record['files'])} in {data_dir} (data version "
        f"{plan.version_before} → {plan.version_after}); the previous files are in .backup/ "
        "and the change is recorded in history.jsonl."
    )
    if plan.problems:
        print(f"{len(plan.rejected_rows)} row(s) were rejected (listed above).", file=sys.stderr)
        return 1
    return 0


def _import_to_database(plan, url: str, args: argparse.Namespace) -> dict:
    """The database first, in one transaction (psycopg errors become RuntimeError)."""
    from geo.importer import apply_import_to_database  # noqa: PLC0415
    from geo.postgis import PostgisStore, psycopg  # noqa: PLC0415 - names the extra if missing

    store = PostgisStore(url, args.schema)
    try:
        record = apply_import_to_database(plan, store, user=args.user)
    except psycopg.Error as exc:
        raise RuntimeError(f"{store.where}: {str(exc).strip()}") from None
    return {**record, "database": store.where}


def _reload(args: argparse.Namespace) -> int:
    from geo.writer import atomic_write, recover  # noqa: PLC0415
    from webapp.state import RELOAD_TRIGGER  # noqa: PLC0415

    data_dir = Path(_data_dir(args))
    recover(data_dir)  # an import killed after its commit: complete it, history line and all
    try:
        dataset = load_dataset(data_dir)
    except DataError as exc:
        print(exc.report(), file=sys.stderr)
        print("Not reloaded: a server would refuse this data and keep serving the old.")
        return 1
    atomic_write(data_dir / RELOAD_TRIGGER, f"{dataset.version}\n".encode())
    print(
        f"{data_dir}: valid (version {dataset.version}). Servers of this directory reload it "
        "within their WANBEI_RELOAD_INTERVAL (default 2 s)."
    )
    return 0


def _validate(args: argparse.Namespace) -> int:
    data_dir = args.dir or _default_data_dir()
    try:
        dataset = load_dataset(Path(data_dir))
    except DataError as exc:
        print(exc.report(), file=sys.stderr)
        return 1
    counts = ", ".join(f"{len(gdf)} {name}" for name, gdf in dataset.layers.items())
    print(f"{data_dir}: valid ({counts}; version {dataset.version})")
    return 0


def parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    p = argparse.ArgumentParser(
        prog="wanbei-map",
        description="The map of the 沪苏浙–皖北 city pairing programme.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = sub.add_parser(
        "serve",
        help="serve the map",
        description="Validate the data, then serve the map and "
        "its downloads. The server refuses to start on invalid data and prints every problem. "
        "Without --production it is for one machine and a trusted network (a few slow clients "
        "can hold it up); for the public, use --production behind a reverse proxy "
        "(docs/deploy.md).",
    )
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: %(default)s; 0.0.0.0 for every interface)",
    )
    serve.add_argument("--port", type=int, default=8000, help="port (default: %(default)s)")
    serve.add_argument(
        "--data",
        metavar="DIR",
        help="data directory (default: $WANBEI_DATA_DIR or the shipped data/)",
    )
    serve.add_argument("--threads", type=int, default=4, help="worker threads (default: 4)")
    serve.add_argument(
        "--production",
        action="store_true",
        help="serve with gunicorn: several worker processes (see docs/deploy.md)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=2,
        help="gunicorn worker processes with --production (default: %(default)s)",
    )
    serve.add_argument(
        "--behind-proxy",
        action="store_true",
        help="with --production: trust one reverse proxy's X-Forwarded-For and -Proto",
    )
    serve.set_defaults(func=_serve)
    db = sub.add_parser(
        "db",
        help="the PostGIS store",
        description="Create the PostGIS tables, or load a data directory into them. The app "
        "reads from PostGIS when WANBEI_DATABASE_URL is set.",
    )
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument(
        "--database", metavar="URL", help="postgresql:// URL (default: $WANBEI_DATABASE_URL)"
    )
    where.add_argument("--schema", default="wanbei", help="schema of the tables (default: wanbei)")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    db_init = db_sub.add_parser(
        "init", parents=[where], help="create the postgis extension, tables and indexes"
    )
    db_init.add_argument("--reset", action="store_true", help="drop the schema and its data first")
    db_load = db_sub.add_parser(
        "load",
        parents=[where],
        help="validate a data directory, then replace the database's data in one transaction",
    )
    db_load.add_argument(
        "dir", nargs="?", metavar="DIR", help="data directory (default: the shipped data/)"
    )
    db.set_defaults(func=_db)
    export = sub.add_parser(
        "export",
        help="write the map as a static site",
        description="Write the map, its scripts and styles and every layer's downloads as "
        "static files with relative URLs, for any static host: no Python, no internet. "
        "Simplified Chinese at DIR/, English at DIR/en/, Traditional Chinese at DIR/zh-Hant/.",
    )
    export.add_argument("dir", metavar="DIR", help="a new or empty directory")
    export.add_argument(
        "--data",
        metavar="DIR",
        help="data directory (default: $WANBEI_DATABASE_URL, $WANBEI_DATA_DIR or data/)",
    )
    export.set_defaults(func=_export)
    imp = sub.add_parser(
        "import",
        help="import an official's spreadsheet into one table",
        description="Read an XLSX or CSV file (UTF-8, GB18030, Big5 or Shift-JIS; Chinese or "
        "English headers, see docs/import.md), merge its rows into a table by id and validate "
        "the whole resulting dataset before anything is written. Writes are atomic, keep a "
        "backup in DIR/.backup/ and are recorded in DIR/history.jsonl. Exits 0 when every row "
        "was accepted, 1 when any was rejected, 2 when the file cannot be read (not a "
        "workbook or CSV, an encoding not read, or over the limits WANBEI_IMPORT_MAX_ROWS, "
        "WANBEI_IMPORT_MAX_CELLS, WANBEI_IMPORT_MAX_MB).",
    )
    imp.add_argument("file", metavar="FILE", help="the .xlsx or .csv file")
    imp.add_argument(
        "--layer",
        required=True,
        choices=(*SPEC.ids_with("importable"), "plan"),
        help="the table the rows go into",
    )
    imp.add_argument(
        "--data", metavar="DIR", help="data directory (default: $WANBEI_DATA_DIR or data/)"
    )
    imp.add_argument(
        "--dry-run",
        action="store_true",
        help="show what would be added, changed and removed, and write nothing",
    )
    imp.add_argument(
        "--accept-valid",
        action="store_true",
        help="import the valid rows and list the rejected ones (default: import nothing "
        "when any row is invalid)",
    )
    imp.add_argument(
        "--crs",
        choices=("wgs84", "gcj02", "bd09"),
        help="coordinate system of the file's 经度/纬度 (a 坐标系 column wins per row)",
    )
    imp.add_argument(
        "--replace",
        action="store_true",
        help="the file is the whole table: remove the rows it lacks",
    )
    imp.add_argument("--sheet", help="read only this sheet of a workbook")
    imp.add_argument(
        "--source", help="source of the rows that give none (default: the file's name)"
    )
    imp.add_argument("--user", metavar="NAME", help="who imports (kept in history.jsonl)")
    imp.add_argument(
        "--database",
        metavar="URL",
        help="also write the whole dataset to this PostGIS database, in one transaction, "
        "before the files (default: $WANBEI_DATABASE_URL; none: files only)",
    )
    imp.add_argument("--schema", default="wanbei", help="schema of the tables (default: wanbei)")
    imp.set_defaults(func=_import)
    reload = sub.add_parser(
        "reload",
        help="make running servers pick up the data now",
        description="Validate the data directory, then touch its trigger file (DIR/.reload): "
        "servers of that directory reload within WANBEI_RELOAD_INTERVAL seconds, or keep "
        "serving their data if it does not validate. Servers also notice changed files by "
        "themselves; this only forces the check.",
    )
    reload.add_argument(
        "--data", metavar="DIR", help="data directory (default: $WANBEI_DATA_DIR or data/)"
    )
    reload.set_defaults(func=_reload)
    validate = sub.add_parser(
        "validate",
        help="check a data directory",
        description="Check every file of a data directory and print every problem with its "
        "file, row and column. Exits 0 when the data is valid, 1 otherwise.",
    )
    validate.add_argument(
        "dir", nargs="?", metavar="DIR", help="data directory (default: the shipped data/)"
    )
    validate.set_defaults(func=_validate)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``wanbei-map``."""
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except MissingExtra as exc:  # an optional dependency (geo/extras.py): how to install it
        print(exc, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
